"""benchmarks/lipsync_real.py runs on one annotated dev song (skipped when ../shared/data/dev is absent)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "data" / "dev"


def _load():
    spec = importlib.util.spec_from_file_location("lipsync_real", ROOT / "benchmarks" / "lipsync_real.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_lipsync_real_on_one_song(tmp_path, capsys):
    if not (DEV / "lyrics").is_dir():
        pytest.skip("../shared/data/dev is not present (the annotated dev set is not distributed)")
    out = tmp_path / "rows.json"
    code = _load().main(["--only", "nit_song070_f001_007", "--aligners", "auto", "--no-mixes", "--json", str(out)])
    print(capsys.readouterr().out)
    rows = json.loads(out.read_text())["lyrics"]
    assert code == 0 and len(rows) == 1
    row = rows[0]
    # Every syllable placed, in order; a cappella and phrase-anchored, most land within 0.3 s.
    assert row["words"] == "60/60" and row["method"].startswith("phrase-anchored")
    assert row["within_03"] >= 0.7 and row["mouth_agree"] >= 0.8


def test_lipsync_real_without_the_dev_set(tmp_path, capsys):
    assert _load().main(["--dev", str(tmp_path / "absent")]) == 0
    assert "not present" in capsys.readouterr().out
