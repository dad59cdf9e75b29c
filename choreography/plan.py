"""The move plan: which move each character dances on which beats, decoded like a beat tracker.

The decoder follows madmom's split: a state space of (move, beat-in-move), emission costs
from the music, transition costs between moves, and a dynamic-programming decoder in numba
(:func:`choreography._kernels.move_dp_forward`). The cost model produces plain arrays, so a learned
style model can supply its own:

- ``emit[m, b]`` (n_moves, n_beats): cost of dancing move ``m`` on beat ``b``: the move's energy against
  the music's (energy and intensity, with the final chorus built up), calm moves while the character
  sings, hold moves on sustained notes;
- ``start[m, b]``: cost of move ``m`` starting on beat ``b``: long moves (a bar or more) start on phrase
  starts or at least downbeats, accent moves start on strong onsets;
- ``trans[m, m2]`` (n_moves, n_moves): pose distance from ``m``'s exit to ``m2``'s entry, plus a
  penalty for repeating the same move.

Variety across the song is not a first-order (Markov) cost, so it is added by a second pass:
:func:`usage_costs` makes the moves the first plan used most dearer per beat.

Pins make costs infinite where they forbid something, so they are always honoured.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from audio.errors import ChoreoError
from choreography.music import BeatFeatures
from choreography.params import PlanParams


@dataclass(frozen=True)
class MoveArrays:
    """What the cost model needs to know of a move library, as arrays.

    Attributes
    ----------
    names : tuple of str
    beats : np.ndarray [shape=(m,), int]
    energy : np.ndarray [shape=(m,), 0..1]
    accent, hold, calm : np.ndarray [shape=(m,), bool]
        Tagged accent / hold / calm.
    distance : np.ndarray [shape=(m, m), degrees]
        Pose distance from each move's exit to each move's entry.
    """

    names: tuple[str, ...]
    beats: np.ndarray
    energy: np.ndarray
    accent: np.ndarray
    hold: np.ndarray
    calm: np.ndarray
    distance: np.ndarray


@dataclass(frozen=True)
class Placement:
    """One move in the plan: which move, from which beat index, for how many beats (may be cut short)."""

    move: str
    start_beat: int
    n_beats: int


def cost_arrays(bf: BeatFeatures, moves: MoveArrays, params: PlanParams | None = None, *,
                singing: np.ndarray | None = None,
                energy_target: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Emission, start and transition costs (see the module docstring).

    Parameters
    ----------
    bf : BeatFeatures
    moves : MoveArrays
    params : PlanParams, optional
    singing : np.ndarray [shape=(n_beats,), 0..1], optional
        How much the character sings on each beat (from its mouth track).
    energy_target : np.ndarray [shape=(n_beats,), 0..1], optional
        The energy to dance at; default from the music (mean of energy and intensity).

    Returns
    -------
    emit, start : np.ndarray [shape=(n_moves, n_beats)]
    trans : np.ndarray [shape=(n_moves, n_moves)]
    """
    p = params or PlanParams()
    target = 0.5 * (bf.energy + bf.intensity) if energy_target is None else np.asarray(energy_target, dtype=float)
    e = moves.energy[:, None]
    emit = p.energy_weight * np.abs(e - target[None, :])
    emit -= p.hold_weight * moves.hold[:, None] * (bf.sustain[None, :] - 0.5)
    if singing is not None:
        emit += p.sing_calm * np.asarray(singing, dtype=float)[None, :] * e
    long_move = (moves.beats >= np.max(bf.beat, initial=4))[:, None]
    off_phrase = (~bf.phrase_start)[None, :].astype(float) + (~bf.downbeat)[None, :].astype(float)
    start = p.phrase_weight * long_move * off_phrase
    start += p.accent_weight * moves.accent[:, None] * (0.5 - bf.accent[None, :])
    trans = p.transition_weight * moves.distance + p.repeat_penalty * np.eye(moves.beats.shape[0])
    return emit, start, trans


def usage_costs(plan: list[Placement], moves: MoveArrays, weight: float) -> np.ndarray:
    """Per-move cost per beat from a plan's usage: ``weight`` times each move's share of the placements.

    A move and its mirror image (``name~m``) share one count.

    Parameters
    ----------
    plan : list of Placement
    moves : MoveArrays
    weight : float

    Returns
    -------
    np.ndarray [shape=(n_moves,)]
    """
    base = [n.split("~")[0] for n in moves.names]  # a move and its mirror image count as one
    used: dict[str, int] = {}
    for p in plan:
        key = p.move.split("~")[0]
        used[key] = used.get(key, 0) + 1
    counts = np.array([used.get(b, 0) for b in base], dtype=np.float64)
    return weight * counts / max(1, len(plan))


def decode(emit: np.ndarray, start: np.ndarray, trans: np.ndarray, move_beats: np.ndarray) -> list[tuple[int, int]]:
    """Decode the cheapest sequence of moves.

    Parameters
    ----------
    emit, start : np.ndarray [shape=(n_moves, n_beats)]
    trans : np.ndarray [shape=(n_moves, n_moves)]
    move_beats : np.ndarray [shape=(n_moves,), int >= 1]

    Returns
    -------
    list of (move index, start beat index)

    Raises
    ------
    ChoreoError
        When the constraints (pins) leave no possible plan.
    """
    from choreography import _kernels

    emit = np.ascontiguousarray(emit, dtype=np.float64)
    start = np.ascontiguousarray(start, dtype=np.float64)
    trans = np.ascontiguousarray(trans, dtype=np.float64)
    move_beats = np.ascontiguousarray(move_beats, dtype=np.int64)
    n_moves, n_beats = emit.shape
    if start.shape != emit.shape or trans.shape != (n_moves, n_moves) or move_beats.shape != (n_moves,):
        raise ValueError(f"cost array shapes disagree: emit {emit.shape}, start {start.shape}, trans {trans.shape}, "
                         f"beats {move_beats.shape}")
    if np.any(move_beats < 1) or np.any(np.isnan(emit)) or np.any(np.isnan(start)) or np.any(np.isnan(trans)):
        raise ValueError("move lengths must be >= 1 beat and costs must not be NaN")
    if n_beats == 0:
        return []
    cost, back = _kernels.move_dp_forward(emit, start, trans, move_beats)
    last = int(np.argmin(cost))
    if not np.isfinite(cost[last]):
        raise ChoreoError("the pins leave no possible choreography (they contradict each other or the moves)")
    states = _kernels.move_dp_backtrack(back, last)
    offset = np.concatenate([[0], np.cumsum(move_beats)])
    move_of = np.searchsorted(offset, states, side="right") - 1
    k_of = states - offset[move_of]
    return [(int(move_of[b]), b) for b in range(n_beats) if k_of[b] == 0]


def placements(decoded: list[tuple[int, int]], moves: MoveArrays, n_beats: int) -> list[Placement]:
    """Turn decoded (move, start beat) pairs into placements, the last one cut at the song's end.

    Parameters
    ----------
    decoded : list of (int, int)
    moves : MoveArrays
    n_beats : int

    Returns
    -------
    list of Placement
    """
    out = []
    for i, (m, b) in enumerate(decoded):
        nxt = decoded[i + 1][1] if i + 1 < len(decoded) else n_beats
        out.append(Placement(moves.names[m], b, min(int(moves.beats[m]), nxt - b)))
    return out
