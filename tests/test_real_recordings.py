"""Smoke tests on real recordings (../shared/data/real; skipped when absent).

There is no annotation: the tests check that every stage copes with real audio and that the result is
plausible, and print what was found (run with -s to see it).
"""

from __future__ import annotations

import pytest

from audio.analysis import analyze
from audio.errors import ChoreoError
from audio.params import AnalysisParams

MUSIC = ["vibe_ace.ogg", "brahms_hungarian_dance_5.ogg", "sugar_plum_fairy.ogg", "lets_go_fishin.ogg",
         "solo_trumpet_90bpm.ogg"]
SPEECH = ["speech_libri_198-209-0000.ogg", "speech_libri_3436-172162-0000.ogg", "speech_libri_5703-47212-0000.ogg"]


@pytest.mark.parametrize("backend", ["librosa", "madmom"])
@pytest.mark.parametrize("name", MUSIC)
def test_music_gives_a_plausible_map(real_data, name, backend):
    a = analyze(real_data / name, AnalysisParams(backend=backend))
    secs = " ".join(f"{s.label}:{s.kind}@{s.start:.0f}" for s in a.sections)
    print(f"\n{name} [{backend}]: {a.tempo.bpm:.1f} BPM, {a.meter.time_signature} "
          f"(conf {a.meter.confidence:.2f}), {len(a.beats)} beats, {a.n_bars} bars, sections {secs}; "
          f"warnings: {list(a.warnings)}")
    dur = a.source.duration_s
    assert 60 <= a.tempo.bpm <= 200
    assert len(a.beats) >= dur * a.tempo.bpm / 60 * 0.5
    assert a.sections[0].start == 0 and a.sections[-1].end == pytest.approx(dur, abs=1e-3)
    if dur > 40:
        assert len(a.sections) >= 2


@pytest.mark.parametrize("name", SPEECH)
def test_speech_does_not_crash(real_data, name):
    try:
        a = analyze(real_data / name, AnalysisParams(backend="librosa"))
    except ChoreoError as exc:  # "no steady beat" is a fair answer for speech
        print(f"\n{name}: {exc}")
        return
    print(f"\n{name}: {a.tempo.bpm:.1f} BPM, {len(a.beats)} beats, {len(a.sections)} sections, "
          f"tempo confidence {a.tempo.confidence:.2f}; warnings: {list(a.warnings)}")
    assert a.source.sample_rate == 16000 and a.source.channels == 1
    assert any("no clear steady beat" in w for w in a.warnings), "speech must not pass for a steady beat"


@pytest.mark.parametrize("name", SPEECH[:2])
def test_lipsync_on_real_speech_without_lyrics(real_data, name):
    from fractions import Fraction

    from engine.lipsync import make_track

    track = make_track(real_data / name, character="reader", fps=Fraction(24))
    shapes = {c.shape for c in track.cues}
    print(f"\n{name}: tier {track.tier}, {len(track.phonemes)} phones, {len(track.cues)} cues, shapes {sorted(shapes)}")
    assert track.tier == "phone-recognition" and len(shapes) >= 5 and track.confidence <= 0.5


def test_lipsync_fallback_on_a_real_full_mix(real_data):
    from fractions import Fraction

    from engine.lipsync import make_track

    track = make_track(real_data / "lets_go_fishin.ogg", character="singer", fps=Fraction(24), mix=True)
    moving = sum(c.end_frame - c.start_frame for c in track.cues if c.shape != "X")
    total = track.cues[-1].end_frame
    print(f"\nlets_go_fishin (full mix): {len(track.cues)} cues, mouth moving {moving / total:.0%} of frames")
    assert track.tier == "loudness-fallback" and track.confidence <= 0.2 and 0.3 < moving / total < 0.95  # 0.59


@pytest.mark.parametrize("name", ["vibe_ace.ogg", "brahms_hungarian_dance_5.ogg", "solo_trumpet_90bpm.ogg"])
def test_a_real_instrumental_as_a_full_mix_keeps_the_mouth_closed(real_data, name):
    # The singing detector hears no voice in them (the melody tracker alone moved the mouth in 36-87 % of
    # their frames); Let's Go Fishin', sung, moves it (above).
    from audio.transcribe import transcribe

    tr = transcribe(real_data / name, mix=True)
    moving = sum(p.end - p.start for p in tr.phones if p.phone != "SIL") / tr.duration_s
    print(f"\n{name} (full mix): mouth moving {moving:.0%} of the time; {tr.warnings[0]}")
    assert moving <= 0.02  # measured 0, 1 and 0 % ("no voice found" for two of them)
