"""Draw choreography frames with skia-python into preallocated RGBA buffers, one pass at a time.

Conventions
-----------
- Every track is sampled once per integer frame when a :class:`FrameRenderer` is built (vectorised):
  character poses go through forward kinematics for all frames at once, mouths, camera, lighting and the
  overlay's bar sheet become per-frame arrays. :meth:`FrameRenderer.render` only draws.
- Buffers are ``uint8`` arrays of shape ``(height, width, 4)``, RGBA with **straight (unpremultiplied)
  alpha**. A skia surface is made once per buffer and reused; every pass is cleared before it is drawn.
- Stage space is 1920 x 1080 px, y down. The stage layers (background floor, characters, mouths) are seen
  through the camera: ``camera/zoom`` (1 frames the whole stage) scales about the camera centre, which
  sits ``camera/x``, ``camera/y`` px from the stage centre; the view is then mapped onto the output size.
  The background gradient, lighting and overlay are screen-space layers.
- The composite is background, characters, mouths, lighting and (when ``spec.overlay``) the overlay, drawn
  in that order; layering the separate passes in the same order with "over" gives the same picture.
- Lighting is a translucent fill of the colour ``hsv(hue, saturation, 1)`` with alpha
  ``LIGHT_MAX_ALPHA * intensity``, so a flash (an intensity jump) brightens the picture.
- A crowd (:mod:`choreography.crowd`: the dancers its provenance names) is drawn behind the leads, back row
  first, its colours mixed ``CROWD_DIM`` of the way toward the background colour (a cut-out dancer's
  drawings are first turned by its hue and saturation shifts, in HSL); the floor then reaches
  back ``CROWD_FLOOR_MARGIN_PX`` behind its back row, and the overlay lists the leads and counts the crowd.
- A rig with cut-out ``parts`` (see :mod:`choreography.rig`) draws each part's image instead of capsules:
  one affine matrix per part and frame (the bone's start, its turn from the rest angle, the part's offset and
  scale) is computed with the poses, and the images are drawn back to front by the parts' ``z``, sampled
  from mipmaps so they stay crisp, not aliased, when the stage is scaled down. A mouth drawing replaces the
  drawn mouth for the shapes the rig has one for. Images are decoded once per process (keyed by path and
  modification time) and keep straight alpha in the transparent passes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import skia

from audio.errors import ChoreoError
from audio.model import Analysis
from choreography.crowd import crowd_color_shifts, crowd_names, tint
from choreography.model import SHAPES, Choreography, MouthTrack, seconds_to_frame
from choreography.rig import STAGE_SIZE_PX, Rig, forward_kinematics, hex_to_rgb, mouth_xy, world_angles
from choreography.sampling import sample_character, sample_track
from render.fonts import typeface
from render.spec import PASS_KINDS, RenderSpec

LIGHT_MAX_ALPHA = 0.55
CROWD_DIM = 0.3
CROWD_FLOOR_MARGIN_PX = 40.0
MIN_ZOOM = 0.05
_STAGE_W, _STAGE_H = STAGE_SIZE_PX
_SHAPE_INDEX = {s: i for i, s in enumerate(SHAPES)}
_REST_SHAPE = _SHAPE_INDEX["X"]
_DEFAULT_FLOOR_Y = 960.0
_OPAQUE_PASSES = ("background", "composite")
# Linear within the nearest mip level: parts scaled far down stay smooth, not aliased. Measured on Pip against
# a 2x supersampled frame, as close as trilinear (blending two levels) at 640x360 to 1920x1080, at about 1.6x
# its speed; without mipmaps the error was 1.5x at 1280x720. The parts' transparent border makes their edges
# fade under the filter, so no anti-aliasing paint is needed.
_SAMPLING = skia.SamplingOptions(skia.FilterMode.kLinear, skia.MipmapMode.kNearest)


def _color(hex_rgb: str, alpha: int = 255) -> int:
    return skia.Color(*hex_to_rgb(hex_rgb), alpha)


def _rgb(hex_rgb: str) -> np.ndarray:
    return np.array(hex_to_rgb(hex_rgb), dtype=np.float64)


def _stroke(color: int, width: float) -> skia.Paint:
    return skia.Paint(Color=color, AntiAlias=True, Style=skia.Paint.kStroke_Style, StrokeWidth=float(width),
                      StrokeCap=skia.Paint.kRound_Cap, StrokeJoin=skia.Paint.kRound_Join)


def _fill(color: int) -> skia.Paint:
    return skia.Paint(Color=color, AntiAlias=True, Style=skia.Paint.kFill_Style)


def _hsv_to_rgb(hue_deg: np.ndarray, sat: np.ndarray) -> np.ndarray:
    """Vectorised ``hsv(hue, sat, 1)`` to RGB in 0..1, shape ``(n, 3)``."""
    h = np.mod(hue_deg, 360.0) / 60.0
    s = np.clip(sat, 0.0, 1.0)
    k = np.stack([np.mod(5.0 + h, 6.0), np.mod(3.0 + h, 6.0), np.mod(1.0 + h, 6.0)], axis=-1)
    return 1.0 - s[:, None] * np.clip(np.minimum(k, 4.0 - k), 0.0, 1.0)


MOUTH_RGB = {"lip": (90, 30, 30), "inside": (59, 13, 18), "teeth": (245, 245, 240), "tongue": (217, 104, 122)}


def mouth_parts(shape: str, w: float, o: float) -> list[tuple[str, str, tuple[float, float], tuple[float, float]]]:
    """The parts of a drawn mouth shape (a rig without mouth drawings), back to front.

    Parameters
    ----------
    shape : str
        A-H or X.
    w : float
        The mouth's width, px.
    o : float
        How open it is, 0..1.

    Returns
    -------
    list of (kind, colour, size, centre)
        ``kind`` is ``"line"`` (a lip line, stroked ``max(1.5, 0.09 w)`` wide; its size is its length),
        ``"oval"`` and ``"rect"`` (filled) or ``"ring"`` (a stroked oval); ``colour`` a key of
        :data:`MOUTH_RGB`; size and centre in px in the mouth's frame (x along the lips, y down).
    """
    if shape in ("A", "X"):
        return [("line", "lip", ((0.8 if shape == "A" else 0.6) * w, 0.0), (0.0, 0.0))]
    ovals = {"B": (0.8, 0.12, 0.1), "C": (0.8, 0.25, 0.35), "D": (1.0, 0.35, 0.45), "E": (0.55, 0.3, 0.3)}
    if shape in ovals:
        wf, h0, h1 = ovals[shape]
        return [("oval", "inside", (wf * w, (h0 + h1 * o) * w), (0.0, 0.0))]
    if shape == "F":
        d = (0.28 + 0.12 * o) * w
        return [("oval", "inside", (d, d), (0.0, 0.0)), ("ring", "lip", (d, d), (0.0, 0.0))]
    if shape == "G":
        hh = (0.18 + 0.1 * o) * w
        return [("oval", "inside", (0.7 * w, hh), (0.0, 0.0)), ("rect", "teeth", (0.56 * w, hh / 2), (0.0, -hh / 4))]
    hh = (0.35 + 0.35 * o) * w  # H
    return [("oval", "inside", (0.85 * w, hh), (0.0, 0.0)), ("oval", "tongue", (0.5 * w, hh * 0.45), (0.0, hh * 0.22))]


def crowd_image_paint(hue_shift_deg: float, saturation_shift: float, background: str) -> skia.Paint:
    """A paint that turns a crowd dancer's drawings like its bone colours, then dims them like its capsules.

    Parameters
    ----------
    hue_shift_deg, saturation_shift : float
        The dancer's drawn variation (:func:`choreography.crowd.crowd_color_shifts`).
    background : str
        The stage background colour (``#rrggbb``), which the crowd is dimmed towards.

    Returns
    -------
    skia.Paint
    """
    bg = _rgb(background) / 255.0
    k = CROWD_DIM
    turn = skia.ColorFilters.HSLAMatrix([1, 0, 0, 0, hue_shift_deg / 360.0, 0, 1, 0, 0, saturation_shift,
                                         0, 0, 1, 0, 0, 0, 0, 0, 1, 0])
    dim = skia.ColorFilters.Matrix([1 - k, 0, 0, 0, k * bg[0], 0, 1 - k, 0, 0, k * bg[1], 0, 0, 1 - k, 0, k * bg[2],
                                    0, 0, 0, 1, 0])
    return skia.Paint(ColorFilter=skia.ColorFilters.Compose(dim, turn))


def _frame_spans(n: int, spans: list[tuple[int, int, int]], fill: int = -1) -> np.ndarray:
    """Per-frame index: ``out[f] = i`` for each ``(start, end, i)`` span (end exclusive), later spans win."""
    out = np.full(n, fill, dtype=np.int64)
    for a, b, i in spans:
        a, b = max(0, a), min(n, b)
        if b > a:
            out[a:b] = i
    return out


def _part_image(path: Path) -> skia.Image:
    """A part's PNG as a mipmapped skia image (decoded once while the file is unchanged)."""
    try:
        stamp = path.stat().st_mtime_ns
    except OSError as exc:
        raise ChoreoError(f"part image cannot be read ({exc.strerror})", path=path) from exc
    return _decode_image(str(path), stamp)


@functools.lru_cache(maxsize=256)
def _decode_image(path: str, _stamp: int) -> skia.Image:
    from PIL import Image

    try:
        with Image.open(path) as im:
            rgba = np.ascontiguousarray(np.asarray(im.convert("RGBA"), dtype=np.uint8))
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ChoreoError(f"part image is not a readable PNG ({exc})", path=path) from exc
    image = skia.Image.fromarray(rgba, colorType=skia.kRGBA_8888_ColorType, alphaType=skia.kUnpremul_AlphaType)
    return image.withDefaultMipmaps()


@dataclass
class _Character:
    """Per-frame drawing data of one character."""

    name: str
    points: np.ndarray  # (n, n_bones, 4) float32: x0, y0, x1, y1 stage px
    ellipse: np.ndarray  # (n, n_ellipse, 4) float32: mid x, mid y, screen angle deg, length
    items: list  # draw order: (kind, index into points / ellipse, paint, width)
    mouth: np.ndarray  # (n, 3) float32: x, y, screen angle deg
    mouth_shape: np.ndarray  # (n,) int8 index into SHAPES
    mouth_open: np.ndarray  # (n,) float32
    mouth_size: float
    move: np.ndarray  # (n,) index into the text table, -1 for none
    word: np.ndarray  # (n,) index into the text table, -1 for none
    part_images: tuple = ()  # skia images of the cut-out parts, back to front; empty for a stick figure
    part_mats: np.ndarray | None = None  # (n, n_parts, 6) float32: scaleX, skewX, transX, skewY, scaleY, transY
    mouth_images: tuple = ()  # per mouth shape (SHAPES order): the artist's drawing or None; empty for none
    mouth_place: np.ndarray | None = None  # (n_shapes, 3): offset x, y from the anchor, scale
    mouth_turn: float = 0.0  # degrees added to the mouth's rotation for drawings (mouth bone's rest angle - 90)
    scale_open: bool = False
    image_paint: skia.Paint | None = None  # a crowd dancer's drawings: colours turned and dimmed


class FrameRenderer:
    """Sample a choreography per frame once and draw any pass of any frame into RGBA buffers.

    Parameters
    ----------
    choreography : Choreography
    rigs : dict of str to Rig
        A rig for every character of the choreography.
    spec : RenderSpec
    mouths : dict of str to MouthTrack, optional
        Mouth tracks by character; a character without one keeps a relaxed mouth (shape ``X``).
    analysis : Analysis, optional
        The song's beat and section map, for the overlay (bar:beat, section, beat ticks).

    Raises
    ------
    ChoreoError
        When a character has no rig or a requested pass is neither a pass kind nor a character.

    Examples
    --------
    >>> r = FrameRenderer(choreography, rigs, RenderSpec(passes=("composite",)))  # doctest: +SKIP
    >>> bufs = r.new_buffers()  # doctest: +SKIP
    >>> for f in range(r.n_frames):  # doctest: +SKIP
    ...     r.render(f, bufs)
    """

    def __init__(self, choreography: Choreography, rigs: dict[str, Rig], spec: RenderSpec, *,
                 mouths: dict[str, MouthTrack] | None = None, analysis: Analysis | None = None):
        self.spec = spec
        self.choreography = choreography
        self.n_frames = n = max(0, int(choreography.duration_frames))
        self.characters = tuple(choreography.characters)
        missing = [c for c in self.characters if c not in rigs]
        if missing:
            raise ChoreoError(f"no rig for character(s) {', '.join(missing)}; pass one rig per character")
        for p in spec.passes:
            self._check_pass(p)
        mouths = dict(mouths or {})
        self._texts: list[str] = []
        self._text_index: dict[str, int] = {}
        self._blobs: dict[tuple[int, int], tuple[skia.TextBlob | None, float]] = {}
        tracks = choreography.tracks
        fps = choreography.fps

        def channel(name: str, default: float) -> np.ndarray:
            t = tracks.get(name)
            if t is None or not t.frames:
                return np.full(n, default)
            return sample_track(t, n)

        # Camera: per frame sx, sy, tx, ty mapping stage px to output px.
        w, h = spec.width, spec.height
        zoom = np.maximum(channel("camera/zoom", 1.0), MIN_ZOOM)
        cx = _STAGE_W / 2 + channel("camera/x", 0.0)
        cy = _STAGE_H / 2 + channel("camera/y", 0.0)
        sx, sy = zoom * (w / _STAGE_W), zoom * (h / _STAGE_H)
        self.camera = np.stack([sx, sy, w / 2 - sx * cx, h / 2 - sy * cy], axis=-1)
        self.camera.setflags(write=False)

        # Lighting: straight-alpha RGBA per frame.
        self.light = np.stack([np.clip(channel("light/intensity", 0.0), 0.0, 1.0), channel("light/hue", 0.0),
                               np.clip(channel("light/saturation", 0.0), 0.0, 1.0)], axis=-1)
        self.light.setflags(write=False)
        rgb = np.rint(_hsv_to_rgb(self.light[:, 1], self.light[:, 2]) * 255.0)
        alpha = np.rint(self.light[:, 0] * LIGHT_MAX_ALPHA * 255.0)
        light_rgba = np.concatenate([rgb, alpha[:, None]], axis=-1).astype(np.int64)
        self._light_color = [skia.Color(int(r), int(g), int(b), int(a)) if a > 0 else 0 for r, g, b, a in light_rgba]

        # Characters.
        crowd = [x for x in crowd_names(choreography) if x in self.characters]
        shifts = crowd_color_shifts(choreography)
        self._chars: list[_Character] = []
        floor = []
        for name in (*crowd, *(x for x in self.characters if x not in crowd)):
            rig = tint(rigs[name], spec.background, CROWD_DIM) if name in crowd else rigs[name]
            self._chars.append(self._sample_character(name, rig, mouths.get(name), n))
            if name in crowd:
                self._chars[-1].image_paint = crowd_image_paint(*shifts[name], spec.background)
            rest = forward_kinematics(rig, np.zeros((1, rig.n_bones)))
            floor.append(float(rest[0, :, :, 1].max()) if rig.n_bones else _DEFAULT_FLOOR_Y)
        self.floor_y = max(floor) if floor else _DEFAULT_FLOOR_Y
        self._drawn = any(ch.part_images or ch.mouth_images for ch in self._chars)
        self.floor_top_y = min(floor[:len(crowd)]) - CROWD_FLOOR_MARGIN_PX if crowd else self.floor_y
        self._leads = self._chars[len(crowd):]

        # Overlay: bar sheet per frame.
        self._bar_text = np.full(n, self._text("-:-"), dtype=np.int64)
        self._section = np.full(n, -1, dtype=np.int64)
        self.beat_flag = np.zeros(n, dtype=np.int8)  # 1 on a beat frame, 2 on a downbeat frame
        if analysis is not None and analysis.beats:
            bf = np.array([seconds_to_frame(b.t, fps) for b in analysis.beats], dtype=np.int64)
            labels = np.array([self._text(f"{b.bar}:{b.beat}") for b in analysis.beats], dtype=np.int64)
            cur = np.searchsorted(bf, np.arange(n), side="right") - 1
            self._bar_text = np.where(cur >= 0, labels[np.maximum(cur, 0)], self._bar_text)
            for f, b in zip(bf, analysis.beats, strict=True):
                if 0 <= f < n:
                    self.beat_flag[f] = max(self.beat_flag[f], 2 if b.beat == 1 else 1)
        if analysis is not None and analysis.sections:
            self._section = _frame_spans(n, [(seconds_to_frame(s.start, fps), seconds_to_frame(s.end, fps),
                                              self._text(f"{s.kind} {s.label}")) for s in analysis.sections])
        self.beat_flag.setflags(write=False)

        self._bg = self._background_gradient()
        self._surfaces: dict[str, tuple[np.ndarray, skia.Surface]] = {}
        self._make_paints()

    # ------------------------------------------------------------------------------------------------------
    # Sampling

    def _text(self, s: str) -> int:
        i = self._text_index.get(s)
        if i is None:
            i = self._text_index[s] = len(self._texts)
            self._texts.append(s)
        return i

    def _sample_character(self, name: str, rig: Rig, mouth: MouthTrack | None, n: int) -> _Character:
        c = self.choreography
        rot, root = sample_character(c.tracks, name, rig.names, n)
        root_xy = np.asarray(rig.origin_xy, dtype=np.float64)[None, :] + root * np.array([1.0, -1.0])
        seg = forward_kinematics(rig, rot, root_xy)  # (n, b, 2, 2)
        ang = world_angles(rig, rot)  # deg, ccw y-up
        points = seg.reshape(n, rig.n_bones, 4).astype(np.float32)
        ell_bones = [i for i in range(rig.n_bones) if rig.shapes[i] == "ellipse"]
        ell = np.zeros((n, len(ell_bones), 4), dtype=np.float32)
        for k, i in enumerate(ell_bones):
            ell[:, k, 0:2] = (seg[:, i, 0] + seg[:, i, 1]) / 2
            ell[:, k, 2] = -ang[:, i]  # canvas rotation: clockwise positive on a y-down screen
            ell[:, k, 3] = rig.lengths_px[i]
        items = []
        for i in rig.draw_order.tolist():
            color = _color(rig.colors[i])
            width = float(rig.widths_px[i])
            if rig.shapes[i] == "ellipse":
                items.append((1, ell_bones.index(i), _fill(color), width))
            else:
                items.append((0, i, _stroke(color, width), width))
        mxy = mouth_xy(rig, rot, root_xy)
        m = np.empty((n, 3), dtype=np.float32)
        m[:, :2] = mxy
        m[:, 2] = -(ang[:, rig.mouth.index] - 90.0)  # mouth level when its bone points up
        shape = np.full(n, _REST_SHAPE, dtype=np.int8)
        opening = np.zeros(n, dtype=np.float32)
        words = np.full(n, -1, dtype=np.int64)
        if mouth is not None:
            for cue in mouth.cues:
                a, b = max(0, cue.start_frame), min(n, cue.end_frame)
                if b > a:
                    shape[a:b] = _SHAPE_INDEX.get(cue.shape, _REST_SHAPE)
                    opening[a:b] = min(max(float(cue.open), 0.0), 1.0)
            words = _frame_spans(n, [(seconds_to_frame(wd.start, c.fps), seconds_to_frame(wd.end, c.fps),
                                      self._text(wd.text)) for wd in mouth.words])
        moves = _frame_spans(n, [(mp.start_frame, mp.end_frame, self._text(mp.move))
                                 for mp in c.moves if mp.character == name])
        ch = _Character(name, points, ell, items, m, shape, opening, float(rig.mouth.size_px), moves, words)
        if rig.parts or rig.mouth.shapes:
            self._sample_parts(ch, rig, seg, ang)
        return ch

    @staticmethod
    def _sample_parts(ch: _Character, rig: Rig, seg: np.ndarray, ang: np.ndarray) -> None:
        """Per-frame matrices of the cut-out parts and the mouth drawings of a rig that has them."""
        rest = world_angles(rig, np.zeros((1, rig.n_bones)))[0]
        if rig.parts:
            idx = np.array([p.index for p in rig.parts])
            theta = np.deg2rad(rest[idx] - ang[:, idx])  # screen rotation (clockwise positive, y down) from rest
            cos, sin = np.cos(theta), np.sin(theta)
            k = np.array([p.drawing.scale for p in rig.parts])
            ox, oy = np.array([p.drawing.offset_px for p in rig.parts]).T
            start = seg[:, idx, 0]
            mats = np.empty((*theta.shape, 6), dtype=np.float32)
            mats[..., 0], mats[..., 1] = k * cos, -k * sin
            mats[..., 3], mats[..., 4] = k * sin, k * cos
            mats[..., 2] = start[..., 0] + cos * ox - sin * oy
            mats[..., 5] = start[..., 1] + sin * ox + cos * oy
            ch.part_images = tuple(_part_image(p.drawing.path) for p in rig.parts)
            ch.part_mats = mats
        if rig.mouth.shapes:
            drawings = [rig.mouth.shapes.get(s) for s in SHAPES]
            ch.mouth_images = tuple(None if d is None else _part_image(d.path) for d in drawings)
            ch.mouth_place = np.array([(0.0, 0.0, 1.0) if d is None else (*d.offset_px, d.scale) for d in drawings])
            ch.mouth_turn = float(rest[rig.mouth.index] - 90.0)
            ch.scale_open = rig.mouth.scale_open

    def _background_gradient(self) -> np.ndarray:
        h, w = self.spec.height, self.spec.width
        base = _rgb(self.spec.background)
        top, bottom = np.minimum(base * 1.35 + 12.0, 255.0), base * 0.55
        t = np.linspace(0.0, 1.0, h)[:, None]
        col = np.rint(top * (1.0 - t) + bottom * t)
        img = np.empty((h, w, 4), dtype=np.uint8)
        img[..., :3] = col[:, None, :].astype(np.uint8)
        img[..., 3] = 255
        return img

    def _make_paints(self) -> None:
        base = _rgb(self.spec.background)
        floor = np.minimum(base * 0.8 + 10.0, 255.0).astype(int)
        line = np.minimum(base * 1.6 + 40.0, 255.0).astype(int)
        self._floor_paint = _fill(skia.Color(*floor.tolist()))
        self._floor_line = _stroke(skia.Color(*line.tolist()), 4.0)
        self._lip = _stroke(skia.Color(*MOUTH_RGB["lip"]), 1.0)
        self._mouth_paints = {k: _fill(skia.Color(*rgb)) for k, rgb in MOUTH_RGB.items()}
        k = self.spec.height / 720.0
        self._k = k
        tf = typeface()
        self._font_big = skia.Font(tf, 30.0 * k)
        self._font = skia.Font(tf, 18.0 * k)
        self._font_word = skia.Font(tf, 36.0 * k)
        self._panel = _fill(skia.Color(0, 0, 0, 140))
        self._text_paint = _fill(skia.Color(240, 240, 240))
        self._dim_text = _fill(skia.Color(170, 180, 200))
        self._tick_ring = _stroke(skia.Color(200, 200, 200, 160), 2.0 * k)
        self._tick_beat = _fill(skia.Color(255, 255, 255))
        self._tick_down = _fill(skia.Color(255, 140, 40))
        self._fonts = (self._font_big, self._font, self._font_word)

    # ------------------------------------------------------------------------------------------------------
    # Buffers

    def _check_pass(self, name: str) -> None:
        if name not in PASS_KINDS and name not in self.characters:
            raise ChoreoError(f"unknown pass {name!r}; choose from {', '.join(PASS_KINDS)} or a character "
                              f"({', '.join(self.characters) or 'none'})")

    @property
    def pass_names(self) -> tuple[str, ...]:
        """Every pass this renderer can draw: the pass kinds, then one per character."""
        return PASS_KINDS + tuple(c for c in self.characters if c not in PASS_KINDS)

    def new_buffers(self, names=None) -> dict[str, np.ndarray]:
        """Zeroed RGBA buffers for passes.

        Parameters
        ----------
        names : iterable of str, optional
            Pass names; ``spec.passes`` when omitted.

        Returns
        -------
        dict of str to np.ndarray [shape=(height, width, 4), dtype=uint8]
        """
        names = self.spec.passes if names is None else tuple(names)
        out = {}
        for name in names:
            self._check_pass(name)
            out[name] = np.zeros((self.spec.height, self.spec.width, 4), dtype=np.uint8)
        return out

    def _surface(self, name: str, buf: np.ndarray) -> skia.Surface:
        cached = self._surfaces.get(name)
        if cached is not None and cached[0] is buf:
            return cached[1]
        want = (self.spec.height, self.spec.width, 4)
        if not isinstance(buf, np.ndarray) or buf.shape != want or buf.dtype != np.uint8 \
                or not buf.flags.c_contiguous or not buf.flags.writeable:
            raise ChoreoError(f"buffer for pass {name!r} must be a writeable C-contiguous uint8 array of shape "
                              f"{want}; use FrameRenderer.new_buffers")
        # The opaque passes never hold alpha < 255, where straight and premultiplied bytes are the same, so
        # either surface type draws them right: skia blends strokes about twice as fast into a premultiplied
        # one, but draws filtered images about three times slower there (measured: Pip's 17 parts 0.32 ms
        # unpremultiplied, 0.88 ms premultiplied at 1280x720), so a scene with cut-out parts uses the other.
        premul = name in _OPAQUE_PASSES and not self._drawn
        alpha_type = skia.kPremul_AlphaType if premul else skia.kUnpremul_AlphaType
        surface = skia.Surface(buf, colorType=skia.kRGBA_8888_ColorType, alphaType=alpha_type)
        self._surfaces[name] = (buf, surface)
        return surface

    def stage_to_output(self, frame: int, xy: Any) -> np.ndarray:
        """Where stage points appear in the output picture at a frame (through the camera).

        Parameters
        ----------
        frame : int
        xy : array_like [shape=(..., 2), stage px, y down]

        Returns
        -------
        np.ndarray [shape=(..., 2), output px, y down]
        """
        sx, sy, tx, ty = self.camera[frame]
        p = np.asarray(xy, dtype=np.float64)
        return np.stack([p[..., 0] * sx + tx, p[..., 1] * sy + ty], axis=-1)

    # ------------------------------------------------------------------------------------------------------
    # Drawing

    def render(self, frame: int, out: dict[str, np.ndarray]) -> None:
        """Draw the passes named by ``out``'s keys for one frame into its buffers (in place).

        Parameters
        ----------
        frame : int
            Frame index, ``0 <= frame < n_frames``.
        out : dict of str to np.ndarray [shape=(height, width, 4), dtype=uint8]
            Pass name to buffer (see :meth:`new_buffers`); straight-alpha RGBA is written.

        Raises
        ------
        ChoreoError
            When the frame is out of range, a pass is unknown or a buffer has the wrong shape or type.
        """
        f = int(frame)
        if not 0 <= f < self.n_frames:
            raise ChoreoError(f"frame {frame} is outside 0..{self.n_frames - 1}")
        for name, buf in out.items():
            self._check_pass(name)
            surface = self._surface(name, buf)
            canvas = surface.getCanvas()
            if name in ("background", "composite"):
                np.copyto(buf, self._bg)
                self._draw_floor(canvas, f)
                if name == "composite":
                    self._draw_stage(canvas, f, self._chars, bodies=True, mouths=True)
                    self._draw_light(canvas, f)
                    if self.spec.overlay:
                        self._draw_overlay(canvas, f)
            else:
                canvas.clear(skia.ColorTRANSPARENT)
                if name == "characters":
                    self._draw_stage(canvas, f, self._chars, bodies=True, mouths=False)
                elif name == "mouth":
                    self._draw_stage(canvas, f, self._chars, bodies=False, mouths=True)
                elif name == "lighting":
                    self._draw_light(canvas, f, skia.BlendMode.kSrc)
                elif name == "overlay":
                    self._draw_overlay(canvas, f)
                else:
                    chars = [c for c in self._chars if c.name == name]
                    self._draw_stage(canvas, f, chars, bodies=True, mouths=True, interleave=True)

    def _camera(self, canvas: skia.Canvas, f: int) -> None:
        sx, sy, tx, ty = self.camera[f].tolist()
        canvas.translate(tx, ty)
        canvas.scale(sx, sy)

    def _draw_floor(self, canvas: skia.Canvas, f: int) -> None:
        canvas.save()
        self._camera(canvas, f)
        y = self.floor_top_y
        canvas.drawRect(skia.Rect(-1e5, y, 1e5, 1e5), self._floor_paint)
        canvas.drawLine(-1e5, y, 1e5, y, self._floor_line)
        canvas.restore()

    def _draw_stage(self, canvas: skia.Canvas, f: int, chars: list[_Character], *, bodies: bool, mouths: bool,
                    interleave: bool = False) -> None:
        if not chars:
            return
        canvas.save()
        self._camera(canvas, f)
        if bodies:
            for ch in chars:
                self._draw_body(canvas, ch, f)
                if mouths and interleave:
                    self._draw_mouth(canvas, ch, f)
        if mouths and not interleave:
            for ch in chars:
                self._draw_mouth(canvas, ch, f)
        canvas.restore()

    def _draw_body(self, canvas: skia.Canvas, ch: _Character, f: int) -> None:
        if ch.part_images:
            self._draw_parts(canvas, ch, f)
            return
        pts = ch.points[f].tolist()
        ell = ch.ellipse[f].tolist() if ch.ellipse.shape[1] else ()
        line, save, restore = canvas.drawLine, canvas.save, canvas.restore
        for kind, i, paint, width in ch.items:
            if kind == 0:
                x0, y0, x1, y1 = pts[i]
                line(x0, y0, x1, y1, paint)
            else:
                mx, my, rot, length = ell[i]
                half = max(length, width * 0.5) / 2.0
                save()
                canvas.translate(mx, my)
                canvas.rotate(rot)
                canvas.drawOval(skia.Rect(-half, -width / 2.0, half, width / 2.0), paint)
                restore()

    def _draw_parts(self, canvas: skia.Canvas, ch: _Character, f: int) -> None:
        mat = skia.Matrix()
        save, restore, concat, draw = canvas.save, canvas.restore, canvas.concat, canvas.drawImage
        for image, (a, b, c, d, e, g) in zip(ch.part_images, ch.part_mats[f].tolist(), strict=True):
            mat.setAll(a, b, c, d, e, g, 0.0, 0.0, 1.0)
            save()
            concat(mat)
            draw(image, 0.0, 0.0, _SAMPLING, ch.image_paint)
            restore()

    def _draw_mouth(self, canvas: skia.Canvas, ch: _Character, f: int) -> None:
        x, y, rot = ch.mouth[f].tolist()
        si = int(ch.mouth_shape[f])
        shape = SHAPES[si]
        o = float(ch.mouth_open[f])
        w = ch.mouth_size
        canvas.save()
        canvas.translate(x, y)
        canvas.rotate(rot)
        drawing = ch.mouth_images[si] if ch.mouth_images else None
        if drawing is not None:
            ox, oy, k = ch.mouth_place[si].tolist()
            canvas.rotate(ch.mouth_turn)
            if ch.scale_open:
                canvas.scale(1.0, 0.5 + 0.5 * o)
            canvas.translate(ox, oy)
            canvas.scale(k, k)
            canvas.drawImage(drawing, 0.0, 0.0, _SAMPLING, ch.image_paint)
            canvas.restore()
            return
        lip = self._lip
        lip.setStrokeWidth(max(1.5, 0.09 * w))
        for kind, colour, (sw, sh), (cx, cy) in mouth_parts(shape, w, o):
            if kind == "line":
                canvas.drawLine(cx - sw / 2, cy, cx + sw / 2, cy, lip)
                continue
            rect = skia.Rect(cx - sw / 2, cy - sh / 2, cx + sw / 2, cy + sh / 2)
            if kind == "rect":
                canvas.drawRect(rect, self._mouth_paints[colour])
            else:
                canvas.drawOval(rect, lip if kind == "ring" else self._mouth_paints[colour])
        canvas.restore()

    def _draw_light(self, canvas: skia.Canvas, f: int, mode: skia.BlendMode = skia.BlendMode.kSrcOver) -> None:
        color = self._light_color[f]
        if color:
            canvas.drawColor(color, mode)

    def _blob(self, text_id: int, font_id: int) -> tuple[skia.TextBlob | None, float]:
        key = (text_id, font_id)
        hit = self._blobs.get(key)
        if hit is None:
            text, font = self._texts[text_id], self._fonts[font_id]
            blob = skia.TextBlob.MakeFromString(text, font) if text else None
            hit = self._blobs[key] = (blob, float(font.measureText(text)) if text else 0.0)
        return hit

    def _draw_text(self, canvas: skia.Canvas, text_id: int, font_id: int, x: float, y: float,
                   paint: skia.Paint) -> float:
        blob, width = self._blob(text_id, font_id)
        if blob is not None:
            canvas.drawTextBlob(blob, x, y, paint)
        return width

    def _draw_overlay(self, canvas: skia.Canvas, f: int) -> None:
        k, w, h = self._k, self.spec.width, self.spec.height
        crowd = len(self._chars) - len(self._leads)
        rows = 2 + len(self._leads) + (1 if crowd else 0)
        canvas.drawRoundRect(skia.Rect(10 * k, 10 * k, 330 * k, (22 + 40 + 24 * (rows - 1)) * k), 8 * k, 8 * k,
                             self._panel)
        x, y = 22 * k, 46 * k
        self._draw_text(canvas, int(self._bar_text[f]), 0, x, y, self._text_paint)
        self._draw_text(canvas, self._text(f"frame {f}"), 1, x + 150 * k, y, self._dim_text)
        y += 26 * k
        sec = int(self._section[f])
        if sec >= 0:
            self._draw_text(canvas, sec, 1, x, y, self._text_paint)
        for ch in self._leads:
            y += 24 * k
            mv = int(ch.move[f])
            label = self._text(f"{ch.name}: {self._texts[mv] if mv >= 0 else '-'}")
            self._draw_text(canvas, label, 1, x, y, self._dim_text)
        if crowd:
            self._draw_text(canvas, self._text(f"crowd: {crowd} dancers"), 1, x, y + 24 * k, self._dim_text)
        # Beat tick: a ring always, a dot on a beat frame, a bigger orange dot on a downbeat frame.
        cx, cy = w - 40 * k, 40 * k
        canvas.drawCircle(cx, cy, 22 * k, self._tick_ring)
        flag = int(self.beat_flag[f])
        if flag == 2:
            canvas.drawCircle(cx, cy, 20 * k, self._tick_down)
        elif flag == 1:
            canvas.drawCircle(cx, cy, 9 * k, self._tick_beat)
        # Sung words, one line per singing character, centred at the bottom.
        y = h - 30 * k
        for ch in self._leads:
            wd = int(ch.word[f])
            if wd < 0:
                continue
            tid = self._text(self._texts[wd] if len(self._leads) == 1 else f"{ch.name}: {self._texts[wd]}")
            _, tw = self._blob(tid, 2)
            canvas.drawRoundRect(skia.Rect((w - tw) / 2 - 12 * k, y - 36 * k, (w + tw) / 2 + 12 * k, y + 12 * k),
                                 8 * k, 8 * k, self._panel)
            self._draw_text(canvas, tid, 2, (w - tw) / 2, y, self._text_paint)
            y -= 54 * k
