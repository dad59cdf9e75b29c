"""Readable references for ``choreography._kernels`` (same inputs, same outputs, no numba)."""

from __future__ import annotations

import numpy as np

from tests.reference.audio_kernels import backtrack_states


def _states(move_beats):
    """List of (move, beat-in-move) in the kernel's state order."""
    return [(m, k) for m, n in enumerate(move_beats) for k in range(int(n))]


def move_dp_forward(emit, start, group_trans, group_of, family, repeat_penalty, move_beats):
    n_moves, n_beats = emit.shape
    # the whole transition matrix, then a plain scan over every predecessor
    trans = group_trans[group_of] + repeat_penalty * (family[:, None] == family[None, :])
    states = _states(move_beats)
    index = {s: j for j, s in enumerate(states)}
    last_of = {m: index[(m, int(move_beats[m]) - 1)] for m in range(n_moves)}
    cost = np.full(len(states), np.inf)
    back = np.full((n_beats, len(states)), -1, dtype=np.int64)
    if n_beats == 0:
        return cost, back
    for m in range(n_moves):
        cost[index[(m, 0)]] = start[m, 0] + emit[m, 0]
    for b in range(1, n_beats):
        new = np.full(len(states), np.inf)
        for (m2, k), j in index.items():
            if k == 0:  # a new move: the best finished move before it (first one wins ties)
                options = [(cost[last_of[m]] + trans[m, m2], last_of[m]) for m in range(n_moves)]
                best, arg = np.inf, -1
                for v, s in options:
                    if v < best:
                        best, arg = v, s
                new[j] = best + start[m2, b] + emit[m2, b]
                back[b, j] = arg
            else:  # the same move, one beat on
                new[j] = cost[index[(m2, k - 1)]] + emit[m2, b]
                back[b, j] = index[(m2, k - 1)]
        cost = new
    return cost, back


move_dp_backtrack = backtrack_states  # the same job as the bar decoder's backtrack
