"""Write docs/crowd.png: a frame of the example song with 50 crowd dancers behind the two leads.

The leads (ada and bo) dance in canon; the crowd is made from ada, bo and the drawn example character pip
with the crowd defaults. The frame is the quietest-lit wide-shot frame of the first chorus.

Usage: python tools/crowd_frame.py [-o docs/crowd.png]
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    """Render the frame and write it atomically."""
    import numpy as np
    from PIL import Image

    from audio.analysis import analyze
    from audio.files import write_atomic
    from audio.params import AnalysisParams
    from choreography.crowd import CrowdSpec, crowd_rigs, dance_crowd
    from choreography.model import seconds_to_frame
    from choreography.moves import load_moves
    from choreography.params import SolveParams
    from choreography.rig import load_rig
    from choreography.solver import solve
    from render.frames import FrameRenderer
    from render.spec import RenderSpec

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "docs" / "crowd.png")
    args = parser.parse_args()
    ex = ROOT / "examples"
    a = analyze(ex / "example_song.ogg", AnalysisParams(backend="librosa"), midi=ex / "example_song.mid")
    rigs = {"ada": load_rig("ada"), "bo": load_rig("bo")}
    lib = load_moves()
    c = dance_crowd(a, solve(a, rigs, lib, params=SolveParams(ensemble="canon")), lib,
                    CrowdSpec(bases=("ada", "bo", "pip"), count=50, seed=1))
    r = FrameRenderer(c, {**rigs, **crowd_rigs(c)}, RenderSpec(width=1280, height=720), analysis=a)
    chorus = next(s for s in a.sections if s.kind == "chorus")
    span = np.arange(seconds_to_frame(chorus.start, c.fps), seconds_to_frame(chorus.end, c.fps))
    wide = span[np.isclose(r.camera[span, 0], r.camera[:, 0].min())]
    frame = int(wide[np.argmin(r.light[wide, 0])]) if wide.size else int(span[0])
    buf = r.new_buffers(["composite"])
    r.render(frame, buf)
    png = io.BytesIO()
    Image.fromarray(buf["composite"][..., :3]).save(png, format="PNG", optimize=True)
    write_atomic(args.output, png.getvalue())
    print(f"wrote {args.output} (frame {frame})")


if __name__ == "__main__":
    main()
