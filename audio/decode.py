"""Decoding audio files into float32 samples, with the checks that make analysis meaningful.

wav, flac, ogg and mp3 are read with soundfile (libsndfile); anything soundfile cannot open
(m4a/aac, and any other container ffmpeg knows) is decoded by an ``ffmpeg`` subprocess.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio.errors import InputError

SUPPORTED_SUFFIXES = (".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".m4a", ".aac", ".mp4", ".aif",
                      ".aiff")
MIN_DURATION_S = 2.0
MAX_DURATION_S = 30 * 60.0
SILENCE_PEAK = 10 ** (-60 / 20)  # -60 dBFS


@dataclass(frozen=True)
class DecodedAudio:
    """Decoded audio.

    Attributes
    ----------
    samples : np.ndarray [shape=(n, channels), float32, -1..1]
        The decoded samples at the file's own rate.
    sr : int
        Sample rate in Hz.
    path : str
        The path as given.
    sha256 : str
        Hex sha256 of the decoded float32 samples (little-endian, interleaved).
    """

    samples: np.ndarray
    sr: int
    path: str
    sha256: str

    @property
    def channels(self) -> int:
        """Number of channels."""
        return int(self.samples.shape[1])

    @property
    def duration_s(self) -> float:
        """Duration in seconds."""
        return self.samples.shape[0] / self.sr

    def mono(self) -> np.ndarray:
        """Mix down to mono (mean of the channels), float32, shape (n,)."""
        return self.samples.mean(axis=1, dtype=np.float32) if self.channels > 1 else self.samples[:, 0]


def load_audio(path: str | Path, *, min_duration_s: float = MIN_DURATION_S,
               max_duration_s: float = MAX_DURATION_S, allow_silence: bool = False) -> DecodedAudio:
    """Decode an audio file and check that it is usable.

    Parameters
    ----------
    path : str or Path
        The audio file (wav, flac, ogg, mp3, m4a/aac, or anything ffmpeg decodes).
    min_duration_s, max_duration_s : float, seconds
        Accepted duration range; outside it an :class:`InputError` is raised.
    allow_silence : bool
        If False, a file whose peak is below -60 dBFS is rejected.

    Returns
    -------
    DecodedAudio

    Raises
    ------
    InputError
        Missing, unreadable, corrupt, empty, unsupported, too short or too long, or silent.
    """
    p = Path(path)
    if not p.exists():
        raise InputError("file not found", path=path)
    if p.is_dir():
        raise InputError("is a directory, not an audio file", path=path)
    try:
        with p.open("rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror})", path=path) from exc
    if not head:
        raise InputError("is empty (0 bytes)", path=path)
    duration_hint = _probe_duration(p)
    if duration_hint is not None and duration_hint > max_duration_s:
        raise InputError(f"is {duration_hint / 60:.1f} minutes long; the limit is {max_duration_s / 60:.0f} minutes",
                         path=path)
    samples, sr = _read_soundfile(p)
    if samples is None:
        samples, sr = _read_ffmpeg(p, max_duration_s)
    samples = np.ascontiguousarray(samples, dtype=np.float32)
    if samples.shape[0] == 0:
        raise InputError("contains no audio samples", path=path)
    if not np.all(np.isfinite(samples)):
        raise InputError("contains NaN or infinite samples (corrupt file?)", path=path)
    dur = samples.shape[0] / sr
    if dur < min_duration_s:
        raise InputError(f"is only {dur:.2f} s long; at least {min_duration_s:g} s are needed", path=path)
    if dur > max_duration_s:
        raise InputError(f"is {dur / 60:.1f} minutes long; the limit is {max_duration_s / 60:.0f} minutes", path=path)
    if not allow_silence and float(np.max(np.abs(samples))) < SILENCE_PEAK:
        raise InputError("is silent (peak below -60 dBFS); nothing to analyse", path=path)
    digest = hashlib.sha256(samples.astype("<f4").tobytes()).hexdigest()
    return DecodedAudio(samples=samples, sr=int(sr), path=str(path), sha256=digest)


def _probe_duration(p: Path) -> float | None:
    """Duration from the file header, without decoding, when soundfile can tell."""
    import soundfile as sf

    try:
        info = sf.info(str(p))
    except Exception:  # noqa: BLE001 - any failure just means "no cheap answer"
        return None
    return info.frames / info.samplerate if info.samplerate and info.frames > 0 else None


def _read_soundfile(p: Path) -> tuple[np.ndarray | None, int]:
    import soundfile as sf

    try:
        data, sr = sf.read(str(p), dtype="float32", always_2d=True)
    except Exception:  # noqa: BLE001 - libsndfile's errors are not typed; ffmpeg gets a try next
        return None, 0
    return data, int(sr)


def _read_ffmpeg(p: Path, max_duration_s: float) -> tuple[np.ndarray, int]:
    ffmpeg, ffprobe = shutil.which("ffmpeg"), shutil.which("ffprobe")
    if ffmpeg is None or ffprobe is None:
        raise InputError("cannot be decoded by soundfile and ffmpeg is not installed "
                         "(install it: apt-get install ffmpeg)", path=p)
    probe = subprocess.run([ffprobe, "-v", "error", "-select_streams", "a:0", "-show_entries",
                            "stream=sample_rate,channels:format=duration", "-of", "json", str(p)],
                           capture_output=True, text=True, check=False)
    try:
        info = json.loads(probe.stdout or "{}")
        stream = info["streams"][0]
        sr, channels = int(stream["sample_rate"]), int(stream["channels"])
    except (KeyError, IndexError, ValueError, json.JSONDecodeError):
        kind = p.suffix.lower() or "(no extension)"
        why = "unsupported format or corrupt file" if kind in SUPPORTED_SUFFIXES else f"unsupported format {kind}"
        raise InputError(f"{why}: no audio stream could be decoded", path=p) from None
    dur = float(info.get("format", {}).get("duration", 0) or 0)
    if dur > max_duration_s:
        raise InputError(f"is {dur / 60:.1f} minutes long; the limit is {max_duration_s / 60:.0f} minutes", path=p)
    run = subprocess.run([ffmpeg, "-v", "error", "-nostdin", "-i", str(p), "-map", "a:0", "-f", "f32le",
                          "-acodec", "pcm_f32le", "-ac", str(channels), "-ar", str(sr), "-"],
                         capture_output=True, check=False)
    if run.returncode != 0 and not run.stdout:
        msg = run.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputError(f"corrupt or undecodable audio ({msg[-1] if msg else 'ffmpeg failed'})", path=p)
    data = np.frombuffer(run.stdout, dtype="<f4")
    data = data[: (data.size // channels) * channels].reshape(-1, channels)
    return data, sr
