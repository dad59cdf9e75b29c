"""Render: per-frame sampling of keyframe tracks, drawing passes (skia), compositing and video sinks (ffmpeg).

The entry point is :func:`render`; :class:`~render.spec.RenderSpec` says what to draw.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from render.render import render
    from render.spec import RenderSpec

__all__ = ["RenderSpec", "render"]


def __getattr__(name: str):
    if name == "render":
        from render.render import render

        return render
    if name == "RenderSpec":
        from render.spec import RenderSpec

        return RenderSpec
    raise AttributeError(name)
