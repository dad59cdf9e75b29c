"""choreo review's HTTP API over a real choreo run of the example song (librosa backend, two singing characters
dancing independently, no preview): every endpoint, every error, and nothing changed on disk by any error.

Expected values come from the run's files read back with json, the shipped move library's JSON, soundfile
for the audio and the choreo choreograph command for a re-solve; never from the review module itself.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
import skia
import soundfile as sf

from engine.review import MAX_BODY_BYTES, ReviewSession, create_app
from tests.conftest import ROOT, run_cli

with warnings.catch_warnings():  # starlette's test client asks for httpx2, which is not packaged for us
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SONG = ROOT / "examples" / "example_song.ogg"
SCHEMA = "choreo.pins/1"
LYRICS = ["Twinkle twinkle little star", "How I wonder what you are"]
BO_SINGS = ["Up above the world so high", "Like a diamond in the sky"]


def make_run(base: Path) -> Path:
    """A choreo run of the example song into ``base/run`` (reused when there), its cache in ``base/cache``."""
    from audio.params import AnalysisParams
    from choreography.params import SolveParams
    from engine.pipeline import Pipeline
    from engine.run import RunInputs, RunParams, run_song
    from tests.material.espeak_speech import synthesize

    folder = base / "run"
    if (folder / "example_song.choreography.json").is_file():
        return folder
    base.mkdir(parents=True, exist_ok=True)
    vocals = []
    for name, lines in (("ada", LYRICS), ("bo", BO_SINGS)):  # bo sings other words than the lyrics: warnings
        ssml = '<speak><prosody rate="50%" pitch="+25%">' + ' <break time="600ms"/> '.join(lines) + "</prosody></speak>"
        spoken = synthesize(ssml, ssml=True)
        sf.write(str(base / f"{name}.wav"), spoken.y, spoken.sr)
        vocals.append((base / f"{name}.wav", name))
    (base / "lyrics.txt").write_text("\n".join(LYRICS) + "\n", encoding="utf-8")
    inputs = RunInputs(song=SONG, vocals=tuple(vocals), lyrics=base / "lyrics.txt", rigs=("ada", "bo"))
    params = RunParams(analysis=AnalysisParams(backend="librosa"), solve=SolveParams(ensemble="independent"),
                       render=False)
    run_song(inputs, folder, params, pipeline=Pipeline(cache=base / "cache"))
    return folder


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    return make_run(tmp_path_factory.getbasetemp() / "review")


@pytest.fixture
def review(run_folder, tmp_path):
    """A fresh copy of the run folder, opened for review, and a client."""
    folder = tmp_path / "song"
    shutil.copytree(run_folder, folder)
    session = ReviewSession.open(folder)
    with TestClient(create_app(session)) as client:
        yield client, folder


def read(folder: Path, name: str) -> dict:
    return json.loads((folder / name).read_text(encoding="utf-8"))


def snapshot(folder: Path) -> dict:
    """Every file under the folder (hidden ones too): bytes and modification time."""
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def moves_of(doc: dict) -> list[tuple]:
    return [(m["character"], m["move"], m["start_frame"], m["end_frame"], m["bar"]) for m in doc["moves"]]


def pins(*items: dict) -> dict:
    return {"schema": SCHEMA, "pins": list(items)}


def library_json() -> dict:
    return json.loads((ROOT / "choreography" / "data" / "moves" / "default.json").read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------------------------ GET endpoints


def test_session_lays_out_the_run(review):
    client, folder = review
    r = client.get("/api/session")
    assert r.status_code == 200
    s = r.json()
    analysis, chor = read(folder, "example_song.analysis.json"), read(folder, "example_song.choreography.json")
    assert r.headers["etag"] == f'"{s["version"]}"'
    assert s["song"] == "example_song"
    assert s["duration_s"] == analysis["source"]["duration_s"]
    assert s["fps"] == chor["fps"] == "24/1" and s["duration_frames"] == chor["duration_frames"]
    assert s["characters"] == chor["characters"] == ["ada", "bo"]
    assert [(x["start"], x["end"], x["label"], x["kind"]) for x in s["sections"]] == \
        [(x["start"], x["end"], x["label"], x["kind"]) for x in analysis["sections"]]
    assert moves_of(s) == moves_of(chor)
    assert s["shots"] == chor["shots"]
    beat = lambda b: (b["t"], b["bar"], b["beat"])  # noqa: E731
    assert [beat(b) for b in s["beats"]] == [beat(b) for b in analysis["beats"]]
    assert s["tempo"]["bpm"] == analysis["tempo"]["bpm"]
    assert s["pins"] == {"schema": SCHEMA, "pins": []} and not any(m["pinned"] for m in s["moves"])
    # lighting: the palette covers the song; a flash is an intensity key more than 0.2 above the one before
    light = chor["tracks"]["light/intensity"]
    flashes = [f for f, v, prev in zip(light["frames"][1:], light["values"][1:], light["values"], strict=False)
               if v - prev > 0.2]
    assert s["lighting"]["flashes"] == flashes and flashes
    palette = s["lighting"]["palette"]
    assert palette[0]["start_frame"] == 0 and palette[-1]["end_frame"] == chor["duration_frames"]
    assert all(a["end_frame"] == b["start_frame"] for a, b in zip(palette, palette[1:], strict=False))
    hue = chor["tracks"]["light/hue"]
    assert {p["hue"] for p in palette} == {round(v, 1) for v in hue["values"]}
    # lyrics: ada's two lines are the lyrics file's, her words the mouth track's
    mouth = read(folder, "ada.mouth.json")
    ada = s["lyrics"]["ada"]
    assert [ln["text"] for ln in ada["lines"]] == LYRICS
    assert [(w["text"], w["start"]) for w in ada["words"]] == [(w["text"], w["start"]) for w in mouth["words"]]
    for ln in ada["lines"]:
        conf = [w["confidence"] for w in mouth["words"] if ln["start"] <= w["start"] and w["end"] <= ln["end"]]
        assert ln["low"] == (np.mean(conf) < 0.4)
    # warnings: bo's mouth track warns, and the warning is placed on bo's lyric lane
    bo_warnings = read(folder, "bo.mouth.json")["warnings"]
    assert bo_warnings, "the run should give bo's mismatched lyrics a warning"
    placed = [w for w in s["warnings"] if w["source"] == "mouth:bo"]
    assert [w["text"] for w in placed] == bo_warnings and all(w["lane"] == "lyrics:bo" for w in placed)
    assert s["audio"] is True and s["preview"] == {"present": False, "stale": False}


def test_a_full_mix_lists_to_check_first_only_the_lines_lip_sync_listed():
    """On a full mix every word is capped at 0.3, below a stem's low confidence: the page marks only the lines at
    half the cap (those lip-sync lists to check first), not every line; on a stem, those below 0.4."""
    from fractions import Fraction

    from audio.model import Word
    from choreography.model import MouthTrack

    words = (Word(0.0, 0.5, "la", 0.3, 0), Word(0.5, 1.0, "la", 0.3, 0), Word(2.0, 2.5, "oh", 0.15, 1),
             Word(4.0, 4.5, "yeah", 0.35, 2))
    lows = {}
    for mix in (True, False):
        track = MouthTrack(Fraction(24), "ada", (), words, provenance={"inputs": {"mix": mix}})
        lows[mix] = [ln["low"] for ln in ReviewSession._lyrics(track)["lines"]]
    assert lows == {True: [False, True, False], False: [True, True, True]}


def test_library_is_the_shipped_library_with_mirrors(review):
    client, _ = review
    lib = client.get("/api/library").json()
    shipped = library_json()
    names = {m["name"] for m in shipped["moves"]}
    mirrors = {m["name"] + "~m" for m in shipped["moves"] if m.get("mirror") and m["name"] + "~m" not in names}
    got = {m["name"]: m for m in lib["moves"]}
    assert set(got) == names | mirrors
    for m in shipped["moves"]:
        assert (got[m["name"]]["beats"], got[m["name"]]["energy"]) == (m["beats"], m["energy"])
        assert set(got[m["name"]]["tags"]) == set(m.get("tags", []))
        assert got[m["name"]]["hold"] == ("hold" in m.get("tags", []))
    assert all(got[n]["mirror_of"] == n[:-2] for n in mirrors)


def test_frames_are_jpeg_pictures_of_the_song(review):
    client, _ = review
    n = client.get("/api/session").json()["duration_frames"]
    for f in (0, n // 2, n - 1):
        r = client.get(f"/api/frame/{f}")
        assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
        image = skia.Image.MakeFromEncoded(r.content)
        assert (image.width(), image.height()) == (640, 360)
    assert client.get(f"/api/frame/{n // 2}").content != client.get("/api/frame/0").content
    for bad, status in ((n, 404), (-1, 404), ("abc", 422)):
        r = client.get(f"/api/frame/{bad}")
        assert r.status_code == status and "\n" not in r.json()["error"]


def test_audio_and_waveform_are_the_song(review):
    client, _ = review
    r = client.get("/api/audio")
    assert r.status_code == 200 and r.headers["content-type"] == "audio/ogg"
    assert r.content == SONG.read_bytes()
    part = client.get("/api/audio", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == SONG.read_bytes()[100:200]
    wave = client.get("/api/waveform").json()
    y, sr = sf.read(str(SONG), always_2d=True)
    mono = np.abs(y.mean(axis=1))
    hop = sr // wave["rate_hz"]
    expected = mono[: mono.size // hop * hop].reshape(-1, hop).max(axis=1)
    assert len(wave["peaks"]) == expected.size
    assert np.allclose(wave["peaks"], expected, atol=2e-3)


def test_files_are_listed_and_downloaded(review):
    client, folder = review
    listed = client.get("/api/files").json()
    on_disk = sorted(p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    assert [f["name"] for f in listed] == on_disk
    for f in listed:
        r = client.get(f"/api/files/{f['name']}")
        assert r.status_code == 200 and r.content == (folder / f["name"]).read_bytes()
        assert f["bytes"] == len(r.content) and "attachment" in r.headers["content-disposition"]
    assert next(f for f in listed if f["name"] == "ada.mouth.json")["what"] == "mouth track"


def test_openapi_and_unknown_routes(review):
    client, _ = review
    paths = client.get("/api/openapi.json").json()["paths"]
    for p in ("/api/session", "/api/pins", "/api/library", "/api/frame/{frame}", "/api/audio", "/api/waveform",
              "/api/files", "/api/files/{name}"):
        assert p in paths
    assert client.get("/docs").status_code == 404  # Swagger UI would load its JavaScript from a CDN
    r = client.get("/api/nothing")
    assert r.status_code == 404 and "error" in r.json()
    page = client.get("/")
    assert page.status_code == 200 and "/static/app.js" in page.text
    assert client.get("/static/app.js").status_code == 200 and client.get("/static/nope.js").status_code == 404
    assert "cdn" not in client.get("/static/app.js").text.lower() and "http" not in page.text.lower()


# ------------------------------------------------------------------------------------------------ PUT /api/pins


def test_warming_the_solver_changes_nothing(run_folder, tmp_path):
    folder = tmp_path / "song"
    shutil.copytree(run_folder, folder)
    session = ReviewSession.open(folder)
    before = snapshot(folder)
    session.warm()
    assert session.version == 1 and snapshot(folder) == before


def test_the_same_pins_resolve_to_the_same_choreography(review):
    # The first re-solve reads the run's files, whose numbers are rounded; a fresh choreo run solved from
    # unrounded ones, so it may differ from the run (choreo choreograph on the files differs the same way).
    client, folder = review
    first = client.put("/api/pins", json=pins())
    assert first.status_code == 200 and first.json()["version"] == 2
    again = client.put("/api/pins", json=pins()).json()
    assert again["version"] == 3 and again["changed"] == []
    assert moves_of(again) == moves_of(first.json()) == moves_of(read(folder, "example_song.choreography.json"))
    assert read(folder, "pins.json") == pins()


def test_a_move_pin_resolves_saves_and_redraws_only_what_changed(review, tmp_path):
    client, folder = review
    s0 = client.put("/api/pins", json=pins()).json()  # settled: solved from the files (see the test above)
    n = s0["duration_frames"]
    frames_before = {f: client.get(f"/api/frame/{f}").content for f in range(0, n, 97)}
    at_bar_9 = {m["move"] for m in s0["moves"] if m["bar"] == 9 and m["character"] == "ada"}
    move = next(m["name"] for m in library_json()["moves"] if m["beats"] == 4 and m["name"] not in at_bar_9)
    doc = pins({"type": "move", "move": move, "bar": 9, "character": "ada"})
    r = client.put("/api/pins", json=doc, headers={"If-Match": '"2"'})
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["version"] == 3 and s["pins"] == doc
    placed = [m for m in s["moves"] if m["character"] == "ada" and m["bar"] == 9 and m["beat"] == 1]
    assert [m["move"] for m in placed] == [move] and placed[0]["pinned"]
    assert [m for m in s["moves"] if m["character"] == "bo"] == [m for m in s0["moves"] if m["character"] == "bo"]
    # saved: pins.json is the document, the choreography file is the answer's
    assert read(folder, "pins.json") == doc
    assert moves_of(read(folder, "example_song.choreography.json")) == moves_of(s)
    # the choreograph command makes the same choreography from the saved files
    out = tmp_path / "cli.choreography.json"
    done = run_cli("choreograph", str(folder / "example_song.analysis.json"), "-o", str(out), "--rig", "ada",
                   "--rig", "bo", "--mouth", str(folder / "ada.mouth.json"), "--mouth", str(folder / "bo.mouth.json"),
                   "--pins", str(folder / "pins.json"), "--ensemble", "independent", "-q")
    assert done.returncode == 0, done.stderr
    assert moves_of(read(tmp_path, out.name)) == moves_of(s)
    # frames outside the changed ranges are the same pictures; inside, the pinned bar's frames are not
    changed = s["changed"]
    assert changed and all(a < b for a, b in changed)
    inside = lambda f: any(a <= f < b for a, b in changed)  # noqa: E731
    assert inside(placed[0]["start_frame"])
    kept = [f for f in frames_before if not inside(f)]
    assert kept, "a pin at bar 9 should leave some of the song as it was"
    for f in kept:
        assert client.get(f"/api/frame/{f}").content == frames_before[f]
    redrawn = [f for f in frames_before if inside(f)]
    assert any(client.get(f"/api/frame/{f}").content != frames_before[f] for f in redrawn)
    # removing the pin (what undo sends) gives the run's choreography back
    back = client.put("/api/pins", json=pins()).json()
    assert moves_of(back) == moves_of(s0) and back["version"] == 4


def test_section_pins_and_a_lock(review):
    client, folder = review
    s0 = client.get("/api/session").json()
    hold = {m["name"] for m in library_json()["moves"] if "hold" in m.get("tags", [])}
    section = 2
    sec = s0["sections"][section]
    r = client.put("/api/pins", json=pins({"type": "hold", "section": section, "character": "ada"},
                                          {"type": "energy", "section": 0, "energy": 0.9},
                                          {"type": "style", "section": 1, "tags": ["arms"]}))
    assert r.status_code == 200, r.text
    inside = [m for m in r.json()["moves"] if m["character"] == "ada" and sec["start_frame"] <= m["start_frame"]
              and m["end_frame"] <= sec["end_frame"]]
    assert inside and all(m["move"].removesuffix("~m") in hold for m in inside)
    # a lock keeps ada's keyframes in its frames while a move pin changes the plan around them
    from choreography.model import Choreography
    from choreography.sampling import sample_track

    locked = Choreography.from_dict(read(folder, "example_song.choreography.json"))
    a, b = 400, 700
    bar = next(x["bar"] for x in s0["beats"] if x["beat"] == 1 and x["frame"] > b + 50)
    doc = pins({"type": "lock", "character": "ada", "from_frame": a, "to_frame": b},
               {"type": "move", "move": "star_jump", "bar": bar, "character": "ada"})
    r = client.put("/api/pins", json=doc)
    assert r.status_code == 200, r.text
    new = Choreography.from_dict(read(folder, "example_song.choreography.json"))
    n = new.duration_frames
    moved = False
    for name, track in locked.tracks.items():
        if name.startswith("ada/"):
            old_v, new_v = sample_track(track, n), sample_track(new.tracks[name], n)
            assert np.allclose(old_v[a:b + 1], new_v[a:b + 1], atol=1e-3), name
            moved |= not np.allclose(old_v, new_v, atol=1e-3)
    assert moved


@pytest.mark.parametrize(("pin_list", "message"), [
    ([{"type": "move", "move": "star_jum", "bar": 9}], "unknown move 'star_jum' (did you mean 'star_jump'?)"),
    ([{"type": "move", "move": "star_jump", "bar": 999}], "bar 999 is not in the song"),
    ([{"type": "move", "move": "star_jump", "bar": 9}, {"type": "move", "move": "clap", "bar": 9}],
     "bar 9 is already pinned to 'star_jump'"),
    ([{"type": "hold", "section": 2, "move": "idle_breathe", "character": "ada"},
      {"type": "move", "move": "star_jump", "bar": "FIRST_BAR_OF_SECTION_2", "character": "ada"}],
     "contradicts the other pins"),
    ([{"type": "style", "section": 1, "tags": ["moonwalking"]}], "unknown tag 'moonwalking'"),
    ([{"type": "energy", "section": 99, "energy": 0.5}], "section 99 does not exist"),
    ([{"type": "move", "move": "star_jump", "bar": 9, "character": "zed"}], "unknown characters ['zed']"),
    ([{"type": "teleport"}], "'type' must be one of"),
    ("not a list", "field 'pins' must be a list"),
])
def test_bad_pins_are_400_and_change_nothing(review, pin_list, message):
    client, folder = review
    s0 = client.get("/api/session").json()
    first = next(b["bar"] for b in s0["beats"] if b["beat"] == 1 and b["t"] >= s0["sections"][2]["start"])
    if isinstance(pin_list, list):
        pin_list = [{**p, "bar": first} if p.get("bar") == "FIRST_BAR_OF_SECTION_2" else p for p in pin_list]
    before = snapshot(folder)
    r = client.put("/api/pins", json={"schema": SCHEMA, "pins": pin_list})
    assert r.status_code == 400
    error = r.json()["error"]
    assert message in error and "\n" not in error and error.startswith(str(folder / "pins.json"))
    assert snapshot(folder) == before
    assert client.get("/api/session").json()["version"] == s0["version"]


@pytest.mark.parametrize(("body", "status", "message"), [
    (b'{"schema": "choreo.pins/1", "pins": [', 400, "not valid JSON"),
    (b"\xff\xfe{}", 400, "not valid JSON"),
    (b'{"schema": "choreo.pins/1", "pins": [{"type": "energy", "section": 0, "energy": NaN}]}', 400, "NaN"),
    (b"[1, 2]", 400, "must be a JSON object"),
    (b'{"schema": "choreo.pins/9", "pins": []}', 400, "pins schema is 'choreo.pins/9'"),
    (b" " * (MAX_BODY_BYTES + 1), 413, "over"),
])
def test_malformed_and_oversized_bodies_change_nothing(review, body, status, message):
    client, folder = review
    before = snapshot(folder)
    r = client.put("/api/pins", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == status and message in r.json()["error"]
    assert snapshot(folder) == before


def test_an_oversized_body_without_length_is_413(review):
    client, folder = review
    before = snapshot(folder)

    def chunks():
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b" " * 65536

    r = client.put("/api/pins", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert snapshot(folder) == before


def test_two_tabs_a_stale_version_is_409(review):
    client, folder = review
    version = client.get("/api/session").json()["version"]
    first = pins({"type": "move", "move": "star_jump", "bar": 9, "character": "ada"})
    assert client.put("/api/pins", json=first, headers={"If-Match": f'"{version}"'}).status_code == 200
    before = snapshot(folder)
    r = client.put("/api/pins", json=pins(), headers={"If-Match": f'"{version}"'})
    assert r.status_code == 409 and "another tab" in r.json()["error"]
    assert snapshot(folder) == before and read(folder, "pins.json") == first
    r = client.put("/api/pins", json=pins(), headers={"If-Match": "yesterday"})
    assert r.status_code == 400 and snapshot(folder) == before


def test_writes_without_a_version_are_whole_last_write_wins(review):
    client, folder = review
    docs = [pins({"type": "move", "move": move, "bar": 9, "character": "ada"})
            for move in ("star_jump", "clap", "hip_sway", "idle_breathe")]
    results = []
    threads = [threading.Thread(target=lambda d=d: results.append(client.put("/api/pins", json=d).status_code))
               for d in docs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * len(docs)
    saved = read(folder, "pins.json")
    assert saved in docs
    chor = read(folder, "example_song.choreography.json")
    pinned = saved["pins"][0]["move"]
    assert any(m["move"] == pinned and m["bar"] == 9 and m["character"] == "ada" for m in chor["moves"])
    s = client.get("/api/session").json()
    assert s["version"] == 1 + len(docs) and s["pins"] == saved
    assert not [p for p in folder.iterdir() if ".partial-" in p.name]


# ------------------------------------------------------------------------------------------------ files


def test_nothing_outside_the_folder_is_served(review):
    client, folder = review
    (folder.parent / "secret.txt").write_text("not yours")
    (folder / "escape.txt").symlink_to(folder.parent / "secret.txt")
    (folder / "outside").symlink_to(folder.parent)
    (folder / ".hidden.json").write_text("{}")
    (folder / "sub").mkdir()
    (folder / "sub" / "inside.txt").write_text("fine")
    for name in ("..%2fsecret.txt", "%2e%2e/secret.txt", "%2e%2e%2fsecret.txt", "sub/..%2f..%2fsecret.txt",
                 "%2fetc%2fpasswd", "/etc/passwd", "escape.txt", "outside/secret.txt", ".hidden.json",
                 "sub", "nothing.json", "sub/%2e%2e/%2e%2e/secret.txt"):
        r = client.get(f"/api/files/{name}")
        assert r.status_code == 404, name
        assert "not yours" not in r.text
    assert client.get("/api/files/sub/inside.txt").text == "fine"
    listed = {f["name"] for f in client.get("/api/files").json()}
    assert not listed & {"escape.txt", "outside", ".hidden.json", "sub"}


def test_only_requests_to_the_servers_own_names_are_answered(run_folder, tmp_path):
    folder = tmp_path / "song"
    shutil.copytree(run_folder, folder)
    app = create_app(ReviewSession.open(folder), hosts={"127.0.0.1", "localhost"})
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        assert client.get("/api/session").status_code == 200
        before = snapshot(folder)
        rebound = {"Host": "evil.example:8765"}
        for r in (client.get("/api/files/pins.json", headers=rebound), client.get("/api/session", headers=rebound),
                  client.put("/api/pins", json=pins(), headers=rebound)):
            assert r.status_code == 400 and "'evil.example'" in r.json()["error"]
        assert snapshot(folder) == before


def test_the_song_is_played_only_when_it_is_the_analysed_one(tmp_path):
    from audio.params import AnalysisParams
    from engine.pipeline import Pipeline
    from engine.run import RunInputs, RunParams, run_song

    song = tmp_path / "moved.ogg"
    shutil.copy(SONG, song)
    folder = tmp_path / "run"
    run_song(RunInputs(song=song), folder, RunParams(analysis=AnalysisParams(backend="librosa"), render=False),
             pipeline=Pipeline(cache=tmp_path / "cache"))
    song.unlink()
    with TestClient(create_app(ReviewSession.open(folder))) as client:
        s = client.get("/api/session").json()
        assert s["audio"] is False and client.get("/api/waveform").json()["peaks"] == []
        assert client.get("/api/audio").status_code == 404
        assert [(w["lane"], "not found" in w["text"]) for w in s["warnings"]] == [("waveform", True)]
    tone = np.sin(2 * np.pi * 440 * np.arange(3 * 22050) / 22050) * 0.5
    sf.write(str(folder / "moved.ogg"), tone, 22050)  # beside the artefacts, named like the song: another song
    with TestClient(create_app(ReviewSession.open(folder))) as client:
        s = client.get("/api/session").json()
        assert s["audio"] is False and "is not the analysed song" in s["warnings"][0]["text"]
    shutil.copy(SONG, folder / "moved.ogg")  # the analysed song, moved beside its artefacts
    with TestClient(create_app(ReviewSession.open(folder))) as client:
        assert client.get("/api/session").json()["audio"] is True
        assert client.get("/api/audio").content == SONG.read_bytes()


def test_a_folder_that_is_not_a_run_is_one_clear_error(tmp_path, run_folder):
    from audio.errors import ChoreoError

    with pytest.raises(ChoreoError, match="holds 0 \\*.analysis.json files"):
        ReviewSession.open(tmp_path)
    folder = tmp_path / "song"
    shutil.copytree(run_folder, folder)
    with pytest.raises(ChoreoError, match="made with the move library 'default', not 'mine'"):
        mine = tmp_path / "mine.json"
        mine.write_text(json.dumps({**library_json(), "name": "mine"}))
        ReviewSession.open(folder, moves=mine)


# ------------------------------------------------------------------------------------------------ the command


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_command_errors_are_one_line(run_folder):
    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))
        busy.listen(1)
        port = str(busy.getsockname()[1])
        done = run_cli("review", str(run_folder), "--port", port, "--no-browser")
        assert done.returncode == 2
        assert done.stderr.strip().splitlines() == [f"choreo: error: port {port} on 127.0.0.1 is in use (another "
                                                    "choreo review?); choose another with --port"]
        exposed = run_cli("review", str(run_folder), "--port", port, "--no-browser", "--host", "0.0.0.0")
        lines = exposed.stderr.strip().splitlines()
        assert exposed.returncode == 2 and len(lines) == 2
        assert lines[0].startswith("warning: --host 0.0.0.0 exposes") and "to the network" in lines[0]
    missing = run_cli("review", str(run_folder / "nothing"), "--no-browser")
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "not found" in missing.stderr


def test_command_runs_a_song_then_serves(run_folder, tmp_path):
    import httpx

    port = _free_port()
    env = {**os.environ, "CHOREO_CACHE": str(run_folder.parent / "cache"), "CHOREO_DEBUG": "0"}
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "engine", "review", str(SONG), "-o", str(out), "--port", str(port),
                             "--no-browser", "--backend", "librosa", "-q"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        session = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                session = httpx.get(f"http://127.0.0.1:{port}/api/session", timeout=2).json()
                break
            except httpx.HTTPError:
                time.sleep(0.3)
        assert session is not None, proc.stderr.read() if proc.poll() is not None else "no answer"
        chor = read(out, "example_song.choreography.json")
        assert moves_of(session) == moves_of(chor) and session["characters"] == ["ada"]
        assert not (out / "preview.mp4").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert f"http://127.0.0.1:{port}/" in proc.stderr.read()
