"""Cut-out rigs from an artist's layered file: OpenRaster ``.ora`` and Photoshop ``.psd``.

An artist draws a character in the skeleton's rest pose, one layer (or layer group) per bone, a group
``mouth`` with one drawing per mouth shape, and optionally small dots named ``pivot:BONE`` where a joint
turns. :func:`import_rig` places the skeleton on the drawing and makes a ``choreo.rig/1`` document with
``parts`` (see :mod:`choreography.rig`); :func:`write_rig` writes it with the part images beside it.

Conventions
-----------
- **Art space** is the file's canvas in pixels, origin at the top-left corner, y down. Stage space is the
  rig's (1920 x 1080, y down): the imported character keeps the skeleton's size on the stage, so a part
  drawn at twice the stage size gets ``scale`` 0.5 (stage px per image pixel).
- **Layer order** is back to front everywhere in this module (``Artwork.layers[0]`` is the bottom layer).
  OpenRaster's ``stack.xml`` lists the top layer first; psd-tools lists the bottom one first. Both are turned
  into this order, and a part's ``z`` in the rig is its position in it, so the artist's stacking is kept.
- **Groups**: a group named after a bone is one part (its visible layers composited); the group ``mouth``
  holds the mouth set, one layer or sub-group per shape ``A``-``H`` and ``X`` (Rhubarb Lip Sync's shapes);
  any other group is only a folder and its layers are read one by one. A layer's x/y offset, its opacity and
  its group's opacity are applied; hidden layers (or layers in hidden groups) are left out, except in the
  mouth set, where artists show one shape at a time and every shape counts.
- **Names**: a layer is a bone's part when its name (spaces around it trimmed) is the bone's name, or when
  the map (:func:`load_map`, ``choreo.rig-map/1``) maps its name to the bone. Several layers may belong to one
  bone (a sleeve in front of the chest, the arm behind it): each is its own part. Every bone of the skeleton
  needs a layer; an empty layer says "nothing drawn here". A layer that is neither a bone, the mouth group nor
  a marker is ignored with a warning (a background or a sketch layer).
- **Pivots** (where a bone's start, the joint it turns about, lies in the art): a marker layer
  ``pivot:BONE`` (a small dot; its alpha-weighted centroid) or the map's ``pivots`` (art px) place a bone's
  pivot exactly. The skeleton is placed on the art by a uniform scale and a shift fitted by least squares:
  to the markers when there are two or more, else from each drawn part's centroid to its bone's midpoint
  in the rest pose. Every bone without a marker pivots where the fitted skeleton puts its joint.
- **Geometry written**: the skeleton's bones, limits, speeds and rest angles are kept (so the move library
  fits); a moved pivot becomes a changed ``offset`` (or the root's ``origin``), so the joints the parts turn
  about are where the artist put them. The mouth anchor moves to the centre of the mouth set.
- Errors are one :class:`audio.errors.ChoreoError` line naming the file and the missing bone or bad layer;
  what is imperfect but usable (an ignored layer, a missing mouth shape, a loose fit) is a warning in
  :attr:`ImportedRig.warnings`.
"""

from __future__ import annotations

import io
import shutil
import tempfile
import xml.etree.ElementTree as ElementTree
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from audio.errors import ChoreoError, did_you_mean
from audio.files import partial_prefix, read_json_object, write_atomic
from choreography.model import SHAPES
from choreography.rig import Rig, forward_kinematics, load_rig, validate, world_angles

MAP_SCHEMA = "choreo.rig-map/1"
MOUTH_GROUP = "mouth"
PIVOT_PREFIX = "pivot:"
FORMATS = (".ora", ".psd")
# A fit whose correspondences miss by more than this share of the character's height gets a warning.
LOOSE_FIT = 0.05


@dataclass(frozen=True)
class Layer:
    """One raster layer of an artwork.

    Attributes
    ----------
    name : str
        The layer's name, spaces around it trimmed.
    groups : tuple of str
        Names of the groups it sits in, outermost first.
    x, y : int
        Art px of the pixels' top-left corner.
    rgba : np.ndarray [shape=(h, w, 4), dtype=uint8]
        Straight-alpha pixels, the layer's and its groups' opacity applied.
    visible : bool
        False when the layer or one of its groups is hidden.
    """

    name: str
    groups: tuple[str, ...]
    x: int
    y: int
    rgba: np.ndarray
    visible: bool


@dataclass(frozen=True)
class Artwork:
    """A layered file read into layers, back to front (see the module conventions).

    ``warnings`` names what the reader could not carry over (blend modes, masks, layer effects).
    """

    path: Path
    width: int
    height: int
    layers: tuple[Layer, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class RigMap:
    """A ``choreo.rig-map/1`` document: layer names to bones, and pivots in art px.

    Attributes
    ----------
    layers : mapping of str to str
        Layer or group name to the name it stands for: a bone, ``mouth``, a mouth shape or ``pivot:BONE``.
    pivots : mapping of str to (float, float)
        Bone name to its pivot, [x, y] art px (y down); it wins over a marker layer.
    """

    layers: Mapping[str, str] = field(default_factory=dict)
    pivots: Mapping[str, tuple[float, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportedRig:
    """What :func:`import_rig` made, not yet written.

    Attributes
    ----------
    doc : dict
        The ``choreo.rig/1`` document; its images are named ``IMAGE_DIR/FILE.png``.
    images : dict of str to np.ndarray
        ``IMAGE_DIR/FILE.png`` to its straight-alpha RGBA pixels (cropped to their alpha).
    warnings : tuple of str
        What is imperfect but usable, one line each.
    pivots_px : dict of str to (float, float)
        Where every bone's pivot lies in the art, art px.
    scale : float
        Art px per stage px of the fitted placement.
    """

    doc: dict[str, Any]
    images: dict[str, np.ndarray]
    warnings: tuple[str, ...]
    pivots_px: dict[str, tuple[float, float]]
    scale: float


# --------------------------------------------------------------------------------------------------------------
# Reading layered files


def read_artwork(path: str | Path) -> Artwork:
    """Read an OpenRaster or Photoshop file into straight-alpha layers, back to front.

    Parameters
    ----------
    path : str or Path
        A ``.ora`` (zip of ``stack.xml`` and PNG layers) or ``.psd`` file.

    Returns
    -------
    Artwork

    Raises
    ------
    ChoreoError
        A missing file, another format, or a file that is not a readable ``.ora``/``.psd`` (one line naming it).
    """
    p = Path(path)
    if not p.is_file():
        raise ChoreoError("artwork file not found", path=p)
    suffix = p.suffix.lower()
    if suffix == ".ora":
        return _read_ora(p)
    if suffix == ".psd":
        return _read_psd(p)
    raise ChoreoError(f"unsupported artwork {p.suffix or 'without a suffix'!r}; give a layered "
                      f"{' or '.join(FORMATS)} file (Krita, GIMP and MyPaint export .ora)", path=p)


def _decode_png(data: bytes, what: str, path: Path) -> np.ndarray:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            return np.asarray(im.convert("RGBA"), dtype=np.uint8)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ChoreoError(f"{what} is not a readable image ({exc})", path=path) from exc


def _with_opacity(rgba: np.ndarray, opacity: float) -> np.ndarray:
    if opacity >= 1.0:
        return rgba
    out = rgba.copy()
    out[..., 3] = np.rint(rgba[..., 3] * max(opacity, 0.0)).astype(np.uint8)
    return out


def _attr_float(el: ElementTree.Element, key: str, default: float, path: Path) -> float:
    raw = el.get(key)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ChoreoError(f"stack.xml: {el.tag} {el.get('name', '')!r} has {key}={raw!r}; expected a number",
                          path=path) from None


def _read_ora(path: Path) -> Artwork:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ChoreoError(f"not a readable OpenRaster file: not a zip archive ({exc})", path=path) from exc
    with zf:
        try:
            root = ElementTree.fromstring(zf.read("stack.xml"))
        except KeyError:
            raise ChoreoError("not an OpenRaster file: the archive has no stack.xml", path=path) from None
        except (ElementTree.ParseError, zipfile.BadZipFile, OSError) as exc:
            raise ChoreoError(f"OpenRaster stack.xml cannot be read ({exc})", path=path) from exc
        stack = root.find("stack")
        if root.tag != "image" or stack is None:
            raise ChoreoError("OpenRaster stack.xml has no <image><stack>", path=path)
        width = int(_attr_float(root, "w", 0, path))
        height = int(_attr_float(root, "h", 0, path))
        top_first: list[Layer] = []
        blended: list[str] = []

        def walk(el: ElementTree.Element, groups: tuple[str, ...], dx: float, dy: float, opacity: float,
                 visible: bool) -> None:
            for child in el:
                name = (child.get("name") or "").strip()
                op = opacity * _attr_float(child, "opacity", 1.0, path)
                vis = visible and child.get("visibility", "visible") != "hidden"
                x = dx + _attr_float(child, "x", 0.0, path)
                y = dy + _attr_float(child, "y", 0.0, path)
                if child.tag == "stack":
                    walk(child, (*groups, name), x, y, op, vis)
                elif child.tag == "layer":
                    src = child.get("src")
                    if not src:
                        raise ChoreoError(f"stack.xml: layer {name!r} has no src", path=path)
                    try:
                        data = zf.read(src)
                    except KeyError:
                        raise ChoreoError(f"layer {name!r}: its image {src!r} is not in the archive",
                                          path=path) from None
                    except (zipfile.BadZipFile, OSError) as exc:
                        raise ChoreoError(f"layer {name!r}: {src!r} cannot be read ({exc})", path=path) from exc
                    rgba = _with_opacity(_decode_png(data, f"layer {name!r} ({src})", path), op)
                    top_first.append(Layer(name, groups, int(round(x)), int(round(y)), rgba, vis))
                    if child.get("composite-op", "svg:src-over") != "svg:src-over":
                        blended.append(name)

        walk(stack, (), 0.0, 0.0, 1.0, True)
    notes = (f"layer(s) {', '.join(blended)} use a blend mode other than normal, which parts cannot keep: each is "
             "imported as its plain pixels",) if blended else ()
    return Artwork(path, width, height, tuple(reversed(top_first)), notes)


def _read_psd(path: Path) -> Artwork:
    from psd_tools import PSDImage

    try:
        psd = PSDImage.open(path)
    except Exception as exc:  # psd-tools raises assorted errors (struct, value, assertion) on a damaged file
        raise ChoreoError(f"not a readable Photoshop file ({type(exc).__name__}: {exc})", path=path) from exc
    layers: list[Layer] = []
    raw: list[str] = []

    def walk(group, groups: tuple[str, ...], opacity: float, visible: bool) -> None:
        for layer in group:  # psd-tools lists a group's layers bottom first
            name = str(layer.name).strip()
            op = opacity * layer.opacity / 255.0
            vis = visible and bool(layer.visible)
            if layer.is_group():
                walk(layer, (*groups, name), op, vis)
                continue
            try:
                im = layer.topil()
                rgba = (np.zeros((0, 0, 4), np.uint8) if im is None
                        else np.asarray(im.convert("RGBA"), dtype=np.uint8))
            except Exception as exc:  # same: a damaged channel fails anywhere in psd-tools' decoders
                raise ChoreoError(f"layer {name!r} cannot be read ({type(exc).__name__}: {exc})", path=path) from exc
            layers.append(Layer(name, groups, int(layer.left), int(layer.top), _with_opacity(rgba, op), vis))
            if layer.has_mask() or layer.has_effects() or layer.clipping:
                raw.append(name)

    walk(psd, (), 1.0, True)
    notes = (f"layer(s) {', '.join(raw)} have a mask, layer effects or clipping, which parts cannot keep: each is "
             "imported as its plain pixels (rasterise them to keep the look)",) if raw else ()
    return Artwork(path, int(psd.width), int(psd.height), tuple(layers), notes)


# --------------------------------------------------------------------------------------------------------------
# The map file


def load_map(path: str | Path) -> RigMap:
    """Read a ``choreo.rig-map/1`` file: which layer is which bone, and pivots in art px.

    Parameters
    ----------
    path : str or Path
        JSON ``{"schema": "choreo.rig-map/1", "layers": {LAYER: NAME}, "pivots": {BONE: [x, y]}}``; both
        objects are optional. NAME is a bone, ``mouth``, a mouth shape or ``pivot:BONE``.

    Returns
    -------
    RigMap

    Raises
    ------
    ChoreoError
        Unreadable file, wrong schema, or a field of the wrong type (naming the file and the field).
    """
    doc = read_json_object(path, what="rig map")
    if doc.get("schema") != MAP_SCHEMA:
        raise ChoreoError(f"field 'schema' is {doc.get('schema')!r}; expected {MAP_SCHEMA!r}", path=path)
    unknown = [k for k in doc if k not in ("schema", "layers", "pivots", "description")]
    if unknown:
        raise ChoreoError(f"unknown field {unknown[0]!r}{did_you_mean(unknown[0], ('layers', 'pivots'))}", path=path)
    layers = doc.get("layers", {})
    if not isinstance(layers, dict) or not all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                               for k, v in layers.items()):
        raise ChoreoError("field 'layers' must map layer names to bone names (strings)", path=path)
    pivots_raw = doc.get("pivots", {})
    if not isinstance(pivots_raw, dict):
        raise ChoreoError("field 'pivots' must map bone names to [x, y] art pixels", path=path)
    pivots = {}
    for bone, xy in pivots_raw.items():
        if (not isinstance(xy, list) or len(xy) != 2
                or not all(isinstance(v, int | float) and not isinstance(v, bool) and np.isfinite(v) for v in xy)):
            raise ChoreoError(f"pivots.{bone} is {xy!r}; expected [x, y] art pixels", path=path)
        pivots[bone] = (float(xy[0]), float(xy[1]))
    return RigMap({k.strip(): v.strip() for k, v in layers.items()}, pivots)


# --------------------------------------------------------------------------------------------------------------
# Import


def _composite(layers: list[Layer]) -> tuple[np.ndarray, int, int]:
    """Straight-alpha "over" of layers (back to front) on their union box: pixels, x, y."""
    boxes = [(ly.x, ly.y, ly.x + ly.rgba.shape[1], ly.y + ly.rgba.shape[0]) for ly in layers if ly.rgba.size]
    if not boxes:
        return np.zeros((0, 0, 4), np.uint8), 0, 0
    if len(layers) == 1:
        return layers[0].rgba, layers[0].x, layers[0].y
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    rgb = np.zeros((y1 - y0, x1 - x0, 3))
    alpha = np.zeros((y1 - y0, x1 - x0, 1))
    for ly in layers:
        if not ly.rgba.size:
            continue
        h, w = ly.rgba.shape[:2]
        win = (slice(ly.y - y0, ly.y - y0 + h), slice(ly.x - x0, ly.x - x0 + w))
        src = ly.rgba.astype(np.float64) / 255.0
        a_s = src[..., 3:]
        a_d = alpha[win]
        a_o = a_s + a_d * (1.0 - a_s)
        rgb[win] = (src[..., :3] * a_s + rgb[win] * a_d * (1.0 - a_s)) / np.maximum(a_o, 1e-12)
        alpha[win] = a_o
    out = np.concatenate([rgb, alpha], axis=-1)
    return np.rint(out * 255.0).astype(np.uint8), x0, y0


def _crop(rgba: np.ndarray, x: int, y: int) -> tuple[np.ndarray, int, int]:
    """Crop to the pixels with alpha > 0 plus a transparent 1 px border; an empty result has size 0.

    The border lets the renderer's linear filtering fade a part's edge out when it is turned, instead of
    cutting it along the image's rectangle.
    """
    if not rgba.size:
        return rgba, x, y
    ys, xs = np.nonzero(rgba[..., 3])
    if not ys.size:
        return np.zeros((0, 0, 4), np.uint8), x, y
    box = rgba[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    return np.pad(box, ((1, 1), (1, 1), (0, 0))), x + int(xs.min()) - 1, y + int(ys.min()) - 1


def _centroid(rgba: np.ndarray, x: int, y: int) -> np.ndarray | None:
    """Alpha-weighted centre of a layer's pixels, art px (pixel centres at +0.5)."""
    if not rgba.size:
        return None
    a = rgba[..., 3].astype(np.float64)
    total = a.sum()
    if total <= 0:
        return None
    ys, xs = np.indices(a.shape)
    return np.array([x + (xs * a).sum() / total + 0.5, y + (ys * a).sum() / total + 0.5])


@dataclass
class _Sorted:
    """The artwork's visible layers by role."""

    parts: list[tuple[int, str, list[Layer]]] = field(default_factory=list)  # (z, bone, layers)
    shapes: dict[str, list[Layer]] = field(default_factory=dict)
    markers: dict[str, Layer] = field(default_factory=dict)
    found: set[str] = field(default_factory=set)
    hidden: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _sort_layers(art: Artwork, bones: tuple[str, ...], names: Mapping[str, str]) -> _Sorted:
    out = _Sorted()
    bone_set = set(bones)
    part_at: dict[tuple[str, ...], int] = {}  # a bone group's key -> index into out.parts
    ignored: list[str] = []
    for ly in art.layers:
        path = [names.get(g, g) for g in ly.groups] + [names.get(ly.name, ly.name)]
        role = next((k for k, n in enumerate(path) if n == MOUTH_GROUP or n in bone_set), None)
        in_mouth = role is not None and path[role] == MOUTH_GROUP
        if not ly.visible and not in_mouth:  # a mouth set shows one shape at a time: its hidden ones count
            out.hidden.append(path[-1])
            continue
        if path[-1].startswith(PIVOT_PREFIX):
            bone = path[-1][len(PIVOT_PREFIX):].strip()
            if bone not in bone_set:
                raise ChoreoError(f"marker layer {ly.name!r} names no bone of the skeleton"
                                  f"{did_you_mean(bone, bones)}", path=art.path)
            if bone in out.markers:
                raise ChoreoError(f"two pivot markers for bone {bone!r}; keep one", path=art.path)
            out.markers[bone] = ly
        elif role is None:
            ignored.append(" / ".join([*ly.groups, ly.name]) + did_you_mean(path[-1], bones))
        elif path[role] == MOUTH_GROUP:
            if role == len(path) - 1:
                out.warnings.append(f"layer {ly.name!r} is one drawing; the mouth set is a group {MOUTH_GROUP!r} with "
                                    f"one layer per shape ({' '.join(SHAPES)}); ignored")
                continue
            shape = path[role + 1].upper() if path[role + 1].upper() in SHAPES else path[role + 1]
            if shape not in SHAPES:
                out.warnings.append(f"mouth layer {shape!r} is not a mouth shape ({' '.join(SHAPES)})"
                                    f"{did_you_mean(shape, SHAPES)}; ignored")
                continue
            out.shapes.setdefault(shape, []).append(ly)
        else:
            bone = path[role]
            out.found.add(bone)
            key = tuple(path[:role + 1]) if role < len(path) - 1 else (*path, str(id(ly)))
            if key in part_at:  # another layer of a bone's group: composited into the same part
                out.parts[part_at[key]][2].append(ly)
            else:
                part_at[key] = len(out.parts)
                out.parts.append((len(out.parts), bone, [ly]))
    if ignored:
        out.warnings.append(f"{len(ignored)} layer(s) match no bone and are ignored: {', '.join(ignored)}")
    return out


def _fit(model: np.ndarray, art: np.ndarray) -> tuple[float, np.ndarray]:
    """Least-squares ``art = s * model + t`` (uniform scale, shift); ``s`` is 0 when it is undetermined."""
    mm, am = model.mean(axis=0), art.mean(axis=0)
    dm, da = model - mm, art - am
    denom = float((dm * dm).sum())
    if len(model) < 2 or denom <= 1e-9:
        return 0.0, am
    s = float((dm * da).sum() / denom)
    return s, am - s * mm


def _move_pivots(skel: Rig, doc: dict[str, Any], want_stage: dict[str, np.ndarray]) -> dict[str, Any]:
    """Change offsets (and the root's origin) so that every bone starts where ``want_stage`` says, rest pose."""
    by_name = {b["name"]: b for b in doc["bones"]}
    zeros = np.zeros((1, skel.n_bones))
    for i in skel.order.tolist():
        name = skel.names[i]
        rig = validate(doc, path=skel.source or "<skeleton>")
        cur = forward_kinematics(rig, zeros)[0, i, 0]
        d = want_stage[name] - cur
        if np.hypot(*d) < 1e-9:
            continue
        bone = by_name[name]
        if bone["parent"] is None:
            bone["origin"] = [float(v) for v in np.asarray(bone["origin"], float) + d]
            continue
        a = np.deg2rad(world_angles(rig, zeros)[0, rig.index[bone["parent"]]])
        up = np.array([d[0], -d[1]])  # the parent's frame is y-up
        along = up[0] * np.cos(a) + up[1] * np.sin(a)
        across = -up[0] * np.sin(a) + up[1] * np.cos(a)
        old = bone.get("offset", [0.0, 0.0])
        bone["offset"] = [float(old[0] + along), float(old[1] + across)]
    return doc


def import_rig(art: str | Path | Artwork, skeleton: str | Path | Rig, *, mapping: RigMap | None = None,
               name: str | None = None, image_dir: str | None = None, scale_open: bool = False) -> ImportedRig:
    """Make a cut-out rig from a layered drawing and a skeleton.

    Parameters
    ----------
    art : str, Path or Artwork
        The layered file (``.ora`` or ``.psd``), or one already read by :func:`read_artwork`.
    skeleton : str, Path or Rig
        A shipped rig's name (``"ada"``, ``"bo"``) or a rig file: its bones, limits and rest pose.
    mapping : RigMap, optional
        Layer names to bones, and pivots (see :func:`load_map`).
    name : str, optional
        The new rig's name [default: the art file's stem].
    image_dir : str, optional
        The folder, beside the rig file, that its images are written to and named from [default: ``name``].
    scale_open : bool
        Ask the renderer to squeeze the mouth drawings by the open amount (``mouth.scale_open``).

    Returns
    -------
    ImportedRig

    Raises
    ------
    ChoreoError
        An unreadable file; a bone of the skeleton without a layer (naming it, with the nearest layer name);
        a marker naming no bone; a map naming a bone the skeleton lacks; nothing drawn to place the skeleton by.
    """
    artwork = art if isinstance(art, Artwork) else read_artwork(art)
    skel = skeleton if isinstance(skeleton, Rig) else load_rig(skeleton)
    mapping = mapping or RigMap()
    name = (name or artwork.path.stem).strip()
    image_dir = (image_dir or name).strip("/")
    where = artwork.path
    bones = skel.names
    allowed = {*bones, MOUTH_GROUP, *SHAPES}
    for layer, target in mapping.layers.items():
        target_bone = target[len(PIVOT_PREFIX):] if target.startswith(PIVOT_PREFIX) else target
        if target_bone not in allowed:
            raise ChoreoError(f"the map sends layer {layer!r} to {target!r}, which is no bone of the skeleton "
                              f"{skel.name!r}{did_you_mean(target_bone, bones)}", path=where)
    for bone in mapping.pivots:
        if bone not in bones:
            raise ChoreoError(f"the map's pivot {bone!r} is no bone of the skeleton {skel.name!r}"
                              f"{did_you_mean(bone, bones)}", path=where)

    roles = _sort_layers(artwork, bones, mapping.layers)
    warnings = [*artwork.warnings, *roles.warnings]
    all_names = {ly.name for ly in artwork.layers} | {g for ly in artwork.layers for g in ly.groups}
    unused = sorted(k for k in mapping.layers if k not in all_names)
    if unused:
        warnings.append(f"the map names layer(s) the file does not have: {', '.join(unused)}")
    missing = [b for b in bones if b not in roles.found]
    if missing:
        b = missing[0]
        hint = (f" (layer {b!r} is hidden: show it)" if b in roles.hidden
                else did_you_mean(b, [ly.name for ly in artwork.layers] + [g for ly in artwork.layers
                                                                          for g in ly.groups]))
        raise ChoreoError(f"no layer for bone {b!r}{hint}; the skeleton {skel.name!r} needs a layer or group named "
                          f"after each bone (an empty one for a bone with nothing drawn); missing: "
                          f"{', '.join(missing)}", path=where)

    parts = []
    for z, bone, layers in roles.parts:
        rgba, x, y = _crop(*_composite(layers))
        if rgba.size:
            parts.append((z, bone, rgba, x, y))
    if not parts:
        raise ChoreoError("every bone layer is empty: nothing to draw", path=where)

    # Place the skeleton on the art.
    zeros = np.zeros((1, skel.n_bones))
    rest = forward_kinematics(skel, zeros)[0]
    marker_px = {b: _centroid(ly.rgba, ly.x, ly.y) for b, ly in roles.markers.items()}
    empty = [b for b, c in marker_px.items() if c is None]
    if empty:
        raise ChoreoError(f"marker layer 'pivot:{empty[0]}' is empty; draw a small dot where the joint turns",
                          path=where)
    exact = {**{b: np.asarray(c) for b, c in marker_px.items()},
             **{b: np.asarray(xy, float) for b, xy in mapping.pivots.items()}}
    if len(exact) >= 2:
        model = np.array([rest[skel.index[b], 0] for b in exact])
        target = np.array(list(exact.values()))
        basis = "the pivot markers"
    else:
        model = np.array([rest[skel.index[bone]].mean(axis=0) for _, bone, *_ in parts])
        target = np.array([_centroid(rgba, x, y) for _, _, rgba, x, y in parts])
        basis = "the parts' centres"
    s, t = _fit(model, target)
    if s <= 0:
        raise ChoreoError("cannot place the skeleton on the art: draw at least two bones apart, or add two "
                          "pivot:BONE marker layers", path=where)
    pivots_px = {b: exact[b] if b in exact else s * rest[skel.index[b], 0] + t for b in bones}
    want_stage = {b: (np.asarray(pivots_px[b]) - t) / s for b in bones}

    doc = skel.to_dict()
    doc.pop("parts", None)  # a skeleton that is itself a cut-out rig lends its bones, not its drawings
    for key in ("shapes", "scale_open"):
        doc["mouth"].pop(key, None)
    doc = _move_pivots(skel, doc, want_stage)
    doc["name"] = name
    doc["description"] = (f"Cut-out character imported from {artwork.path.name} onto the skeleton {skel.name!r} "
                          f"by choreo rig import.")
    rig = validate(doc, path=skel.source or "<skeleton>")
    seg = forward_kinematics(rig, zeros)[0]
    starts = seg[:, 0]
    # However the skeleton was placed, each drawn part should lie around its bone: a part's centre far from
    # its bone's middle means a pose other than the rest pose, proportions far from the skeleton's, or a
    # layer named after the wrong bone.
    miss = np.array([np.hypot(*(_centroid(rgba, x, y) - (s * seg[rig.index[bone]].mean(axis=0) + t)))
                     for _, bone, rgba, x, y in parts])
    height_px = s * float(np.ptp(seg[..., 1]))
    rms = float(np.sqrt(np.mean(miss ** 2)))
    if rms > LOOSE_FIT * height_px:
        worst = parts[int(np.argmax(miss))][1]
        warnings.append(f"the parts lie loosely on the skeleton {skel.name!r} placed by {basis} ({rms:.0f} px RMS "
                        f"from their bones' middles on a {height_px:.0f} px figure, worst {worst!r}): check the "
                        "drawing is in the skeleton's rest pose and the layer names, or add pivot markers")
    images: dict[str, np.ndarray] = {}
    used: dict[str, int] = {}

    def drawing(file: str, rgba: np.ndarray, x: int, y: int, anchor: np.ndarray) -> dict[str, Any]:
        key = f"{image_dir}/{file}.png"
        images[key] = rgba
        top_left = (np.array([x, y], float) - t) / s - anchor
        return {"image": key, "offset": [round(float(v), 3) for v in top_left], "scale": round(1.0 / s, 6)}

    out_parts = []
    for k, (_, bone, rgba, x, y) in enumerate(parts):
        used[bone] = used.get(bone, 0) + 1
        file = bone if used[bone] == 1 else f"{bone}_{used[bone]}"
        out_parts.append({"bone": bone, "z": k, **drawing(file, rgba, x, y, starts[rig.index[bone]])})
    doc["parts"] = out_parts

    shapes = {}
    for shape in SHAPES:
        if shape in roles.shapes:
            rgba, x, y = _crop(*_composite(roles.shapes[shape]))
            if rgba.size:
                shapes[shape] = (rgba, x, y)
    absent = [sh for sh in SHAPES if sh not in shapes]
    if not shapes:
        warnings.append(f"no drawings in a layer group {MOUTH_GROUP!r}: every mouth shape falls back to the drawn "
                        "mouth")
    elif absent:
        warnings.append(f"mouth shape(s) {', '.join(absent)} not drawn in the group {MOUTH_GROUP!r}: they fall back "
                        "to the drawn mouth")
    if shapes:
        x0 = min(x for _, x, _ in shapes.values())
        y0 = min(y for _, _, y in shapes.values())
        x1 = max(x + r.shape[1] for r, x, _ in shapes.values())
        y1 = max(y + r.shape[0] for r, _, y in shapes.values())
        anchor = (np.array([(x0 + x1) / 2, (y0 + y1) / 2]) - t) / s
        i = rig.mouth.index
        a = np.deg2rad(world_angles(rig, zeros)[0, i])
        d = anchor - starts[i]
        up = np.array([d[0], -d[1]])
        doc["mouth"]["offset"] = [round(float(up[0] * np.cos(a) + up[1] * np.sin(a)), 3),
                                  round(float(-up[0] * np.sin(a) + up[1] * np.cos(a)), 3)]
        doc["mouth"]["size"] = round((x1 - x0) / s, 3)
        doc["mouth"]["shapes"] = {sh: drawing(f"mouth_{sh}", *shapes[sh], anchor) for sh in SHAPES if sh in shapes}
    if scale_open:
        doc["mouth"]["scale_open"] = True
    return ImportedRig(doc=doc, images=images, warnings=tuple(warnings),
                       pivots_px={b: (float(v[0]), float(v[1])) for b, v in pivots_px.items()}, scale=s)


# --------------------------------------------------------------------------------------------------------------
# Writing


def _png(rgba: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def write_rig(imported: ImportedRig, path: str | Path) -> Path:
    """Write an imported rig: the JSON at ``path`` and its images in their folder beside it.

    Everything is written into a temporary folder beside ``path`` and checked by loading it as a rig; then the
    image folder and the JSON are moved into place, so a failure leaves no half-written rig.

    Parameters
    ----------
    imported : ImportedRig
    path : str or Path
        The rig file to write (``.json``).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ChoreoError
        When ``path`` is not a ``.json`` name, the image folder holds files other than PNG images (it would be
        replaced), or the folder cannot be written.
    """
    import json

    out = Path(path)
    if out.suffix.lower() != ".json":
        raise ChoreoError("the rig file must be a .json file", path=out)
    folder = out.parent if str(out.parent) else Path(".")
    dirs = {k.split("/")[0] for k in imported.images}
    for d in dirs:
        existing = folder / d
        if existing.exists() and (not existing.is_dir() or any(not f.is_file() or f.suffix.lower() != ".png"
                                                               for f in existing.iterdir())):
            raise ChoreoError("the rig's image folder exists and holds other things than PNG images; choose another "
                              "-o name or empty it", path=existing)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=partial_prefix(out), dir=folder))
    except OSError as exc:
        raise ChoreoError(f"cannot write here ({exc.strerror})", path=folder) from exc
    try:
        for key, rgba in imported.images.items():
            (tmp / key).parent.mkdir(parents=True, exist_ok=True)
            (tmp / key).write_bytes(_png(rgba))
        staged = tmp / out.name
        staged.write_text(json.dumps(imported.doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        validate(read_json_object(staged, what="rig"), path=staged)
        for d in dirs:
            if (folder / d).exists():
                (folder / d).rename(tmp / f".old-{d}")
            (tmp / d).rename(folder / d)
        write_atomic(out, staged.read_bytes())
    except OSError as exc:
        raise ChoreoError(f"cannot write the rig ({exc.strerror or exc})", path=out) from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out
