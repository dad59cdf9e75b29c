"""2D character rigs (schema ``choreo.rig/1``): loading, validation and forward kinematics.

A rig is data, not code: a JSON document with a bone hierarchy, lengths, rest pose, joint limits, joint
speed limits, draw hints, a mouth anchor and the bones that are feet. Two characters ship with the package
(:func:`list_rigs`); :func:`load_rig` reads either one of them by name or a user's file by path.

Conventions
-----------
- Stage space is 1920 x 1080 pixels with the origin at the top-left corner and **y pointing down**, like
  screen space. Every position a rig holds or :func:`forward_kinematics` returns is in this space.
- Angles are degrees, **counter-clockwise positive in a y-up mathematical frame**, 0 pointing along +x
  (screen right), 90 pointing up the screen. Converting a bone direction to stage space is therefore
  ``(cos a, -sin a)``.
- ``rest`` is a bone's rest rotation relative to its parent's direction (the root's is relative to +x).
  A pose is a vector of **offsets from rest** per bone: a pose of all zeros is the rest pose, and a
  bone's absolute angle is ``parent's absolute angle + rest + offset``.
- ``limits`` are ``[min, max]`` offsets from rest in degrees, so they must contain 0;
  ``max_speed_deg_s`` bounds how fast an offset may change.
- The characters face the camera. ``l_*`` bones are the character's left, drawn on the **screen right**
  (+x) side; ``r_*`` bones are their mirror images on the -x side. The shipped rest pose is symmetric,
  so a positive offset on an ``l_*`` bone and the same negative offset on its ``r_*`` partner are the same
  motion mirrored (a positive ``l_upper_arm`` offset raises the left arm sideways; ``r_upper_arm``
  needs a negative one). :func:`mirror_rotations` applies this rule to whole poses.
- Rest pose of the shipped rigs: root (pelvis), spine, chest, neck and head point straight up (root rest
  90, the others 0), arms hang down (upper arm rest -180 on the left, 180 on the right: the same
  direction), legs hang down, feet point outward along the ground (``l_foot`` to +x, ``r_foot`` to -x;
  turned-out feet keep the rest pose mirror-symmetric).
- A child joint sits on its parent at fraction ``attach`` of the parent's length (0 = the parent's start,
  1 = its end, the default), moved by ``offset`` = ``[along, across]`` pixels in the parent's frame:
  ``along`` follows the parent's direction, ``across`` is 90 degrees counter-clockwise from it (for an
  upright parent, positive ``across`` is toward screen left). Shoulders and hips use it.
- The mouth anchor's ``offset`` is ``[along, across]`` pixels from the start of its bone, in that bone's
  frame; ``size`` is the mouth's width in pixels.
- Bone order in a loaded :class:`Rig` is fixed: the 17 :data:`REQUIRED_BONES` first, in that order, then
  any extra bones in file order. Tracks of shape ``(n_frames, n_bones)`` use this order.

Document layout (``choreo.rig/1``)
----------------------------------
Top level: ``schema``, ``name``, ``bones`` (list), ``mouth`` (object), ``feet`` (list of bone names),
optional ``description``. Each bone: ``name``, ``parent`` (``null`` for the root only), ``length`` (px,
>= 0), ``rest`` (deg), ``limits`` ([min, max] deg, min <= 0 <= max), ``max_speed_deg_s`` (> 0),
``width`` (px, > 0), ``color`` (``"#rrggbb"``), ``z`` (draw order, integer, higher draws on top),
``shape`` (``"capsule"`` or ``"ellipse"``: an ellipse spans the bone, ``width`` across); optional
``attach`` (0..1, default 1) and ``offset`` ([along, across] px, default [0, 0]); the root bone also has
``origin`` ([x, y] px): the pelvis position on the stage when no root track is given.

Cut-out parts (optional, additive: a reader that ignores them still draws the bones as capsules)
---------------------------------------------------------------------------------------------
- ``parts``: a list of drawings that replace the capsules when the rig is rendered (``choreo rig import``
  writes them from an artist's layered file). Each part: ``bone``, ``z`` (integer, draw order among the parts,
  higher on top; the bones' own ``z`` only orders capsules), ``image`` (a PNG path relative to the rig file's
  folder), ``offset`` ([x, y] stage px, y down: where the image's top-left corner lies relative to the bone's
  start **in the rest pose**) and ``scale`` (stage px per image pixel). The image as drawn is the bone at rest;
  in a pose it turns about the bone's start by the bone's change of angle from its rest angle. A rig with
  parts draws only its parts: a bone without one is invisible.
- ``mouth`` may add ``shapes``: an object from mouth shapes (A-H, X, as in Rhubarb Lip Sync) to drawings
  ``{"image", "offset", "scale"}`` whose ``offset`` is from the mouth anchor (where ``offset`` above puts it)
  in the rest pose. A shape without a drawing falls back to the drawn mouth. ``scale_open`` (default false)
  squeezes the drawing vertically about the anchor by ``0.5 + 0.5 * open``; by default the drawing shows as
  the artist drew it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from audio.errors import ChoreoError, did_you_mean, finite_number
from audio.files import read_json_object
from choreography.model import SHAPES as MOUTH_SHAPES

RIG_SCHEMA = "choreo.rig/1"
STAGE_SIZE_PX = (1920, 1080)
REQUIRED_BONES = (
    "root", "spine", "chest", "neck", "head",
    "l_upper_arm", "l_forearm", "l_hand",
    "r_upper_arm", "r_forearm", "r_hand",
    "l_thigh", "l_shin", "l_foot",
    "r_thigh", "r_shin", "r_foot",
)
SHAPES = ("capsule", "ellipse")

_BONE_REQUIRED = ("name", "parent", "length", "rest", "limits", "max_speed_deg_s", "width", "color", "z", "shape")
_BONE_OPTIONAL = ("attach", "offset", "origin")
_TOP_REQUIRED = ("schema", "name", "bones", "mouth", "feet")
_MOUTH_REQUIRED = ("bone", "offset", "size")
_DRAWING_REQUIRED = ("image", "offset", "scale")
_COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
_LIMIT_SPAN_DEG = 360.0
# Older schema versions would be upgraded here, one small dict -> dict function per step.
_UPGRADES: dict[str, Any] = {}


@dataclass(frozen=True)
class Bone:
    """One bone as written in the rig file (units: pixels and degrees)."""

    name: str
    parent: str | None
    length_px: float
    rest_deg: float
    limits_deg: tuple[float, float]
    max_speed_deg_s: float
    width_px: float
    color: str
    z: int
    shape: str
    attach: float = 1.0
    offset_px: tuple[float, float] = (0.0, 0.0)


@dataclass(frozen=True)
class Drawing:
    """An artist's image placed in the rest pose (see "Cut-out parts" in the module conventions).

    ``image`` is the path as the rig writes it (relative to the rig file's folder) and ``path`` the file it
    names; ``offset_px`` is the image's top-left corner, [x, y] stage px (y down) from its anchor in the rest
    pose; ``scale`` is stage px per image pixel.
    """

    image: str
    path: Path
    offset_px: tuple[float, float]
    scale: float

    def to_dict(self) -> dict[str, Any]:
        """The drawing's fields as a rig document writes them."""
        return {"image": self.image, "offset": list(self.offset_px), "scale": self.scale}


@dataclass(frozen=True)
class Part:
    """A cut-out part: ``drawing`` moves with bone ``bone`` (index ``index``); parts draw in ``z`` order."""

    bone: str
    index: int
    z: int
    drawing: Drawing


@dataclass(frozen=True)
class MouthAnchor:
    """Where the mouth is drawn: ``offset_px`` = [along, across] from the start of bone ``bone``.

    ``shapes`` maps mouth shapes to the artist's drawings (offsets from the anchor); ``scale_open`` asks for
    them to be squeezed by the open amount.
    """

    bone: str
    index: int
    offset_px: tuple[float, float]
    size_px: float
    shapes: Mapping[str, Drawing] = field(default_factory=lambda: MappingProxyType({}))
    scale_open: bool = False


@dataclass(frozen=True, eq=False)
class Rig:
    """A validated rig, with per-bone arrays in bone order (see the module conventions).

    Arrays are read-only. ``parents`` holds -1 for the root; ``order`` is a parent-before-child order of
    bone indices; ``draw_order`` sorts bones by ``z`` (ties by index), back to front. ``parts`` are the
    cut-out drawings, back to front (by ``z``, ties in file order); empty for a stick figure.
    """

    name: str
    bones: tuple[Bone, ...]
    parents: np.ndarray
    lengths_px: np.ndarray
    rest_deg: np.ndarray
    limits_deg: np.ndarray
    max_speed_deg_s: np.ndarray
    widths_px: np.ndarray
    colors: tuple[str, ...]
    z: np.ndarray
    shapes: tuple[str, ...]
    attach: np.ndarray
    offsets_px: np.ndarray
    mouth: MouthAnchor
    feet: np.ndarray
    origin_xy: np.ndarray
    order: np.ndarray
    index: Mapping[str, int]
    source: str = ""
    description: str = ""
    parts: tuple[Part, ...] = ()

    @property
    def n_bones(self) -> int:
        """Number of bones."""
        return len(self.bones)

    @property
    def names(self) -> tuple[str, ...]:
        """Bone names in bone order."""
        return tuple(b.name for b in self.bones)

    @property
    def draw_order(self) -> np.ndarray:
        """Bone indices back to front (by ``z``, ties by bone index)."""
        return np.lexsort((np.arange(self.n_bones), self.z))

    def to_dict(self) -> dict[str, Any]:
        """Serialise back to a ``choreo.rig/1`` document (loads to an equal rig)."""
        bones = []
        for b in self.bones:
            d: dict[str, Any] = {"name": b.name, "parent": b.parent, "length": b.length_px, "rest": b.rest_deg,
                                 "limits": list(b.limits_deg), "max_speed_deg_s": b.max_speed_deg_s,
                                 "width": b.width_px, "color": b.color, "z": b.z, "shape": b.shape}
            if b.attach != 1.0:
                d["attach"] = b.attach
            if b.offset_px != (0.0, 0.0):
                d["offset"] = list(b.offset_px)
            if b.parent is None:
                d["origin"] = [float(v) for v in self.origin_xy]
            bones.append(d)
        doc: dict[str, Any] = {"schema": RIG_SCHEMA, "name": self.name}
        if self.description:
            doc["description"] = self.description
        mouth: dict[str, Any] = {"bone": self.mouth.bone, "offset": list(self.mouth.offset_px),
                                  "size": self.mouth.size_px}
        if self.mouth.shapes:
            mouth["shapes"] = {k: d.to_dict() for k, d in self.mouth.shapes.items()}
        if self.mouth.scale_open:
            mouth["scale_open"] = True
        doc.update({"bones": bones, "mouth": mouth, "feet": [self.bones[i].name for i in self.feet]})
        if self.parts:
            doc["parts"] = [{"bone": p.bone, "z": p.z, **p.drawing.to_dict()} for p in self.parts]
        return doc


# --------------------------------------------------------------------------------------------------------------
# Loading


def hex_to_rgb(color: str) -> tuple[int, int, int]:
    """The red, green and blue bytes of a rig colour written ``"#rrggbb"``.

    Parameters
    ----------
    color : str

    Returns
    -------
    tuple of int
    """
    v = int(color[1:], 16)
    return (v >> 16) & 255, (v >> 8) & 255, v & 255


def rgb_to_hex(rgb) -> str:
    """A rig colour ``"#rrggbb"`` from red, green and blue values 0..255 (rounded).

    Parameters
    ----------
    rgb : sequence of float

    Returns
    -------
    str
    """
    return "#" + "".join(f"{round(float(c)):02x}" for c in rgb)


def _shipped_dir():
    return resources.files("choreography") / "data" / "rigs"


def list_rigs() -> list[str]:
    """Names of the rigs shipped with the package, sorted.

    Returns
    -------
    list of str
        Names accepted by :func:`load_rig` (``"ada"``, ``"bo"``, ...).
    """
    return sorted(p.name[:-5] for p in _shipped_dir().iterdir() if p.name.endswith(".json"))


def _is_name(value: str | Path) -> bool:
    return isinstance(value, str) and not value.endswith(".json") and "/" not in value and "\\" not in value


def load_rig(path_or_name: str | Path) -> Rig:
    """Load and validate a rig: a shipped one by name, or a user's JSON file by path.

    Parameters
    ----------
    path_or_name : str or Path
        A shipped rig's name (see :func:`list_rigs`), or the path of a ``choreo.rig/1`` JSON file. A
        string without a path separator and without a ``.json`` suffix is read as a name.

    Returns
    -------
    Rig

    Raises
    ------
    ChoreoError
        Unknown rig name, unreadable file, or a document that does not validate (the message names the
        file and the bone or field).
    """
    if _is_name(path_or_name):
        name = str(path_or_name)
        if name not in list_rigs():
            raise ChoreoError(f"unknown rig {name!r}: the shipped rigs are {', '.join(list_rigs())}; "
                              "or give the path of a rig .json file")
        return _load_shipped(name)
    path = Path(path_or_name)
    return validate(read_json_object(path, what="rig"), path=path)


@functools.cache
def _load_shipped(name: str) -> Rig:
    with resources.as_file(_shipped_dir() / f"{name}.json") as path:
        return validate(read_json_object(path, what="rig"), path=path)


# --------------------------------------------------------------------------------------------------------------
# Validation


def _near(key: str, present: Any) -> str:
    return did_you_mean(key, present, cutoff=0.75)


def _number(value: Any, what: str, fail, *, minimum: float | None = None, strict: bool = False,
            unit: str = "") -> float:
    v = finite_number(value)
    if v is None:
        raise fail(f"{what} is {value!r}; expected a finite number{' in ' + unit if unit else ''}")
    if minimum is not None and (v <= minimum if strict else v < minimum):
        op = ">" if strict else ">="
        raise fail(f"{what} is {v:g}; it must be {op} {minimum:g}{' ' + unit if unit else ''}")
    return v


def _pair(value: Any, what: str, fail, unit: str) -> tuple[float, float]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise fail(f"{what} is {value!r}; expected a list of two numbers ({unit})")
    return (_number(value[0], f"{what}[0]", fail, unit=unit), _number(value[1], f"{what}[1]", fail, unit=unit))


def _parse_bone(i: int, raw: Any, path: str) -> tuple[Bone, tuple[float, float] | None]:
    if not isinstance(raw, dict):
        raise ChoreoError(f"bones[{i}] is not a JSON object", path=path)
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        extra = "" if "name" in raw else _near("name", raw)
        raise ChoreoError(f"bones[{i}]: field 'name' is missing or not a non-empty string{extra}", path=path)

    def fail(msg: str) -> ChoreoError:
        return ChoreoError(f"bone {name!r}: {msg}", path=path)

    for key in _BONE_REQUIRED:
        if key not in raw:
            raise fail(f"field {key!r} is missing{_near(key, raw)}")
    parent = raw["parent"]
    if parent is not None and (not isinstance(parent, str) or not parent):
        raise fail(f"field 'parent' is {parent!r}; expected a bone name or null")
    length = _number(raw["length"], "field 'length'", fail, minimum=0.0, unit="px")
    rest = _number(raw["rest"], "field 'rest'", fail, unit="degrees")
    lo, hi = _pair(raw["limits"], "field 'limits'", fail, "degrees")
    if lo > hi:
        raise fail(f"field 'limits' is [{lo:g}, {hi:g}]: min > max")
    if not lo <= 0.0 <= hi:
        raise fail(f"field 'limits' is [{lo:g}, {hi:g}], which does not contain 0: limits are offsets from the "
                   "rest pose, so the rest pose must lie inside them (did you write absolute angles?)")
    if max(abs(lo), abs(hi)) > _LIMIT_SPAN_DEG:
        raise fail(f"field 'limits' is [{lo:g}, {hi:g}]; offsets beyond +-{_LIMIT_SPAN_DEG:g} degrees are not allowed")
    speed = _number(raw["max_speed_deg_s"], "field 'max_speed_deg_s'", fail, minimum=0.0, strict=True,
                    unit="degrees per second")
    width = _number(raw["width"], "field 'width'", fail, minimum=0.0, strict=True, unit="px")
    color = raw["color"]
    if not isinstance(color, str) or not _COLOR_RE.match(color):
        raise fail(f"field 'color' is {color!r}; expected a colour written \"#rrggbb\"")
    z = raw["z"]
    if isinstance(z, bool) or not isinstance(z, int):
        raise fail(f"field 'z' is {z!r}; expected an integer (draw order)")
    shape = raw["shape"]
    if shape not in SHAPES:
        raise fail(f"field 'shape' is {shape!r}; expected one of {', '.join(SHAPES)}")
    attach = _number(raw.get("attach", 1.0), "field 'attach'", fail, minimum=0.0)
    if attach > 1.0:
        raise fail(f"field 'attach' is {attach:g}; it is a fraction of the parent's length, 0..1")
    offset = _pair(raw.get("offset", [0.0, 0.0]), "field 'offset'", fail, "px")
    origin = None
    if "origin" in raw:
        if name != "root":
            raise fail("field 'origin' is only for the bone 'root' (the pelvis)")
        origin = _pair(raw["origin"], "field 'origin'", fail, "stage px, y down")
    elif name == "root":
        raise fail("field 'origin' is missing: the root bone needs its [x, y] position on the stage "
                   f"({STAGE_SIZE_PX[0]}x{STAGE_SIZE_PX[1]} px, y down)")
    bone = Bone(name=name, parent=parent, length_px=length, rest_deg=rest, limits_deg=(lo, hi),
                max_speed_deg_s=speed, width_px=width, color=color, z=int(z), shape=str(shape), attach=attach,
                offset_px=offset)
    return bone, origin


def _check_hierarchy(bones: list[Bone], path: str) -> None:
    by_name = {b.name: b for b in bones}
    for b in bones:
        if b.parent is not None and b.parent not in by_name:
            raise ChoreoError(f"bone {b.name!r}: parent {b.parent!r} is not a bone of this rig"
                              f"{_near(b.parent, by_name)}", path=path)
    roots = [b.name for b in bones if b.parent is None]
    # A cycle is a walk up the parents that comes back to a bone it has already passed.
    done: set[str] = set()
    for b in bones:
        trail: list[str] = []
        seen: set[str] = set()
        name: str | None = b.name
        while name is not None and name not in done:
            if name in seen:
                cycle = trail[trail.index(name):] + [name]
                raise ChoreoError(f"bone {name!r}: the hierarchy has a cycle ({' -> '.join(cycle)}, following "
                                  "parents); every bone must lead up to the root", path=path)
            seen.add(name)
            trail.append(name)
            name = by_name[name].parent
        done.update(trail)
    if not roots:
        raise ChoreoError("no root bone: exactly one bone, 'root', must have \"parent\": null", path=path)
    for r in roots:
        if r != "root":
            raise ChoreoError(f"bone {r!r}: parent is null, but only the bone 'root' (the pelvis) may have no "
                              "parent", path=path)
    if "root" in by_name and by_name["root"].parent is not None:
        raise ChoreoError(f"bone 'root': parent is {by_name['root'].parent!r}; the root bone's parent must be null",
                          path=path)


def validate(doc: Mapping[str, Any], *, path: str | Path = "<rig>") -> Rig:
    """Validate a ``choreo.rig/1`` document and build the :class:`Rig`.

    Parameters
    ----------
    doc : mapping
        The parsed JSON document.
    path : str or Path
        The file it came from, named in every error; part images are looked up relative to its folder.

    Returns
    -------
    Rig

    Raises
    ------
    ChoreoError
        At the first problem, naming the file and the bone or field: a missing field, wrong schema,
        duplicate bone names, an unknown parent, a cycle in the hierarchy, a non-root bone without a parent,
        NaN, infinite or negative lengths, limits with min > max or not containing 0, a missing required
        bone (see :data:`REQUIRED_BONES`), a mouth or foot naming an unknown bone, a bad colour or shape,
        a part or mouth drawing naming an unknown bone or shape, or an image file that is not there.
    """
    path = str(path)
    if not isinstance(doc, Mapping):
        raise ChoreoError("a rig must be a JSON object", path=path)
    doc = dict(doc)
    schema = doc.get("schema")
    while isinstance(schema, str) and schema in _UPGRADES:
        doc = _UPGRADES[schema](doc)
        schema = doc.get("schema")
    for key in _TOP_REQUIRED:
        if key not in doc:
            hint = f" (expected {RIG_SCHEMA!r})" if key == "schema" else ""
            raise ChoreoError(f"field {key!r} is missing{hint}{_near(key, doc)}", path=path)
    if schema != RIG_SCHEMA:
        raise ChoreoError(f"field 'schema' is {schema!r}; expected {RIG_SCHEMA!r}", path=path)
    name = doc["name"]
    if not isinstance(name, str) or not name.strip():
        raise ChoreoError(f"field 'name' is {name!r}; expected a non-empty string", path=path)
    description = doc.get("description", "")
    if not isinstance(description, str):
        raise ChoreoError("field 'description' must be a string", path=path)
    raw_bones = doc["bones"]
    if not isinstance(raw_bones, list) or not raw_bones:
        raise ChoreoError("field 'bones' must be a non-empty list of bone objects", path=path)

    parsed: list[Bone] = []
    origin = None
    seen: set[str] = set()
    for i, raw in enumerate(raw_bones):
        bone, bone_origin = _parse_bone(i, raw, path)
        if bone.name in seen:
            raise ChoreoError(f"bone {bone.name!r}: duplicate name (bones[{i}]); bone names must be unique", path=path)
        seen.add(bone.name)
        parsed.append(bone)
        if bone_origin is not None:
            origin = bone_origin
    _check_hierarchy(parsed, path)
    missing = [b for b in REQUIRED_BONES if b not in seen]
    if missing:
        raise ChoreoError(f"bone {missing[0]!r}: required bone is missing (every rig needs "
                          f"{', '.join(REQUIRED_BONES)}; missing: {', '.join(missing)})", path=path)

    # Fixed order: required bones first so that every rig's tracks line up, then extras in file order.
    by_name = {b.name: b for b in parsed}
    bones = [by_name[n] for n in REQUIRED_BONES] + [b for b in parsed if b.name not in REQUIRED_BONES]
    index = {b.name: i for i, b in enumerate(bones)}
    parents = np.array([-1 if b.parent is None else index[b.parent] for b in bones], dtype=np.int64)
    order = _topological_order(parents)

    mouth_raw = doc["mouth"]
    if not isinstance(mouth_raw, dict):
        raise ChoreoError("field 'mouth' must be an object with bone, offset and size", path=path)
    for key in _MOUTH_REQUIRED:
        if key not in mouth_raw:
            raise ChoreoError(f"mouth: field {key!r} is missing{_near(key, mouth_raw)}", path=path)

    def mouth_fail(msg: str) -> ChoreoError:
        return ChoreoError(f"mouth: {msg}", path=path)

    mouth_bone = mouth_raw["bone"]
    if not isinstance(mouth_bone, str) or mouth_bone not in index:
        raise mouth_fail(f"bone {mouth_bone!r} is not a bone of this rig{_near(str(mouth_bone), index)}")
    folder = Path(path).parent
    shapes_raw = mouth_raw.get("shapes", {})
    if not isinstance(shapes_raw, dict):
        raise mouth_fail(f"field 'shapes' is {shapes_raw!r}; expected an object from mouth shapes to drawings")
    shapes = {}
    for shape, raw in shapes_raw.items():
        if shape not in MOUTH_SHAPES:
            raise mouth_fail(f"shapes: {shape!r} is not a mouth shape ({' '.join(MOUTH_SHAPES)})"
                             f"{_near(shape, MOUTH_SHAPES)}")
        shapes[shape] = _parse_drawing(raw, f"mouth: shapes.{shape}", folder, path)
    scale_open = mouth_raw.get("scale_open", False)
    if not isinstance(scale_open, bool):
        raise mouth_fail(f"field 'scale_open' is {scale_open!r}; expected true or false")
    mouth = MouthAnchor(bone=mouth_bone, index=index[mouth_bone],
                        offset_px=_pair(mouth_raw["offset"], "field 'offset'", mouth_fail, "px"),
                        size_px=_number(mouth_raw["size"], "field 'size'", mouth_fail, minimum=0.0, strict=True,
                                        unit="px"),
                        shapes=MappingProxyType(shapes), scale_open=scale_open)
    parts = _parse_parts(doc.get("parts", []), index, folder, path)

    feet_raw = doc["feet"]
    if not isinstance(feet_raw, list):
        raise ChoreoError(f"field 'feet' is {feet_raw!r}; expected a list of bone names", path=path)
    feet: list[int] = []
    for j, foot in enumerate(feet_raw):
        if not isinstance(foot, str) or foot not in index:
            raise ChoreoError(f"feet[{j}]: bone {foot!r} is not a bone of this rig"
                              f"{_near(str(foot), index)}", path=path)
        if index[foot] in feet:
            raise ChoreoError(f"feet[{j}]: bone {foot!r} is listed twice", path=path)
        feet.append(index[foot])

    def ro(a: np.ndarray) -> np.ndarray:
        a.setflags(write=False)
        return a

    return Rig(
        name=name.strip(), bones=tuple(bones), parents=ro(parents),
        lengths_px=ro(np.array([b.length_px for b in bones])),
        rest_deg=ro(np.array([b.rest_deg for b in bones])),
        limits_deg=ro(np.array([b.limits_deg for b in bones], dtype=np.float64).reshape(-1, 2)),
        max_speed_deg_s=ro(np.array([b.max_speed_deg_s for b in bones])),
        widths_px=ro(np.array([b.width_px for b in bones])),
        colors=tuple(b.color.lower() for b in bones), z=ro(np.array([b.z for b in bones], dtype=np.int64)),
        shapes=tuple(b.shape for b in bones), attach=ro(np.array([b.attach for b in bones])),
        offsets_px=ro(np.array([b.offset_px for b in bones], dtype=np.float64).reshape(-1, 2)),
        mouth=mouth, feet=ro(np.array(feet, dtype=np.int64)), origin_xy=ro(np.array(origin, dtype=np.float64)),
        order=ro(order), index=MappingProxyType(index), source=path, description=description, parts=parts,
    )


def _parse_drawing(raw: Any, what: str, folder: Path, path: str) -> Drawing:
    def fail(msg: str) -> ChoreoError:
        return ChoreoError(f"{what}: {msg}", path=path)

    if not isinstance(raw, dict):
        raise fail(f"expected an object with {', '.join(_DRAWING_REQUIRED)}")
    for key in _DRAWING_REQUIRED:
        if key not in raw:
            raise fail(f"field {key!r} is missing{_near(key, raw)}")
    image = raw["image"]
    if not isinstance(image, str) or not image.strip():
        raise fail(f"field 'image' is {image!r}; expected the path of a PNG file relative to the rig file")
    file = folder / image
    if not file.is_file():
        raise fail(f"image {image!r} not found (looked for {file})")
    offset = _pair(raw["offset"], "field 'offset'", fail, "stage px, y down")
    scale = _number(raw["scale"], "field 'scale'", fail, minimum=0.0, strict=True, unit="stage px per image pixel")
    return Drawing(image=image, path=file, offset_px=offset, scale=scale)


def _parse_parts(raw_parts: Any, index: Mapping[str, int], folder: Path, path: str) -> tuple[Part, ...]:
    if not isinstance(raw_parts, list):
        raise ChoreoError(f"field 'parts' is {raw_parts!r}; expected a list of part objects", path=path)
    parts = []
    for j, raw in enumerate(raw_parts):
        if not isinstance(raw, dict):
            raise ChoreoError(f"parts[{j}] is not a JSON object", path=path)
        bone = raw.get("bone")
        if not isinstance(bone, str) or bone not in index:
            extra = _near("bone", raw) if "bone" not in raw else _near(str(bone), index)
            raise ChoreoError(f"parts[{j}]: bone {bone!r} is not a bone of this rig{extra}", path=path)
        z = raw.get("z")
        if isinstance(z, bool) or not isinstance(z, int):
            raise ChoreoError(f"parts[{j}] (bone {bone!r}): field 'z' is {z!r}; expected an integer (draw order)",
                              path=path)
        parts.append(Part(bone=bone, index=index[bone], z=z,
                          drawing=_parse_drawing(raw, f"parts[{j}] (bone {bone!r})", folder, path)))
    return tuple(sorted(parts, key=lambda p: p.z))


def _topological_order(parents: np.ndarray) -> np.ndarray:
    depth = np.zeros(len(parents), dtype=np.int64)
    for i in range(len(parents)):
        j = i
        while parents[j] >= 0:
            depth[i] += 1
            j = parents[j]
    return np.argsort(depth, kind="stable")


# --------------------------------------------------------------------------------------------------------------
# Poses


def dancers(rig_names: list[str] | tuple[str, ...]) -> dict[str, Rig]:
    """Load rigs for dancers named after them (a second "ada" becomes "ada2", and so on).

    Parameters
    ----------
    rig_names : sequence of str
        Shipped rig names or rig files.

    Returns
    -------
    dict of str to Rig, in order
    """
    out: dict[str, Rig] = {}
    for r in rig_names:
        loaded = load_rig(r)
        out[loaded.name if loaded.name not in out else f"{loaded.name}{len(out) + 1}"] = loaded
    return out


def bone_index(rig: Rig, name: str) -> int:
    """Index of a bone by name, in the rig's bone order.

    Parameters
    ----------
    rig : Rig
    name : str
        Bone name, e.g. ``"l_forearm"``.

    Returns
    -------
    int

    Raises
    ------
    ChoreoError
        When the rig has no such bone (with the closest name, if any).
    """
    try:
        return rig.index[name]
    except KeyError:
        raise ChoreoError(f"rig {rig.name!r} has no bone {name!r}{_near(str(name), rig.index)}") from None


def _check_rotations(rig: Rig, rotations_deg: Any) -> np.ndarray:
    rot = np.asarray(rotations_deg, dtype=np.float64)
    if rot.ndim != 2 or rot.shape[1] != rig.n_bones:
        raise ValueError(f"rotations_deg has shape {rot.shape}; expected (n_frames, {rig.n_bones}) offsets from "
                         "rest in degrees (for one pose, pass rotations[None])")
    return rot


def world_angles(rig: Rig, rotations_deg: np.ndarray) -> np.ndarray:
    """Absolute bone angles per frame.

    Parameters
    ----------
    rig : Rig
    rotations_deg : np.ndarray [shape=(n_frames, n_bones), degrees]
        Offsets from the rest pose, in the rig's bone order.

    Returns
    -------
    np.ndarray [shape=(n_frames, n_bones), degrees]
        Angle of each bone counter-clockwise from +x in a y-up frame (not wrapped).
    """
    rot = _check_rotations(rig, rotations_deg)
    local = rot + rig.rest_deg[None, :]
    out = np.empty_like(local)
    for i in rig.order:
        p = rig.parents[i]
        out[:, i] = local[:, i] if p < 0 else out[:, p] + local[:, i]
    return out


def forward_kinematics(rig: Rig, rotations_deg: np.ndarray, root_xy: np.ndarray | None = None) -> np.ndarray:
    """Start and end point of every bone per frame, in stage pixels (y down).

    Parameters
    ----------
    rig : Rig
    rotations_deg : np.ndarray [shape=(n_frames, n_bones), degrees]
        Offsets from the rest pose (all zeros = rest pose), in the rig's bone order.
    root_xy : np.ndarray [shape=(n_frames, 2), stage px, y down], optional
        Position of the root joint (pelvis) per frame; ``None`` puts it at ``rig.origin_xy`` in every frame.

    Returns
    -------
    np.ndarray [shape=(n_frames, n_bones, 2, 2), stage px, y down]
        ``out[f, b, 0]`` is the (x, y) start of bone ``b`` in frame ``f`` and ``out[f, b, 1]`` its end.

    Raises
    ------
    ValueError
        When the array shapes do not match the rig.

    Examples
    --------
    >>> rig = load_rig("ada")
    >>> seg = forward_kinematics(rig, np.zeros((1, rig.n_bones)))
    >>> bool(seg[0, bone_index(rig, "head"), 1, 1] < seg[0, 0, 0, 1])  # head above the pelvis (y down)
    True
    """
    ang = np.deg2rad(world_angles(rig, rotations_deg))
    n_frames = ang.shape[0]
    if root_xy is None:
        root = np.broadcast_to(rig.origin_xy, (n_frames, 2))
    else:
        root = np.asarray(root_xy, dtype=np.float64)
        if root.shape != (n_frames, 2):
            raise ValueError(f"root_xy has shape {root.shape}; expected ({n_frames}, 2) stage pixels (x, y down)")
    cos, sin = np.cos(ang), np.sin(ang)
    # Work in a y-up frame relative to the root joint, then flip y and move to the stage at the end.
    start = np.zeros((n_frames, rig.n_bones, 2))
    vec = np.empty((n_frames, rig.n_bones, 2))
    vec[..., 0] = cos * rig.lengths_px
    vec[..., 1] = sin * rig.lengths_px
    for i in rig.order:
        p = rig.parents[i]
        if p < 0:
            continue
        along, across = rig.offsets_px[i]
        base = start[:, p] + rig.attach[i] * vec[:, p]
        if along or across:
            base = base + np.stack([along * cos[:, p] - across * sin[:, p],
                                    along * sin[:, p] + across * cos[:, p]], axis=-1)
        start[:, i] = base
    out = np.empty((n_frames, rig.n_bones, 2, 2))
    out[:, :, 0] = start
    out[:, :, 1] = start + vec
    out[..., 1] *= -1.0
    out += root[:, None, None, :]
    return out


def mouth_xy(rig: Rig, rotations_deg: np.ndarray, root_xy: np.ndarray | None = None) -> np.ndarray:
    """Mouth anchor position per frame, in stage pixels (y down).

    Parameters
    ----------
    rig : Rig
    rotations_deg : np.ndarray [shape=(n_frames, n_bones), degrees]
        Offsets from the rest pose.
    root_xy : np.ndarray [shape=(n_frames, 2), stage px, y down], optional
        Root joint position per frame; ``None`` for ``rig.origin_xy``.

    Returns
    -------
    np.ndarray [shape=(n_frames, 2), stage px, y down]
    """
    seg = forward_kinematics(rig, rotations_deg, root_xy)
    i = rig.mouth.index
    ang = np.deg2rad(world_angles(rig, rotations_deg)[:, i])
    along, across = rig.mouth.offset_px
    dx = along * np.cos(ang) - across * np.sin(ang)
    dy = along * np.sin(ang) + across * np.cos(ang)
    return seg[:, i, 0] + np.stack([dx, -dy], axis=-1)


def clamp_to_limits(rig: Rig, rotations_deg: np.ndarray) -> np.ndarray:
    """Clip pose offsets to each bone's joint limits.

    Parameters
    ----------
    rig : Rig
    rotations_deg : np.ndarray [shape=(..., n_bones), degrees]
        Offsets from the rest pose; any leading shape (one pose, or frames).

    Returns
    -------
    np.ndarray [shape=(..., n_bones), degrees]
        A new array with every offset inside ``rig.limits_deg``.
    """
    rot = np.asarray(rotations_deg, dtype=np.float64)
    if rot.ndim == 0 or rot.shape[-1] != rig.n_bones:
        raise ValueError(f"rotations_deg has shape {rot.shape}; expected (..., {rig.n_bones}) offsets in degrees")
    return np.clip(rot, rig.limits_deg[:, 0], rig.limits_deg[:, 1])


def mirror_index(rig: Rig) -> np.ndarray:
    """Bone permutation that swaps each ``l_*`` bone with its ``r_*`` partner.

    Parameters
    ----------
    rig : Rig

    Returns
    -------
    np.ndarray [shape=(n_bones,), int]
        ``perm[i]`` is the partner of bone ``i`` (itself for bones without a partner).
    """
    perm = np.arange(rig.n_bones)
    for i, b in enumerate(rig.bones):
        for a, c in (("l_", "r_"), ("r_", "l_")):
            if b.name.startswith(a) and c + b.name[2:] in rig.index:
                perm[i] = rig.index[c + b.name[2:]]
    return perm


def mirror_rotations(rig: Rig, rotations_deg: np.ndarray) -> np.ndarray:
    """Mirror a pose left to right (about the vertical axis through the root).

    With a mirror-symmetric rest pose (as the shipped rigs have) the mirror of a pose swaps left and
    right bones and negates every offset; a root track is mirrored separately by negating its x motion.

    Parameters
    ----------
    rig : Rig
    rotations_deg : np.ndarray [shape=(..., n_bones), degrees]
        Offsets from the rest pose.

    Returns
    -------
    np.ndarray [shape=(..., n_bones), degrees]
    """
    rot = np.asarray(rotations_deg, dtype=np.float64)
    if rot.ndim == 0 or rot.shape[-1] != rig.n_bones:
        raise ValueError(f"rotations_deg has shape {rot.shape}; expected (..., {rig.n_bones}) offsets in degrees")
    return -rot[..., mirror_index(rig)]
