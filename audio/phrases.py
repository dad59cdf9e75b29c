"""Sung phrases and which lyric lines they carry: the anchors that keep lip-sync from drifting.

A singer breathes between phrases, and lyrics are written a line per phrase, more or less. The voice's
activity (:attr:`audio.vocals.VocalFeatures.active`) splits a vocal stem into phrases at its pauses;
:func:`assign_lines` then maps the lyric lines onto the phrases in order by a dynamic programme that
compares each line's syllable count with the phrase's sung duration, allowing a line to span two to four
phrases (a breath inside a line), two to four lines to share a phrase, and a phrase to carry no lyric
(an ad-lib, a backing vocal left in the stem, a cough). Words are then aligned inside their phrases, so an
error stays inside its phrase instead of spreading to the rest of the song. In a full mix the band hides
pauses and the voice's activity drops out under it, so durations alone mislead the mapping, and one wrong
group shifts every line after it: there the lines are also drawn towards where an alignment of the whole
recording starts them (``anchors``).
"""

from __future__ import annotations

import math

import numpy as np

# Spread of the log ratio between a group's syllable rate and the song's: a phrase sung 1.6x faster or
# slower than the song's average costs 0.5 (one standard deviation).
RATE_SIGMA = math.log(1.6)
# A group of up to MAX_LINES lines sung over up to MAX_PHRASES phrases. Lines share a phrase where no pause is
# heard between them: on a full mix the band hides a singer's breaths, so one detected phrase can hold a whole
# stanza, most often a quatrain, and a cap of 3 lines forced its fourth line into a phrase of its own (on a dev
# mix, two lines into a 0.3 s blip before the verse). Costs, in the same units: each
# extra line in a group LINE_COST, each extra phrase PHRASE_COST plus the pauses inside the group
# (GAP_COST per GAP_UNIT_S: a line rarely holds its singer's longest breaths); a phrase that carries no
# lyric SKIP_COST plus SKIP_COST per second of it (an ad-lib is short).
MAX_LINES, MAX_PHRASES = 4, 4
LINE_COST, PHRASE_COST = 0.6, 0.3
GAP_COST, GAP_UNIT_S = 1.0, 0.4
SKIP_COST = 1.5
# Phrases over which pass 2 of assign_lines takes the median syllable rate of pass 1's groups.
RATE_WINDOW = 9
# Where another alignment says where each line starts (a full mix, whose phrases are unreliable), a group
# whose first phrase starts away from its first line's start costs ANCHOR_COST per second: a second off
# costs as much as a syllable rate one RATE_SIGMA off. Beyond ANCHOR_CAP_S the other alignment is lost there
# (on a full mix it can be several seconds off) and says nothing more.
ANCHOR_COST, ANCHOR_CAP_S = 0.5, 3.0
# Where the lyrics are written in stanzas (blank lines, section headers), a section break of the music, a pause
# of SECTION_PAUSE_S or more (an instrumental break: a bar or more), most often falls between two stanzas, while
# a stanza may start after a breath (a chorus straight after a verse). So a long pause before a line inside a
# stanza costs INSIDE_COST, and a stanza starting without one STANZA_COST (-log of rough odds: a break after 1
# line boundary in 10 inside a stanza, after 6 stanza starts in 10); pauses from BREATH_S to SECTION_PAUSE_S
# count in proportion.
BREATH_S, SECTION_PAUSE_S = 1.0, 2.5
STANZA_COST, INSIDE_COST = math.log(0.6 / 0.4), math.log(0.9 / 0.1)


def vocal_phrases(active: np.ndarray, frame_rate_hz: float, *, min_pause_s: float = 0.15,
                  min_phrase_s: float = 0.25, threshold: float = 0.5) -> np.ndarray:
    """Phrases of a vocal stem: runs of voice activity split at pauses of at least ``min_pause_s``.

    Parameters
    ----------
    active : np.ndarray [shape=(n,), 0..1]
        Voice activity per frame (voiced, or loud enough for a consonant).
    frame_rate_hz : float
    min_pause_s : float, seconds
        Shorter gaps (a consonant, a staccato note) do not split a phrase.
    min_phrase_s : float, seconds
        Shorter runs (a breath, a click) are dropped.
    threshold : float
        Activity above this counts as voice.

    Returns
    -------
    np.ndarray [shape=(k, 2), seconds]
        Start and end of each phrase, in order; empty when there is no voice.
    """
    on = np.asarray(active) > threshold
    if not on.any():
        return np.zeros((0, 2))
    runs = np.flatnonzero(np.diff(np.concatenate([[0], on.astype(np.int8), [0]]))).reshape(-1, 2)
    # A phrase ends where the pause before the next run is long enough (lengths in frames, then seconds).
    ends = np.flatnonzero((runs[1:, 0] - runs[:-1, 1]) / frame_rate_hz >= min_pause_s)
    out = np.stack([runs[np.r_[0, ends + 1], 0], runs[np.r_[ends, runs.shape[0] - 1], 1]], axis=1)
    return out[(out[:, 1] - out[:, 0]) / frame_rate_hz >= min_phrase_s] / frame_rate_hz


def assign_lines(syllables: list[int], sung_s: np.ndarray, gaps_s: np.ndarray, *,
                 anchors: tuple[np.ndarray, np.ndarray] | None = None,
                 stanzas: np.ndarray | None = None) -> list[tuple[int, int, int, int]] | None:
    """Map lyric lines onto phrases, in order (dynamic programme over lines x phrases).

    Parameters
    ----------
    syllables : list of int
        Syllables per lyric line (lines without any are not passed).
    sung_s : np.ndarray [shape=(k,), seconds]
        Sung duration of each phrase.
    gaps_s : np.ndarray [shape=(k - 1,), seconds]
        The pause between each phrase and the next.
    anchors : (line_starts_s, phrase_starts_s), optional
        Where another alignment starts each line, and where each phrase starts: a group is drawn towards
        the phrase its first line starts at (``ANCHOR_COST``, ``ANCHOR_CAP_S``).
    stanzas : np.ndarray [shape=(n,), bool], optional
        Which lines start a stanza of the lyrics (the first line's flag is not used): the music's long pauses
        are drawn to the stanza breaks (``STANZA_COST``, ``INSIDE_COST``). None, no line flagged, or every
        line: the lyrics say nothing of their sections.

    Returns
    -------
    list of (line_start, line_stop, phrase_start, phrase_stop), or None
        Groups in order: lines ``line_start:line_stop`` are sung in phrases ``phrase_start:phrase_stop``;
        phrases carrying no lyric belong to no group. None when the lines cannot be mapped (more lines than
        MAX_LINES per phrase, or no phrase at all).
    """
    n, k = len(syllables), int(np.asarray(sung_s).shape[0])
    if n == 0 or k == 0 or n > MAX_LINES * k:
        return None
    sung = np.asarray(sung_s, dtype=np.float64)
    gaps = np.asarray(gaps_s, dtype=np.float64)
    start = _start_costs(n, k, gaps, anchors, stanzas)
    # Pass 1 compares every group with the song's mean syllable rate; pass 2 with the rate of the groups
    # around it in pass 1 (a running median over RATE_WINDOW phrases), since a song, or a medley, can
    # change pace between sections.
    groups = _line_dp(syllables, sung, gaps, np.full(k, sum(syllables) / max(float(sung.sum()), 1e-9)), start)
    if groups is None:
        return None
    rate = np.full(k, np.nan)
    for i0, i1, j0, j1 in groups:
        rate[j0:j1] = sum(syllables[i0:i1]) / max(float(sung[j0:j1].sum()), 1e-3)
    known = np.flatnonzero(np.isfinite(rate))
    local = np.array([np.median(rate[known[np.abs(known - j) <= RATE_WINDOW // 2]])
                      if np.any(np.abs(known - j) <= RATE_WINDOW // 2) else np.median(rate[known]) for j in range(k)])
    return _line_dp(syllables, sung, gaps, local, start)


def _start_costs(n: int, k: int, gaps: np.ndarray, anchors: tuple[np.ndarray, np.ndarray] | None,
                 stanzas: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """What a group costs against the anchors and the stanzas.

    Returns ``off`` [n + 1, k + 1], what starting line i's group at phrase j costs, and ``inner`` [n + 1], where
    ``inner[i1] - inner[i0 + 1]`` is what lines ``i0:i1`` cost sung as one group (a stanza starting inside it).
    """
    off, inner = np.zeros((n + 1, k + 1)), np.zeros(n + 1)
    if anchors is not None:
        line_t, phrase_t = (np.asarray(x, dtype=np.float64) for x in anchors)
        off[:n, :k] = ANCHOR_COST * np.minimum(np.abs(line_t[:, None] - phrase_t[None, :]), ANCHOR_CAP_S)
    # lyrics with a blank line after every line (some sites space them so) say nothing of their sections
    if stanzas is not None and 0 < np.count_nonzero(np.asarray(stanzas)[1:]) < n - 1:
        # how much the pause before each phrase (none before the first) looks like a section break, 0..1
        section = np.clip((np.concatenate([[0.0], gaps]) - BREATH_S) / (SECTION_PAUSE_S - BREATH_S), 0.0, 1.0)
        new = np.asarray(stanzas, dtype=bool)[1:, None]
        off[1:n, 1:k] += np.where(new, STANZA_COST * (1.0 - section[None, 1:]), INSIDE_COST * section[None, 1:])
        inner[2:] = np.cumsum(STANZA_COST * new[:, 0])
    return off, inner


def _line_dp(syllables: list[int], sung: np.ndarray, gaps: np.ndarray, rate_ref: np.ndarray,
             start: tuple[np.ndarray, np.ndarray]) -> list[tuple[int, int, int, int]] | None:
    """One pass of :func:`assign_lines` against the reference syllable rate ``rate_ref`` of each phrase.

    ``start``: what a group costs besides its rate (:func:`_start_costs`).
    """
    off, inner = start
    n, k = len(syllables), sung.shape[0]
    csyl = np.concatenate([[0], np.cumsum(syllables)])
    csung = np.concatenate([[0.0], np.cumsum(sung)])
    cgap = np.concatenate([[0.0], np.cumsum(gaps)])
    cref = np.concatenate([[0.0], np.cumsum(np.log(rate_ref))])
    moves = [(0, 1)] + [(di, dj) for di in range(1, MAX_LINES + 1) for dj in range(1, MAX_PHRASES + 1)]
    cost = np.full((n + 1, k + 1), np.inf)
    back = np.zeros((n + 1, k + 1, 2), dtype=np.int64)
    cost[0, 0] = 0.0
    for i in range(n + 1):
        for j in range(k + 1):
            if not np.isfinite(cost[i, j]):
                continue
            for di, dj in moves:
                i2, j2 = i + di, j + dj
                if i2 > n or j2 > k:
                    continue
                if di == 0:
                    c = cost[i, j] + SKIP_COST * (1.0 + sung[j])
                else:
                    rate = (csyl[i2] - csyl[i]) / max(csung[j2] - csung[j], 1e-3)
                    log_ref = (cref[j2] - cref[j]) / dj
                    c = (cost[i, j] + off[i, j] + inner[i2] - inner[i + 1]
                         + LINE_COST * (di - 1) + PHRASE_COST * (dj - 1)
                         + GAP_COST * (cgap[j2 - 1] - cgap[j]) / GAP_UNIT_S
                         + 0.5 * ((math.log(max(rate, 1e-6)) - log_ref) / RATE_SIGMA) ** 2)
                if c < cost[i2, j2]:
                    cost[i2, j2] = c
                    back[i2, j2] = (di, dj)
    if not np.isfinite(cost[n, k]):
        return None
    groups = []
    i, j = n, k
    while i > 0 or j > 0:
        di, dj = back[i, j]
        if di:
            groups.append((i - di, i, j - dj, j))
        i, j = i - di, j - dj
    return groups[::-1]
