"""Golden artefacts: one document of every schema version ever written must keep loading (README: Conventions)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import artifacts

GOLDEN = Path(__file__).with_name("golden")


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*.json")), ids=lambda p: p.name)
def test_golden_document_loads_and_round_trips(path):
    obj = artifacts.load(path)
    doc = json.loads(path.read_text())
    kind, version = artifacts.parse_schema(doc["schema"])
    if version == artifacts.CURRENT[kind] and kind in ("analysis", "mouth", "choreography"):  # written by to_dict
        assert obj.to_dict() == doc, "a current-version golden file must round-trip unchanged"
        text = artifacts.dumps(obj)
        assert json.loads(text) == doc and text == artifacts.dumps(artifacts.load(path))
        lists_of_objects = [k for k, v in doc.items() if isinstance(v, list) and v and isinstance(v[0], dict)]
        for key in lists_of_objects:  # one object per line: the line count grows with the list
            assert text.count("\n") >= len(doc[key]), key


def test_every_current_schema_has_a_golden_file():
    names = {p.name for p in GOLDEN.glob("*.json")}
    for kind, version in artifacts.CURRENT.items():
        assert f"{kind}_v{version}.json" in names
