"""Contact sheet: a PNG grid of frame thumbnails, each with a text label under it."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import skia

from audio.errors import ChoreoError
from audio.files import write_atomic
from render.fonts import typeface

PAD_PX = 8
LABEL_PX = 22
FONT_PX = 14.0
BACKGROUND = skia.ColorSetRGB(32, 32, 36)
CHECKER = (skia.ColorSetRGB(70, 70, 74), skia.ColorSetRGB(90, 90, 94))
TEXT = skia.ColorSetRGB(235, 235, 235)


def sheet_size(frames: list[np.ndarray], *, columns: int = 4, thumb_width: int = 320) -> tuple[int, int]:
    """Pixel size of the sheet :func:`contact_sheet` draws for these frames.

    Parameters
    ----------
    frames : list of numpy.ndarray
        RGBA frames, shape ``(height, width, 4)``.
    columns : int, default 4
        Thumbnails per row (fewer when there are fewer frames).
    thumb_width : int, default 320
        Thumbnail width in pixels.

    Returns
    -------
    width, height : int
        In pixels.
    """
    cols = max(1, min(columns, len(frames)))
    rows = math.ceil(len(frames) / cols)
    thumb_h = max(_thumb_height(f, thumb_width) for f in frames)
    width = PAD_PX + cols * (thumb_width + PAD_PX)
    height = PAD_PX + rows * (thumb_h + LABEL_PX + PAD_PX)
    return width, height


def _thumb_height(frame: np.ndarray, thumb_width: int) -> int:
    h, w = frame.shape[:2]
    return max(1, round(thumb_width * h / max(w, 1)))


def contact_sheet(frames: list[np.ndarray], labels: list[str], path: str | Path, *, columns: int = 4,
                  thumb_width: int = 320) -> Path:
    """Draw thumbnails of ``frames`` in a grid with ``labels`` under them and write a PNG atomically.

    Parameters
    ----------
    frames : list of numpy.ndarray
        Straight-alpha RGBA ``uint8`` frames, shape ``(height, width, 4)``; transparent areas show a
        checkerboard.
    labels : list of str
        One label per frame (e.g. "chorus  1:00.0  frame 1440").
    path : str or Path
        Output PNG.
    columns : int, default 4
        Thumbnails per row.
    thumb_width : int, default 320
        Thumbnail width in pixels; the height keeps each frame's aspect ratio.

    Returns
    -------
    Path
        The written PNG; its size is given by :func:`sheet_size`.

    Raises
    ------
    ChoreoError
        No frames, labels not matching frames, malformed frames, or the file cannot be written.
    """
    if not frames:
        raise ChoreoError("contact sheet needs at least one frame", path=path)
    if len(labels) != len(frames):
        raise ChoreoError(f"contact sheet got {len(frames)} frames but {len(labels)} labels", path=path)
    if columns < 1 or thumb_width < 1:
        raise ChoreoError(f"columns and thumb_width must be positive (got {columns}, {thumb_width})", path=path)
    for i, f in enumerate(frames):
        if not isinstance(f, np.ndarray) or f.dtype != np.uint8 or f.ndim != 3 or f.shape[2] != 4 or 0 in f.shape:
            raise ChoreoError(f"contact sheet frame {i} is not a non-empty uint8 RGBA array", path=path)
    width, height = sheet_size(frames, columns=columns, thumb_width=thumb_width)
    cols = max(1, min(columns, len(frames)))
    thumb_h = max(_thumb_height(f, thumb_width) for f in frames)
    surface = skia.Surface(width, height)
    canvas = surface.getCanvas()
    canvas.clear(BACKGROUND)
    font = skia.Font(typeface(), FONT_PX)
    text_paint = skia.Paint(AntiAlias=True, Color=TEXT)
    sampling = skia.SamplingOptions(skia.FilterMode.kLinear, skia.MipmapMode.kLinear)
    for i, (frame, label) in enumerate(zip(frames, labels, strict=True)):
        x = PAD_PX + (i % cols) * (thumb_width + PAD_PX)
        y = PAD_PX + (i // cols) * (thumb_h + LABEL_PX + PAD_PX)
        th = _thumb_height(frame, thumb_width)
        rect = skia.Rect.MakeXYWH(x, y + (thumb_h - th) / 2, thumb_width, th)
        canvas.save()
        canvas.clipRect(rect)
        canvas.clear(CHECKER[0])
        step = 8
        for cy in range(int(rect.top()), int(rect.bottom()) + step, step):
            for cx in range(x + ((cy - int(rect.top())) // step % 2) * step, x + thumb_width, 2 * step):
                canvas.drawRect(skia.Rect.MakeXYWH(cx, cy, step, step), skia.Paint(Color=CHECKER[1]))
        image = skia.Image.fromarray(np.ascontiguousarray(frame), colorType=skia.kRGBA_8888_ColorType,
                                     alphaType=skia.kUnpremul_AlphaType)
        canvas.drawImageRect(image.withDefaultMipmaps(), rect, sampling)
        canvas.restore()
        text = str(label)
        while text and font.measureText(text) > thumb_width:
            text = text[:-1]
        canvas.drawString(text, x, y + thumb_h + LABEL_PX - 6, font, text_paint)
    png = surface.makeImageSnapshot().encodeToData(skia.kPNG, 100)
    if png is None:
        raise ChoreoError("PNG encoding failed", path=path)
    return write_atomic(path, bytes(png))
