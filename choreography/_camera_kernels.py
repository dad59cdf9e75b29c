"""Numba kernels of the shot planner (private; :mod:`choreography.camera` validates the inputs).

Each kernel does one job and has a plain reference in ``tests/reference/camera_kernels.py``.

State space
-----------
One step per bar. State ``k * L + r`` (``L = max(min_len, 1)``) means "shot kind ``k``, and this is bar
``r + 1`` of the shot", with ``r`` capped at ``L - 1`` (a shot that has lasted ``L`` bars or more). A shot
either continues (``r -> min(r + 1, L - 1)``) or, once ``r == L - 1``, is cut to any kind ``k2`` (state
``k2 * L``). Back-pointers store the previous state, plus ``n_states`` when the step was a cut, so a cut to
the same kind (a jump cut, allowed but costly) is told apart from a continuation.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def shot_dp_forward(cut_cost: np.ndarray, kind_cost: np.ndarray, switch_cost: np.ndarray,
                    min_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Forward pass of the shot decoder over (kind, bars-in-shot) states.

    Parameters
    ----------
    cut_cost : float64 (n_bars,), cost of cutting at the start of each bar (bar 0 is never a cut)
    kind_cost : float64 (n_kinds, n_bars), cost of showing a kind during a bar (inf: not allowed)
    switch_cost : float64 (n_kinds, n_kinds), cost of cutting from kind ``k`` to kind ``k2``
    min_len : int, minimum shot length in bars (values below 1 act as 1)

    Returns
    -------
    cost : float64 (n_states,), best cost of ending in each state at the last bar
    back : int64 (n_bars, n_states), previous state (+ n_states for a cut; -1 at bar 0 or where unreachable)
    """
    n_kinds, n_bars = kind_cost.shape
    L = max(min_len, 1)
    n_states = n_kinds * L
    cost = np.full(n_states, np.inf)
    new = np.empty(n_states)
    back = np.full((n_bars, n_states), -1, dtype=np.int64)
    if n_bars == 0:
        return cost, back
    for k in range(n_kinds):
        cost[k * L] = kind_cost[k, 0]
    for b in range(1, n_bars):
        for s in range(n_states):
            new[s] = np.inf
        for s in range(n_states):
            c = cost[s]
            if c == np.inf:
                continue
            k = s // L
            r = s % L
            t = k * L + min(r + 1, L - 1)
            v = c + kind_cost[k, b]
            if v < new[t]:
                new[t] = v
                back[b, t] = s
            if r == L - 1:
                for k2 in range(n_kinds):
                    t2 = k2 * L
                    v2 = c + cut_cost[b] + switch_cost[k, k2] + kind_cost[k2, b]
                    if v2 < new[t2]:
                        new[t2] = v2
                        back[b, t2] = s + n_states
        for s in range(n_states):
            cost[s] = new[s]
    return cost, back


@numba.njit(cache=True)
def shot_dp_backtrack(back: np.ndarray, last_state: int) -> tuple[np.ndarray, np.ndarray]:
    """Follow the shot decoder's back-pointers from ``last_state`` at the last bar.

    Parameters
    ----------
    back : int64 (n_bars, n_states), from :func:`shot_dp_forward`
    last_state : int, a reachable state at the last bar

    Returns
    -------
    state : int64 (n_bars,), the state at every bar
    cut : bool (n_bars,), True where a shot starts (always at bar 0)
    """
    n_bars, n_states = back.shape
    state = np.empty(n_bars, dtype=np.int64)
    cut = np.zeros(n_bars, dtype=np.bool_)
    if n_bars == 0:
        return state, cut
    s = last_state
    for b in range(n_bars - 1, 0, -1):
        state[b] = s
        p = back[b, s]
        if p >= n_states:
            cut[b] = True
            p -= n_states
        s = p
    state[0] = s
    cut[0] = True
    return state, cut
