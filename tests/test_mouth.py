"""Mouth shapes: the mapping data, user overrides and the timing rules of ``mouth_cues``."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

from audio.errors import ChoreoError
from audio.model import Phone, Word
from choreography.model import SHAPES, MouthTrack, frame_to_seconds, seconds_to_frame
from choreography.mouth import (
    ARPABET,
    PHONES,
    VOWELS,
    build_mouth_track,
    describe_shapes,
    load_mapping,
    mouth_cues,
    normalise_phone,
    preston_blair,
)
from engine import artifacts

FPS_24 = Fraction(24)
FPS_NTSC = Fraction(30000, 1001)
PRESTON_BLAIR = {"A": "MBP", "B": "etc", "C": "E", "D": "AI", "E": "O", "F": "U", "G": "FV", "H": "L", "X": "rest"}
BASE_OPEN = {"A": 0.0, "B": 0.2, "C": 0.5, "D": 0.9, "E": 0.5, "F": 0.3, "G": 0.15, "H": 0.4, "X": 0.0}


def check_cues(cues, fps, duration_s, *, min_hold=None, twos=False):
    """The invariants every cue list has: contiguous from 0, on the frame grid, nothing empty."""
    assert cues, "no cues"
    assert cues[0].start_frame == 0
    assert cues[-1].end_frame == seconds_to_frame(duration_s, fps)
    for a, b in zip(cues, cues[1:], strict=False):
        assert a.end_frame == b.start_frame
        assert a.shape != b.shape, "neighbouring cues with the same shape should have merged"
    for i, c in enumerate(cues):
        assert c.end_frame > c.start_frame
        assert c.shape in SHAPES
        assert 0.0 <= c.open <= 1.0
        for f in (c.start_frame, c.end_frame):
            assert isinstance(f, int)
            assert seconds_to_frame(frame_to_seconds(f, fps), fps) == f
        if min_hold is not None and i < len(cues) - 1:
            assert c.end_frame - c.start_frame >= min_hold, (i, c)
        if twos:
            assert c.start_frame % 2 == 0
            if i < len(cues) - 1:
                assert c.end_frame % 2 == 0


def shapes_of(cues):
    return [c.shape for c in cues]


def random_phones(seed, duration_s):
    rng = np.random.default_rng(seed)
    phones, t = [], float(rng.uniform(0.0, 0.5))
    while t < duration_s:
        if rng.random() < 0.1:
            t += float(rng.uniform(0.0, 0.8))  # a gap or a pause
            continue
        name = str(rng.choice(PHONES))
        dur = float(rng.uniform(0.01, 0.6 if name in VOWELS else 0.15))
        phones.append(Phone(t, t + dur, name))
        t += dur
    return phones


# --- the mapping -------------------------------------------------------------------------------------


def test_default_mapping_covers_every_arpabet_phone():
    m = load_mapping()
    assert len(ARPABET) == 39
    for phone in PHONES:
        shapes = m.shapes_for(phone)
        assert 1 <= len(shapes) <= 2
        assert all(s in SHAPES for s in shapes)
    for diphthong in ("AW", "AY", "EY", "OW", "OY"):
        assert len(m.shapes_for(diphthong)) == 2
    assert m.shapes_for("SIL") == ("X",)
    for phone in ("P", "B", "M"):
        assert m.shapes_for(phone) == ("A",)
    assert m.shapes_for("F") == m.shapes_for("V") == ("G",)
    assert m.shapes_for("L") == ("H",)
    assert m.shapes_for("AA")[0] == "D"
    for letter in SHAPES:
        assert m.shapes[letter].preston_blair == PRESTON_BLAIR[letter]
        assert m.base_open(letter) == pytest.approx(BASE_OPEN[letter])
        assert m.shapes[letter].description


def test_phone_spellings_and_names():
    m = load_mapping()
    assert m.shapes_for("ay1") == ("D", "B")
    for filler in ("+NSN+", "<sil>", "sp", "SIL"):
        assert normalise_phone(filler) == "SIL"
    assert preston_blair("A") == "MBP"
    assert m.preston_blair_for("W") == "WQ"
    assert m.preston_blair_for("UW") == "U"
    table = describe_shapes()
    assert [row[0] for row in table] == list(SHAPES)
    assert table[0][1] == "MBP" and "P, B, M" in table[0][2]
    with pytest.raises(ChoreoError, match="not one of"):
        preston_blair("Q")


def test_user_override_changes_one_phone(tmp_path):
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"phones": {"R": "E"}, "shapes": {"D": {"open": 0.8}}}))
    m = load_mapping(path)
    default = load_mapping()
    assert m.shapes_for("R") == ("E",)
    assert default.shapes_for("R") == ("B",)
    assert m.base_open("D") == pytest.approx(0.8)
    assert m.shapes["D"].preston_blair == "AI"
    changed = [p for p in PHONES if m.shapes_for(p) != default.shapes_for(p)]
    assert changed == ["R"]
    assert m.source == str(path)
    cues = mouth_cues([Phone(0.5, 1.0, "R")], fps=FPS_24, duration_s=1.5, mapping=m)
    assert "E" in shapes_of(cues)


@pytest.mark.parametrize(("doc", "entry"), [
    ({"phones": {"QQ": "A"}}, "phones.QQ"),
    ({"phones": {"AA": "Z"}}, "phones.AA"),
    ({"phones": {"AY": ["D", "B", "C"]}}, "phones.AY"),
    ({"shapes": {"Q": {"open": 0.5}}}, "shapes.Q"),
    ({"shapes": {"D": {"open": 1.5}}}, "shapes.D.open"),
    ({"shapes": {"D": {"preston_blair": "A I"}}}, "shapes.D.preston_blair"),
    ({"phone": {"AA": "D"}}, "phone"),
    ({"preston_blair_phones": {"XX": "WQ"}}, "preston_blair_phones.XX"),
])
def test_bad_override_names_file_and_entry(tmp_path, doc, entry):
    path = tmp_path / "bad_mapping.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ChoreoError) as info:
        load_mapping(path)
    msg = str(info.value)
    assert "bad_mapping.json" in msg
    assert f"entry {entry}:" in msg


def test_unreadable_override_names_the_file(tmp_path):
    with pytest.raises(ChoreoError, match="not found"):
        load_mapping(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{ phones: ")
    with pytest.raises(ChoreoError, match="broken.json.*not valid JSON"):
        load_mapping(broken)


# --- timing rules ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fps", [FPS_24, FPS_NTSC, Fraction(25)])
@pytest.mark.parametrize("twos", [False, True])
@pytest.mark.parametrize("seed", range(6))
def test_cues_are_contiguous_on_the_grid_and_hold(fps, twos, seed):
    duration_s = 12.0 + seed
    phones = random_phones(seed, duration_s)
    cues = mouth_cues(phones, fps=fps, duration_s=duration_s, twos=twos)
    check_cues(cues, fps, duration_s, min_hold=2, twos=twos)
    assert cues == mouth_cues(phones, fps=fps, duration_s=duration_s, twos=twos)  # deterministic


def test_min_hold_three_frames():
    phones = random_phones(42, 10.0)
    cues = mouth_cues(phones, fps=FPS_NTSC, duration_s=10.0, min_hold_frames=3)
    check_cues(cues, FPS_NTSC, 10.0, min_hold=3)


def test_twos_even_boundaries_even_with_odd_song_end():
    duration_s = 25 / 24  # frame 25: the last cue may end on an odd frame, nothing else may
    phones = [Phone(0.1, 0.2, "S"), Phone(0.2, 0.5, "AA"), Phone(0.5, 0.55, "M"), Phone(0.55, 0.9, "IY")]
    cues = mouth_cues(phones, fps=FPS_24, duration_s=duration_s, twos=True)
    check_cues(cues, FPS_24, duration_s, min_hold=2, twos=True)
    assert cues[-1].end_frame == 25


@pytest.mark.parametrize("closure", ["P", "B", "M"])
@pytest.mark.parametrize("fps", [FPS_24, FPS_NTSC])
@pytest.mark.parametrize("twos", [False, True])
def test_lips_close_on_p_b_m(closure, fps, twos):
    # A 20 ms closure between two open vowels is shorter than a frame; the lips must still close.
    phones = [Phone(0.3, 0.7, "AA"), Phone(0.7, 0.72, closure), Phone(0.72, 1.1, "AA")]
    cues = mouth_cues(phones, fps=fps, duration_s=1.5, twos=twos)
    check_cues(cues, fps, 1.5, min_hold=2, twos=twos)
    assert shapes_of(cues) == ["X", "D", "A", "D", "X"]
    closed = cues[2]
    assert closed.open == 0.0
    assert closed.start_frame <= seconds_to_frame(0.72, fps) + 1
    assert closed.end_frame >= seconds_to_frame(0.7, fps) - 1


def test_silence_is_rest_and_short_pauses_hold():
    phones = [Phone(0.2, 0.5, "AA"), Phone(0.5, 1.2, "SIL"), Phone(1.2, 1.5, "EH"),
              Phone(1.5, 1.6, "SIL"), Phone(1.6, 1.9, "EH")]
    cues = mouth_cues(phones, fps=FPS_24, duration_s=2.5)
    assert shapes_of(cues) == ["X", "D", "X", "C", "X"]
    rest = cues[2]
    # The rest covers the long silence (minus the next vowel's anticipation); the short one is held.
    assert rest.start_frame == seconds_to_frame(0.5, FPS_24)
    assert seconds_to_frame(1.2 - 0.04, FPS_24) == rest.end_frame
    assert cues[3].end_frame == seconds_to_frame(1.9, FPS_24)
    gaps = mouth_cues([Phone(0.2, 0.5, "AA"), Phone(0.9, 1.2, "EH")], fps=FPS_24, duration_s=1.5)
    assert shapes_of(gaps) == ["X", "D", "X", "C", "X"]


def test_no_phones_is_one_rest_and_zero_duration_is_empty():
    cues = mouth_cues([], fps=FPS_NTSC, duration_s=2.0)
    assert [(c.start_frame, c.end_frame, c.shape) for c in cues] == [(0, 60, "X")]
    assert mouth_cues([Phone(0.0, 0.1, "AA")], fps=FPS_24, duration_s=0.0) == []


def test_sustained_vowel_is_one_cue_with_open_from_loudness():
    phones = [Phone(0.5, 1.5, "AA")]
    rate_hz = 50.0
    n = int(2.0 * rate_hz)
    cues = mouth_cues(phones, fps=FPS_24, duration_s=2.0)
    assert shapes_of(cues) == ["X", "D", "X"]
    assert cues[1].open == pytest.approx(0.9)
    opens = []
    for level in (0.4, 0.8):
        loud = mouth_cues(phones, fps=FPS_24, duration_s=2.0, loudness=(rate_hz, np.full(n, level)))
        assert shapes_of(loud) == ["X", "D", "X"]
        assert [c.open for c in loud][::2] == [0.0, 0.0]
        opens.append(loud[1].open)
    assert opens == pytest.approx([0.36, 0.72])
    # A swell: louder in the second half opens wider than the mean of the quiet first half.
    ramp = np.clip(np.linspace(-0.5, 1.5, n), 0, 1)
    swell = mouth_cues(phones, fps=FPS_24, duration_s=2.0, loudness=(rate_hz, ramp))
    d = swell[1]
    lo = int(frame_to_seconds(d.start_frame, FPS_24) * rate_hz)
    hi = int(np.ceil(frame_to_seconds(d.end_frame, FPS_24) * rate_hz))
    assert d.open == pytest.approx(0.9 * ramp[lo:hi].mean(), abs=1e-3)
    # An empty curve (nothing measured) leaves the base openness.
    assert mouth_cues(phones, fps=FPS_24, duration_s=2.0, loudness=(rate_hz, ()))[1].open == pytest.approx(0.9)


def test_sustained_vowel_does_not_chatter_but_still_closes():
    chatter = [Phone(0.5, 1.0, "AA"), Phone(1.0, 1.08, "HH"), Phone(1.08, 1.6, "AA")]
    assert shapes_of(mouth_cues(chatter, fps=FPS_24, duration_s=2.0)) == ["X", "D", "X"]
    closing = [Phone(0.5, 1.0, "AA"), Phone(1.0, 1.08, "M"), Phone(1.08, 1.6, "AA")]
    assert shapes_of(mouth_cues(closing, fps=FPS_24, duration_s=2.0)) == ["X", "D", "A", "D", "X"]


def test_sustained_diphthong_turns_late():
    phones = [Phone(0.5, 2.0, "AY")]
    cues = mouth_cues(phones, fps=FPS_24, duration_s=2.5)
    assert shapes_of(cues) == ["X", "D", "B", "X"]
    assert cues[2].start_frame == seconds_to_frame(2.0 - 0.12, FPS_24)
    short = mouth_cues([Phone(0.5, 0.8, "AY")], fps=FPS_24, duration_s=1.2)
    assert shapes_of(short) == ["X", "D", "B", "X"]
    assert short[2].start_frame == seconds_to_frame(0.8 - 0.4 * 0.3, FPS_24)


@pytest.mark.parametrize("before", ["S", "SIL", None])
def test_anticipation_opens_vowels_a_frame_early(before):
    phones = [Phone(0.2, 0.5, before)] if before else []
    phones.append(Phone(0.5, 0.9, "AA"))
    onset = {}
    for a in (0.0, 0.04):
        cues = mouth_cues(phones, fps=FPS_24, duration_s=1.5, anticipation_s=a)
        onset[a] = next(c.start_frame for c in cues if c.shape == "D")
    assert onset[0.0] == 12
    assert onset[0.0] - onset[0.04] == 1


def test_no_anticipation_through_a_lip_closure():
    phones = [Phone(0.3, 0.42, "M"), Phone(0.42, 0.9, "AA")]
    cues = mouth_cues(phones, fps=FPS_24, duration_s=1.5)
    d = next(c for c in cues if c.shape == "D")
    assert d.start_frame == seconds_to_frame(0.42, FPS_24)


def test_unsorted_overlapping_and_late_phones_are_tidied():
    phones = [Phone(0.6, 1.0, "EH"), Phone(0.2, 0.62, "AA"), Phone(1.4, 3.0, "OW")]
    cues = mouth_cues(phones, fps=FPS_24, duration_s=2.0)
    check_cues(cues, FPS_24, 2.0, min_hold=2)


def test_bad_inputs_say_what_is_wrong():
    with pytest.raises(ChoreoError, match="QQ"):
        mouth_cues([Phone(0.1, 0.2, "QQ")], fps=FPS_24, duration_s=1.0)
    with pytest.raises(ChoreoError, match="milliseconds"):
        mouth_cues([Phone(1000.0, 1200.0, "AA")], fps=FPS_24, duration_s=3.0)
    with pytest.raises(ChoreoError, match="min_hold_frames"):
        mouth_cues([], fps=FPS_24, duration_s=1.0, min_hold_frames=0)
    with pytest.raises(ChoreoError, match="loudness"):
        mouth_cues([], fps=FPS_24, duration_s=1.0, loudness=(0.0, np.zeros(3)))


# --- the track ---------------------------------------------------------------------------------------


def test_build_mouth_track_round_trips_through_the_artefact(tmp_path):
    phones = [Phone(0.21, 0.3, "HH"), Phone(0.3, 0.4, "AH"), Phone(0.4, 0.5, "L"), Phone(0.5, 0.7, "OW")]
    words = [Word(0.21, 0.7, "hello", 0.9)]
    track = build_mouth_track(phones, words, character="ada", fps="30000/1001", duration_s=1.0,
                              tier="lyrics-aligned", confidence=0.9, provenance={"stage": "lipsync"},
                              warnings=("test",))
    assert isinstance(track, MouthTrack)
    assert track.fps == FPS_NTSC
    check_cues(list(track.cues), FPS_NTSC, 1.0, min_hold=2)
    assert track.provenance["stage"] == "lipsync"
    assert track.provenance["mouth_cues"]["min_hold_frames"] == 2
    path = artifacts.save(track, tmp_path / "ada.mouth.json")
    back = artifacts.load(path)
    assert back.cues == track.cues
    assert back.words == track.words
    assert [p.phone for p in back.phonemes] == ["HH", "AH", "L", "OW"]
    with pytest.raises(ChoreoError, match="tier"):
        build_mouth_track(phones, words, character="ada", fps=24, duration_s=1.0, tier="guess", confidence=1.0)
