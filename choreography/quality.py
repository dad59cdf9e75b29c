"""Quality report of a choreography against its analysis.

- **beat alignment** (Bailando's beat alignment score): the dance's kinetic beats are the local minima
  of its kinetic speed (mean speed of all joints, from forward kinematics); each music beat scores
  ``exp(-d**2 / (2 * sigma**2))`` with ``d`` the distance to the nearest kinetic beat, sigma 50 ms;
- **starts on beats**: share of move starts on a beat's frame (within one frame);
- **repeat agreement**: share of moves in repeated sections equal to the first occurrence's at the same
  beat offset;
- **variety**: distinct moves (mirror images count as one) over placements, and the usage entropy;
- **cuts on downbeats** and **flash rate** once camera and lighting are solved (reported as n/a before).
"""

from __future__ import annotations

import numpy as np

from audio.model import Analysis
from choreography.model import Choreography, seconds_to_frame


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
    from scipy.signal import argrelextrema

    if speed.size < 3 or beats_s.size == 0:
        return 0.0
    smooth = np.convolve(speed, np.ones(3) / 3, mode="same")
    minima = argrelextrema(smooth, np.less, order=2)[0] / fps
    if minima.size == 0:
        return 0.0
    d = np.min(np.abs(beats_s[:, None] - minima[None, :]), axis=1)
    return float(np.mean(np.exp(-(d**2) / (2 * sigma_s**2))))


def report(c: Choreography, analysis: Analysis, rigs: dict) -> dict[str, object]:
    """Compute the quality figures (see the module docstring).

    Parameters
    ----------
    c : Choreography
    analysis : Analysis
    rigs : dict of str to Rig
        The rigs the choreography was made for (for kinetic speeds).

    Returns
    -------
    dict
        Per character and overall figures.
    """
    from choreography.moves import BONES
    from choreography.rig import forward_kinematics
    from choreography.sampling import sample_character

    beats_s = np.array([b.t for b in analysis.beats])
    beat_frames = {seconds_to_frame(t, c.fps) for t in beats_s}
    out: dict[str, object] = {}
    for ch in c.characters:
        rig = rigs[ch]
        rot, root = sample_character(c.tracks, ch, BONES, c.duration_frames)
        full = np.zeros((rot.shape[0], len(rig.bones)))
        full[:, : len(BONES)] = rot
        pts = forward_kinematics(rig, full, rig.origin_xy + root * np.array([1.0, -1.0]))
        ends = pts[:, :, 1, :]
        speed = np.linalg.norm(np.diff(ends, axis=0), axis=2).mean(axis=1)
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
    starts = [s.start for s in analysis.sections]
    beat_t = np.array([b.t for b in analysis.beats])
    first: dict[str, int] = {}
    same = total = 0
    for i, s in enumerate(analysis.sections):
        if s.label not in first:
            first[s.label] = i
            continue
        j = first[s.label]
        b_here = int(np.searchsorted(beat_t, starts[i] - 1e-6))
        b_first = int(np.searchsorted(beat_t, starts[j] - 1e-6))
        src = {m.start_beat - b_first: m.move.split("~")[0] for m in moves
               if analysis.sections[j].start - 1e-6 <= beat_t[m.start_beat] < analysis.sections[j].end - 1e-6}
        for m in moves:
            if s.start - 1e-6 <= beat_t[m.start_beat] < s.end - 1e-6:
                total += 1
                same += src.get(m.start_beat - b_here) == m.move.split("~")[0]
    return same / total if total else "n/a (no repeated sections)"
