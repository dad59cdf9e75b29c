"""Ground-truth material and scoring for the analysis stage (used by tests and the accuracy report).

Each case is a synthesized song with known beats, bars, meter, tempo and sections; the analysis is
scored with mir_eval: beat F-measure and CMLt, downbeat F-measure, meter and tempo correctness,
section boundary hit rate at 3 s and pairwise label agreement.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from audio.synth import SongSpec, synthesize

THRESHOLDS = Path(__file__).with_name("accuracy_thresholds.json")

_FORM_SHORT = (("intro", 4), ("verse", 4), ("chorus", 4), ("verse", 4), ("chorus", 4), ("outro", 4))
_FORM = (("intro", 4), ("verse", 8), ("chorus", 8), ("verse", 8), ("chorus", 8), ("outro", 4))
_FORM_3 = (("intro", 4), ("verse", 8), ("chorus", 8), ("verse", 8), ("chorus", 8))

CASES: dict[str, SongSpec] = {
    "70bpm": SongSpec(form=_FORM_SHORT, bpm=70, seed=1),
    "90bpm": SongSpec(form=_FORM_SHORT, bpm=90, seed=2),
    "120bpm": SongSpec(form=_FORM, bpm=120, seed=3),
    "150bpm": SongSpec(form=_FORM, bpm=150, seed=4),
    "180bpm": SongSpec(form=_FORM, bpm=180, seed=5),
    "ramp_90_130": SongSpec(form=_FORM, bpm=90, bpm_end=130, seed=6),
    "waltz_3_4": SongSpec(form=_FORM_3, bpm=120, beats_per_bar=3, seed=7),
    "compound_6_8": SongSpec(form=_FORM, bpm=66, beats_per_bar=2, subdivision=3, seed=8),
    "march_2_4": SongSpec(form=_FORM, bpm=110, beats_per_bar=2, seed=9),
    "swing": SongSpec(form=_FORM_SHORT, bpm=130, swing=0.167, seed=10),
    "syncopated": SongSpec(form=_FORM, bpm=100, syncopation=True, seed=11),
    "pickup": SongSpec(form=_FORM, bpm=116, pickup_beats=1, lead_in_s=0.5, seed=12),
    "no_drums": SongSpec(form=_FORM_SHORT, bpm=96, drums=False, seed=13),
    "through_composed": SongSpec(form=(("other1", 8), ("other2", 8), ("other3", 8), ("other4", 8)), bpm=124,
                                 seed=14),
}

METRICS = ("beat_f", "cmlt", "downbeat_f", "meter_ok", "tempo_ok", "boundary_hr3", "label_f", "beat_err_ms")


def score(analysis, song) -> dict[str, float]:
    """Score one analysis against its synthesized ground truth.

    Returns a dict with every name in ``METRICS`` (0..1; meter_ok and tempo_ok are 0 or 1; beat_err_ms is
    the mean absolute error of the beats within 70 ms of a true beat, in milliseconds).
    """
    import mir_eval

    est_beats = np.array([b.t for b in analysis.beats])
    est_down = np.array([b.t for b in analysis.beats if b.beat == 1])
    ref_beats = mir_eval.beat.trim_beats(song.beats_s)
    beats_t = mir_eval.beat.trim_beats(est_beats)
    beat_f = mir_eval.beat.f_measure(ref_beats, beats_t)
    _, cmlt, _, _ = mir_eval.beat.continuity(ref_beats, beats_t)
    down_f = mir_eval.beat.f_measure(mir_eval.beat.trim_beats(song.downbeats_s), mir_eval.beat.trim_beats(est_down))
    true_bpm = float(np.median(song.tempo_bpm))
    tempo_ok = float(abs(analysis.tempo.bpm - true_bpm) / true_bpm < 0.04)
    dur = song.duration_s
    ref_b = np.concatenate([[0.0], song.boundaries_s[1:-1], [dur]])
    ref_iv = np.column_stack([ref_b[:-1], ref_b[1:]])
    est_iv = np.array([[s.start, s.end] for s in analysis.sections])
    est_iv[-1, 1] = dur
    if len(ref_b) > 2 and len(est_iv) > 1:
        _, _, hr3 = mir_eval.segment.detection(ref_iv, est_iv, window=3.0, trim=True)
    else:
        hr3 = float(len(ref_b) <= 2 and len(est_iv) == 1)
    _, _, label_f = mir_eval.segment.pairwise(ref_iv, list(song.section_labels), est_iv,
                                              [s.label for s in analysis.sections])
    near = [x - ref_beats[np.argmin(np.abs(ref_beats - x))] for x in beats_t] if ref_beats.size else []
    matched = [d for d in near if abs(d) < 0.07]
    return {"beat_f": beat_f, "cmlt": cmlt, "downbeat_f": down_f,
            "beat_err_ms": 1000 * float(np.mean(np.abs(matched))) if matched else 70.0,
            "meter_ok": float(analysis.meter.time_signature == song.time_signature), "tempo_ok": tempo_ok,
            "boundary_hr3": hr3, "label_f": label_f}


def evaluate(backend: str, cases: dict[str, SongSpec] | None = None) -> list[dict]:
    """Synthesize every case, analyse it with ``backend`` and score it.

    Returns one row per case: name, the metrics, the detected meter and tempo, and analysis seconds.
    """
    from audio.analysis import analyze
    from audio.params import AnalysisParams

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, spec in (cases or CASES).items():
            song = synthesize(spec)
            path = Path(tmp) / f"{name}.wav"
            sf.write(str(path), song.y, song.sr)
            t0 = time.perf_counter()
            a = analyze(path, AnalysisParams(backend=backend))
            secs = time.perf_counter() - t0
            row = {"case": name, **score(a, song), "meter": a.meter.time_signature, "true_meter": song.time_signature,
                   "bpm": a.tempo.bpm, "true_bpm": float(np.median(song.tempo_bpm)), "seconds": secs}
            rows.append(row)
    return rows


def mean_row(rows: list[dict]) -> dict[str, float]:
    """Mean of every metric over the rows."""
    return {m: float(np.mean([r[m] for r in rows])) for m in METRICS}


def load_thresholds() -> dict:
    """The stored thresholds: ``{backend: {"mean": {metric: min}, "per_case": {case: {metric: min}}}}``."""
    return json.loads(THRESHOLDS.read_text())


def format_table(backend: str, rows: list[dict]) -> str:
    """A plain-text table of the rows and their means."""
    head = f"{'case':18s} " + " ".join(f"{m:>12s}" for m in METRICS) + f" {'meter est/true':>14s} {'bpm est/true':>14s}"
    lines = [f"backend: {backend}", head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['case']:18s} " + " ".join(f"{r[m]:12.3f}" for m in METRICS)
                     + f" {r['meter']:>7s}/{r['true_meter']:<6s} {r['bpm']:7.1f}/{r['true_bpm']:<6.1f}")
    mean = mean_row(rows)
    lines.append(f"{'mean':18s} " + " ".join(f"{mean[m]:12.3f}" for m in METRICS))
    return "\n".join(lines)
