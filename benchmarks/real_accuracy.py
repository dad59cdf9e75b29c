"""Accuracy of the analysis on real recordings with human annotations (../shared/data/dev).

Usage::

    python benchmarks/real_accuracy.py [--dev DIR] [--only NAME ...] [--backends madmom,librosa]
                                       [--no-baseline] [--json OUT.json]

``make bench`` runs it. Per clip and as a mean, for both backends and for madmom's plain pipeline (its RNN
downbeat activations decoded by its DBNDownBeatTrackingProcessor, bars of 3 or 4 beats, as the
``DBNDownBeatTracker`` program does) run in this same script as the baseline:

- ``beats/`` clips: beat F-measure, CMLt, downbeat F-measure and the tempo reading (``ok`` within 4 % of
  the annotated median tempo, ``half``, ``double``, ``3:2``/``2:3`` or ``other``);
- ``sections/`` songs: boundary hit rate F at 0.5 s and 3 s and pairwise label F (mir_eval). madmom has no
  section analysis, so the baseline column is empty there.

The audio is copyrighted and stays in ``../shared``: nothing of it is copied. Without the folder the
script says so and exits 0 (a user's clone has none).
"""

from __future__ import annotations

import functools
import json
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.dev_set import dev_missing, dev_parser  # noqa: E402
from tests.accuracy import score_beats, score_sections  # noqa: E402

BEAT_METRICS = ("beat_f", "cmlt", "downbeat_f")
SECTION_METRICS = ("boundary_hr05", "boundary_hr3", "label_f")


def read_beats(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Beat times and downbeat times of a ``.beats`` file (``time<TAB>beat-in-bar``, 1 = downbeat)."""
    rows = np.loadtxt(path, ndmin=2)
    return rows[:, 0], rows[rows[:, 1] == 1, 0]


def read_sections(path: Path) -> tuple[list[float], list[str]]:
    """Section starts and labels of a ``.sections`` file (``start<TAB>end<TAB>label``).

    Labels are compared case-insensitively, with a trailing number dropped ("verse2" is "verse"), so that
    repeats share a label as mir_eval's pairwise measure expects.
    """
    starts, labels = [], []
    for line in path.read_text().splitlines():
        parts = line.split("\t")
        if len(parts) >= 3:
            starts.append(float(parts[0]))
            labels.append(parts[2].strip().lower().rstrip("0123456789_ "))
    return starts, labels


def tempo_reading(ref_beats_s: np.ndarray, est_beats_s: np.ndarray) -> str:
    """How the estimated tempo relates to the annotated one (medians of the inter-beat intervals)."""
    if est_beats_s.shape[0] < 2:
        return "none"
    ratio = float(np.median(np.diff(ref_beats_s)) / np.median(np.diff(est_beats_s)))
    for name, r in (("ok", 1.0), ("double", 2.0), ("half", 0.5), ("3:2", 1.5), ("2:3", 2 / 3)):
        if abs(ratio / r - 1.0) < 0.04:
            return name
    return "other"


@functools.cache
def _signal_and_activations(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """A recording at the analysis rate and madmom's activations of it (the baseline and the latency table
    both need them: computed once per recording)."""
    from audio import features as F
    from audio.beats import madmom_activations
    from audio.decode import load_audio

    audio = load_audio(path)
    y = F.resample_mono(audio.mono(), audio.sr, F.ANALYSIS_SR)
    return y, madmom_activations(y, F.ANALYSIS_SR)


def madmom_baseline(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Beats and downbeats of madmom's own pipeline: RNNDownBeatProcessor + DBNDownBeatTrackingProcessor."""
    from madmom.features.downbeats import DBNDownBeatTrackingProcessor

    out = DBNDownBeatTrackingProcessor(beats_per_bar=[3, 4], fps=100)(_signal_and_activations(path)[1])
    return out[:, 0], out[out[:, 1] == 1, 0]


def _analyze(path: Path, backend: str):
    from audio.analysis import analyze
    from audio.params import AnalysisParams

    return analyze(path, AnalysisParams(backend=backend))


def _beats_of(analysis) -> tuple[np.ndarray, np.ndarray]:
    return (np.array([b.t for b in analysis.beats]), np.array([b.t for b in analysis.beats if b.beat == 1]))


def evaluate_beats(dev: Path, backends: list[str], baseline: bool, only: set[str]) -> list[dict]:
    """Score every ``beats/`` clip; one row per clip and system."""
    rows = []
    for ann in sorted((dev / "beats").glob("*.beats")):
        if only and ann.stem not in only:
            continue
        audio = ann.with_suffix(".flac")
        ref_b, ref_d = read_beats(ann)
        for name in [*backends, *(["baseline"] if baseline else [])]:
            est_b, est_d = madmom_baseline(audio) if name == "baseline" else _beats_of(_analyze(audio, name))
            rows.append({"clip": ann.stem, "system": name, **score_beats(ref_b, ref_d, est_b, est_d),
                         "tempo": tempo_reading(ref_b, est_b)})
    return rows


def evaluate_sections(dev: Path, backends: list[str], only: set[str]) -> list[dict]:
    """Score every ``sections/`` song; one row per song and backend."""
    rows = []
    for ann in sorted((dev / "sections").glob("*.sections")):
        if only and ann.stem not in only:
            continue
        ref_s, ref_l = read_sections(ann)
        for backend in backends:
            a = _analyze(ann.with_suffix(".flac"), backend)
            est = a.sections
            rows.append({"clip": ann.stem, "system": backend, "n_ref": len(ref_s), "n_est": len(est),
                         **score_sections(ref_s, ref_l, [s.start for s in est], [s.label for s in est],
                                          a.source.duration_s)})
    return rows


def evaluate_latency(dev: Path, only: set[str]) -> list[dict]:
    """How late the onset envelope peaks after madmom's beats and after the annotated beats, per recording."""
    from madmom.features.beats import DBNBeatTrackingProcessor

    from audio import features as F
    from audio.beats import dbn_beats
    from audio.midi import envelope_lag_s

    dbn = DBNBeatTrackingProcessor(fps=100)
    rows = []
    for audio_path in sorted([*(dev / "beats").glob("*.flac"), *(dev / "sections").glob("*.flac")]):
        if only and audio_path.stem not in only:
            continue
        y, act = _signal_and_activations(audio_path)
        feat = F.compute_features(y)
        beats = dbn_beats(dbn, np.clip(act.sum(axis=1), 0.0, 1.0))
        row = {"clip": audio_path.stem, "system": "envelope", "lag_madmom_ms": 1e3 * envelope_lag_s(feat, beats)}
        ann = audio_path.with_suffix(".beats")
        if ann.is_file():
            ref = read_beats(ann)[0]
            row["lag_annotation_ms"] = 1e3 * envelope_lag_s(feat, ref)
            near = np.array([beats[np.argmin(np.abs(beats - t))] - t for t in ref]) if beats.size else np.zeros(0)
            near = near[np.abs(near) < 0.07]
            if near.size:
                row["madmom_vs_annotation_ms"] = 1e3 * float(np.median(near))
        rows.append(row)
    return rows


SHORT = {"beat_f": "F", "cmlt": "CMLt", "downbeat_f": "downF", "tempo": "tempo", "boundary_hr05": "HR.5F",
         "boundary_hr3": "HR3F", "label_f": "pairF", "n_ref": "n_ref", "n_est": "n_est",
         "lag_madmom_ms": "vs madmom", "lag_annotation_ms": "vs annot.", "madmom_vs_annotation_ms": "madmom-ann"}


def format_table(rows: list[dict], metrics: tuple[str, ...], extra: tuple[str, ...] = ()) -> str:
    """Per-clip table with one column group per system (``baseline`` is madmom's plain pipeline), and means."""
    systems = list(dict.fromkeys(r["system"] for r in rows))
    clips = list(dict.fromkeys(r["clip"] for r in rows))
    by = {(r["clip"], r["system"]): r for r in rows}
    cols = [(s, m) for s in systems for m in (*metrics, *extra)]
    head = f"{'clip':38s} " + " ".join(f"{s[:8] + ':' + SHORT[m]:>14s}" for s, m in cols)
    lines = [head, "-" * len(head)]
    for c in clips:
        cells = []
        for s, m in cols:
            v = by.get((c, s), {}).get(m, "")
            cells.append(f"{v:14.3f}" if isinstance(v, float) else f"{v!s:>14s}")
        lines.append(f"{c[:38]:38s} " + " ".join(cells))
    means = []
    for s, m in cols:
        vals = [by[(c, s)][m] for c in clips if (c, s) in by and isinstance(by[(c, s)].get(m), float)]
        means.append(f"{np.mean(vals):14.3f}" if vals else f"{'':14s}")
    lines.append(f"{'mean':38s} " + " ".join(means))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the report; return the exit code."""
    ap = dev_parser(__doc__.split("\n\n")[0], "clip name without suffix (repeatable)")
    ap.add_argument("--backends", default="madmom,librosa")
    ap.add_argument("--no-baseline", action="store_true", help="skip madmom's plain pipeline")
    args = ap.parse_args(argv)
    if dev_missing("real_accuracy", args.dev / "beats"):
        return 0
    warnings.filterwarnings("ignore", module="mir_eval")
    backends = [b for b in args.backends.split(",") if b]
    only = set(args.only)
    beats = evaluate_beats(args.dev, backends, not args.no_baseline, only)
    sections = evaluate_sections(args.dev, backends, only)
    latency = evaluate_latency(args.dev, only)
    if beats:
        print(f"== beats and downbeats on real recordings ({args.dev / 'beats'})")
        print(format_table(beats, BEAT_METRICS, ("tempo",)))
        print()
    if sections:
        print(f"== sections on real recordings ({args.dev / 'sections'})")
        print(format_table(sections, SECTION_METRICS, ("n_ref", "n_est")))
    if latency:
        from audio.features import ENVELOPE_LATENCY_S

        print()
        print("== onset-envelope latency, ms: its peaks after madmom's beats, after the annotated beats, and madmom's\n"
              "   beats after the annotated ones (the annotations carry a per-clip constant offset, 10-20 ms residual)")
        print(format_table(latency, ("lag_madmom_ms", "lag_annotation_ms", "madmom_vs_annotation_ms")))
        med = np.median([r["lag_madmom_ms"] for r in latency])
        print(f"median lag after madmom's beats {med:.0f} ms; audio.features.ENVELOPE_LATENCY_S = "
              f"{1e3 * ENVELOPE_LATENCY_S:.0f} ms")
    if args.json:
        args.json.write_text(json.dumps({"beats": beats, "sections": sections, "latency": latency}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
