"""Benchmark a full ``choreo run`` (analysis, choreography, 720p preview with audio, contact sheet) on a
3-minute song, per stage, against the target of <= 45 s on 2 cores.

The song is the example song looped to 3 minutes, built at run time in a temporary folder (no audio is kept).
Each backend is first run on a 20 s cut of it (imports, numba compiling or loading its on-disk cache, model
files read), then timed in a fresh process with an empty stage cache, so every stage really runs. The child
makes the call ``choreo run`` makes (:func:`engine.run.run_song`) and reports the stage times it logs; the
total is the child process's wall time seen from outside (start-up and imports included). CPU time counts
the child and its ffmpeg processes; the CPU time other processes took meanwhile (from /proc/stat) shows
how much of the wall time went to sharing the cores.

Usage: python benchmarks/bench_run.py [--seconds 180] [--repeat 1] [--backend madmom --backend librosa]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_S = 45.0
_CHILD = """
import json, sys
from pathlib import Path
from audio.params import AnalysisParams
from engine.pipeline import Pipeline
from engine.run import RunInputs, RunParams, run_song
song, out, backend = sys.argv[1:4]
pipe = Pipeline(cache=Path(out) / "cache")
run_song(RunInputs(song=Path(song)), Path(out) / "run", RunParams(analysis=AnalysisParams(backend=backend)),
         pipeline=pipe)
print(json.dumps(pipe.log))
"""


@dataclass
class Timing:
    """One timed run.

    Attributes
    ----------
    wall_s : float
        The child process's wall time, start-up and imports included.
    cpu_s : float
        CPU time of the child and its ffmpeg processes.
    other_cpu_s : float or None
        CPU time every other process on the machine took meanwhile (None where /proc/stat is missing).
    stages : list of (str, bool, float)
        The pipeline's log: stage, taken from the cache, seconds.
    """

    wall_s: float
    cpu_s: float
    other_cpu_s: float | None
    stages: list[tuple[str, bool, float]]


def _song(folder: Path, seconds: float) -> Path:
    """The example song looped to ``seconds``, as FLAC (lossless, so no second lossy generation)."""
    out = folder / f"example_{seconds:.0f}s.flac"
    subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-stream_loop", "-1",
                    "-i", str(ROOT / "examples" / "example_song.ogg"), "-t", f"{seconds:.3f}", "-c:a", "flac",
                    str(out)], check=True)
    return out


def _machine_busy_s() -> float | None:
    """CPU seconds every process on the machine has used since boot (Linux), None elsewhere."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _run(song: Path, out: Path, backend: str) -> Timing:
    """One ``choreo run`` in a fresh process with an empty cache."""
    shutil.rmtree(out, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy = _machine_busy_s()
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(song), str(out), backend], cwd=ROOT,
                          capture_output=True, text=True)
    wall = time.perf_counter() - t0
    busy_after = _machine_busy_s()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"choreo run failed ({backend}):\n{proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    other = None if busy is None or busy_after is None else max(0.0, busy_after - busy - cpu)
    stages = [tuple(row) for row in json.loads(proc.stdout.strip().splitlines()[-1])]
    return Timing(wall, cpu, other, stages)


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=180.0, help="length of the song (default 180)")
    ap.add_argument("--repeat", type=int, default=1, help="timed runs per backend; the fastest is shown")
    ap.add_argument("--backend", action="append", choices=("madmom", "librosa"),
                    help="beat tracker to time (repeat; default both)")
    args = ap.parse_args()
    backends = args.backend or ["madmom", "librosa"]
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        song = _song(tmp, args.seconds)
        warm = _song(tmp, 20.0)
        best: dict[str, Timing] = {}
        for b in backends:
            _run(warm, tmp / "warm", b)
            runs = [_run(song, tmp / f"run-{b}", b) for _ in range(max(1, args.repeat))]
            best[b] = min(runs, key=lambda t: t.wall_s)
    print(f"== choreo run, full: {args.seconds:.0f} s song (the example song looped), 1280x720 preview with "
          f"audio, contact sheet; fresh process, empty cache, warm numba cache"
          + (f"; fastest of {args.repeat}" if args.repeat > 1 else ""))
    print(f"machine: {os.cpu_count()} cores ({_cpu_name()})")
    col = "".join(f"  {b + ' s':>10s}" for b in backends)
    print(f"{'stage':34s}{col}  {'target s':>8s}")
    print(f"{'-' * 34}{''.join('  ' + '-' * 10 for _ in backends)}  {'-' * 8}")

    def row(label: str, values: list[float | None], target: str = "") -> None:
        cells = "".join(f"  {'n/a':>10s}" if v is None else f"  {v:10.2f}" for v in values)
        print(f"{label:34s}{cells}  {target:>8s}")

    for name, _, _ in best[backends[0]].stages:
        row(name, [next(s for n, _, s in best[b].stages if n == name) for b in backends])
    row("start-up, imports, writing", [best[b].wall_s - sum(s for _, _, s in best[b].stages) for b in backends])
    row("total (process wall time)", [best[b].wall_s for b in backends], f"{TARGET_S:.0f}")
    row("CPU s, this run (with ffmpeg)", [best[b].cpu_s for b in backends])
    row("CPU s, other work meanwhile", [best[b].other_cpu_s for b in backends])
    verdict = "  ".join(f"{b} {'PASS' if best[b].wall_s <= TARGET_S else 'MISS'}" for b in backends)
    print(f"target <= {TARGET_S:.0f} s on 2 cores: {verdict}  (on a shared machine, read it with the other "
          "work's CPU time)")


if __name__ == "__main__":
    main()
