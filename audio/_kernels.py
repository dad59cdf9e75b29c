"""Numba kernels of the audio front end (private; the public wrappers in ``beats``/``meter`` validate).

Each kernel does one job and has a plain reference in ``tests/reference/audio_kernels.py``.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def beat_dp_forward(onset: np.ndarray, period: np.ndarray, tightness: float) -> tuple[np.ndarray, np.ndarray]:
    """Forward pass of a beat dynamic programme with a local period (Ellis 2007, tempo-varying).

    ``score[t] = onset[t] + max_tau(score[t - tau] - tightness * log(tau / period[t])**2)`` over
    ``tau`` in ``[period[t] / 2, 2 * period[t]]``; frames without a predecessor start a chain. A
    candidate must beat the best so far by more than 1e-9 (ties go to the shortest interval).

    Parameters
    ----------
    onset : float64 (n,), onset strength normalised by its standard deviation
    period : float64 (n,), expected beat period at each frame, in frames (> 1)
    tightness : float, penalty weight of tempo deviation

    Returns
    -------
    score : float64 (n,), best cumulative score of a beat sequence ending at each frame
    backlink : int64 (n,), previous beat frame of that sequence, -1 where the chain starts
    """
    n = onset.shape[0]
    score = np.empty(n, dtype=np.float64)
    backlink = np.full(n, -1, dtype=np.int64)
    for t in range(n):
        p = period[t]
        lo = int(np.floor(p / 2.0))
        hi = int(np.ceil(2.0 * p))
        if lo < 1:
            lo = 1
        best = -np.inf
        arg = -1
        for tau in range(lo, hi + 1):
            s = t - tau
            if s < 0:
                break
            r = np.log(tau / p)
            v = score[s] - tightness * r * r
            # Ties (within rounding) go to the shortest interval, so results do not hang on the last bit.
            if v > best + 1e-9:
                best = v
                arg = s
        if arg >= 0 and best > 0.0:
            score[t] = onset[t] + best
            backlink[t] = arg
        else:
            score[t] = onset[t]
    return score, backlink


@numba.njit(cache=True)
def backtrack_links(backlink: np.ndarray, last: int) -> np.ndarray:
    """Follow back-links from ``last`` to the chain start; return the indices in increasing order.

    Parameters
    ----------
    backlink : int64 (n,), predecessor index or -1
    last : int, index to start from (0 <= last < n)

    Returns
    -------
    int64 (k,), increasing indices ending with ``last``
    """
    count = 0
    i = last
    while i >= 0:
        count += 1
        i = backlink[i]
    out = np.empty(count, dtype=np.int64)
    i = last
    for k in range(count - 1, -1, -1):
        out[k] = i
        i = backlink[i]
    return out


@numba.njit(cache=True)
def bar_viterbi_forward(log_down: np.ndarray, log_other: np.ndarray, beats_per_bar: int, log_advance: float,
                        log_reset: float) -> tuple[np.ndarray, np.ndarray]:
    """Forward (Viterbi) pass over bar positions, one step per beat.

    States are positions ``0 .. beats_per_bar - 1`` in the bar (0 is the downbeat). From position ``p``
    the next beat is at ``(p + 1) % beats_per_bar`` (log-probability ``log_advance``) or, to absorb an
    irregular bar, restarts at 0 (``log_reset``). Any start position is equally likely.

    Parameters
    ----------
    log_down : float64 (n,), log-likelihood that each beat is a downbeat
    log_other : float64 (n,), log-likelihood that it is not
    beats_per_bar : int >= 1
    log_advance, log_reset : float, transition log-probabilities

    Returns
    -------
    delta : float64 (beats_per_bar,), best log-score of a path ending in each state after the last beat
    psi : int64 (n, beats_per_bar), best predecessor state (-1 on the first beat)
    """
    n = log_down.shape[0]
    m = beats_per_bar
    psi = np.full((n, m), -1, dtype=np.int64)
    delta = np.empty(m, dtype=np.float64)
    new = np.empty(m, dtype=np.float64)
    if n == 0:
        delta[:] = 0.0
        return delta, psi
    start = -np.log(m)
    for s in range(m):
        delta[s] = start + (log_down[0] if s == 0 else log_other[0])
    for t in range(1, n):
        for s in range(m):
            prev = (s - 1) % m
            best = delta[prev] + log_advance
            arg = prev
            if s == 0:
                for q in range(m):
                    if q == prev:
                        continue
                    v = delta[q] + log_reset
                    if v > best:
                        best = v
                        arg = q
            new[s] = best + (log_down[t] if s == 0 else log_other[t])
            psi[t, s] = arg
        for s in range(m):
            delta[s] = new[s]
    return delta, psi


@numba.njit(cache=True)
def backtrack_states(psi: np.ndarray, last_state: int) -> np.ndarray:
    """Follow Viterbi back-pointers from ``last_state`` at the final step.

    Parameters
    ----------
    psi : int64 (n, n_states), predecessor state per step (row 0 unused)
    last_state : int

    Returns
    -------
    int64 (n,), the state at every step
    """
    n = psi.shape[0]
    out = np.empty(n, dtype=np.int64)
    if n == 0:
        return out
    s = last_state
    out[n - 1] = s
    for t in range(n - 1, 0, -1):
        s = psi[t, s]
        out[t - 1] = s
    return out


@numba.njit(cache=True)
def syllable_dp_forward(enter_cost: np.ndarray, hold_cost: np.ndarray, pause_cost_line: np.ndarray,
                        pause_cost_mid: np.ndarray, line_end: np.ndarray, min_frames: int,
                        pause_enter_mid: float) -> tuple[np.ndarray, np.ndarray]:
    """Forward pass of the sung-syllable aligner: a left-to-right HMM over syllables, frame by frame.

    Syllable ``i`` has ``min_frames`` chained "sounding" states (the last one loops, so a syllable lasts at
    least ``min_frames``) followed by a "pause" state. State layout: 0 is the pause before the first
    syllable; syllable ``i`` uses ``1 + i * (min_frames + 1) + k`` for sounding step ``k`` and
    ``1 + i * (min_frames + 1) + min_frames`` for its pause. Costs are added per frame.

    Parameters
    ----------
    enter_cost : float64 (n_frames,), cost of a syllable starting at each frame (low on sung onsets)
    hold_cost : float64 (n_frames,), cost per frame of a syllable sounding (high where nothing is voiced)
    pause_cost_line : float64 (n_frames,), cost per frame of a pause after a line's last syllable
    pause_cost_mid : float64 (n_frames,), cost per frame of a pause inside a line
    line_end : bool (n_syll,), whether each syllable ends its lyric line
    min_frames : int >= 2, shortest syllable in frames
    pause_enter_mid : float, extra cost of starting a pause inside a line

    Returns
    -------
    final : float64 (n_states,), best cost of being in each state at the last frame
    choice : int8 (n_frames, n_states), which predecessor was best (0: the chain or step before, 1: the
        other option: a self-loop, or for a syllable's first step the previous syllable's pause)
    """
    n = enter_cost.shape[0]
    n_syll = line_end.shape[0]
    m = min_frames
    width = m + 1
    n_states = 1 + n_syll * width
    inf = np.inf
    cost = np.full(n_states, inf)
    new = np.full(n_states, inf)
    choice = np.zeros((n, n_states), dtype=np.int8)
    if n == 0:
        return cost, choice
    cost[0] = pause_cost_line[0]
    if n_syll > 0:
        cost[1] = enter_cost[0] + hold_cost[0]
    for f in range(1, n):
        new[0] = cost[0] + pause_cost_line[f]
        for i in range(n_syll):
            base = 1 + i * width
            # First sounding step: from the previous syllable's last step (no pause) or from its pause.
            if i == 0:
                a, b = inf, cost[0]
            else:
                pb = 1 + (i - 1) * width
                a, b = cost[pb + m - 1], cost[pb + m]
            if a <= b:
                new[base] = a + enter_cost[f] + hold_cost[f]
                choice[f, base] = 0
            else:
                new[base] = b + enter_cost[f] + hold_cost[f]
                choice[f, base] = 1
            for k in range(1, m - 1):
                new[base + k] = cost[base + k - 1] + hold_cost[f]
                choice[f, base + k] = 0
            # Last sounding step: from the step before, or staying (held vowel).
            a, b = cost[base + m - 2], cost[base + m - 1]
            if a <= b:
                new[base + m - 1] = a + hold_cost[f]
                choice[f, base + m - 1] = 0
            else:
                new[base + m - 1] = b + hold_cost[f]
                choice[f, base + m - 1] = 1
            # Pause after the syllable: entered from its last sounding step, or continued.
            p_cost = pause_cost_line[f] if line_end[i] else pause_cost_mid[f]
            a = cost[base + m - 1] + (0.0 if line_end[i] else pause_enter_mid)
            b = cost[base + m]
            if a <= b:
                new[base + m] = a + p_cost
                choice[f, base + m] = 0
            else:
                new[base + m] = b + p_cost
                choice[f, base + m] = 1
        for s in range(n_states):
            cost[s] = new[s]
    return cost, choice


@numba.njit(cache=True)
def syllable_dp_backtrack(choice: np.ndarray, n_syll: int, min_frames: int,
                          last_state: int) -> tuple[np.ndarray, np.ndarray]:
    """Recover each syllable's first and end frame from the aligner's choices.

    Parameters
    ----------
    choice : int8 (n_frames, n_states), from :func:`syllable_dp_forward`
    n_syll : int
    min_frames : int
    last_state : int, the state at the last frame (a sounding or pause state of the last syllable)

    Returns
    -------
    start : int64 (n_syll,), frame where each syllable starts
    end : int64 (n_syll,), frame after its last sounding frame
    """
    n = choice.shape[0]
    m = min_frames
    width = m + 1
    start = np.full(n_syll, -1, dtype=np.int64)
    end = np.full(n_syll, -1, dtype=np.int64)
    s = last_state
    if n_syll > 0 and s >= 1 and (s - 1) % width != m:
        end[(s - 1) // width] = n
    for f in range(n - 1, 0, -1):
        if s == 0:
            break
        i = (s - 1) // width
        k = (s - 1) % width
        c = choice[f, s]
        if k == 0:
            start[i] = f
            if i == 0:
                prev = 0
            elif c == 0:
                prev = 1 + (i - 1) * width + m - 1
                end[i - 1] = f
            else:
                prev = 1 + (i - 1) * width + m
        elif k < m - 1:
            prev = s - 1
        elif k == m - 1:
            prev = s - 1 if c == 0 else s
        else:
            if c == 0:
                prev = s - 1
                end[i] = f
            else:
                prev = s
        s = prev
    if s >= 1:  # the path was in a syllable already at frame 0
        i = (s - 1) // width
        start[i] = 0
    return start, end


@numba.njit(cache=True, nogil=True)
def beat_hmm_viterbi(log_obs: np.ndarray, obs_pointer: np.ndarray, first_states: np.ndarray,
                     last_states: np.ndarray, entry_ptr: np.ndarray, entry_from: np.ndarray,
                     entry_logp: np.ndarray, log_init: np.ndarray) -> tuple[np.ndarray, float]:
    """Viterbi path of a bar-position beat HMM (Krebs et al. 2015), storing back-pointers only at beats.

    The state space is a run of states per tempo: state ``s`` inside a run moves to ``s + 1`` with
    probability 1, and the first state of run ``j`` is entered from the last state of run
    ``entry_from[k]`` with log probability ``entry_logp[k]``, ``k`` in ``entry_ptr[j]:entry_ptr[j + 1]``.
    Only those entries have a choice, so only they keep a back-pointer: (frames, runs) instead of
    (frames, states). Scores add in the order previous + transition + observation and a candidate must
    beat the best so far strictly, as madmom's ``HiddenMarkovModel.viterbi`` does, so the path is its path.

    Parameters
    ----------
    log_obs : float64 (n, 2), log densities per frame: column 0 off the beat, 1 on the beat
    obs_pointer : int64 (S,), column of ``log_obs`` each state reads
    first_states, last_states : int64 (R,), first and last state of each run (runs are contiguous)
    entry_ptr : int64 (R + 1,), CSR row pointers into ``entry_from`` / ``entry_logp``
    entry_from : int64 (E,), run whose last state leads into the run of the row
    entry_logp : float64 (E,), log transition probability of that entry
    log_init : float64 (S,), log initial distribution

    Returns
    -------
    path : int64 (n,), the state per frame; empty when no path has a finite score
    log_prob : float, the path's log probability (-inf when there is none)
    """
    n = log_obs.shape[0]
    n_states = log_init.shape[0]
    n_runs = first_states.shape[0]
    prev = log_init.copy()
    cur = np.empty(n_states, dtype=np.float64)
    back = np.zeros((n, n_runs), dtype=np.int32)
    for t in range(n):
        for r in range(n_runs):
            lo = first_states[r]
            obs = log_obs[t, obs_pointer[lo]]
            best = -np.inf
            arg = 0
            for k in range(entry_ptr[r], entry_ptr[r + 1]):
                v = prev[last_states[entry_from[k]]] + entry_logp[k] + obs
                if v > best:
                    best = v
                    arg = entry_from[k]
            cur[lo] = best
            back[t, r] = arg
            for s in range(lo + 1, last_states[r] + 1):
                cur[s] = prev[s - 1] + 0.0 + log_obs[t, obs_pointer[s]]
        prev, cur = cur, prev
    path = np.zeros(n, dtype=np.int64)
    if n == 0:
        return path, -np.inf
    state = 0
    for s in range(1, n_states):
        if prev[s] > prev[state]:
            state = s
    if prev[state] == -np.inf:
        return np.zeros(0, dtype=np.int64), -np.inf
    run = np.zeros(n_states, dtype=np.int64)
    for r in range(n_runs):
        for s in range(first_states[r], last_states[r] + 1):
            run[s] = r
    for t in range(n - 1, -1, -1):
        path[t] = state
        r = run[state]
        if state == first_states[r]:
            state = last_states[back[t, r]]
        else:
            state -= 1
    return path, prev[path[n - 1]]
