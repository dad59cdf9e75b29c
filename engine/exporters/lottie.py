"""Lottie (``.lottie.json``): the song's dance as one vector animation, for Lottie players and After Effects.

Conventions
-----------
- One Lottie JSON (Bodymovin 5 layout, checked against the Lottie 1.0 schema of ``lottie-specs``) per song:
  the scene. ``w``/``h`` are the canvas size (1280 x 720 by default; ``size=`` to change it), ``ip`` 0 and
  ``op`` the choreography's ``duration_frames``; Lottie frame ``f`` is choreo frame ``f``. ``fr`` is the
  choreography's rational fps as a float, the only form Lottie has (30000/1001 is written
  29.97002997002997); every keyframe time and marker is a whole frame number, so the float rate changes
  only the player's clock, never which frame a key is on.
- Characters follow the rig as a **parented chain of shape layers, one per bone**: a bone's layer sits at
  its joint in its parent bone's frame (``p`` = ``[attach * parent length + along, -across]``, the layer's
  x axis along the bone), rotated by ``-(rest + offset)`` (Lottie turns clockwise on a y-down screen, choreo
  counter-clockwise in y-up). Composing the chain is exactly what
  :func:`choreography.rig.forward_kinematics` computes (a bone's world angle is its parent's plus its own,
  its joint is carried by the parent's rotation), and every layer is keyed with the choreography's own
  keys: a key's rotation is an affine function of its offset, so the ease between two keys is kept
  unchanged. Baked per-bone world transforms would need a key on every frame, since world positions
  interpolated between keys are not the positions of the interpolated angles.
- The root bone's layer carries the root motion: split position ``x = origin x + root.x`` and
  ``y = origin y - root.y`` (root offsets are y-up), each keyed from its own track.
- Drawing follows :class:`render.frames.FrameRenderer`: a capsule bone is an open two-point path stroked
  with round caps in the rig's colour and width, an ellipse bone a filled ellipse spanning the bone; layers
  are stacked in the rig's draw order, characters as the renderer draws them (a crowd first, back row
  first, then the leads in the choreography's order), mouths above every body. The background, floor,
  lighting and overlay are not carried (the canvas is transparent).
- A rig with cut-out parts keeps its bone layers as null layers (they still carry the motion) and draws
  each part as an image layer parented to its bone, back to front by the parts' ``z``: the part's layer
  undoes the bone's rest angle, so the image turns about the bone's start by the bone's change from rest,
  as the rig format defines. Images are embedded as PNG data URLs (one asset per file); a crowd dancer's
  colours are those the renderer gives it: its rig's colours tinted toward the render background
  (:func:`choreography.crowd.tint`), its drawings turned and dimmed by the renderer's crowd paint before
  they are embedded.
- Mouths: one layer per character on its mouth bone (at the anchor's offset, turned 90 degrees so its x
  axis is level when the bone points up) holding one shape group per drawn mouth shape, drawn as the
  renderer draws it, and an image layer per mouth drawing of the rig (turned by the mouth bone's rest angle
  minus 90, squeezed by the open amount when the rig asks for it). Hold keyframes switch the groups' and
  drawings' opacity at every cue and size the open-dependent parts.
- Layer names: ``"<character> <bone>"``, ``"<character> part <bone>"``, ``"<character> mouth"``,
  ``"<character> mouth <shape>"``, ``"camera zoom"`` and ``"camera pan"``.
- Eases: every ease of :data:`choreography.moves.EASES` but ``hold`` is a cubic polynomial in the segment's
  time, so it is an exact Lottie bezier ease with time handles at 1/3 and 2/3 (the value handles solve
  for the ease's values at 1/3 and 2/3; :func:`ease_handles`). Handles are written to 6 decimals, which
  moves an ease by at most a few millionths of the segment's change. ``hold`` is a hold keyframe
  (``h: 1``) on the key before it, as choreo holds the earlier value until the later key's frame.
- The camera is two null layers over everything: the outer at the canvas centre, scaled by
  ``camera/zoom`` x (canvas / 1920 x 1080 stage); the inner with its anchor at the stage centre and
  position ``-camera/x``, ``-camera/y``. Together: ``out = canvas centre + zoom * k * (stage - stage centre
  - camera offset)``, the renderer's mapping. Zoom keys are written as they are: the renderer's floor of
  0.05 is not applied (a warning says so when the zoom goes below it).
- Markers (``tm``, ``dr`` in frames, ``cm`` the name): sections, bars and lyric lines from
  :func:`engine.exporters.song.song_markers`, each on the frame nearest its time.
"""

from __future__ import annotations

import base64
import functools
import io
import json
import warnings
from collections.abc import Callable, Iterator
from itertools import count
from pathlib import Path
from typing import Any

import numpy as np

from audio.errors import ChoreoError
from choreography.crowd import crowd_color_shifts, crowd_names, tint
from choreography.model import SHAPES, Choreography, MouthTrack, Track
from choreography.moves import EASES, apply_ease
from choreography.rig import STAGE_SIZE_PX, Rig, hex_to_rgb, world_angles
from choreography.sampling import sample_track
from engine.exporters import Exporter, register
from engine.exporters.song import Song, song_markers

DEFAULT_SIZE = "1280x720"
BODYMOVIN_VERSION = "5.7.0"
SPEC_VERSION = 10000  # Lottie 1.0.0, the lottie-specs schema this file is checked against
HANDLE_DECIMALS = 6
_THIRDS = np.array([1.0 / 3.0, 2.0 / 3.0])
_CHECK_T = np.linspace(0.0, 1.0, 201)
_REST_SHAPE = "X"
_DOT_PX = 0.05  # rlottie draws no stroke for a segment of 0.001 px; 0.1 px it draws


@functools.cache
def ease_handles(ease: str) -> tuple[float, float]:
    """The value handles of a choreo ease as a Lottie cubic bezier ease with time handles at 1/3 and 2/3.

    Parameters
    ----------
    ease : str
        One of :data:`choreography.moves.EASES` other than ``"hold"``.

    Returns
    -------
    y_out, y_in : float
        The ``o.y`` of the earlier key and the ``i.y`` of the segment (fractions of the change; may lie
        outside 0..1 for overshoot and anticipate).

    Raises
    ------
    ValueError
        When the ease is not a cubic polynomial of the segment's time (a bezier with these time handles
        cannot follow it exactly).
    """
    code = EASES.index(ease)
    f1, f2 = apply_ease(_THIRDS, np.full(2, code))
    # Bernstein form with P0 = 0, P3 = 1: f(1/3) = (12 P1 + 6 P2 + 1) / 27, f(2/3) = (6 P1 + 12 P2 + 8) / 27.
    p1, p2 = np.linalg.solve([[12.0, 6.0], [6.0, 12.0]], [27.0 * f1 - 1.0, 27.0 * f2 - 8.0])
    t = _CHECK_T
    bezier = 3 * t * (1 - t) ** 2 * p1 + 3 * t ** 2 * (1 - t) * p2 + t ** 3
    err = float(np.max(np.abs(bezier - apply_ease(t, np.full(t.size, code)))))
    if err > 1e-9:
        raise ValueError(f"ease {ease!r} is not a cubic polynomial (off by {err:.3g}); the Lottie exporter "
                         "cannot write it as one bezier ease")
    return float(p1), float(p2)


def _num(v: float) -> float:
    return round(float(v), 4)


def _static(value) -> dict[str, Any]:
    return {"a": 0, "k": value}


def _color(hex_or_rgb) -> dict[str, Any]:
    if isinstance(hex_or_rgb, str):
        hex_or_rgb = hex_to_rgb(hex_or_rgb)
    return _static([round(c / 255.0, 6) for c in hex_or_rgb] + [1])


def _keyed(frames, values, eases, dims: int = 1) -> dict[str, Any]:
    """An animated property: one keyframe per key, the segment's ease on the key before it.

    ``values[k]`` is a list of ``dims`` numbers; ``eases[k]`` shapes the segment arriving at key ``k``.
    """
    if len(frames) == 1:
        return _static(values[0] if dims > 1 else values[0][0])
    keys = []
    for k, (f, v) in enumerate(zip(frames, values, strict=True)):
        key: dict[str, Any] = {"t": int(f), "s": v}
        if k + 1 < len(frames):
            ease = eases[k + 1]
            if ease == "hold":
                key["h"] = 1
            else:
                y_out, y_in = ease_handles(ease)
                key["o"] = {"x": [round(1 / 3, HANDLE_DECIMALS)] * dims, "y": [round(y_out, HANDLE_DECIMALS)] * dims}
                key["i"] = {"x": [round(2 / 3, HANDLE_DECIMALS)] * dims, "y": [round(y_in, HANDLE_DECIMALS)] * dims}
        keys.append(key)
    return {"a": 1, "k": keys}


def _track_property(track: Track | None, scale, offset, default: float = 0.0) -> dict[str, Any]:
    """A channel as a property whose value is ``offset + scale * channel``.

    ``scale`` and ``offset`` are numbers for a scalar property, or equal-length lists for a vector one.
    """
    dims = len(scale) if isinstance(scale, list | tuple) else 0
    scales, offsets = (scale, offset) if dims else ([scale], [offset])
    if track is None or not track.frames:
        value = [_num(o + k * default) for k, o in zip(scales, offsets, strict=True)]
        return _static(value if dims else value[0])
    eases = [e if e in EASES else "linear" for e in track.interp]  # as the sampler reads an unknown ease
    values = [[_num(o + k * v) for k, o in zip(scales, offsets, strict=True)] for v in track.values]
    return _keyed(track.frames, values, eases, max(dims, 1))


def _transform(*, p=None, r=None, s=None, a=None, o=None) -> dict[str, Any]:
    return {"a": a or _static([0, 0]), "p": p or _static([0, 0]), "s": s or _static([100, 100]),
            "r": r or _static(0), "o": o or _static(100)}


def _layer(ind: int, name: str, n: int, ks: dict[str, Any], parent: int | None = None,
           shapes: list | None = None, image: str | None = None) -> dict[str, Any]:
    """An image layer (``image``: its asset id), a shape layer (``shapes``) or else a null layer."""
    kind = 2 if image is not None else 3 if shapes is None else 4
    layer: dict[str, Any] = {"ddd": 0, "ind": ind, "ty": kind, "nm": name, "sr": 1, "ks": ks, "ao": 0, "ip": 0,
                             "op": n, "st": 0, "bm": 0}
    if parent is not None:
        layer["parent"] = parent
    if shapes is not None:
        layer["shapes"] = shapes
    if image is not None:
        layer["refId"] = image
    return layer


def _asset(assets: dict[tuple, dict[str, Any]], path: Path, shift: tuple[float, float] | None,
           background: str) -> str:
    """The id of an image's asset, embedded as a PNG data URL the first time it is used.

    ``shift`` is a crowd dancer's (hue, saturation) shift: its drawings are embedded with the renderer's crowd
    paint (toward ``background``) already applied, since Lottie has no colour filter that players agree on.
    """
    from PIL import Image

    key = (path, shift)
    asset = assets.get(key)
    if asset is None:
        try:
            with Image.open(path) as im:
                rgba = np.asarray(im.convert("RGBA"))
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            raise ChoreoError(f"part image cannot be read as an image ({exc})", path=path) from exc
        if shift is not None:
            rgba = _crowd_colours(rgba, shift, background)
        png = io.BytesIO()
        Image.fromarray(rgba).save(png, format="PNG")
        h, w = rgba.shape[:2]
        asset = assets[key] = {"id": f"image_{len(assets)}", "nm": path.name, "w": w, "h": h, "u": "",
                               "p": "data:image/png;base64," + base64.b64encode(png.getvalue()).decode(), "e": 1}
    return asset["id"]


def _crowd_colours(rgba: np.ndarray, shift: tuple[float, float], background: str) -> np.ndarray:
    """An image's pixels through the renderer's crowd paint (hue and saturation turned, dimmed)."""
    import skia

    from render.frames import crowd_image_paint

    src = skia.Image.fromarray(np.ascontiguousarray(rgba), colorType=skia.kRGBA_8888_ColorType,
                               alphaType=skia.kUnpremul_AlphaType)
    out = np.zeros_like(rgba)
    surface = skia.Surface(out, colorType=skia.kRGBA_8888_ColorType, alphaType=skia.kUnpremul_AlphaType)
    surface.getCanvas().drawImage(src, 0.0, 0.0, skia.SamplingOptions(), crowd_image_paint(*shift, background))
    surface.flushAndSubmit()
    return out


def _group(name: str, items: list[dict[str, Any]], opacity: dict[str, Any] | None = None) -> dict[str, Any]:
    tr = {"ty": "tr", **_transform(), "o": opacity or _static(100), "nm": "Transform"}
    return {"ty": "gr", "nm": name, "np": len(items), "it": [*items, tr]}


def _path(points) -> dict[str, Any]:
    zero = [[0, 0] for _ in points]
    return {"ty": "sh", "ks": _static({"c": False, "v": [[_num(x), _num(y)] for x, y in points], "i": zero,
                                       "o": zero})}


def _ellipse(size: dict[str, Any], centre: dict[str, Any]) -> dict[str, Any]:
    return {"ty": "el", "p": centre, "s": size}


def _stroke(colour, width: float) -> dict[str, Any]:
    return {"ty": "st", "c": _color(colour), "o": _static(100), "w": _static(_num(width)), "lc": 2, "lj": 2,
            "ml": 4}


def _fill(colour) -> dict[str, Any]:
    return {"ty": "fl", "c": _color(colour), "o": _static(100), "r": 1}


def _bone_shapes(rig: Rig, i: int) -> list[dict[str, Any]]:
    length, width = float(rig.lengths_px[i]), float(rig.widths_px[i])
    if rig.shapes[i] == "ellipse":
        body = [_ellipse(_static([_num(max(length, width * 0.5)), _num(width)]), _static([_num(length / 2), 0.0])),
                _fill(rig.colors[i])]
    elif length < _DOT_PX:  # players draw nothing for a stroke with no length; its round caps make a dot
        body = [_ellipse(_static([_num(width), _num(width)]), _static([_num(length / 2), 0.0])), _fill(rig.colors[i])]
    else:
        body = [_path([(0.0, 0.0), (length, 0.0)]), _stroke(rig.colors[i], width)]
    return [_group(rig.names[i], body)]


def _bone_layers(name: str, rig: Rig, tracks: dict[str, Track], n: int, ids: Iterator[int],
                 camera: int) -> tuple[list[dict[str, Any]], list[int]]:
    """One layer per bone, parented as the rig is: shape layers for a stick figure, nulls under cut-out parts.

    Returns the layers and their ``ind`` values, both in bone order.
    """
    inds = [next(ids) for _ in range(rig.n_bones)]
    layers = []
    for i in range(rig.n_bones):
        rot = _track_property(tracks.get(f"{name}/{rig.names[i]}.rot"), -1.0, -float(rig.rest_deg[i]))
        p = int(rig.parents[i])
        if p < 0:
            ox, oy = (float(v) for v in rig.origin_xy)
            pos = {"s": True, "x": _track_property(tracks.get(f"{name}/root.x"), 1.0, ox),
                   "y": _track_property(tracks.get(f"{name}/root.y"), -1.0, oy)}
            parent = camera
        else:
            along, across = (float(v) for v in rig.offsets_px[i])
            pos = _static([_num(rig.attach[i] * rig.lengths_px[p] + along), _num(-across)])
            parent = inds[p]
        layers.append(_layer(inds[i], f"{name} {rig.names[i]}", n, _transform(p=pos, r=rot), parent,
                             None if rig.parts else _bone_shapes(rig, i)))
    return layers, inds


def _turned(deg: float, x: float, y: float) -> list[float]:
    """``(x, y)`` turned ``deg`` degrees clockwise on the y-down screen (Lottie's and skia's sense)."""
    a = np.deg2rad(deg)
    return [_num(np.cos(a) * x - np.sin(a) * y), _num(np.sin(a) * x + np.cos(a) * y)]


def _part_layers(name: str, rig: Rig, bone_inds: list[int], n: int, ids: Iterator[int],
                 image: Callable[[Path], str]) -> list[dict[str, Any]]:
    """The cut-out parts, back to front: each image turns with its bone about the bone's start.

    A bone's layer turns by its world angle; the part is drawn as it lies in the rest pose, so its layer undoes
    the rest angle: ``T(turn(rest) offset) R(rest) S(scale)`` in the bone's frame.
    """
    rest = world_angles(rig, np.zeros((1, rig.n_bones)))[0]
    layers = []
    for part in rig.parts:
        d, a = part.drawing, float(rest[part.index])
        ks = _transform(p=_static(_turned(a, *d.offset_px)), r=_static(_num(a)), s=_static([_num(100 * d.scale)] * 2))
        layers.append(_layer(next(ids), f"{name} part {part.bone}", n, ks, bone_inds[part.index],
                             image=image(d.path)))
    return layers


def _mouth_runs(track: MouthTrack | None, n: int) -> list[tuple[int, str, float]]:
    """``(first frame, shape, open)`` of every run of frames with one mouth, as the renderer fills frames."""
    shape = np.full(n, SHAPES.index(_REST_SHAPE), dtype=np.int64)
    opening = np.zeros(n)
    for cue in track.cues if track is not None else ():
        a, b = max(0, cue.start_frame), min(n, cue.end_frame)
        if b > a:
            shape[a:b] = SHAPES.index(cue.shape) if cue.shape in SHAPES else SHAPES.index(_REST_SHAPE)
            opening[a:b] = min(max(float(cue.open), 0.0), 1.0)
    change = np.flatnonzero((np.diff(shape) != 0) | (np.diff(opening) != 0)) + 1
    return [(int(f), SHAPES[int(shape[f])], float(opening[f])) for f in [0, *change.tolist()]]


def _shown(runs: list[tuple[int, str, float]], shape: str) -> dict[str, Any]:
    """Opacity 100 while the mouth has ``shape``, else 0 (hold keys where it changes)."""
    keys = [(f, 100 if s == shape else 0) for f, s, _ in runs]
    keys = [fv for k, fv in enumerate(keys) if k == 0 or fv[1] != keys[k - 1][1]]
    if len(keys) == 1:
        return _static(keys[0][1])
    return _keyed([f for f, _ in keys], [[v] for _, v in keys], ["hold"] * len(keys))


def _held(frames: list[int], values: list) -> dict[str, Any]:
    """A vector property holding each value from its frame on (static when it never changes)."""
    rounded = [[_num(x) for x in v] for v in values]
    if all(v == rounded[0] for v in rounded):
        return _static(rounded[0])
    return _keyed(frames, rounded, ["hold"] * len(frames), dims=len(rounded[0]))


def _drawn_mouth(shape: str, rig: Rig, runs: list[tuple[int, str, float]]) -> dict[str, Any]:
    """The shape group of a mouth shape the renderer draws itself (no drawing in the rig)."""
    from render.frames import MOUTH_RGB, mouth_parts

    w = float(rig.mouth.size_px)
    frames = [f for f, s, _ in runs if s == shape]
    per_run = [mouth_parts(shape, w, o) for _, s, o in runs if s == shape]
    items = []
    for j, (kind, colour, (length, _), _) in enumerate(per_run[0]):
        rgb = MOUTH_RGB[colour]
        if kind == "line":
            geometry = _path([(-length / 2, 0.0), (length / 2, 0.0)])
        else:
            size, centre = _held(frames, [p[j][2] for p in per_run]), _held(frames, [p[j][3] for p in per_run])
            geometry = ({"ty": "rc", "p": centre, "s": size, "r": _static(0)} if kind == "rect"
                        else _ellipse(size, centre))
        paint = _fill(rgb) if kind in ("oval", "rect") else _stroke(rgb, max(1.5, 0.09 * w))
        items.append(_group(kind, [geometry, paint]))
    return _group(f"mouth {shape}", items[::-1], _shown(runs, shape))  # Lottie draws the first item on top


def _mouth_layers(name: str, rig: Rig, track: MouthTrack | None, n: int, ids: Iterator[int], bone_inds: list[int],
                  image: Callable[[Path], str]) -> list[dict[str, Any]]:
    """The mouth: a shape layer on the mouth anchor with the drawn shapes, and an image layer per drawing.

    A drawing turns with the mouth bone from its rest angle (``mouth_turn``) and, with ``scale_open``, is
    squeezed vertically by ``0.5 + 0.5 * open``: ``R(turn) S(1, sy) T(offset) S(scale)`` in the mouth's frame,
    written as position ``turn(offset x, sy * offset y)``, rotation ``turn``, scale ``(scale, sy * scale)``.
    """
    runs = _mouth_runs(track, n)
    used = list(dict.fromkeys(s for _, s, _ in runs))
    drawn = [_drawn_mouth(s, rig, runs) for s in used if s not in rig.mouth.shapes]
    along, across = (float(v) for v in rig.mouth.offset_px)
    anchor_ind = next(ids)
    ks = _transform(p=_static([_num(along), _num(-across)]), r=_static(90))
    layers = [_layer(anchor_ind, f"{name} mouth", n, ks, bone_inds[rig.mouth.index], drawn if drawn else None)]
    turn = float(world_angles(rig, np.zeros((1, rig.n_bones)))[0, rig.mouth.index]) - 90.0
    for shape in used:
        d = rig.mouth.shapes.get(shape)
        if d is None:
            continue
        frames = [f for f, s, _ in runs if s == shape]
        squeeze = [0.5 + 0.5 * o if rig.mouth.scale_open else 1.0 for _, s, o in runs if s == shape]
        ks = _transform(p=_held(frames, [_turned(turn, d.offset_px[0], sy * d.offset_px[1]) for sy in squeeze]),
                        r=_static(_num(turn)),
                        s=_held(frames, [(100 * d.scale, 100 * d.scale * sy) for sy in squeeze]),
                        o=_shown(runs, shape))
        layers.append(_layer(next(ids), f"{name} mouth {shape}", n, ks, anchor_ind, image=image(d.path)))
    return layers


def _camera_layers(c: Choreography, width: int, height: int, n: int, ids: Iterator[int]) -> list[dict[str, Any]]:
    """The camera's two nulls; the second (the pan) is the parent of every character."""
    stage_w, stage_h = STAGE_SIZE_PX
    k = [100.0 * width / stage_w, 100.0 * height / stage_h]
    scale = _track_property(c.tracks.get("camera/zoom"), k, [0.0, 0.0], default=1.0)
    zoom_ind, pan_ind = next(ids), next(ids)
    outer = _layer(zoom_ind, "camera zoom", n, _transform(p=_static([width / 2, height / 2]), s=scale))
    pos = {"s": True, "x": _track_property(c.tracks.get("camera/x"), -1.0, 0.0),
           "y": _track_property(c.tracks.get("camera/y"), -1.0, 0.0)}
    inner = _layer(pan_ind, "camera pan", n, _transform(p=pos, a=_static([stage_w / 2, stage_h / 2])), zoom_ind)
    return [outer, inner]


def to_lottie(song: Song, *, size: str = DEFAULT_SIZE, rigs: dict[str, Rig] | None = None) -> dict[str, Any]:
    """The Lottie document of a song's choreography (see the module conventions).

    Parameters
    ----------
    song : Song
        Needs the choreography; its mouth tracks give the characters' mouths.
    size : str
        Canvas ``WIDTHxHEIGHT`` in pixels.
    rigs : dict of str to Rig, optional
        A rig per character; by default the rigs the choreography records
        (:func:`engine.render_stage.rigs_for`).

    Returns
    -------
    dict
        The JSON document.

    Raises
    ------
    ChoreoError
        No choreography, a bad size, a rig that cannot be found or a part image that cannot be read.
    """
    from engine.render_stage import rigs_for
    from render.frames import CROWD_DIM, MIN_ZOOM
    from render.spec import RenderSpec, parse_size

    fps = song.fps
    width, height = parse_size(size)
    c = song.choreography
    rigs = rigs_for(c, None) if rigs is None else rigs
    missing = [ch for ch in c.characters if ch not in rigs]
    if missing:
        raise ChoreoError(f"no rig for character(s) {', '.join(missing)}")
    n = max(1, int(c.duration_frames))
    zoom = c.tracks.get("camera/zoom")
    if zoom is not None and zoom.frames and sample_track(zoom, n).min() < MIN_ZOOM:
        warnings.warn(f"camera/zoom goes below {MIN_ZOOM}, where choreo's renderer stops zooming out; the Lottie "
                      "zooms out further, as the keys say", UserWarning, stacklevel=2)
    mouths = {m.character: m for m in song.mouths}
    ids = count(1)
    assets: dict[tuple, dict[str, Any]] = {}
    hidden = _camera_layers(c, width, height, n, ids)
    pan = hidden[1]["ind"]
    crowd = [x for x in crowd_names(c) if x in c.characters]
    shifts = crowd_color_shifts(c)
    background = RenderSpec.background  # a crowd is dimmed toward the colour choreo renders behind it
    bodies, faces = [], []
    for name in (*crowd, *(x for x in c.characters if x not in crowd)):  # back to front, as the renderer draws
        rig = tint(rigs[name], background, CROWD_DIM) if name in crowd else rigs[name]
        shift = shifts[name] if name in crowd else None

        def image(path: Path, shift=shift) -> str:
            return _asset(assets, path, shift, background)

        bones, inds = _bone_layers(name, rig, c.tracks, n, ids, pan)
        if rig.parts:
            hidden += bones
            bodies.append(_part_layers(name, rig, inds, n, ids, image))
        else:
            bodies.append([bones[i] for i in rig.draw_order.tolist()])
        faces.append(_mouth_layers(name, rig, mouths.get(name), n, ids, inds, image))
    # Lottie draws the first layer on top: mouths over every body, later characters over earlier ones.
    stack = [layer for face in faces[::-1] for layer in face] + [layer for body in bodies[::-1] for layer in body[::-1]]
    markers = []
    for m in song_markers(song):
        a, b = m.frames(fps)
        markers.append({"tm": a, "dr": b - a, "cm": m.name})
    return {"v": BODYMOVIN_VERSION, "ver": SPEC_VERSION, "nm": song.name, "fr": float(fps), "ip": 0, "op": n,
            "w": width, "h": height, "ddd": 0, "assets": list(assets.values()), "layers": stack + hidden,
            "markers": markers, "meta": {"g": "choreo", "fps": f"{fps.numerator}/{fps.denominator}"}}


def write_lottie(song: Song, path: str | Path, *, size: str = DEFAULT_SIZE,
                 rigs: dict[str, Rig] | None = None) -> Path:
    """Write the Lottie JSON of a song atomically.

    Parameters
    ----------
    song : Song
    path : str or Path
    size : str
        Canvas ``WIDTHxHEIGHT`` (default 1280x720).
    rigs : dict of str to Rig, optional
        See :func:`to_lottie`.

    Returns
    -------
    Path

    Raises
    ------
    ChoreoError
        As :func:`to_lottie`, or a file that cannot be written.
    """
    from engine.artifacts import write_atomic

    doc = to_lottie(song, size=size, rigs=rigs)
    return write_atomic(path, json.dumps(doc, separators=(",", ":"), ensure_ascii=False))


LOTTIE = register(Exporter(
    "lottie", ".lottie.json", write_lottie,
    "Lottie animation: each character a parented chain of bone layers keyed with the choreography's keys and "
    "eases (cut-out parts and mouth drawings as embedded images), root motion, mouth shapes per cue, a crowd "
    "tinted as rendered, the camera as parent nulls, markers for sections, bars and lyric lines (no "
    "background, floor, lighting or overlay); canvas --size (default 1280x720)", scope="song",
    needs=("choreography",), options=("size",),
    reader="lottie-specs JSON schema (jsonschema) and rlottie-python frames against choreo's own render"))
