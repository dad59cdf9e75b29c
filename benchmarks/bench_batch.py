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


def _make_songs(folder: Path, n: int) -> None:
    import soundfile as sf

    from audio.synth import SongSpec, synthesize, write_midi

    for i in range(n):
        song = synthesize(SongSpec(form=(("verse", 4), ("chorus", 4)), bpm=100 + (i % 8) * 10, seed=i))
        sf.write(str(folder / f"song{i:03d}.wav"), song.y, song.sr)
        write_midi(song, folder / f"song{i:03d}.mid")


def _run(folder: Path, out: Path, workers: int, cache: Path, render: bool = False) -> tuple[float, list[float]]:
    from distributed import Client, LocalCluster, as_completed

    from audio.params import AnalysisParams
    from engine.batch import discover, process_song
    from engine.run import RunParams

    os.environ["CHOREO_CACHE"] = str(cache)
    jobs = discover(folder)
    params = RunParams(analysis=AnalysisParams(backend="librosa"), render=render)
    from engine.batch import worker_env

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=50, env=worker_env(workers)) as cluster, Client(cluster) as client:
        client.run(lambda: None)  # workers up before timing
        t0 = time.perf_counter()
        rss = []
        futures = [client.submit(process_song, j, str(out), params, pure=False) for j in jobs]
        for k, fut in enumerate(as_completed(futures)):
            fut.result()
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
        print("== choreo batch (synthesized 17 s songs with their MIDI; 2-core machine)")
        print("throughput: analyze + choreograph + 720p preview per song")
        t1, _ = _run(small, tmp / "o1", 1, tmp / "c1", render=True)
        t2, _ = _run(small, tmp / "o2", 2, tmp / "c2", render=True)
        print(f"{n_small} songs, 1 worker: {t1:.1f} s ({n_small / t1:.2f} songs/s)")
        print(f"{n_small} songs, 2 workers: {t2:.1f} s ({n_small / t2:.2f} songs/s); speed-up {t1 / t2:.2f}x "
              f"(target >= 1.8x: {'PASS' if t1 / t2 >= 1.8 else 'MISS'})")
        t, rss = _run(songs, tmp / "o3", 2, tmp / "c3")
        print(f"memory: {args.songs} songs, analyze + choreograph, 2 workers: {t:.1f} s; worker peak RSS every "
              "10 songs (MiB): "
              + " ".join(f"{r:.0f}" for r in rss))
        growth = rss[-1] - rss[1] if len(rss) > 2 else 0.0
        print(f"memory growth after warm-up: {growth:+.0f} MiB ({'flat' if abs(growth) < 100 else 'GROWING'})")


if __name__ == "__main__":
    main()
