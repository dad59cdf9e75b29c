"""Analyse the bundled example song from Python and print its bar and section map.

    python examples/analyze_example.py [--backend librosa|madmom] [--midi]

With ``--midi`` the song's MIDI (examples/example_song.mid) defines beats, bars and sections exactly.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from audio.analysis import analyze
from audio.params import AnalysisParams

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="librosa", choices=["librosa", "madmom"])
    parser.add_argument("--midi", action="store_true", help="use examples/example_song.mid for timing")
    args = parser.parse_args(argv)
    midi = HERE / "example_song.mid" if args.midi else None
    a = analyze(HERE / "example_song.ogg", AnalysisParams(backend=args.backend), midi=midi)
    print(f"{a.tempo.bpm:.1f} BPM, {a.meter.time_signature}, {a.n_bars} bars, {len(a.beats)} beats")
    for s in a.sections:
        bar = next(b.bar for b in a.beats if b.t >= s.start - 1e-6)
        print(f"  bar {bar:3d}  {s.start:6.2f}-{s.end:6.2f} s  {s.label}  {s.kind:7s} energy {s.energy:.2f}")


if __name__ == "__main__":
    main()
