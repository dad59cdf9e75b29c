"""Make the bundled example song: a synthesized 4/4 pop song at 112 BPM with known beats and sections.

Writes ``example_song.ogg`` (OGG Vorbis) and ``example_song.mid`` (the same notes, tempo and section
markers; MIDI time equals audio time) next to this script, or where ``-o`` says.

    python examples/make_example_song.py [-o examples/example_song.ogg]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the test material lives in the checkout, not in the package
    sys.path.insert(0, str(ROOT))

from tests.material.synth import SongSpec, synthesize, write_midi  # noqa: E402

FORM = (
    ("intro", 4),
    ("verse", 8),
    ("chorus", 8),
    ("verse", 8),
    ("chorus", 8),
    ("bridge", 4),
    ("chorus", 8),
    ("outro", 4),
)
SPEC = SongSpec(form=FORM, bpm=112.0, beats_per_bar=4, sr=22050, seed=7)


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path(__file__).resolve().parent / "example_song.ogg",
        help="where to write the OGG file; the MIDI file goes beside it with the suffix .mid",
    )
    args = parser.parse_args(argv)
    out: Path = args.output
    out.parent.mkdir(parents=True, exist_ok=True)

    song = synthesize(SPEC)
    # libsndfile's Vorbis encoder has been seen to crash on one large write; small blocks are safe.
    with sf.SoundFile(str(out), "w", song.sr, 1, format="OGG", subtype="VORBIS") as f:
        for i in range(0, len(song.y), 8192):
            f.write(song.y[i : i + 8192])
    write_midi(song, out.with_suffix(".mid"))
    n_bars = len(song.downbeats_s)
    print(f"{out}  {song.duration_s:.1f} s  {n_bars} bars  {song.time_signature} at {SPEC.bpm:g} BPM")
    return out


if __name__ == "__main__":
    main()
