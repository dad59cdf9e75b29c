"""Numba kernels of the choreography solver (private; :mod:`choreography.solver` validates the inputs).

Each kernel does one job and has a plain reference in ``tests/reference/choreography_kernels.py``.
"""

from __future__ import annotations

import numba
import numpy as np

from audio._kernels import backtrack_states


@numba.njit(cache=True, nogil=True)
def move_dp_forward(emit: np.ndarray, start: np.ndarray, group_trans: np.ndarray, group_of: np.ndarray,
                    family: np.ndarray, repeat_penalty: float,
                    move_beats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward pass of the move decoder: one step per beat over (move, beat-in-move) states.

    State ``offset[m] + k`` means "beat ``k`` of move ``m``" (``offset`` is the running sum of
    ``move_beats``). A move either continues (``k -> k + 1``) or, after its last beat, is followed by any
    move starting at beat 0 with cost ``trans[m, m2] + start[m2, b]``. Every beat adds ``emit[m, b]``.

    The transition cost comes factored, as the cost model makes it: ``trans[m, m2] =
    group_trans[group_of[m], m2] + repeat_penalty * (family[m] == family[m2])`` (moves that end in the
    same pose share a group). Per beat and group the kernel keeps the best finished move and the best of
    another family, which gives each ``m2`` its best predecessor exactly in ``O(groups x moves)`` instead of
    ``O(moves^2)``; ties go to the lowest state index, as in a plain scan.

    Parameters
    ----------
    emit : float64 (n_moves, n_beats), cost of being in a move at a beat
    start : float64 (n_moves, n_beats), extra cost of a move starting at a beat (inf: not allowed)
    group_trans : float64 (n_groups, n_moves), cost of move ``m2`` following a move of each group
    group_of : int64 (n_moves,), each move's group
    family : int64 (n_moves,), each move's family
    repeat_penalty : float, >= 0, added when a move follows one of its own family
    move_beats : int64 (n_moves,), length of each move in beats (>= 1)

    Returns
    -------
    cost : float64 (n_states,), best cost of ending in each state at the last beat
    back : int64 (n_beats, n_states), best previous state (-1 at the first beat or where unreachable)
    """
    n_moves, n_beats = emit.shape
    n_groups = group_trans.shape[0]
    offset = np.zeros(n_moves + 1, dtype=np.int64)
    for m in range(n_moves):
        offset[m + 1] = offset[m] + move_beats[m]
    n_states = offset[n_moves]
    cost = np.full(n_states, np.inf)
    new = np.full(n_states, np.inf)
    back = np.full((n_beats, n_states), -1, dtype=np.int64)
    best1 = np.empty(n_groups)
    best2 = np.empty(n_groups)
    arg1 = np.empty(n_groups, dtype=np.int64)
    arg2 = np.empty(n_groups, dtype=np.int64)
    fam1 = np.empty(n_groups, dtype=np.int64)
    if n_beats == 0:
        return cost, back
    for m in range(n_moves):
        cost[offset[m]] = start[m, 0] + emit[m, 0]
    for b in range(1, n_beats):
        best1[:] = np.inf
        best2[:] = np.inf
        arg1[:] = -1
        arg2[:] = -1
        fam1[:] = -1
        for m in range(n_moves):  # per group: the best finished move, and the best of another family
            s = offset[m + 1] - 1
            v = cost[s]
            g = group_of[m]
            if v < best1[g]:
                if fam1[g] != family[m]:
                    best2[g] = best1[g]
                    arg2[g] = arg1[g]
                best1[g] = v
                arg1[g] = s
                fam1[g] = family[m]
            elif family[m] != fam1[g] and v < best2[g]:
                best2[g] = v
                arg2[g] = s
        for m2 in range(n_moves):
            best = np.inf
            arg = -1
            for g in range(n_groups):
                if arg1[g] < 0:
                    continue
                base = group_trans[g, m2]
                if fam1[g] == family[m2]:
                    v = best1[g] + (base + repeat_penalty)
                    a = arg1[g]
                    if arg2[g] >= 0:
                        v2 = best2[g] + base
                        if v2 < v or (v2 == v and arg2[g] < a):
                            v = v2
                            a = arg2[g]
                else:
                    v = best1[g] + base
                    a = arg1[g]
                if v < best or (v == best and v < np.inf and a < arg):
                    best = v
                    arg = a
            new[offset[m2]] = best + start[m2, b] + emit[m2, b]
            back[b, offset[m2]] = arg
            for k in range(1, move_beats[m2]):
                s = offset[m2] + k
                new[s] = cost[s - 1] + emit[m2, b]
                back[b, s] = s - 1
        for s in range(n_states):
            cost[s] = new[s]
    return cost, back


# Following back-pointers from the last beat is the same job as the bar decoder's: one kernel serves both.
move_dp_backtrack = backtrack_states
