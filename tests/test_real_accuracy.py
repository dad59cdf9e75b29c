"""benchmarks/real_accuracy.py runs on two annotated dev clips (skipped when ../shared/data/dev is absent)."""

from __future__ import annotations

import json

from tests.conftest import dev_set, load_benchmark


def test_real_accuracy_report_on_two_clips(tmp_path, capsys):
    dev_set("beats")
    ra = load_benchmark("real_accuracy")
    out = tmp_path / "rows.json"
    code = ra.main(["--only", "beatles_06_07_Michelle", "--only", "sargon_mindless_cut", "--json", str(out)])
    printed = capsys.readouterr().out
    print(printed)
    assert code == 0 and "beatles_06_07_Michelle" in printed and "sargon_mindless_cut" in printed
    rows = json.loads(out.read_text())
    beats = {r["system"]: r for r in rows["beats"]}
    assert set(beats) == {"madmom", "librosa", "baseline"}
    # A clear 4/4 song with drums: every system finds the beats; ours and madmom's find the bars.
    for system in ("madmom", "baseline"):
        assert beats[system]["beat_f"] > 0.9 and beats[system]["downbeat_f"] > 0.9 and beats[system]["tempo"] == "ok"
    sections = {r["system"]: r for r in rows["sections"]}
    assert set(sections) == {"madmom", "librosa"}
    assert all(0.0 <= r["boundary_hr3"] <= 1.0 and r["n_est"] >= 2 for r in sections.values())
    # The onset envelope's latency after madmom's beats, per recording, is near the calibrated constant.
    from audio.features import ENVELOPE_LATENCY_S

    lags = {r["clip"]: r["lag_madmom_ms"] for r in rows["latency"]}
    assert set(lags) == {"beatles_06_07_Michelle", "sargon_mindless_cut"}
    assert all(abs(v - 1e3 * ENVELOPE_LATENCY_S) <= 15.0 for v in lags.values())


def test_real_accuracy_without_the_dev_set(tmp_path, capsys):
    assert load_benchmark("real_accuracy").main(["--dev", str(tmp_path / "absent")]) == 0
    assert "not present" in capsys.readouterr().out
