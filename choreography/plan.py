"""The move plan: which move each character dances on which beats, decoded like a beat tracker.

The decoder follows madmom's split: a state space of (move, beat-in-move), emission costs
from the music, transition costs between moves, and a dynamic-programming decoder in numba
(:func:`choreography._kernels.move_dp_forward`). The cost model produces plain arrays, so a learned
style model can supply its own:

- ``emit[m, b]`` (n_moves, n_beats): cost of dancing move ``m`` on beat ``b``: the move's energy against
  the music's (energy and intensity, with the final chorus built up), calm moves while the character
  sings, hold moves on sustained notes, moves that come to rest on the beats at the song's tempo;
- ``start[m, b]``: cost of move ``m`` starting on beat ``b``: long moves (a bar or more) start on phrase
  starts or at least downbeats, shorter ones on their own place in the bar (a 2-beat move on beat 1 or 3
  of a 4/4 bar: :func:`choreography.music.metric_grid`), accent moves start on strong onsets;
- ``trans[m, m2]`` (n_moves, n_moves): pose distance from ``m``'s exit to ``m2``'s entry, plus a
  penalty for a move following one of its own family; kept factored (:class:`Transitions`), which lets the
  decoder find each move's best predecessor per exit pose instead of over every move.

Variety is a constraint: no move family (a move and its mirror image) fills more than a share of a
section (:func:`usage_caps`). A share of a whole section is not a first-order (Markov) cost, so the solver
enforces it by Lagrangian relaxation: each family's excess in each section (:func:`section_usage`) raises
that family's cost per beat there, and the plan is decoded again, until no family exceeds its cap (or a
set number of passes). Back-to-back repeats of a family are a first-order cost (``trans``).

Pins make costs infinite where they forbid something, so they are always honoured.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from audio.errors import ChoreoError
from choreography.music import BeatFeatures, metric_grid, phrase_ends
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
    family : np.ndarray [shape=(m,), int], optional
        The same number for a move and its mirror image (its ``~m`` variant or its twin): to a viewer
        they are one move. Default: every move its own family.
    styles : np.ndarray [shape=(m, n_styles), bool], optional
        The styles each move suits (columns in :data:`choreography.moves.STYLES` order).
    """

    names: tuple[str, ...]
    beats: np.ndarray
    energy: np.ndarray
    accent: np.ndarray
    hold: np.ndarray
    calm: np.ndarray
    distance: np.ndarray
    family: np.ndarray | None = None
    styles: np.ndarray | None = None

    @property
    def families(self) -> np.ndarray:
        """``family``, or every move its own family when none was given."""
        return np.arange(len(self.names)) if self.family is None else self.family


@dataclass(frozen=True)
class Placement:
    """One move in the plan: which move, from which beat index, for how many beats (may be cut short)."""

    move: str
    start_beat: int
    n_beats: int


@dataclass(frozen=True)
class Transitions:
    """Transition costs, factored as the cost model makes them.

    ``trans[m, m2] = group_trans[group_of[m], m2] + repeat_penalty * (family[m] == family[m2])``: the pose
    distance from the exit pose of ``m``'s group (moves that end in the same pose share a group) to
    ``m2``'s entry, plus the cost of a move following one of its own family. The decoder uses the factors
    directly (:func:`choreography._kernels.move_dp_forward`).

    Attributes
    ----------
    group_trans : np.ndarray [shape=(n_groups, n_moves)]
    group_of, family : np.ndarray [shape=(n_moves,), int]
    repeat_penalty : float, >= 0
    """

    group_trans: np.ndarray
    group_of: np.ndarray
    family: np.ndarray
    repeat_penalty: float

    @classmethod
    def from_matrix(cls, trans: np.ndarray) -> Transitions:
        """Any transition matrix: every move its own group and family.

        Parameters
        ----------
        trans : np.ndarray [shape=(n_moves, n_moves)]

        Returns
        -------
        Transitions
        """
        n = np.asarray(trans).shape[0]
        return cls(np.asarray(trans, dtype=np.float64), np.arange(n), np.arange(n), 0.0)

    def full(self) -> np.ndarray:
        """The whole matrix ``trans[m, m2]``.

        Returns
        -------
        np.ndarray [shape=(n_moves, n_moves)]
        """
        same = self.family[:, None] == self.family[None, :]
        return self.group_trans[self.group_of] + self.repeat_penalty * same


def cost_arrays(bf: BeatFeatures, moves: MoveArrays, params: PlanParams | None = None, *,
                singing: np.ndarray | None = None, energy_target: np.ndarray | None = None,
                style_fit: np.ndarray | None = None,
                beat_fit: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
    style_fit : np.ndarray [shape=(n_moves, n_beats), 0..1], optional
        How well each move's styles suit the music (and the artist's style hint) on each beat; a bonus of
        ``params.style_weight`` per beat at 1.
    beat_fit : np.ndarray [shape=(n_moves,), 0..1], optional
        How well each move comes to rest on the beats at the song's tempo
        (:func:`choreography.quality.move_beat_fit`); a bonus of ``params.beat_weight`` per beat at 1.

    Returns
    -------
    emit, start : np.ndarray [shape=(n_moves, n_beats)]
    trans : Transitions
    """
    p = params or PlanParams()
    target = 0.5 * (bf.energy + bf.intensity) if energy_target is None else np.asarray(energy_target, dtype=float)
    e = moves.energy[:, None]
    emit = p.energy_weight * np.abs(e - target[None, :])
    emit -= p.hold_weight * moves.hold[:, None] * (bf.sustain[None, :] - 0.5)
    if singing is not None:
        emit += p.sing_calm * np.asarray(singing, dtype=float)[None, :] * e
    if style_fit is not None:
        emit -= p.style_weight * style_fit
    if beat_fit is not None:
        emit -= p.beat_weight * np.asarray(beat_fit, dtype=float)[:, None]
    long_move = (moves.beats >= np.max(bf.beat, initial=4))[:, None]
    off_phrase = (~bf.phrase_start)[None, :].astype(float) + (~bf.downbeat)[None, :].astype(float)
    start = p.phrase_weight * long_move * off_phrase
    start += p.metric_weight * metric_grid(moves.beats, bf)[1]
    start += p.accent_weight * moves.accent[:, None] * (0.5 - bf.accent[None, :])
    start -= p.cadence_weight * (moves.accent | moves.hold)[:, None] * phrase_ends(bf)[None, :]
    # Moves that end in the same pose have the same row of pose distances: one group each.
    first: dict[bytes, int] = {}  # a row's bytes -> its group (hashing rows: np.unique sorts them, 10x slower)
    group_of = np.array([first.setdefault(row.tobytes(), len(first)) for row in moves.distance], dtype=np.int64)
    rows = moves.distance[np.unique(group_of, return_index=True)[1]]
    trans = Transitions(p.transition_weight * rows, group_of, moves.families.astype(np.int64),
                        float(p.repeat_penalty))
    return emit, start, trans


def section_usage(plan: list[Placement], moves: MoveArrays, section: np.ndarray, n_sections: int) -> np.ndarray:
    """Beats of each move family in each section.

    Parameters
    ----------
    plan : list of Placement
    moves : MoveArrays
    section : np.ndarray [shape=(n_beats,), int]
        The section of each beat.
    n_sections : int

    Returns
    -------
    np.ndarray [shape=(n_families, n_sections)]
        ``n_families`` is ``moves.families.max() + 1``.
    """
    fam = moves.families
    index = {n: i for i, n in enumerate(moves.names)}
    out = np.zeros((int(fam.max(initial=0)) + 1, max(n_sections, 1)))
    for p in plan:
        secs = section[p.start_beat:p.start_beat + p.n_beats]
        np.add.at(out[fam[index[p.move]]], secs, 1.0)
    return out


def usage_caps(section: np.ndarray, n_sections: int, beats_per_bar: int, moves: MoveArrays,
               params: PlanParams) -> np.ndarray:
    """Most beats each move family may fill in each section (see ``PlanParams.share_cap``).

    A family may always fill its longest move once.

    Parameters
    ----------
    section : np.ndarray [shape=(n_beats,), int]
    n_sections : int
    beats_per_bar : int
    moves : MoveArrays
    params : PlanParams

    Returns
    -------
    np.ndarray [shape=(n_families, n_sections)]
    """
    n = np.bincount(section, minlength=max(n_sections, 1)).astype(float)
    per_section = np.maximum(params.share_cap * n, params.min_cap_bars * beats_per_bar)
    return np.minimum(n[None, :], np.maximum(per_section[None, :], family_beats(moves)[:, None]))


def family_beats(moves: MoveArrays) -> np.ndarray:
    """The longest move of each family, in beats.

    Parameters
    ----------
    moves : MoveArrays

    Returns
    -------
    np.ndarray [shape=(n_families,)]
    """
    fam = moves.families
    out = np.zeros(int(fam.max(initial=0)) + 1)
    np.maximum.at(out, fam, moves.beats.astype(float))
    return out


def decode(emit: np.ndarray, start: np.ndarray, trans: Transitions | np.ndarray,
           move_beats: np.ndarray) -> list[tuple[int, int]]:
    """Decode the cheapest sequence of moves.

    Parameters
    ----------
    emit, start : np.ndarray [shape=(n_moves, n_beats)]
    trans : Transitions, or np.ndarray [shape=(n_moves, n_moves)]
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

    t = trans if isinstance(trans, Transitions) else Transitions.from_matrix(trans)
    emit = np.ascontiguousarray(emit, dtype=np.float64)
    start = np.ascontiguousarray(start, dtype=np.float64)
    group_trans = np.ascontiguousarray(t.group_trans, dtype=np.float64)
    group_of = np.ascontiguousarray(t.group_of, dtype=np.int64)
    family = np.ascontiguousarray(t.family, dtype=np.int64)
    move_beats = np.ascontiguousarray(move_beats, dtype=np.int64)
    n_moves, n_beats = emit.shape
    if (start.shape != emit.shape or group_trans.ndim != 2 or group_trans.shape[1] != n_moves
            or group_of.shape != (n_moves,) or family.shape != (n_moves,) or move_beats.shape != (n_moves,)
            or np.any(group_of < 0) or np.any(group_of >= group_trans.shape[0])):
        raise ValueError(f"cost array shapes disagree: emit {emit.shape}, start {start.shape}, transitions "
                         f"{group_trans.shape} for groups {group_of.shape}, beats {move_beats.shape}")
    if np.any(move_beats < 1) or np.any(np.isnan(emit)) or np.any(np.isnan(start)) or np.any(np.isnan(group_trans)):
        raise ValueError("move lengths must be >= 1 beat and costs must not be NaN")
    if not t.repeat_penalty >= 0:
        raise ValueError("the repeat penalty must be >= 0")
    if n_beats == 0:
        return []
    cost, back = _kernels.move_dp_forward(emit, start, group_trans, group_of, family, float(t.repeat_penalty),
                                          move_beats)
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
