"""Equivalence of the audio numba kernels with their plain references (README: Conventions)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audio import _kernels as K
from tests.reference import audio_kernels as R


def _beat_inputs(rng, n, bpm_frames):
    onset = np.abs(rng.standard_normal(n))
    period = np.full(n, float(bpm_frames)) * (1 + 0.05 * np.sin(np.arange(n) / 50.0))
    return onset, period


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("n", [0, 1, 2, 37, 400])
def test_beat_dp_matches_reference(seed, n):
    rng = np.random.default_rng(seed)
    onset, period = _beat_inputs(rng, n, rng.uniform(8, 60))
    s1, b1 = K.beat_dp_forward(onset, period, 100.0)
    s2, b2 = R.beat_dp_forward(onset, period, 100.0)
    np.testing.assert_allclose(s1, s2, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(b1, b2)
    if n:
        last = int(np.argmax(s1))
        np.testing.assert_array_equal(K.backtrack_links(b1, last), R.backtrack_links(b2, last))


@pytest.mark.parametrize("period", [2.0, 12.5, 100.0])  # extreme tempi: 1500, 240 and 30 BPM at 50 frames/s
def test_beat_dp_constant_and_extreme(period):
    onset = np.ones(300)
    per = np.full(300, period)
    s1, b1 = K.beat_dp_forward(onset, per, 50.0)
    s2, b2 = R.beat_dp_forward(onset, per, 50.0)
    np.testing.assert_allclose(s1, s2)
    np.testing.assert_array_equal(b1, b2)


def test_beat_dp_finds_a_planted_pulse():
    n, p = 1000, 25
    onset = np.full(n, 0.05)
    onset[7::p] = 3.0
    score, back = K.beat_dp_forward(onset, np.full(n, float(p)), 100.0)
    path = K.backtrack_links(back, int(np.argmax(score)))
    assert np.all(np.diff(path) == p)
    assert path[0] == 7


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 10, allow_nan=False), min_size=0, max_size=120),
       st.floats(1.5, 40.0), st.floats(0.0, 500.0))
def test_beat_dp_hypothesis(values, period, tightness):
    onset = np.array(values, dtype=np.float64)
    per = np.full(onset.shape[0], period)
    s1, b1 = K.beat_dp_forward(onset, per, tightness)
    s2, b2 = R.beat_dp_forward(onset, per, tightness)
    np.testing.assert_allclose(s1, s2, rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(b1, b2)


def _bar_inputs(rng, n):
    ev = np.clip(rng.uniform(0, 1, n), 1e-3, 1 - 1e-3)
    return np.log(ev), np.log1p(-ev)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("n", [0, 1, 2, 50, 300])
@pytest.mark.parametrize("m", [1, 2, 3, 4, 7])
def test_bar_viterbi_matches_reference(seed, n, m):
    rng = np.random.default_rng(seed)
    ld, lo = _bar_inputs(rng, n)
    d1, p1 = K.bar_viterbi_forward(ld, lo, m, np.log(0.98), np.log(0.02))
    d2, p2 = R.bar_viterbi_forward(ld, lo, m, np.log(0.98), np.log(0.02))
    np.testing.assert_allclose(d1, d2, rtol=1e-12)
    np.testing.assert_array_equal(p1, p2)
    if n:
        last = int(np.argmax(d1))
        np.testing.assert_array_equal(K.backtrack_states(p1, last), R.backtrack_states(p2, last))


def test_bar_viterbi_constant_evidence_is_regular():
    n = 40
    ld, lo = np.full(n, np.log(0.5)), np.full(n, np.log(0.5))
    d, psi = K.bar_viterbi_forward(ld, lo, 4, np.log(0.98), np.log(0.02))
    path = K.backtrack_states(psi, int(np.argmax(d)))
    assert np.all((np.diff(path) % 4) == 1)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.001, 0.999), min_size=1, max_size=80), st.integers(1, 6), st.floats(0.001, 0.5))
def test_bar_viterbi_hypothesis(ev, m, reset):
    ev = np.array(ev)
    ld, lo = np.log(ev), np.log1p(-ev)
    d1, p1 = K.bar_viterbi_forward(ld, lo, m, np.log1p(-reset), np.log(reset))
    d2, p2 = R.bar_viterbi_forward(ld, lo, m, np.log1p(-reset), np.log(reset))
    np.testing.assert_allclose(d1, d2, rtol=1e-10)
    np.testing.assert_array_equal(p1, p2)


def _syll_inputs(rng, n, n_syll):
    voiced = (rng.uniform(0, 1, n) > 0.4).astype(float)
    onset = rng.uniform(0, 1, n)
    line_end = np.zeros(n_syll, dtype=np.bool_)
    if n_syll:
        line_end[rng.integers(0, n_syll, size=max(1, n_syll // 4))] = True
        line_end[-1] = True
    return (1.0 - onset, 2.0 * (1.0 - voiced), 0.2 + 1.5 * voiced, 1.0 + 3.0 * voiced, line_end)


def _same_syllable_dp(seed, n, n_syll, m, pause_enter_mid):
    """Kernel and reference forward passes on the same random inputs: equal costs and choices."""
    args = _syll_inputs(np.random.default_rng(seed), n, n_syll)
    c1, ch1 = K.syllable_dp_forward(*args, m, pause_enter_mid)
    c2, ch2 = R.syllable_dp_forward(*args, m, pause_enter_mid)
    np.testing.assert_allclose(c1, c2, rtol=1e-12)
    np.testing.assert_array_equal(ch1, ch2)
    return c1, ch1, ch2


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("n,n_syll,m", [(0, 0, 2), (1, 1, 2), (10, 1, 2), (40, 5, 2), (60, 7, 3), (120, 12, 4)])
def test_syllable_dp_matches_reference(seed, n, n_syll, m):
    c1, ch1, ch2 = _same_syllable_dp(seed, n, n_syll, m, 2.0)
    if n and n_syll and n >= n_syll * m:
        width = m + 1
        last_pause, last_sing = 1 + (n_syll - 1) * width + m, 1 + (n_syll - 1) * width + m - 1
        last = last_pause if c1[last_pause] <= c1[last_sing] else last_sing
        s1, e1 = K.syllable_dp_backtrack(ch1, n_syll, m, last)
        s2, e2 = R.syllable_dp_backtrack(ch2, n_syll, m, last)
        np.testing.assert_array_equal(s1, s2)
        np.testing.assert_array_equal(e1, e2)
        assert np.all(s1 >= 0) and np.all(e1 - s1 >= m) and np.all(s1[1:] >= e1[:-1])


def test_syllable_dp_finds_planted_syllables():
    n = 200
    onsets = [20, 50, 80, 140]
    voiced = np.zeros(n)
    for a in onsets:
        voiced[a:a + 20] = 1.0
    enter = np.full(n, 3.0)
    enter[onsets] = 0.0
    line_end = np.array([False, False, True, True])
    final, choice = K.syllable_dp_forward(enter, 2.0 * (1 - voiced), 0.1 + 2 * voiced, 1.0 + 2 * voiced,
                                          line_end, 3, 1.0)
    last = 1 + 3 * 4 + 3
    start, end = K.syllable_dp_backtrack(choice, 4, 3, last)
    np.testing.assert_array_equal(start, onsets)
    np.testing.assert_array_equal(end, np.array(onsets) + 20)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 60), st.integers(0, 6), st.integers(2, 4), st.integers(0, 2**31 - 1))
def test_syllable_dp_hypothesis(n, n_syll, m, seed):
    _same_syllable_dp(seed, n, n_syll, m, 1.0)


def _beat_hmm(rng, n_runs, dense):
    """A random run-structured beat HMM: runs of 2..9 states, entries from every (or a random few) runs."""
    lengths = rng.integers(2, 10, size=n_runs) if n_runs else np.zeros(0, dtype=np.int64)
    lasts = np.cumsum(lengths) - 1
    firsts = lasts - lengths + 1
    ptr, frm, logp = [0], [], []
    for _ in range(n_runs):
        src = np.arange(n_runs) if dense else np.sort(rng.choice(n_runs, size=rng.integers(1, n_runs + 1),
                                                                 replace=False))
        frm.extend(src.tolist())
        logp.extend(np.log(rng.dirichlet(np.ones(src.size))).tolist())
        ptr.append(len(frm))
    n_states = int(lengths.sum())
    pointer = (rng.random(n_states) < 0.3).astype(np.int64)
    log_init = np.full(n_states, -np.log(max(n_states, 1)))
    return (pointer, firsts.astype(np.int64), lasts.astype(np.int64), np.array(ptr, dtype=np.int64),
            np.array(frm, dtype=np.int64), np.array(logp, dtype=np.float64), log_init)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("n", [0, 1, 2, 60])
@pytest.mark.parametrize("dense", [True, False])
def test_beat_hmm_viterbi_matches_reference(seed, n, dense):
    rng = np.random.default_rng(seed)
    pointer, firsts, lasts, ptr, frm, logp, log_init = _beat_hmm(rng, 5, dense)
    act = rng.uniform(0.01, 0.99, size=n)
    log_obs = np.stack([np.log((1 - act) / 15.0), np.log(act)], axis=1)
    args = (log_obs, pointer, firsts, lasts, ptr, frm, logp, log_init)
    _same_viterbi(K.beat_hmm_viterbi(*args), R.beat_hmm_viterbi(*args))


def _same_viterbi(got, want):
    np.testing.assert_array_equal(got[0], want[0])
    assert got[1] == pytest.approx(want[1], rel=1e-12, abs=1e-12) or got[1] == want[1] == -np.inf


def test_beat_hmm_viterbi_constant_and_impossible():
    rng = np.random.default_rng(3)
    pointer, firsts, lasts, ptr, frm, logp, log_init = _beat_hmm(rng, 4, True)
    log_obs = np.zeros((40, 2))  # constant input: ties everywhere, broken the same way
    args = (log_obs, pointer, firsts, lasts, ptr, frm, logp, log_init)
    _same_viterbi(K.beat_hmm_viterbi(*args), R.beat_hmm_viterbi(*args))
    log_obs[:, :] = -np.inf  # no path has a finite score
    assert K.beat_hmm_viterbi(*args)[0].shape == (0,) == R.beat_hmm_viterbi(*args)[0].shape
    assert K.beat_hmm_viterbi(*args)[1] == -np.inf


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 6), st.lists(st.floats(0.0, 1.0), min_size=0, max_size=50))
def test_beat_hmm_viterbi_hypothesis(seed, n_runs, values):
    rng = np.random.default_rng(seed)
    pointer, firsts, lasts, ptr, frm, logp, log_init = _beat_hmm(rng, n_runs, bool(seed % 2))
    act = np.array(values, dtype=np.float64)
    with np.errstate(divide="ignore"):
        log_obs = np.stack([np.log((1 - act) / 15.0), np.log(act)], axis=1).reshape(-1, 2)
    args = (log_obs, pointer, firsts, lasts, ptr, frm, logp, log_init)
    _same_viterbi(K.beat_hmm_viterbi(*args), R.beat_hmm_viterbi(*args))
