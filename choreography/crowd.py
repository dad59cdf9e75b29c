"""Crowds (schema ``choreo.crowd/1``): many distinct dancers drawn from a few rigs, dancing behind the leads.

A crowd spec names base characters (rigs), the ranges an artist allows them to vary in, a formation, a
count and a seed. :func:`generate_crowd` draws the dancers: each one a base rig scaled, re-proportioned
and re-coloured within the ranges, with optional parts on or off, standing at its place in the formation.
:func:`dance_crowd` makes them dance to a solved choreography: the lead's move plan is followed slot by
slot, but each dancer takes an alternative move of the same length, role and energy (mirrored variants
included), chosen so that no two neighbours dance the same move at the same time (unless the spec asks
for unison), and dances it a fraction of a beat early or late.

Conventions
-----------
- Where the crowd lives: in the choreography (``choreo.choreography/1``), as ordinary characters
  ``crowd01``, ``crowd02``, ... after the leads in ``characters``, with the usual ``<character>/<bone>.rot``
  and ``<character>/root.x``/``root.y`` tracks and their moves in ``moves``, so every exporter and reader
  of choreographies sees them. The leads' tracks, moves, shots, camera and lighting are kept exactly as
  solved. The provenance holds ``crowd``: the spec, and per dancer its rig document (``rig``), base,
  feet position, drawn variation (the :data:`RANGE_LIMITS` keys) and timing offset; :func:`crowd_rigs`
  rebuilds the rigs from it, so a crowd choreography renders without the spec or its rig files.
- Crowd rigs are the dancers as they stand on the stage: lengths, widths, joint offsets and the mouth are
  scaled by the drawn height scale times the depth scale of their place (smaller further back), and the
  root ``origin`` is set so that the rest pose's lowest joint stands on the dancer's feet position. A
  crowd rig's ``name`` is its base rig's name. Cut-out parts and mouth drawings are scaled with their
  bones (uniformly: a longer arm's drawing is also wider); their images keep their pixels, and the
  renderer turns their colours (:func:`crowd_color_shifts`; in HSL, which has the same hue as HSV).
- Formation: stage pixels (1920 x 1080, y down). ``feet_y_px`` = [back, front] is the band the feet stand
  in; the depth scale is interpolated linearly in feet y from ``scale`` = [back, front] (clamped outside).
  ``rows``: rows from back to front, each spread evenly over ``x_px``, alternate rows staggered by a
  quarter step; ``arc``: the same rows bent so that each row's middle stands ``bow_px`` further back than
  its ends; ``scatter``: random places at least ``min_spacing_px`` apart. In rows and arcs
  ``min_spacing_px`` is the least step between dancers of a row. Dancers are numbered back to front,
  then left to right: the order they are drawn in.
- Neighbours: each dancer's :data:`NEIGHBOURS` nearest dancers (feet to feet), and those that count it among
  theirs; in rows, the dancers beside and the nearest ones in the rows in front and behind.
- Ranges are [min, max], inclusive, drawn uniformly. ``height_scale``, ``arm_scale`` (upper arm, forearm,
  hand) and ``leg_scale`` (thigh, shin) are factors; arm and leg scales apply on top of the height scale.
  ``hue_shift_deg`` turns the HSV hue of every bone colour (except ``keep_colors``) by one drawn angle;
  ``saturation_shift`` adds one drawn amount to their HSV saturation (clipped to 0..1).
- Optional parts are bones outside :data:`choreography.rig.REQUIRED_BONES`; ``parts`` maps a bone name to
  the chance (0..1) that it is on; a part that is off is removed with the bones attached to it.
- Timing offsets are in beats of the dance grid (half time included), one per dancer, drawn uniformly in
  [-offset_beats, offset_beats].
- Alternative moves share the lead's move length in beats, its role tags (:data:`ROLE_TAGS`: what the
  solver places moves by) and its energy within ``energy_tolerance``. Where a slot has too few of those for
  a dancer's neighbours, the choice widens step by step (:data:`WIDENING`: twice the tolerance; any role;
  any energy; any move); the provenance records how often each step was needed, and a neighbour clash
  left over is a warning.

Document layout (``choreo.crowd/1``)
------------------------------------
Top level: ``schema``, ``bases`` (list of rig names or rig files, relative to the spec's folder) and
optional ``description``, ``count`` (1..:data:`MAX_COUNT`), ``seed`` (integer >= 0), ``unison`` (bool),
``ranges`` (object: ``height_scale``, ``arm_scale``, ``leg_scale``, ``hue_shift_deg``,
``saturation_shift``, each [min, max]), ``keep_colors`` (bone names), ``parts`` ({bone: chance}),
``formation`` (object: ``kind`` one of :data:`FORMATIONS`, ``rows`` (0: one row per
:data:`DANCERS_PER_ROW` dancers), ``x_px`` [left, right], ``feet_y_px`` [back, front], ``scale``
[back, front], ``min_spacing_px``, ``bow_px``), ``offset_beats`` (0..0.5) and ``energy_tolerance``
(0..1). Omitted fields take the defaults of :class:`CrowdSpec` and :class:`Formation`.
"""

from __future__ import annotations

import colorsys
import math
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from audio.errors import ChoreoError, did_you_mean
from audio.files import read_json_object
from audio.model import Analysis
from choreography.model import Choreography, MovePlacement, seconds_to_frame
from choreography.music import beat_period
from choreography.rig import (
    REQUIRED_BONES,
    Rig,
    _is_name,
    forward_kinematics,
    hex_to_rgb,
    list_rigs,
    load_rig,
    rgb_to_hex,
    validate,
)

CROWD_SCHEMA = "choreo.crowd/1"
#: Bump when the same spec and choreography give another crowd (part of ``choreo run``'s cache key).
STAGE_VERSION = "1"
FORMATIONS = ("rows", "arc", "scatter")
ROLE_TAGS = ("accent", "hold", "calm")
#: The steps by which a slot's choice of alternative moves widens when neighbours leave none.
WIDENING = ("same role, energy within the tolerance", "same role, energy within twice the tolerance",
            "any role, energy within twice the tolerance", "any role and energy", "any move")
MAX_COUNT = 500
NEIGHBOURS = 6
DANCERS_PER_ROW = 18
ARM_BONES = ("upper_arm", "forearm", "hand")
LEG_BONES = ("thigh", "shin")
RANGE_LIMITS = {"height_scale": (0.05, 5.0), "arm_scale": (0.05, 5.0), "leg_scale": (0.05, 5.0),
                "hue_shift_deg": (-180.0, 180.0), "saturation_shift": (-1.0, 1.0)}
_TOP_KEYS = ("schema", "description", "bases", "count", "seed", "unison", "ranges", "keep_colors", "parts",
             "formation", "offset_beats", "energy_tolerance")
_DANCE_STREAM = 1  # second random stream of a seed: the dance draws do not move when the looks change


@dataclass(frozen=True)
class Formation:
    """Where the crowd stands (stage pixels, y down; see the module conventions).

    Attributes
    ----------
    kind : str
        One of :data:`FORMATIONS`.
    rows : int
        Rows (rows and arc); 0 for one row per :data:`DANCERS_PER_ROW` dancers.
    x_px : (float, float)
        Left and right edge of the crowd.
    feet_y_px : (float, float)
        Feet of the back and the front row.
    scale : (float, float)
        Depth scale at the back and at the front.
    min_spacing_px : float
        Least distance between dancers (scatter), least step within a row (rows, arc).
    bow_px : float
        How much further back an arc's middle stands than its ends.
    """

    kind: str = "rows"
    rows: int = 0
    x_px: tuple[float, float] = (140.0, 1780.0)
    feet_y_px: tuple[float, float] = (570.0, 670.0)
    scale: tuple[float, float] = (0.38, 0.46)
    min_spacing_px: float = 60.0
    bow_px: float = 90.0


@dataclass(frozen=True)
class CrowdSpec:
    """A validated crowd spec (``choreo.crowd/1``); the defaults here are the defaults of the document.

    Attributes
    ----------
    bases : tuple of str
        Rig names or rig files (absolute, or relative to the working folder).
    count : int
    seed : int
    unison : bool
        Everyone dances the lead's moves (still each with its own timing offset).
    height_scale, arm_scale, leg_scale, hue_shift_deg, saturation_shift : (float, float)
        Allowed ranges (see the module conventions).
    keep_colors : tuple of str
        Bones whose colour is never shifted (skin, say).
    parts : tuple of (str, float)
        Optional bones and the chance that each is on.
    formation : Formation
    offset_beats : float
        Largest timing offset, in beats.
    energy_tolerance : float
        Largest energy difference of an alternative move from the lead's.
    source : str
        The file it came from ("" when made in code), named in errors.
    """

    bases: tuple[str, ...] = ("ada", "bo")
    count: int = 12
    seed: int = 0
    unison: bool = False
    height_scale: tuple[float, float] = (0.9, 1.1)
    arm_scale: tuple[float, float] = (0.9, 1.1)
    leg_scale: tuple[float, float] = (0.92, 1.08)
    hue_shift_deg: tuple[float, float] = (-30.0, 30.0)
    saturation_shift: tuple[float, float] = (-0.15, 0.15)
    keep_colors: tuple[str, ...] = ()
    parts: tuple[tuple[str, float], ...] = ()
    formation: Formation = field(default_factory=Formation)
    offset_beats: float = 0.12
    energy_tolerance: float = 0.1
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Serialise to a ``choreo.crowd/1`` document (every field written; loads to an equal spec).

        Returns
        -------
        dict
        """
        f = self.formation
        return {"schema": CROWD_SCHEMA, "bases": list(self.bases), "count": self.count, "seed": self.seed,
                "unison": self.unison, "ranges": {k: list(getattr(self, k)) for k in RANGE_LIMITS},
                "keep_colors": list(self.keep_colors), "parts": dict(self.parts),
                "formation": {"kind": f.kind, "rows": f.rows, "x_px": list(f.x_px), "feet_y_px": list(f.feet_y_px),
                              "scale": list(f.scale), "min_spacing_px": f.min_spacing_px, "bow_px": f.bow_px},
                "offset_beats": self.offset_beats, "energy_tolerance": self.energy_tolerance}


class CrowdDancer(NamedTuple):
    """One generated dancer: its character name, its rig (as it stands on the stage) and its feet position."""

    name: str
    rig: Rig
    position: np.ndarray  # (2,) stage px, y down: where the feet stand


# --------------------------------------------------------------------------------------------------------------
# The spec


def load_crowd_spec(path: str | Path) -> CrowdSpec:
    """Read and validate a crowd spec file.

    Parameters
    ----------
    path : str or Path
        A ``choreo.crowd/1`` JSON file; rig files in ``bases`` are relative to its folder.

    Returns
    -------
    CrowdSpec

    Raises
    ------
    ChoreoError
        Naming the file and the field, with the nearest known name for a misspelt one.
    """
    return crowd_spec_from_dict(read_json_object(path, what="crowd spec"), path=path)


class _Fields:
    """Checks of one document; every error names the file and the field."""

    def __init__(self, path: str):
        self.path = path

    def fail(self, where: str, msg: str) -> ChoreoError:
        return ChoreoError(f"field {where!r} {msg}", path=self.path or None)

    def keys(self, obj: Any, allowed: tuple[str, ...], where: str) -> dict[str, Any]:
        if not isinstance(obj, dict):
            raise ChoreoError(f"{where or 'the spec'} must be a JSON object", path=self.path or None)
        for k in obj:
            if k not in allowed:
                full = f"{where}.{k}" if where else k
                raise self.fail(full, f"is not a crowd spec field{did_you_mean(k, allowed)} "
                                f"(expected {', '.join(a for a in allowed if a != 'schema')})")
        return obj

    def number(self, obj: dict, key: str, where: str, default: float, lo: float, hi: float) -> float:
        v = obj.get(key, default)
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or not lo <= v <= hi:
            raise self.fail(where, f"is {v!r}; expected a number in {lo:g}..{hi:g}")
        return float(v)

    def whole(self, obj: dict, key: str, where: str, default: int, lo: int, hi: int | None = None) -> int:
        v = obj.get(key, default)
        if isinstance(v, bool) or not isinstance(v, int) or v < lo or (hi is not None and v > hi):
            span = f"{lo}..{hi}" if hi is not None else f">= {lo}"
            raise self.fail(where, f"is {v!r}; expected a whole number {span}")
        return v

    def pair(self, obj: dict, key: str, where: str, default: tuple[float, float], lo: float, hi: float,
             increasing: bool = True) -> tuple[float, float]:
        v = obj.get(key, list(default))
        ok = isinstance(v, list) and len(v) == 2 and all(
            not isinstance(x, bool) and isinstance(x, int | float) and math.isfinite(x) and lo <= x <= hi for x in v)
        if not ok:
            raise self.fail(where, f"is {v!r}; expected [min, max], two numbers in {lo:g}..{hi:g}")
        if increasing and v[0] > v[1]:
            raise self.fail(where, f"is {v!r}: min > max (write [min, max])")
        return float(v[0]), float(v[1])

    def names(self, obj: dict, key: str, where: str) -> tuple[str, ...]:
        v = obj.get(key, [])
        if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
            raise self.fail(where, f"is {v!r}; expected a list of names")
        return tuple(v)


def crowd_spec_from_dict(doc: dict[str, Any], *, path: str | Path = "") -> CrowdSpec:
    """Validate a parsed ``choreo.crowd/1`` document.

    Parameters
    ----------
    doc : dict
    path : str or Path
        The file it came from: named in errors; rig files in ``bases`` are relative to its folder.

    Returns
    -------
    CrowdSpec
        With ``bases`` resolved (rig files as absolute paths) and every base rig, part and colour bone
        checked against the rigs.

    Raises
    ------
    ChoreoError
        At the first problem, naming the file and the field (a misspelt field, formation kind, rig or bone
        gets the nearest known name).
    """
    p = str(path)
    v = _Fields(p)
    d = CrowdSpec()
    v.keys(doc, _TOP_KEYS, "")
    if doc.get("schema") != CROWD_SCHEMA:
        raise v.fail("schema", f"is {doc.get('schema')!r}; expected {CROWD_SCHEMA!r}")
    if "bases" not in doc:
        raise v.fail("bases", "is missing: name the rigs the crowd is made from (e.g. [\"ada\", \"bo\"])")
    raw_bases = v.names(doc, "bases", "bases")
    if not raw_bases:
        raise v.fail("bases", "is empty: name at least one rig")
    folder = Path(p).parent if p else Path(".")
    bases = tuple(b if _is_name(b) else str((folder / b).resolve()) for b in raw_bases)
    rigs = [_base_rig(b, p) for b in bases]
    ranges = v.keys(doc.get("ranges", {}), tuple(RANGE_LIMITS), "ranges")
    drawn = {k: v.pair(ranges, k, f"ranges.{k}", getattr(d, k), *RANGE_LIMITS[k]) for k in RANGE_LIMITS}
    bone_names = sorted({b.name for r in rigs for b in r.bones})
    keep = v.names(doc, "keep_colors", "keep_colors")
    for j, b in enumerate(keep):
        if b not in bone_names:
            raise v.fail(f"keep_colors[{j}]", f"names bone {b!r}, which no base rig has{did_you_mean(b, bone_names)}")
    raw_parts = doc.get("parts", {})
    if not isinstance(raw_parts, dict):
        raise v.fail("parts", f"is {raw_parts!r}; expected an object {{bone: chance it is on, 0..1}}")
    optional = sorted({b.name for r in rigs for b in r.bones if b.name not in REQUIRED_BONES})
    parts = []
    for name in raw_parts:
        where = f"parts.{name}"
        if name in REQUIRED_BONES:
            extra = ", ".join(optional) or "none in these rigs"
            raise v.fail(where, f"names the required bone {name!r}; only extra bones ({extra}) can be switched off")
        if name not in optional:
            raise v.fail(where, f"names bone {name!r}, which no base rig has{did_you_mean(name, optional)} "
                                f"(optional parts: {', '.join(optional) or 'none'})")
        for r in rigs:
            if name in r.index:
                _part_bones(r, name, where, v)
        parts.append((name, v.number(raw_parts, name, where, 0.5, 0.0, 1.0)))
    form = _formation(v, doc.get("formation", {}), d.formation)
    return CrowdSpec(bases=bases, count=v.whole(doc, "count", "count", d.count, 1, MAX_COUNT),
                     seed=v.whole(doc, "seed", "seed", d.seed, 0), unison=_flag(v, doc, "unison", d.unison),
                     keep_colors=keep, parts=tuple(parts), formation=form,
                     offset_beats=v.number(doc, "offset_beats", "offset_beats", d.offset_beats, 0.0, 0.5),
                     energy_tolerance=v.number(doc, "energy_tolerance", "energy_tolerance", d.energy_tolerance,
                                               0.0, 1.0), source=p, **drawn)


def _flag(v: _Fields, doc: dict, key: str, default: bool) -> bool:
    x = doc.get(key, default)
    if not isinstance(x, bool):
        raise v.fail(key, f"is {x!r}; expected true or false")
    return x


def _formation(v: _Fields, raw: Any, d: Formation) -> Formation:
    names = tuple(f.name for f in fields(Formation))
    raw = v.keys(raw, names, "formation")
    kind = raw.get("kind", d.kind)
    if kind not in FORMATIONS:
        raise v.fail("formation.kind", f"is {kind!r}; expected one of {', '.join(FORMATIONS)}"
                                       f"{did_you_mean(str(kind), FORMATIONS)}")
    big = 1.0e5
    x = v.pair(raw, "x_px", "formation.x_px", d.x_px, -big, big)
    if x[0] == x[1]:
        raise v.fail("formation.x_px", f"is {list(x)}: the crowd needs some width (left < right)")
    return Formation(kind=kind, rows=v.whole(raw, "rows", "formation.rows", d.rows, 0, MAX_COUNT), x_px=x,
                     feet_y_px=v.pair(raw, "feet_y_px", "formation.feet_y_px", d.feet_y_px, -big, big),
                     scale=v.pair(raw, "scale", "formation.scale", d.scale, 0.01, 10.0, increasing=False),
                     min_spacing_px=v.number(raw, "min_spacing_px", "formation.min_spacing_px", d.min_spacing_px,
                                             0.0, big),
                     bow_px=v.number(raw, "bow_px", "formation.bow_px", d.bow_px, -big, big))


def _base_rig(base: str, path: str) -> Rig:
    try:
        return load_rig(base)
    except ChoreoError as exc:
        hint = did_you_mean(base, list_rigs()) if _is_name(base) else ""
        raise ChoreoError(f"bases: rig {base!r} cannot be used{hint}: {exc}", path=path or None) from None


def _part_bones(rig: Rig, part: str, where: str, v: _Fields) -> set[str]:
    """The bones a part takes with it when it is off (itself and everything attached to it)."""
    out = {part}
    changed = True
    while changed:
        changed = False
        for b in rig.bones:
            if b.parent in out and b.name not in out:
                out.add(b.name)
                changed = True
    bad = sorted(out & (set(REQUIRED_BONES) | {rig.mouth.bone} | {rig.bones[i].name for i in rig.feet}))
    if bad:
        raise v.fail(where, f"cannot be switched off in rig {rig.name!r}: {', '.join(bad)} (required, the "
                            "mouth or a foot) hangs from it")
    return out


# --------------------------------------------------------------------------------------------------------------
# Generation


def depth_scale(formation: Formation, feet_y: np.ndarray) -> np.ndarray:
    """The depth scale at a feet height: linear from the back row's scale to the front row's, clamped.

    Parameters
    ----------
    formation : Formation
    feet_y : np.ndarray [shape=(n,), stage px, y down]

    Returns
    -------
    np.ndarray [shape=(n,)]
    """
    (yb, yf), (sb, sf) = formation.feet_y_px, formation.scale
    y = np.asarray(feet_y, dtype=np.float64)
    if yf == yb:
        return np.full(y.shape, 0.5 * (sb + sf))
    u = np.clip((y - yb) / (yf - yb), 0.0, 1.0)
    return sb + (sf - sb) * u


def formation_positions(formation: Formation, count: int, rng: np.random.Generator, *,
                        path: str = "") -> np.ndarray:
    """Feet positions of a formation, back to front, then left to right.

    Parameters
    ----------
    formation : Formation
    count : int
    rng : np.random.Generator
        Draws the places of a scatter (rows and arcs draw nothing).
    path : str
        The spec file, named in errors.

    Returns
    -------
    np.ndarray [shape=(count, 2), stage px, y down]

    Raises
    ------
    ChoreoError
        When the dancers do not fit at ``min_spacing_px``.
    """
    (x0, x1), (yb, yf) = formation.x_px, formation.feet_y_px
    left, right = min(x0, x1), max(x0, x1)
    gap = formation.min_spacing_px
    if formation.kind == "scatter":
        pts = np.empty((0, 2))
        for _ in range(200 * count):
            p = np.array([rng.uniform(left, right), rng.uniform(min(yb, yf), max(yb, yf))])
            if pts.shape[0] == 0 or np.min(np.hypot(*(pts - p).T)) >= gap:
                pts = np.vstack([pts, p])
                if pts.shape[0] == count:
                    break
        if pts.shape[0] < count:
            raise ChoreoError(f"formation: only {pts.shape[0]} of {count} dancers fit {gap:g} px apart in x_px "
                              f"[{x0:g}, {x1:g}] by feet_y_px [{yb:g}, {yf:g}]; lower the count or "
                              "min_spacing_px, or widen the area", path=path or None)
    else:
        n_rows = min(formation.rows or math.ceil(count / DANCERS_PER_ROW), count)
        rows = []
        for r in range(n_rows):
            k = count // n_rows + (1 if r < count % n_rows else 0)
            step = (right - left) / k
            if k > 1 and step < gap:
                raise ChoreoError(f"formation: {k} dancers in a row of {right - left:g} px stand {step:.0f} px apart, "
                                  f"under min_spacing_px {gap:g}; add rows or widen x_px", path=path or None)
            y = yb + (yf - yb) * r / (n_rows - 1) if n_rows > 1 else 0.5 * (yb + yf)
            stagger = 0.25 * step * (1 if r % 2 else -1) if n_rows > 1 else 0.0
            xs = left + step * (np.arange(k) + 0.5) + stagger
            ys = np.full(k, y)
            if formation.kind == "arc":
                u = (xs - 0.5 * (left + right)) / (0.5 * (right - left))
                ys = ys + formation.bow_px * (u * u - 0.5)
            rows.append(np.stack([xs, ys], axis=-1))
        pts = np.concatenate(rows)
    return pts[np.lexsort((pts[:, 0], pts[:, 1]))]


def neighbours(feet_xy: np.ndarray) -> np.ndarray:
    """Which dancers stand next to each other (see the module conventions).

    Parameters
    ----------
    feet_xy : np.ndarray [shape=(n, 2), stage px]

    Returns
    -------
    np.ndarray [shape=(n, n), bool]
        Symmetric, False on the diagonal.

    Examples
    --------
    >>> int(neighbours(np.array([[100.0 * i, 0.0] for i in range(10)]))[0].sum())  # six nearest in a row
    6
    """
    p = np.asarray(feet_xy, dtype=np.float64)
    d = np.hypot(p[:, None, 0] - p[None, :, 0], p[:, None, 1] - p[None, :, 1])
    np.fill_diagonal(d, np.inf)
    k = min(NEIGHBOURS, p.shape[0] - 1)
    adj = np.zeros(d.shape, dtype=bool)
    if k > 0:
        nearest = np.argsort(d, axis=1, kind="stable")[:, :k]
        adj[np.repeat(np.arange(p.shape[0]), k), nearest.ravel()] = True
    return adj | adj.T


def _shift_color(hex_rgb: str, hue_deg: float, saturation: float) -> str:
    h, s, val = colorsys.rgb_to_hsv(*(c / 255.0 for c in hex_to_rgb(hex_rgb)))
    r, g, b = colorsys.hsv_to_rgb((h + hue_deg / 360.0) % 1.0, min(max(s + saturation, 0.0), 1.0), val)
    return rgb_to_hex((r * 255, g * 255, b * 255))


def _scaled_drawing(drawing: dict[str, Any], factor: float) -> dict[str, Any]:
    return dict(drawing, offset=[x * factor for x in drawing["offset"]], scale=drawing["scale"] * factor)


def _limb_factor(bone: str, arm: float, leg: float) -> float:
    side = bone[2:] if bone[:2] in ("l_", "r_") else ""
    return arm if side in ARM_BONES else leg if side in LEG_BONES else 1.0


def vary_rig(base: Rig, *, scale: float, arm_scale: float = 1.0, leg_scale: float = 1.0, hue_shift_deg: float = 0.0,
             saturation_shift: float = 0.0, keep_colors=(), parts_off=(), feet_xy=None, description: str = "") -> Rig:
    """A base rig scaled, re-proportioned, re-coloured, without some parts, standing on a point.

    Parameters
    ----------
    base : Rig
    scale : float
        Overall factor of lengths, widths, joint offsets and the mouth.
    arm_scale, leg_scale : float
        Further factors of the arm (upper arm, forearm, hand) and leg (thigh, shin) bones' lengths.
    hue_shift_deg, saturation_shift : float
        Turn of the HSV hue (degrees) and change of the HSV saturation of every bone colour.
    keep_colors : iterable of str
        Bones whose colour stays.
    parts_off : iterable of str
        Optional bones removed (with the bones attached to them).
    feet_xy : array_like [shape=(2,), stage px, y down], optional
        Where the rest pose's lowest joint stands (the root is placed above it); default the base's origin.
    description : str

    Returns
    -------
    Rig
    """
    off: set[str] = set()
    for part in parts_off:
        off |= _part_bones(base, part, f"parts.{part}", _Fields(base.source))
    keep = set(keep_colors)
    doc = base.to_dict()
    bones = []
    for b in doc["bones"]:
        if b["name"] in off:
            continue
        b = dict(b, length=b["length"] * scale * _limb_factor(b["name"], arm_scale, leg_scale),
                 width=b["width"] * scale)
        if "offset" in b:
            b["offset"] = [x * scale for x in b["offset"]]
        if b["name"] not in keep:
            b["color"] = _shift_color(b["color"], hue_shift_deg, saturation_shift)
        if b["parent"] is None:
            b["origin"] = [0.0, 0.0]
        bones.append(b)
    mouth = dict(doc["mouth"], offset=[x * scale for x in doc["mouth"]["offset"]], size=doc["mouth"]["size"] * scale)
    if "shapes" in mouth:
        mouth["shapes"] = {k: _scaled_drawing(d, scale) for k, d in mouth["shapes"].items()}
    doc.update(bones=bones, mouth=mouth)
    if "parts" in doc:  # a cut-out part grows with its bone
        doc["parts"] = [_scaled_drawing(d, scale * _limb_factor(d["bone"], arm_scale, leg_scale))
                        for d in doc["parts"] if d["bone"] not in off]
    if description:
        doc["description"] = description
    rig = validate(doc, path=base.source)
    rest = forward_kinematics(rig, np.zeros((1, rig.n_bones)))
    target = base.origin_xy if feet_xy is None else np.asarray(feet_xy, dtype=np.float64)
    origin = np.array([float(target[0]), float(target[1]) - float(rest[0, :, :, 1].max())])
    origin.setflags(write=False)
    return replace(rig, origin_xy=origin)


def generate_crowd(spec: CrowdSpec) -> list[CrowdDancer]:
    """Draw a crowd: ``spec.count`` distinct dancers within the spec's ranges, standing in its formation.

    Deterministic for a seed: the same spec gives the same dancers. Bases are dealt out evenly and
    shuffled over the places.

    Parameters
    ----------
    spec : CrowdSpec

    Returns
    -------
    list of CrowdDancer
        ``(name, rig, position)`` back to front, then left to right; names ``crowd01``, ``crowd02``, ...

    Raises
    ------
    ChoreoError
        A base rig that cannot be loaded, or a formation the dancers do not fit in.
    """
    return _draw_crowd(spec)[0]


def _draw_crowd(spec: CrowdSpec) -> tuple[list[CrowdDancer], dict[str, np.ndarray]]:
    """The dancers of :func:`generate_crowd` and the values drawn for them (:data:`RANGE_LIMITS` keys)."""
    bases = [_base_rig(b, spec.source) for b in spec.bases]
    rng = np.random.default_rng(spec.seed)
    n = spec.count
    feet = formation_positions(spec.formation, n, rng, path=spec.source)
    depth = depth_scale(spec.formation, feet[:, 1])
    base_of = rng.permutation(np.arange(n) % len(bases))
    drawn = {k: rng.uniform(*getattr(spec, k), size=n) for k in RANGE_LIMITS}
    on = rng.uniform(size=(n, len(spec.parts))) < np.array([c for _, c in spec.parts])[None, :]
    digits = max(2, len(str(n)))
    out = []
    for i in range(n):
        base = bases[base_of[i]]
        off = [name for j, (name, _) in enumerate(spec.parts) if not on[i, j] and name in base.index]
        name = f"crowd{i + 1:0{digits}d}"
        desc = (f"crowd dancer {name}: {base.name} x{drawn['height_scale'][i]:.3f} (arms x{drawn['arm_scale'][i]:.3f}, "
                f"legs x{drawn['leg_scale'][i]:.3f}), hue {drawn['hue_shift_deg'][i]:+.1f} deg, saturation "
                f"{drawn['saturation_shift'][i]:+.3f}, depth x{depth[i]:.3f}")
        rig = vary_rig(base, scale=float(drawn["height_scale"][i] * depth[i]), arm_scale=float(drawn["arm_scale"][i]),
                       leg_scale=float(drawn["leg_scale"][i]), hue_shift_deg=float(drawn["hue_shift_deg"][i]),
                       saturation_shift=float(drawn["saturation_shift"][i]), keep_colors=spec.keep_colors,
                       parts_off=off, feet_xy=feet[i], description=desc)
        out.append(CrowdDancer(name, rig, feet[i].copy()))
    return out, drawn


def tint(rig: Rig, toward: str, amount: float) -> Rig:
    """A rig whose bone colours are mixed toward a colour (the renderer dims the crowd this way).

    Parameters
    ----------
    rig : Rig
    toward : str
        ``"#rrggbb"``.
    amount : float
        0 keeps the colours, 1 replaces them.

    Returns
    -------
    Rig
    """
    target = np.array(hex_to_rgb(toward), dtype=np.float64)
    doc = rig.to_dict()
    for b in doc["bones"]:
        b["color"] = rgb_to_hex(np.rint((1.0 - amount) * np.array(hex_to_rgb(b["color"])) + amount * target))
    return validate(doc, path=rig.source)


# --------------------------------------------------------------------------------------------------------------
# Dancing


def _lead_plan(analysis: Analysis, c: Choreography, lib):
    """The dance grid and the first lead's plan, read back from a solved choreography."""
    from choreography.music import beat_features, half_time
    from choreography.plan import Placement

    music = beat_features(analysis)
    fast = c.provenance.get("dance_grid") == "half time"
    bf, kept = half_time(music) if fast else (music, np.arange(music.n))
    if not c.characters:
        raise ChoreoError("the choreography has no characters for a crowd to follow")
    lead = c.characters[0]
    mine = sorted((m for m in c.moves if m.character == lead), key=lambda m: m.start_beat)
    if not mine:
        raise ChoreoError(f"the choreography has no moves for its lead {lead!r}; a crowd follows the lead's moves")
    starts = np.searchsorted(kept, [m.start_beat for m in mine])
    if np.any(starts >= bf.n) or np.any(kept[np.minimum(starts, bf.n - 1)] != [m.start_beat for m in mine]):
        raise ChoreoError("the choreography's moves do not start on the analysis' beats: was it made from "
                          "another analysis?")
    ends = np.append(starts[1:], bf.n)
    for m in mine:
        if m.move not in lib:
            raise ChoreoError(f"the lead's move {m.move!r} is not in move library {lib.name!r}: give the library "
                              "the choreography was made with")
    return bf, kept, lead, [Placement(m.move, int(a), int(b - a)) for m, a, b in zip(mine, starts, ends, strict=True)
                            if b > a]


def move_pools(lead_moves: np.ndarray, beats: np.ndarray, energy: np.ndarray, roles: np.ndarray,
               tolerance: float) -> np.ndarray:
    """The alternatives to each lead move, one pool per widening step (:data:`WIDENING`).

    Parameters
    ----------
    lead_moves : np.ndarray [shape=(n_slots,), int]
        The lead's move per slot (index into the library).
    beats : np.ndarray [shape=(n_moves,), int]
    energy : np.ndarray [shape=(n_moves,), 0..1]
    roles : np.ndarray [shape=(n_moves, n_roles), bool]
        The role tags (:data:`ROLE_TAGS`) of every move.
    tolerance : float
        Largest energy difference of the first step.

    Returns
    -------
    np.ndarray [shape=(len(WIDENING), n_slots, n_moves), bool]
    """
    same_len = beats[None, :] == beats[lead_moves][:, None]
    same_role = np.all(roles[None, :, :] == roles[lead_moves][:, None, :], axis=-1)
    de = np.abs(energy[None, :] - energy[lead_moves][:, None])
    near, nearish = de <= tolerance + 1e-9, de <= 2 * tolerance + 1e-9
    return np.stack([same_len & same_role & near, same_len & same_role & nearish, same_len & nearish, same_len,
                     np.ones_like(same_len)])


def assign_moves(pools: np.ndarray, adjacency: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Each dancer's move per slot: random among the alternatives its neighbours have not taken.

    Dancers choose one after another (greedy colouring of the formation, vectorised over the slots); a
    dancer takes the first widening step that leaves it a move no earlier neighbour dances in that slot.

    Parameters
    ----------
    pools : np.ndarray [shape=(n_steps, n_slots, n_moves), bool]
        See :func:`move_pools`.
    adjacency : np.ndarray [shape=(n_dancers, n_dancers), bool]
    rng : np.random.Generator

    Returns
    -------
    choice : np.ndarray [shape=(n_slots, n_dancers), int]
        Index of the move.
    step : np.ndarray [shape=(n_slots, n_dancers), int]
        The widening step the choice needed; ``n_steps`` where the neighbours left nothing (a clash).
    """
    n_steps, n_slots, n_moves = pools.shape
    n = adjacency.shape[0]
    choice = np.zeros((n_slots, n), dtype=np.int64)
    step = np.full((n_slots, n), n_steps, dtype=np.int64)
    rows = np.arange(n_slots)
    for d in range(n):
        taken = np.zeros((n_slots, n_moves), dtype=bool)
        earlier = np.flatnonzero(adjacency[d, :d])
        if earlier.size:
            taken[np.repeat(rows, earlier.size), choice[:, earlier].ravel()] = True
        score = rng.uniform(size=(n_slots, n_moves))
        todo = np.ones(n_slots, dtype=bool)
        for k in range(n_steps):
            allowed = pools[k] & ~taken & todo[:, None]
            got = allowed.any(axis=1)
            choice[got, d] = np.argmax(np.where(allowed, score, -1.0), axis=1)[got]
            step[got, d] = k
            todo &= ~got
        if todo.any():  # every move is taken by a neighbour: dance one anyway, recorded as a clash
            choice[todo, d] = np.argmax(np.where(pools[-1], score, -1.0), axis=1)[todo]
    return choice, step


def _shifted_beats(t_s: np.ndarray, offset_beats: float) -> np.ndarray:
    """Beat times moved by a fraction of a beat (extrapolated past the ends, never before 0 s)."""
    idx = np.arange(t_s.size, dtype=np.float64)
    period = beat_period(t_s)
    pos = idx + offset_beats
    t = np.interp(pos, idx, t_s)
    t = np.where(pos < 0, t_s[0] + pos * period, np.where(pos > idx[-1], t_s[-1] + (pos - idx[-1]) * period, t))
    return np.maximum(t, 0.0)


def dance_crowd(analysis: Analysis, choreography: Choreography, lib, spec: CrowdSpec) -> Choreography:
    """Add a crowd to a solved choreography: each dancer follows the lead's plan with moves of its own.

    Parameters
    ----------
    analysis : Analysis
        The analysis the choreography was solved from.
    choreography : Choreography
        The solved leads; the first character is the lead the crowd follows.
    lib : MoveLibrary
        The library the choreography was solved with (mirrored variants are added).
    spec : CrowdSpec

    Returns
    -------
    Choreography
        The same leads, tracks, moves, shots, camera and lighting, plus the crowd's characters, tracks and
        moves, and ``provenance["crowd"]`` (see the module conventions).

    Raises
    ------
    ChoreoError
        A choreography that does not fit the analysis or the library, a crowd name already taken, or a
        spec whose rigs or formation fail.
    """
    from choreography.moves import TAGS, library_arrays
    from choreography.plan import Placement
    from choreography.solver import keyframes, plant_feet

    c = choreography
    full = lib.with_mirrors()
    bf, kept, lead, slots = _lead_plan(analysis, c, full)
    dancers, drawn = _draw_crowd(spec)
    taken = sorted({d.name for d in dancers} & set(c.characters))
    if taken:
        raise ChoreoError(f"the choreography already has characters named {', '.join(taken)}; crowd dancers are "
                          "named crowd01, crowd02, ...")
    arrays = library_arrays(full)
    index = {name: i for i, name in enumerate(arrays["names"])}
    lead_moves = np.array([index[p.move] for p in slots], dtype=np.int64)
    roles = arrays["tags"][:, [TAGS.index(t) for t in ROLE_TAGS]]
    rng = np.random.default_rng((spec.seed, _DANCE_STREAM))
    n = len(dancers)
    adjacency = neighbours(np.array([d.position for d in dancers]))
    pools = move_pools(lead_moves, arrays["beats"], arrays["energy"], roles, spec.energy_tolerance)
    if spec.unison:
        choice, step = np.repeat(lead_moves[:, None], n, axis=1), np.zeros((len(slots), n), dtype=np.int64)
    else:
        choice, step = assign_moves(pools, adjacency, rng)
    offsets = rng.uniform(-spec.offset_beats, spec.offset_beats, size=n)
    fps, n_frames = c.fps, c.duration_frames
    tracks = dict(c.tracks)
    moves = list(c.moves)
    records = []
    for d, dancer in enumerate(dancers):
        t_s = _shifted_beats(bf.t_s, float(offsets[d]))
        grid = replace(bf, t_s=t_s)
        plan = [Placement(arrays["names"][choice[s, d]], p.start_beat, p.n_beats) for s, p in enumerate(slots)]
        part = keyframes(plan, full, dancer.rig, grid, fps, dancer.name, n_frames)
        part, _ = plant_feet(part, plan, full, dancer.rig, grid, fps, dancer.name, n_frames)
        tracks.update(part)
        for p in plan:
            a = min(seconds_to_frame(t_s[p.start_beat], fps), n_frames - 1)
            end = p.start_beat + p.n_beats
            b = min(seconds_to_frame(t_s[end], fps), n_frames) if end < bf.n else n_frames
            moves.append(MovePlacement(dancer.name, p.move, a, max(b, a + 1), int(kept[p.start_beat]),
                                       int(bf.bar[p.start_beat]), int(bf.beat[p.start_beat])))
        records.append({"name": dancer.name, "base": dancer.rig.name, "source": dancer.rig.source,
                        "feet_xy": [round(float(x), 3) for x in dancer.position],
                        "offset_beats": round(float(offsets[d]), 4),
                        **{k: round(float(drawn[k][d]), 6) for k in RANGE_LIMITS}, "rig": dancer.rig.to_dict()})
    counts = np.bincount(step.ravel(), minlength=len(WIDENING) + 1) / max(step.size, 1)
    clashes = int(np.sum(step == len(WIDENING)))
    warnings = list(c.warnings)
    if clashes:
        warnings.append(f"crowd: {clashes} dancer-moves share a move with a neighbour at the same time: the move "
                        "library has too few moves of a length for the formation's neighbours")
    looks = {(r["base"], tuple(b["color"] for b in r["rig"]["bones"]), tuple(b["length"] for b in r["rig"]["bones"]))
             for r in records}
    if len(looks) < n:
        warnings.append(f"crowd: {n - len(looks)} dancers look like another one: the spec's ranges allow too little "
                        "variation")
    provenance = {**c.provenance, "crowd": {
        "version": STAGE_VERSION, "spec": spec.to_dict(), "lead": lead, "dancers": records,
        "alternatives": {w: round(float(x), 4) for w, x in zip(WIDENING, counts, strict=False)},
        "neighbour_clashes": clashes}}
    return Choreography(fps=fps, duration_frames=n_frames, characters=c.characters + tuple(d.name for d in dancers),
                        tracks=tracks, moves=tuple(moves), shots=c.shots, provenance=provenance,
                        warnings=tuple(warnings))


# --------------------------------------------------------------------------------------------------------------
# Reading a crowd back


def _records(c: Choreography) -> list[dict[str, Any]]:
    crowd = c.provenance.get("crowd")
    if crowd is None:
        return []
    recs = crowd.get("dancers") if isinstance(crowd, dict) else None
    if not isinstance(recs, list) or not all(isinstance(r, dict) and isinstance(r.get("name"), str)
                                             and isinstance(r.get("rig"), dict) for r in recs):
        raise ChoreoError("provenance.crowd.dancers must list {name, rig, ...} per crowd dancer")
    return recs


def crowd_names(c: Choreography) -> tuple[str, ...]:
    """The crowd dancers of a choreography, in drawing order (back to front); empty without a crowd.

    Parameters
    ----------
    c : Choreography

    Returns
    -------
    tuple of str
    """
    return tuple(r["name"] for r in _records(c))


def crowd_color_shifts(c: Choreography) -> dict[str, tuple[float, float]]:
    """Each crowd dancer's hue turn and saturation change, for what its rig's colours cannot carry (drawings).

    Parameters
    ----------
    c : Choreography

    Returns
    -------
    dict of str to (float, float)
        ``(hue_shift_deg, saturation_shift)`` per dancer; empty without a crowd.
    """
    return {r["name"]: (float(r.get("hue_shift_deg", 0.0)), float(r.get("saturation_shift", 0.0))) for r in _records(c)}


def crowd_rigs(c: Choreography) -> dict[str, Rig]:
    """The crowd dancers' rigs, rebuilt from the choreography's provenance; empty without a crowd.

    Parameters
    ----------
    c : Choreography

    Returns
    -------
    dict of str to Rig

    Raises
    ------
    ChoreoError
        When a recorded rig does not validate.
    """
    return {r["name"]: validate(r["rig"], path=r.get("source") or f"<crowd rig {r['name']}>") for r in _records(c)}
