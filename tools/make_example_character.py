"""Draw the example cut-out character "Pip" from simple shapes, write it as a layered OpenRaster file and import it.

Pip is drawn by this script (no third-party art) in the rest pose of the shipped skeleton ``bo``: one layer per
bone, a layer group ``mouth`` with one drawing per mouth shape (A-H, X as in Rhubarb Lip Sync), and a group
``pivots`` of ``pivot:BONE`` dots at the shoulders, hips and neck, as an artist would mark them. The layered
file then goes through ``choreo rig import`` (:func:`choreography.rig_import.import_rig`) like any artist's
file, and the result is the shipped rig ``pip``.

Usage::

    python tools/make_example_character.py            # writes examples/pip.ora and the shipped rig
    python tools/make_example_character.py --docs     # and docs/example_character.png, ..._sheet.png

Conventions
-----------
- The art is drawn at :data:`ART_SCALE` art px per stage px; drawing code works in stage px (y down) through
  the canvas transform, on the skeleton's rest-pose joints (from forward kinematics, never typed in).
- Layers are listed back to front; :func:`write_ora` writes OpenRaster's top-first ``stack.xml``.
- Everything is deterministic: the same script writes the same pixels.
"""

from __future__ import annotations

import argparse
import io
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import skia

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SKELETON = "bo"
NAME = "pip"
ART_SCALE = 2.0
ART_SIZE = (420, 900)  # art px, width x height
STAGE_ORIGIN = (960.0 - 105.0, 540.0 - 10.0)  # stage px at the art's top-left corner
ART_PATH = ROOT / "examples" / "pip.ora"
RIG_PATH = ROOT / "choreography" / "data" / "rigs" / "pip.json"
DOCS = ROOT / "docs"

OUTLINE = "#2b2d42"
SKIN = "#e8b58f"
SKIN_DARK = "#d39c76"
HOODIE = "#2a9d8f"
HOODIE_DARK = "#21867a"
STRIPE = "#e9c46a"
SHORTS = "#6d597a"
SHOE = "#f4a261"
SOLE = "#fdf6ec"
HAIR = "#9c4a1a"
MOUTH_DARK = "#5a1a24"
TONGUE = "#e07a8a"
TEETH = "#fbfbf6"
LINE = 2.0  # outline width, stage px


@dataclass
class Node:
    """A layer (``rgba`` set) or a group (``children`` set, back to front) of a layered file."""

    name: str
    rgba: np.ndarray | None = None
    x: int = 0
    y: int = 0
    opacity: float = 1.0
    visible: bool = True
    children: list[Node] = field(default_factory=list)


def write_ora(path: str | Path, size: tuple[int, int], layers: list[Node]) -> Path:
    """Write an OpenRaster file: ``mimetype`` first and stored, ``stack.xml`` (top layer first), PNG layers.

    Parameters
    ----------
    path : str or Path
    size : (int, int)
        Canvas width and height, px.
    layers : list of Node
        Back to front; groups hold their children back to front.

    Returns
    -------
    Path
    """
    from PIL import Image

    from audio.files import write_atomic

    files: dict[str, bytes] = {}

    def png(rgba: np.ndarray) -> bytes:
        buf = io.BytesIO()
        Image.fromarray(rgba, "RGBA").save(buf, format="PNG", optimize=True)
        return buf.getvalue()

    def xml(nodes: list[Node], indent: str) -> list[str]:
        lines = []
        for node in reversed(nodes):  # stack.xml lists the top layer first
            common = (f"name={quoteattr(node.name)} opacity=\"{node.opacity:g}\" "
                      f"visibility=\"{'visible' if node.visible else 'hidden'}\"")
            if node.rgba is None:
                lines.append(f"{indent}<stack {common}>")
                lines += xml(node.children, indent + " ")
                lines.append(f"{indent}</stack>")
            else:
                src = f"data/layer{len(files):03d}.png"
                files[src] = png(node.rgba)
                lines.append(f"{indent}<layer {common} src=\"{src}\" x=\"{node.x}\" y=\"{node.y}\" "
                             "composite-op=\"svg:src-over\"/>")
        return lines

    body = xml(layers, "  ")
    w, h = size
    stack = "\n".join(["<?xml version='1.0' encoding='UTF-8'?>", f"<image version=\"0.0.5\" w=\"{w}\" h=\"{h}\">",
                       " <stack>", *body, " </stack>", "</image>", ""])
    merged = _flatten(size, layers)
    thumb = Image.fromarray(merged, "RGBA")
    thumb.thumbnail((256, 256))
    entries = {"mimetype": b"image/openraster", "stack.xml": stack.encode("utf-8"), **files,
               "mergedimage.png": png(merged), "Thumbnails/thumbnail.png": png(np.asarray(thumb))}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in entries.items():  # fixed dates: the same layers give the same bytes
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED if name == "stack.xml" else zipfile.ZIP_STORED
            zf.writestr(info, data)
    return write_atomic(path, out.getvalue())


def _flatten(size: tuple[int, int], layers: list[Node]) -> np.ndarray:
    """The visible layers composited back to front (straight alpha), for the file's merged image."""
    w, h = size
    buf = np.zeros((h, w, 4), np.uint8)
    surface = skia.Surface(buf, colorType=skia.kRGBA_8888_ColorType, alphaType=skia.kUnpremul_AlphaType)
    canvas = surface.getCanvas()

    def draw(nodes: list[Node], opacity: float) -> None:
        for node in nodes:
            if not node.visible:
                continue
            if node.rgba is None:
                draw(node.children, opacity * node.opacity)
            elif node.rgba.size:
                image = skia.Image.fromarray(np.ascontiguousarray(node.rgba), colorType=skia.kRGBA_8888_ColorType)
                canvas.drawImage(image, node.x, node.y, skia.SamplingOptions(),
                                 skia.Paint(Alphaf=opacity * node.opacity))

    draw(layers, 1.0)
    return buf


# --------------------------------------------------------------------------------------------------------------
# Drawing


def _color(hex_rgb: str, alpha: float = 1.0) -> int:
    v = int(hex_rgb[1:], 16)
    return skia.Color((v >> 16) & 255, (v >> 8) & 255, v & 255, int(round(alpha * 255)))


def _fill(hex_rgb: str, alpha: float = 1.0) -> skia.Paint:
    return skia.Paint(Color=_color(hex_rgb, alpha), AntiAlias=True, Style=skia.Paint.kFill_Style)


def _stroke(hex_rgb: str, width: float = LINE) -> skia.Paint:
    return skia.Paint(Color=_color(hex_rgb), AntiAlias=True, Style=skia.Paint.kStroke_Style, StrokeWidth=width,
                      StrokeCap=skia.Paint.kRound_Cap, StrokeJoin=skia.Paint.kRound_Join)


def _paint_layer(draw) -> Node:
    """Run ``draw(canvas)`` in stage px on a transparent art-size canvas; the layer is cropped to its pixels."""
    w, h = ART_SIZE
    buf = np.zeros((h, w, 4), np.uint8)
    surface = skia.Surface(buf, colorType=skia.kRGBA_8888_ColorType, alphaType=skia.kUnpremul_AlphaType)
    canvas = surface.getCanvas()
    canvas.scale(ART_SCALE, ART_SCALE)
    canvas.translate(-STAGE_ORIGIN[0], -STAGE_ORIGIN[1])
    draw(canvas)
    ys, xs = np.nonzero(buf[..., 3])
    if not ys.size:
        return Node("", np.zeros((0, 0, 4), np.uint8))
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    return Node("", buf[y0:y1, x0:x1].copy(), int(x0), int(y0))


def _capsule(canvas, p0, p1, width: float, color: str) -> None:
    canvas.drawLine(*p0, *p1, _stroke(OUTLINE, width + 2 * LINE))
    canvas.drawLine(*p0, *p1, _stroke(color, width))


def _blob(canvas, rect, radius: float, color: str) -> None:
    rr = skia.RRect.MakeRectXY(skia.Rect(*rect), radius, radius)
    canvas.drawRRect(rr, _fill(color))
    canvas.drawRRect(rr, _stroke(OUTLINE))


def _joints():
    from choreography.rig import forward_kinematics, load_rig

    rig = load_rig(SKELETON)
    seg = forward_kinematics(rig, np.zeros((1, rig.n_bones)))[0]
    return rig, {name: (tuple(seg[i, 0]), tuple(seg[i, 1])) for i, name in enumerate(rig.names)}


def _limb_layers(j) -> dict[str, Node]:
    layers = {}
    for side in ("l", "r"):
        sign = 1.0 if side == "l" else -1.0
        hip, knee = j[f"{side}_thigh"]
        ankle = j[f"{side}_shin"][1]
        toe = j[f"{side}_foot"][1]
        shoulder, elbow = j[f"{side}_upper_arm"]
        wrist, fingers = j[f"{side}_hand"]

        def thigh(c, hip=hip, knee=knee):
            _blob(c, (hip[0] - 17, hip[1] - 8, hip[0] + 17, knee[1] + 4), 12, SHORTS)

        def shin(c, knee=knee, ankle=ankle):
            _capsule(c, knee, ankle, 18, SKIN)
            c.drawLine(ankle[0] - 9, ankle[1] - 10, ankle[0] + 9, ankle[1] - 10, _stroke(SOLE, 5))

        def foot(c, ankle=ankle, toe=toe, sign=sign):
            x0, x1 = sorted((ankle[0] - sign * 14, toe[0] + sign * 6))
            _blob(c, (x0, ankle[1] - 12, x1, ankle[1] + 10), 10, SHOE)
            c.drawLine(x0 + 3, ankle[1] + 6, x1 - 3, ankle[1] + 6, _stroke(SOLE, 4))

        def upper_arm(c, shoulder=shoulder, elbow=elbow):
            _capsule(c, shoulder, elbow, 24, HOODIE)

        def forearm(c, elbow=elbow, wrist=wrist):
            _capsule(c, elbow, wrist, 17, SKIN)
            c.drawLine(elbow[0] - 10, elbow[1] + 4, elbow[0] + 10, elbow[1] + 4, _stroke(STRIPE, 5))

        def hand(c, wrist=wrist, fingers=fingers, sign=sign):
            cx, cy = (wrist[0] + fingers[0]) / 2, (wrist[1] + fingers[1]) / 2 + 2
            c.drawCircle(cx, cy, 13, _fill(SKIN))
            c.drawCircle(cx, cy, 13, _stroke(OUTLINE))
            c.drawCircle(cx - sign * 11, cy - 4, 5, _fill(SKIN))  # thumb, toward the body
            c.drawArc(skia.Rect(cx - sign * 16, cy - 9, cx - sign * 6, cy + 1), -90 + sign * 90, 180, False,
                      _stroke(OUTLINE, 1.5))

        for bone, fn in (("thigh", thigh), ("shin", shin), ("foot", foot), ("upper_arm", upper_arm),
                         ("forearm", forearm), ("hand", hand)):
            node = _paint_layer(fn)
            node.name = f"{side}_{bone}"
            layers[node.name] = node
    return layers


def _body_layers(j) -> dict[str, Node]:
    pelvis = j["root"][0]
    cx = pelvis[0]
    chest0, chest1 = j["chest"]
    spine0 = j["spine"][0]
    neck0, neck1 = j["neck"]
    head0, head1 = j["head"]
    hx, hy = (head0[0] + head1[0]) / 2, (head0[1] + head1[1]) / 2 + 4
    radius = 56.0

    def root(c):
        _blob(c, (cx - 36, pelvis[1] - 22, cx + 36, pelvis[1] + 16), 14, SHORTS)

    def spine(c):
        _blob(c, (cx - 38, chest0[1] - 6, cx + 38, spine0[1] - 4), 16, HOODIE)
        _blob(c, (cx - 20, chest0[1] + 18, cx + 20, chest0[1] + 36), 6, HOODIE_DARK)  # the pocket

    def chest(c):
        body = skia.RRect.MakeRectXY(skia.Rect(cx - 42, chest1[1] - 4, cx + 42, chest0[1] + 12), 22, 22)
        c.drawRRect(body, _fill(HOODIE))
        c.save()
        c.clipRRect(body, doAntiAlias=True)
        c.drawRect(skia.Rect(cx - 42, chest0[1] - 14, cx + 42, chest0[1] - 6), _fill(STRIPE))
        c.restore()
        c.drawRRect(body, _stroke(OUTLINE))
        c.drawLine(cx, chest1[1] + 6, cx, chest0[1] + 8, _stroke(HOODIE_DARK, 2.5))
        c.drawLine(cx - 8, chest1[1] + 14, cx - 8, chest1[1] + 30, _stroke(SOLE, 2.5))  # drawstrings
        c.drawLine(cx + 8, chest1[1] + 14, cx + 8, chest1[1] + 30, _stroke(SOLE, 2.5))

    def neck(c):
        _capsule(c, neck0, (neck1[0], neck1[1] - 8), 20, SKIN_DARK)

    def head(c):
        for ex in (-1, 1):  # ears behind the head
            c.drawCircle(hx + ex * radius, hy + 4, 14, _fill(SKIN))
            c.drawCircle(hx + ex * radius, hy + 4, 14, _stroke(OUTLINE))
        c.drawCircle(hx, hy, radius, _fill(SKIN))
        c.drawCircle(hx, hy, radius, _stroke(OUTLINE))
        hair = skia.Path()
        hair.moveTo(hx - radius + 4, hy - 10)
        hair.cubicTo(hx - radius + 2, hy - radius - 14, hx + radius - 2, hy - radius - 14, hx + radius - 4, hy - 10)
        hair.cubicTo(hx + 30, hy - 34, hx + 6, hy - 26, hx - 4, hy - 40)
        hair.cubicTo(hx - 16, hy - 26, hx - 36, hy - 30, hx - radius + 4, hy - 10)
        hair.close()
        c.drawPath(hair, _fill(HAIR))
        c.drawPath(hair, _stroke(OUTLINE))
        tuft = skia.Path()
        tuft.moveTo(hx - 6, hy - radius + 2)
        tuft.quadTo(hx - 2, hy - radius - 26, hx + 16, hy - radius - 20)
        tuft.quadTo(hx + 4, hy - radius - 10, hx + 8, hy - radius + 2)
        tuft.close()
        c.drawPath(tuft, _fill(HAIR))
        c.drawPath(tuft, _stroke(OUTLINE))
        for ex in (-1, 1):
            ox = hx + ex * 20
            c.drawOval(skia.Rect(ox - 10, hy - 16, ox + 10, hy + 10), _fill(TEETH))
            c.drawOval(skia.Rect(ox - 10, hy - 16, ox + 10, hy + 10), _stroke(OUTLINE, 1.5))
            c.drawCircle(ox + 2, hy - 1, 6, _fill(OUTLINE))
            c.drawCircle(ox + 4, hy - 4, 2, _fill(TEETH))
            c.drawLine(ox - 9, hy - 24, ox + 8, hy - 26 + ex * 1.5, _stroke(HAIR, 3))
            c.drawCircle(hx + ex * 34, hy + 16, 8, _fill("#f08080", 0.45))  # cheeks, translucent
        c.drawArc(skia.Rect(hx - 5, hy + 2, hx + 5, hy + 10), 20, 140, False, _stroke(SKIN_DARK, 2))

    out = {}
    for name, fn in (("root", root), ("spine", spine), ("chest", chest), ("neck", neck), ("head", head)):
        node = _paint_layer(fn)
        node.name = name
        out[name] = node
    return out


def _mouth_layers(rig, j) -> list[Node]:
    """One drawing per mouth shape, centred on the skeleton's mouth anchor (Rhubarb's A-H and X)."""
    from choreography.rig import mouth_xy

    mx, my = mouth_xy(rig, np.zeros((1, rig.n_bones)))[0]
    w = 26.0

    def lips(c, rect, inner=None):
        c.drawOval(skia.Rect(*rect), _fill(MOUTH_DARK))
        if inner:
            inner(c)
        c.drawOval(skia.Rect(*rect), _stroke(OUTLINE, 1.8))

    def shape_x(c):  # rest: a small smile
        c.drawArc(skia.Rect(mx - 0.35 * w, my - 8, mx + 0.35 * w, my + 3), 30, 120, False, _stroke(OUTLINE, 2.2))

    def shape_a(c):  # M, B, P: lips pressed
        c.drawLine(mx - 0.4 * w, my, mx + 0.4 * w, my, _stroke(OUTLINE, 2.6))

    def shape_b(c):  # most consonants: clenched teeth
        def teeth(cc):
            cc.drawRect(skia.Rect(mx - 0.36 * w, my - 4, mx + 0.36 * w, my + 4), _fill(TEETH))
        lips(c, (mx - 0.42 * w, my - 6, mx + 0.42 * w, my + 6), teeth)

    def shape_c(c):  # EH, AE: open
        def teeth(cc):
            cc.drawRect(skia.Rect(mx - 0.3 * w, my - 9, mx + 0.3 * w, my - 4), _fill(TEETH))
        lips(c, (mx - 0.42 * w, my - 9, mx + 0.42 * w, my + 9), teeth)

    def shape_d(c):  # AA: wide open
        def tongue(cc):
            cc.drawOval(skia.Rect(mx - 0.25 * w, my + 3, mx + 0.25 * w, my + 14), _fill(TONGUE))
            cc.drawRect(skia.Rect(mx - 0.32 * w, my - 14, mx + 0.32 * w, my - 9), _fill(TEETH))
        lips(c, (mx - 0.5 * w, my - 14, mx + 0.5 * w, my + 14), tongue)

    def shape_e(c):  # AO, ER: rounded
        lips(c, (mx - 0.3 * w, my - 10, mx + 0.3 * w, my + 10))

    def shape_f(c):  # UW, OW, W: puckered
        lips(c, (mx - 0.16 * w, my - 7, mx + 0.16 * w, my + 7))
        c.drawOval(skia.Rect(mx - 0.24 * w, my - 9, mx + 0.24 * w, my + 9), _stroke(TONGUE, 2.5))

    def shape_g(c):  # F, V: upper teeth on the lower lip
        def teeth(cc):
            cc.drawRect(skia.Rect(mx - 0.3 * w, my - 6, mx + 0.3 * w, my + 1), _fill(TEETH))
        lips(c, (mx - 0.38 * w, my - 6, mx + 0.38 * w, my + 5), teeth)
        c.drawLine(mx - 0.34 * w, my + 4, mx + 0.34 * w, my + 4, _stroke(TONGUE, 2.5))

    def shape_h(c):  # L: tongue up behind the teeth
        def tongue(cc):
            cc.drawOval(skia.Rect(mx - 0.2 * w, my - 10, mx + 0.2 * w, my + 2), _fill(TONGUE))
        lips(c, (mx - 0.42 * w, my - 11, mx + 0.42 * w, my + 11), tongue)

    out = []
    for name, fn in (("A", shape_a), ("B", shape_b), ("C", shape_c), ("D", shape_d), ("E", shape_e),
                     ("F", shape_f), ("G", shape_g), ("H", shape_h), ("X", shape_x)):
        node = _paint_layer(fn)
        node.name = name
        node.visible = name == "X"  # as an artist leaves it: the rest mouth shown, the others hidden
        out.append(node)
    return out


def draw_character() -> list[Node]:
    """Pip's layers, back to front: legs, neck, body, head, arms, the mouth group and the pivot markers.

    Returns
    -------
    list of Node
    """
    rig, j = _joints()
    limbs, body = _limb_layers(j), _body_layers(j)
    order = ["r_foot", "l_foot", "r_shin", "l_shin", "r_thigh", "l_thigh"]
    layers = [limbs[n] for n in order] + [body[n] for n in ("neck", "root", "spine", "chest", "head")]
    layers += [limbs[f"{s}_{b}"] for s in ("r", "l") for b in ("upper_arm", "forearm", "hand")]
    layers.append(Node("mouth", children=_mouth_layers(rig, j)))
    markers = []
    for bone in ("l_upper_arm", "r_upper_arm", "l_thigh", "r_thigh", "head"):
        x, y = j[bone][0]

        def dot(c, x=x, y=y):
            c.drawCircle(x, y, 2.5, _fill("#ff00ff"))

        node = _paint_layer(dot)
        node.name = f"pivot:{bone}"
        markers.append(node)
    layers.append(Node("pivots", children=markers, visible=True))
    layers.insert(0, Node("sketch (reference)", *_sketch(), visible=False))
    return layers


def _sketch() -> tuple[np.ndarray, int, int]:
    """A hidden construction layer, as artists keep one: the skeleton's bones as thin lines."""
    _, j = _joints()

    def lines(c):
        for a, b in j.values():
            c.drawLine(*a, *b, _stroke("#888888", 1.0))

    node = _paint_layer(lines)
    return node.rgba, node.x, node.y


# --------------------------------------------------------------------------------------------------------------
# Docs pictures


def docs_pictures(rig_path: Path, out_dir: Path) -> list[Path]:
    """Render a frame of Pip dancing to the example song, and a contact sheet of poses and mouth shapes.

    Parameters
    ----------
    rig_path : Path
    out_dir : Path

    Returns
    -------
    list of Path
    """
    from fractions import Fraction

    from PIL import Image

    from audio.analysis import analyze
    from audio.files import write_atomic
    from audio.params import AnalysisParams
    from choreography.model import SHAPES, Choreography, MouthCue, MouthTrack, Track
    from choreography.moves import load_moves
    from choreography.rig import load_rig
    from choreography.solver import SolveParams, solve
    from render.contact import contact_sheet
    from render.frames import FrameRenderer
    from render.spec import RenderSpec

    ex = ROOT / "examples"
    song = analyze(ex / "example_song.ogg", AnalysisParams(backend="librosa"), midi=ex / "example_song.mid")
    rigs = {"ada": load_rig("ada"), "pip": load_rig(rig_path), "bo": load_rig("bo")}
    c = solve(song, rigs, load_moves(), params=SolveParams(ensemble="canon"))
    n = c.duration_frames
    cues = tuple(MouthCue(f, f + 6, SHAPES[(f // 6) % len(SHAPES)], 0.8) for f in range(0, n - 6, 6))
    mouths = {"pip": MouthTrack(c.fps, "pip", cues)}
    tracks = dict(c.tracks)
    tracks.update({"camera/zoom": Track((0,), (1.3,), ("hold",)), "camera/x": Track((0,), (0.0,), ("hold",)),
                   "camera/y": Track((0,), (130.0,), ("hold",)), "light/intensity": Track((0,), (0.0,), ("hold",))})
    close = Choreography(fps=Fraction(c.fps), duration_frames=n, characters=c.characters, tracks=tracks,
                         moves=c.moves)
    written = []
    wide = FrameRenderer(close, rigs, RenderSpec(width=960, height=540, overlay=False), mouths=mouths)
    buf = wide.new_buffers(["composite"])
    frame = _lively_frame(c, n)
    wide.render(frame, buf)
    png = io.BytesIO()
    Image.fromarray(buf["composite"][..., :3], "RGB").save(png, format="PNG", optimize=True)
    written.append(write_atomic(out_dir / "example_character.png", png.getvalue()))

    solo = Choreography(fps=Fraction(c.fps), duration_frames=n, characters=("pip",),
                        tracks={**{k: v for k, v in c.tracks.items() if k.startswith("pip/")},
                                "camera/zoom": Track((0,), (2.4,), ("hold",)),
                                "camera/y": Track((0,), (230.0,), ("hold",))}, moves=c.moves)
    sheet = FrameRenderer(solo, {"pip": rigs["pip"]}, RenderSpec(width=480, height=270, overlay=False),
                          mouths=mouths)
    buf = sheet.new_buffers(["composite"])
    frames, labels = [], []
    for k, f in enumerate(np.linspace(n * 0.1, n * 0.9, len(SHAPES)).astype(int)):
        f = int(f - f % 6 + 6 * ((k - (f // 6)) % len(SHAPES)))  # frame whose mouth cue shows shape k
        sheet.render(f, buf)
        frames.append(buf["composite"].copy())
        move = next((m.move for m in c.moves if m.character == "pip" and m.start_frame <= f < m.end_frame), "-")
        labels.append(f"frame {f}: {move}, mouth {SHAPES[k]}")
    written.append(contact_sheet(frames, labels, out_dir / "example_character_sheet.png", columns=3,
                                 thumb_width=320))
    return written


def _lively_frame(c, n: int) -> int:
    """A frame in the second half where Pip's arms are furthest from rest (a pose worth showing)."""
    from choreography.sampling import sample_character

    rot, _ = sample_character(c.tracks, "pip", ("l_upper_arm", "r_upper_arm"), n)
    score = np.abs(rot).sum(axis=1)
    half = n // 2
    return int(half + np.argmax(score[half:]))


def main(argv: list[str] | None = None) -> None:
    """Draw Pip, write the layered file and import it as the shipped rig (and the docs pictures)."""
    from choreography.rig_import import import_rig, write_rig

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--art", type=Path, default=ART_PATH, help="the layered file to write (.ora)")
    ap.add_argument("--rig", type=Path, default=RIG_PATH, help="the rig to write (.json; images beside it)")
    ap.add_argument("--docs", action="store_true", help="also render docs/example_character*.png")
    args = ap.parse_args(argv)
    write_ora(args.art, ART_SIZE, draw_character())
    imported = import_rig(args.art, SKELETON, name=NAME, image_dir=args.rig.stem)
    for w in imported.warnings:
        print(f"warning: {w}")
    write_rig(imported, args.rig)
    print(f"wrote {args.art} and {args.rig} ({len(imported.doc['parts'])} parts, mouth shapes "
          f"{' '.join(imported.doc['mouth'].get('shapes', {}))})")
    if args.docs:
        for path in docs_pictures(args.rig, DOCS):
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
