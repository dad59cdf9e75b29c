"""Bad input: one clear line naming the file and the problem, a non-zero exit, no output left behind."""

from __future__ import annotations

import os
import wave

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import run_cli

SR = 22050


def _write(path, y, sr=SR):
    sf.write(str(path), y, sr)
    return path


def _noise_song(seconds, sr=SR):
    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * sr)) / sr
    clicks = (np.sin(2 * np.pi * 2 * t) > 0.99).astype(float)
    return (0.3 * clicks + 0.01 * rng.standard_normal(t.size)).astype(np.float32)


def _check_fails(tmp_path, song, expect, *extra):
    out = tmp_path / "out" / "x.analysis.json"
    out.parent.mkdir(exist_ok=True)
    res = run_cli("analyze", str(song), "-o", str(out), "--backend", "librosa", *extra)
    assert res.returncode == 2, res.stderr
    lines = [ln for ln in res.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    assert str(song) in lines[0] or os.path.basename(str(song)) in lines[0]
    assert expect in lines[0], lines[0]
    assert "Traceback" not in res.stderr
    assert list(out.parent.iterdir()) == [], "no output (or temp file) may be left behind"


def test_missing_file(tmp_path):
    _check_fails(tmp_path, tmp_path / "nope.wav", "not found")


def test_directory_instead_of_file(tmp_path):
    d = tmp_path / "song.wav"
    d.mkdir()
    _check_fails(tmp_path, d, "directory")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file regardless of permissions")
def test_unreadable_file(tmp_path):
    p = _write(tmp_path / "locked.wav", _noise_song(5))
    p.chmod(0)
    _check_fails(tmp_path, p, "cannot be read")


def test_zero_length_file(tmp_path):
    p = tmp_path / "empty.wav"
    p.write_bytes(b"")
    _check_fails(tmp_path, p, "empty")


def test_corrupt_file(tmp_path):
    p = tmp_path / "corrupt.wav"
    p.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt " + os.urandom(3000))
    _check_fails(tmp_path, p, "corrupt")


def test_unsupported_format(tmp_path):
    p = tmp_path / "notes.txt"
    p.write_text("these are not the droids\n" * 50)
    _check_fails(tmp_path, p, "unsupported format")


def test_header_only_wav(tmp_path):
    p = tmp_path / "headeronly.wav"
    with wave.open(str(p), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
    _check_fails(tmp_path, p, "no audio samples")


def test_silence(tmp_path):
    p = _write(tmp_path / "silence.wav", np.zeros(SR * 5, dtype=np.float32))
    _check_fails(tmp_path, p, "silent")


def test_too_short(tmp_path):
    p = _write(tmp_path / "short.wav", _noise_song(1.5))
    _check_fails(tmp_path, p, "at least 2 s")


def test_too_long(tmp_path):
    sr = 8000
    p = tmp_path / "long.wav"
    with sf.SoundFile(str(p), "w", samplerate=sr, channels=1, subtype="PCM_16") as fh:
        block = (0.1 * np.sin(np.arange(sr * 60) * 0.05)).astype(np.float32)
        for _ in range(31):
            fh.write(block)
    _check_fails(tmp_path, p, "limit is 30 minutes")


def test_bad_option(tmp_path):
    p = _write(tmp_path / "ok.wav", _noise_song(5))
    res = run_cli("analyze", str(p), "--backend", "nonsense", "-o", str(tmp_path / "o.json"))
    assert res.returncode == 2
    assert "unknown backend" in res.stderr
    assert not (tmp_path / "o.json").exists()


def test_inspect_rejects_invalid_artifact(tmp_path):
    p = tmp_path / "bad.analysis.json"
    p.write_text('{"schema": "choreo.analysis/1", "source": {}}')
    res = run_cli("inspect", str(p))
    assert res.returncode == 2
    assert "source.path is missing" in res.stderr and str(p) in res.stderr
    p.write_text("{not json")
    res = run_cli("inspect", str(p))
    assert res.returncode == 2 and "not valid JSON" in res.stderr
