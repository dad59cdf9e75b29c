"""choreo export --to xdts, and the export plumbing: --list, choreo run --export, a batch manifest's export.

No XDTS reader runs here (CLIP STUDIO PAINT, OpenToonz and TVPaint are desktop applications), so the time
sheet is checked for structure: the identifier line, the JSON against the published schema (XDTS file
format ver. 1.0, Celsys 2022-12-06, transcribed below), and a reader written here that applies a time
sheet's hold rule (a value holds until the next entry) and compares every frame with the artefacts' own
JSON. Inputs are real `choreo run` outputs of the bundled example song (librosa backend) with two espeak-ng
singers, at 24 and 30000/1001 fps.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import jsonschema
import numpy as np
import pytest
import soundfile as sf

from audio.errors import ChoreoError
from audio.params import AnalysisParams
from engine.batch import discover, process_song
from engine.exporters import FORMATS, parse_formats
from engine.exporters.song import Song, export_song, load_song
from engine.run import RunInputs, RunParams
from tests.conftest import ROOT, run_cli, run_per_fps

EX = ROOT / "examples"
FPS = {"24": Fraction(24), "30000/1001": Fraction(30000, 1001)}
IDENTIFIER = "exchangeDigitalTimeSheet Save Data"  # the file's first line, as the XDTS format defines it
SHAPES = set("ABCDEFGHX")
SINGERS = {"ada": ("Twinkle twinkle little star", 8.6), "bo": ("How I wonder what you are", 20.0)}
FCP_MISSING = "pip install opentimelineio otio-fcp-adapter"

# The published JSON Schema of the XDTS file format, ver. 1.0: header, fields, tracks and frames as published;
# the time table's own keys (duration, name, timeTableHeaders) and version as OpenToonz's reader reads them.
_DATA = {"type": "object", "required": ["id", "values"],
         "properties": {"id": {"type": "integer", "enum": [0]},
                        "values": {"type": "array", "minItems": 1, "items": {"type": "string"}}}}
_FRAME = {"type": "object", "required": ["data", "frame"],
          "properties": {"data": {"type": "array", "items": _DATA}, "frame": {"type": "integer", "minimum": 0}}}
_TRACK = {"type": "object", "required": ["frames", "trackNo"],
          "properties": {"frames": {"type": "array", "items": _FRAME}, "trackNo": {"type": "integer", "minimum": 0}}}
_FIELD_ID = {"type": "integer", "enum": [0, 3, 5]}
XDTS_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema",
    "type": "object",
    "required": ["timeTables", "version"],
    "properties": {
        "header": {"type": "object", "required": ["cut", "scene"],
                   "properties": {"cut": {"type": "string", "pattern": "^\\d{1,4}$"},
                                  "scene": {"type": "string", "pattern": "^\\d{1,4}$"}}},
        "timeTables": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["duration", "name", "timeTableHeaders"],
            "properties": {
                "fields": {"type": "array", "items": {"type": "object", "required": ["fieldId", "tracks"],
                                                      "properties": {"fieldId": _FIELD_ID,
                                                                     "tracks": {"type": "array", "items": _TRACK}}}},
                "duration": {"type": "integer", "minimum": 1},
                "name": {"type": "string"},
                "timeTableHeaders": {"type": "array", "items": {
                    "type": "object", "required": ["fieldId", "names"],
                    "properties": {"fieldId": _FIELD_ID, "names": {"type": "array", "items": {"type": "string"}}}}},
            }}},
        "version": {"type": "integer", "enum": [5]},
    },
}


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """The example song and two espeak-ng singers coming in at different times."""
    from tests.material.espeak_speech import synthesize

    d = tmp_path_factory.mktemp("export_xdts")
    shutil.copy(EX / "example_song.ogg", d / "example_song.ogg")
    for name, (line, lead_s) in SINGERS.items():
        spoken = synthesize(f'<speak><prosody rate="50%" pitch="+25%">{line}</prosody></speak>', ssml=True)
        lead = np.zeros(round(lead_s * spoken.sr), dtype=np.float32)
        sf.write(str(d / f"{name}.wav"), np.concatenate([lead, spoken.y]), spoken.sr)
    return d


def _inputs(base: Path) -> RunInputs:
    return RunInputs(song=base / "example_song.ogg", vocals=tuple((base / f"{n}.wav", n) for n in SINGERS),
                     rigs=("ada", "bo"))


@pytest.fixture(scope="module")
def runs(base):
    """`choreo run` output folders (no render) per frame rate."""
    return run_per_fps(_inputs(base), base, FPS)


def read_sheet(path: Path) -> tuple[dict, dict[tuple[int, str], list[tuple[int, str]]]]:
    """The document and every track's entries ``[(frame, value)]`` by ``(fieldId, track name)``."""
    text = path.read_text(encoding="utf-8")
    first, rest = text.split("\n", 1)
    assert first == IDENTIFIER
    doc = json.loads(rest)
    (table,) = doc["timeTables"]
    names = {h["fieldId"]: h["names"] for h in table["timeTableHeaders"]}
    tracks = {}
    for field in table["fields"]:
        for track in field["tracks"]:
            entries = []
            for fr in track["frames"]:
                (data,) = fr["data"]
                (value,) = data["values"]
                entries.append((fr["frame"], value))
            tracks[field["fieldId"], names[field["fieldId"]][track["trackNo"]]] = entries
    return doc, tracks


def hold(entries: list[tuple[int, str]], duration: int) -> list[str | None]:
    """Every frame's value by the time sheet's hold rule (None before the first entry)."""
    out, value, i = [], None, 0
    for f in range(duration):
        while i < len(entries) and entries[i][0] == f:
            value = entries[i][1]
            i += 1
        out.append(value)
    return out


def _changes(per_frame: list) -> list[int]:
    return [f for f in range(len(per_frame)) if f == 0 or per_frame[f] != per_frame[f - 1]]


@pytest.fixture(scope="module", params=list(FPS))
def sheet(request, runs, base):
    """The xdts written from one run folder, with that folder's artefacts as plain JSON."""
    folder = runs[request.param]
    (path,) = export_song(load_song([folder]), parse_formats("xdts"), base / f"xdts_{request.param.replace('/', '_')}")
    chor = json.loads((folder / "example_song.choreography.json").read_text())
    mouths = {n: json.loads((folder / f"{n}.mouth.json").read_text()) for n in SINGERS}
    return FPS[request.param], path, chor, mouths


def test_the_file_is_the_identifier_line_and_json_of_the_published_schema(sheet):
    fps, path, chor, _ = sheet
    assert path.name == "example_song.xdts"
    doc, tracks = read_sheet(path)
    jsonschema.validate(doc, XDTS_SCHEMA)
    (table,) = doc["timeTables"]
    assert table["duration"] == chor["duration_frames"] and table["name"] == "example_song"
    assert chor["fps"] == f"{fps.numerator}/{fps.denominator}"
    headers = {h["fieldId"]: h["names"] for h in table["timeTableHeaders"]}
    assert headers == {0: [f"{n} mouth" for n in SINGERS], 3: [f"{c} moves" for c in chor["characters"]]}
    for field in table["fields"]:  # tracks numbered from 0 in order, one name each
        assert [t["trackNo"] for t in field["tracks"]] == list(range(len(headers[field["fieldId"]])))
    for (field_id, _), entries in tracks.items():
        frames = [f for f, _ in entries]
        assert frames[0] >= 0 and frames == sorted(set(frames)) and frames[-1] < table["duration"]
        if field_id == 0:  # cels from frame 0; the empty-cell symbol is for cels only
            assert frames[0] == 0 and {v for _, v in entries} <= SHAPES
        else:
            assert not any(v.startswith("SYMBOL_") for _, v in entries)


def test_mouth_cels_change_exactly_where_the_cues_change(sheet):
    fps, path, chor, mouths = sheet
    _, tracks = read_sheet(path)
    duration = chor["duration_frames"]
    for name, mouth in mouths.items():
        expected = ["X"] * duration  # the rest shape wherever no cue speaks
        for c in mouth["cues"]:
            for f in range(max(0, c["start_frame"]), min(duration, c["end_frame"])):
                expected[f] = c["shape"]
        entries = tracks[0, f"{name} mouth"]
        assert len(entries) > 10  # the singer sings
        assert hold(entries, duration) == expected
        assert [f for f, _ in entries] == _changes(expected)
        for f, _ in entries[1:]:  # each change is on the frame its cue starts in seconds (within half a frame)
            assert any(abs(f - c["start"] * float(fps)) <= 0.5 + 2e-3 for c in mouth["cues"]), f


def test_move_names_are_written_where_each_move_starts(sheet):
    _, path, chor, _ = sheet
    _, tracks = read_sheet(path)
    duration = chor["duration_frames"]
    for ch in chor["characters"]:
        moves = sorted((m for m in chor["moves"] if m["character"] == ch), key=lambda m: m["start_frame"])
        entries = tracks[3, f"{ch} moves"]
        assert entries == [(m["start_frame"], m["move"]) for m in moves]  # a move twice in a row: written twice
        assert len(moves) > 20 and moves[-1]["end_frame"] <= duration
        held = hold(entries, duration)
        for m in moves:  # the name holds over the move's frames
            assert set(held[m["start_frame"]:m["end_frame"]]) == {m["move"]}


def test_a_mouth_track_made_at_another_rate_is_retimed(runs, tmp_path):
    ntsc, film = runs["30000/1001"], runs["24"]
    song = load_song([ntsc / "example_song.analysis.json", ntsc / "example_song.choreography.json",
                      film / "ada.mouth.json"])
    (path,) = export_song(song, parse_formats("xdts"), tmp_path)
    _, tracks = read_sheet(path)
    cues = json.loads((film / "ada.mouth.json").read_text())["cues"]
    assert cues[0]["start"] == 0 and json.loads((film / "ada.mouth.json").read_text())["fps"] == "24/1"
    shapes = [c["shape"] for c in cues]
    changes = [c for i, c in enumerate(cues) if i == 0 or shapes[i] != shapes[i - 1]]
    entries = tracks[0, "ada mouth"]
    assert [v for _, v in entries] == [c["shape"] for c in changes]
    fps = 30000 / 1001
    assert all(abs(f - c["start"] * fps) <= 0.5 + 1e-3 for (f, _), c in zip(entries, changes, strict=True))


def test_a_singer_who_does_not_dance_and_a_song_without_singers(runs, tmp_path):
    song = load_song([runs["24"]])
    guest = replace(song, mouths=(replace(song.mouths[0], character="guest"),))
    (path,) = export_song(guest, parse_formats("xdts"), tmp_path / "guest")
    doc, tracks = read_sheet(path)
    assert [k for k in tracks if k[0] == 0] == [(0, "guest mouth")]
    assert [k for k in tracks if k[0] == 3] == [(3, f"{c} moves") for c in song.choreography.characters]
    with pytest.warns(UserWarning, match="moves only"):
        (path,) = export_song(replace(song, mouths=()), parse_formats("xdts"), tmp_path / "none")
    doc, tracks = read_sheet(path)
    jsonschema.validate(doc, XDTS_SCHEMA)
    assert {h["fieldId"]: h["names"] for h in doc["timeTables"][0]["timeTableHeaders"]}[0] == []
    assert all(k[0] == 3 for k in tracks) and tracks


def test_a_move_danced_again_is_written_again_and_a_shape_held_over_two_cues_once(runs, tmp_path):
    song = load_song([runs["24"]])
    chor, mouth = song.choreography, song.mouths[0]
    moves = list(chor.moves)  # the solver avoids back-to-back repeats: make one from two adjacent moves
    i = next(i for i in range(len(moves) - 1) if moves[i].character == moves[i + 1].character
             and moves[i].end_frame == moves[i + 1].start_frame)
    moves[i + 1] = replace(moves[i + 1], move=moves[i].move)
    cues = list(mouth.cues)  # and two adjacent cues of one shape (another opening)
    j = next(j for j in range(1, len(cues) - 1) if cues[j].end_frame == cues[j + 1].start_frame)
    cues[j + 1] = replace(cues[j + 1], shape=cues[j].shape, open=min(1.0, cues[j].open + 0.1))
    changed = replace(song, choreography=replace(chor, moves=tuple(moves)),
                      mouths=(replace(mouth, cues=tuple(cues)),))
    (path,) = export_song(changed, parse_formats("xdts"), tmp_path)
    _, tracks = read_sheet(path)
    entries = dict(tracks[3, f"{moves[i].character} moves"])
    assert entries[moves[i].start_frame] == entries[moves[i + 1].start_frame] == moves[i].move
    mouth_entries = dict(tracks[0, f"{mouth.character} mouth"])
    assert mouth_entries[cues[j].start_frame] == cues[j].shape and cues[j + 1].start_frame not in mouth_entries


def _list_blocks(stdout: str) -> dict[str, str]:
    """``choreo export --list`` output: each format's lines by its name."""
    blocks: dict[str, list[str]] = {}
    for line in stdout.splitlines():
        if line and not line[0].isspace():
            blocks[line.split()[0]] = [line]
        elif blocks:
            blocks[list(blocks)[-1]].append(line)
    return {k: "\n".join(v) for k, v in blocks.items()}


def test_list_names_each_format_what_it_carries_and_its_reader():
    res = run_cli("export", "--list")
    assert res.returncode == 0, res.stderr
    blocks = _list_blocks(res.stdout)
    assert set(blocks) == set(FORMATS)
    for name, exp in FORMATS.items():
        assert exp.description in blocks[name] and f"reader: {exp.reader}" in blocks[name]
    assert "reader: not verified by a reader" in blocks["xdts"] and "mouth-shape cels" in blocks["xdts"]
    assert FCP_MISSING in blocks["fcp7xml"]
    for mouth_format in ("tsv", "xml", "rhubarb-json", "dat", "pgo"):  # Rhubarb, Moho, Papagayo: same registry
        assert blocks[mouth_format].split()[1] == f"CHARACTER{FORMATS[mouth_format].suffix},"


def test_cli_export_writes_the_sheet_from_a_run_folder(runs, tmp_path):
    res = run_cli("export", str(runs["30000/1001"]), "--to", "xdts,tsv", "-o", str(tmp_path))
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ada.tsv", "bo.tsv", "example_song.xdts"]
    doc, _ = read_sheet(tmp_path / "example_song.xdts")
    jsonschema.validate(doc, XDTS_SCHEMA)
    folder = runs["24"]
    res = run_cli("export", str(folder / "example_song.analysis.json"), str(folder / "example_song.choreography.json"),
                  "--to", "xdts", "-o", str(tmp_path / "moves.xdts"))
    assert res.returncode == 0, res.stderr
    assert res.stderr == "warning: xdts: no mouth tracks given, so the time sheet carries the moves only (its CELL " \
                         "field is empty)\n"
    assert {k[0] for k in read_sheet(tmp_path / "moves.xdts")[1]} == {3}


def test_cli_run_export_checks_the_names_before_the_run(base, tmp_path, monkeypatch):
    monkeypatch.setenv("CHOREO_CACHE", str(base / "cache"))  # analysis, lip-sync and choreography come cached
    out = tmp_path / "run"
    song = str(base / "example_song.ogg")
    res = run_cli("run", song, "-o", str(out), "--export", "otio,xdst")
    assert res.returncode == 2 and "unknown export format 'xdst' (did you mean 'xdts'?)" in res.stderr
    assert res.stderr.count("\n") == 1 and not out.exists()
    res = run_cli("run", song, "-o", str(out), "--export", "xdts,tsv")
    assert res.returncode == 2 and "the tsv format writes mouth tracks, and this song has no vocals" in res.stderr
    assert not out.exists()
    res = run_cli("run", song, "-o", str(out), "--vocals", str(base / "ada.wav"), "--export", "tsv,lrc")
    assert res.returncode == 2 and "the lrc format writes the lip-sync's words, and this song has no lyrics" in \
        res.stderr
    assert not out.exists()
    res = run_cli("run", song, "--backend", "librosa", "--vocals", str(base / "ada.wav"), "--vocals",
                  str(base / "bo.wav"), "--character", "ada", "--character", "bo", "--rig", "ada", "--rig", "bo",
                  "--ensemble", "canon", "--fps", "30000/1001", "--size", "160x90", "--export", "xdts,dat", "-o",
                  str(out))
    assert res.returncode == 0, res.stderr
    assert f"wrote {out / 'example_song.xdts'}" in res.stdout and (out / "bo.dat").exists()
    doc, tracks = read_sheet(out / "example_song.xdts")
    assert doc["timeTables"][0]["duration"] == json.loads((out / "example_song.choreography.json").read_text())[
        "duration_frames"]
    assert set(tracks) >= {(0, "ada mouth"), (0, "bo mouth")}


def _manifest(tmp_path: Path, base: Path, text: str) -> Path:
    m = tmp_path / "episode.yaml"
    m.write_text(text.format(song=base / "example_song.ogg", ada=base / "ada.wav"), encoding="utf-8")
    return m


def test_manifest_export_top_level_and_per_song(base, tmp_path):
    m = _manifest(tmp_path, base, "export: [xdts, otio]\nsongs:\n  - audio: {song}\n    name: one\n"
                                  "  - audio: {song}\n    name: two\n    export: audacity,tsv\n"
                                  "    vocals: {{ada: {ada}}}\n  - audio: {song}\n    name: three\n    export: []\n")
    assert [j.export for j in discover(m)] == [("xdts", "otio"), ("audacity", "tsv"), ()]
    bad = {"export: [xdst]\nsongs:\n  - audio: {song}\n":
           r"export \(for songs\[0\]\): unknown export format 'xdst' \(did you mean 'xdts'\?\)",
           "songs:\n  - audio: {song}\n    export: [otio, tsv]\n":
           r"songs\[0\].export: the tsv format writes mouth tracks, and this song has no vocals",
           "songs:\n  - audio: {song}\n    vocals: {{ada: {ada}}}\n    export: [ass]\n":
           r"songs\[0\].export: the ass format writes the lip-sync's words, and this song has no lyrics",
           "songs:\n  - audio: {song}\n    export: 5\n": r"songs\[0\].export must be a list of format names"}
    for text, message in bad.items():
        with pytest.raises(ChoreoError, match=message):
            discover(_manifest(tmp_path, base, text))


def test_batch_stops_a_bad_export_name_before_any_song_runs(base, tmp_path):
    m = _manifest(tmp_path, base, "songs:\n  - audio: {song}\n    export: [midl]\n")
    out = tmp_path / "out"
    res = run_cli("batch", str(m), "-o", str(out), "--backend", "librosa", "--no-render")
    assert res.returncode == 2 and res.stderr.count("\n") == 1
    assert "songs[0].export: unknown export format 'midl' (did you mean 'midi'?)" in res.stderr
    assert not out.exists()


def test_batch_song_writes_its_exports_into_its_folder(base, tmp_path, monkeypatch):
    monkeypatch.setenv("CHOREO_CACHE", str(base / "cache"))
    m = _manifest(tmp_path, base, "export: xdts\nsongs:\n  - audio: {song}\n    vocals: {{ada: {ada}}}\n"
                                  "    rigs: [ada, bo]\n    export: [xdts, audacity, tsv]\n")
    (job,) = discover(m)
    res = process_song(job, str(tmp_path / "out"), RunParams(analysis=AnalysisParams(backend="librosa"), render=False))
    assert res["status"] == "ok", res["error"]
    folder = tmp_path / "out" / "example_song"
    assert {k: Path(v) for k, v in res["outputs"].items() if k.startswith("export:")} == {
        "export:example_song.xdts": folder / "example_song.xdts",
        "export:example_song.labels.txt": folder / "example_song.labels.txt", "export:ada.tsv": folder / "ada.tsv"}
    doc, tracks = read_sheet(folder / "example_song.xdts")
    jsonschema.validate(doc, XDTS_SCHEMA)
    assert (0, "ada mouth") in tracks


def test_choreo_batch_runs_a_manifest_with_exports(base, tmp_path, monkeypatch):
    monkeypatch.setenv("CHOREO_CACHE", str(base / "cache"))
    m = _manifest(tmp_path, base, "export: [xdts, midi]\nsongs:\n  - audio: {song}\n    vocals: {{ada: {ada}}}\n")
    out = tmp_path / "out"
    res = run_cli("batch", str(m), "-o", str(out), "--backend", "librosa", "--no-render", "--workers", "1")
    assert res.returncode == 0, res.stderr
    report = json.loads((out / "batch-report.json").read_text())
    (song,) = report["songs"]
    assert song["status"] == "ok" and {"export:example_song.xdts", "export:example_song.markers.mid"} <= set(
        song["outputs"])
    read_sheet(Path(song["outputs"]["export:example_song.xdts"]))


def test_fcp7xml_without_opentimelineio_is_one_clear_error(runs, tmp_path, monkeypatch):
    song: Song = load_song([runs["24"]])
    monkeypatch.setitem(sys.modules, "opentimelineio", None)  # `import opentimelineio` now fails
    with pytest.raises(ChoreoError) as err:  # found when the formats are read, before any file is written
        parse_formats("otio,fcp7xml")
    assert FCP_MISSING in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(ChoreoError, match=FCP_MISSING):  # and by the writer itself, called without that check
        export_song(song, [FORMATS["fcp7xml"]], tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_fcp7xml_without_its_adapter_is_one_clear_error(runs, tmp_path, monkeypatch):
    otio = pytest.importorskip("opentimelineio")
    monkeypatch.setattr(otio.adapters, "available_adapter_names", lambda: ["otio_json"])
    with pytest.raises(ChoreoError, match=FCP_MISSING):
        parse_formats("fcp7xml")
    with pytest.raises(ChoreoError, match=FCP_MISSING):
        export_song(load_song([runs["24"]]), [FORMATS["fcp7xml"]], tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_csv_behind_the_registry_writes_every_frame_of_every_dancer(runs, tmp_path):
    import csv

    from choreography.sampling import sample_track

    folder = runs["30000/1001"]
    res = run_cli("export", str(folder), "--to", "csv", "-o", str(tmp_path))
    assert res.returncode == 0, res.stderr
    song = load_song([folder])
    c = song.choreography
    beats = song.analysis.beats
    for ch in c.characters:
        rows = list(csv.DictReader((tmp_path / f"example_song.{ch}.csv").open(encoding="utf-8")))
        assert len(rows) == c.duration_frames and [int(r["frame"]) for r in rows] == list(range(c.duration_frames))
        for name in (k for k in c.tracks if k.startswith(f"{ch}/")):
            got = np.array([float(r[name.split("/", 1)[1]]) for r in rows])
            assert np.abs(got - sample_track(c.tracks[name], c.duration_frames)).max() <= 5e-4 + 1e-9, name
        for m in (m for m in c.moves if m.character == ch):
            assert {r["move"] for r in rows[m.start_frame:m.end_frame]} == {m.move}
        f = round(float(beats[10].t) * float(c.fps)) + 1  # just after the 11th beat: its bar and beat
        assert (int(rows[f]["bar"]), int(rows[f]["beat"])) == (beats[10].bar, beats[10].beat)
    with pytest.raises(ChoreoError, match="choreography"):
        export_song(replace(song, choreography=None), parse_formats("csv"), tmp_path / "none")


def test_batch_report_keeps_what_an_export_could_not_carry(base, tmp_path, monkeypatch):
    monkeypatch.setenv("CHOREO_CACHE", str(base / "cache"))
    m = _manifest(tmp_path, base, "songs:\n  - audio: {song}\n    export: [xdts]\n")  # no singer: no mouth cels
    (job,) = discover(m)
    res = process_song(job, str(tmp_path / "out"), RunParams(analysis=AnalysisParams(backend="librosa"), render=False))
    assert res["status"] == "ok", res["error"]
    assert len(res["warnings"]) == 1 and "example_song" in res["warnings"][0] and "mouth" in res["warnings"][0]


def test_choreo_batch_on_a_folder_takes_export(base, tmp_path, monkeypatch):
    monkeypatch.setenv("CHOREO_CACHE", str(base / "cache"))
    songs = tmp_path / "songs"
    songs.mkdir()
    shutil.copy(base / "example_song.ogg", songs / "example_song.ogg")
    res = run_cli("batch", str(songs), "-o", str(tmp_path / "bad"), "--export", "audacty", "--no-render")
    assert res.returncode != 0 and "did you mean 'audacity'" in res.stderr and not (tmp_path / "bad").exists()
    out = tmp_path / "out"
    res = run_cli("batch", str(songs), "-o", str(out), "--backend", "librosa", "--no-render", "--workers", "1",
                  "--export", "audacity")
    assert res.returncode == 0, res.stderr
    (song,) = json.loads((out / "batch-report.json").read_text())["songs"]
    assert Path(song["outputs"]["export:example_song.labels.txt"]) == out / "example_song" / "example_song.labels.txt"
    assert (out / "example_song" / "example_song.labels.txt").read_text().count("\t") > 10
