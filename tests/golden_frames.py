"""The tiny golden frames: a fixed choreography rendered small, without text (fonts differ between machines).

Run ``python tests/golden_frames.py`` to rewrite them after an intended change to the drawing.
"""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

GOLDEN = Path(__file__).with_name("golden") / "frames"
FRAMES = (0, 12, 30)


def golden_choreography():
    """Two characters with a few hand-set keys, a camera push and a light flash."""
    from choreography.model import Choreography, Track

    tracks = {
        "ada/l_upper_arm.rot": Track((0, 12, 30), (0.0, 120.0, 40.0), ("linear", "out", "in_out")),
        "ada/r_thigh.rot": Track((0, 20), (0.0, -30.0), ("linear", "overshoot")),
        "ada/root.y": Track((0, 12), (0.0, 40.0), ("linear", "out")),
        "bo/r_upper_arm.rot": Track((0, 30), (0.0, -150.0), ("linear", "in_out")),
        "camera/zoom": Track((0, 30), (1.0, 1.4), ("hold", "in_out")),
        "light/intensity": Track((0, 12, 13, 30), (0.3, 0.3, 0.9, 0.3), ("hold", "linear", "hold", "out")),
        "light/hue": Track((0,), (320.0,), ("hold",)),
        "light/saturation": Track((0,), (0.8,), ("hold",)),
    }
    return Choreography(fps=Fraction(24), duration_frames=31, characters=("ada", "bo"), tracks=tracks)


def draw_frames(c, rig_names, size: tuple[int, int], frames, mouths=None) -> dict[int, np.ndarray]:
    """Composite frames of a choreography without the overlay, as RGBA arrays by frame number."""
    from choreography.rig import load_rig
    from render.frames import FrameRenderer
    from render.spec import RenderSpec

    r = FrameRenderer(c, {n: load_rig(n) for n in rig_names}, RenderSpec(width=size[0], height=size[1],
                                                                         overlay=False), mouths=mouths)
    buf = r.new_buffers(["composite"])
    out = {}
    for f in frames:
        r.render(f, buf)
        out[f] = buf["composite"].copy()
    return out


def render_golden() -> dict[int, np.ndarray]:
    """The golden frames as RGBA arrays."""
    return draw_frames(golden_choreography(), ("ada", "bo"), (128, 72), FRAMES)


if __name__ == "__main__":
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for f, img in render_golden().items():
        np.save(GOLDEN / f"frame_{f:03d}.npy", img)
        print("wrote", GOLDEN / f"frame_{f:03d}.npy")
