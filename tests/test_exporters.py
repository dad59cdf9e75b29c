"""Exporters: every format written, read back with the format's own rules, and compared with the track."""

from __future__ import annotations

import json
import warnings
import xml.etree.ElementTree as ET
from fractions import Fraction

import pytest

from audio.errors import ChoreoError
from audio.model import Phone, Word
from choreography.model import MouthCue, MouthTrack, seconds_to_frame
from choreography.mouth import build_mouth_track
from engine import artifacts
from engine.exporters import EXPORTERS, export, get_exporter
from engine.exporters.moho import to_dat
from engine.exporters.papagayo import to_pgo
from engine.exporters.rhubarb import format_time, to_json, to_tsv, to_xml

FPS_24 = Fraction(24)
FPS_NTSC = Fraction(30000, 1001)
PRESTON_BLAIR_SET = {"AI", "E", "etc", "FV", "L", "MBP", "O", "rest", "U", "WQ"}
PB = {"A": "MBP", "B": "etc", "C": "E", "D": "AI", "E": "O", "F": "U", "G": "FV", "H": "L", "X": "rest"}

PHONES = [Phone(0.21, 0.3, "HH"), Phone(0.3, 0.42, "AH"), Phone(0.42, 0.5, "L"), Phone(0.5, 0.75, "OW"),
          Phone(0.75, 0.9, "SIL"), Phone(0.9, 0.98, "W"), Phone(0.98, 1.3, "IY"),
          Phone(2.0, 2.06, "P"), Phone(2.06, 3.2, "AY"), Phone(3.3, 3.4, "F"), Phone(3.4, 3.7, "ER")]
WORDS = [Word(0.21, 0.75, "hello"), Word(0.9, 1.3, "we"), Word(2.0, 3.2, "pie"), Word(3.3, 3.7, "fur")]


def make_track(fps=FPS_24, words=WORDS, phones=PHONES, duration_s=4.0):
    return build_mouth_track(phones, words, character="ada", fps=fps, duration_s=duration_s,
                             tier="lyrics-aligned", confidence=0.9, provenance={"sound_file": "song.wav"})


@pytest.fixture(params=[FPS_24, FPS_NTSC, Fraction(60)], ids=["24", "30000-1001", "60"])
def track(request):
    return make_track(request.param)


def cue_triples(track):
    return [(c.start_frame, c.end_frame, c.shape) for c in track.cues]


def test_registry_lists_every_format():
    assert set(EXPORTERS) == {"json", "tsv", "xml", "rhubarb-json", "dat", "pgo", "lrc", "ass", "srt", "vtt"}
    for name, exp in EXPORTERS.items():
        assert exp.name == name
        assert exp.suffix.startswith(".")
        assert callable(exp.write)
    with pytest.raises(ChoreoError, match="known: ass, dat"):
        get_exporter("swf")


def test_times_round_up_to_the_millisecond_and_read_back_exactly():
    assert format_time(0, FPS_24) == "0.000"
    assert format_time(5, FPS_24) == "0.209"  # 0.208333... s
    assert format_time(24, FPS_24) == "1.000"
    for fps in (FPS_24, FPS_NTSC, Fraction(60), Fraction(120)):
        for frame in range(0, 20000, 7):
            t = float(format_time(frame, fps))
            assert seconds_to_frame(t, fps) == frame
            assert int(t * fps) == frame  # importers that truncate land on the same frame


def test_tsv_round_trip(track, tmp_path):
    path = EXPORTERS["tsv"].write(track, tmp_path / "ada.tsv")
    lines = path.read_text().splitlines()
    rows = [line.split("\t") for line in lines]
    assert all(len(r) == 2 for r in rows)
    assert all(len(t.split(".")[1]) == 3 for t, _ in rows)
    frames = [seconds_to_frame(float(t), track.fps) for t, _ in rows]
    shapes = [s for _, s in rows]
    assert frames[:-1] == [c.start_frame for c in track.cues]
    assert shapes[:-1] == [c.shape for c in track.cues]
    assert (frames[-1], shapes[-1]) == (track.cues[-1].end_frame, "X")


def test_xml_round_trip(track, tmp_path):
    path = EXPORTERS["xml"].write(track, tmp_path / "ada.xml")
    text = path.read_text()
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>\n<rhubarbResult>')
    root = ET.parse(path).getroot()
    assert root.tag == "rhubarbResult"
    assert [child.tag for child in root] == ["metadata", "mouthCues"]
    assert root.findtext("metadata/soundFile") == "song.wav"
    assert seconds_to_frame(float(root.findtext("metadata/duration")), track.fps) == track.cues[-1].end_frame
    cues = [(seconds_to_frame(float(e.get("start")), track.fps), seconds_to_frame(float(e.get("end")), track.fps),
             e.text) for e in root.iter("mouthCue")]
    assert cues == cue_triples(track)


def test_rhubarb_json_round_trip(track, tmp_path):
    path = EXPORTERS["rhubarb-json"].write(track, tmp_path / "ada.rhubarb.json", sound_file="/abs/song.wav")
    doc = json.loads(path.read_text())
    assert list(doc) == ["metadata", "mouthCues"]
    assert list(doc["metadata"]) == ["soundFile", "duration"]
    assert doc["metadata"]["soundFile"] == "/abs/song.wav"
    assert seconds_to_frame(doc["metadata"]["duration"], track.fps) == track.cues[-1].end_frame
    cues = [(seconds_to_frame(c["start"], track.fps), seconds_to_frame(c["end"], track.fps), c["value"])
            for c in doc["mouthCues"]]
    assert cues == cue_triples(track)
    assert all(list(c) == ["start", "end", "value"] for c in doc["mouthCues"])


def test_choreo_json_is_the_artefact(track, tmp_path):
    path = EXPORTERS["json"].write(track, tmp_path / "ada.mouth.json")
    back = artifacts.load(path)
    assert isinstance(back, MouthTrack)
    assert back.cues == track.cues and back.fps == track.fps


@pytest.mark.parametrize("names", ["preston", "rhubarb"])
def test_moho_switch_data(track, tmp_path, names):
    path = EXPORTERS["dat"].write(track, tmp_path / "ada.dat", names=names)
    lines = path.read_text().splitlines()
    assert lines[0] == "MohoSwitch1"
    keys = [(int(f), n) for f, n in (line.split(" ") for line in lines[1:])]
    frames = [f for f, _ in keys]
    assert frames[0] == 1  # Moho counts frames from 1
    assert frames == sorted(set(frames))
    expected = [(c.start_frame + 1, PB[c.shape] if names == "preston" else c.shape) for c in track.cues]
    assert keys[:-1] == expected
    assert keys[-1] == (track.cues[-1].end_frame + 1, "rest" if names == "preston" else "X")
    if names == "preston":
        assert {n for _, n in keys} <= PRESTON_BLAIR_SET
    with pytest.raises(ChoreoError, match="names="):
        to_dat(track, names="papagayo")


def read_pgo(text):
    """Read a .pgo as Papagayo does: line by line, stripped, counts telling how many of each follow."""
    raw = text.split("\n")
    assert raw[-1] == "", "file ends with a newline"
    lines = iter(raw[:-1])
    depth = {}

    def nxt(level):
        line = next(lines)
        assert line.startswith("\t" * level) and not line.startswith("\t" * (level + 1)), (level, line)
        depth[level] = depth.get(level, 0) + 1
        return line.strip()

    doc = {"header": nxt(0), "sound": nxt(0), "fps": int(nxt(0)), "frames": int(nxt(0)), "voices": []}
    for _ in range(int(nxt(0))):
        voice = {"name": nxt(1), "text": nxt(1), "phrases": []}
        for _ in range(int(nxt(1))):
            phrase = {"text": nxt(2), "start": int(nxt(2)), "end": int(nxt(2)), "words": []}
            for _ in range(int(nxt(2))):
                text_, start, end, n = nxt(3).split()
                word = {"text": text_, "start": int(start), "end": int(end), "phonemes": []}
                for _ in range(int(n)):
                    frame, name = nxt(4).split()
                    word["phonemes"].append((int(frame), name))
                phrase["words"].append(word)
            voice["phrases"].append(phrase)
        doc["voices"].append(voice)
    assert next(lines, None) is None, "nothing after the last voice"
    return doc


def check_pgo_structure(doc):
    assert doc["header"] == "lipsync version 1"
    for voice in doc["voices"]:
        assert voice["text"] == "|".join(p["text"] for p in voice["phrases"])
        last = -1
        for phrase in voice["phrases"]:
            assert phrase["text"] == " ".join(w["text"] for w in phrase["words"])
            assert phrase["start"] == phrase["words"][0]["start"]
            assert phrase["end"] == phrase["words"][-1]["end"]
            for word in phrase["words"]:
                assert last < word["start"] <= word["end"] < max(doc["frames"], word["start"] + 1)
                last = word["end"]
                frames = [f for f, _ in word["phonemes"]]
                assert word["phonemes"], word
                assert frames == sorted(frames)
                assert word["start"] <= frames[0] and frames[-1] <= word["end"]
                assert {n for _, n in word["phonemes"]} <= PRESTON_BLAIR_SET


def test_papagayo_project(tmp_path):
    track = make_track(FPS_24)
    path = EXPORTERS["pgo"].write(track, tmp_path / "ada.pgo")
    doc = read_pgo(path.read_text())
    check_pgo_structure(doc)
    assert (doc["sound"], doc["fps"], doc["frames"]) == ("song.wav", 24, 96)
    assert len(doc["voices"]) == 1
    voice = doc["voices"][0]
    assert voice["name"] == "ada"
    # "hello we" then a gap of 0.7 s, then "pie fur" (gap 0.1 s): two phrases.
    assert [p["text"] for p in voice["phrases"]] == ["hello we", "pie fur"]
    words = {w["text"]: w for p in voice["phrases"] for w in p["words"]}
    assert (words["hello"]["start"], words["hello"]["end"]) == (seconds_to_frame(0.21, FPS_24),
                                                               seconds_to_frame(0.75, FPS_24) - 1)
    assert [n for _, n in words["hello"]["phonemes"]] == ["etc", "AI", "L", "O"]
    assert [n for _, n in words["we"]["phonemes"]] == ["WQ", "etc"]
    assert words["pie"]["phonemes"] == [(seconds_to_frame(2.0, FPS_24), "MBP"), (seconds_to_frame(2.06, FPS_24), "AI")]
    assert [n for _, n in words["fur"]["phonemes"]] == ["FV", "O"]


def test_papagayo_phrases_are_the_lyric_lines_where_the_words_know_them():
    """Words that carry their lyric line (the lyrics-aligned tiers) make one phrase per line, whatever the gaps:
    here "hello" alone (although "we" follows within 0.15 s) and "we pie fur" (across a 0.7 s gap)."""
    lined = [Word(w.start, w.end, w.text, line=0 if w.text == "hello" else 1) for w in WORDS]
    doc = read_pgo(to_pgo(make_track(FPS_24, words=lined)))
    check_pgo_structure(doc)
    assert [p["text"] for p in doc["voices"][0]["phrases"]] == ["hello", "we pie fur"]


def test_papagayo_rounds_a_rational_frame_rate_and_counts_in_it(tmp_path):
    track = make_track(FPS_NTSC)
    with pytest.warns(UserWarning, match="30000/1001"):
        text = to_pgo(track)
    doc = read_pgo(text)
    check_pgo_structure(doc)
    assert doc["fps"] == 30
    assert doc["frames"] == seconds_to_frame(4.0, Fraction(30))
    pie = doc["voices"][0]["phrases"][1]["words"][0]
    assert pie["start"] == seconds_to_frame(2.0, Fraction(30))  # in sync with the audio at 30 fps
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        to_pgo(make_track(FPS_24))


def test_papagayo_without_words_uses_the_cues():
    track = make_track(FPS_24, words=(), phones=PHONES)
    fallback = MouthTrack(fps=track.fps, character="ada", cues=track.cues, tier="loudness-fallback")
    doc = read_pgo(to_pgo(fallback, voice="Ada Lovelace"))
    check_pgo_structure(doc)
    assert doc["voices"][0]["name"] == "Ada Lovelace"
    words = [w for p in doc["voices"][0]["phrases"] for w in p["words"]]
    assert words and all(w["text"] == "~" for w in words)
    spoken = {PB[c.shape] for c in track.cues if c.shape != "X"}
    assert {n for w in words for _, n in w["phonemes"]} == spoken


def test_odd_words_stay_one_token():
    track = make_track(FPS_24, words=[Word(0.21, 0.75, "hel lo|there"), Word(0.9, 1.3, "")])
    doc = read_pgo(to_pgo(track))
    check_pgo_structure(doc)
    assert [w["text"] for w in doc["voices"][0]["phrases"][0]["words"]] == ["hel_lo/there", "~"]


def test_empty_track_writes_rhubarb_dummy_rest():
    empty = MouthTrack(fps=FPS_24, character="ada", cues=())
    assert to_tsv(empty) == "0.000\tX\n"
    root = ET.fromstring(to_xml(empty))
    assert [(e.get("start"), e.get("end"), e.text) for e in root.iter("mouthCue")] == [("0.000", "0.000", "X")]
    assert json.loads(to_json(empty))["mouthCues"] == [{"start": 0.0, "end": 0.0, "value": "X"}]
    assert to_dat(empty).splitlines() == ["MohoSwitch1", "1 rest"]


def test_export_picks_the_format_from_the_suffix(tmp_path):
    track = MouthTrack(fps=FPS_24, character="ada", cues=(MouthCue(0, 10, "X", 0.0), MouthCue(10, 24, "D", 0.9)))
    assert json.loads(export(track, tmp_path / "a.rhubarb.json").read_text())["mouthCues"][1]["value"] == "D"
    assert artifacts.load(export(track, tmp_path / "a.mouth.json")).cues == track.cues
    assert export(track, tmp_path / "a.DAT").read_text().startswith("MohoSwitch1\n")
    assert export(track, tmp_path / "a.txt", "tsv").read_text() == "0.000\tX\n0.417\tD\n1.000\tX\n"
    with pytest.raises(ChoreoError, match="cannot tell the export format"):
        export(track, tmp_path / "a.mp4")


@pytest.mark.parametrize("fmt", sorted(EXPORTERS))
def test_unwritable_folder_is_a_choreo_error(tmp_path, fmt):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the output folder should be")
    with pytest.raises(ChoreoError):
        EXPORTERS[fmt].write(make_track(), blocker / f"ada{EXPORTERS[fmt].suffix}")
