"""Golden frames of the drawn example character Pip: a fixed pose sequence and mouth cues, rendered small.

Like ``tests/golden_frames.py`` for the stick figures: no text (fonts differ between machines), a few frames,
compared with a tolerance. Run ``python tests/golden_pip_frames.py`` to rewrite them after an intended change
to Pip's drawing, the importer or the renderer's cut-out path.
"""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

GOLDEN = Path(__file__).with_name("golden") / "frames_pip"
FRAMES = (0, 9, 18)
SIZE = (192, 108)


def golden_choreography():
    """Pip waving, kicking and tilting the head under a close camera, with mouth shapes X, D and F."""
    from choreography.model import Choreography, MouthCue, MouthTrack, Track

    keys = ("linear", "in_out", "out")
    tracks = {
        "pip/l_upper_arm.rot": Track((0, 9, 18), (0.0, 150.0, 60.0), keys),
        "pip/l_forearm.rot": Track((0, 9, 18), (0.0, 40.0, 110.0), keys),
        "pip/r_upper_arm.rot": Track((0, 18), (0.0, -70.0), ("linear", "in_out")),
        "pip/r_thigh.rot": Track((0, 9, 18), (0.0, -60.0, -20.0), keys),
        "pip/r_shin.rot": Track((0, 9), (0.0, 50.0), ("linear", "out")),
        "pip/head.rot": Track((0, 18), (0.0, -25.0), ("linear", "in_out")),
        "pip/root.y": Track((0, 9, 18), (0.0, 30.0, 0.0), keys),
        "camera/zoom": Track((0,), (2.2,), ("hold",)),
        "camera/y": Track((0,), (220.0,), ("hold",)),
    }
    c = Choreography(fps=Fraction(24), duration_frames=19, characters=("pip",), tracks=tracks)
    mouth = MouthTrack(Fraction(24), "pip", (MouthCue(0, 5, "X", 0.0), MouthCue(5, 14, "D", 1.0),
                                              MouthCue(14, 19, "F", 0.6)))
    return c, mouth


def render_golden() -> dict[int, np.ndarray]:
    """The golden frames as RGBA arrays (composite, no overlay)."""
    from tests.golden_frames import draw_frames

    c, mouth = golden_choreography()
    return draw_frames(c, ("pip",), SIZE, FRAMES, mouths={"pip": mouth})


if __name__ == "__main__":
    from PIL import Image

    GOLDEN.mkdir(parents=True, exist_ok=True)
    for f, img in render_golden().items():
        Image.fromarray(img, "RGBA").save(GOLDEN / f"frame_{f:03d}.png")
        print("wrote", GOLDEN / f"frame_{f:03d}.png")
