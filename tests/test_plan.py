"""The move plan: cost arrays and the decoder on controlled inputs."""

import numpy as np
import pytest

from audio.errors import ChoreoError
from choreography.music import BeatFeatures
from choreography.plan import MoveArrays, PlanParams, cost_arrays, decode, placements


def _beats(n=32, bpb=4, energy=None):
    t = np.arange(n) * 0.5
    beat = np.arange(n) % bpb + 1
    bar = np.arange(n) // bpb + 1
    e = np.full(n, 0.5) if energy is None else energy
    return BeatFeatures(t, bar, beat, beat == 1, (beat == 1) & ((bar - 1) % 4 == 0), e, e, np.zeros(n),
                        np.zeros(n), np.zeros(n, dtype=int))


def _moves():
    names = ("sway", "jump", "clap", "freeze")
    beats = np.array([4, 2, 1, 2])
    energy = np.array([0.2, 0.95, 0.6, 0.5])
    accent = np.array([False, False, True, True])
    hold = np.array([False, False, False, True])
    calm = np.array([True, False, False, False])
    return MoveArrays(names, beats, energy, accent, hold, calm, np.full((4, 4), 10.0))


def test_energy_follows_the_music():
    e = np.r_[np.full(16, 0.2), np.full(16, 0.95)]
    mv = _moves()
    emit, start, trans = cost_arrays(_beats(energy=e), mv)
    plan = placements(decode(emit, start, trans, mv.beats), mv, 32)
    first = {p.move for p in plan if p.start_beat < 16}
    second = {p.move for p in plan if p.start_beat >= 16}
    assert first == {"sway"} and "jump" in second
    assert sum(p.n_beats for p in plan) == 32 and plan[0].start_beat == 0


def test_long_moves_start_on_downbeats():
    mv = _moves()
    emit, start, trans = cost_arrays(_beats(energy=np.full(32, 0.2)), mv, PlanParams(repeat_penalty=0.0))
    for p in placements(decode(emit, start, trans, mv.beats), mv, 32):
        if p.move == "sway":
            assert p.start_beat % 4 == 0


def test_forbidden_everything_is_a_clear_error():
    mv = _moves()
    emit, start, trans = cost_arrays(_beats(), mv)
    start[:, 0] = np.inf
    with pytest.raises(ChoreoError, match="pins leave no possible"):
        decode(emit, start, trans, mv.beats)


def test_shape_errors_name_the_mistake():
    mv = _moves()
    emit, start, trans = cost_arrays(_beats(), mv)
    with pytest.raises(ValueError, match="shapes disagree"):
        decode(emit, start[:, :-1], trans, mv.beats)


def test_a_move_and_its_mirror_image_are_one_family():
    from dataclasses import replace

    mv = replace(_moves(), family=np.array([0, 1, 2, 1]))  # say freeze were jump's mirror image
    trans = cost_arrays(_beats(), mv)[2].full()
    p = PlanParams()
    assert trans[1, 3] == trans[3, 1] == trans[1, 1] == pytest.approx(10 * p.transition_weight + p.repeat_penalty)
    assert trans[0, 1] == pytest.approx(10 * p.transition_weight)


def test_section_usage_and_caps():
    from choreography.plan import Placement, section_usage, usage_caps

    mv = _moves()
    section = np.repeat([0, 1], [40, 8])  # a 10-bar section and a 2-bar one
    plan = [Placement("sway", 0, 4), Placement("clap", 4, 1), Placement("sway", 38, 4), Placement("jump", 42, 2)]
    use = section_usage(plan, mv, section, 2)
    assert use[0].tolist() == [6, 2] and use[2].tolist() == [1, 0] and use[1].tolist() == [0, 2]
    caps = usage_caps(section, 2, 4, mv, PlanParams(share_cap=0.15, min_cap_bars=1))
    # 15 % of 40 beats is 6; of 8 beats it is 1.2, raised to one bar (4 beats), and to a family's longest
    # move (sway: 4 beats); never more than the section
    assert caps[:, 0].tolist() == [6, 6, 6, 6] and caps[:, 1].tolist() == [4, 4, 4, 4]


def test_half_time_grid():
    from choreography.music import half_time

    e = np.linspace(0.0, 1.0, 32)
    bf = _beats(energy=e)
    half, kept = half_time(bf)
    assert kept.tolist() == list(range(0, 32, 2)) and set(half.beat.tolist()) == {1, 3}
    assert np.allclose(half.energy, (e[0::2] + e[1::2]) / 2)
    assert half.downbeat.sum() == bf.downbeat.sum() and half.phrase_start.sum() == bf.phrase_start.sum()
    three = BeatFeatures(*[x[:30] for x in (bf.t_s, bf.bar, np.arange(30) % 3 + 1)], np.arange(30) % 3 == 0,
                         np.arange(30) % 12 == 0, *[x[:30] for x in (bf.energy, bf.intensity, bf.accent, bf.sustain,
                                                                     bf.section)])
    assert half_time(three)[1].tolist() == list(range(0, 30, 3))  # odd meters: the downbeats


def test_phrases_end_on_a_hit_or_a_hold():
    from choreography.music import phrase_ends

    bf = _beats()  # 8 bars of 4/4; phrases start on bars 1 and 5
    ends = phrase_ends(bf)
    assert np.flatnonzero(ends).tolist() == list(range(12, 16)) + list(range(28, 32))
    mv = _moves()
    _, start, _ = cost_arrays(bf, mv)
    _, start0, _ = cost_arrays(bf, mv, PlanParams(cadence_weight=0.0))
    bonus = start0 - start  # accent or hold moves (clap, freeze) gain, in the last bar of each phrase only
    assert np.allclose(bonus[[2, 3]][:, ends], PlanParams().cadence_weight) and np.allclose(bonus[:, ~ends], 0)
    assert np.allclose(bonus[[0, 1]], 0)


def test_short_moves_keep_their_place_in_the_bar():
    from choreography.music import metric_grid

    bf = _beats(n=24, bpb=4)
    has, off = metric_grid(np.array([1, 2, 4, 3]), bf)
    assert not has[0].any() and not has[2].any() and not has[3].any()  # 1 beat, a whole bar, 3 in 4/4: no grid
    assert has[1].all() and np.flatnonzero(off[1]).tolist() == list(range(1, 24, 2))  # beats 2 and 4
    three = _beats(n=12, bpb=3)
    assert not metric_grid(np.array([2]), three)[0].any()  # 2 does not divide a 3/4 bar
    pickup = BeatFeatures(bf.t_s[:6], np.array([0, 0, 1, 1, 1, 1]), np.array([3, 4, 1, 2, 3, 4]),
                          *(getattr(bf, k)[:6] for k in ("downbeat", "phrase_start", "energy", "intensity", "accent",
                                                         "sustain", "section")))
    assert metric_grid(np.array([2]), pickup)[1][0].tolist() == [False, True, False, True, False, True]
    # In the plan: a clap forced on the first beat leaves 7 beats. Steps from beat 2 on fill them off the grid
    # (4 starts, 1.2); a second clap (0.5) right after the first puts the steps back on beats 1 and 3.
    mv = MoveArrays(("step", "clap"), np.array([2, 1]), np.array([0.5, 0.5]), np.zeros(2, bool), np.zeros(2, bool),
                    np.zeros(2, bool), np.zeros((2, 2)))
    flat = _beats(n=8)
    emit, start, trans = cost_arrays(flat, mv, PlanParams(repeat_penalty=0.0))
    emit[:] = 0.0
    emit[0, 0], emit[1, 1:] = 5.0, 0.5
    _, start0, _ = cost_arrays(flat, mv, PlanParams(repeat_penalty=0.0, metric_weight=0.0))
    assert np.allclose(start - start0, PlanParams().metric_weight * off[[1, 0]][:, :8])
    plan = placements(decode(emit, start, trans, mv.beats), mv, 8)
    assert [(p.move, p.start_beat) for p in plan] == [("clap", 0), ("clap", 1), ("step", 2), ("step", 4),
                                                      ("step", 6)]
    plan0 = placements(decode(emit, start0, trans, mv.beats), mv, 8)
    assert [p.start_beat for p in plan0 if p.move == "step"] == [1, 3, 5, 7]  # without the grid cost
