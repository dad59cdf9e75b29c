"""Readable references for ``audio._kernels`` (same inputs, same outputs, no numba)."""

from __future__ import annotations

import math

import numpy as np


def beat_dp_forward(onset, period, tightness):
    n = len(onset)
    score = np.zeros(n)
    backlink = np.full(n, -1, dtype=np.int64)
    for t in range(n):
        p = period[t]
        lo = max(1, math.floor(p / 2.0))
        hi = math.ceil(2.0 * p)
        candidates = [(score[t - tau] - tightness * math.log(tau / p) ** 2, t - tau)
                      for tau in range(lo, hi + 1) if t - tau >= 0]
        best, arg = -math.inf, -1
        for v, s in candidates:  # shortest interval wins ties within 1e-9, as in the kernel
            if v > best + 1e-9:
                best, arg = v, s
        if arg >= 0 and best > 0.0:
            score[t] = onset[t] + best
            backlink[t] = arg
        else:
            score[t] = onset[t]
    return score, backlink


def backtrack_links(backlink, last):
    out = []
    i = last
    while i >= 0:
        out.append(i)
        i = backlink[i]
    return np.array(out[::-1], dtype=np.int64)


def bar_viterbi_forward(log_down, log_other, beats_per_bar, log_advance, log_reset):
    n, m = len(log_down), beats_per_bar
    psi = np.full((n, m), -1, dtype=np.int64)
    if n == 0:
        return np.zeros(m), psi
    emit = lambda t, s: log_down[t] if s == 0 else log_other[t]  # noqa: E731
    delta = np.array([-math.log(m) + emit(0, s) for s in range(m)])
    for t in range(1, n):
        new = np.empty(m)
        for s in range(m):
            prev = (s - 1) % m
            options = [(delta[prev] + log_advance, prev)]
            if s == 0:
                options += [(delta[q] + log_reset, q) for q in range(m) if q != prev]
            best, arg = options[0]
            for v, q in options[1:]:
                if v > best:
                    best, arg = v, q
            new[s] = best + emit(t, s)
            psi[t, s] = arg
        delta = new
    return delta, psi


def backtrack_states(psi, last_state):
    n = psi.shape[0]
    out = np.empty(n, dtype=np.int64)
    if n == 0:
        return out
    out[-1] = last_state
    for t in range(n - 1, 0, -1):
        out[t - 1] = psi[t, out[t]]
    return out


def _syllable_states(n_syll, m):
    """Readable state list: ("pre",), ("sing", i, k) and ("pause", i), in the kernel's index order."""
    states = [("pre",)]
    for i in range(n_syll):
        states += [("sing", i, k) for k in range(m)] + [("pause", i)]
    return states


def syllable_dp_forward(enter_cost, hold_cost, pause_cost_line, pause_cost_mid, line_end, min_frames,
                        pause_enter_mid):
    n, n_syll, m = len(enter_cost), len(line_end), min_frames
    states = _syllable_states(n_syll, m)
    index = {s: j for j, s in enumerate(states)}
    choice = np.zeros((n, len(states)), dtype=np.int8)
    cost = np.full(len(states), np.inf)
    if n == 0:
        return cost, choice
    cost[0] = pause_cost_line[0]
    if n_syll:
        cost[1] = enter_cost[0] + hold_cost[0]

    def options(state, f):
        """(predecessor, code, transition cost, frame cost) for each way into ``state`` at frame f."""
        if state == ("pre",):
            return [(("pre",), 0, 0.0, pause_cost_line[f])]
        if state[0] == "sing":
            _, i, k = state
            frame = hold_cost[f] + (enter_cost[f] if k == 0 else 0.0)
            if k == 0:
                if i == 0:
                    return [(("pre",), 1, 0.0, frame)]
                return [(("sing", i - 1, m - 1), 0, 0.0, frame), (("pause", i - 1), 1, 0.0, frame)]
            if k < m - 1:
                return [(("sing", i, k - 1), 0, 0.0, frame)]
            return [(("sing", i, k - 1), 0, 0.0, frame), (state, 1, 0.0, frame)]
        _, i = state
        frame = pause_cost_line[f] if line_end[i] else pause_cost_mid[f]
        enter = 0.0 if line_end[i] else pause_enter_mid
        return [(("sing", i, m - 1), 0, enter, frame), (state, 1, 0.0, frame)]

    for f in range(1, n):
        new = np.full(len(states), np.inf)
        for j, state in enumerate(states):
            best, code, add = np.inf, 0, 0.0
            # Every way into a state pays the same frame cost: pick the predecessor on what it brings, then
            # add the frame cost, as the kernel does (adding first could round two options into a tie).
            for prev, c, trans, frame in options(state, f):
                v = cost[index[prev]] + trans
                add = frame
                if v < best:  # ties keep the first option, as the kernel does (a <= b)
                    best, code = v, c
            if np.isfinite(best) or j == 0:
                new[j] = best + add
                choice[f, j] = code
        cost = new
    return cost, choice


def syllable_dp_backtrack(choice, n_syll, min_frames, last_state):
    n, m = choice.shape[0], min_frames
    states = _syllable_states(n_syll, m)
    index = {s: j for j, s in enumerate(states)}
    start, end = np.full(n_syll, -1, dtype=np.int64), np.full(n_syll, -1, dtype=np.int64)
    state = states[last_state]
    if state[0] == "sing":
        end[state[1]] = n
    for f in range(n - 1, 0, -1):
        if state == ("pre",):
            break
        c = choice[f, index[state]]
        if state[0] == "sing":
            _, i, k = state
            if k == 0:
                start[i] = f
                if i == 0:
                    state = ("pre",)
                elif c == 0:
                    end[i - 1] = f
                    state = ("sing", i - 1, m - 1)
                else:
                    state = ("pause", i - 1)
            elif k < m - 1 or c == 0:
                state = ("sing", i, k - 1)
        else:
            if c == 0:
                end[state[1]] = f
                state = ("sing", state[1], m - 1)
    if state != ("pre",):
        start[state[1]] = 0
    return start, end


def beat_hmm_viterbi(log_obs, obs_pointer, first_states, last_states, entry_ptr, entry_from, entry_logp, log_init):
    """madmom's viterbi over the full transition matrix, with a back-pointer for every state and frame."""
    n_states = len(log_init)
    preds = [[(s - 1, 0.0)] for s in range(n_states)]
    for r, first in enumerate(first_states):
        preds[first] = [(last_states[entry_from[k]], entry_logp[k]) for k in range(entry_ptr[r], entry_ptr[r + 1])]
    prev = np.array(log_init, dtype=float)
    back = np.zeros((len(log_obs), n_states), dtype=np.int64)
    for t in range(len(log_obs)):
        cur = np.full(n_states, -math.inf)
        for s in range(n_states):
            for p, logp in preds[s]:
                v = prev[p] + logp + log_obs[t][obs_pointer[s]]
                if v > cur[s]:
                    cur[s], back[t, s] = v, p
        prev = cur
    if len(log_obs) == 0:
        return np.zeros(0, dtype=np.int64), -math.inf
    state = int(np.argmax(prev))
    if prev[state] == -math.inf:
        return np.zeros(0, dtype=np.int64), -math.inf
    best = float(prev[state])
    path = np.zeros(len(log_obs), dtype=np.int64)
    for t in range(len(log_obs) - 1, -1, -1):
        path[t] = state
        state = back[t, state]
    return path, best
