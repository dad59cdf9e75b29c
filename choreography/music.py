"""What the solver hears: per-beat music features taken from an analysis.

Conventions
-----------
Everything is indexed by beat (the analysis' beats, in order). Curves are averaged over each beat's
span (from the beat to the next one); the last beat spans one median beat.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from audio.model import Analysis


@dataclass(frozen=True)
class BeatFeatures:
    """Music features per beat.

    Attributes
    ----------
    t_s : np.ndarray [shape=(n,), seconds]
        Beat times.
    bar, beat : np.ndarray [shape=(n,), int]
        1-based bar and beat-in-bar numbers (bar 0 is a pickup).
    downbeat : np.ndarray [shape=(n,), bool]
    phrase_start : np.ndarray [shape=(n,), bool]
        Downbeats that start a section or every fourth bar within one: where phrases may start.
    energy, intensity : np.ndarray [shape=(n,), 0..1]
        Mean loudness and spectral flux over the beat.
    accent : np.ndarray [shape=(n,), 0..1]
        Strongest onset within 70 ms of the beat.
    sustain : np.ndarray [shape=(n,), 0..1]
        1 where no onset falls inside the beat span (a held note), 0 where many do.
    section : np.ndarray [shape=(n,), int]
        Index of the section each beat is in.
    """

    t_s: np.ndarray
    bar: np.ndarray
    beat: np.ndarray
    downbeat: np.ndarray
    phrase_start: np.ndarray
    energy: np.ndarray
    intensity: np.ndarray
    accent: np.ndarray
    sustain: np.ndarray
    section: np.ndarray

    @property
    def n(self) -> int:
        """Number of beats."""
        return int(self.t_s.shape[0])


def beat_period(t_s: np.ndarray) -> float:
    """The song's beat period: the median time between beats (0.5 s with fewer than two beats).

    Parameters
    ----------
    t_s : np.ndarray [shape=(n,), seconds]
        Beat times.

    Returns
    -------
    float, seconds
    """
    return float(np.median(np.diff(t_s))) if np.size(t_s) > 1 else 0.5


def beat_features(analysis: Analysis, *, phrase_bars: int = 4) -> BeatFeatures:
    """Per-beat features of an analysis.

    Parameters
    ----------
    analysis : Analysis
    phrase_bars : int
        Bars per phrase inside a section.

    Returns
    -------
    BeatFeatures
    """
    t = np.array([b.t for b in analysis.beats], dtype=np.float64)
    bar = np.array([b.bar for b in analysis.beats], dtype=np.int64)
    beat = np.array([b.beat for b in analysis.beats], dtype=np.int64)
    n = t.shape[0]
    ends = np.append(t[1:], t[-1] + beat_period(t)) if n else t
    energy = _span_mean(analysis.energy.values, analysis.energy.rate_hz, t, ends)
    intensity = _span_mean(analysis.intensity.values, analysis.intensity.rate_hz, t, ends)
    on_t = np.array([o.t for o in analysis.onsets])
    on_s = np.array([o.strength for o in analysis.onsets])
    accent = np.zeros(n)
    count = np.zeros(n)
    for i in range(n):
        near = np.abs(on_t - t[i]) <= 0.07 if on_t.size else np.zeros(0, dtype=bool)
        accent[i] = on_s[near].max() if near.any() else 0.0
        inside = (on_t > t[i] + 0.07) & (on_t < ends[i] - 0.07) if on_t.size else np.zeros(0, dtype=bool)
        count[i] = inside.sum()
    sustain = np.clip(1.0 - count / 2.0, 0.0, 1.0)
    starts = np.array([s.start for s in analysis.sections])
    section = np.clip(np.searchsorted(starts, t + 1e-6, side="right") - 1, 0, max(0, len(starts) - 1))
    downbeat = beat == 1
    phrase_start = np.zeros(n, dtype=bool)
    first_bar_of_section: dict[int, int] = {}
    for i in np.flatnonzero(downbeat):
        first = first_bar_of_section.setdefault(int(section[i]), int(bar[i]))
        phrase_start[i] = (bar[i] - first) % phrase_bars == 0
    return BeatFeatures(t, bar, beat, downbeat, phrase_start, energy, intensity, accent, sustain, section)


def phrase_ends(bf: BeatFeatures) -> np.ndarray:
    """The beats of each phrase's last bar (the bar before a phrase start, and the song's last bar).

    Parameters
    ----------
    bf : BeatFeatures

    Returns
    -------
    np.ndarray [shape=(n,), bool]
    """
    out = np.zeros(bf.n, dtype=bool)
    starts = np.append(np.flatnonzero(bf.phrase_start), bf.n)
    for a, b in zip(starts[:-1], starts[1:], strict=True):
        last_down = a + np.flatnonzero(bf.downbeat[a:b])[-1:]  # the last bar of the phrase [a, b)
        if last_down.size and last_down[0] > a:
            out[last_down[0]:b] = True
    return out


def metric_grid(move_beats: np.ndarray, bf: BeatFeatures) -> tuple[np.ndarray, np.ndarray]:
    """Where a move shorter than a bar has a place in the metre, and where it would start off it.

    A move of ``L >= 2`` beats that divides its bar's length evenly has a grid: the beats ``1, 1 + L, ...``
    of the bar (a 2-beat move in 4/4 starts on beat 1 or 3, as a dancer counts "1-2, 3-4"). Starting
    between those points shifts it against the music's own grouping. Moves of a bar or longer (phrase
    starts rule those), single beats and lengths that do not divide the bar (a 3-beat move in 4/4) have
    no grid.

    Parameters
    ----------
    move_beats : np.ndarray [shape=(n_moves,), int]
        Each move's length in beats.
    bf : BeatFeatures

    Returns
    -------
    has_grid, off_grid : np.ndarray [shape=(n_moves, n), bool]
        Whether move ``m`` has a grid in the bar of beat ``b``, and whether starting on ``b`` is off it.
    """
    length = np.asarray(move_beats, dtype=np.int64)[:, None]
    bar_len = np.zeros(bf.n, dtype=np.int64)  # a bar's length is its highest beat number (a pickup's too)
    if bf.n:
        _, inverse = np.unique(bf.bar, return_inverse=True)
        per_bar = np.zeros(int(inverse.max()) + 1, dtype=np.int64)
        np.maximum.at(per_bar, inverse, bf.beat.astype(np.int64))
        bar_len = per_bar[inverse]
    has_grid = (length > 1) & (length < bar_len[None, :]) & (bar_len[None, :] % length == 0)
    return has_grid, has_grid & ((bf.beat.astype(np.int64)[None, :] - 1) % length != 0)


def _span_mean(values, rate_hz: float, a_s: np.ndarray, b_s: np.ndarray) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return np.zeros(a_s.shape[0])
    c = np.concatenate([[0.0], np.cumsum(v)])
    ia = np.clip(np.rint(a_s * rate_hz).astype(np.int64), 0, v.size - 1)
    ib = np.clip(np.rint(b_s * rate_hz).astype(np.int64), ia + 1, v.size)
    return (c[ib] - c[ia]) / (ib - ia)


def half_time(bf: BeatFeatures) -> tuple[BeatFeatures, np.ndarray]:
    """The grid a dancer counts at a fast tempo: every other beat.

    Beats 1 and 3 of a bar with an even number of beats are kept; of a bar with an odd number, the
    downbeat. Each kept beat takes the span up to the next kept beat: mean energy and intensity, strongest accent,
    least sustain over the beats it merges. Bars, downbeats, phrase starts and sections are unchanged.

    Parameters
    ----------
    bf : BeatFeatures

    Returns
    -------
    dance : BeatFeatures
    kept : np.ndarray [shape=(m,), int]
        The index in ``bf`` of each beat of ``dance``.
    """
    bpb = int(np.max(bf.beat, initial=1))
    keep = (bf.beat - 1) % 2 == 0 if bpb % 2 == 0 else bf.beat == 1
    keep[0] = True  # a song that starts on an off beat still starts the dance
    kept = np.flatnonzero(keep)
    if kept.size == 0:
        return bf, np.arange(bf.n)

    return BeatFeatures(bf.t_s[kept], bf.bar[kept], bf.beat[kept], bf.downbeat[kept], bf.phrase_start[kept],
                        merged_mean(bf.energy, kept), merged_mean(bf.intensity, kept),
                        np.maximum.reduceat(bf.accent, kept),
                        np.minimum.reduceat(bf.sustain, kept), bf.section[kept]), kept


def merged_mean(x: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """Per-beat values on the grid of :func:`half_time`: each kept beat the mean over the beats it merges.

    Parameters
    ----------
    x : np.ndarray [shape=(n_beats,)]
    kept : np.ndarray [shape=(m,), int]
        As :func:`half_time` returns it.

    Returns
    -------
    np.ndarray [shape=(m,)]
    """
    x = np.asarray(x, dtype=float)
    return np.add.reduceat(x, kept) / np.diff(np.append(kept, x.size))


def repeat_targets(beat_in_bar: np.ndarray, src: np.ndarray, dst: np.ndarray, b: int) -> list[int]:
    """Where a move starting on beat ``b`` of a section's first occurrence starts again in a repeat.

    At :func:`repeat_shift`, and, when the repeat is longer than the first occurrence, again every
    first-occurrence length (in whole bars) after that, as a chorus sung twice over is danced twice over.

    Parameters
    ----------
    beat_in_bar : np.ndarray [shape=(n_beats,), int]
    src, dst : np.ndarray [shape=(k,), int]
        The beat indices of the first occurrence and of the repeat.
    b : int
        A beat of the first occurrence.

    Returns
    -------
    list of int
        Beats of the repeat, in order.
    """
    bpb = int(np.max(beat_in_bar, initial=1))
    period = max(bpb, (int(src[-1] + 1 - src[0]) // bpb) * bpb)
    out = []
    t = b + repeat_shift(beat_in_bar, src, dst)
    while t <= dst[-1]:
        if t >= dst[0]:
            out.append(int(t))
        t += period
    return out


def repeat_shift(beat_in_bar: np.ndarray, src: np.ndarray, dst: np.ndarray) -> int:
    """How many beats later a repeated section's moves fall than its first occurrence's, bar-aligned.

    A section that starts with a pickup and a repeat that starts on its downbeat are aligned on their first
    downbeats, so a move keeps its place in the bar (beats before the first downbeat have no counterpart).

    Parameters
    ----------
    beat_in_bar : np.ndarray [shape=(n_beats,), int]
        1-based beat-in-bar of every beat.
    src, dst : np.ndarray [shape=(k,), int]
        The beat indices of the first occurrence and of the repeat.

    Returns
    -------
    int
    """
    down_src = src[beat_in_bar[src] == 1]
    down_dst = dst[beat_in_bar[dst] == 1]
    if down_src.size and down_dst.size:
        return int(down_dst[0] - down_src[0])
    return int(dst[0] - src[0])


def style_affinity(analysis: Analysis, bf: BeatFeatures, style_names: tuple[str, ...]) -> np.ndarray:
    """How well each move style suits each section's music, 0..1: a hand-set reading of its character.

    From per-section features: legato (held notes: :attr:`BeatFeatures.sustain`), punch (strong onsets on
    the beats: ``accent``), brightness (the analysis' spectral brightness), level (loudness and flux) and
    the tempo. smooth = legato x soft; elegant = legato x slow; classical = legato x slow x quiet; sharp =
    punch x detached; hip_hop = punch x detached x mid-tempo (80-115 BPM); bouncy = detached x fast;
    playful = bright x fast; kids = bright x detached. Swing is not measured, so ``jazz`` is left to the
    artist's ``--style``. Not learned from data: a starting point the artist steers with ``--style``.

    Parameters
    ----------
    analysis : Analysis
    bf : BeatFeatures
    style_names : tuple of str

    Returns
    -------
    np.ndarray [shape=(n_styles, n_sections)]
    """
    n_sec = max(len(analysis.sections), int(bf.section.max(initial=0)) + 1)
    ends = np.append(bf.t_s[1:], bf.t_s[-1] + 0.5) if bf.n else bf.t_s
    bright = _span_mean(analysis.brightness.values, analysis.brightness.rate_hz, bf.t_s, ends) \
        if analysis.brightness.values else np.full(bf.n, 0.5)
    bpm = float(analysis.tempo.bpm)
    fast = float(np.clip((bpm - 90.0) / 60.0, 0.0, 1.0))
    mid = float(np.clip(1.0 - abs(bpm - 97.5) / 30.0, 0.0, 1.0))
    out = np.zeros((len(style_names), n_sec))
    for s in range(n_sec):
        k = bf.section == s
        if not k.any():
            continue
        legato, punch = float(bf.sustain[k].mean()), float(np.clip(2.0 * bf.accent[k].mean(), 0.0, 1.0))
        level = float(np.mean(0.5 * (bf.energy[k] + bf.intensity[k])))
        lit = float(np.clip(bright[k].mean(), 0.0, 1.0))
        fit = {"smooth": legato * (1 - punch), "elegant": legato * (1 - fast),
               "classical": legato * (1 - fast) * (1 - level), "sharp": punch * (1 - legato),
               "hip_hop": punch * (1 - legato) * mid, "bouncy": (1 - legato) * fast, "playful": lit * fast,
               "kids": lit * (1 - legato), "jazz": 0.0}
        out[:, s] = [fit.get(name, 0.0) for name in style_names]
    return out
