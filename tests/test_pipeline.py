"""choreo run: stages cached by content hash; changing only the pins re-solves and nothing before it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from audio.params import AnalysisParams
from choreography.params import SolveParams
from engine.pipeline import Pipeline, cache_key
from engine.run import RunInputs, RunParams, run_song
from tests.conftest import ROOT, run_cli

EX = ROOT / "examples"


def _inputs(tmp_path, pins=None):
    song = tmp_path / "song.ogg"
    if not song.exists():
        shutil.copy(EX / "example_song.ogg", song)
        shutil.copy(EX / "example_song.mid", tmp_path / "song.mid")
    return RunInputs(song=song, midi=tmp_path / "song.mid", rigs=("ada", "bo"), pins=pins)


PARAMS = RunParams(analysis=AnalysisParams(backend="librosa"), solve=SolveParams(ensemble="canon"),
                   render=False)


def test_cache_skips_unchanged_stages_and_pins_only_resolve(tmp_path):
    cache = tmp_path / "cache"
    first = Pipeline(cache=cache)
    out = run_song(_inputs(tmp_path), tmp_path / "out", PARAMS, pipeline=first)
    assert [c for _, c, _ in first.log] == [False, False]
    again = Pipeline(cache=cache)
    run_song(_inputs(tmp_path), tmp_path / "out", PARAMS, pipeline=again)
    assert [c for _, c, _ in again.log] == [True, True]
    pins = tmp_path / "pins.json"
    pins.write_text(json.dumps({"schema": "choreo.pins/1", "pins": [{"type": "move", "move": "bow", "bar": 5}]}))
    pinned = Pipeline(cache=cache)
    out = run_song(_inputs(tmp_path, pins), tmp_path / "out", PARAMS, pipeline=pinned)
    assert [(n, c) for n, c, _ in pinned.log] == [("analyze", True), ("choreograph", False)]
    doc = json.loads(Path(out["choreography"]).read_text())
    assert any(m["move"] == "bow" and m["bar"] == 5 for m in doc["moves"])


def test_same_content_under_another_name_hits_the_cache(tmp_path):
    cache = tmp_path / "cache"
    run_song(_inputs(tmp_path), tmp_path / "o1", PARAMS, pipeline=Pipeline(cache=cache))
    other = tmp_path / "renamed"
    other.mkdir()
    shutil.copy(tmp_path / "song.ogg", other / "b.ogg")
    shutil.copy(tmp_path / "song.mid", other / "b.mid")
    pipe = Pipeline(cache=cache)
    run_song(RunInputs(song=other / "b.ogg", midi=other / "b.mid", rigs=("ada", "bo")), tmp_path / "o2", PARAMS,
             pipeline=pipe)
    assert pipe.log[0][:2] == ("analyze", True)


def test_damaged_cache_entry_is_recomputed(tmp_path):
    cache = tmp_path / "cache"
    run_song(_inputs(tmp_path), tmp_path / "o", PARAMS, pipeline=Pipeline(cache=cache))
    for p in (cache / "analyze").glob("*.json"):
        p.write_text("{broken")
    pipe = Pipeline(cache=cache)
    run_song(_inputs(tmp_path), tmp_path / "o", PARAMS, pipeline=pipe)
    assert pipe.log[0][:2] == ("analyze", False)


def test_cache_key_depends_on_params_and_inputs():
    a = cache_key("analyze", "1", {"song": "x"}, AnalysisParams())
    assert a == cache_key("analyze", "1", {"song": "x"}, AnalysisParams())
    assert a != cache_key("analyze", "1", {"song": "y"}, AnalysisParams())
    assert a != cache_key("analyze", "1", {"song": "x"}, AnalysisParams(backend="librosa"))
    assert a != cache_key("analyze", "2", {"song": "x"}, AnalysisParams())


def _short_song(tmp_path):
    import soundfile as sf

    from tests.material.synth import SongSpec, synthesize, write_midi

    song = synthesize(SongSpec(form=(("verse", 4), ("chorus", 4)), bpm=120, seed=2))
    sf.write(str(tmp_path / "short.wav"), song.y, song.sr)
    write_midi(song, tmp_path / "short.mid")
    return tmp_path / "short.wav", tmp_path / "short.mid", song.duration_s


def test_cli_run_renders_a_synced_preview(tmp_path, monkeypatch):
    import subprocess

    wav, mid, dur = _short_song(tmp_path)
    monkeypatch.setenv("CHOREO_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "out"
    res = run_cli("run", str(wav), "--midi", str(mid), "--backend", "librosa", "--rig", "ada", "--rig", "bo",
                  "-o", str(out))
    assert res.returncode == 0, res.stderr
    for name in ("short.analysis.json", "short.choreography.json", "preview.mp4", "contact_sheet.png"):
        assert (out / name).exists(), name
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,nb_frames,duration,pix_fmt",
                            "-of", "json", str(out / "preview.mp4")], capture_output=True, text=True, check=True)
    streams = {s["codec_type"]: s for s in json.loads(probe.stdout)["streams"]}
    assert int(streams["video"]["nb_frames"]) == round(dur * 24)
    assert streams["video"]["pix_fmt"] == "yuv420p"
    assert abs(float(streams["audio"]["duration"]) - float(streams["video"]["duration"])) < 0.05
    res = run_cli("run", str(wav), "--midi", str(mid), "--backend", "librosa", "--rig", "ada", "--rig", "bo",
                  "-o", str(out))
    assert res.returncode == 0 and res.stdout.count("yes") == 3  # analyze, choreograph and render reused
    res = run_cli("run", str(tmp_path / "missing.ogg"), "-o", str(tmp_path / "out2"))
    assert res.returncode == 2 and "missing.ogg" in res.stderr


def test_run_honours_lock_pins_and_every_choreograph_option(tmp_path, monkeypatch):
    """`choreo run` takes every option of `choreo choreograph`; a lock pin keeps the folder's last dance."""
    from choreography.sampling import sample_track
    from engine import artifacts

    monkeypatch.setenv("CHOREO_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "out"
    _inputs(tmp_path)
    base = ("run", str(tmp_path / "song.ogg"), "-o", str(out), "--midi", str(tmp_path / "song.mid"),
            "--backend", "librosa", "--rig", "ada", "--rig", "bo", "--size", "320x180", "--seed", "3",
            "--variation", "0.5", "--mirror-repeats", "--ensemble", "canon", "--canon-beats", "1")
    pins = tmp_path / "pins.json"
    pins.write_text(json.dumps({"schema": "choreo.pins/1", "pins": [
        {"type": "lock", "character": "ada", "from_frame": 24, "to_frame": 240}]}))
    res = run_cli(*base, "--pins", str(pins))
    assert res.returncode == 2 and "run once without the lock pins first" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr
    res = run_cli(*base)
    assert res.returncode == 0, res.stderr
    chor = out / "song.choreography.json"
    first = artifacts.load(chor)
    prov = json.loads(chor.read_text())["provenance"]
    assert (prov["seed"], prov["params"]["variation"], prov["params"]["mirror_repeats"],
            prov["params"]["canon_beats"]) == (3, 0.5, True, 1)
    pins.write_text(json.dumps({"schema": "choreo.pins/1", "pins": [
        {"type": "lock", "character": "ada", "from_frame": 24, "to_frame": 240},
        {"type": "energy", "section": 0, "energy": 0.05}]}))
    res = run_cli(*base, "--pins", str(pins), "--seed", "4")
    assert res.returncode == 0, res.stderr
    second = artifacts.load(chor)
    kept = [k for k in first.tracks if k.startswith("ada/")]
    assert "ada/root.x" in kept and "ada/l_upper_arm.rot" in kept
    for name in kept:  # equal up to the artefact's stored precision (values are written to 3 decimals)
        np.testing.assert_allclose(sample_track(first.tracks[name], 241)[24:241],
                                   sample_track(second.tracks[name], 241)[24:241], atol=1e-3, err_msg=name)


def test_render_is_a_pipeline_stage(tmp_path):
    """The render stage is keyed like the others: redone when what it draws changes, reused otherwise."""
    params = RunParams(analysis=AnalysisParams(backend="librosa"), solve=SolveParams(ensemble="canon"),
                       size="160x90")
    cache = tmp_path / "cache"
    first = Pipeline(cache=cache)
    out = run_song(_inputs(tmp_path), tmp_path / "out", params, pipeline=first)
    assert [n for n, _, _ in first.log][-1] == "render" and out["preview"].exists()
    again = Pipeline(cache=cache)
    run_song(_inputs(tmp_path), tmp_path / "out", params, pipeline=again)
    assert again.log[-1][:2] == ("render", True)
    bigger = Pipeline(cache=cache)
    run_song(_inputs(tmp_path), tmp_path / "out", RunParams(analysis=params.analysis, solve=params.solve,
                                                            size="192x108"), pipeline=bigger)
    assert bigger.log[-1][:2] == ("render", False)
    out["preview"].unlink()  # a file gone from the folder: drawn again
    gone = Pipeline(cache=cache)
    run_song(_inputs(tmp_path), tmp_path / "out", RunParams(analysis=params.analysis, solve=params.solve,
                                                            size="192x108"), pipeline=gone)
    assert gone.log[-1][:2] == ("render", False) and out["preview"].exists()


def test_a_redrawn_part_renders_again(tmp_path):
    """The render key holds what each rig looks like: a part image re-drawn under the same name is drawn again,
    while the choreography (the same bones) stays cached."""
    from PIL import Image

    rigs = ROOT / "choreography" / "data" / "rigs"
    shutil.copy(rigs / "pip.json", tmp_path / "pip.json")
    shutil.copytree(rigs / "pip", tmp_path / "pip")
    inputs = RunInputs(song=_inputs(tmp_path).song, midi=tmp_path / "song.mid", rigs=(str(tmp_path / "pip.json"),))
    params = RunParams(analysis=AnalysisParams(backend="librosa"), size="160x90")
    cache = tmp_path / "cache"
    run_song(inputs, tmp_path / "out", params, pipeline=Pipeline(cache=cache))
    again = Pipeline(cache=cache)
    run_song(inputs, tmp_path / "out", params, pipeline=again)
    assert again.log[-1][:2] == ("render", True)
    part = next(iter(sorted((tmp_path / "pip").glob("*.png"))))
    with Image.open(part) as im:
        Image.eval(im.convert("RGBA"), lambda v: 255 - v).save(part)
    redrawn = Pipeline(cache=cache)
    run_song(inputs, tmp_path / "out", params, pipeline=redrawn)
    steps = {name: hit for name, hit, _ in redrawn.log}
    assert steps["choreograph"] is True and steps["render"] is False


def test_a_fresh_run_solves_what_its_files_hold(tmp_path):
    """The choreography of a fresh run is the one solving its own published analysis gives (stages pass on what
    they saved, rounded as saved, not the unrounded objects in memory)."""
    from choreography.moves import load_moves
    from choreography.pins import Pins
    from choreography.rig import dancers
    from choreography.solver import solve
    from engine import artifacts

    out = run_song(_inputs(tmp_path), tmp_path / "out", PARAMS, pipeline=Pipeline(cache=tmp_path / "cache"))
    again = solve(artifacts.load(out["analysis"]), dancers(("ada", "bo")), load_moves(), Pins(), PARAMS.solve)
    published = json.loads(Path(out["choreography"]).read_text())
    mine = json.loads(json.dumps(again.to_dict()))
    assert published["moves"] == mine["moves"] and published["tracks"] == mine["tracks"]


def test_cli_run_without_render(tmp_path, monkeypatch):
    monkeypatch.setenv("CHOREO_CACHE", str(tmp_path / "cache"))
    res = run_cli("run", str(_inputs(tmp_path).song), "-o", str(tmp_path / "out"), "--backend", "librosa",
                  "--no-render", "-q")
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["song.analysis.json", "song.choreography.json"]
