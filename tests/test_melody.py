"""The full-mix mouth without lyrics: sung notes from the melody's pitch (audio/melody.py).

Material with exact truth: pitch contours built note by note, and a voice-like tone (harmonics, vibrato)
singing known notes over a band from tests/material/synth.py.
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from audio import melody
from audio.model import Phone

CLOSED = {"SIL", "M", "B", "P"}
# A melody of (start_s, end_s, midi): notes joined legato with a change of pitch, and gaps between phrases.
MELODY = [(0.50, 0.85, 62), (0.85, 1.20, 64), (1.20, 1.70, 67), (2.00, 2.35, 65), (2.35, 2.70, 64),
          (2.70, 3.30, 62), (3.80, 4.15, 60), (4.15, 4.50, 62), (4.50, 5.10, 64), (5.50, 5.85, 67),
          (5.85, 6.20, 69), (6.20, 6.90, 67)]


def _hz(midi: float) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def _openings(phones: list[Phone]) -> np.ndarray:
    """Times the mouth opens: a phone other than silence or a closed-lip consonant, after one that is."""
    return np.array([p.start for i, p in enumerate(phones)
                     if p.phone not in CLOSED and (i == 0 or phones[i - 1].phone in CLOSED)])


def _open_frames(phones: list[Phone], duration_s: float, rate: float = 100.0) -> np.ndarray:
    out = np.zeros(int(np.ceil(duration_s * rate)), dtype=bool)
    for p in phones:
        if p.phone != "SIL":
            out[int(p.start * rate): int(np.ceil(p.end * rate))] = True
    return out


def _near(a: np.ndarray, b: np.ndarray, tol: float) -> float:
    """Share of ``a`` with an element of ``b`` within ``tol``."""
    if not a.size or not b.size:
        return 0.0
    return float(np.mean(np.min(np.abs(a[:, None] - b[None, :]), axis=1) <= tol))


def test_sung_notes_split_at_note_changes_and_gaps_not_at_vibrato():
    fr = melody.MELODY_FRAME_HZ
    t = np.arange(int(8.0 * fr)) / fr
    f0 = np.full(t.size, 100.0)
    per = np.full(t.size, 0.05)
    for a, b, m in MELODY:
        sel = (t >= a) & (t < b)
        f0[sel] = _hz(m + 0.3 * np.sin(2 * np.pi * 5.5 * (t[sel] - a)))  # vibrato of +-0.3 semitone
        per[sel] = 0.8
    blip = (t >= 7.5) & (t < 7.54)  # 40 ms of stray voicing: no note
    f0[blip], per[blip] = 300.0, 0.8
    notes = melody.sung_notes(f0, per, fr)
    truth = np.array([(a, b) for a, b, _ in MELODY])
    assert notes.shape == truth.shape
    assert np.max(np.abs(notes - truth)) <= 1.5 / fr
    # Unvoiced: no note, however the tracker's f0 wanders there.
    per[:] = 0.1
    assert melody.sung_notes(f0, per, fr).shape == (0, 2)


def test_note_phones_open_on_every_onset_and_rest_in_gaps():
    notes = np.array([(a, b) for a, b, _ in MELODY])
    rate = 50.0
    loud = np.full(int(8.0 * rate), 0.8)
    loud[int(2.0 * rate): int(3.3 * rate)] = 0.3  # a quieter phrase sings a less open vowel
    phones = melody.note_phones(notes, loud, rate)
    np.testing.assert_allclose(_openings(phones), notes[:, 0], atol=1e-9)
    assert all(b.start == pytest.approx(a.end) for a, b in zip(phones, phones[1:], strict=False))
    for (_a0, b0), (a1, _b1) in zip(notes[:-1], notes[1:], strict=True):
        at_end = [p for p in phones if p.start < b0 <= p.end + 1e-9][-1]
        assert at_end.phone == ("M" if a1 == b0 else "AA" if b0 < 2.0 or b0 > 3.3 else "EH")
        if a1 > b0:
            gap = [p for p in phones if p.start == pytest.approx(b0)]
            assert gap[0].phone == "SIL" and gap[0].end == pytest.approx(a1)
    assert {p.phone for p in phones if 2.0 <= p.start < 3.2} <= {"EH", "M"}


def _tone(notes, vibrato_semitones: float, sr: int, duration_s: float = 8.0) -> np.ndarray:
    """A harmonic tone (10 partials) playing ``notes``: voice-like with vibrato, instrument-like without."""
    t = np.arange(int(duration_s * sr)) / sr
    v = np.zeros(t.size)
    for a, b, m in notes:
        sel = (t >= a) & (t < b)
        tt = t[sel] - a
        phase = 2 * np.pi * np.cumsum(_hz(m + vibrato_semitones * np.sin(2 * np.pi * 5.5 * tt))) / sr
        env = np.minimum(1.0, tt / 0.02) * np.minimum(1.0, (b - a - tt) / 0.03)
        v[sel] += env * sum(np.sin(h * phase) / h for h in range(1, 11))
    return v


def _band(n: int, sr: int) -> np.ndarray:
    from audio.features import resample_mono
    from tests.material.synth import SongSpec, synthesize

    band = synthesize(SongSpec(bpm=120.0, form=(("verse", 4),), seed=1))
    bb = resample_mono(band.y, band.sr, sr)[:n]
    return np.pad(bb, (0, n - bb.size))


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x**2)))


def _voice_over_band(path, sr: int = 22050) -> float:
    """Write the melody, sung by a voice-like tone, 3 dB over a synthesized band; return the duration."""
    v = _tone(MELODY, 0.3, sr)
    bb = _band(v.size, sr)
    bb *= _rms(v[v != 0]) / _rms(bb) * 10 ** (-3 / 20)
    sf.write(path, (v + bb).astype(np.float32), sr)
    return v.size / sr


def _stereo_mix(sr: int = 22050) -> tuple[np.ndarray, np.ndarray]:
    """The voice in the centre; the band mostly left and a louder instrument melody (no vibrato) mostly right.

    Returns the (n, 2) mix and the voice alone.
    """
    voice = _tone(MELODY, 0.3, sr)
    other = _tone([(0.3 + 0.5 * i, 0.7 + 0.5 * i, 55 + (5 * i) % 12) for i in range(15)], 0.0, sr)
    bb = _band(voice.size, sr)
    bb *= 1.5 * _rms(voice) / _rms(bb)
    other *= 3.0 * _rms(voice) / _rms(other)
    return np.stack([voice + bb + 0.1 * other, voice + 0.3 * bb + other], axis=1).astype(np.float32), voice


def _phrases(frame_rate_hz: float, n: int) -> np.ndarray:
    """1 inside the melody's phrases (notes less than 0.1 s apart), 0 elsewhere, on a frame grid."""
    out = np.zeros(n)
    start, end = MELODY[0][0], MELODY[0][1]
    for a, b, _ in [*MELODY[1:], (np.inf, np.inf, 0)]:
        if a - end >= 0.1:
            out[int(start * frame_rate_hz): int(end * frame_rate_hz)] = 1.0
            start = a
        end = b
    return out


def test_full_mix_mouth_opens_on_the_sung_notes(tmp_path, monkeypatch):
    """The melody path: the tone is no voice to the singing detector, so it is told where the phrases are."""
    if not melody.crepe_available():
        pytest.skip("torchcrepe is not installed (choreo-engine[melody])")
    from audio import singing
    from audio.transcribe import transcribe

    wav = tmp_path / "mix.wav"
    duration = _voice_over_band(wav)
    monkeypatch.setattr(singing, "voice_activity", lambda y, sr, n, rate: _phrases(rate, n))
    tr = transcribe(wav, mix=True)
    onsets = np.array([a for a, _, _ in MELODY])
    opens = _openings(list(tr.phones))
    print(f"\n{opens.size} openings for {onsets.size} notes: hits {_near(onsets, opens, 0.1):.2f}, "
          f"precision {_near(opens, onsets, 0.1):.2f}")
    assert tr.method.startswith("melody notes") and tr.confidence <= 0.2 and tr.warnings
    # Every note onset opens the mouth within 0.1 s (the loudness fallback found 8 of 12 here), and most
    # openings are on a note.
    assert _near(onsets, opens, 0.1) >= 0.9 and _near(opens, onsets, 0.1) >= 0.6
    sung = np.zeros(int(np.ceil(duration * 100)), dtype=bool)
    for a, b, _ in MELODY:
        sung[int(a * 100): int(b * 100)] = True
    assert np.mean(_open_frames(list(tr.phones), duration)[: sung.size] == sung) >= 0.8


def test_notes_are_kept_where_a_voice_is_heard_and_held_through_it():
    notes = np.array([(0.2, 0.5), (1.1, 1.3), (1.5, 1.9), (1.97, 2.1), (3.0, 3.4)])
    spans = np.array([(1.0, 2.0), (2.5, 2.9), (4.0, 4.5)])
    # the first note is outside every span; the second starts the first span and is held to the third,
    # which is held to the span's end; the fourth holds 0.03 s of its span (no note); the fifth is between
    # spans; the span at 2.5 and the one at 4.0 hold no note and are sung as one each
    np.testing.assert_allclose(melody.notes_in_spans(notes, spans),
                               [(1.1, 1.5), (1.5, 2.0), (2.5, 2.9), (4.0, 4.5)])
    assert melody.notes_in_spans(notes, np.zeros((0, 2))).shape == (0, 2)
    # more onsets: one on a held note starts a note, one beside a note's start or outside the spans does not
    np.testing.assert_allclose(melody.notes_in_spans(notes, spans, np.array([0.3, 1.12, 1.7, 4.2])),
                               [(1.1, 1.5), (1.5, 1.7), (1.7, 2.0), (2.5, 2.9), (4.2, 4.5)])


def test_voice_spans_and_a_detector_that_does_not_load(monkeypatch):
    from audio import singing
    from audio.phrases import vocal_phrases

    # the spans the full-mix tier takes (audio.transcribe._melody_notes): every run above the threshold
    act = np.array([0.0, 0.6, 0.9, 0.2, 0.51, 0.51, 0.5, 1.0])
    spans = vocal_phrases(act, 10.0, min_pause_s=0.0, min_phrase_s=0.0, threshold=singing.THRESHOLD)
    np.testing.assert_allclose(spans, [(0.1, 0.3), (0.4, 0.6), (0.7, 0.8)])
    monkeypatch.setattr(singing, "_model", lambda: None)
    assert singing.voice_activity(np.zeros(16000, np.float32), 16000, 50, 50.0) is None


def test_full_mix_without_the_pitch_tracker_falls_back_and_says_so(tmp_path, monkeypatch):
    from audio.transcribe import transcribe

    wav = tmp_path / "mix.wav"
    _voice_over_band(wav)
    monkeypatch.setattr(melody, "_torchcrepe", lambda: None)
    tr = transcribe(wav, mix=True)
    assert tr.tier == "loudness-fallback" and tr.method.startswith("onsets where ")
    assert any("choreo-engine[melody]" in w for w in tr.warnings)


def test_pitch_tracker_loads_when_torchaudio_does_not(monkeypatch):
    # torchcrepe imports torchaudio only to read files; a torchaudio that cannot be imported (here: blocked,
    # as a CUDA build beside a CPU torch fails) must not cost the pitch tracker.
    import importlib.util
    import sys

    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("torchcrepe") is None:
        pytest.skip("torchcrepe is not installed (choreo-engine[melody])")
    for name in [m for m in sys.modules if m == "torchcrepe" or m.startswith(("torchcrepe.", "torchaudio"))]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "torchaudio", None)  # importing it now raises ImportError
    crepe = melody._torchcrepe()
    assert crepe is not None and hasattr(crepe, "predict")
    t = np.arange(16000) / 16000
    f0, per = melody.melody_pitch((0.5 * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32), 16000)
    assert np.median(np.abs(12 * np.log2(f0[5:-5] / 220.0))) < 0.2 and np.median(per[5:-5]) > 0.5


def _snr_db(y: np.ndarray, voice: np.ndarray) -> float:
    """Voice-to-rest ratio of ``y`` (the voice's share found by least squares)."""
    g = float(np.dot(y, voice) / np.dot(voice, voice))
    return float(10 * np.log10(np.sum((g * voice) ** 2) / np.sum((y - g * voice) ** 2)))


def test_centre_channel_keeps_the_centred_voice_and_drops_what_is_panned():
    sr = 22050
    mix, voice = _stereo_mix(sr)
    centre = melody.centre_channel(mix, sr)
    mid = mix.mean(axis=1)
    print(f"\nvoice to rest: downmix {_snr_db(mid, voice):.1f} dB, centre {_snr_db(centre, voice):.1f} dB")
    assert centre.shape == mid.shape and _snr_db(centre, voice) >= _snr_db(mid, voice) + 8.0
    # Mono, and the same signal in both channels, pass unchanged.
    np.testing.assert_allclose(melody.centre_channel(np.stack([mid, mid], axis=1), sr), mid, atol=1e-5)
    np.testing.assert_array_equal(melody.centre_channel(mid[:, None], sr), mid)


def test_stereo_mix_mouth_follows_the_centred_voice_not_a_louder_panned_instrument(tmp_path, monkeypatch):
    if not melody.crepe_available():
        pytest.skip("torchcrepe is not installed (choreo-engine[melody])")
    from audio import singing
    from audio.transcribe import transcribe

    monkeypatch.setattr(singing, "voice_activity", lambda y, sr, n, rate: _phrases(rate, n))  # as above

    mix, _ = _stereo_mix()
    mix *= 0.9 / np.abs(mix).max()
    sf.write(tmp_path / "stereo.wav", mix, 22050)
    sf.write(tmp_path / "downmix.wav", mix.mean(axis=1), 22050)
    onsets = np.array([a for a, _, _ in MELODY])
    stereo, mono = (transcribe(tmp_path / f"{name}.wav", mix=True) for name in ("stereo", "downmix"))
    hits = [_near(onsets, _openings(list(tr.phones)), 0.1) for tr in (stereo, mono)]
    # the pitch tracker's own notes, before the onset curve adds syllables (which it finds in both)
    tracked = [_near(onsets, melody.sung_notes(*melody.melody_pitch(x, 22050))[:, 0], 0.1)
               for x in (mix, mix.mean(axis=1))]
    print(f"\nnote onsets opened within 0.1 s: stereo {hits[0]:.2f}, its downmix {hits[1]:.2f}; "
          f"tracked notes: {tracked[0]:.2f} and {tracked[1]:.2f}")
    assert "centre of the stereo mix" in stereo.method and hits[0] >= 0.9  # measured 1.00 (downmix 0.92)
    # Measured: 0.92 from the stereo mix's centre, 0.50 from the downmix, where the louder instrument leads.
    assert tracked[0] >= 0.75 and tracked[0] >= tracked[1] + 0.2


def test_melody_pitch_is_repeatable_and_leaves_the_callers_random_state(tmp_path):
    # torchcrepe dithers its frequencies with numpy's global generator: without the seeding the same mix
    # gave 81 or 82 notes on a real song.
    if not melody.crepe_available():
        pytest.skip("torchcrepe is not installed (choreo-engine[melody])")
    y = _tone(MELODY, 0.3, 16000, duration_s=3.5).astype(np.float32)
    np.random.seed(123)  # noqa: NPY002 (the caller's state, checked below)
    before = np.random.get_state()[1].copy()  # noqa: NPY002
    a, b = melody.melody_pitch(y, 16000), melody.melody_pitch(y, 16000)
    np.testing.assert_array_equal(np.random.get_state()[1], before)  # noqa: NPY002
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_benchmark_on_two_dev_mixes(tmp_path):
    # benchmarks/lipsync_real.py on two annotated pop mixes: one whose notes file gives durations, one whose
    # "duration" column holds the MIDI pitch (frame agreement not scored there).
    import json
    import math

    from tests.conftest import dev_set, load_benchmark

    dev_set("vocal_mix")
    if not melody.crepe_available():
        pytest.skip("torchcrepe is not installed (choreo-engine[melody])")
    out = tmp_path / "rows.json"
    code = load_benchmark("lipsync_real").main(["--only", "TRALLSG128F425A685", "--only", "TRWTFEA128F426E1DC",
                                                "--aligners", "auto", "--json", str(out)])
    rows = {r["clip"]: r for r in json.loads(out.read_text())["mixes"]}
    assert code == 0 and set(rows) == {"lakh_TRALLSG128F425A685", "lakh_TRWTFEA128F426E1DC", "mean"}
    for clip in ("lakh_TRALLSG128F425A685", "lakh_TRWTFEA128F426E1DC"):
        r = rows[clip]
        assert r["method"].startswith("melody notes")
        # Measured 0.80 / 0.55 and 0.88 / 0.58 (hits / chance; the loudness fallback: 0.72 / 0.42, 0.47 / 0.28).
        assert r["onsets_hit_015"] >= 0.7 and r["onsets_hit_015"] >= r["chance_hit"] + 0.15
    assert not math.isnan(rows["lakh_TRALLSG128F425A685"]["mouth_agree"])
    assert math.isnan(rows["lakh_TRWTFEA128F426E1DC"]["mouth_agree"])


def test_voice_pitch_is_the_melody_where_a_voice_is_heard_and_unvoiced_elsewhere():
    """The lyrics aligner's pitch in a full mix: CREPE's track of the voice-like tone, cut where no voice is heard."""
    if not melody.crepe_available():
        pytest.skip("torchcrepe is not installed (choreo-engine[melody])")
    sr = 16000
    y = _tone([(0.0, 4.0, 57)], 0.3, sr, duration_s=4.0).astype(np.float32)  # A3, 220 Hz
    f0, voicing = melody.voice_pitch(y, sr)
    t = np.arange(f0.size) / melody.MELODY_FRAME_HZ
    inner = (t > 0.2) & (t < 3.8)
    assert np.mean(np.isfinite(f0[inner])) > 0.95 and np.all(voicing[inner & np.isfinite(f0)] > melody.VOICING)
    assert abs(np.nanmedian(12 * np.log2(f0[inner] / 220.0))) < 0.5
    heard = t < 2.0  # the detector hears a voice in the first half only
    f0_cut, voicing_cut = melody.voice_pitch(y, sr, heard[:-3])  # a mask a few frames short is padded as unheard
    assert np.all(np.isnan(f0_cut[~heard])) and np.all(voicing_cut[~heard] == 0.0)
    np.testing.assert_array_equal(voicing_cut[heard[: f0.size] & (t < 1.9)], voicing[heard & (t < 1.9)])
