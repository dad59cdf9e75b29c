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
    f = np.arange(int(11 * fps))
    on = 1.0 - np.cos(2 * np.pi * (f / fps) / 0.5)  # minima every 0.5 s, on the beats
    off = 1.0 - np.cos(2 * np.pi * (f / fps - 0.25) / 0.5)  # minima half a beat late
    assert beat_alignment_score(on, fps, beats) > 0.9
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
