"""Beat tracking pieces: madmom chunking, the pulse rule, subdivision and meter decisions."""

from __future__ import annotations

import numpy as np
import pytest

from audio import beats as B
from audio import features as F
from audio import meter as M
from tests.material.synth import SongSpec, synthesize


@pytest.fixture(scope="module")
def song_feat():
    song = synthesize(SongSpec(bpm=123, seed=4, form=(("intro", 4), ("verse", 8), ("chorus", 8))))
    y = F.resample_mono(song.y, song.sr, F.ANALYSIS_SR)
    return song, y, F.compute_features(y)


def test_madmom_chunks_match_one_pass(song_feat):
    from madmom.audio.signal import Signal
    from madmom.features.downbeats import RNNDownBeatProcessor

    song, y, feat = song_feat
    y44 = F.resample_mono(y, F.ANALYSIS_SR, 44100)
    whole = np.asarray(RNNDownBeatProcessor()(Signal(y44, sample_rate=44100, num_channels=1)))
    prepared = B.madmom_activations(y, F.ANALYSIS_SR, prepare_s=7)
    assert whole.shape == prepared.shape
    # The input prepared in pieces, the networks run once: madmom's own activations.
    assert np.abs(whole - prepared).max() < 1e-5
    # Networks in cross-faded windows: close to one pass, and the same beats.
    windowed = B.madmom_activations(y, F.ANALYSIS_SR, prepare_s=7, window_s=12, context_s=6)
    assert windowed.shape == whole.shape and np.abs(whole - windowed).mean() < 0.01
    b1 = B.track_beats_madmom(whole, y, F.ANALYSIS_SR, min_bpm=54, max_bpm=220).times_s
    b2 = B.track_beats_madmom(windowed, y, F.ANALYSIS_SR, min_bpm=54, max_bpm=220).times_s
    near = np.array([np.abs(b2 - t).min() for t in b1])
    assert abs(b1.size - b2.size) <= 1 and np.mean(near <= 0.021) >= 0.98


def test_pulse_rule_doubles_a_half_time_track(song_feat):
    song, _, feat = song_feat
    half = song.beats_s[::2]
    t, ev, note = B.fold_to_pulse(feat, half, np.ones(half.size), 2, min_bpm=60, max_bpm=200)
    assert "split in two" in note
    assert np.allclose(t[: song.beats_s.size - 1], song.beats_s[: t.size][: song.beats_s.size - 1], atol=0.03)


def test_pulse_rule_groups_a_too_fast_track(song_feat):
    song, _, feat = song_feat
    eighths = np.sort(np.concatenate([song.beats_s, 0.5 * (song.beats_s[1:] + song.beats_s[:-1])]))
    ev = np.zeros(eighths.size)
    ev[::8] = 1.0
    t, _, note = B.fold_to_pulse(feat, eighths, ev, 2, min_bpm=60, max_bpm=200)
    assert "grouped by 2" in note and np.allclose(t, song.beats_s[: t.size], atol=1e-9)


def test_pulse_rule_leaves_a_good_track_alone(song_feat):
    song, _, feat = song_feat
    t, _, note = B.fold_to_pulse(feat, song.beats_s, np.ones(song.beats_s.size), 2, min_bpm=60, max_bpm=200)
    assert note == "" and t is song.beats_s


def test_subdivision_binary_song(song_feat):
    song, _, feat = song_feat
    assert B.subdivision(feat, song.beats_s)[0] == 2


def test_meter_from_clean_evidence():
    for bpb in (2, 3, 4):
        ev = np.full(64, 0.2)
        ev[1::bpb] = 0.9  # a one-beat pickup
        dec, conf = M.choose_meter(ev)
        assert dec.beats_per_bar == bpb
        bar, beat = M.number_beats(dec.position, bpb)
        assert bar[0] == 0 and beat[0] == bpb and bar[1] == 1 and beat[1] == 1


def test_time_signature_names():
    assert M.time_signature(2, 3) == "6/8" and M.time_signature(3, 2) == "3/4" and M.time_signature(4, 2) == "4/4"


def test_features_in_blocks_match_one_block(song_feat, monkeypatch):
    _song, y, feat = song_feat
    monkeypatch.setattr(F, "BLOCK_S", 3.0)
    blocked = F.compute_features(y)
    assert blocked.n_frames == feat.n_frames
    for name in ("onset_env", "low_onset_env", "rms", "centroid_hz", "chroma", "mfcc"):
        a, b = getattr(feat, name), getattr(blocked, name)
        assert np.allclose(a, b, rtol=1e-4, atol=1e-6 * np.abs(a).max()), name


def test_dbn_beats_are_madmoms(song_feat):
    from madmom.features.beats import DBNBeatTrackingProcessor

    _song, y, _feat = song_feat
    act = B.madmom_activations(y, F.ANALYSIS_SR)
    curve = np.clip(act[:, 0] + act[:, 1], 0.0, 1.0)
    for kwargs in ({"min_bpm": 49.5, "max_bpm": 236.5}, {"min_bpm": 80.0, "max_bpm": 160.0, "correct": False},
                   {"min_bpm": 60.0, "max_bpm": 200.0, "threshold": 0.05}):
        dbn = DBNBeatTrackingProcessor(fps=100, **kwargs)
        ours = B.dbn_beats(dbn, curve)
        assert ours.size > 10
        np.testing.assert_array_equal(ours, np.asarray(dbn(curve)))
    assert B.dbn_beats(dbn, np.zeros(500)).shape == (0,)


def test_dbn_bar_beats_are_madmoms(song_feat):
    from madmom.features.downbeats import DBNDownBeatTrackingProcessor

    _song, y, _feat = song_feat
    act = B.madmom_activations(y, F.ANALYSIS_SR)
    for kwargs in ({"beats_per_bar": [3, 4]}, {"beats_per_bar": [2, 3, 4], "min_bpm": 60.0, "max_bpm": 200.0},
                   {"beats_per_bar": [4], "threshold": 0.05}):
        proc = DBNDownBeatTrackingProcessor(fps=100, **kwargs)
        ours = B.dbn_bar_beats(proc, act)
        assert ours.shape[0] > 10
        np.testing.assert_array_equal(ours, np.asarray(proc(act)))
    assert B.dbn_bar_beats(proc, np.zeros((500, 2))).shape == (0, 2)
