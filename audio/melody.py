"""Sung notes in a full mix without lyrics: the lead melody's pitch, its voiced spans and its note changes.

In a pop mix the lead vocal is usually the predominant melody, so a pitch tracker run on the whole mix
follows it most of the time; in a stereo mix it runs on the mix's centre (:func:`centre_channel`), where
the lead vocal is mixed and instruments panned elsewhere are removed. This module turns that pitch track
into sung notes (a note starts where the melody becomes voiced or its pitch moves to another semitone and
stays there) and the notes into mouth phones: the mouth opens on every note onset, closes briefly before a
note that follows without a gap, and rests in the unvoiced gaps.

The pitch tracker is CREPE (``torchcrepe``, MIT, its weights ship inside the pip package), tiny model, on
torch. It is optional: install ``choreo-engine[melody]``. Without it, :func:`audio.transcribe.transcribe`
falls back to the vocal-band loudness tier and says so in the track's warnings.

Conventions
-----------
- Pitch frames are at ``MELODY_FRAME_HZ`` (20 ms hops of the 16 kHz signal, the frame rate of
  :mod:`audio.vocals`; CREPE's own 10 ms hops took twice the time and found no more note onsets on the
  dev mixes); times are float seconds from the start of the recording.
- f0 is in Hz between ``FMIN_HZ`` and ``FMAX_HZ`` (the sung range the stem path's pYIN uses too);
  periodicity is CREPE's confidence, 0..1.
- A frame is voiced where periodicity exceeds ``VOICING`` (0.21, the threshold torchcrepe's documentation
  gives for its periodicity; not fitted to any recording here).
- A pitch move is a new note when the median-smoothed pitch leaves the running note pitch by at least
  ``NOTE_STEP_SEMITONES`` (vibrato stays within about half a semitone) and holds for ``HOLD_S``.
- Notes shorter than ``MIN_NOTE_S`` are not notes (a consonant, a passing slide or a tracker glitch).
"""

from __future__ import annotations

import importlib
import sys
import types

import numpy as np

from audio.model import Phone

MELODY_FRAME_HZ = 50.0
MELODY_SR = 16000
FMIN_HZ = 65.0
FMAX_HZ = 1000.0
VOICING = 0.21
NOTE_STEP_SEMITONES = 0.8
HOLD_S = 0.03
MIN_NOTE_S = 0.06
SMOOTH_S = 0.05
CENTRE_WINDOW_S = 0.5
VOICE_CONTEXT_S = 0.5  # around each stretch of voice the pitch is tracked on, for CREPE's window and the decoding
LIP_CLOSE_S = 0.04  # the lips close for this long before a note that follows its neighbour without a gap
INSTALL_HINT = "pip install 'choreo-engine[melody]'"


def _torchcrepe():
    """Import torchcrepe, or return None when it (or torch) is not installed or does not load.

    torchcrepe imports torchaudio only to read audio files, which choreo never asks it to do. Where
    torchaudio is missing or its binary does not load (a CUDA build of torchaudio beside a CPU torch, as a
    plain ``pip install`` gives), an empty module object is registered under the name ``torchaudio``, so
    torchcrepe's import succeeds; the pitch tracking itself uses torch only.
    """
    try:
        return importlib.import_module("torchcrepe")
    except ModuleNotFoundError as e:
        if e.name != "torchaudio":
            return None
    except (OSError, ImportError):
        pass
    for name in [m for m in sys.modules if m == "torchcrepe" or m.startswith(("torchcrepe.", "torchaudio"))]:
        del sys.modules[name]
    sys.modules["torchaudio"] = types.ModuleType("torchaudio")
    try:
        return importlib.import_module("torchcrepe")
    except (OSError, ImportError):
        return None


def crepe_available() -> bool:
    """True when the pitch tracker (torchcrepe on torch) can be loaded."""
    return _torchcrepe() is not None


def melody_pitch(samples: np.ndarray, sr: int, voice: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The predominant pitch of a recording and its periodicity, by CREPE (tiny model, Viterbi decoding).

    Of a stereo recording the pitch of its centre (:func:`centre_channel`, at the tracker's 16 kHz). Given
    where a voice is heard, CREPE runs only there (each stretch with ``VOICE_CONTEXT_S`` around it, stretches
    closer than twice that run as one): elsewhere the melody is an instrument's, which no caller uses.

    Parameters
    ----------
    samples : np.ndarray [shape=(n,) or (n, channels), float32]
    sr : int, Hz
    voice : np.ndarray [shape=(m,), bool], optional
        Per frame at ``MELODY_FRAME_HZ``, where a voice is heard (the singing detector).

    Returns
    -------
    f0_hz : np.ndarray [shape=(k,), Hz]
        At ``MELODY_FRAME_HZ``; ``FMIN_HZ`` where the pitch was not tracked.
    periodicity : np.ndarray [shape=(k,), 0..1]
        0 where the pitch was not tracked.

    Raises
    ------
    ModuleNotFoundError
        torchcrepe (or torch) is not installed: see ``INSTALL_HINT``.
    """
    import librosa

    from audio.phrases import vocal_phrases

    y16 = centre16(samples, sr)
    if voice is None:
        return _crepe(y16)
    hop = int(MELODY_SR / MELODY_FRAME_HZ)
    n = 1 + y16.shape[0] // hop  # CREPE's frame count (centred frames)
    heard = librosa.util.fix_length(np.asarray(voice, dtype=bool), size=n)
    f0, per = np.full(n, FMIN_HZ), np.zeros(n)
    pad = int(round(VOICE_CONTEXT_S * MELODY_FRAME_HZ))
    runs = vocal_phrases(heard, MELODY_FRAME_HZ, min_pause_s=2 * VOICE_CONTEXT_S, min_phrase_s=0.0)
    for a, b in np.rint(runs * MELODY_FRAME_HZ).astype(int):
        lo, hi = max(a - pad, 0), min(b + pad, n)
        f0[lo:hi], per[lo:hi] = (x[: hi - lo] for x in _crepe(y16[lo * hop: hi * hop]))
    return f0, per


def centre16(samples: np.ndarray, sr: int) -> np.ndarray:
    """The recording's centre (:func:`centre_channel`; mono as it is) at 16 kHz (``MELODY_SR``).

    Parameters
    ----------
    samples : np.ndarray [shape=(n,) or (n, channels), float32]
    sr : int, Hz

    Returns
    -------
    np.ndarray [shape=(m,), float32]
        At ``MELODY_SR``: the rate of the pitch tracker, the singing detector and the voice separation, so a
        full mix's centre is taken once, at that rate (at 44.1 kHz it took ten times as long).
    """
    from audio.features import resample_mono

    x = np.asarray(samples, dtype=np.float32).reshape(len(samples), -1)
    return centre_channel(np.stack([resample_mono(x[:, c], sr, MELODY_SR) for c in range(min(2, x.shape[1]))],
                                   axis=1), MELODY_SR).astype(np.float32)


def _crepe(y16: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CREPE's pitch and periodicity of ``y16`` (``MELODY_SR``), frame ``i`` centred at ``i`` hops."""
    import torch

    crepe = _torchcrepe()
    if crepe is None:
        raise ModuleNotFoundError(f"the melody pitch tracker needs torchcrepe: {INSTALL_HINT}")
    # torchcrepe dithers each frequency by up to a pitch bin with numpy's global random generator: seeded
    # here, and the caller's state put back, so that the same mix gives the same mouth track.
    state = np.random.get_state()  # noqa: NPY002 (the generator torchcrepe draws from)
    np.random.seed(0)  # noqa: NPY002
    try:
        with torch.inference_mode():
            f0, per = crepe.predict(torch.from_numpy(y16)[None], MELODY_SR, fmin=FMIN_HZ, fmax=FMAX_HZ, model="tiny",
                                    hop_length=int(MELODY_SR / MELODY_FRAME_HZ), decoder=crepe.decode.viterbi,
                                    return_periodicity=True, batch_size=1024, device="cpu")
    finally:
        np.random.set_state(state)  # noqa: NPY002
    return f0[0].numpy().astype(np.float64), per[0].numpy().astype(np.float64)


def voice_pitch(samples: np.ndarray, sr: int, voice: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The lead voice's pitch in a full mix, for the lyrics aligner: CREPE's track where it is voiced.

    On a mix, pYIN on the separated voice hears what the separation left of the band; CREPE on the mix's
    centre (:func:`melody_pitch`) follows the predominant melody, which is the voice where one sings.

    Parameters
    ----------
    samples : np.ndarray [shape=(n,) or (n, channels), float32]
    sr : int, Hz
    voice : np.ndarray [shape=(m,), bool], optional
        Per frame at ``MELODY_FRAME_HZ``, where a voice is heard (the singing detector): elsewhere the
        melody is an instrument's, and is taken as unvoiced (and not tracked).

    Returns
    -------
    f0_hz : np.ndarray [shape=(k,), Hz, NaN where unvoiced]
    voicing : np.ndarray [shape=(k,), 0..1]
        The periodicity where above ``VOICING`` (and a voice is heard), else 0.
    """
    import librosa

    f0, per = melody_pitch(samples, sr, voice)
    on = per > VOICING
    if voice is not None:
        on &= librosa.util.fix_length(np.asarray(voice, dtype=bool), size=on.size)
    return np.where(on, f0, np.nan), np.where(on, per, 0.0)


def centre_channel(samples: np.ndarray, sr: int, *, window_s: float = CENTRE_WINDOW_S) -> np.ndarray:
    """The centre of a stereo mix: the mid signal less what of it the side signal predicts.

    A lead vocal is mixed to the centre, identical in both channels; instruments panned anywhere else
    leave a trace in the side signal ``S = (L - R) / 2``. In every frequency bin the part of the mid signal
    ``M = (L + R) / 2`` that is correlated with ``S`` over ``window_s`` (the least-squares gain
    ``<M, S> / <S, S>``) is subtracted: a source panned off centre, alone in its bin, is removed whatever its
    pan, while a centred source (and a mono recording, where ``S`` is silent) is left as it is.

    Parameters
    ----------
    samples : np.ndarray [shape=(n, channels), float32]
        Mono is returned as it is; of more than two channels the first two are used.
    sr : int, Hz
    window_s : float, seconds
        How long the correlation is measured over (the panning of a mix changes slowly).

    Returns
    -------
    np.ndarray [shape=(n,), float32]
    """
    import librosa
    from scipy.ndimage import uniform_filter1d

    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 1 or x.shape[1] == 1:
        return x.reshape(-1)
    mid, side = (x[:, 0] + x[:, 1]) / 2, (x[:, 0] - x[:, 1]) / 2
    n_fft = 1 << int(np.ceil(np.log2(0.064 * sr)))  # about 64 ms
    hop = n_fft // 4
    m = librosa.stft(mid, n_fft=n_fft, hop_length=hop)
    sd = librosa.stft(side, n_fft=n_fft, hop_length=hop)
    width = max(1, int(round(window_s * sr / hop)))
    cross = m * np.conj(sd)
    num = uniform_filter1d(cross.real, width, axis=1) + 1j * uniform_filter1d(cross.imag, width, axis=1)
    den = uniform_filter1d(np.abs(sd) ** 2, width, axis=1)
    floor = 1e-6 * max(float(np.mean(np.abs(m) ** 2)), 1e-20)  # a silent side predicts nothing
    centre = m - num / (den + floor) * sd
    return librosa.istft(centre, hop_length=hop, length=mid.shape[0]).astype(np.float32)


def sung_notes(f0_hz: np.ndarray, periodicity: np.ndarray, frame_rate_hz: float = MELODY_FRAME_HZ) -> np.ndarray:
    """Split a pitch track into sung notes: voiced spans, cut where the pitch moves to another note.

    Parameters
    ----------
    f0_hz : np.ndarray [shape=(n,), Hz]
    periodicity : np.ndarray [shape=(n,), 0..1]
    frame_rate_hz : float

    Returns
    -------
    np.ndarray [shape=(k, 2), seconds]
        ``(start, end)`` of each note, in order, not overlapping.
    """
    from scipy.ndimage import median_filter

    f0 = np.asarray(f0_hz, dtype=np.float64)
    smooth = max(1, int(round(SMOOTH_S * frame_rate_hz))) | 1
    voiced = (np.asarray(periodicity) > VOICING) & (f0 >= FMIN_HZ) & (f0 <= FMAX_HZ)
    voiced = median_filter(voiced.astype(np.uint8), smooth, mode="nearest").astype(bool)
    semis = median_filter(12 * np.log2(np.clip(f0, FMIN_HZ, FMAX_HZ) / 440.0), smooth, mode="nearest")
    hold = max(1, int(round(HOLD_S * frame_rate_hz)))
    min_len = max(1, int(round(MIN_NOTE_S * frame_rate_hz)))
    edges = np.flatnonzero(np.diff(np.concatenate([[0], voiced.astype(np.int8), [0]])))
    notes = []
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        start, ref = a, float(np.median(semis[a: a + hold]))
        for k in range(a + 1, b - hold + 1):
            steady = np.ptp(semis[k: k + hold]) < NOTE_STEP_SEMITONES / 2
            if abs(semis[k] - ref) >= NOTE_STEP_SEMITONES and steady and k - start >= min_len:
                notes.append((start, k))
                start, ref = k, float(semis[k])
        if b - start >= min_len:
            notes.append((start, b))
        elif notes and notes[-1][1] == start:  # a short tail joins the note before it
            notes[-1] = (notes[-1][0], b)
    return np.array(notes, dtype=np.float64).reshape(-1, 2) / frame_rate_hz


def notes_in_spans(notes_s: np.ndarray, spans_s: np.ndarray, onsets_s: np.ndarray = ()) -> np.ndarray:
    """The sung notes where a voice is heard: each note clipped to the voice's spans, held to the next one.

    The melody tracker follows the mix's main melody, which between the voice's phrases is an instrument,
    and within a phrase loses the voice on consonants and soft notes. So notes outside every span are
    dropped, a note inside a span lasts until the next note's onset or the span's end (the mouth stays
    open while the voice sings), and a span in which the tracker found no note is sung as one. A pitch
    track marks no new note where the voice sings the next syllable on the same pitch; ``onsets_s`` (sung
    onsets found otherwise) start a note there, unless a note already starts within ``MIN_NOTE_S``.

    Parameters
    ----------
    notes_s : np.ndarray [shape=(k, 2), seconds]
        From :func:`sung_notes`.
    spans_s : np.ndarray [shape=(m, 2), seconds]
        Where a voice is heard, in order (:func:`audio.phrases.vocal_phrases` of the singing detector's
        activity).
    onsets_s : np.ndarray [shape=(j,), seconds], optional
        More syllable onsets, in order (as the notes are).

    Returns
    -------
    np.ndarray [shape=(j, 2), seconds]
        In order, not overlapping.
    """
    out: list[tuple[float, float]] = []
    notes = np.asarray(notes_s, dtype=np.float64).reshape(-1, 2)
    onsets = np.asarray(onsets_s, dtype=np.float64)
    for a, b in np.asarray(spans_s, dtype=np.float64).reshape(-1, 2):
        # the notes ending after the span starts and starting before it ends; the onsets inside it
        near = notes[np.searchsorted(notes[:, 1], a, side="right"): np.searchsorted(notes[:, 0], b)]
        starts = [max(float(s), a) for s, e in near if min(float(e), b) - max(float(s), a) >= MIN_NOTE_S]
        for t in onsets[np.searchsorted(onsets, a): np.searchsorted(onsets, b - MIN_NOTE_S)]:
            if not any(abs(t - s) < MIN_NOTE_S for s in starts):
                starts.append(float(t))
        starts = sorted(starts) or [float(a)]
        out.extend(zip(starts, [*starts[1:], float(b)], strict=True))
    return np.array(out, dtype=np.float64).reshape(-1, 2)


def note_phones(notes_s: np.ndarray, loudness: np.ndarray, loudness_rate_hz: float) -> list[Phone]:
    """Mouth phones for sung notes: a vowel held through each note, silence between them.

    A note that follows the one before without a gap ends that one with a brief lip closure (``M``, at
    most ``LIP_CLOSE_S`` and a third of the note), so that every note onset opens the mouth. Loud notes
    sing an open ``AA``, quieter ones ``EH``.

    Parameters
    ----------
    notes_s : np.ndarray [shape=(k, 2), seconds]
    loudness : np.ndarray [shape=(m,), 0..1]
    loudness_rate_hz : float

    Returns
    -------
    list of Phone
        From 0 to the last note's end, SIL filling the gaps.
    """
    out: list[Phone] = []
    t_prev = 0.0
    for i, (a, b) in enumerate(notes_s):
        a, b = float(a), float(b)
        if a > t_prev + 1e-6:
            out.append(Phone(t_prev, a, "SIL"))
        lo, hi = int(a * loudness_rate_hz), max(int(b * loudness_rate_hz), int(a * loudness_rate_hz) + 1)
        seg = loudness[lo:hi]
        vowel = "AA" if seg.size and float(seg.mean()) > 0.6 else "EH"
        joined = i + 1 < len(notes_s) and float(notes_s[i + 1][0]) <= b + 1e-6
        close = min(LIP_CLOSE_S, (b - a) / 3) if joined else 0.0
        out.append(Phone(a, b - close, vowel))
        if close:
            out.append(Phone(b - close, b, "M"))
        t_prev = b
    return out
