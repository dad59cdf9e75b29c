"""benchmarks/lipsync_real.py runs on one annotated dev song (skipped when ../shared/data/dev is absent)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import dev_set, load_benchmark


def _run(tmp_path, capsys, only: str, aligners: str, table: str) -> tuple[int, list[dict]]:
    """The benchmark on the recordings named ``only`` (no pop mixes): its exit code and the rows of ``table``."""
    out = tmp_path / "rows.json"
    code = load_benchmark("lipsync_real").main(["--only", only, "--aligners", aligners, "--no-mixes",
                                                "--json", str(out)])
    print(capsys.readouterr().out)
    return code, json.loads(out.read_text())[table]


def test_lipsync_real_on_one_song(tmp_path, capsys):
    dev_set("lyrics")
    code, rows = _run(tmp_path, capsys, "nit_song070_f001_007", "auto", "lyrics")
    # The song alone, over a synthesized band (--mix), alone with karaoke timings, and with an LRC file off as a
    # whole (2.5 s late, 3 s early, and their mean).
    assert code == 0 and sorted(r["system"] for r in rows) == ["auto"] * 5 + ["mix"]
    mixed = next(r for r in rows if r["system"] == "mix")
    assert mixed["words"] == "60/60" and mixed["method"].startswith("full mix: ")
    row = next(r for r in rows if r["system"] == "auto" and not r["clip"].startswith("karaoke: "))
    # Every syllable placed, in order; a cappella and phrase-anchored, pronounced as Japanese (the lyrics are
    # romanized), most land within 0.3 s (0.92 measured).
    assert row["words"] == "60/60" and row["method"].startswith("phrase-anchored")
    assert row["within_03"] >= 0.85 and row["mouth_agree"] >= 0.9
    # Every syllable stamped within 0.1 s: each starts at its stamp, and the mouth follows the voice between
    # them (0.982 measured; 0.977 without the stamps).
    karaoke = next(r for r in rows if r["clip"].startswith("karaoke: "))
    assert karaoke["method"].startswith("timed words") and karaoke["within_01"] == 1.0
    assert karaoke["mouth_agree"] >= 0.95
    # The LRC files off as a whole are put back: as near as the song's own alignment (0.077 / 0.050 s measured,
    # 2.1-2.8 s left where they are)
    shifted = [r for r in rows if r["clip"].startswith("LRC ") and r["words"]]
    assert len(shifted) == 2 and all(r["method"].startswith("timed lines") and r["within_03"] >= 0.85
                                     for r in shifted)


def test_lipsync_real_without_the_dev_set(tmp_path, capsys):
    assert load_benchmark("lipsync_real").main(["--dev", str(tmp_path / "absent")]) == 0
    assert "not present" in capsys.readouterr().out


def test_lipsync_real_on_the_solo_voice(tmp_path, capsys):
    dev_set("extra")
    code, rows = _run(tmp_path, capsys, "vocadito_1", "sung", "solo")
    assert code == 0 and [r["system"] for r in rows] == ["sung", "no lyrics"]
    sung = rows[0]
    # Ten lyric lines, ten runs of notes: every line starts within a syllable of its first note (0.09 s mean
    # measured), and the mouth follows the notes better than one that never closes (0.89 against 0.65).
    assert sung["lines"] == 10 and sung["line_err_s"] < 0.3
    assert sung["mouth_agree"] > sung["always_open"] + 0.1


def test_lipsync_real_with_timed_lyrics_over_a_recorded_band(tmp_path, capsys):
    dev_set("lyrics")
    code, rows = _run(tmp_path, capsys, "LRC: 007 over vibe_ace", "auto", "lyrics")
    rows = [r for r in rows if r["clip"].startswith("LRC: ")]
    if not rows:
        pytest.skip("the CC-BY instrumental ../shared/data/real/vibe_ace.ogg is absent")
    # The song over a recorded instrumental, its lyrics as an LRC file stamped within 0.5 s of each line: every
    # line placed between its stamps (0.41 s mean error measured; 0.58 s with plain lyrics).
    (row,) = rows
    assert code == 0 and row["words"] == "60/60" and row["method"].startswith("full mix: timed lines")
    assert row["mean_err_s"] < 1.0 and row["mouth_agree"] > row["always_open"]


def test_lipsync_real_ablation_on_one_song(tmp_path, capsys):
    dev_set("lyrics")
    out = tmp_path / "rows.json"
    assert load_benchmark("lipsync_real").main(["--ablate", "--only", "nit_song070_f001_007", "--json", str(out)]) == 0
    print(capsys.readouterr().out)
    rows = {r["parts"]: r for r in json.loads(out.read_text())["ablation"]}
    # The dry take alone (the other groups' cases are named otherwise).
    assert sorted(rows) == ["all parts", "no anchors", "no detector", "no pitch"]
    assert all(r["material"] == "a cappella (songs, medley)" and r["clips"] == 1 for r in rows.values())
    # Each part switched off changes the result (the same run otherwise): the whole take aligned at once places
    # other word times (0.051 s against 0.056 s measured), voicing by loudness alone another mouth (0.979 / 0.977).
    assert rows["no anchors"]["mean_err_s"] != rows["all parts"]["mean_err_s"]
    assert rows["no pitch"]["mouth_agree"] != rows["all parts"]["mouth_agree"]
