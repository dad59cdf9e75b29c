"""Lip-sync accuracy on espeak-ng speech and sung-like speech with exact phoneme times."""

import json

import numpy as np

from tests.lipsync_accuracy import THRESHOLDS, evaluate, format_table


def test_lipsync_accuracy():
    rows = evaluate()
    print("\n" + format_table(rows))
    limits = json.loads(THRESHOLDS.read_text())
    auto = [r for r in rows if r["aligner"] == "auto"]
    sung = [r for r in rows
            if r["aligner"] == "sung" and r["case"].startswith("sunglike") and "backing" not in r["case"]]
    failures = []
    for m, lo in limits["auto"].items():
        if m.endswith("_max"):
            v = np.mean([r[m[:-4]] for r in auto])
            failures += [f"auto mean {m[:-4]} = {v:.3f} > {lo}"] if v > lo else []
        else:
            v = np.mean([r[m] for r in auto])
            failures += [f"auto mean {m} = {v:.3f} < {lo}"] if v < lo else []
    for m, lo in limits["sung"].items():
        v = np.mean([r[m] for r in sung])
        failures += [f"sung mean {m} = {v:.3f} < {lo}"] if v < lo else []
    assert not failures, "\n".join(failures)
