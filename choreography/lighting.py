"""Lighting: a palette per section and beat flashes, rate-limited for photosensitivity.

Conventions
-----------
- ``light/intensity`` is 0..1, ``light/hue`` degrees (0..360), ``light/saturation`` 0..1.
- Palettes follow the section kind (intro cool blue, verse warm amber, chorus saturated magenta, bridge
  violet, outro dim blue, other teal). Sections with the same repeat label share one palette; a second
  distinct label of the same kind is shifted by 25 degrees so that it still reads as different.
- Each section sets a base intensity of 0.3 + 0.2 x its mean energy (a band 0.2 wide, so a section change
  never counts as a flash). Hue, saturation and base intensity jump at the section start (interp ``hold``).
- A flash is an intensity rise of more than 0.2 (:data:`FLASH_RISE`). Flashes go on strong downbeats and
  accents in high-energy sections (chorus, or mean energy at least 0.55): the key jumps to
  ``base + 0.45`` on the beat (``hold``) and decays back to the base within the beat (``out``). Weaker beats
  in those sections get a soft pulse of +0.15, which is not a flash.
- Photosensitivity guidance: never more than ``max_flashes_per_s`` flashes in any 1-second window. Candidates
  are taken strongest first and kept only if every 1-second window still holds at most
  ``floor(max_flashes_per_s)`` of them; the rejected ones become soft pulses.
"""

from __future__ import annotations

import bisect
import math
from fractions import Fraction

import numpy as np

from choreography.model import Track, seconds_to_frame
from choreography.music import BeatFeatures

FLASH_RISE = 0.2
PALETTES = {  # kind: (hue degrees, saturation)
    "intro": (210.0, 0.5),
    "verse": (35.0, 0.6),
    "chorus": (320.0, 0.9),
    "bridge": (265.0, 0.7),
    "outro": (220.0, 0.4),
    "other": (180.0, 0.5),
}
_LABEL_SHIFT_DEG = 25.0
_BASE, _BASE_SPAN = 0.3, 0.2
_FLASH, _PULSE = 0.45, 0.15
_HIGH_ENERGY = 0.55
_STRONG_DOWNBEAT, _STRONG_ACCENT = 0.3, 0.6
_DECAY = 0.6  # share of the beat a flash takes to fall back


def plan_lighting(bf: BeatFeatures, section_bounds_s: list[tuple[float, float, str, str]], *, fps: Fraction,
                  duration_frames: int, max_flashes_per_s: float = 3.0) -> tuple[dict[str, Track], dict]:
    """Key the lights: a palette per section and rate-limited beat flashes.

    Parameters
    ----------
    bf : BeatFeatures
        Per-beat features (``t_s`` seconds, ``downbeat``, ``energy`` and ``accent`` 0..1).
    section_bounds_s : list of (start_s, end_s, label, kind)
        Sections in seconds, increasing.
    fps : Fraction
        Frame rate (frames per second).
    duration_frames : int
        Length of the song in frames; every key lies in ``0 .. duration_frames - 1``.
    max_flashes_per_s : float
        Most flashes (intensity rises above 0.2) allowed in any 1-second window.

    Returns
    -------
    tracks : dict of str to Track
        ``light/intensity`` (0..1), ``light/hue`` (degrees), ``light/saturation`` (0..1).
    stats : dict
        ``{"flashes": int, "max_flashes_in_any_1s": int}``, measured on the finished intensity track.

    Raises
    ------
    ValueError
        When ``duration_frames`` or ``max_flashes_per_s`` is negative.
    """
    if duration_frames < 0:
        raise ValueError(f"duration_frames = {duration_frames} is negative")
    if not max_flashes_per_s >= 0:
        raise ValueError(f"max_flashes_per_s = {max_flashes_per_s} must be >= 0 (flashes per second)")
    names = ("light/intensity", "light/hue", "light/saturation")
    if duration_frames == 0:
        return {n: Track((), (), ()) for n in names}, {"flashes": 0, "max_flashes_in_any_1s": 0}

    sections = list(section_bounds_s) or [(0.0, float("inf"), "A", "other")]
    starts_s = np.array([float(s[0]) for s in sections])
    beat_sec = np.clip(np.searchsorted(starts_s, bf.t_s + 1e-6, side="right") - 1, 0, None)
    palettes = section_palettes(sections)
    base = []
    for i in range(len(sections)):
        e = bf.energy[beat_sec == i]
        base.append(_BASE + _BASE_SPAN * float(np.clip(e.mean(), 0.0, 1.0)) if e.size else _BASE)
    high = [s[3] == "chorus" or (b - _BASE) / _BASE_SPAN >= _HIGH_ENERGY for s, b in zip(sections, base, strict=True)]

    # section keys: frame of each section start (the first one pulled to frame 0), later ones win a shared frame
    sec_key: dict[int, int] = {}
    for i, s in enumerate(sections):
        f = 0 if i == 0 else seconds_to_frame(float(s[0]), fps)
        if 0 <= f < duration_frames:
            sec_key[f] = i
    sec_frames = sorted(sec_key)

    def section_at(frame: int) -> int:
        return sec_key[sec_frames[bisect.bisect_right(sec_frames, frame) - 1]]

    # beats with room for a rise and a decay before the next beat
    beat_frames = [seconds_to_frame(float(t), fps) for t in bf.t_s]
    candidates, pulses = [], []
    for i, f in enumerate(beat_frames):
        nxt = beat_frames[i + 1] if i + 1 < len(beat_frames) else duration_frames
        if not 0 <= f < duration_frames or nxt - f < 2 or not high[beat_sec[i]]:
            continue
        strong = (bool(bf.downbeat[i]) and bf.accent[i] >= _STRONG_DOWNBEAT) or bf.accent[i] >= _STRONG_ACCENT
        decay = max(1, min(nxt - f - 1, int(round(_DECAY * (nxt - f)))))
        item = (f, decay, float(bf.accent[i]) + 0.3 * bool(bf.downbeat[i]))
        (candidates if strong else pulses).append(item)
    kept = _limit(candidates, int(math.floor(max_flashes_per_s)), fps)
    pulses += [c for c in candidates if c[0] not in kept]

    # intensity keys by priority: flash peak > section start > pulse peak > decay
    keys: dict[int, tuple[int, float, str]] = {}

    def put(frame: int, rank: int, value: float, interp: str) -> None:
        if 0 <= frame < duration_frames and (frame not in keys or keys[frame][0] < rank):
            keys[frame] = (rank, value, interp)

    for f in sec_frames:
        put(f, 2, base[sec_key[f]], "hold")
    for f, decay, _ in candidates:
        b = base[section_at(f)]
        if f in kept:
            put(f, 3, min(1.0, b + _FLASH), "hold")
        else:
            put(f, 1, min(1.0, b + _PULSE), "hold")
        put(f + decay, 0, base[section_at(f + decay)], "out")
    for f, decay, _ in pulses:
        if f not in kept:
            put(f, 1, min(1.0, base[section_at(f)] + _PULSE), "hold")
            put(f + decay, 0, base[section_at(f + decay)], "out")
    frames = sorted(keys)
    intensity = Track(tuple(frames), tuple(keys[f][1] for f in frames), tuple(keys[f][2] for f in frames))
    hue = Track(tuple(sec_frames), tuple(palettes[sec_key[f]][0] for f in sec_frames), ("hold",) * len(sec_frames))
    sat = Track(tuple(sec_frames), tuple(palettes[sec_key[f]][1] for f in sec_frames), ("hold",) * len(sec_frames))
    flash_frames = flash_frames_of(intensity)
    stats = {"flashes": len(flash_frames), "max_flashes_in_any_1s": max_in_window(flash_frames, fps)}
    return dict(zip(names, (intensity, hue, sat), strict=True)), stats


def section_palettes(sections: list[tuple[float, float, str, str]]) -> list[tuple[float, float]]:
    """Hue (degrees) and saturation (0..1) of each section; equal labels get equal palettes.

    Parameters
    ----------
    sections : list of (start_s, end_s, label, kind)

    Returns
    -------
    list of (hue_deg, saturation)
    """
    by_label: dict[str, tuple[float, float]] = {}
    labels_of_kind: dict[str, int] = {}
    out = []
    for _, _, label, kind in sections:
        if label not in by_label:
            hue, sat = PALETTES.get(kind, PALETTES["other"])
            n = labels_of_kind.get(kind, 0)
            labels_of_kind[kind] = n + 1
            by_label[label] = ((hue + _LABEL_SHIFT_DEG * n) % 360.0, sat)
        out.append(by_label[label])
    return out


def flash_frames_of(track: Track, rise: float = FLASH_RISE) -> list[int]:
    """Frames where the intensity rises by more than ``rise`` from the previous key.

    Parameters
    ----------
    track : Track
        ``light/intensity``.
    rise : float
        Smallest rise (0..1) that counts as a flash.

    Returns
    -------
    list of int
    """
    v = track.values
    return [track.frames[i] for i in range(1, len(v)) if v[i] - v[i - 1] > rise]


def max_in_window(frames: list[int], fps: Fraction, window_s: float = 1.0) -> int:
    """Most events in any half-open window of ``window_s`` seconds.

    Parameters
    ----------
    frames : list of int, increasing
    fps : Fraction
    window_s : float, seconds

    Returns
    -------
    int
    """
    width = Fraction(window_s) * fps  # window length in frames, exact
    best = 0
    for i, f in enumerate(frames):
        j = bisect.bisect_left(frames, f + width, lo=i)  # frames[j] >= f + width lie outside
        best = max(best, j - i)
    return best


def _limit(candidates: list[tuple[int, int, float]], max_n: int, fps: Fraction) -> set[int]:
    """Strongest-first selection with at most ``max_n`` flashes in any 1-second window."""
    kept: list[int] = []
    if max_n <= 0:
        return set()
    for f, _, _ in sorted(candidates, key=lambda c: (-c[2], c[0])):
        # only windows that contain f can change: check the kept flashes within one second either side
        lo = bisect.bisect_left(kept, f - fps)
        hi = bisect.bisect_right(kept, f + fps)
        near = kept[lo:hi]
        bisect.insort(near, f)
        if max_in_window(near, fps) <= max_n:
            bisect.insort(kept, f)
    return set(kept)
