"""Numba kernels of the choreography solver (private; :mod:`choreography.solver` validates the inputs).

Each kernel does one job and has a plain reference in ``tests/reference/choreography_kernels.py``.
"""

from __future__ import annotations

import numba
import numpy as np

from audio._kernels import backtrack_states


@numba.njit(cache=True)
def move_dp_forward(emit: np.ndarray, start: np.ndarray, trans: np.ndarray,
                    move_beats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward pass of the move decoder: one step per beat over (move, beat-in-move) states.

    State ``offset[m] + k`` means "beat ``k`` of move ``m``" (``offset`` is the running sum of
    ``move_beats``). A move either continues (``k -> k + 1``) or, after its last beat, is followed by any
    move starting at beat 0 with cost ``trans[m, m2] + start[m2, b]``. Every beat adds ``emit[m, b]``.

    Parameters
    ----------
    emit : float64 (n_moves, n_beats), cost of being in a move at a beat
    start : float64 (n_moves, n_beats), extra cost of a move starting at a beat (inf: not allowed)
    trans : float64 (n_moves, n_moves), cost of move ``m2`` following move ``m``
    move_beats : int64 (n_moves,), length of each move in beats (>= 1)

    Returns
    -------
    cost : float64 (n_states,), best cost of ending in each state at the last beat
    back : int64 (n_beats, n_states), best previous state (-1 at the first beat or where unreachable)
    """
    n_moves, n_beats = emit.shape
    offset = np.zeros(n_moves + 1, dtype=np.int64)
    for m in range(n_moves):
        offset[m + 1] = offset[m] + move_beats[m]
    n_states = offset[n_moves]
    cost = np.full(n_states, np.inf)
    new = np.full(n_states, np.inf)
    back = np.full((n_beats, n_states), -1, dtype=np.int64)
    if n_beats == 0:
        return cost, back
    for m in range(n_moves):
        cost[offset[m]] = start[m, 0] + emit[m, 0]
    for b in range(1, n_beats):
        for m2 in range(n_moves):
            best = np.inf
            arg = -1
            for m in range(n_moves):
                v = cost[offset[m + 1] - 1] + trans[m, m2]
                if v < best:
                    best = v
                    arg = offset[m + 1] - 1
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
