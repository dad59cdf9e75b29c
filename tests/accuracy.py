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

from tests.material.synth import SongSpec, synthesize

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


def score_beats(ref_beats_s, ref_downbeats_s, est_beats_s, est_downbeats_s) -> dict[str, float]:
    """Beat F-measure, CMLt and downbeat F-measure (mir_eval; the first 5 s are ignored, as mir_eval does).

    Returns a dict with ``beat_f``, ``cmlt``, ``downbeat_f`` and ``beat_err_ms`` (the mean absolute error
    of the estimated beats within 70 ms of a reference beat, in milliseconds; 70 when none is).
    """
    import mir_eval

    ref = mir_eval.beat.trim_beats(np.asarray(ref_beats_s, dtype=float))
    est = mir_eval.beat.trim_beats(np.asarray(est_beats_s, dtype=float))
    _, cmlt, _, _ = mir_eval.beat.continuity(ref, est)
    down_f = mir_eval.beat.f_measure(mir_eval.beat.trim_beats(np.asarray(ref_downbeats_s, dtype=float)),
                                     mir_eval.beat.trim_beats(np.asarray(est_downbeats_s, dtype=float)))
    near = [x - ref[np.argmin(np.abs(ref - x))] for x in est] if ref.size else []
    matched = [d for d in near if abs(d) < 0.07]
    return {"beat_f": mir_eval.beat.f_measure(ref, est), "cmlt": cmlt, "downbeat_f": down_f,
            "beat_err_ms": 1000 * float(np.mean(np.abs(matched))) if matched else 70.0}


def score_sections(ref_bounds_s, ref_labels, est_bounds_s, est_labels, duration_s: float) -> dict[str, float]:
    """Section boundary hit rate F at 0.5 s and 3 s and pairwise label F (mir_eval).

    Parameters are section start times (each list starts at the first section; the last section ends at
    ``duration_s``) with one label per section. The song's start and end are not counted as boundaries.
    """
    import mir_eval

    def intervals(starts):
        edges = np.append(np.asarray(starts, dtype=float), duration_s)
        edges[0] = 0.0
        return np.column_stack([edges[:-1], edges[1:]])

    ref_iv, est_iv = intervals(ref_bounds_s), intervals(est_bounds_s)
    out = {}
    for name, window in (("boundary_hr05", 0.5), ("boundary_hr3", 3.0)):
        if len(ref_iv) > 1 and len(est_iv) > 1:
            out[name] = mir_eval.segment.detection(ref_iv, est_iv, window=window, trim=True)[2]
        else:
            out[name] = float(len(ref_iv) == 1 and len(est_iv) == 1)
    out["label_f"] = mir_eval.segment.pairwise(ref_iv, list(ref_labels), est_iv, list(est_labels))[2]
    return out


def score(analysis, song) -> dict[str, float]:
    """Score one analysis against its synthesized ground truth.

    Returns a dict with every name in ``METRICS`` (0..1; meter_ok and tempo_ok are 0 or 1; beat_err_ms is
    the mean absolute error of the beats within 70 ms of a true beat, in milliseconds).
    """
    beats = score_beats(song.beats_s, song.downbeats_s, [b.t for b in analysis.beats],
                        [b.t for b in analysis.beats if b.beat == 1])
    true_bpm = float(np.median(song.tempo_bpm))
    tempo_ok = float(abs(analysis.tempo.bpm - true_bpm) / true_bpm < 0.04)
    sections = score_sections(np.concatenate([[0.0], song.boundaries_s[1:-1]]), song.section_labels,
                              [s.start for s in analysis.sections], [s.label for s in analysis.sections],
                              song.duration_s)
    return {**beats, "meter_ok": float(analysis.meter.time_signature == song.time_signature), "tempo_ok": tempo_ok,
            "boundary_hr3": sections["boundary_hr3"], "label_f": sections["label_f"]}


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
