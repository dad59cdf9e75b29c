"""Evaluate keyframe tracks at integer frames (the renderer and the quality report both sample this way)."""

from __future__ import annotations

import numpy as np

from choreography.model import Track


def sample_track(track: Track, n_frames: int) -> np.ndarray:
    """Value of a keyframed channel at every frame ``0 .. n_frames - 1``.

    Before the first key the first value holds, after the last key the last one; between keys the value
    moves from the earlier key's value to the later one's along the later key's ease (see
    :func:`choreography.moves.apply_ease`).

    Parameters
    ----------
    track : Track
    n_frames : int

    Returns
    -------
    np.ndarray [shape=(n_frames,)]
    """
    from choreography.moves import EASES, apply_ease

    if not track.frames:
        return np.zeros(n_frames)
    kf = np.asarray(track.frames, dtype=np.float64)
    kv = np.asarray(track.values, dtype=np.float64)
    code = {name: i for i, name in enumerate(EASES)}
    ke = np.array([code.get(e, code["linear"]) for e in track.interp], dtype=np.int64)
    f = np.arange(n_frames, dtype=np.float64)
    j = np.clip(np.searchsorted(kf, f, side="right"), 1, max(1, kf.size - 1))
    if kf.size == 1:
        return np.full(n_frames, kv[0])
    a, b = kf[j - 1], kf[j]
    t = (f - a) / np.maximum(b - a, 1e-9)
    u = apply_ease(t, ke[j])
    out = kv[j - 1] + (kv[j] - kv[j - 1]) * u
    out[f < kf[0]] = kv[0]
    out[f >= kf[-1]] = kv[-1]
    return out


def sample_character(tracks: dict[str, Track], character: str, bone_names, n_frames: int) -> tuple[np.ndarray,
                                                                                                     np.ndarray]:
    """A character's rotations and root offsets at every frame.

    Parameters
    ----------
    tracks : dict of str to Track
    character : str
    bone_names : sequence of str
    n_frames : int

    Returns
    -------
    rotations_deg : np.ndarray [shape=(n_frames, n_bones)], offsets from rest (missing channels are 0)
    root_xy : np.ndarray [shape=(n_frames, 2)], px offsets (x right, y up)
    """
    rot = np.zeros((n_frames, len(bone_names)))
    for i, b in enumerate(bone_names):
        t = tracks.get(f"{character}/{b}.rot")
        if t is not None:
            rot[:, i] = sample_track(t, n_frames)
    root = np.zeros((n_frames, 2))
    for i, axis in enumerate(("x", "y")):
        t = tracks.get(f"{character}/root.{axis}")
        if t is not None:
            root[:, i] = sample_track(t, n_frames)
    return rot, root


def thin_linear_keys(track: Track, tolerance: float) -> Track:
    """Drop the keys a linear segment would reproduce anyway: the same curve with fewer keys.

    A key is dropped when it and the key after the run it belongs to are ``"linear"`` and every dropped
    key's value lies within ``tolerance`` of the straight line between the keys kept on either side (so
    the sampled value of every frame moves by at most ``tolerance``). Per-frame keys, such as the root keys
    that hold a planted foot, shrink to their turning points.

    Parameters
    ----------
    track : Track
    tolerance : float
        Largest change of a sampled value, in the channel's unit.

    Returns
    -------
    Track
    """
    if len(track.frames) < 3:
        return track
    f, v = [float(x) for x in track.frames], [float(x) for x in track.values]
    lin = [e == "linear" for e in track.interp]
    # One pass: from the last kept key ``a``, the slopes of lines that pass within ``tolerance`` of every
    # key dropped since form an interval; key ``j`` is dropped when the line from ``a`` to the key after it
    # lies in that interval narrowed by ``j`` itself (the path between keys is straight, so only the keys
    # themselves can be furthest from the new line).
    keep, a, lo, hi = [0], 0, -np.inf, np.inf
    for j in range(1, len(f) - 1):
        if lin[j] and lin[j + 1]:
            d = f[j] - f[a]
            nlo, nhi = max(lo, (v[j] - tolerance - v[a]) / d), min(hi, (v[j] + tolerance - v[a]) / d)
            if nlo <= (v[j + 1] - v[a]) / (f[j + 1] - f[a]) <= nhi:
                lo, hi = nlo, nhi
                continue
        keep.append(j)
        a, lo, hi = j, -np.inf, np.inf
    keep.append(len(f) - 1)
    return Track(tuple(track.frames[i] for i in keep), tuple(track.values[i] for i in keep),
                 tuple(track.interp[i] for i in keep))
