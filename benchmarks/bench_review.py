"""Benchmark ``choreo review`` on a 3-minute song against the issue's targets (2 cores): a pin change answered
with the new plan in <= 300 ms, the re-drawn preview of the changed bars ready in <= 2 s, the page loaded with
every lane drawn in <= 1 s.

The song is the example song looped to 3 minutes (as bench_run.py makes it), run once (librosa backend, ada and
bo dancing independently, so a pin change re-solves two characters; no preview) into a temporary folder. The
server is the real one, ``choreo review FOLDER`` in its own process on a free local port (warm: two
re-solves first); times are wall times seen by the client:

- pin change: ``PUT /api/pins`` with a move pin at another bar each time, round trip (re-solve, both files
  written, the session JSON back);
- changed frames: the page drops the frames of the ranges the answer lists and fetches those within 5 s of
  the playhead at once (``GET /api/frame/{n}``, JPEG); the rest are drawn when the playhead reaches them.
  Timed: the frames within 5 s of the pinned bar, and every changed frame, fetched one after the other;
- page load: Playwright with Debian's chromium, a fresh browser context each time; ``performance.now()``
  when the page has drawn every lane (from the navigation's start: the page, the session, the library and
  the waveform fetched, the lanes built).

Usage: python benchmarks/bench_review.py [--seconds 180] [--repeat 8]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_run import _song  # noqa: E402

TARGETS = {"pin": 0.300, "frames": 2.0, "page": 1.0}
CHROMIUM = Path("/usr/bin/chromium")
PREFETCH_S = 5.0  # the page's PREFETCH_S


def _run(song: Path, folder: Path) -> Path:
    from audio.params import AnalysisParams
    from choreography.params import SolveParams
    from engine.pipeline import Pipeline
    from engine.run import RunInputs, RunParams, run_song

    params = RunParams(analysis=AnalysisParams(backend="librosa"), solve=SolveParams(ensemble="independent"),
                       render=False)
    run_song(RunInputs(song=song, rigs=("ada", "bo")), folder / "run", params,
             pipeline=Pipeline(cache=folder / "cache"))
    return folder / "run"


def _serve(folder: Path):
    """``choreo review FOLDER`` in its own process, as a user runs it (a client thread in the server's process
    would share its interpreter lock and slow it down), and its address once it answers."""
    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "engine", "review", str(folder), "--port", str(port),
                             "--no-browser"], stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}api/session", timeout=5).raise_for_status()
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("choreo review did not answer within 120 s")


def _page_loads(url: str, repeat: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--autoplay-policy=no-user-gesture-required"])
        for _ in range(repeat + 1):
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            page = context.new_page()
            page.goto(url)
            page.wait_for_selector("body[data-ready='1']", timeout=30000)
            out.append(page.evaluate("window.reviewTimings.lanesDrawn") / 1000.0)
            context.close()
        browser.close()
    return out[1:]  # the first warms the browser's own caches (fonts, the process)


def _row(name: str, values: list[float], target: float | None) -> str:
    med = statistics.median(values)
    verdict = "" if target is None else ("met" if max(values) <= target else
                                         "median met" if med <= target else "NOT met")
    tgt = "" if target is None else f"{target:.3f}"
    return f"{name:44s} {med:8.3f} {max(values):8.3f} {len(values):3d}   {tgt:>6s}  {verdict}"


def main(argv: list[str] | None = None) -> None:
    import httpx

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--repeat", type=int, default=8)
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench_review_"))
    try:
        folder = _run(_song(tmp, args.seconds), tmp)
        server, url = _serve(folder)
        client = httpx.Client(base_url=url, timeout=60)
        session = client.get("/api/session").json()
        n, fps = session["duration_frames"], session["fps_value"]
        downbeats = [b for b in session["beats"] if b["beat"] == 1]
        for _ in range(2):  # warm: numba kernels, the solver's library arrays, the frame renderer
            session = client.put("/api/pins", json={"schema": "choreo.pins/1", "pins": []}).json()
            client.get("/api/frame/0")
        pins, near, every, per_frame, changed_share = [], [], [], [], []
        bars = [downbeats[int(i)] for i in [len(downbeats) * (k + 1) / (args.repeat + 2) for k in range(args.repeat)]]
        for k, bar in enumerate(bars):
            doc = {"schema": "choreo.pins/1", "pins": [{"type": "move", "move": ("star_jump", "clap")[k % 2],
                                                        "bar": bar["bar"], "character": "ada"}]}
            t0 = time.perf_counter()
            r = client.put("/api/pins", json=doc, headers={"If-Match": f'"{session["version"]}"'})
            pins.append(time.perf_counter() - t0)
            r.raise_for_status()
            session = r.json()
            changed = [f for a, b in session["changed"] for f in range(a, b)]
            changed_share.append(len(changed) / n)
            here, span = bar["frame"], int(PREFETCH_S * fps)
            window = [f for f in changed if here - span <= f < here + span]
            t0 = time.perf_counter()
            for f in window:
                client.get(f"/api/frame/{f}").raise_for_status()
            near.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            for f in changed:
                client.get(f"/api/frame/{f}").raise_for_status()
            every.append(time.perf_counter() - t0)
            per_frame.append(every[-1] / max(len(changed), 1))
        loads = _page_loads(url, 3) if CHROMIUM.exists() else []
        server.terminate()
        server.wait(timeout=30)

        print(f"== choreo review, {session['duration_s']:.1f} s song ({len(downbeats)} bars, {n} frames at "
              f"{session['fps']}), characters {', '.join(session['characters'])} ({session['ensemble']})")
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
              "wall seconds seen by the client")
        print(f"{'measure':44s} {'median':>8s} {'max':>8s} {'n':>3s}   {'target':>6s}")
        print(_row("pin change -> new plan (PUT /api/pins)", pins, TARGETS["pin"]))
        print(_row(f"changed frames within {PREFETCH_S:.0f} s of the pin, drawn", near, TARGETS["frames"]))
        print(_row("every changed frame, drawn (reference)", every, None))
        print(_row("one changed frame, drawn and sent", per_frame, None))
        if loads:
            print(_row("page load, every lane drawn", loads, TARGETS["page"]))
        else:
            print("page load: skipped (no /usr/bin/chromium)")
        print(f"share of the song's frames a pin changed: median {statistics.median(changed_share):.0%}, "
              f"max {max(changed_share):.0%} (the solver is global: variety caps and repeats move other bars too)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
