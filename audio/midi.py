"""MIDI as ground truth for timing: tempo map, time signatures and markers define beats and bars.

Conventions
-----------
- MIDI time is seconds from the file's tick 0 through its tempo map; audio time = MIDI time + offset.
- A beat is the time signature's denominator note, except in compound meters (6/8, 9/8, 12/8) where it
  is the dotted quarter, so 6/8 has two beats per bar (the danceable pulse, as for audio).
- Time-signature changes take effect at the next bar line.
- Beats start at the beat of the first note: empty bars before it (a count-in, or the padding some
  sequencers, and the test songs' MIDI writer, put before a late start) give no beats. When the first
  note is not on a downbeat, its bar is a pickup, bar 0 (numbered up to ``beats_per_bar``, as in
  :mod:`audio.model`), and the next bar is bar 1. Beats end with the bar of the last note-on, and
  before the file's last event (the final bar line, where the last notes stop, is not a beat).

The offset is found by cross-correlating the MIDI note onsets with the audio's onset envelope; as
music repeats, the best candidates (and the best moved by whole beats) are told apart by how well the
MIDI's pitch classes agree with the audio's chroma; the winner is refined to the millisecond and
corrected for the envelope's latency (measured once per process on a probe of known onsets), see
:func:`estimate_offset`. :func:`check_match` then rejects a MIDI of another song, or at another tempo:
onsets half by half, local drift, key and chord position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audio.errors import InputError, MidiMismatchError
from audio.features import ENVELOPE_LATENCY_S, Features

KIND_WORDS = (("pre-chorus", "other"), ("prechorus", "other"), ("chorus", "chorus"), ("refrain", "chorus"),
              ("hook", "chorus"), ("verse", "verse"), ("bridge", "bridge"), ("middle", "bridge"),
              ("intro", "intro"), ("outro", "outro"), ("coda", "outro"), ("ending", "outro"))
_MAX_BEATS = 200_000
_CHROMA_WEIGHT = 2.0  # of the chroma agreement (0..1) against the relative onset correlation (best 1)
_CHORD_SLACK = 0.03  # chroma agreement a MIDI moved by whole beats may gain before it is called misaligned


@dataclass(frozen=True)
class MidiTiming:
    """Beats, bars, markers and note onsets read from a MIDI file (times in MIDI seconds).

    Attributes
    ----------
    beats_s : np.ndarray [shape=(n,), seconds]
    bar : np.ndarray [shape=(n,), int, 1-based]
        Bar 0 is a pickup (the first note is not on a downbeat).
    beat : np.ndarray [shape=(n,), int, 1-based]
    beats_per_bar : int
        Of the time signature at the first beat.
    time_signature : str
        The time signature at the first beat, e.g. "4/4" or "6/8".
    markers : list of (float, str)
        Marker (or cue) meta events: time in seconds and text.
    onsets_s : np.ndarray [shape=(k,), seconds]
        Note-on times (all tracks, merged within 10 ms).
    end_s : float
        Time of the last event.
    path : str or None
        The file it was read from (named in error messages).
    onset_weight : np.ndarray [shape=(k,)] or None
        Per onset, the summed velocity (0..1 each) of the notes that start there: accents, so that a
        downbeat with kick, bass and chord counts more than an off-beat hat. None: all 1.
    notes : np.ndarray [shape=(m, 4)] or None
        Pitched notes (not General MIDI channel 10): start s, end s, MIDI pitch, velocity 0..1.
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
    onset_weight: np.ndarray | None = None
    notes: np.ndarray | None = None


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
    notes = []  # [on tick, off tick, pitch, velocity, drum]
    for track in mid.tracks:
        tick = 0
        sounding: dict[tuple[int, int], list[list]] = {}
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo":
                events.append((tick, 0, "tempo", msg.tempo))
            elif msg.type == "time_signature":
                events.append((tick, 1, "ts", (msg.numerator, msg.denominator)))
            elif msg.type in ("marker", "cue_marker"):
                events.append((tick, 2, "marker", msg.text))
            elif msg.type == "note_on" and msg.velocity > 0:
                events.append((tick, 3, "note", msg.velocity))
                note = [tick, None, msg.note, msg.velocity / 127.0, msg.channel == 9]
                notes.append(note)
                sounding.setdefault((msg.channel, msg.note), []).append(note)
            elif msg.type in ("note_off", "note_on", "end_of_track"):
                events.append((tick, 4, "end", None))
                if msg.type != "end_of_track" and sounding.get((msg.channel, msg.note)):
                    sounding[(msg.channel, msg.note)].pop(0)[1] = tick
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
    near = beat_ticks_a - np.array(beat_len_ticks) / 4.0
    j0 = int(np.nonzero(near <= note_ticks.min())[0][-1])
    # The last bar is the one of the last note-on (a note ringing past its end makes no more beats).
    bar_a = np.array(bars)
    beat_a = np.array(beats)
    last_bar = bar_a[int(np.nonzero(near <= note_ticks.max())[0][-1])]
    idx = np.arange(len(beat_ticks))
    inside = (idx == j0) | ((idx > j0) & (beat_ticks_a < end_tick) & (bar_a <= last_bar))
    # A partial first bar is a pickup (bar 0); a first beat on a downbeat starts bar 1.
    bar_a = bar_a - bar_a[j0] + (1 if beat_a[j0] == 1 else 0)
    # Onsets: note starts merged within 10 ms, each weighted by the velocities that start there.
    note_s = to_seconds(note_ticks)
    note_vel = np.array([e[3] for e in events if e[2] == "note"], dtype=np.float64) / 127.0
    order = np.argsort(note_s, kind="stable")
    note_s, note_vel = note_s[order], note_vel[order]
    group = np.concatenate([[0], np.cumsum(np.diff(note_s) > 0.01)])
    first = np.concatenate([[True], group[1:] != group[:-1]])
    onsets = note_s[first]
    weight = np.bincount(group, weights=note_vel)
    pitched = np.array([[n[0], end_tick if n[1] is None else n[1], n[2], n[3]] for n in notes if not n[4]],
                       dtype=np.float64).reshape(-1, 4)
    pitched[:, 0] = to_seconds(pitched[:, 0])
    pitched[:, 1] = to_seconds(pitched[:, 1])
    markers = [(float(to_seconds(np.array([e[0]]))[0]), str(e[3])) for e in events if e[2] == "marker"]
    num, den, bpb = sigs[j0]
    return MidiTiming(beats_s=to_seconds(beat_ticks_a[inside]), bar=bar_a[inside], beat=beat_a[inside],
                      beats_per_bar=bpb, time_signature=f"{num}/{den}", markers=markers, onsets_s=onsets,
                      end_s=float(to_seconds(np.array([end_tick]))[0]), path=str(path), onset_weight=weight,
                      notes=pitched)


def _beat_grid(num: int, den: int, tpq: int) -> tuple[int, float]:
    """Beats per bar and beat length in ticks for a time signature."""
    unit = tpq * 4.0 / den
    if den == 8 and num % 3 == 0 and num >= 6:
        return num // 3, 3 * unit
    return num, unit


def estimate_offset(midi: MidiTiming, feat: Features, *, max_offset_s: float = 10.0) -> float:
    """Offset (seconds, audio = MIDI + offset) that best lines the MIDI notes up with the audio.

    Two scores are computed for every offset, a frame apart: (1) the note onsets, weighted by velocity
    (accents), cross-correlated with the audio's onset envelope, made peaky and locally normalised so
    that quiet passages count as much as loud ones (relative to its best, so 1 at most); (2) the
    agreement of the MIDI's pitch classes with the audio's chroma (0..1, see
    :func:`chroma_agreement`). Music repeats, so the onsets alone score a shift by a beat or a bar
    almost as well as the right offset (within a few percent in a long song); the chords tell them
    apart. The best sum, onsets + 2 x chroma, is then refined to the millisecond with a smooth kernel,
    and the envelope's latency (how late its peaks come after the onsets that cause them, see
    :data:`audio.features.ENVELOPE_LATENCY_S`) is taken off. A MIDI with drums only is aligned by its onsets alone,
    which in a long song of identical bars can land a bar or more off (no test can then tell).

    Parameters
    ----------
    midi : MidiTiming
    feat : Features
        Of the audio: its onset envelope and chroma are compared with the MIDI.
    max_offset_s : float, seconds
        Largest offset searched, either way.

    Returns
    -------
    float, seconds
        Rounded to 0.1 ms.
    """
    from scipy.signal import correlate

    fr = feat.frame_rate_hz
    n = feat.n_frames
    weight = np.ones(midi.onsets_s.size) if midi.onset_weight is None else midi.onset_weight
    pad = int(max_offset_s * fr)
    train = np.zeros(n + 2 * pad)
    idx = np.rint(midi.onsets_s * fr).astype(np.int64) + pad
    ok = (idx >= 0) & (idx < train.shape[0])
    np.add.at(train, idx[ok], weight[ok])
    train = np.convolve(train, np.hanning(5), mode="same")
    # corr[k] pairs env[i] with train[i + k]: the audio at frame i matches MIDI frame i + k - pad,
    # so k stands for the offset (pad - k) / fr.
    corr = correlate(train, _peakiness(feat.onset_env, fr), mode="valid")
    offsets_s = (pad - np.arange(corr.size)) / fr
    top = corr.max()
    score = corr / top if top > 0 else corr - top
    score = score + _CHROMA_WEIGHT * _chroma_curve(midi, feat, offsets_s)
    coarse_s = offsets_s[int(np.argmax(score))]
    env = feat.onset_env - feat.onset_env.mean()
    fine_s = coarse_s + np.arange(-2.0 / fr, 2.0 / fr + 5e-4, 1e-3)
    fine = _kernel_score(env, fr, midi.onsets_s, fine_s)
    return float(round(fine_s[int(np.argmax(fine))] - ENVELOPE_LATENCY_S, 4))


def _chroma_curve(midi: MidiTiming, feat: Features, offsets_s: np.ndarray) -> np.ndarray:
    """:func:`chroma_agreement` at offsets a whole number of frames apart, by one FFT correlation."""
    from scipy.signal import fftconvolve

    out = np.zeros(offsets_s.size)
    roll = _midi_chroma(midi, feat.frame_rate_hz)
    if roll is None:
        return out
    b, n_active = roll
    a = feat.chroma / np.maximum(np.linalg.norm(feat.chroma, axis=0), 1e-9)
    # full[q] = sum_j a[:, j + q - (m - 1)] . b[:, j]: the MIDI moved by q - (m - 1) frames.
    full = fftconvolve(a, b[:, ::-1], mode="full", axes=1).sum(axis=0)
    q = np.rint(offsets_s * feat.frame_rate_hz).astype(np.int64) + b.shape[1] - 1
    inside = (q >= 0) & (q < full.size)
    out[inside] = full[q[inside]] / n_active
    return out


def _midi_chroma(midi: MidiTiming, fr: float, transpose: int = 0) -> tuple[np.ndarray, int] | None:
    """The pitched notes as unit chroma vectors per frame of MIDI time (zero where none sound).

    Returns the (12, m) array and the number of frames with notes, or None without pitched notes.
    """
    notes = midi.notes
    if notes is None or notes.shape[0] == 0:
        return None
    m = int(np.ceil(notes[:, 1].max() * fr)) + 2
    first = np.clip(np.rint(notes[:, 0] * fr).astype(np.int64), 0, m - 1)
    last = np.clip(np.maximum(np.rint(notes[:, 1] * fr).astype(np.int64), first + 1), 0, m)
    pc = (notes[:, 2].astype(np.int64) + transpose) % 12
    roll = np.zeros((12, m + 1))
    np.add.at(roll, (pc, first), notes[:, 3])
    np.add.at(roll, (pc, last), -notes[:, 3])
    roll = np.cumsum(roll, axis=1)[:, :m]
    roll[roll < 1e-9] = 0.0
    norm = np.linalg.norm(roll, axis=0)
    n_active = int(np.count_nonzero(norm > 0))
    if n_active == 0:
        return None
    return roll / np.maximum(norm, 1e-12), n_active


def chroma_agreement(midi: MidiTiming, feat: Features, offsets_s: np.ndarray, *,
                     span_s: tuple[float, float] | None = None, transpose: int = 0) -> np.ndarray:
    """How well the MIDI's pitch classes agree with the audio's chroma, for each offset.

    Parameters
    ----------
    midi : MidiTiming
        Its pitched notes (``midi.notes``) are used; drums are not.
    feat : Features
        Of the audio.
    offsets_s : np.ndarray [shape=(c,), seconds]
        Audio = MIDI + offset.
    span_s : (float, float), optional
        Only MIDI notes sounding in this span of audio time (at each offset) count; default all.
    transpose : int, semitones
        Transpose the MIDI first (a test of whether it is in the audio's key).

    Returns
    -------
    np.ndarray [shape=(c,), 0..1]
        Mean cosine similarity of the two chroma vectors over the frames where the MIDI has a pitched
        note; frames that fall outside the audio count as 0. 0 when there are no pitched notes.
    """
    offsets_s = np.atleast_1d(np.asarray(offsets_s, dtype=np.float64))
    out = np.zeros(offsets_s.size)
    fr = feat.frame_rate_hz
    roll = _midi_chroma(midi, fr, transpose)
    if roll is None:
        return out
    active = np.nonzero(roll[0].any(axis=0))[0]
    b = roll[0][:, active]
    a = feat.chroma / np.maximum(np.linalg.norm(feat.chroma, axis=0), 1e-9)
    for i, off in enumerate(offsets_s):
        j = active + int(round(off * fr))
        use = np.ones(active.size, dtype=bool)
        if span_s is not None:
            use = (j >= span_s[0] * fr) & (j < span_s[1] * fr)
        inside = use & (j >= 0) & (j < feat.n_frames)
        if use.any():
            out[i] = float(np.sum(a[:, j[inside]] * b[:, inside]) / np.count_nonzero(use))
    return out


def _peakiness(env: np.ndarray, fr: float) -> np.ndarray:
    """Onset envelope above its 0.2 s moving average, over its 3 s moving average, minus 1.

    Only peaks count, and as much in a quiet intro as in a loud chorus; silence (and the time outside
    the audio, which the correlation pads with 0) sits at -1 or 0, so notes placed there lose.
    """
    from scipy.ndimage import uniform_filter1d

    x = np.maximum(env - uniform_filter1d(env, int(0.2 * fr) | 1), 0.0)
    scale = uniform_filter1d(x, max(1, int(3.0 * fr)))
    return x / (scale + 0.05 * x.mean() + 1e-12) - 1.0


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


def envelope_lag_s(feat: Features, onsets_s: np.ndarray, *, lo_s: float = -0.05, hi_s: float = 0.1) -> float:
    """How late the onset envelope of ``feat`` peaks after the given onsets, to the millisecond.

    The lag in ``lo_s..hi_s`` whose smooth kernel score (the one :func:`estimate_offset` refines with)
    is best. ``benchmarks/real_accuracy.py`` measures it on real recordings against madmom's beats and
    the annotations to calibrate :data:`audio.features.ENVELOPE_LATENCY_S`.

    Parameters
    ----------
    feat : Features
    onsets_s : np.ndarray [shape=(k,), seconds]
    lo_s, hi_s : float, seconds
        Range searched.

    Returns
    -------
    float, seconds
    """
    fr = feat.frame_rate_hz
    lags_s = np.arange(lo_s, hi_s + 5e-4, 1e-3)
    env = feat.onset_env - feat.onset_env.mean()
    return float(round(lags_s[int(np.argmax(_kernel_score(env, fr, np.asarray(onsets_s), lags_s)))], 4))


def check_match(midi: MidiTiming, onsets_s: np.ndarray, offset_s: float, duration_s: float, *,
                tolerance_s: float = 0.07, min_f: float = 0.5, feat: Features | None = None,
                max_drift_s: float = 0.05) -> float:
    """Check that the shifted MIDI agrees with the audio; raise when it does not.

    Four tests, each aimed at a way in which a wrong MIDI can look right:

    - onsets: the F-measure of the MIDI onsets against the audio's, in each half of the song separately
      (a MIDI at a different tempo lines up in one place only);
    - drift (needs ``feat``): the offset that best fits each stretch of about 3 s (see
      :func:`local_offsets`) may differ from ``offset_s`` by ``max_drift_s`` at most. Music is so
      regular that a MIDI at a slightly different tempo, or of another song at a similar one, can reach
      a fair F-measure with a tolerance of tens of milliseconds, but it does not stay on time;
    - key (needs ``feat`` and pitched notes): the MIDI's pitch classes must agree with the audio's
      chroma better as written than transposed by any number of semitones (another song with the same
      rhythm is caught here);
    - chords (likewise): the agreement must not grow by more than 0.03 when the MIDI is moved by whole
      beats, up to two bars either way (a MIDI at a slightly different tempo can find an offset where
      its onsets fit a stretch of a tempo ramp, with its chords in the wrong place).

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
    feat : Features, optional
        Of the audio; without it only the onsets are checked.
    max_drift_s : float, seconds
        Largest local deviation from ``offset_s`` accepted in the drift test.

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
    if feat is None:
        return scores[0]
    drift = local_offsets(midi, feat, offset_s) - offset_s
    drift = drift[np.isfinite(drift)]
    if drift.size >= 2 and np.max(np.abs(drift)) > max_drift_s:
        raise MidiMismatchError(
            f"does not match the audio: its notes line up at offset {offset_s:+.3f} s in places but are "
            f"{1000 * np.max(np.abs(drift)):.0f} ms off elsewhere (allowed {1000 * max_drift_s:.0f} ms); "
            "a MIDI at a different tempo, or of another song?", path=midi.path)
    if midi.notes is not None and midi.notes.shape[0]:
        agree = np.array([chroma_agreement(midi, feat, np.array([offset_s]), transpose=k)[0] for k in range(12)])
        best = int(np.argmax(agree))
        if best != 0:
            shift = best if best <= 6 else best - 12
            raise MidiMismatchError(
                f"does not match the audio: its notes' pitches agree with the audio less well as written "
                f"(chroma agreement {agree[0]:.2f}) than transposed by {shift:+d} semitones ({agree[best]:.2f}); "
                "a MIDI of another song, or in another key?", path=midi.path)
        if midi.beats_s.size > 1:
            beat_s = float(np.median(np.diff(midi.beats_s)))
            k = np.concatenate([-np.arange(1, 2 * midi.beats_per_bar + 1), np.arange(1, 2 * midi.beats_per_bar + 1)])
            moved = chroma_agreement(midi, feat, offset_s + k * beat_s)
            j = int(np.argmax(moved))
            if moved[j] > agree[0] + _CHORD_SLACK:
                raise MidiMismatchError(
                    f"does not match the audio: its chords agree with the audio's better {abs(k[j])} beat(s) "
                    f"{'later' if k[j] > 0 else 'earlier'} (chroma agreement {moved[j]:.2f}) than where its "
                    f"onsets line up (offset {offset_s:+.3f} s, {agree[0]:.2f}); a MIDI of a different tempo "
                    "or arrangement?", path=midi.path)
    return scores[0]


def local_offsets(midi: MidiTiming, feat: Features, offset_s: float, *, window_s: float = 3.0,
                  search_s: float = 0.1, min_onsets: int = 8) -> np.ndarray:
    """The offset that best fits each stretch of the song, near a global offset.

    Parameters
    ----------
    midi : MidiTiming
    feat : Features
        Of the audio.
    offset_s : float
        Global offset (audio = MIDI + offset), as from :func:`estimate_offset`.
    window_s : float, seconds
        About how long each stretch is; the span of the MIDI notes inside the audio is cut into
        ``round(span / window_s)`` equal stretches, at least 2.
    search_s : float, seconds
        How far from ``offset_s`` each local offset is searched, either way (1 ms steps).
    min_onsets : int
        Stretches with fewer MIDI onsets are not fitted (NaN).

    Returns
    -------
    np.ndarray [shape=(w,), seconds]
        One offset per stretch, in time order; NaN where there were too few onsets.
    """
    fr = feat.frame_rate_hz
    duration_s = feat.n_frames / fr
    t = midi.onsets_s + offset_s
    inside = t[(t >= 0) & (t < duration_s)]
    if inside.size == 0:
        return np.zeros(0)
    n_win = max(2, int(round((inside[-1] - inside[0]) / window_s)))
    edges = np.linspace(inside[0], inside[-1] + 1e-6, n_win + 1)
    env = feat.onset_env - feat.onset_env.mean()
    grid = offset_s + np.arange(-search_s, search_s + 5e-4, 1e-3)
    out = np.full(n_win, np.nan)
    for w in range(n_win):
        sel = midi.onsets_s[(t >= edges[w]) & (t < edges[w + 1])]
        if sel.size >= min_onsets:
            out[w] = grid[int(np.argmax(_kernel_score(env, fr, sel, grid + ENVELOPE_LATENCY_S)))]
    return out


def _onset_f(ref: np.ndarray, est: np.ndarray, tol: float) -> float:
    """F-measure of onset matching: an onset is matched when one of the other set lies within ``tol``."""
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


@dataclass(frozen=True)
class LyricNote:
    r"""A sung note with its lyric syllable (MIDI lyric or text meta event at the note's start).

    ``text`` is the syllable as written ("beau-", "ti-", "ful"); a note with no lyric of its own continues
    the previous syllable (a melisma) and has ``text == ""``. ``line_start`` marks the first note of a
    lyric line (a "/" or "\\" prefix, as karaoke files write it, or a newline in the event).
    """

    start_s: float
    end_s: float
    text: str
    line_start: bool


def read_lyric_notes(path: str | Path) -> list[LyricNote]:
    """Read the sung notes and their lyric syllables from a MIDI file.

    The track with the most lyric events is the vocal line. Each of its lyric (or, failing those, text)
    events is paired with the note that starts at the same time; notes without an event continue the
    previous syllable.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    list of LyricNote, in time order

    Raises
    ------
    InputError
        When the file cannot be read or holds no lyric events.
    """
    import mido

    p = Path(path)
    try:
        mid = mido.MidiFile(str(p))
    except FileNotFoundError:
        raise InputError("MIDI file not found", path=path) from None
    except (OSError, EOFError, ValueError, KeyError, IndexError) as exc:
        raise InputError(f"is corrupt or not a MIDI file ({exc})", path=path) from exc
    tempo_ticks, tempi = [0], [500000]
    for tr in mid.tracks:
        tick = 0
        for msg in tr:
            tick += msg.time
            if msg.type == "set_tempo":
                tempo_ticks.append(tick)
                tempi.append(msg.tempo)
    order = np.argsort(tempo_ticks, kind="stable")
    t_ticks = np.array(tempo_ticks, dtype=np.float64)[order]
    t_vals = np.array(tempi, dtype=np.float64)[order]
    seg_s = np.concatenate([[0.0], np.cumsum(np.diff(t_ticks) * t_vals[:-1] / mid.ticks_per_beat / 1e6)])

    def seconds(tick: float) -> float:
        k = int(np.searchsorted(t_ticks, tick, side="right") - 1)
        return float(seg_s[k] + (tick - t_ticks[k]) * t_vals[k] / mid.ticks_per_beat / 1e6)

    best: tuple[list, list] | None = None
    for kind in ("lyrics", "text"):
        for tr in mid.tracks:
            tick, lyr, notes, sounding = 0, [], [], {}
            for msg in tr:
                tick += msg.time
                if msg.type == kind and msg.text != "":
                    lyr.append((tick, _meta_text(msg.text)))
                elif msg.type == "note_on" and msg.velocity > 0:
                    sounding[(msg.channel, msg.note)] = tick
                elif msg.type in ("note_off", "note_on") and (msg.channel, msg.note) in sounding:
                    notes.append((sounding.pop((msg.channel, msg.note)), tick))
            if lyr and (best is None or len(lyr) > len(best[0])):
                best = (lyr, sorted(notes))
        if best is not None:
            break
    if best is None:
        raise InputError("has no lyric events (MIDI lyric or text meta events per note)", path=path)
    lyr, notes = best
    if not notes:  # lyrics in their own track: pair them with the notes of every track
        for tr in mid.tracks:
            tick, sounding = 0, {}
            for msg in tr:
                tick += msg.time
                if msg.type == "note_on" and msg.velocity > 0:
                    sounding[(msg.channel, msg.note)] = tick
                elif msg.type in ("note_off", "note_on") and (msg.channel, msg.note) in sounding:
                    notes.append((sounding.pop((msg.channel, msg.note)), tick))
        notes = sorted(set(notes))
    tol = mid.ticks_per_beat / 8
    lyric_at = {}
    pending_break = False
    for tick, text in lyr:
        if text in ("\r", "\n", "/", "\\"):
            pending_break = True
            continue
        brk = pending_break or text[:1] in "/\\" or text[:1] in "\r\n"
        pending_break = False
        lyric_at[tick] = (text.strip("/\\\r\n"), brk)
    out: list[LyricNote] = []
    lyric_ticks = np.array(sorted(lyric_at))
    used = set()
    for on, off in notes:
        j = int(np.argmin(np.abs(lyric_ticks - on))) if lyric_ticks.size else -1
        if j >= 0 and abs(lyric_ticks[j] - on) <= tol and j not in used:
            used.add(j)
            text, brk = lyric_at[int(lyric_ticks[j])]
            out.append(LyricNote(seconds(on), seconds(off), text, brk or not out))
        elif out:
            out.append(LyricNote(seconds(on), seconds(off), "", False))
    return out


def _meta_text(text: str) -> str:
    """A MIDI text event as written: mido reads its bytes as Latin-1, which the file does not declare.

    UTF-8 when the bytes are valid UTF-8 (which Latin-1 text with accents almost never is), Shift-JIS when
    they read as Japanese with kana in it (karaoke files), Latin-1 otherwise.
    """
    raw = text.encode("latin-1", errors="replace")
    if raw.isascii():
        return text
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        sjis = raw.decode("shift_jis")
    except UnicodeDecodeError:
        return text
    return sjis if any("\u3041" <= ch <= "\u30ff" for ch in sjis) else text
