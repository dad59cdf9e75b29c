"""The analysis stage end to end: contract, determinism, tempo map, curves and sections."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from audio.analysis import analyze
from audio.model import SECTION_KINDS, Analysis
from audio.params import AnalysisParams
from engine import artifacts
from tests.material.synth import SongSpec, synthesize

FORM = (("intro", 4), ("verse", 8), ("chorus", 8), ("verse", 8), ("chorus", 8))


@pytest.fixture(scope="module")
def song_file(tmp_path_factory):
    song = synthesize(SongSpec(form=FORM, bpm=128, seed=21))
    path = tmp_path_factory.mktemp("song") / "song.flac"
    sf.write(str(path), np.column_stack([song.y, 0.8 * song.y]), song.sr)  # stereo, to check the mixdown
    return path, song


@pytest.mark.parametrize("backend", ["librosa", "madmom"])
def test_deterministic_bytes(song_file, tmp_path, backend):
    path, _ = song_file
    params = AnalysisParams(backend=backend)
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    artifacts.save(analyze(path, params), a)
    artifacts.save(analyze(path, params), b)
    assert a.read_bytes() == b.read_bytes()


def test_contract_fields_and_roundtrip(song_file, tmp_path):
    path, song = song_file
    a = analyze(path, AnalysisParams(backend="librosa"))
    out = tmp_path / "x.analysis.json"
    artifacts.save(a, out)
    doc = json.loads(out.read_text())
    assert doc["schema"] == "choreo.analysis/1"
    assert set(doc["source"]) >= {"path", "sha256", "duration_s", "sample_rate", "channels"}
    assert doc["source"]["channels"] == 2 and doc["source"]["sample_rate"] == song.sr
    assert abs(doc["source"]["duration_s"] - song.duration_s) < 1e-3
    assert set(doc["tempo"]) >= {"bpm", "curve"} and doc["meter"]["beats_per_bar"] == 4
    assert all(set(b) >= {"t", "bar", "beat"} for b in doc["beats"])
    assert all(s["kind"] in SECTION_KINDS for s in doc["sections"])
    assert {"rate_hz", "values"} <= set(doc["energy"])
    assert doc["provenance"]["backend"] == "librosa" and "versions" in doc["provenance"]
    again = artifacts.load(out)
    assert isinstance(again, Analysis) and again.to_dict() == a.to_dict()


def test_invariants(song_file):
    path, song = song_file
    a = analyze(path, AnalysisParams(backend="librosa"))
    t = np.array([b.t for b in a.beats])
    assert np.all(np.diff(t) > 0) and t[0] >= 0 and t[-1] <= a.source.duration_s
    for prev, cur in zip(a.beats, a.beats[1:], strict=False):  # beat numbers advance by one within a bar
        assert (cur.bar == prev.bar and cur.beat == prev.beat + 1) or (cur.bar == prev.bar + 1 and cur.beat == 1)
    starts = [s.start for s in a.sections]
    assert starts[0] == 0.0 and a.sections[-1].end == pytest.approx(a.source.duration_s, abs=1e-3)
    assert all(x.end == pytest.approx(y.start) for x, y in zip(a.sections, a.sections[1:], strict=False))
    downbeats = np.array(a.downbeats)
    for s in a.sections[1:]:  # section boundaries are bar lines
        assert np.min(np.abs(downbeats - s.start)) < 1e-6
    for curve in (a.energy, a.intensity, a.brightness):
        v = np.array(curve.values)
        assert curve.rate_hz == 50.0 and v.min() >= 0 and v.max() <= 1
        assert abs(v.size - a.source.duration_s * 50) <= 2
    assert len(a.onsets) > 50 and all(0 <= o.strength <= 1 for o in a.onsets)
    chorus = [s.energy for s in a.sections if s.kind == "chorus"]
    intro = [s.energy for s in a.sections if s.kind == "intro"]
    assert chorus and intro and min(chorus) > max(intro)


def test_tempo_map_follows_a_ramp(tmp_path):
    song = synthesize(SongSpec(form=(("verse", 8), ("chorus", 8), ("verse", 8)), bpm=90, bpm_end=140, seed=3))
    path = tmp_path / "ramp.wav"
    sf.write(str(path), song.y, song.sr)
    a = analyze(path, AnalysisParams(backend="librosa"))
    curve = np.array(a.tempo.curve)
    truth = np.interp(curve[:, 0], song.beats_s, song.tempo_bpm)
    inner = slice(4, -4)
    assert np.median(np.abs(curve[inner, 1] - truth[inner]) / truth[inner]) < 0.03
    assert curve[-5, 1] - curve[4, 1] > 35  # the ramp is a ramp, not one average tempo


def test_forced_meter_and_short_song(tmp_path):
    song = synthesize(SongSpec(form=(("verse", 2),), bpm=120, seed=5))
    path = tmp_path / "short.wav"
    sf.write(str(path), song.y, song.sr)
    a = analyze(path, AnalysisParams(backend="librosa", beats_per_bar=3))
    assert a.meter.beats_per_bar == 3 and all(1 <= b.beat <= 3 for b in a.beats)
    assert len(a.sections) == 1 and any("one section" in w for w in a.warnings)


def test_schema_errors_name_the_field():
    from audio.errors import SchemaError

    with pytest.raises(SchemaError, match="newer than this choreo"):
        artifacts.upgrade({"schema": "choreo.analysis/9"})
    with pytest.raises(SchemaError, match="no valid 'schema'"):
        artifacts.upgrade({"beats": []})
