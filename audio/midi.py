"""MIDI as ground truth for timing: tempo map, time signatures and markers define beats and bars.

Conventions
-----------
- MIDI time is seconds from the file's tick 0 through its tempo map; audio time = MIDI time + offset.
- A beat is the time signature's denominator note, except in compound meters (6/8, 9/8, 12/8) where it
  is the dotted quarter, so 6/8 has two beats per bar (the danceable pulse, as for audio).
- Time-signature changes take effect at the next bar line.

The offset is found by cross-correlating the MIDI note onsets with the audio's onset envelope; the
match is then checked half by half (a MIDI of another song, or at another tempo, fails the check).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio.errors import InputError, MidiMismatchError
from audio.features import Features

KIND_WORDS = (("pre-chorus", "other"), ("prechorus", "other"), ("chorus", "chorus"), ("refrain", "chorus"),
              ("hook", "chorus"), ("verse", "verse"), ("bridge", "bridge"), ("middle", "bridge"),
              ("intro", "intro"), ("outro", "outro"), ("coda", "outro"), ("ending", "outro"))


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
    """

    beats_s: np.ndarray
    bar: np.ndarray
    beat: np.ndarray
    beats_per_bar: int
    time_signature: str
    markers: list[tuple[float, str]]
    onsets_s: np.ndarray
    end_s: float


def read_midi(path: str | Path) -> MidiTiming:
    """Read a MIDI file's timing.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    MidiTiming

    Raises
    ------
    InputError
        Missing, unreadable or corrupt file, or a file with no notes.
    """
    import mido

    p = Path(path)
    if not p.exists():
        raise InputError("MIDI file not found", path=path)
    try:
        mid = mido.MidiFile(str(p))
    except (OSError, EOFError, ValueError, KeyError, IndexError) as exc:
        raise InputError(f"is not a readable MIDI file ({exc})", path=path) from exc
    tpq = mid.ticks_per_beat
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
            elif msg.type in ("note_off", "end_of_track"):
                events.append((tick, 4, "end", None))
    events.sort(key=lambda e: (e[0], e[1]))
    note_ticks = np.array([e[0] for e in events if e[2] == "note"], dtype=np.int64)
    if note_ticks.size == 0:
        raise InputError("contains no notes, so it cannot be aligned with the audio", path=path)
    tempo_changes = [(0, 500000)] + [(e[0], e[3]) for e in events if e[2] == "tempo"]
    ts_changes = [(0, (4, 4))] + [(e[0], e[3]) for e in events if e[2] == "ts"]
    end_tick = max(e[0] for e in events)

    def to_seconds(ticks: np.ndarray) -> np.ndarray:
        ticks = np.asarray(ticks, dtype=np.float64)
        starts = np.array([t for t, _ in tempo_changes], dtype=np.float64)
        tempi = np.array([v for _, v in tempo_changes], dtype=np.float64)
        # Later events at the same tick win.
        keep = np.append(starts[1:] != starts[:-1], True)
        starts, tempi = starts[keep], tempi[keep]
        seg_s = np.concatenate([[0.0], np.cumsum(np.diff(starts) * tempi[:-1] / tpq / 1e6)])
        k = np.searchsorted(starts, ticks, side="right") - 1
        return seg_s[k] + (ticks - starts[k]) * tempi[k] / tpq / 1e6

    beat_ticks, bars, beats = [], [], []
    tick, bar_no = 0.0, 1
    ts_i = 0
    first_sig = None
    while tick <= end_tick:
        while ts_i + 1 < len(ts_changes) and ts_changes[ts_i + 1][0] <= tick:
            ts_i += 1
        num, den = ts_changes[ts_i][1]
        bpb, beat_len = _beat_grid(num, den, tpq)
        first_sig = first_sig or (num, den, bpb)
        for k in range(bpb):
            beat_ticks.append(tick + k * beat_len)
            bars.append(bar_no)
            beats.append(k + 1)
        tick += bpb * beat_len
        bar_no += 1
    beat_ticks_a = np.array(beat_ticks)
    inside = beat_ticks_a <= end_tick
    onsets = np.unique(np.round(to_seconds(note_ticks), 2))
    markers = [(float(to_seconds(np.array([e[0]]))[0]), str(e[3])) for e in events if e[2] == "marker"]
    num, den, bpb = first_sig
    return MidiTiming(beats_s=to_seconds(beat_ticks_a[inside]), bar=np.array(bars)[inside],
                      beat=np.array(beats)[inside], beats_per_bar=bpb, time_signature=f"{num}/{den}",
                      markers=markers, onsets_s=onsets, end_s=float(to_seconds(np.array([end_tick]))[0]))


def _beat_grid(num: int, den: int, tpq: int) -> tuple[int, float]:
    """Beats per bar and beat length in ticks for a time signature."""
    unit = tpq * 4.0 / den
    if den == 8 and num % 3 == 0 and num >= 6:
        return num // 3, 3 * unit
    return num, unit


def estimate_offset(midi: MidiTiming, feat: Features, *, max_offset_s: float = 10.0) -> float:
    """Offset (seconds, audio = MIDI + offset) that best lines the MIDI notes up with the audio.

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
    k = int(np.argmax(corr))
    return float((pad - k) / fr)


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
    """
    notes = midi.onsets_s + offset_s
    last_note = float(midi.end_s + offset_s)
    if last_note > duration_s + 5.0:
        raise MidiMismatchError(f"the MIDI runs to {last_note:.1f} s but the audio is {duration_s:.1f} s long; "
                                "is it the MIDI of this song?")
    halves = [(0.0, duration_s / 2), (duration_s / 2, duration_s + 1.0)]
    scores = []
    for lo, hi in [(0.0, duration_s + 1.0), *halves]:
        a = notes[(notes >= lo) & (notes < hi)]
        b = onsets_s[(onsets_s >= lo) & (onsets_s < hi)]
        scores.append(_onset_f(a, b, tolerance_s))
    if min(scores[1:]) < min_f:
        raise MidiMismatchError(
            f"the MIDI notes do not match the audio (onset F-measure {scores[1]:.2f} in the first half, "
            f"{scores[2]:.2f} in the second, at the best offset {offset_s:+.3f} s; need {min_f}); "
            "wrong file, or a different tempo or arrangement")
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
