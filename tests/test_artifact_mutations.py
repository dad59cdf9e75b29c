"""Malformed artefacts: every mutation of a valid document either loads or fails with one ChoreoError."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from audio.errors import ChoreoError
from engine import artifacts
from tests.conftest import run_cli

GOLDEN = Path(__file__).resolve().parent / "golden"
MUTATIONS = ("drop", None, "x", [], {}, float("nan"), -1)


def _paths(d, path=()):
    """Every field down to depth 4 (the first item of each list stands for the rest)."""
    items = d.items() if isinstance(d, dict) else ([(0, d[0])] if isinstance(d, list) and d else [])
    for k, v in items:
        if len(path) < 4:
            yield (*path, k)
            yield from _paths(v, (*path, k))


def _mutated(doc, path, mut):
    out = copy.deepcopy(doc)
    cur = out
    for p in path[:-1]:
        cur = cur[p]
    if mut == "drop":
        del cur[path[-1]]
    else:
        cur[path[-1]] = mut
    return out


@pytest.mark.parametrize("name", ["analysis_v1.json", "mouth_v1.json", "choreography_v1.json"])
def test_every_mutation_loads_or_fails_with_one_error(name, tmp_path):
    doc = artifacts.upgrade(json.loads((GOLDEN / name).read_text()))
    target = tmp_path / name
    failed = 0
    for path in _paths(doc):
        for mut in MUTATIONS:
            target.write_text(json.dumps(_mutated(doc, path, mut)))
            try:
                artifacts.load(target)
            except ChoreoError as exc:
                failed += 1
                assert str(target) in str(exc) and "\n" not in str(exc)
    assert failed > 50  # the mutations do break documents; each break was reported, none crashed


def test_a_malformed_artefact_is_one_line_on_the_command_line(tmp_path):
    doc = artifacts.upgrade(json.loads((GOLDEN / "mouth_v1.json").read_text()))
    doc["words"] = [None]
    bad = tmp_path / "bad.mouth.json"
    bad.write_text(json.dumps(doc))
    res = run_cli("inspect", str(bad))
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert res.stderr.startswith("choreo: error:") and len(res.stderr.strip().splitlines()) == 1


# -- every command that reads a document, on Hypothesis-mutated documents of every kind ------------------------

G = {k: GOLDEN / f"{k}_v1.json" for k in artifacts.KINDS}
# The commands that read each kind (the other inputs valid), run in-process through the console entry point.
READERS = {
    "analysis": [["inspect", "{doc}"], ["quality", str(G["choreography"]), "--analysis", "{doc}"],
                 ["choreograph", "{doc}", "-o", "{out}/c.choreography.json"]],
    "mouth": [["inspect", "{doc}"], ["choreograph", str(G["analysis"]), "-o", "{out}/c.choreography.json",
                                     "--mouth", "{doc}"]],
    "choreography": [["inspect", "{doc}"], ["quality", "{doc}", "--analysis", str(G["analysis"])],
                     ["render", "{doc}", "-o", "{out}/r", "--size", "64x36"]],
    "rig": [["inspect", "{doc}"], ["choreograph", str(G["analysis"]), "-o", "{out}/c.choreography.json",
                                   "--rig", "{doc}"]],
    "moves": [["inspect", "{doc}"], ["choreograph", str(G["analysis"]), "-o", "{out}/c.choreography.json",
                                     "--moves", "{doc}"]],
    "pins": [["inspect", "{doc}"], ["choreograph", str(G["analysis"]), "-o", "{out}/c.choreography.json",
                                    "--moves", str(G["moves"]), "--pins", "{doc}", "--previous",
                                    str(G["choreography"])]],
    "mouth-shapes": [["inspect", "{doc}"]],
    "rig-map": [["inspect", "{doc}"]],
    "render": [["inspect", "{doc}"]],
    "crowd": [["inspect", "{doc}"]],
}
FUZZ_MUTATIONS = ("drop", None, "x", "", [], [None], {}, float("nan"), float("inf"), -1, 0, True)


def _run_main(args: list[str]) -> tuple[int, str]:
    """``choreo ARGS`` in this process: (exit code, stderr)."""
    import contextlib
    import io
    import sys

    from engine.cli import main

    err = io.StringIO()
    code = 0
    old = sys.argv
    sys.argv = ["choreo", *args]
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = old
    return code, err.getvalue()


def test_every_kind_has_readers_listed():
    assert set(READERS) == set(artifacts.KINDS)


@pytest.mark.parametrize("kind", sorted(READERS))
def test_commands_never_crash_on_mutated_documents(kind, tmp_path):
    import tempfile

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    doc = json.loads(G[kind].read_text())
    paths = list(_paths(doc))
    outcome = {"ok": 0, "error": 0}
    for args in READERS[kind]:  # the document itself passes every reader: a validator refusing all would not
        code, err = _run_main([a.format(doc=G[kind], out=tmp_path) for a in args])
        assert code == 0, (args, err)

    @settings(max_examples=60, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(path=st.sampled_from(paths), mut=st.sampled_from(FUZZ_MUTATIONS))
    def check(path, mut):
        with tempfile.TemporaryDirectory(dir=tmp_path) as d:
            target = Path(d) / G[kind].name
            target.write_text(json.dumps(_mutated(doc, path, mut)))
            for args in READERS[kind]:
                code, err = _run_main([a.format(doc=target, out=d) for a in args])
                assert "Traceback" not in err
                if code == 0:
                    outcome["ok"] += 1
                else:
                    assert code == 2, (args, err)
                    lines = err.strip().splitlines()
                    assert len(lines) == 1 and lines[0].startswith("choreo: error:"), (path, mut, args, err)
                    outcome["error"] += 1

    check()
    print(f"{kind}: {outcome}")  # documents tried per kind, commands that worked and that refused (pytest -s)
    assert outcome["error"] > 0  # the mutations do break documents, and each break was one line
