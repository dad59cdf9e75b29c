"""Readable references for ``choreography._camera_kernels`` (same inputs, same outputs, no numba)."""

from __future__ import annotations

import numpy as np


def shot_dp_forward(cut_cost, kind_cost, switch_cost, min_len):
    n_kinds, n_bars = kind_cost.shape
    L = max(int(min_len), 1)
    states = [(k, r) for k in range(n_kinds) for r in range(L)]  # kernel order: k * L + r
    index = {s: j for j, s in enumerate(states)}
    n_states = len(states)
    cost = np.full(n_states, np.inf)
    back = np.full((n_bars, n_states), -1, dtype=np.int64)
    if n_bars == 0:
        return cost, back
    for k in range(n_kinds):
        cost[index[(k, 0)]] = kind_cost[k, 0]
    for b in range(1, n_bars):
        new = np.full(n_states, np.inf)
        # push every reachable state forward, in state order; the first strictly better option wins
        for (k, r), j in index.items():
            if cost[j] == np.inf:
                continue
            moves = [(index[(k, min(r + 1, L - 1))], cost[j] + kind_cost[k, b], j)]
            if r == L - 1:  # the shot is long enough to cut
                moves += [(index[(k2, 0)], cost[j] + cut_cost[b] + switch_cost[k, k2] + kind_cost[k2, b],
                           j + n_states) for k2 in range(n_kinds)]
            for target, v, pointer in moves:
                if v < new[target]:
                    new[target] = v
                    back[b, target] = pointer
        cost = new
    return cost, back


def shot_dp_backtrack(back, last_state):
    n_bars, n_states = back.shape
    states, cuts = [], []
    s = int(last_state)
    for b in range(n_bars - 1, 0, -1):
        states.append(s)
        p = int(back[b, s])
        cuts.append(p >= n_states)
        s = p - n_states if p >= n_states else p
    if n_bars:
        states.append(s)
        cuts.append(True)
    return np.array(states[::-1], dtype=np.int64), np.array(cuts[::-1], dtype=bool)
