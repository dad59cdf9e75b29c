"""Benchmark choreo batch: throughput with 1 and 2 workers, and memory over a 100-song synthetic batch.

Usage: python benchmarks/bench_batch.py [--songs 100]
Targets: 2 workers >= 1.8x the throughput of one; worker memory flat over the batch.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _make_songs(folder: Path, n: int, seed: int = 0) -> None:
    import soundfile as sf

    from tests.material.synth import SongSpec, synthesize, write_midi

    for i in range(n):
        song = synthesize(SongSpec(form=(("verse", 4), ("chorus", 4)), bpm=100 + (i % 8) * 10, seed=seed + i))
        sf.write(str(folder / f"song{i:03d}.wav"), song.y, song.sr)
        write_midi(song, folder / f"song{i:03d}.mid")


def _run(folder: Path, out: Path, workers: int, cache: Path, *, share: int, render: bool = False,
         size: str = "1280x720", warm: Path | None = None) -> tuple[float, list[float]]:
    """Time one batch on a fresh LocalCluster; each worker runs the ``warm`` song first (imports, numba cache)."""
    from distributed import Client, LocalCluster, as_completed

    from audio.params import AnalysisParams
    from engine.batch import discover, process_song, worker_env
    from engine.run import RunParams

    os.environ["CHOREO_CACHE"] = str(cache)
    jobs = discover(folder)
    params = RunParams(analysis=AnalysisParams(backend="librosa"), render=render, size=size)
    env = worker_env(share)
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=50, env=env) as cluster, Client(cluster) as client:
        if warm is not None:
            warm_job = discover(warm)[0]
            client.run(lambda: process_song(warm_job, str(out / f"warm-{os.getpid()}"), params))
        t0 = time.perf_counter()
        rss = []
        futures = [client.submit(process_song, j, str(out), params, pure=False) for j in jobs]
        for k, fut in enumerate(as_completed(futures)):
            assert fut.result()["status"] == "ok", fut.result()["error"]
            if k % 10 == 0:
                info = client.run(lambda: __import__("psutil").Process().memory_info().rss)
                rss.append(max(info.values()) / 2**20)
        return time.perf_counter() - t0, rss


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--songs", type=int, default=100)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        songs = tmp / "songs"
        songs.mkdir()
        n_small = min(8, args.songs)
        _make_songs(songs, args.songs)
        small = tmp / "small"
        small.mkdir()
        for p in sorted(songs.iterdir())[: 2 * n_small]:  # each song is a .wav and its .mid
            (small / p.name).symlink_to(p)
        warm = tmp / "warm"
        warm.mkdir()
        _make_songs(warm, 1, seed=10_000)
        cores = os.cpu_count() or 1
        print(f"== choreo batch (synthesized 17 s songs with their MIDI; {cores}-core machine; warm workers)")
        print(f"throughput: analyze + choreograph + 720p preview, {n_small} songs")
        rows = [("1 worker, all cores", 1, 1), ("1 worker, half the cores", 1, 2),
                ("2 workers, half the cores each", 2, 2)]
        times = {}
        for label, workers, share in rows:
            times[label], _ = _run(small, tmp / f"o-{workers}-{share}", workers, tmp / f"c-{workers}-{share}",
                                   share=share, render=True, warm=warm)
        print(f"| {'setup':40s} | seconds | songs/min |")
        print(f"|{'-' * 42}|---------|-----------|")
        for label, t in times.items():
            print(f"| {label:40s} | {t:7.1f} | {60 * n_small / t:9.2f} |")
        one, many, alone = times[rows[1][0]], times[rows[2][0]], times[rows[0][0]]
        print(f"scaling, 2 workers vs 1 with the same threads each: {one / many:.2f}x "
              f"(target >= 1.8x: {'PASS' if one / many >= 1.8 else 'MISS'})")
        print(f"against 1 worker that has every core: {alone / many:.2f}x (its threads alone speed one song up "
              f"{one / alone:.2f}x)")
        t, rss = _run(songs, tmp / "o3", 2, tmp / "c3", share=2, render=True, size="480x270", warm=warm)
        print(f"memory: {args.songs} songs, analyze + choreograph + 480x270 preview, 2 workers: {t:.1f} s")
        print("RSS of the larger worker after every 10th song (MiB): " + " ".join(f"{r:.0f}" for r in rss))
        growth = rss[-1] - rss[1] if len(rss) > 2 else 0.0
        print(f"memory growth after warm-up: {growth:+.0f} MiB ({'flat' if abs(growth) < 100 else 'GROWING'})")


if __name__ == "__main__":
    main()
