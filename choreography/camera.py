"""Camera: a shot plan on bar lines (numba DP) and camera keyframes.

Conventions
-----------
- Shots start on bar lines (downbeats); the first shot starts at frame 0 and also covers any pickup.
  Every shot has ``cut=True`` (frame 0 included: it is where the first clip starts).
- Kinds: ``wide``, ``medium``, ``close`` and ``two_shot`` (only with two or more characters).
- ``camera/zoom``: 1.0 frames the whole stage (wide), about 1.6 medium, 2.4 close, 1.3 two-shot.
  ``camera/x`` and ``camera/y``: pixels the camera centre sits from the stage centre (negative y is up);
  offsets stay small so the subjects remain in frame.
- Every shot keys all three channels at its first frame with interp ``hold`` (the value jumps on the cut);
  a moving shot adds a key on its last frame (``in_out`` for push-in and pull-out, ``linear`` for a pan).

Rules (emission costs per bar, lower is preferred)
--------------------------------------------------
- intro and outro: wide; verse: medium (two-shot when there are several characters); bridge: close;
  chorus: wide and medium alternate by four-bar phrase, close gets cheaper with the bar's accents;
  other: medium.
- Energy pulls toward wider framing (full-body dancing reads best wide) and away from close.
- Cuts: free on a section boundary, cheaper on a phrase start (every fourth bar of a section) than
  elsewhere; cutting to the same kind (a jump cut) is expensive.
- Moves by energy trend across the shot: rising -> push_in, falling -> pull_out, steady and at least four
  bars in a wide or two-shot -> pan, otherwise static.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from choreography import _camera_kernels as K
from choreography.model import Shot, Track, seconds_to_frame
from choreography.music import BeatFeatures

KINDS = ("wide", "medium", "close", "two_shot")
ZOOM = {"wide": 1.0, "medium": 1.6, "close": 2.4, "two_shot": 1.3}
Y_PX = {"wide": 0.0, "medium": -15.0, "close": -40.0, "two_shot": 0.0}

# base emission cost per section kind: wide, medium, close, two_shot
_EMIT = {
    "intro": (0.0, 0.6, 1.2, 0.5),
    "outro": (0.0, 0.6, 1.2, 0.5),
    "verse": (0.6, 0.0, 0.5, -0.1),
    "bridge": (0.6, 0.3, 0.0, 0.4),
    "other": (0.3, 0.0, 0.6, 0.1),
}
_CHORUS_EVEN = (0.0, 0.5, 0.9, 0.4)
_CHORUS_ODD = (0.5, 0.0, 0.9, 0.3)
_SWITCH = np.array([[3.0, 0.1, 0.3, 0.2],
                    [0.1, 3.0, 0.1, 0.2],
                    [0.3, 0.1, 3.0, 0.2],
                    [0.2, 0.2, 0.2, 3.0]])
_CUT_BOUNDARY, _CUT_PHRASE, _CUT_OTHER = 0.0, 0.6, 1.5
_PHRASE_BARS = 4
_TREND = 0.05
_PUSH = 1.2
_PAN_PX = 48.0


def plan_shots(bf: BeatFeatures, section_bounds_s: list[tuple[float, float, str, str]], *, fps: Fraction,
               duration_frames: int, n_characters: int, min_shot_bars: int = 2,
               seed: int = 0) -> tuple[list[Shot], dict[str, Track]]:
    """Plan shots on bar lines and key the camera.

    Parameters
    ----------
    bf : BeatFeatures
        Per-beat features; shots start on beats where ``bf.downbeat`` is True.
    section_bounds_s : list of (start_s, end_s, label, kind)
        Sections in seconds, increasing; ``kind`` is intro, verse, chorus, bridge, outro or other.
    fps : Fraction
        Frame rate (frames per second).
    duration_frames : int
        Length of the song in frames; shots tile ``0 .. duration_frames``.
    n_characters : int
        Characters on stage; ``two_shot`` is only used when there are two or more.
    min_shot_bars : int
        Minimum shot length in bars (the last shot may be shorter when the song ends).
    seed : int
        Seeds a small jitter on the emission costs and the pan direction.

    Returns
    -------
    shots : list of Shot
        Contiguous, ``end_frame`` exclusive.
    tracks : dict of str to Track
        ``camera/zoom``, ``camera/x`` (px), ``camera/y`` (px).

    Raises
    ------
    ValueError
        When ``duration_frames`` is negative or ``min_shot_bars`` below 1.
    """
    if duration_frames < 0:
        raise ValueError(f"duration_frames = {duration_frames} is negative")
    if min_shot_bars < 1:
        raise ValueError(f"min_shot_bars = {min_shot_bars} must be at least 1 bar")
    rng = np.random.default_rng(seed)
    kinds = KINDS if n_characters >= 2 else KINDS[:3]
    if duration_frames == 0:
        return [], {name: Track((), (), ()) for name in ("camera/zoom", "camera/x", "camera/y")}

    bar_beat, bar_frame = _bars(bf, fps, duration_frames)
    n_bars = len(bar_beat)
    starts_s = np.array([float(s[0]) for s in section_bounds_s])
    sec_kind = [str(s[3]) for s in section_bounds_s]
    bar_t = bf.t_s[bar_beat] if n_bars else np.zeros(0)
    bar_sec = np.clip(np.searchsorted(starts_s, bar_t + 1e-6, side="right") - 1, 0, None) if len(starts_s) else (
        np.zeros(n_bars, dtype=np.int64))
    beat_end = np.append(bar_beat[1:], bf.n) if n_bars else bar_beat
    energy = np.array([bf.energy[a:b].mean() for a, b in zip(bar_beat, beat_end, strict=True)])
    accent = np.array([bf.accent[a:b].mean() for a, b in zip(bar_beat, beat_end, strict=True)])

    cut_cost = np.empty(n_bars)
    kind_cost = np.empty((len(kinds), n_bars))
    in_section = 0
    for j in range(n_bars):
        boundary = j == 0 or bar_sec[j] != bar_sec[j - 1]
        in_section = 0 if boundary else in_section + 1
        if boundary:
            cut_cost[j] = _CUT_BOUNDARY
        else:
            cut_cost[j] = _CUT_PHRASE if in_section % _PHRASE_BARS == 0 else _CUT_OTHER
        kind = sec_kind[bar_sec[j]] if sec_kind else "other"
        if kind == "chorus":
            base = np.array(_CHORUS_EVEN if (in_section // _PHRASE_BARS) % 2 == 0 else _CHORUS_ODD)
            base[2] -= 0.7 * accent[j]
        else:
            base = np.array(_EMIT.get(kind, _EMIT["other"]))
        lean = 0.3 * (energy[j] - 0.5)
        base[0] -= lean
        base[2] += lean
        kind_cost[:, j] = base[:len(kinds)]
    kind_cost += rng.uniform(0.0, 0.05, kind_cost.shape)
    switch = np.ascontiguousarray(_SWITCH[:len(kinds), :len(kinds)])

    if n_bars == 0:
        kind_of_shot = [0]
        shot_bars = [np.zeros(0, dtype=np.int64)]
        shot_start = [0]
    else:
        cost, back = K.shot_dp_forward(cut_cost, kind_cost, switch, int(min_shot_bars))
        state, cut = K.shot_dp_backtrack(back, _last_state(cost, int(min_shot_bars)))
        first = np.flatnonzero(cut)
        kind_of_shot = [int(state[j]) // int(min_shot_bars) for j in first]
        shot_bars = np.split(np.arange(n_bars), first[1:])
        shot_start = [0] + [int(bar_frame[j]) for j in first[1:]]

    shots: list[Shot] = []
    keys: dict[str, list[tuple[int, float, str]]] = {"camera/zoom": [], "camera/x": [], "camera/y": []}
    pan_dir = 1.0 if rng.uniform() < 0.5 else -1.0
    for i, (k, bars, start) in enumerate(zip(kind_of_shot, shot_bars, shot_start, strict=True)):
        end = shot_start[i + 1] if i + 1 < len(shot_start) else duration_frames
        name = kinds[k]
        shots.append(Shot(start, end, name, True))
        move = _move(energy[bars], name)
        z, y = ZOOM[name], Y_PX[name]
        z0, z1 = (z, z * _PUSH) if move == "push_in" else (z * _PUSH, z) if move == "pull_out" else (z, z)
        x0, x1 = (-pan_dir * _PAN_PX / z, pan_dir * _PAN_PX / z) if move == "pan" else (0.0, 0.0)
        keys["camera/zoom"].append((start, z0, "hold"))
        keys["camera/x"].append((start, x0, "hold"))
        keys["camera/y"].append((start, y, "hold"))
        if end - 1 > start and move != "static":
            if move == "pan":
                keys["camera/x"].append((end - 1, x1, "linear"))
            else:
                keys["camera/zoom"].append((end - 1, z1, "in_out"))
    tracks = {name: Track(tuple(int(f) for f, _, _ in ks), tuple(float(v) for _, v, _ in ks),
                          tuple(i for _, _, i in ks)) for name, ks in keys.items()}
    return shots, tracks


def shot_move(energy_per_bar: np.ndarray, kind: str) -> str:
    """The camera move of a shot from its energy trend.

    Parameters
    ----------
    energy_per_bar : np.ndarray [shape=(n_bars,), 0..1]
        Mean energy of each bar in the shot.
    kind : str
        Shot kind.

    Returns
    -------
    str
        ``push_in`` (energy rising), ``pull_out`` (falling), ``pan`` (steady, at least four bars, wide or
        two-shot) or ``static``.
    """
    return _move(np.asarray(energy_per_bar, dtype=np.float64), kind)


def _move(e: np.ndarray, kind: str) -> str:
    if e.size >= 2:
        h = e.size // 2
        trend = float(e[h:].mean() - e[:h].mean())
        if trend > _TREND:
            return "push_in"
        if trend < -_TREND:
            return "pull_out"
    if e.size >= 4 and kind in ("wide", "two_shot"):
        return "pan"
    return "static"


def _bars(bf: BeatFeatures, fps: Fraction, duration_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """Beat index and frame of each usable bar line: inside the song, frames strictly increasing."""
    beats, frames = [], []
    for i in np.flatnonzero(np.asarray(bf.downbeat, dtype=bool)):
        f = seconds_to_frame(float(bf.t_s[i]), fps)
        if 0 <= f < duration_frames and (not frames or f > frames[-1]):
            beats.append(int(i))
            frames.append(f)
    return np.array(beats, dtype=np.int64), np.array(frames, dtype=np.int64)


def _last_state(cost: np.ndarray, min_len: int) -> int:
    """Best final state, preferring one whose last shot is complete (at least ``min_len`` bars)."""
    complete = cost[min_len - 1::min_len]
    if np.isfinite(complete).any():
        return int(np.argmin(complete)) * min_len + min_len - 1
    return int(np.argmin(cost))
