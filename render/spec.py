"""What to render: output size, passes, background colour and whether the composite carries the overlay.

Conventions
-----------
- Sizes are output pixels ``width x height``; the 1920 x 1080 stage is mapped onto them.
- Pass names are the kinds in :data:`PASS_KINDS`, or a character's name for a pass holding just that
  character (body and mouth, with straight alpha).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from audio.errors import ChoreoError

PASS_KINDS = ("background", "characters", "mouth", "lighting", "overlay", "composite")
MIN_SIZE_PX = 16
MAX_SIZE_PX = 8192
_SIZE_RE = re.compile(r"^\s*(\d+)\s*[xX]\s*(\d+)\s*$")
_COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


def parse_size(text: str) -> tuple[int, int]:
    """Parse an output size such as ``"1280x720"``.

    Parameters
    ----------
    text : str
        ``WIDTHxHEIGHT`` in pixels (``x`` or ``X``, spaces allowed around the numbers).

    Returns
    -------
    tuple of int
        ``(width, height)``.

    Raises
    ------
    ChoreoError
        When the text is not a size or a side is outside 16..8192 pixels.

    Examples
    --------
    >>> parse_size("1280x720")
    (1280, 720)
    """
    m = _SIZE_RE.match(str(text))
    if m is None:
        raise ChoreoError(f"size {text!r} is not WIDTHxHEIGHT in pixels (for example 1280x720)")
    w, h = int(m.group(1)), int(m.group(2))
    for side, v in (("width", w), ("height", h)):
        if not MIN_SIZE_PX <= v <= MAX_SIZE_PX:
            raise ChoreoError(f"size {text!r}: {side} {v} is outside {MIN_SIZE_PX}..{MAX_SIZE_PX} pixels")
    return w, h


@dataclass(frozen=True)
class RenderSpec:
    """Output size, the passes to draw, the background colour and whether the composite shows the overlay.

    Parameters
    ----------
    width, height : int
        Output size in pixels (16..8192).
    passes : tuple of str
        Pass kinds from :data:`PASS_KINDS` or character names.
    background : str
        Background colour ``"#rrggbb"``.
    overlay : bool
        Draw the overlay (bar sheet) into the composite.

    Raises
    ------
    ChoreoError
        On a size out of range, a malformed colour or an empty or repeated pass list.
    """

    width: int = 1280
    height: int = 720
    passes: tuple[str, ...] = ("composite",)
    background: str = "#1d2230"
    overlay: bool = True

    def __post_init__(self) -> None:
        for side in ("width", "height"):
            v = getattr(self, side)
            if isinstance(v, bool) or not isinstance(v, int) or not MIN_SIZE_PX <= v <= MAX_SIZE_PX:
                raise ChoreoError(f"{side} {v!r} must be an integer in {MIN_SIZE_PX}..{MAX_SIZE_PX} pixels")
        if isinstance(self.passes, str):
            object.__setattr__(self, "passes", (self.passes,))
        object.__setattr__(self, "passes", tuple(str(p) for p in self.passes))
        if not self.passes:
            raise ChoreoError(f"no passes requested; choose from {', '.join(PASS_KINDS)} or a character name")
        if len(set(self.passes)) != len(self.passes):
            raise ChoreoError(f"passes {list(self.passes)} name a pass twice")
        if not _COLOR_RE.match(str(self.background)):
            raise ChoreoError(f"background {self.background!r} is not a colour #rrggbb")

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` in pixels."""
        return self.width, self.height
