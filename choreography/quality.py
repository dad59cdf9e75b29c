"""Quality report of a choreography against its analysis.

- **beat alignment** (Bailando's beat alignment score): the dance's kinetic beats are the local minima
  of its kinetic speed (mean speed of all joints, from forward kinematics); each music beat scores
  ``exp(-d**2 / (2 * sigma**2))`` with ``d`` the distance to the nearest kinetic beat, sigma 50 ms;
- **starts on beats**: share of move starts on a beat's frame (within one frame);
- **repeat agreement**: share of moves in repeated sections equal to the first occurrence's at the same
  beat offset;
- **variety**: distinct moves (mirror images count as one) over placements, and the usage entropy;
- **what a viewer sees** (mirror images count as one move; sections that repeat an earlier section's
  label are left out, since they are meant to repeat it): the share of the dance time taken by the most
  used move, overall and in the worst section of 4 bars or more; distinct moves per minute; the longest
  run of one move back to back, and how many runs are longer than 2; phrase alignment (the share of phrase
  starts, see :class:`choreography.music.BeatFeatures`, on which a move starts); phrase-end hits (the
  share of phrases whose last bar has an accent or hold move starting in it); style fit (per section, the
  share of its moves that have the style its music suits best, :func:`choreography.music.style_affinity`,
  averaged over the sections); and the correlation of
  the moves' energy with the music's energy per beat (the mean of loudness and spectral flux: loudness
  alone is nearly flat in a heavily compressed master);
- **cuts on downbeats** and **flash rate** once camera and lighting are solved (reported as n/a before).
"""

from __future__ import annotations

import functools

import numpy as np

from audio.model import Analysis
from choreography.model import Choreography, seconds_to_frame

#: Samples per beat of a move's kinetic profile (see :func:`move_beat_fit`).
PROFILE_SAMPLES_PER_BEAT = 24


def kinetic_beats(speed: np.ndarray, fps: float) -> np.ndarray:
    """The kinetic beats of a speed curve: its local minima, smoothed over 3 frames, 2 frames each side.

    ``speed[k]`` is the motion from frame ``k`` to ``k + 1``, so a minimum there is placed half a frame
    after frame ``k``. A flat minimum (equal values, as keyframed motion gives: a pose eased in and out
    symmetrically about its key has the same speed on both sides, and a hold has none) counts once, at its
    middle, where :func:`scipy.signal.find_peaks` puts a flat peak; strict minima alone
    (``scipy.signal.argrelextrema``) would miss every such stop.

    Parameters
    ----------
    speed : np.ndarray [shape=(n_frames,), px per frame]
    fps : float

    Returns
    -------
    np.ndarray [shape=(k,), seconds]
    """
    n = speed.size
    if n < 3:
        return np.zeros(0)
    smooth = np.convolve(speed, np.ones(3) / 3, mode="same")
    tie = 1e-9 * float(np.max(np.abs(smooth))) + 1e-12  # rounding of a sum, not a difference in motion
    starts = np.flatnonzero(np.concatenate(([True], np.abs(np.diff(smooth)) > tie)))
    ends = np.append(starts[1:] - 1, n - 1)
    level = smooth[starts] + tie
    lowest = np.ones(starts.size, dtype=bool)
    for k in (1, 2):  # the ends count as higher only inside the curve (an end is never a minimum)
        lowest &= smooth[np.maximum(starts - k, 0)] > level
        lowest &= smooth[np.minimum(ends + k, n - 1)] > level
    return ((starts[lowest] + ends[lowest]) / 2 + 0.5) / fps


def beat_alignment_score(speed: np.ndarray, fps: float, beats_s: np.ndarray, *, sigma_s: float = 0.05) -> float:
    """Bailando's beat alignment score from a kinetic speed curve.

    Parameters
    ----------
    speed : np.ndarray [shape=(n_frames,), px per frame]
    fps : float
    beats_s : np.ndarray [shape=(b,), seconds]
    sigma_s : float, seconds

    Returns
    -------
    float, 0..1
    """
    minima = kinetic_beats(speed, fps)
    if minima.size == 0 or beats_s.size == 0:
        return 0.0
    d = np.min(np.abs(beats_s[:, None] - minima[None, :]), axis=1)
    return float(np.mean(np.exp(-(d**2) / (2 * sigma_s**2))))


def move_beat_fit(lib, rig, period_s: float, fps: float, *, beats_per_move_beat: int = 1) -> np.ndarray:
    """How well each move, danced alone at a tempo, comes to rest on the beats: its beat alignment score.

    Each move is danced twice over, its beats ``beats_per_move_beat`` song beats long (2 at half time),
    sampled at ``fps``; the score is taken on the song beats inside (the seam between the two included),
    as :func:`report` takes it on a whole dance. It depends on the tempo: at 180 BPM a move with keys a
    quarter beat apart blurs its stops together; at 70 BPM one that rests every other beat leaves the beats
    between empty. Speeds come from each move's kinetic profile (forward kinematics of the rig, once per
    library and rig), resampled at the tempo; joint limits are not applied. Results are cached per tempo
    (to the millisecond), frame rate, library and rig, so re-solving a song costs nothing.

    Parameters
    ----------
    lib : MoveLibrary
    rig : Rig
    period_s : float
        Seconds per song beat.
    fps : float
    beats_per_move_beat : int

    Returns
    -------
    np.ndarray [shape=(len(lib),), 0..1]
        In library order.
    """
    return _beat_fit(lib, rig, round(float(period_s), 3), float(fps), int(beats_per_move_beat))


@functools.lru_cache(maxsize=16)
def _beat_fit(lib, rig, period_s: float, fps: float, sub: int) -> np.ndarray:
    r = PROFILE_SAMPLES_PER_BEAT
    move_period = period_s * sub
    out = np.zeros(len(lib))
    for i, (move, profile) in enumerate(zip(lib, _kinetic_profiles(lib, rig), strict=True)):
        n_frames = int(2 * move.beats * move_period * fps) + 1
        # Frame k's speed is its move from frame k to k + 1: the profile at the middle of that interval.
        middle = ((np.arange(n_frames) + 0.5) / fps / move_period) % move.beats
        speed = np.interp(middle * r - 0.5, np.arange(profile.size), profile) * r / (move_period * fps)
        beats = np.arange(1, int(round(2 * move.beats * sub))) * period_s
        out[i] = beat_alignment_score(speed, fps, beats)
    out.flags.writeable = False
    return out


@functools.lru_cache(maxsize=4)
def _kinetic_profiles(lib, rig) -> tuple[np.ndarray, ...]:
    """Each move's mean joint speed per profile sample (px), over one performance of the move."""
    from choreography.moves import BONES, rig_root_scale, sample_move

    r = PROFILE_SAMPLES_PER_BEAT
    poses = [sample_move(m, np.arange(int(round(m.beats * r)) + 1) / r, BONES, root_scale=rig_root_scale(rig))
             for m in lib]
    allp = np.concatenate(poses)
    speed = kinetic_speed(rig, allp[:, :len(BONES)], allp[:, len(BONES):])
    bounds = np.cumsum([0] + [p.shape[0] for p in poses])
    # speed[b - 1] is the step from one move's last sample to the next move's first: not part of either
    return tuple(speed[a:b - 1] for a, b in zip(bounds[:-1], bounds[1:], strict=True))


def kinetic_speed(rig, rotations_deg: np.ndarray, root_px: np.ndarray) -> np.ndarray:
    """Mean speed of a rig's bone ends from each frame to the next: what the beat alignment score reads.

    Parameters
    ----------
    rig : Rig
    rotations_deg : np.ndarray [shape=(n, k), degrees]
        Offsets from the rest pose of the rig's first ``k`` bones (the others stay at rest).
    root_px : np.ndarray [shape=(n, 2), px]
        Root offsets from the rig's origin, y up.

    Returns
    -------
    np.ndarray [shape=(n - 1,), px per frame]
    """
    from choreography.rig import forward_kinematics

    full = np.zeros((rotations_deg.shape[0], len(rig.bones)))
    full[:, : rotations_deg.shape[1]] = rotations_deg
    ends = forward_kinematics(rig, full, rig.origin_xy + root_px * np.array([1.0, -1.0]))[:, :, 1, :]
    return np.linalg.norm(np.diff(ends, axis=0), axis=2).mean(axis=1)


def report(c: Choreography, analysis: Analysis, rigs: dict, lib=None) -> dict[str, object]:
    """Compute the quality figures (see the module docstring).

    Parameters
    ----------
    c : Choreography
    analysis : Analysis
    rigs : dict of str to Rig
        The rigs the choreography was made for (for kinetic speeds).
    lib : MoveLibrary, optional
        The library the moves come from (for their energies) [default: the shipped library].

    Returns
    -------
    dict
        Per character and overall figures.
    """
    from choreography.moves import BONES, load_moves
    from choreography.music import beat_features
    from choreography.sampling import sample_character

    lib = lib if lib is not None else load_moves()
    bf = beat_features(analysis)
    beats_s = np.array([b.t for b in analysis.beats])
    beat_frames = {seconds_to_frame(t, c.fps) for t in beats_s}
    out: dict[str, object] = {}
    for ch in c.characters:
        rig = rigs[ch]
        speed = kinetic_speed(rig, *sample_character(c.tracks, ch, BONES, c.duration_frames))
        mine = [m for m in c.moves if m.character == ch]
        base = [m.move.split("~")[0] for m in mine]
        counts = np.array(list({b: base.count(b) for b in set(base)}.values()), dtype=float)
        p = counts / counts.sum() if counts.size else counts
        out[ch] = {
            "beat_alignment": beat_alignment_score(np.append(speed, speed[-1:]), float(c.fps), beats_s),
            "starts_on_beats": float(np.mean([any(m.start_frame + d in beat_frames for d in (-1, 0, 1))
                                              for m in mine])) if mine else 0.0,
            "repeat_agreement": _repeat_agreement(mine, analysis),
            "distinct_moves": int(len(counts)),
            "placements": len(mine),
            "usage_entropy_bits": float(-(p * np.log2(p)).sum()) if p.size else 0.0,
            **viewer_figures(mine, bf, lib, c.fps, analysis),
        }
    downbeats = {seconds_to_frame(b.t, c.fps) for b in analysis.beats if b.beat == 1}
    bounds = {seconds_to_frame(s.start, c.fps) for s in analysis.sections}
    cuts = [s.start_frame for s in c.shots if s.cut and s.start_frame > 0]
    out["cuts_on_downbeats_or_boundaries"] = (float(np.mean([f in downbeats or f in bounds for f in cuts]))
                                              if cuts else "n/a (no camera cuts)")
    light = c.tracks.get("light/intensity")
    if light is not None:
        from choreography.lighting import flash_frames_of, max_in_window

        flashes = flash_frames_of(light)
        out["flashes"] = len(flashes)
        out["max_flashes_in_any_second"] = max_in_window(flashes, c.fps)
    else:
        out["flashes"] = out["max_flashes_in_any_second"] = "n/a (no lighting)"
    return out


def _repeat_agreement(moves, analysis: Analysis) -> float | str:
    """Share of the moves in repeated sections equal to the first occurrence's at the same place in the bar."""
    from choreography.music import repeat_targets

    beat_t = np.array([b.t for b in analysis.beats])
    beat_in_bar = np.array([b.beat for b in analysis.beats])
    first: dict[str, int] = {}
    same = total = 0

    def beats_of(sec) -> np.ndarray:
        return np.flatnonzero((beat_t >= sec.start - 1e-6) & (beat_t < sec.end - 1e-6))

    for i, s in enumerate(analysis.sections):
        if s.label not in first:
            first[s.label] = i
            continue
        src, here = beats_of(analysis.sections[first[s.label]]), beats_of(s)
        if not src.size or not here.size:
            continue
        copied = {t: m.move.split("~")[0] for m in moves if src[0] <= m.start_beat <= src[-1]
                  for t in repeat_targets(beat_in_bar, src, here, m.start_beat)}
        for m in moves:
            if here[0] <= m.start_beat <= here[-1]:
                total += 1
                same += copied.get(m.start_beat) == m.move.split("~")[0]
    return same / total if total else "n/a (no repeated sections)"


def viewer_figures(moves: list, bf, lib, fps, analysis: Analysis) -> dict[str, object]:
    """The figures of what a viewer sees, for one character's moves (see the module docstring).

    Parameters
    ----------
    moves : list of MovePlacement
        One character's, in time order.
    bf : BeatFeatures
    lib : MoveLibrary
    fps : Fraction
    analysis : Analysis

    Returns
    -------
    dict
        ``top_move_share``, ``worst_section_top_share``, ``distinct_per_minute``, ``longest_run``,
        ``runs_over_2``, ``phrase_alignment``, ``metric_alignment``, ``phrase_end_hits``, ``hook_returns``,
        ``style_fit``, ``energy_correlation``.
    """
    from choreography.music import beat_period

    if not moves:
        return {}
    seen: set[str] = set()
    first_time = []  # per section: does it play its label for the first time?
    for sec in analysis.sections:
        first_time.append(sec.label not in seen)
        seen.add(sec.label)
    base = [m.move.split("~")[0] for m in moves]
    # Dance time ends a beat after the last beat: the last move's hold through the song's tail is not danced.
    period = beat_period(bf.t_s)
    last = seconds_to_frame(float(bf.t_s[-1]) + period, fps) if bf.t_s.size else None
    frames = np.array([(m.end_frame if last is None else min(m.end_frame, max(last, m.start_frame + 1)))
                       - m.start_frame for m in moves], dtype=float)
    sec_of = np.array([bf.section[min(m.start_beat, bf.section.size - 1)] for m in moves])
    fresh = np.array([first_time[s] if s < len(first_time) else True for s in sec_of])

    def top_share(mask: np.ndarray) -> float:
        if not mask.any() or frames[mask].sum() <= 0:
            return 0.0
        per: dict[str, float] = {}
        for b, f in zip(np.array(base)[mask], frames[mask], strict=True):
            per[b] = per.get(b, 0.0) + f
        return max(per.values()) / frames[mask].sum()

    bars_per_section = [len({b.bar for b in analysis.beats if s.start - 1e-6 <= b.t < s.end - 1e-6})
                        for s in analysis.sections]
    worst = max((top_share(fresh & (sec_of == i)) for i in range(len(analysis.sections))
                 if first_time[i] and bars_per_section[i] >= 4), default=top_share(fresh))
    runs, run = [], 1
    for i in range(1, len(base)):
        if base[i] == base[i - 1] and fresh[i]:
            run += 1
        else:
            runs.append(run)
            run = 1
    runs.append(run)
    starts = np.zeros(bf.t_s.size, dtype=bool)
    starts[[min(m.start_beat, bf.t_s.size - 1) for m in moves]] = True
    # Move energy per beat: each beat gets the energy of the move danced on it.
    move_energy = np.full(bf.t_s.size, np.nan)
    for m, b in zip(moves, base, strict=True):
        stop = int(np.searchsorted(bf.t_s, float(m.end_frame) / float(fps) - 1e-6))
        move_energy[m.start_beat:max(stop, m.start_beat + 1)] = lib[b].energy if b in lib else np.nan
    ok = np.isfinite(move_energy)
    level = 0.5 * (bf.energy + bf.intensity)  # the music's energy as the solver reads it: loudness and flux
    corr = (float(np.corrcoef(move_energy[ok], level[ok])[0, 1])
            if ok.sum() > 2 and np.std(move_energy[ok]) > 0 and np.std(level[ok]) > 0 else 0.0)
    minutes = max(float(bf.t_s[-1] - bf.t_s[0]) / 60.0, 1e-9) if bf.t_s.size > 1 else 1.0
    return {
        "top_move_share": top_share(fresh),
        "worst_section_top_share": worst,
        "distinct_per_minute": len(set(base)) / minutes,
        "longest_run": int(max(runs)),
        "runs_over_2": int(sum(r > 2 for r in runs)),
        "phrase_alignment": float(np.mean(starts[bf.phrase_start])) if bf.phrase_start.any() else 0.0,
        "metric_alignment": _metric_alignment(moves, base, bf, lib),
        "phrase_end_hits": _phrase_end_hits(moves, bf, lib),
        "hook_returns": _hook_returns(moves, base, bf, analysis),
        "style_fit": _style_fit(moves, bf, lib, analysis),
        "energy_correlation": corr,
    }


def _metric_alignment(moves: list, base: list[str], bf, lib) -> float:
    """Share of the moves with a place in their bar that start on it (1.0 when none has one)."""
    from choreography.music import metric_grid

    known = [(m.start_beat, lib[b].beats) for m, b in zip(moves, base, strict=True)
             if b in lib and 0 <= m.start_beat < bf.n]
    if not known:
        return 1.0
    start, length = np.array(known, dtype=np.int64).T
    has_grid, off_grid = metric_grid(length, bf)
    rows = np.arange(start.size)
    placed = has_grid[rows, start]
    return float(1.0 - off_grid[rows, start][placed].mean()) if placed.any() else 1.0


def _hook_returns(moves: list, base: list[str], bf, analysis: Analysis) -> float | str:
    """Share of the later choruses that open (on their first downbeat) with the first chorus's opening move."""
    openers = []
    for i, sec in enumerate(analysis.sections):
        downs = np.flatnonzero((bf.section == i) & bf.downbeat)
        if sec.kind == "chorus" and downs.size:
            openers.append(next((b for m, b in zip(moves, base, strict=True) if m.start_beat == downs[0]), None))
    if len(openers) < 2:
        return "n/a (fewer than 2 choruses)"
    return float(np.mean([o is not None and o == openers[0] for o in openers[1:]]))


def _phrase_end_hits(moves: list, bf, lib) -> float:
    from choreography.music import phrase_ends

    ends = phrase_ends(bf)
    marked = np.zeros(bf.n, dtype=bool)
    for m in moves:
        b = m.move.split("~")[0]
        if b in lib and ({"accent", "hold"} & set(lib[b].tags)) and m.start_beat < bf.n:
            marked[m.start_beat] = True
    # one flag per phrase end: a run of end beats is one phrase's last bar
    runs = np.flatnonzero(np.diff(np.concatenate([[0], ends.astype(int), [0]])) == 1)
    stops = np.flatnonzero(np.diff(np.concatenate([[0], ends.astype(int), [0]])) == -1)
    hits = [marked[a:b].any() for a, b in zip(runs, stops, strict=True)]
    return float(np.mean(hits)) if hits else 0.0


def _style_fit(moves: list, bf, lib, analysis: Analysis) -> float:
    from choreography.moves import STYLES
    from choreography.music import style_affinity

    best = np.argmax(style_affinity(analysis, bf, STYLES), axis=0)
    per: dict[int, list[bool]] = {}
    for m in moves:
        b = m.move.split("~")[0]
        if m.start_beat < bf.n and b in lib:
            sec = int(bf.section[m.start_beat])
            per.setdefault(sec, []).append(STYLES[best[sec]] in lib[b].styles)
    return float(np.mean([np.mean(v) for v in per.values()])) if per else 0.0
