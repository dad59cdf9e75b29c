"""choreo run: stages cached by content hash; changing only the pins re-solves and nothing before it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from audio.params import AnalysisParams
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


PARAMS = RunParams(analysis=AnalysisParams(backend="librosa"), ensemble="canon")


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


def test_cli_run_and_bad_input(tmp_path):
    env_cache = tmp_path / "cache"
    import os

    os.environ["CHOREO_CACHE"] = str(env_cache)
    try:
        res = run_cli("run", str(EX / "example_song.ogg"), "--midi", str(EX / "example_song.mid"), "--backend",
                      "librosa", "-o", str(tmp_path / "out"))
        assert res.returncode == 0, res.stderr
        assert (tmp_path / "out" / "example_song.choreography.json").exists()
        res = run_cli("run", str(tmp_path / "missing.ogg"), "-o", str(tmp_path / "out2"))
        assert res.returncode == 2 and "missing.ogg" in res.stderr
    finally:
        del os.environ["CHOREO_CACHE"]
