"""Video and PNG-sequence sinks: decode what was written and check it (frames, duration, sync, alpha)."""

from __future__ import annotations

import json
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import skia
import soundfile as sf

from audio.errors import ChoreoError
from render import sinks
from render.contact import contact_sheet, sheet_size
from render.sinks import PngSequenceSink, VideoSink

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                                reason="ffmpeg/ffprobe not installed")

W, H = 160, 96
SR_IN = 44100
SR_OUT = 48000


def _frames(n: int, flash: int | None = None, width: int = W, height: int = H) -> list[np.ndarray]:
    """Dark frames with a moving grey bar; frame ``flash`` is all white."""
    out = []
    for i in range(n):
        f = np.zeros((height, width, 4), np.uint8)
        f[..., :3] = 30
        f[..., 3] = 255
        x = (i * 3) % width
        f[:, x:x + 4, :3] = 90
        if i == flash:
            f[..., :3] = 255
        out.append(f)
    return out


def _click_wav(path: Path, duration_s: float, click_s: float) -> Path:
    """Quiet noise with one loud 2 ms click starting exactly at ``click_s``."""
    rng = np.random.default_rng(0)
    y = (rng.standard_normal(int(duration_s * SR_IN)) * 0.005).astype(np.float32)
    start = round(click_s * SR_IN)
    n = round(0.002 * SR_IN)
    y[start:start + n] = 0.9 * np.sin(2 * np.pi * 2000 * np.arange(n) / SR_IN)
    sf.write(path, y, SR_IN, subtype="PCM_16")
    return path


def _probe(path: Path) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-show_streams", "-show_format",
                          "-of", "json", str(path)], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def _decode_gray(path: Path, width: int = W, height: int = H) -> np.ndarray:
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:v:0", "-f", "rawvideo",
                          "-pix_fmt", "gray", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width)


def _decode_audio(path: Path) -> np.ndarray:
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a:0", "-ac", "1", "-ar",
                          str(SR_OUT), "-f", "f32le", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.float32)


def _write(path: Path, frames: list[np.ndarray], **kw) -> Path:
    with VideoSink(path, width=frames[0].shape[1], height=frames[0].shape[0], **kw) as sink:
        for f in frames:
            sink.write(f)
    return path


@pytest.mark.parametrize("offset_s", [0.0, 0.5, -0.25])
def test_h264_frames_duration_audio_and_sync(tmp_path: Path, offset_s: float) -> None:
    fps = Fraction(24)
    click_in_video_s = 1.0 - offset_s
    flash = round(click_in_video_s * fps)
    wav = _click_wav(tmp_path / "click.wav", 2.5, 1.0)
    out = _write(tmp_path / "out.mp4", _frames(48, flash=flash), fps=fps, audio=wav, audio_offset_s=offset_s)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["click.wav", "out.mp4"]  # no temp files left

    info = _probe(out)
    v = next(s for s in info["streams"] if s["codec_type"] == "video")
    a = next(s for s in info["streams"] if s["codec_type"] == "audio")
    assert v["codec_name"] == "h264" and v["pix_fmt"] == "yuv420p"
    assert int(v["nb_read_frames"]) == 48
    assert v["r_frame_rate"] == "24/1"
    assert abs(float(v["duration"]) - 2.0) <= 1 / 24
    assert a["codec_name"] == "aac" and int(a["sample_rate"]) == SR_OUT

    audio = _decode_audio(out)
    assert abs(len(audio) / SR_OUT - 2.0) <= 0.05
    gray = _decode_gray(out)
    assert len(gray) == 48
    brightest = int(np.argmax(gray.reshape(48, -1).mean(axis=1)))
    assert brightest == flash
    click_t = int(np.argmax(np.abs(audio))) / SR_OUT
    assert abs(click_t - click_in_video_s) < 0.01
    assert abs(brightest / fps - click_t) <= 1 / fps


def test_ntsc_rate_frame_count(tmp_path: Path) -> None:
    fps = Fraction(30000, 1001)
    out = _write(tmp_path / "ntsc.mp4", _frames(30), fps=fps)
    v = _probe(out)["streams"][0]
    assert int(v["nb_read_frames"]) == 30
    assert v["r_frame_rate"] == "30000/1001"
    assert abs(float(v["duration"]) - 30 * 1001 / 30000) <= 1001 / 30000


def test_prores4444_keeps_alpha(tmp_path: Path) -> None:
    frames = _frames(6)
    for f in frames:
        f[:, : W // 2] = 0  # left half fully transparent
    wav = _click_wav(tmp_path / "click.wav", 1.0, 0.1)
    out = _write(tmp_path / "alpha.mov", frames, fps=Fraction(24), codec="prores4444", audio=wav)
    info = _probe(out)
    v = next(s for s in info["streams"] if s["codec_type"] == "video")
    a = next(s for s in info["streams"] if s["codec_type"] == "audio")
    assert v["codec_name"] == "prores" and v["pix_fmt"].startswith("yuva444p")
    assert int(v["nb_read_frames"]) == 6
    assert a["codec_name"].startswith("pcm_") and int(a["sample_rate"]) == SR_OUT
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(out), "-f", "rawvideo", "-pix_fmt", "rgba", "-"],
                         capture_output=True, check=True).stdout
    rgba = np.frombuffer(raw, np.uint8).reshape(-1, H, W, 4)
    assert len(rgba) == 6
    assert rgba[0, H // 2, 10, 3] == 0
    assert rgba[0, H // 2, W - 10, 3] == 255


def test_png_sequence_straight_alpha_and_sidecar(tmp_path: Path) -> None:
    frames = _frames(3, width=16, height=8)
    for f in frames:
        f[2, 3] = (255, 0, 0, 128)
        f[4, 5] = (10, 200, 30, 3)
    with PngSequenceSink(tmp_path, "mouth", fps=Fraction(30000, 1001), audio_offset_s=0.25) as sink:
        for f in frames:
            sink.write(f)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mouth", "mouth.json"]
    assert sorted(p.name for p in (tmp_path / "mouth").iterdir()) == ["000000.png", "000001.png", "000002.png"]
    doc = json.loads((tmp_path / "mouth.json").read_text())
    assert doc == {"schema": "choreo.render/1", "pass": "mouth", "fps": "30000/1001", "frame_count": 3,
                   "audio_offset_s": 0.25, "width": 16, "height": 8, "pattern": "mouth/%06d.png"}
    # Independent decoder: ffmpeg reads the PNG as straight RGBA.
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(tmp_path / "mouth" / "000001.png"), "-f", "rawvideo",
                          "-pix_fmt", "rgba", "-"], capture_output=True, check=True).stdout
    back = np.frombuffer(raw, np.uint8).reshape(8, 16, 4)
    assert tuple(back[2, 3]) == (255, 0, 0, 128)
    assert tuple(back[4, 5]) == (10, 200, 30, 3)
    np.testing.assert_array_equal(back, frames[1])
    img = skia.Image.open(str(tmp_path / "mouth" / "000000.png"))
    arr = img.toarray(colorType=skia.kRGBA_8888_ColorType, alphaType=skia.kUnpremul_AlphaType)
    assert tuple(arr[2, 3]) == (255, 0, 0, 128)


def test_png_sequence_failure_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), PngSequenceSink(tmp_path, "bg", fps=24) as sink:
        sink.write(_frames(1)[0])
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ChoreoError, match="frame is"), PngSequenceSink(tmp_path, "bg", fps=24) as sink:
        sink.write(_frames(1)[0])
        sink.write(_frames(1, width=8, height=8)[0])
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ChoreoError, match="output folder"):
        _write(blocker / "sub" / "out.mp4", _frames(2), fps=24)
    with pytest.raises(ChoreoError, match="output folder"), PngSequenceSink(blocker / "sub", "p", fps=24):
        pass
    assert [p.name for p in tmp_path.iterdir()] == ["file"] and blocker.read_text() == "x"


def test_ffmpeg_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sinks.shutil, "which", lambda *_a, **_k: None)
    with pytest.raises(ChoreoError, match=r"ffmpeg is not installed \(apt-get install ffmpeg\)"):
        _write(tmp_path / "out.mp4", _frames(2), fps=24)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt])
def test_exception_mid_write_leaves_no_file(tmp_path: Path, exc: type[BaseException]) -> None:
    wav = _click_wav(tmp_path / "a.wav", 1.0, 0.5)
    with pytest.raises(exc), VideoSink(tmp_path / "out.mp4", width=W, height=H, fps=24, audio=wav) as sink:
        for f in _frames(5):
            sink.write(f)
        proc = sink._proc
        raise exc()
    assert proc is not None and proc.poll() is not None  # ffmpeg was stopped
    assert [p.name for p in tmp_path.iterdir()] == ["a.wav"]


def test_bad_frames_and_ffmpeg_dying(tmp_path: Path) -> None:
    with pytest.raises(ChoreoError, match="dtype float32"), VideoSink(tmp_path / "o.mp4", width=W, height=H,
                                                                      fps=24) as sink:
        sink.write(np.zeros((H, W, 4), np.float32))
    with pytest.raises(ChoreoError, match=r"shape \(height, width, 4\)"), VideoSink(tmp_path / "o.mp4", width=W,
                                                                                    height=H, fps=24) as sink:
        sink.write(np.zeros((H, W, 3), np.uint8))
    with pytest.raises(ChoreoError, match="ffmpeg"), VideoSink(tmp_path / "o.mp4", width=W, height=H,
                                                               fps=24) as sink:
        sink.write(_frames(1)[0])
        assert sink._proc is not None
        sink._proc.kill()  # stands in for ffmpeg failing (disk full, ...)
        sink._proc.wait()
        for f in _frames(200):
            sink.write(f)
    with pytest.raises(ChoreoError, match="no frames"), VideoSink(tmp_path / "o.mp4", width=W, height=H, fps=24):
        pass
    with pytest.raises(ChoreoError, match="even"):
        VideoSink(tmp_path / "o.mp4", width=W + 1, height=H, fps=24)
    assert list(tmp_path.iterdir()) == []


def test_contact_sheet(tmp_path: Path) -> None:
    frames = _frames(5, width=64, height=36)
    frames[1][:, :32, 3] = 0
    out = contact_sheet(frames, [f"section {i}" for i in range(5)], tmp_path / "sheet.png", columns=4,
                        thumb_width=80)
    assert out.is_file() and [p.name for p in tmp_path.iterdir()] == ["sheet.png"]
    img = skia.Image.open(str(out))
    assert (img.width(), img.height()) == sheet_size(frames, columns=4, thumb_width=80) == (360, 158)
    with pytest.raises(ChoreoError, match="labels"):
        contact_sheet(frames, ["a"], tmp_path / "x.png")
