"""Equivalence of the choreography numba kernels with their plain references (README: Conventions)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from choreography import _kernels as K
from tests.reference import choreography_kernels as R


def _inputs(rng, n_moves, n_beats, forbid=0.0, factored=True):
    """Random costs; transitions factored into exit-pose groups and families, or a plain matrix."""
    emit = rng.uniform(0, 1, (n_moves, n_beats))
    start = rng.uniform(0, 0.5, (n_moves, n_beats))
    if forbid:
        start[rng.uniform(0, 1, start.shape) < forbid] = np.inf
    beats = rng.integers(1, 5, n_moves).astype(np.int64)
    if not factored:  # any matrix: every move its own group and family
        return emit, start, rng.uniform(0, 2, (n_moves, n_moves)), np.arange(n_moves), np.arange(n_moves), 0.0, beats
    n_groups = int(rng.integers(1, n_moves + 1))
    group_trans = rng.uniform(0, 2, (n_groups, n_moves))
    group_of = rng.integers(0, n_groups, n_moves).astype(np.int64)
    family = rng.integers(0, max(1, n_moves // 2), n_moves).astype(np.int64)
    return emit, start, group_trans, group_of, family, float(rng.uniform(0, 1.5)), beats


@pytest.mark.parametrize("factored", [True, False])
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("n_moves,n_beats", [(1, 0), (1, 1), (3, 1), (5, 17), (12, 64), (40, 120)])
def test_move_dp_matches_reference(seed, n_moves, n_beats, factored):
    rng = np.random.default_rng(seed)
    args = _inputs(rng, n_moves, n_beats, forbid=0.3, factored=factored)
    c1, b1 = K.move_dp_forward(*args)
    c2, b2 = R.move_dp_forward(*args)
    np.testing.assert_allclose(c1, c2, rtol=1e-12)
    np.testing.assert_array_equal(b1, b2)
    if n_beats and np.isfinite(c1).any():
        last = int(np.argmin(c1))
        np.testing.assert_array_equal(K.move_dp_backtrack(b1, last), R.move_dp_backtrack(b2, last))


def test_move_dp_constant_costs_and_planted_answer():
    n_beats = 16
    emit = np.ones((3, n_beats))
    emit[1, :] = 0.0  # move 1 is free everywhere
    start = np.zeros((3, n_beats))
    beats = np.array([2, 4, 1], dtype=np.int64)
    cost, back = K.move_dp_forward(emit, start, np.zeros((1, 3)), np.zeros(3, dtype=np.int64), np.arange(3), 0.0,
                                   beats)
    path = K.move_dp_backtrack(back, int(np.argmin(cost)))
    # states of move 1 are 2..5; it runs back to back: 2 3 4 5 2 3 4 5 ...
    assert list(path) == [2, 3, 4, 5] * 4


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 6), st.integers(0, 30), st.integers(0, 2**31 - 1), st.booleans())
def test_move_dp_hypothesis(n_moves, n_beats, seed, factored):
    rng = np.random.default_rng(seed)
    args = _inputs(rng, n_moves, n_beats, forbid=0.2, factored=factored)
    c1, b1 = K.move_dp_forward(*args)
    c2, b2 = R.move_dp_forward(*args)
    np.testing.assert_allclose(c1, c2, rtol=1e-12)
    np.testing.assert_array_equal(b1, b2)
