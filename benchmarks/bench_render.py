"""Benchmark the render stage: frames/s drawing alone and with H.264 encoding, at 1280x720 and 1920x1080,
the drawn cut-out character's drawing rate at 1280x720, the time for a 3-minute 720p preview (target <= 60 s
on 2 cores), peak memory over the song, and the drawing rate of 50 crowd dancers behind the leads at 1280x720
(target >= 24 frames/s).

Usage: python benchmarks/bench_render.py
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    import soundfile as sf

    from audio.analysis import analyze
    from audio.params import AnalysisParams
    from choreography.moves import load_moves
    from choreography.rig import load_rig
    from choreography.solver import SolveParams, solve
    from render.frames import FrameRenderer
    from render.render import render
    from render.sinks import VideoSink
    from render.spec import RenderSpec
    from tests.material.synth import SongSpec, synthesize, write_midi

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        form = (("intro", 8), ("verse", 16), ("chorus", 16), ("verse", 16), ("chorus", 16), ("bridge", 8),
                ("chorus", 10))
        song = synthesize(SongSpec(form=form, bpm=120, seed=0))
        wav, mid = tmp / "song.wav", tmp / "song.mid"
        sf.write(str(wav), song.y, song.sr)
        write_midi(song, mid)
        a = analyze(wav, AnalysisParams(backend="librosa"), midi=mid)
        rigs = {"ada": load_rig("ada"), "bo": load_rig("bo")}
        c = solve(a, rigs, load_moves(), params=SolveParams(ensemble="canon"))
        print(f"== render ({song.duration_s:.0f} s song, {c.duration_frames} frames at 24 fps, two characters; "
              "2-core machine)")
        print(f"{'case':44s} {'frames/s':>9s}")
        n_sample = 480
        for w, h in ((1280, 720), (1920, 1080)):
            spec = RenderSpec(width=w, height=h)
            r = FrameRenderer(c, rigs, spec, analysis=a)
            buf = r.new_buffers(["composite"])
            r.render(0, buf)
            t0 = time.perf_counter()
            for f in range(n_sample):
                r.render(f, buf)
            draw = n_sample / (time.perf_counter() - t0)
            t0 = time.perf_counter()
            with VideoSink(tmp / f"p{w}.mp4", width=w, height=h, fps=c.fps) as sink:
                for f in range(n_sample):
                    r.render(f, buf)
                    sink.write(buf["composite"])
            enc = n_sample / (time.perf_counter() - t0)
            print(f"{f'drawing alone, {w}x{h}':44s} {draw:9.0f}")
            print(f"{f'drawing + H.264 encoding, {w}x{h}':44s} {enc:9.0f}")
        drawn = {"pip": load_rig("pip")}  # the drawn example character: 17 image parts and a mouth set
        cp = solve(a, drawn, load_moves())
        r = FrameRenderer(cp, drawn, RenderSpec(width=1280, height=720), analysis=a)
        buf = r.new_buffers(["composite"])
        r.render(0, buf)
        t0 = time.perf_counter()
        for f in range(n_sample):
            r.render(f, buf)
        print(f"{'drawn character (pip) alone, 1280x720':44s} {n_sample / (time.perf_counter() - t0):9.0f}")
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t0 = time.perf_counter()
        render(c, RenderSpec(), rigs=rigs, out_dir=tmp / "full", audio=wav, analysis=a)
        secs = time.perf_counter() - t0
        rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        verdict = "PASS" if secs <= 60 else "MISS"
        print(f"\n3-minute 720p preview with audio and contact sheet: {secs:.1f} s (target <= 60 s: {verdict})")
        print(f"peak RSS before the full render {rss0:.0f} MiB, after {rss1:.0f} MiB (frames are streamed: the "
              "growth is the per-frame sampling of the song, not frames)")
        crowd_rate(a, c, rigs, n_sample)


def crowd_rate(a, c, rigs: dict, n_frames: int) -> None:
    """Print the drawing rate of a stage of 50 crowd dancers behind the leads of ``c`` at 1280x720.

    The frames are spread over the whole song, so close shots (bigger figures) count as often as they occur.
    """
    from choreography.crowd import CrowdSpec, crowd_rigs, dance_crowd
    from choreography.moves import load_moves
    from render.frames import FrameRenderer
    from render.spec import RenderSpec

    crowd = dance_crowd(a, c, load_moves(), CrowdSpec(count=50))
    t0 = time.perf_counter()
    r = FrameRenderer(crowd, {**rigs, **crowd_rigs(crowd)}, RenderSpec(width=1280, height=720), analysis=a)
    setup = time.perf_counter() - t0
    buf = r.new_buffers(["composite"])
    r.render(0, buf)
    frames = range(0, crowd.duration_frames, max(1, crowd.duration_frames // n_frames))  # every kind of shot
    t0 = time.perf_counter()
    for f in frames:
        r.render(f, buf)
    rate = len(frames) / (time.perf_counter() - t0)
    print(f"\n50 crowd dancers + {len(c.characters)} leads, drawing alone, 1280x720: {rate:.0f} frames/s (target "
          f">= 24: {'PASS' if rate >= 24 else 'MISS'}); sampling the song's {len(crowd.characters)} characters "
          f"first: {setup:.1f} s")


if __name__ == "__main__":
    main()
