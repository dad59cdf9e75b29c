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
