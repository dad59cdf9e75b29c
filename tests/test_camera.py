"""Shot planner: kernel equivalence with the reference, and plan invariants."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from choreography import _camera_kernels as K
from choreography.camera import KINDS, plan_shots, shot_move
from choreography.model import seconds_to_frame
from choreography.music import BeatFeatures
from tests.reference import camera_kernels as R


def make_features(bpm=120.0, n_bars=48, beats_per_bar=4, pickup=1, seed=0, accent=None, energy=None):
    rng = np.random.default_rng(seed)
    n = n_bars * beats_per_bar + pickup
    t = 0.3 + np.arange(n) * 60.0 / bpm
    idx = np.arange(n) - pickup
    beat = idx % beats_per_bar + 1
    bar = idx // beats_per_bar + 1
    e = rng.uniform(0, 1, n) if energy is None else np.full(n, float(energy))
    a = rng.uniform(0, 1, n) if accent is None else np.full(n, float(accent))
    return BeatFeatures(t, bar, beat, beat == 1, (beat == 1) & ((bar - 1) % 4 == 0), e, rng.uniform(0, 1, n), a,
                        rng.uniform(0, 1, n), np.zeros(n, dtype=np.int64))


def sections_for(bf, beats_per_bar=4, pickup=1):
    plan = [("A", "intro", 4), ("B", "verse", 8), ("C", "chorus", 8), ("B", "verse", 8), ("C", "chorus", 8),
            ("D", "bridge", 4), ("C", "chorus", 8)]
    out, bar = [], 0
    for label, kind, bars in plan:
        start = bf.t_s[pickup + bar * beats_per_bar]
        bar += bars
        end = bf.t_s[pickup + bar * beats_per_bar] if pickup + bar * beats_per_bar < bf.n else bf.t_s[-1] + 0.5
        out.append((float(start), float(end), label, kind))
    return out


def _kernel_inputs(rng, n_kinds, n_bars, forbid=0.0):
    cut = rng.uniform(0, 2, n_bars)
    kind = rng.uniform(-0.5, 1.5, (n_kinds, n_bars))
    if forbid:
        kind[rng.uniform(0, 1, kind.shape) < forbid] = np.inf
    switch = rng.uniform(0, 3, (n_kinds, n_kinds))
    return cut, kind, switch


def _compare(cut, kind, switch, min_len):
    c1, b1 = K.shot_dp_forward(cut, kind, switch, min_len)
    c2, b2 = R.shot_dp_forward(cut, kind, switch, min_len)
    np.testing.assert_allclose(c1, c2, rtol=1e-12)
    np.testing.assert_array_equal(b1, b2)
    if kind.shape[1] and np.isfinite(c1).any():
        last = int(np.argmin(c1))
        s1, k1 = K.shot_dp_backtrack(b1, last)
        s2, k2 = R.shot_dp_backtrack(b2, last)
        np.testing.assert_array_equal(s1, s2)
        np.testing.assert_array_equal(k1, k2)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("n_kinds,n_bars,min_len", [(3, 0, 2), (3, 1, 2), (4, 1, 1), (3, 2, 3), (4, 17, 2),
                                                    (4, 64, 4), (1, 10, 1), (4, 120, 1)])
def test_shot_dp_matches_reference(seed, n_kinds, n_bars, min_len):
    rng = np.random.default_rng(seed)
    _compare(*_kernel_inputs(rng, n_kinds, n_bars, forbid=0.2), min_len)


def test_shot_dp_constant_input_and_planted_answer():
    _compare(np.ones(12), np.ones((4, 12)), np.ones((4, 4)), 2)
    n = 8
    kind = np.ones((3, n))
    kind[0, :4] = 0.0
    kind[2, 4:] = 0.0
    cut = np.full(n, 0.1)
    switch = np.full((3, 3), 0.1)
    cost, back = K.shot_dp_forward(cut, kind, switch, 2)
    state, cuts = K.shot_dp_backtrack(back, int(np.argmin(cost)))
    assert list(state // 2) == [0] * 4 + [2] * 4
    assert list(np.flatnonzero(cuts)) == [0, 4]


def test_shot_dp_same_kind_cut_is_recorded():
    # min_len 1 and a cut to the same kind that is cheaper than continuing: the pointer says "cut"
    cut = np.array([0.0, -1.0, 0.0])
    cost, back = K.shot_dp_forward(cut, np.zeros((1, 3)), np.zeros((1, 1)), 1)
    state, cuts = K.shot_dp_backtrack(back, 0)
    assert list(cuts) == [True, True, False]
    np.testing.assert_array_equal(cuts, R.shot_dp_backtrack(R.shot_dp_forward(cut, np.zeros((1, 3)),
                                                                              np.zeros((1, 1)), 1)[1], 0)[1])


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.integers(0, 40), st.integers(1, 5), st.integers(0, 2**31 - 1))
def test_shot_dp_hypothesis(n_kinds, n_bars, min_len, seed):
    rng = np.random.default_rng(seed)
    _compare(*_kernel_inputs(rng, n_kinds, n_bars, forbid=0.15), min_len)


def _plan(bf, fps=Fraction(24), n_characters=2, min_shot_bars=2, seed=0):
    duration = seconds_to_frame(bf.t_s[-1] + 1.0, fps)
    return plan_shots(bf, sections_for(bf), fps=fps, duration_frames=duration, n_characters=n_characters,
                      min_shot_bars=min_shot_bars, seed=seed), duration


@pytest.mark.parametrize("fps", [Fraction(24), Fraction(30000, 1001)])
@pytest.mark.parametrize("min_shot_bars", [1, 2, 4])
@pytest.mark.parametrize("n_characters", [1, 3])
def test_plan_invariants(fps, min_shot_bars, n_characters):
    bf = make_features(seed=min_shot_bars)
    (shots, tracks), duration = _plan(bf, fps, n_characters, min_shot_bars)
    downbeat_frames = {seconds_to_frame(t, fps) for t in bf.t_s[bf.downbeat]}
    assert shots[0].start_frame == 0 and shots[-1].end_frame == duration
    for a, b in zip(shots, shots[1:], strict=False):
        assert a.end_frame == b.start_frame
    for s in shots:
        assert s.cut and s.kind in KINDS and s.end_frame > s.start_frame
        assert s.start_frame == 0 or s.start_frame in downbeat_frames
    for s in shots[:-1]:
        bars_in = sum(s.start_frame <= f < s.end_frame for f in downbeat_frames)
        assert bars_in >= min_shot_bars
    if n_characters == 1:
        assert all(s.kind != "two_shot" for s in shots)
    assert len(shots) > 3
    assert set(tracks) == {"camera/zoom", "camera/x", "camera/y"}
    for t in tracks.values():
        assert all(b > a for a, b in zip(t.frames, t.frames[1:], strict=False))
        assert t.frames[0] == 0 and t.frames[-1] < duration
        assert len(t.frames) == len(t.values) == len(t.interp)
        key = dict(zip(t.frames, t.interp, strict=True))
        assert all(key[s.start_frame] == "hold" for s in shots)
        assert all(np.isfinite(t.values))
    assert all(abs(v) <= 60 for v in tracks["camera/x"].values + tracks["camera/y"].values)
    assert all(0.9 <= v <= 3.0 for v in tracks["camera/zoom"].values)


def test_cuts_prefer_section_boundaries_and_are_deterministic():
    bf = make_features(seed=3)
    (shots, tracks), _ = _plan(bf)
    (shots2, tracks2), _ = _plan(bf)
    assert shots == shots2 and tracks == tracks2
    boundaries = {seconds_to_frame(s[0], Fraction(24)) for s in sections_for(bf)}
    starts = {s.start_frame for s in shots}
    assert len(boundaries - starts - {seconds_to_frame(bf.t_s[1], Fraction(24))}) <= 1
    kinds = {s.kind for s in shots}
    assert len(kinds) >= 3


def test_single_character_never_two_shot_many_seeds():
    for seed in range(5):
        bf = make_features(seed=seed)
        (shots, _), _ = _plan(bf, n_characters=1, seed=seed)
        assert "two_shot" not in {s.kind for s in shots}


def test_edge_cases_no_bars_and_empty_song():
    bf = make_features(n_bars=0, pickup=3)
    shots, tracks = plan_shots(bf, [], fps=Fraction(24), duration_frames=50, n_characters=1)
    assert len(shots) == 1 and shots[0].start_frame == 0 and shots[0].end_frame == 50
    assert tracks["camera/zoom"].frames == (0,)
    shots, tracks = plan_shots(bf, [], fps=Fraction(24), duration_frames=0, n_characters=1)
    assert shots == [] and tracks["camera/x"].frames == ()
    one = make_features(n_bars=1, pickup=0)
    shots, _ = plan_shots(one, [(0.0, 3.0, "A", "verse")], fps=Fraction(24), duration_frames=72, n_characters=2)
    assert len(shots) == 1
    with pytest.raises(ValueError, match="min_shot_bars"):
        plan_shots(bf, [], fps=Fraction(24), duration_frames=10, n_characters=1, min_shot_bars=0)


def test_extreme_tempo_bars_share_frames():
    bf = make_features(bpm=8000.0, n_bars=48)  # a bar lasts 0.72 frames at 24 fps: bar lines share frames
    (shots, tracks), duration = _plan(bf)
    assert all(b.start_frame > a.start_frame for a, b in zip(shots, shots[1:], strict=False))
    assert shots[-1].end_frame == duration


def test_move_rule():
    assert shot_move(np.array([0.2, 0.2, 0.8, 0.9]), "medium") == "push_in"
    assert shot_move(np.array([0.9, 0.8, 0.2, 0.1]), "close") == "pull_out"
    assert shot_move(np.full(4, 0.5), "wide") == "pan"
    assert shot_move(np.full(4, 0.5), "close") == "static"
    assert shot_move(np.zeros(0), "wide") == "static"
