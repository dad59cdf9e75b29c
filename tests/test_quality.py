"""Track sampling and the quality report."""

import numpy as np

from choreography.model import Track
from choreography.quality import beat_alignment_score
from choreography.sampling import sample_track


def test_sample_track_hits_keys_and_eases():
    t = Track((2, 10, 20), (0.0, 10.0, -5.0), ("linear", "linear", "hold"))
    v = sample_track(t, 25)
    assert v[0] == 0.0 and v[2] == 0.0 and v[10] == 10.0 and v[6] == 5.0
    assert np.all(v[10:20] == 10.0) and v[20] == -5.0 and v[24] == -5.0  # hold jumps at its key
    assert sample_track(Track((), (), ()), 4).tolist() == [0, 0, 0, 0]
    assert sample_track(Track((3,), (7.0,), ("linear",)), 5).tolist() == [7.0] * 5


def test_beat_alignment_score_rewards_minima_on_beats():
    fps = 24.0
    beats = np.arange(1, 20) * 0.5
    t = np.arange(int(11 * fps) + 1) / fps
    # a hand swinging between two poses, at rest on every beat (the speed is the motion frame to frame)
    on = np.abs(np.diff(np.cos(2 * np.pi * t / 1.0)))
    off = np.abs(np.diff(np.cos(2 * np.pi * (t - 0.25) / 1.0)))  # at rest half a beat late
    assert beat_alignment_score(on, fps, beats) > 0.95
    assert beat_alignment_score(off, fps, beats) < 0.1
    assert beat_alignment_score(np.zeros(2), fps, beats) == 0.0


def test_viewer_figures_count_what_a_viewer_sees():
    """Runs, shares and energy correlation on a placement list whose answers are known by construction."""
    from fractions import Fraction

    from audio.analysis import analyze
    from audio.params import AnalysisParams
    from choreography.model import MovePlacement, seconds_to_frame
    from choreography.moves import load_moves
    from choreography.music import beat_features
    from choreography.quality import viewer_figures
    from tests.conftest import ROOT

    ex = ROOT / "examples"
    a = analyze(ex / "example_song.ogg", AnalysisParams(backend="librosa"), midi=ex / "example_song.mid")
    bf, lib, fps = beat_features(a), load_moves(), Fraction(24)
    calm, loud = "idle_breathe", max(lib.moves, key=lambda m: m.energy).name
    # one move per bar: calm where the music is below its median energy, loud above; the first 5 bars
    # are the same move (a run of 5) and its mirror image counts as the same move
    downbeats = np.flatnonzero(bf.downbeat)
    moves = []
    for i, b in enumerate(downbeats[:-1]):
        name = calm if i < 5 or bf.energy[b] < np.median(bf.energy) else loud
        if i == 3:
            name = f"{calm}~m"
        moves.append(MovePlacement("ada", name, seconds_to_frame(bf.t_s[b], fps),
                                   seconds_to_frame(bf.t_s[downbeats[i + 1]], fps), int(b), int(bf.bar[b]), 1))
    r = viewer_figures(moves, bf, lib, fps, a)
    assert r["longest_run"] >= 5 and r["runs_over_2"] >= 1
    assert 0.0 < r["top_move_share"] <= 1.0 and r["worst_section_top_share"] >= r["top_move_share"] - 1e-9
    assert r["phrase_alignment"] == 1.0  # a move starts on every bar, so on every phrase start
    assert r["energy_correlation"] > 0.3  # loud moves where the music is loud
    swapped = [MovePlacement(m.character, loud if m.move.startswith(calm) else calm, m.start_frame, m.end_frame,
                             m.start_beat, m.bar, m.beat) for m in moves]
    assert viewer_figures(swapped, bf, lib, fps, a)["energy_correlation"] < -0.3
    assert r["distinct_per_minute"] == 2 / ((bf.t_s[-1] - bf.t_s[0]) / 60)
    # Metric alignment: 2-beat moves starting on beats 1 and 3 are on their grid, on 2 and 4 off it.
    two = next(m.name for m in lib.moves if m.beats == 2)
    four_four = np.flatnonzero(bf.beat <= 4)[:-1]

    def pairs(first_beat):
        picks = [int(i) for i in four_four if bf.beat[i] in (first_beat, first_beat + 2)][:8]
        return [MovePlacement("ada", two, seconds_to_frame(bf.t_s[i], fps), seconds_to_frame(bf.t_s[i + 1], fps),
                              i, int(bf.bar[i]), int(bf.beat[i])) for i in picks]

    assert r["metric_alignment"] == 1.0  # bar-long moves have no grid
    assert viewer_figures(pairs(1), bf, lib, fps, a)["metric_alignment"] == 1.0
    assert viewer_figures(pairs(2), bf, lib, fps, a)["metric_alignment"] == 0.0


def test_thin_linear_keys_keeps_the_curve():
    from choreography.sampling import thin_linear_keys

    rng = np.random.default_rng(3)
    frames = tuple(range(60))
    # a hold, a ramp, a wiggle, another hold; one eased key in the ramp
    values = [5.0] * 15 + list(np.linspace(5.0, 20.0, 15)) + list(20.0 + rng.normal(0, 2, 15)) + [3.0] * 15
    interp = ["linear"] * 60
    interp[22] = "in_out"
    t = Track(frames, tuple(values), tuple(interp))
    thin = thin_linear_keys(t, 0.01)
    assert len(thin.frames) < 35  # the holds and the ramp shrink to their ends; the wiggle stays
    assert np.abs(sample_track(thin, 70) - sample_track(t, 70)).max() <= 0.01
    assert 22 in thin.frames and thin.interp[thin.frames.index(22)] == "in_out"  # an eased key is never dropped
    assert thin_linear_keys(Track((0, 5), (1.0, 2.0), ("linear", "linear")), 0.01).frames == (0, 5)
    for seed in range(40):  # random walks with holds, ramps and a few eased keys
        r = np.random.default_rng(seed)
        n = int(r.integers(3, 200))
        fr = np.cumsum(r.integers(1, 4, n))
        val = np.cumsum(r.choice([0.0, 0.0, 1.0, r.normal()], n) * r.normal(0, 1, n))
        eases = [str(x) for x in r.choice(["linear"] * 8 + ["in_out", "hold"], n)]
        walk = Track(tuple(int(x) for x in fr), tuple(float(x) for x in val), tuple(eases))
        for tol in (0.01, 0.5):
            got = thin_linear_keys(walk, tol)
            assert np.abs(sample_track(got, int(fr[-1]) + 5) - sample_track(walk, int(fr[-1]) + 5)).max() <= tol + 1e-9
    loose = thin_linear_keys(t, 5.0)
    assert len(loose.frames) < len(thin.frames)
    assert np.abs(sample_track(loose, 70) - sample_track(t, 70)).max() <= 5.0


def test_the_songs_tail_is_not_dance_time():
    from fractions import Fraction

    from audio.analysis import analyze
    from audio.params import AnalysisParams
    from choreography.model import MovePlacement, seconds_to_frame
    from choreography.moves import load_moves
    from choreography.music import beat_features
    from choreography.quality import viewer_figures
    from tests.conftest import ROOT

    ex = ROOT / "examples"
    a = analyze(ex / "example_song.ogg", AnalysisParams(backend="librosa"), midi=ex / "example_song.mid")
    bf, lib, fps = beat_features(a), load_moves(), Fraction(24)
    names = [m.name for m in lib.moves if m.beats == 4][:6]
    downbeats = np.flatnonzero(bf.downbeat)
    moves = [MovePlacement("ada", names[i % 6], seconds_to_frame(bf.t_s[b], fps),
                           seconds_to_frame(bf.t_s[downbeats[i + 1]], fps), int(b), int(bf.bar[b]), 1)
             for i, b in enumerate(downbeats[:-1])]

    def held_for(seconds):
        return MovePlacement("ada", "bow", moves[-1].end_frame, moves[-1].end_frame + round(seconds * 24),
                             int(downbeats[-1]), int(bf.bar[downbeats[-1]]), 1)

    # The last move held through one or two minutes of silence after the last beat: the same beat of dance
    # either way, so the bow does not become the most danced move.
    one, two = (viewer_figures(moves + [held_for(s)], bf, lib, fps, a)["top_move_share"] for s in (60, 120))
    assert one == two < 0.5


def test_kinetic_beats_are_local_minima_with_flat_ones_once():
    from scipy.signal import argrelextrema

    from choreography.quality import kinetic_beats

    rng = np.random.default_rng(7)
    for n in (3, 4, 5, 9, 50, 400):  # no ties: scipy's strict minima, half a frame later
        for _ in range(20):
            x = rng.random(n)
            smooth = np.convolve(x, np.ones(3) / 3, mode="same")
            assert np.allclose(kinetic_beats(x, 24.0), (argrelextrema(smooth, np.less, order=2)[0] + 0.5) / 24.0)
    # a pose eased in and out symmetrically about its key at frame 12: equal speeds on both sides of it
    pos = np.cos(2 * np.pi * np.arange(25) / 24.0)
    assert np.allclose(kinetic_beats(np.abs(np.diff(pos)), 24.0), [12 / 24.0])
    # a hold from frame 10 to 20 between two moves: one kinetic beat, in its middle
    speed = np.concatenate((np.linspace(5, 1, 10), np.zeros(10), np.linspace(1, 5, 10)))
    assert np.allclose(kinetic_beats(speed, 24.0), [(9 + 20) / 2 / 24.0 + 0.5 / 24.0])
    assert kinetic_beats(np.ones(2), 24.0).size == 0 and kinetic_beats(np.ones(30), 24.0).size == 0


def _two_pose_library(key_beats: dict[str, list[float]]):
    """Moves that swing the arms between two poses, resting (in_out) at the given beats of a 4-beat move."""
    from choreography.moves import moves_from_dict

    up = {"l_upper_arm": 80, "r_upper_arm": -80, "l_forearm": 40, "r_forearm": -40}
    moves = []
    for name, beats in key_beats.items():
        keys = [{"beat": b, "pose": up if i % 2 else "rest", "ease": "in_out"} for i, b in enumerate(beats)]
        moves.append({"name": name, "beats": 4, "energy": 0.5, "keys": keys})
    return moves_from_dict({"schema": "choreo.moves/1", "name": "test", "moves": moves})


def test_move_beat_fit_scores_where_a_move_comes_to_rest():
    from choreography.quality import move_beat_fit
    from choreography.rig import load_rig

    lib = _two_pose_library({"on": [0, 1, 2, 3, 4], "off": [0, 0.5, 1.5, 2.5, 3.5, 4],
                             "every_other": [0, 2, 4]})
    rig = load_rig("ada")
    on, off, other = move_beat_fit(lib, rig, 0.5, 24.0)  # 120 BPM
    assert on > 0.95 and off < 0.3 and 0.3 < other < 0.6
    # at half time a move's beat is two song beats: resting on each of its beats rests on every other one
    assert 0.3 < move_beat_fit(lib, rig, 0.3, 24.0, beats_per_move_beat=2)[0] < 0.7
    assert move_beat_fit(lib, rig, 0.5, 24.0) is move_beat_fit(lib, rig, 0.5004, 24.0)  # cached per ms of tempo
