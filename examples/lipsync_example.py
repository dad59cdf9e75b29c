"""Lip-sync a short sung-like vocal made with espeak-ng, and write its mouth track in two formats.

    python examples/lipsync_example.py [-o OUT_FOLDER]

The vocal and its lyrics are generated here (espeak-ng, slow SSML delivery), so the example needs no
audio files; the mouth track is written as the choreo.mouth/1 JSON and as Rhubarb TSV.
"""

from __future__ import annotations

import argparse
import sys
from fractions import Fraction
from pathlib import Path

import soundfile as sf

from engine.exporters import export
from engine.lipsync import make_track

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the test material lives in the checkout, not in the package
    sys.path.insert(0, str(ROOT))

from tests.material.espeak_speech import synthesize  # noqa: E402

LINES = ["Twinkle twinkle little star", "How I wonder what you are"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=Path("out/lipsync_example"))
    args = parser.parse_args(argv)
    args.output.mkdir(parents=True, exist_ok=True)
    ssml = '<speak><prosody rate="50%" pitch="+25%">' + ' <break time="600ms"/> '.join(LINES) + "</prosody></speak>"
    spoken = synthesize(ssml, ssml=True)
    vocals, lyrics = args.output / "singer.wav", args.output / "singer.txt"
    sf.write(str(vocals), spoken.y, spoken.sr)
    lyrics.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    track = make_track(vocals, lyrics=lyrics, character="singer", fps=Fraction(24))
    print(f"tier {track.tier} ({track.provenance['method']}), confidence {track.confidence:.2f}")
    for w, true in zip(track.words, spoken.words, strict=False):
        print(f"  {w.text:8s} {w.start:5.2f} s (espeak says {true.start:5.2f} s)  confidence {w.confidence:.2f}")
    for fmt, name in (("json", "singer.mouth.json"), ("tsv", "singer.tsv")):
        print("wrote", export(track, args.output / name, fmt))


if __name__ == "__main__":
    main()
