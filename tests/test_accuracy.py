"""Analysis accuracy on synthesized songs with known beats, bars, meters, tempi and sections.

Scored with mir_eval (tests/accuracy.py); the thresholds are stored in tests/accuracy_thresholds.json.
The table is printed with ``pytest -s`` or by ``python benchmarks/accuracy_report.py``.
"""

import pytest

from tests.accuracy import evaluate, format_table, load_thresholds, mean_row


@pytest.mark.parametrize("backend", ["librosa", "madmom"])
def test_accuracy_on_ground_truth_songs(backend):
    rows = evaluate(backend)
    print("\n" + format_table(backend, rows))
    limits = load_thresholds()[backend]
    mean = mean_row(rows)
    failures = [f"mean {m} = {mean[m]:.3f} < {lo}" for m, lo in limits["mean"].items() if mean[m] < lo]
    for r in rows:
        floors = {**limits["per_case_min"], **limits.get("case_floors", {}).get(r["case"], {})}
        failures += [f"{r['case']}: {m} = {r[m]:.3f} < {lo}" for m, lo in floors.items() if r[m] < lo]
    assert not failures, "\n".join(failures)
