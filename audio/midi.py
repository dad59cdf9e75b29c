"""MIDI as ground truth for timing: tempo map, time signatures and markers define beats and bars.

Conventions
-----------
- MIDI time is seconds from the file's tick 0 through its tempo map; audio time = MIDI time + offset.
- A beat is the time signature's denominator note, except in compound meters (6/8, 9/8, 12/8) where it
  is the dotted quarter, so 6/8 has two beats per bar (the danceable pulse, as for audio).
- Time-signature changes take effect at the next bar line.
- Beats start at the beat of the first note: empty bars before it (a count-in, or the padding some
  sequencers and :func:`audio.synth.write_midi` put before a late start) give no beats. When the first
  note is not on a downbeat, its bar is a pickup, bar 0 (numbered up to ``beats_per_bar``, as in
  :mod:`audio.model`), and the next bar is bar 1. Beats end before the file's last event (the final bar
  line, where the last notes stop, is not a beat).

The offset is found by cross-correlating the MIDI note onsets with the audio's onset envelope (frame
resolution), refined to the millisecond with a smooth kernel and corrected for the envelope's latency
(measured once per process on a probe signal of known onsets). The match is then checked half by half
(a MIDI of another song, or at another tempo, fails the check).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from audio.errors import InputError, MidiMismatchError
from audio.features import Features

KIND_WORDS = (("pre-chorus", "other"), ("prechorus", "other"), ("chorus", "chorus"), ("refrain", "chorus"),
              ("hook", "chorus"), ("verse", "verse"), ("bridge", "bridge"), ("middle", "bridge"),
              ("intro", "intro"), ("outro", "outro"), ("coda", "outro"), ("ending", "outro"))
_MAX_BEATS = 200_000


@dataclass(frozen=True)
class MidiTiming:
    """Beats, bars, markers and note onsets read from a MIDI file (times in MIDI seconds).

    Attributes
    ----------
    beats_s : np.ndarray [shape=(n,), seconds]
    bar : np.ndarray [shape=(n,), int, 1-based]
    beat : np.ndarray [shape=(n,), int, 1-based]
    beats_per_bar : int
        Of the first time signature.
    time_signature : str
        The first time signature, e.g. "4/4" or "6/8".
    markers : list of (float, str)
        Marker (or cue) meta events: time in seconds and text.
    onsets_s : np.ndarray [shape=(k,), seconds]
        Note-on times (all tracks, merged within 10 ms).
    end_s : float
        Time of the last event.
    path : str or None
        The file it was read from (named in error messages).
    """

    beats_s: np.ndarray
    bar: np.ndarray
    beat: np.ndarray
    beats_per_bar: int
    time_signature: str
    markers: list[tuple[float, str]]
    onsets_s: np.ndarray
    end_s: float
    path: str | None = None


def read_midi(path: str | Path) -> MidiTiming:
    """Read a MIDI file's timing: beats and bars from its tempo map and time signatures, markers, notes.

    Parameters
    ----------
    path : str or Path
        A standard MIDI file (type 0 or 1, metrical time division).

    Returns
    -------
    MidiTiming
        Times in MIDI seconds (from tick 0); see the module conventions for where beats start and end.

    Raises
    ------
    InputError
        Missing, unreadable or corrupt file, SMPTE time division, or a file with no notes.
    """
    import mido

    p = Path(path)
    if not p.exists():
        raise InputError("MIDI file not found", path=path)
    if p.is_dir():
        raise InputError("is a directory, not a MIDI file", path=path)
    if p.stat().st_size == 0:
        raise InputError("is empty (0 bytes), not a MIDI file", path=path)
    try:
        mid = mido.MidiFile(str(p))
    except PermissionError as exc:
        raise InputError("cannot be read (permission denied)", path=path) from exc
    except Exception as exc:  # mido signals a bad file with many exception types (EOFError, OSError, ...)
        reason = str(exc).strip() or ("file ends too early" if isinstance(exc, EOFError) else type(exc).__name__)
        raise InputError(f"is corrupt or not a MIDI file ({reason})", path=path) from exc
    tpq = mid.ticks_per_beat
    if not 0 < tpq < 0x8000:
        raise InputError("uses SMPTE (frame-based) time division, which has no tempo map or bars; "
                         "export it with metrical (ticks per quarter note) timing", path=path)
    events = []  # (tick, order, kind, payload)
    for track in mid.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo":
                events.append((tick, 0, "tempo", msg.tempo))
            elif msg.type == "time_signature":
                events.append((tick, 1, "ts", (msg.numerator, msg.denominator)))
            elif msg.type in ("marker", "cue_marker"):
                events.append((tick, 2, "marker", msg.text))
            elif msg.type == "note_on" and msg.velocity > 0:
                events.append((tick, 3, "note", None))
            elif msg.type in ("note_off", "note_on", "end_of_track"):
                events.append((tick, 4, "end", None))
    events.sort(key=lambda e: (e[0], e[1]))
    note_ticks = np.array([e[0] for e in events if e[2] == "note"], dtype=np.int64)
    if note_ticks.size == 0:
        raise InputError("contains no notes, so it cannot be aligned with the audio", path=path)
    tempo_changes = [(0, 500000)] + [(e[0], e[3]) for e in events if e[2] == "tempo"]
    ts_changes = [(0, (4, 4))] + [(e[0], e[3]) for e in events if e[2] == "ts"]
    end_tick = max(e[0] for e in events)

    starts = np.array([t for t, _ in tempo_changes], dtype=np.float64)
    tempi = np.array([v for _, v in tempo_changes], dtype=np.float64)
    # Later events at the same tick win.
    keep = np.append(starts[1:] != starts[:-1], True)
    starts, tempi = starts[keep], tempi[keep]
    seg_s = np.concatenate([[0.0], np.cumsum(np.diff(starts) * tempi[:-1] / tpq / 1e6)])

    def to_seconds(ticks: np.ndarray) -> np.ndarray:
        ticks = np.asarray(ticks, dtype=np.float64)
        k = np.searchsorted(starts, ticks, side="right") - 1
        return seg_s[k] + (ticks - starts[k]) * tempi[k] / tpq / 1e6

    # The beat grid, bar by bar, up to the last event.
    beat_ticks, beat_len_ticks, bars, beats, sigs = [], [], [], [], []
    tick, bar_no = 0.0, 1
    ts_i = 0
    while tick <= end_tick:
        while ts_i + 1 < len(ts_changes) and ts_changes[ts_i + 1][0] <= tick:
            ts_i += 1
        num, den = ts_changes[ts_i][1]
        if not (1 <= num <= 64 and den in (1, 2, 4, 8, 16, 32, 64)):
            raise InputError(f"has an invalid time signature {num}/{den}", path=path)
        if len(beat_ticks) > _MAX_BEATS:
            raise InputError(f"has more than {_MAX_BEATS} beats; is it corrupt?", path=path)
        bpb, beat_len = _beat_grid(num, den, tpq)
        for k in range(bpb):
            beat_ticks.append(tick + k * beat_len)
            beat_len_ticks.append(beat_len)
            bars.append(bar_no)
            beats.append(k + 1)
            sigs.append((num, den, bpb))
        tick += bpb * beat_len
        bar_no += 1
    beat_ticks_a = np.array(beat_ticks)
    # The first beat is the last one at or before the first note; a note up to a sixteenth early (a
    # humanised or anticipated entry) belongs to the beat after it.
    first_note = float(note_ticks.min())
    j0 = int(np.nonzero(beat_ticks_a <= first_note + np.array(beat_len_ticks) / 4.0)[0][-1])
    idx = np.arange(len(beat_ticks))
    inside = (idx == j0) | ((idx > j0) & (beat_ticks_a < end_tick))
    bar_a = np.array(bars)
    beat_a = np.array(beats)
    # A partial first bar is a pickup (bar 0); a first beat on a downbeat starts bar 1.
    bar_a = bar_a - bar_a[j0] + (1 if beat_a[j0] == 1 else 0)
    onsets = np.unique(to_seconds(note_ticks))
    onsets = onsets[np.concatenate([[True], np.diff(onsets) > 0.01])]
    markers = [(float(to_seconds(np.array([e[0]]))[0]), str(e[3])) for e in events if e[2] == "marker"]
    num, den, bpb = sigs[j0]
    return MidiTiming(beats_s=to_seconds(beat_ticks_a[inside]), bar=bar_a[inside], beat=beat_a[inside],
                      beats_per_bar=bpb, time_signature=f"{num}/{den}", markers=markers, onsets_s=onsets,
                      end_s=float(to_seconds(np.array([end_tick]))[0]), path=str(path))


def _beat_grid(num: int, den: int, tpq: int) -> tuple[int, float]:
    """Beats per bar and beat length in ticks for a time signature."""
    unit = tpq * 4.0 / den
    if den == 8 and num % 3 == 0 and num >= 6:
        return num // 3, 3 * unit
    return num, unit


def estimate_offset(midi: MidiTiming, feat: Features, *, max_offset_s: float = 10.0) -> float:
    """Offset (seconds, audio = MIDI + offset) that best lines the MIDI notes up with the audio.

    A cross-correlation of the note onsets with the onset envelope finds the offset to a frame; a smooth
    kernel score then refines it to the millisecond, and the envelope's latency (how late its peaks come
    after the onsets that cause them, see :func:`envelope_latency_s`) is taken off.

    Parameters
    ----------
    midi : MidiTiming
    feat : Features
        Of the audio; its onset envelope is correlated with the MIDI onsets.
    max_offset_s : float, seconds
        Largest offset searched, either way.

    Returns
    -------
    float, seconds
    """
    from scipy.signal import correlate

    fr = feat.frame_rate_hz
    env = feat.onset_env - feat.onset_env.mean()
    n = env.shape[0]
    pad = int(max_offset_s * fr)
    train = np.zeros(n + 2 * pad)
    idx = np.rint(midi.onsets_s * fr).astype(np.int64) + pad
    idx = idx[(idx >= 0) & (idx < train.shape[0])]
    np.add.at(train, idx, 1.0)
    train = np.convolve(train, np.hanning(5), mode="same")
    # corr[k] pairs env[i] with train[i + k]; the audio at frame i matches MIDI frame i - lag.
    corr = correlate(train, env, mode="valid")
    coarse_s = (pad - int(np.argmax(corr))) / fr
    fine_s = coarse_s + np.arange(-2.0 / fr, 2.0 / fr + 5e-4, 1e-3)
    score = _kernel_score(env, fr, midi.onsets_s, fine_s)
    return float(round(fine_s[int(np.argmax(score))] - envelope_latency_s(fr), 4))


def _kernel_score(env: np.ndarray, fr: float, onsets_s: np.ndarray, offsets_s: np.ndarray,
                  sigma_frames: float = 1.0) -> np.ndarray:
    """Sum of the envelope under a Gaussian at each onset + offset, for each offset (smooth in the offset)."""
    pos = (np.asarray(onsets_s)[None, :] + np.asarray(offsets_s)[:, None]) * fr
    base = np.floor(pos).astype(np.int64)
    out = np.zeros(len(offsets_s))
    reach = int(np.ceil(3 * sigma_frames))
    for d in range(-reach, reach + 2):
        i = base + d
        ok = (i >= 0) & (i < env.shape[0])
        w = np.exp(-0.5 * ((i - pos) / sigma_frames) ** 2)
        out += np.sum(np.where(ok, w * env[np.clip(i, 0, env.shape[0] - 1)], 0.0), axis=1)
    return out


@lru_cache(maxsize=4)
def envelope_latency_s(frame_rate_hz: float = 50.0) -> float:
    """How late the onset envelope of :func:`audio.features.compute_features` peaks after an onset.

    Measured on a probe, percussive and tonal onsets at known times (spread over sub-frame phases) over
    a steady chord 12 dB down (in a mix, an onset shows in the log-mel flux only once it rises above what
    is already sounding, which makes the envelope about 10 ms later than for an onset in silence), with
    the same kernel score that :func:`estimate_offset` uses. The window length, flux lag and centring of
    the features so do not become an error in the MIDI offset, whatever they are set to.

    Parameters
    ----------
    frame_rate_hz : float
        Frame rate of the features.

    Returns
    -------
    float, seconds
        About 0.03 s at 50 frames per second.
    """
    from audio.features import ANALYSIS_SR, compute_features

    sr = ANALYSIS_SR
    rng = np.random.default_rng(0)
    n_on = 24
    onsets_s = 0.4 + 0.25 * np.arange(n_on) + (np.arange(n_on) % 12) / 12.0 / frame_rate_hz
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
    feat = compute_features(y.astype(np.float32), sr, frame_rate_hz=frame_rate_hz)
    lags_s = np.arange(-0.05, 0.1 + 5e-4, 1e-3)
    env = feat.onset_env - feat.onset_env.mean()
    return float(round(lags_s[int(np.argmax(_kernel_score(env, frame_rate_hz, onsets_s, lags_s)))], 4))


def check_match(midi: MidiTiming, onsets_s: np.ndarray, offset_s: float, duration_s: float, *,
                tolerance_s: float = 0.07, min_f: float = 0.5) -> float:
    """Check that the shifted MIDI onsets agree with the audio's onsets; raise when they do not.

    Each half of the song (by time) is checked separately so that a MIDI at a different tempo, which
    can line up in one place only, is caught.

    Parameters
    ----------
    midi : MidiTiming
    onsets_s : np.ndarray [shape=(k,), seconds]
        Onsets detected in the audio.
    offset_s : float
        Audio = MIDI + offset.
    duration_s : float
        Audio duration.
    tolerance_s : float
        Largest distance for an onset pair to match.
    min_f : float
        Least F-measure accepted in each half.

    Returns
    -------
    float
        The F-measure over the whole song.

    Raises
    ------
    MidiMismatchError
        When the MIDI does not match (it names the MIDI file when ``midi.path`` is set).
    """
    notes = midi.onsets_s + offset_s
    last_note = float(midi.end_s + offset_s)
    if last_note > duration_s + 5.0:
        raise MidiMismatchError(f"does not match the audio: at the best offset ({offset_s:+.3f} s) the MIDI runs "
                                f"to {last_note:.1f} s but the audio is {duration_s:.1f} s long; is it the MIDI "
                                "of this song?", path=midi.path)
    halves = [(0.0, duration_s / 2), (duration_s / 2, duration_s + 1.0)]
    scores = []
    for lo, hi in [(0.0, duration_s + 1.0), *halves]:
        a = notes[(notes >= lo) & (notes < hi)]
        b = onsets_s[(onsets_s >= lo) & (onsets_s < hi)]
        scores.append(_onset_f(a, b, tolerance_s))
    if min(scores[1:]) < min_f:
        raise MidiMismatchError(
            f"does not match the audio: its notes agree with the audio's onsets only with F-measure "
            f"{scores[1]:.2f} in the first half and {scores[2]:.2f} in the second (need {min_f}) at the best "
            f"offset {offset_s:+.3f} s; a MIDI of another song, or of a different tempo or arrangement?",
            path=midi.path)
    return scores[0]


def _onset_f(ref: np.ndarray, est: np.ndarray, tol: float) -> float:
    """F-measure of onset matching: each estimate is matched to a reference within ``tol`` (greedy)."""
    if ref.size == 0 and est.size == 0:
        return 1.0
    if ref.size == 0 or est.size == 0:
        return 0.0
    j = np.clip(np.searchsorted(est, ref), 1, est.size - 1) if est.size > 1 else np.zeros(ref.size, dtype=int)
    near = np.minimum(np.abs(est[j] - ref), np.abs(est[np.maximum(j - 1, 0)] - ref))
    hits_ref = int(np.sum(near <= tol))
    k = np.clip(np.searchsorted(ref, est), 1, ref.size - 1) if ref.size > 1 else np.zeros(est.size, dtype=int)
    near_e = np.minimum(np.abs(ref[k] - est), np.abs(ref[np.maximum(k - 1, 0)] - est))
    hits_est = int(np.sum(near_e <= tol))
    recall, precision = hits_ref / ref.size, hits_est / est.size
    return 0.0 if recall + precision == 0 else 2 * recall * precision / (recall + precision)


def marker_kind(text: str) -> str:
    """Section kind from a marker's text ("Chorus 2" → chorus, "Pre-Chorus" → other).

    Parameters
    ----------
    text : str

    Returns
    -------
    str
    """
    low = text.lower()
    for word, kind in KIND_WORDS:
        if word in low:
            return kind
    return "other"


def marker_name(text: str) -> str:
    """A marker's text without numbering or case, so "Chorus 2" and "chorus" name the same part.

    Parameters
    ----------
    text : str

    Returns
    -------
    str
    """
    return re.sub(r"[\s\d_#.\-]+$", "", text.strip().lower()) or text.strip().lower()
