"""MIDI as timing ground truth: beats, bars, meter and sections from a song's MIDI, and clear errors.

Every song here is synthesized (``tests.material.synth``) with its MIDI written by ``write_midi``, so the true
beats, bars, sections and MIDI-to-audio offset are known exactly.
"""

from __future__ import annotations

import mido
import numpy as np
import pytest
import soundfile as sf

from audio.analysis import analyze
from audio.errors import InputError
from audio.midi import read_midi
from audio.params import AnalysisParams
from tests.conftest import run_cli
from tests.material.synth import SongSpec, synthesize, write_midi

FORM = (("intro", 2), ("verse", 4), ("chorus", 4), ("verse", 4), ("chorus", 2), ("outro", 2))
PARAMS = AnalysisParams(backend="librosa")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("midi")


def _make(folder, name, spec, *, offset_s=0.0, tempo_scale=1.0):
    """Synthesize ``spec``, write its WAV and its MIDI; return (song, wav path, midi path)."""
    song = synthesize(spec)
    wav = folder / f"{name}.wav"
    mid = folder / f"{name}.mid"
    sf.write(str(wav), song.y, song.sr)
    write_midi(song, mid, offset_s=offset_s, tempo_scale=tempo_scale)
    return song, wav, mid


def _arrays(analysis):
    t = np.array([b.t for b in analysis.beats])
    bar = np.array([b.bar for b in analysis.beats])
    beat = np.array([b.beat for b in analysis.beats])
    return t, bar, beat


def _assert_beats(analysis, song, tol_s):
    t, bar, beat = _arrays(analysis)
    assert t.size == song.beats_s.size, (t.size, song.beats_s.size)
    err = np.abs(t - song.beats_s)
    assert err.max() <= tol_s, f"beat error up to {1000 * err.max():.1f} ms"
    np.testing.assert_array_equal(beat, song.beat_in_bar)
    np.testing.assert_array_equal(bar, song.bar_of_beat)
    return err


@pytest.fixture(scope="module")
def song44(folder):
    return _make(folder, "song44", SongSpec(form=FORM, bpm=120.0, seed=3))


@pytest.fixture(scope="module")
def analysis44(song44):
    _, wav, mid = song44
    return analyze(wav, PARAMS, midi=mid)


def test_beats_bars_meter_from_midi(song44, analysis44):
    song, _, _ = song44
    a = analysis44
    err = _assert_beats(a, song, 0.010)
    t, _, beat = _arrays(a)
    np.testing.assert_allclose(t[beat == 1], song.downbeats_s, atol=0.010)
    assert err.max() <= 0.010
    assert a.meter.beats_per_bar == 4 and a.meter.time_signature == "4/4"
    assert a.provenance["beats_from"] == "midi"
    assert abs(a.provenance["midi"]["offset_s"]) <= 0.010
    assert a.provenance["midi"]["onset_f"] >= 0.7
    assert a.tempo.bpm == pytest.approx(120.0, abs=0.5)


def test_sections_from_markers(song44, analysis44):
    song, _, _ = song44
    secs = analysis44.sections
    assert tuple(s.kind for s in secs) == song.section_kinds
    assert tuple(s.label for s in secs) == song.section_labels  # repeats share a letter: A B C B C D
    starts = np.array([s.start for s in secs])
    assert starts[0] == 0.0
    np.testing.assert_allclose(starts[1:], song.boundaries_s[1:-1], atol=0.010)
    assert secs[-1].end == pytest.approx(song.duration_s, abs=0.05)
    for a, b in zip(secs[:-1], secs[1:], strict=True):
        assert a.end == b.start


@pytest.mark.parametrize("offset_s", [1.3, 0.45, -0.8])
def test_offset_is_recovered(folder, offset_s):
    """The audio starts 1.3 s late; the MIDI's tick 0 is at audio 1.3 s, 0.45 s (the MIDI then opens with
    empty padding bars of an odd tempo, which must give no beats) or -0.8 s (before the audio)."""
    spec = SongSpec(form=FORM, bpm=112.0, seed=5, lead_in_s=1.3)
    song, wav, mid = _make(folder, f"lead_in_{offset_s}", spec, offset_s=offset_s)
    a = analyze(wav, PARAMS, midi=mid)
    assert abs(a.provenance["midi"]["offset_s"] - offset_s) <= 0.020
    _assert_beats(a, song, 0.020)
    assert a.beats[0].t == pytest.approx(1.3, abs=0.020)


def test_padding_bars_give_no_beats(folder):
    spec = SongSpec(form=(("verse", 2),), bpm=100.0, seed=1, lead_in_s=2.0)
    song, _, mid = _make(folder, "padded", spec, offset_s=0.0)
    n_tempi = sum(1 for m in mido.MidiFile(str(mid)).tracks[0] if m.type == "set_tempo")
    assert n_tempi == 2, "the writer should have padded with bars of another tempo"
    mt = read_midi(mid)
    np.testing.assert_allclose(mt.beats_s, song.beats_s, atol=1e-3)
    np.testing.assert_array_equal(mt.bar, song.bar_of_beat)
    assert mt.path == str(mid)


def test_tempo_ramp(folder):
    song, wav, mid = _make(folder, "ramp", SongSpec(form=FORM, bpm=90.0, bpm_end=120.0, seed=7))
    a = analyze(wav, PARAMS, midi=mid)
    _assert_beats(a, song, 0.010)
    bpm = np.array([b for _, b in a.tempo.curve])
    assert bpm.min() < 95 and bpm.max() > 115


def test_compound_meter(folder):
    spec = SongSpec(form=FORM, bpm=100.0, beats_per_bar=2, subdivision=3, seed=11)
    song, wav, mid = _make(folder, "six_eight", spec)
    a = analyze(wav, PARAMS, midi=mid)
    assert a.meter.time_signature == "6/8"
    assert a.meter.beats_per_bar == 2 and a.meter.subdivision == 3
    _assert_beats(a, song, 0.010)
    t, _, beat = _arrays(a)
    np.testing.assert_allclose(np.diff(t), 0.6, atol=0.002)  # a dotted quarter at 100 beats per minute
    assert set(beat) == {1, 2}


def test_pickup_is_bar_zero(folder):
    spec = SongSpec(form=FORM, bpm=120.0, pickup_beats=1, seed=13, lead_in_s=0.5)
    song = synthesize(spec)
    assert song.midi_origin_s == pytest.approx(-1.0)
    song, wav, mid = _make(folder, "pickup", spec, offset_s=song.midi_origin_s)
    a = analyze(wav, PARAMS, midi=mid)
    first, second = a.beats[0], a.beats[1]
    assert (first.bar, first.beat) == (0, 4)
    assert (second.bar, second.beat) == (1, 1)
    assert first.t == pytest.approx(0.5, abs=0.010)
    _assert_beats(a, song, 0.010)


def _check_cli_fails(folder, wav, mid, expect):
    out_dir = folder / f"out_{mid.stem}"
    out_dir.mkdir()
    out = out_dir / "x.analysis.json"
    res = run_cli("analyze", str(wav), "--midi", str(mid), "-o", str(out), "--backend", "librosa")
    assert res.returncode == 2, res.stderr
    lines = [ln for ln in res.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("choreo: error: ")
    assert str(mid) in lines[0], lines[0]
    assert expect in lines[0], lines[0]
    assert "Traceback" not in res.stderr
    assert list(out_dir.iterdir()) == [], "no output (or temp file) may be left behind"


def test_midi_at_another_tempo_is_rejected(folder, song44):
    song, wav, _ = song44
    mid = folder / "faster.mid"
    write_midi(song, mid, tempo_scale=1.06)
    _check_cli_fails(folder, wav, mid, "does not match the audio")


def test_midi_of_another_song_is_rejected(folder, song44):
    _, wav, _ = song44
    _, _, mid = _make(folder, "other_song", SongSpec(form=FORM, bpm=126.0, seed=21))
    _check_cli_fails(folder, wav, mid, "does not match the audio")


def test_corrupt_midi(folder, song44):
    _, wav, _ = song44
    mid = folder / "corrupt.mid"
    mid.write_bytes(np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8).tobytes())
    _check_cli_fails(folder, wav, mid, "corrupt or not a MIDI file")


def test_midi_without_notes(folder, song44):
    _, wav, _ = song44
    mid = folder / "no_notes.mid"
    f = mido.MidiFile(type=1, ticks_per_beat=480)
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("set_tempo", tempo=500000, time=0))
    track.append(mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0))
    track.append(mido.MetaMessage("marker", text="verse", time=0))
    track.append(mido.MetaMessage("end_of_track", time=480 * 16))
    f.tracks.append(track)
    f.save(str(mid))
    _check_cli_fails(folder, wav, mid, "contains no notes")


@pytest.mark.parametrize("make", ["missing", "empty", "truncated"])
def test_unreadable_midi_in_process(folder, make):
    mid = folder / f"{make}.mid"
    if make == "empty":
        mid.write_bytes(b"")
    elif make == "truncated":
        mid.write_bytes(b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x01\xe0MTrk\x00\x00\x01\x00" + bytes(range(20)))
    with pytest.raises(InputError) as info:
        read_midi(mid)
    assert info.value.path == str(mid)
    assert str(mid) in str(info.value)


def test_envelope_latency_constant_matches_a_synthesized_probe():
    """Onsets at known times (sub-frame phases, percussive and tonal, over a chord 12 dB down): the envelope
    peaks ENVELOPE_LATENCY_S after them, within 5 ms."""
    from audio import features as F
    from audio.midi import envelope_lag_s

    sr = F.ANALYSIS_SR
    rng = np.random.default_rng(0)
    onsets_s = 0.4 + 0.25 * np.arange(24) + (np.arange(24) % 12) / 12.0 / F.FRAME_RATE_HZ
    t_s = np.arange(int((onsets_s[-1] + 0.6) * sr)) / sr
    chord = sum(np.sin(2 * np.pi * f_hz * t_s + k) for k, f_hz in enumerate((196.0, 247.0, 294.0, 392.0))) / 4
    y = 0.4 * 10 ** (-12 / 20) * (chord + 0.3 * rng.standard_normal(t_s.size))
    t = t_s[: int(0.3 * sr)]
    for k, t0 in enumerate(onsets_s):
        if k % 2 == 0:  # percussive: noise click and a low thump
            x = rng.standard_normal(t.size) * np.exp(-t / 0.03) + np.sin(2 * np.pi * 70.0 * t) * np.exp(-t / 0.1)
        else:  # tonal: a few harmonics, 5 ms attack
            f0 = 110.0 * 2 ** (k % 24 / 8)
            x = sum(np.sin(2 * np.pi * h * f0 * t) / h for h in range(1, 6))
            x = x * np.minimum(t / 0.005, 1.0) * np.exp(-t / 0.2)
        i0 = int(round(t0 * sr))
        y[i0:i0 + t.size] += 0.4 * x / np.max(np.abs(x))
    lag = envelope_lag_s(F.compute_features(y.astype(np.float32), sr), onsets_s)
    assert abs(lag - F.ENVELOPE_LATENCY_S) <= 0.005
