"""``render``: a choreography in; a synced preview, passes and a contact sheet out.

Frames are drawn one integer frame index at a time into preallocated buffers and streamed to the sinks,
so memory stays flat however long the song is. The preview is H.264 (yuv420p) with the song's audio as
AAC; passes are PNG sequences with straight alpha and a JSON sidecar (optionally ProRes 4444 with alpha);
the contact sheet shows one frame per section.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from audio.errors import ChoreoError
from choreography.model import Choreography, seconds_to_frame
from render.spec import RenderSpec


def render(choreography: Choreography, spec: RenderSpec, *, rigs: dict, out_dir: str | Path,
           audio: str | Path | None = None, mouths: dict | None = None, analysis=None, preview: bool = True,
           prores: bool = False, contact: bool = True,
           on_progress: Callable[[int, int], None] | None = None) -> dict[str, Path]:
    """Render a choreography.

    Parameters
    ----------
    choreography : Choreography
    spec : RenderSpec
        Size and passes; every pass other than the composite is written as a PNG sequence.
    rigs : dict of str to Rig
        One per character of the choreography.
    out_dir : str or Path
        Output folder (created).
    audio : str or Path, optional
        The song, muxed into the preview (and ProRes) from its start.
    mouths : dict of str to MouthTrack, optional
    analysis : Analysis, optional
        For the overlay (bars, beats, sections) and the contact sheet.
    preview : bool
        Write ``preview.mp4`` (H.264 yuv420p + AAC).
    prores : bool
        Also write ``composite.mov`` (ProRes 4444 with alpha).
    contact : bool
        Write ``contact_sheet.png`` (needs ``analysis`` for the sections; else evenly spaced frames).
    on_progress : callable, optional
        Called as ``on_progress(frames_done, frames_total)``.

    Returns
    -------
    dict of str to Path

    Raises
    ------
    ChoreoError
        Missing rigs, unwritable output, ffmpeg missing or failing (partial files are removed).
    """
    from render.contact import contact_sheet
    from render.frames import FrameRenderer
    from render.sinks import PngSequenceSink, VideoSink

    missing = [c for c in choreography.characters if c not in rigs]
    if missing:
        raise ChoreoError(f"no rig for characters {missing}")
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ChoreoError(f"output folder cannot be created ({exc.strerror})", path=out) from exc
    png_passes = [p for p in spec.passes if p != "composite"]
    names = ["composite", *png_passes]
    renderer = FrameRenderer(choreography, rigs, spec, mouths=mouths, analysis=analysis)
    buffers = renderer.new_buffers(names)
    n = choreography.duration_frames
    fps = choreography.fps
    picks = _contact_frames(choreography, analysis) if contact else []
    thumbs: list[np.ndarray] = []
    written: dict[str, Path] = {}
    sinks = []
    try:
        video = VideoSink(out / "preview.mp4", width=spec.width, height=spec.height, fps=fps, audio=audio) \
            if preview else None
        mov = VideoSink(out / "composite.mov", width=spec.width, height=spec.height, fps=fps, audio=audio,
                        codec="prores4444") if prores else None
        pngs = {p: PngSequenceSink(out / "passes", p, fps=fps) for p in png_passes}
        sinks = [s for s in (video, mov, *pngs.values()) if s is not None]
        for s in sinks:
            s.__enter__()
        for f in range(n):
            renderer.render(f, buffers)
            if video is not None:
                video.write(buffers["composite"])
            if mov is not None:
                mov.write(buffers["composite"])
            for p, sink in pngs.items():
                sink.write(buffers[p])
            if f in picks:
                thumbs.append(buffers["composite"].copy())
            if on_progress is not None and (f % 48 == 0 or f == n - 1):
                on_progress(f + 1, n)
        for s in sinks:
            s.__exit__(None, None, None)
        sinks = []
    except BaseException as exc:
        for s in sinks:
            s.__exit__(type(exc), exc, exc.__traceback__)
        raise
    if video is not None:
        written["preview"] = out / "preview.mp4"
    if mov is not None:
        written["prores"] = out / "composite.mov"
    for p in png_passes:
        written[f"pass:{p}"] = out / "passes" / f"{p}.json"
    if contact and thumbs:
        labels = _contact_labels(choreography, analysis, picks)
        written["contact_sheet"] = contact_sheet(thumbs, labels, out / "contact_sheet.png")
    return written


def _contact_frames(c: Choreography, analysis) -> list[int]:
    """One frame per section (a bar into it, or its middle when shorter); evenly spaced without sections."""
    n = c.duration_frames
    if analysis is None or not analysis.sections:
        return sorted({int(x) for x in np.linspace(0, n - 1, 8)})
    out = []
    for s in analysis.sections:
        a, b = seconds_to_frame(s.start, c.fps), seconds_to_frame(s.end, c.fps)
        out.append(min(n - 1, max(0, min(a + (b - a) // 2, a + int(2 * float(c.fps))))))
    return sorted(set(out))


def _contact_labels(c: Choreography, analysis, picks: list[int]) -> list[str]:
    if analysis is None or not analysis.sections:
        return [f"frame {f}" for f in picks]
    labels = []
    for f in picks:
        t = f / float(c.fps)
        sec = next((s for s in analysis.sections if s.start <= t < s.end), analysis.sections[-1])
        labels.append(f"{sec.label} {sec.kind} @ frame {f}")
    return labels
