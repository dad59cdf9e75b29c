"""Decoding: every supported container, rates and channel counts, and the recorded source facts."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf

from audio.decode import load_audio

SR = 22050


def _tone(seconds=3.0, sr=SR, channels=1):
    t = np.arange(int(seconds * sr)) / sr
    y = 0.5 * np.sin(2 * np.pi * 440 * t) * (0.5 + 0.5 * (np.sin(2 * np.pi * 2 * t) > 0))
    return np.column_stack([y * (1 - 0.1 * c) for c in range(channels)]).astype(np.float32)


def _ffmpeg(src, dst, *args):
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(src), *args, str(dst)], check=True)


@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg", "mp3", "m4a"])
def test_every_format_decodes(tmp_path, fmt):
    wav = tmp_path / "src.wav"
    sf.write(str(wav), _tone(channels=2), SR)
    path = tmp_path / f"song.{fmt}"
    if fmt in ("wav", "flac"):
        sf.write(str(path), _tone(channels=2), SR)
    elif fmt == "ogg":
        _ffmpeg(wav, path, "-c:a", "libvorbis")
    elif fmt == "mp3":
        _ffmpeg(wav, path, "-c:a", "libmp3lame", "-b:a", "128k")
    else:
        _ffmpeg(wav, path, "-c:a", "aac", "-b:a", "128k")
    a = load_audio(path)
    assert a.channels == 2 and a.sr == SR
    assert a.duration_s == pytest.approx(3.0, abs=0.08)  # codecs pad a few ms
    assert a.mono().shape == (a.samples.shape[0],) and len(a.sha256) == 64


@pytest.mark.parametrize("sr,channels", [(8000, 1), (44100, 2), (192000, 2), (48000, 6)])
def test_rates_and_channels(tmp_path, sr, channels):
    path = tmp_path / "x.wav"
    sf.write(str(path), _tone(sr=sr, channels=channels), sr)
    a = load_audio(path)
    assert a.sr == sr and a.channels == channels and a.duration_s == pytest.approx(3.0, abs=1e-3)


def test_sha256_depends_on_samples_not_name(tmp_path):
    y = _tone()
    sf.write(str(tmp_path / "a.wav"), y, SR, subtype="FLOAT")
    sf.write(str(tmp_path / "b name é.wav"), y, SR, subtype="FLOAT")
    sf.write(str(tmp_path / "c.wav"), y * 0.5, SR, subtype="FLOAT")
    a, b, c = (load_audio(tmp_path / n) for n in ("a.wav", "b name é.wav", "c.wav"))
    assert a.sha256 == b.sha256 != c.sha256
