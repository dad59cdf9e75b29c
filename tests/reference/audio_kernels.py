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
