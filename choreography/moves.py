"""Move libraries (schema ``choreo.moves/1``): key poses on a beat grid, loaded from JSON and sampled.

A move is data, not code: a few key poses at beat offsets, an easing per key, an energy level, tags (what
the move does), styles (what music it suits), whether it may be mirrored, and the poses it starts and ends
in. :func:`load_moves` reads the shipped default library (``choreography/data/moves/default.json``, written
with ``tools/make_moves.py``) or a user's file and validates it; errors name the file, the move and the
field. The solver consumes the library through :func:`library_arrays` (energies, durations, entry and
exit pose vectors, tags, styles, a transition-distance matrix) and turns a chosen move into rotations with
:func:`sample_move`.

Conventions
-----------
- Bones: the 17 standard bones of :data:`BONES`. A pose is a mapping ``{bone: degrees, "root_x": px,
  "root_y": px}``; a bone a pose leaves out is at rest (0).
- Angles are degrees, **offsets from the rig's rest pose** (standing upright, arms hanging down, legs
  straight down), **counter-clockwise positive in a y-up frame** as the viewer sees the screen. The
  character faces the viewer, so its left (``l_*``) is on the screen right (+x).
- What the sign means, bone by bone (left side; the ``r_*`` partner takes the opposite sign for the
  same anatomical motion):

  ============== ==========================================================================================
  ``root``        whole-body tilt about the pelvis; + leans the top toward the character's right (screen
                  left). A pose may say ``lean`` instead of ``root`` (the same number).
  ``spine``,      side bends relative to the parent bone; + toward the character's right.
  ``chest``,
  ``neck``,
  ``head``
  ``l_upper_arm`` + raises the arm sideways (abduction): 90 horizontal, 180 straight overhead;
                  - swings it in front of the body toward the midline.
  ``l_forearm``   + bends the elbow (flexion), which in front view swings the hand outward when the arm
                  hangs and up toward the head when it is raised; the elbow bends this one way only.
  ``l_hand``      + bends the wrist counter-clockwise (outward when the arm hangs).
  ``l_thigh``     + lifts the leg sideways (abduction, knee outward); - crosses it toward the midline.
  ``l_shin``      - bends the knee (flexion; the foot comes back under the knee); the knee bends this
                  one way only.
  ``l_foot``      + lifts the toes; - points them (toe tap). A planted foot stays flat when
                  ``root + l_thigh + l_shin + l_foot`` is 0.
  ``root_x``      px, + toward the screen right; relative to where the move started (travel).
  ``root_y``      px, + up (jumps); - down (crouches). Relative to standing height.
  ============== ==========================================================================================

- Mirroring (:func:`mirror_pose`) reflects about the vertical axis through the root: it swaps every
  ``l_*`` bone with its ``r_*`` partner, negates every rotation (a reflection turns counter-clockwise into
  clockwise) and negates ``root_x``; ``root_y`` is kept. Mirroring twice is the identity.
- Root offsets in the shipped library are authored for a leg of :data:`REFERENCE_LEG_PX` (thigh + shin);
  scale them by ``leg_px / REFERENCE_LEG_PX`` (the ``root_scale`` options) for a rig of another size.
- Time inside a move is in beats from the move's start; a move lasts a whole number of beats so the next
  one starts on a beat. Each key's ease shapes the segment arriving at that key (from the previous key).
- Vectors (:func:`pose_vector`, :func:`sample_move`, :func:`library_arrays`) have one column per bone,
  in the order of the ``bone_names`` given, then ``root_x`` and ``root_y``: ``n_bones + 2`` columns.

Document layout (``choreo.moves/1``)
------------------------------------
Top level: ``schema``, ``name``, ``moves`` (list), optional ``poses`` (named poses: ``{name: pose}``) and
``description``. Each move: ``name`` (unique; ``~`` is reserved for mirrored variants), ``beats`` (whole
number > 0), ``keys`` (list of ``{"beat", "pose", "ease"}``: beats strictly increasing inside
``[0, beats]``; a pose is an object or the name of a named pose, ``"rest"`` being all zeros; ``ease`` one
of :data:`EASES`, default ``"in_out"``), ``energy`` (0..1); optional ``tags`` (subset of :data:`TAGS`:
what the move does, for the cost model and style pins), ``styles`` (subset of :data:`STYLES`: the feel
and the kind of music the move suits, e.g. ``["jazz", "playful"]``; default none), ``mirror`` (bool,
default false: the solver may use the mirrored variant), ``entry`` and ``exit`` (pose or pose name;
default the first and last key's pose), ``feet`` (``[{"foot", "from", "to"}]``: a foot that is planted
and must not slide from beat ``from`` to beat ``to``), ``hits`` (beat offsets of the move's accents, which
the solver lines up with strong onsets), ``twin`` (the name of a hand-authored mirror image in the same
library; a move with a twin has ``mirror`` false) and ``description``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from audio.errors import SchemaError, did_you_mean, finite_number
from audio.files import read_json_object
from choreography.rig import REQUIRED_BONES

MOVES_SCHEMA = "choreo.moves/1"
BONES = REQUIRED_BONES  # every rig has these bones, in this order
ROOT_KEYS = ("root_x", "root_y")
EASES = ("linear", "in", "out", "in_out", "hold", "overshoot", "anticipate")
TAGS = ("arms", "legs", "full_body", "accent", "hold", "travel", "calm", "jump", "spin", "clap", "step")
#: Styles a move may suit (its ``styles`` field): the feel (bouncy, smooth, sharp, playful, elegant) and the
#: genre or audience (hip_hop, jazz, classical, kids). Unlike :data:`TAGS` they say which music a move fits,
#: not what it does.
STYLES = ("bouncy", "smooth", "sharp", "playful", "elegant", "hip_hop", "jazz", "classical", "kids")
MIRROR_SUFFIX = "~m"
REFERENCE_LEG_PX = 200.0
DEFAULT_EASE = "in_out"
MAX_BEATS = 64

#: Weights of :func:`pose_distance` per bone, without the ``l_``/``r_`` prefix. Legs weigh most: they
#: carry the body, and a different stance between two moves needs a step. Arms are light and quick.
DISTANCE_WEIGHTS = {
    "root": 1.0, "spine": 0.8, "chest": 0.6, "neck": 0.3, "head": 0.3,
    "upper_arm": 0.5, "forearm": 0.3, "hand": 0.1,
    "thigh": 1.0, "shin": 0.7, "foot": 0.2,
}
#: Weight of a bone that :data:`DISTANCE_WEIGHTS` does not list (extra bones of a custom rig).
OTHER_BONE_WEIGHT = 0.3
#: Weight of ``root_y`` in :func:`pose_distance`, per px squared (0.5: 10 px count like 7 degrees).
ROOT_Y_WEIGHT = 0.5

# The "back" constant of the classic ease-back curves: 10 % overshoot (out) or wind-back (in).
_BACK = 1.70158
_EASE_CODE = {name: i for i, name in enumerate(EASES)}
_DEFAULT_PATH = "choreography/data/moves/default.json"
_TOP_KEYS = frozenset(("schema", "name", "moves", "poses", "description"))
_MOVE_KEYS = frozenset(("name", "beats", "keys", "energy", "tags", "styles", "mirror", "entry", "exit", "feet", "hits",
                        "twin", "description"))
_KEY_KEYS = frozenset(("beat", "pose", "ease"))
_FOOT_KEYS = frozenset(("foot", "from", "to"))


class FrozenPose(Mapping[str, float]):
    """An immutable, hashable pose: ``{bone: degrees, "root_x": px, "root_y": px}`` (missing means 0).

    Parameters
    ----------
    items : Mapping[str, float]
        Bone offsets in degrees and root offsets in px.
    """

    __slots__ = ("_d", "_h")

    def __init__(self, items: Mapping[str, float] | None = None):
        self._d = {str(k): float(v) for k, v in (items or {}).items()}
        self._h: int | None = None

    def __getitem__(self, key: str) -> float:
        return self._d[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def __hash__(self) -> int:
        if self._h is None:
            self._h = hash(frozenset((k, v) for k, v in self._d.items() if v != 0.0))
        return self._h

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        keys = set(self._d) | set(other)
        return all(float(self._d.get(k, 0.0)) == float(other.get(k, 0.0)) for k in keys)

    def __repr__(self) -> str:
        return f"FrozenPose({self._d!r})"


@dataclass(frozen=True)
class Key:
    """One key pose of a move.

    Attributes
    ----------
    beat : float
        Offset from the move's start, in beats.
    pose : FrozenPose
        Offsets from rest: degrees per bone, px for ``root_x`` and ``root_y``.
    ease : str
        One of :data:`EASES`; shapes the segment arriving at this key.
    """

    beat: float
    pose: FrozenPose
    ease: str = DEFAULT_EASE


@dataclass(frozen=True)
class FootPlant:
    """A foot that stays planted (must not slide) from ``start_beat`` to ``end_beat`` (beats from the start)."""

    foot: str
    start_beat: float
    end_beat: float


@dataclass(frozen=True)
class Move:
    """A move: key poses on a beat grid, with what the solver needs to choose and chain it.

    Attributes
    ----------
    name : str
    beats : int
        Duration in beats.
    keys : tuple of Key
        At least one; beats strictly increasing inside ``[0, beats]``.
    energy : float
        0 (still) to 1 (jumps).
    tags : tuple of str
        A subset of :data:`TAGS`, in that order.
    styles : tuple of str
        A subset of :data:`STYLES`, in that order (empty when the library says nothing).
    mirror : bool
        Whether the solver may use the mirrored variant (:meth:`mirrored`).
    entry, exit : FrozenPose
        The poses the move starts and ends in (transition costs compare one move's exit with the next
        one's entry).
    feet : tuple of FootPlant
    hits : tuple of float
        Beat offsets of the move's accents.
    twin : str or None
        Name of the hand-authored mirror image of this move, if the library has one.
    description : str
    """

    name: str
    beats: int
    keys: tuple[Key, ...]
    energy: float
    tags: tuple[str, ...] = ()
    styles: tuple[str, ...] = ()
    mirror: bool = False
    entry: FrozenPose = field(default_factory=FrozenPose)
    exit: FrozenPose = field(default_factory=FrozenPose)
    feet: tuple[FootPlant, ...] = ()
    hits: tuple[float, ...] = ()
    twin: str | None = None
    description: str = ""

    @property
    def is_mirrored(self) -> bool:
        """Whether this is a mirrored variant (its name ends in ``~m``)."""
        return self.name.endswith(MIRROR_SUFFIX)

    def mirrored(self) -> Move:
        """The move mirrored left to right (:func:`mirror_pose` on every pose, feet swapped).

        The name gains the suffix ``~m`` (or loses it, so that mirroring twice gives the move back).
        This always works; :attr:`mirror` only says whether the solver may use the result.

        Returns
        -------
        Move
        """
        name = self.name[: -len(MIRROR_SUFFIX)] if self.is_mirrored else self.name + MIRROR_SUFFIX
        keys = tuple(Key(k.beat, FrozenPose(mirror_pose(k.pose)), k.ease) for k in self.keys)
        feet = tuple(FootPlant(_mirror_name(f.foot), f.start_beat, f.end_beat) for f in self.feet)
        return replace(self, name=name, keys=keys, entry=FrozenPose(mirror_pose(self.entry)),
                       exit=FrozenPose(mirror_pose(self.exit)), feet=feet)

    def to_dict(self) -> dict[str, Any]:
        """Serialise to the ``choreo.moves/1`` move layout (inline poses, every field written)."""
        doc: dict[str, Any] = {
            "name": self.name, "beats": self.beats, "energy": self.energy, "tags": list(self.tags),
            "styles": list(self.styles), "mirror": self.mirror,
            "keys": [{"beat": k.beat, "pose": dict(k.pose), "ease": k.ease} for k in self.keys],
            "entry": dict(self.entry), "exit": dict(self.exit),
            "feet": [{"foot": f.foot, "from": f.start_beat, "to": f.end_beat} for f in self.feet],
            "hits": list(self.hits),
        }
        if self.twin is not None:
            doc["twin"] = self.twin
        if self.description:
            doc["description"] = self.description
        return doc


@dataclass(frozen=True)
class MoveLibrary:
    """A validated move library.

    Attributes
    ----------
    name : str
    moves : tuple of Move
        In file order; names are unique.
    path : str
        Where it was read from (for messages).
    bone_names : tuple of str
        The bones its poses may use.
    description : str
    """

    name: str
    moves: tuple[Move, ...]
    path: str = "<memory>"
    bone_names: tuple[str, ...] = BONES
    description: str = ""
    _index: dict[str, int] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {m.name: i for i, m in enumerate(self.moves)})

    def __len__(self) -> int:
        return len(self.moves)

    def __iter__(self) -> Iterator[Move]:
        return iter(self.moves)

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def __getitem__(self, name: str) -> Move:
        try:
            return self.moves[self._index[name]]
        except KeyError:
            raise KeyError(f"no move {name!r} in library {self.name!r}{did_you_mean(name, self._index)}") from None

    @property
    def names(self) -> tuple[str, ...]:
        """Move names in library order."""
        return tuple(m.name for m in self.moves)

    def index(self, name: str) -> int:
        """Position of a move in :attr:`moves` (and in every :func:`library_arrays` array)."""
        self[name]
        return self._index[name]

    def mirror_name(self, name: str) -> str:
        """The name of a move's mirror image: its twin, its ``~m`` variant (or original), or itself.

        Moves that may not be mirrored and have no twin map to themselves (symmetric moves).

        Parameters
        ----------
        name : str

        Returns
        -------
        str
        """
        move = self[name]
        if move.twin is not None:
            return move.twin
        if move.is_mirrored:
            return move.name[: -len(MIRROR_SUFFIX)]
        return move.name + MIRROR_SUFFIX if move.mirror else move.name

    def with_mirrors(self) -> MoveLibrary:
        """A copy of the library plus the mirrored variant of every move that may be mirrored (``name~m``).

        Returns
        -------
        MoveLibrary
        """
        extra = tuple(m.mirrored() for m in self.moves
                      if m.mirror and not m.is_mirrored and m.name + MIRROR_SUFFIX not in self._index)
        return replace(self, moves=self.moves + extra)

    def to_dict(self) -> dict[str, Any]:
        """Serialise to a ``choreo.moves/1`` document (inline poses); :func:`moves_from_dict` reads it back."""
        doc: dict[str, Any] = {"schema": MOVES_SCHEMA, "name": self.name}
        if self.description:
            doc["description"] = self.description
        doc["moves"] = [m.to_dict() for m in self.moves]
        return doc


# ---------------------------------------------------------------------------------------------- loading


def load_moves(path: str | Path | None = None, *, bone_names: Sequence[str] = BONES) -> MoveLibrary:
    """Load and validate a move library.

    Parameters
    ----------
    path : str or Path, optional
        A ``choreo.moves/1`` JSON file; None for the shipped default library.
    bone_names : sequence of str
        The bones poses may name (the rig's bones); the 17 standard ones by default.

    Returns
    -------
    MoveLibrary

    Raises
    ------
    ChoreoError
        (:class:`~audio.errors.SchemaError` for content) naming the file, the move and the field.

    Examples
    --------
    >>> lib = load_moves()
    >>> lib["clap"].beats
    2
    """
    if path is None:
        return _load_default(tuple(bone_names))
    doc = read_json_object(path, what="move library")
    return moves_from_dict(doc, path=str(path), bone_names=bone_names)


@functools.lru_cache(maxsize=8)
def _load_default(bone_names: tuple[str, ...]) -> MoveLibrary:
    ref = resources.files("choreography") / "data" / "moves" / "default.json"
    with resources.as_file(ref) as p:
        doc = read_json_object(p, what="move library")
    return moves_from_dict(doc, path=_DEFAULT_PATH, bone_names=bone_names)


def moves_from_dict(doc: Mapping[str, Any], *, path: str = "<memory>",
                    bone_names: Sequence[str] = BONES) -> MoveLibrary:
    """Validate a ``choreo.moves/1`` document (already parsed) and build the library.

    Parameters
    ----------
    doc : Mapping
        The parsed JSON object.
    path : str
        Where it came from, named first in every error message.
    bone_names : sequence of str
        The bones poses may name.

    Returns
    -------
    MoveLibrary

    Raises
    ------
    SchemaError
        Naming the file, the move (name and position) and the field.
    """
    v = _Validator(path, tuple(bone_names))
    return v.library(doc)


class _Validator:
    """Walks a document; every error names the file, the move and the field."""

    def __init__(self, path: str, bone_names: tuple[str, ...]):
        self.path = path
        self.bones = bone_names
        self.bone_set = frozenset(bone_names)
        self.named: dict[str, FrozenPose] = {"rest": FrozenPose()}

    def fail(self, where: str, fld: str, why: str) -> SchemaError:
        prefix = f"{where}, field {fld}" if where else f"field {fld}"
        return SchemaError(f"{prefix}: {why}", path=self.path)

    def known(self, where: str, m: Mapping, fld: str, what: str, names: tuple[str, ...]) -> list:
        """A move's optional list of names from a fixed vocabulary (tags, styles)."""
        values = m.get(fld, [])
        if not isinstance(values, list):
            raise self.fail(where, fld, f"must be a list of {fld}")
        for j, v in enumerate(values):
            if v not in names:
                raise self.fail(where, f"{fld}[{j}]", f"unknown {what} {v!r}{did_you_mean(str(v), names)} "
                                f"({fld}: {', '.join(names)})")
        return values

    # -- numbers and poses
    def number(self, where: str, fld: str, value: Any) -> float:
        x = finite_number(value)
        if x is None:
            raise self.fail(where, fld, f"{value!r} is not a finite number (NaN and infinity are not allowed)")
        return x

    def pose(self, where: str, fld: str, value: Any) -> FrozenPose:
        if isinstance(value, str):
            if value not in self.named:
                raise self.fail(where, fld, f"no named pose {value!r} (named poses: {', '.join(sorted(self.named))})"
                                f"{did_you_mean(value, self.named)}")
            return self.named[value]
        if not isinstance(value, Mapping):
            raise self.fail(where, fld, f"a pose is an object {{bone: degrees}} or a pose name, not {value!r}")
        out: dict[str, float] = {}
        if "lean" in value and "root" in value:
            raise self.fail(where, f"{fld}.lean", "give root or lean (the same rotation), not both")
        for k, x in value.items():
            key = "root" if k == "lean" else k
            if key not in self.bone_set and key not in ROOT_KEYS:
                raise self.fail(where, f"{fld}.{k}", f"unknown bone {k!r}{did_you_mean(k, self.bone_set)} "
                                f"(bones: {', '.join(self.bones)}; and root_x, root_y in px)")
            out[key] = self.number(where, f"{fld}.{k}", x)
        return FrozenPose(out)

    def keys_allowed(self, where: str, fld_prefix: str, obj: Mapping[str, Any], allowed: frozenset[str]) -> None:
        for k in obj:
            if k not in allowed:
                raise self.fail(where, f"{fld_prefix}{k}", f"unknown field{did_you_mean(k, allowed)} "
                                f"(expected {', '.join(sorted(allowed))})")

    # -- document
    def library(self, doc: Mapping[str, Any]) -> MoveLibrary:
        if doc.get("schema") != MOVES_SCHEMA:
            raise self.fail("", "schema", f"is {doc.get('schema')!r}, expected {MOVES_SCHEMA!r}")
        self.keys_allowed("", "", doc, _TOP_KEYS)
        name = doc.get("name", "")
        if not isinstance(name, str) or not name:
            raise self.fail("", "name", "the library needs a non-empty name")
        poses = doc.get("poses", {})
        if not isinstance(poses, Mapping):
            raise self.fail("", "poses", "must be an object {pose name: pose}")
        for pname, p in poses.items():
            if pname == "rest":
                raise self.fail("", f"poses.{pname}", "'rest' is built in (all zeros) and cannot be redefined")
            self.named[pname] = self.pose("", f"poses.{pname}", p)
        raw = doc.get("moves")
        if not isinstance(raw, list) or not raw:
            raise self.fail("", "moves", "must be a non-empty list of moves")
        seen: dict[str, int] = {}
        moves = []
        for i, m in enumerate(raw):
            move = self.move(i, m)
            if move.name in seen:
                raise self.fail(f"move {move.name!r} (moves[{i}])", "name", f"duplicate of moves[{seen[move.name]}]")
            seen[move.name] = i
            moves.append(move)
        for i, move in enumerate(moves):
            if move.twin is None:
                continue
            where = f"move {move.name!r} (moves[{i}])"
            if move.twin not in seen:
                raise self.fail(where, "twin", f"no move named {move.twin!r}{did_you_mean(move.twin, seen)}")
            if move.twin == move.name:
                raise self.fail(where, "twin", "a move cannot be its own twin")
            other = moves[seen[move.twin]]
            if other.twin != move.name:
                raise self.fail(where, "twin", f"{move.twin!r} must name {move.name!r} as its twin in return")
        return MoveLibrary(name=name, moves=tuple(moves), path=self.path, bone_names=self.bones,
                           description=str(doc.get("description", "")))

    def move(self, i: int, m: Any) -> Move:
        where = f"moves[{i}]"
        if not isinstance(m, Mapping):
            raise self.fail(where, "(move)", "a move is an object")
        name = m.get("name")
        if not isinstance(name, str) or not name.strip():
            raise self.fail(where, "name", f"a move needs a non-empty name, got {name!r}")
        where = f"move {name!r} (moves[{i}])"
        if "~" in name:
            raise self.fail(where, "name", "'~' is reserved for mirrored variants (name~m)")
        self.keys_allowed(where, "", m, _MOVE_KEYS)
        for req in ("beats", "keys", "energy"):
            if req not in m:
                raise self.fail(where, req, "is missing")
        beats_f = self.number(where, "beats", m["beats"])
        if beats_f <= 0:
            raise self.fail(where, "beats", f"must be > 0 beats, got {m['beats']!r}")
        if not beats_f.is_integer() or beats_f > MAX_BEATS:
            raise self.fail(where, "beats", f"must be a whole number of beats up to {MAX_BEATS} (so the next move "
                            f"starts on a beat), got {m['beats']!r}")
        beats = int(beats_f)
        energy = self.number(where, "energy", m["energy"])
        if not 0.0 <= energy <= 1.0:
            raise self.fail(where, "energy", f"{energy} is outside 0..1")
        keys = self.keys(where, m["keys"], beats)
        tags = self.known(where, m, "tags", "tag", TAGS)
        styles = self.known(where, m, "styles", "style", STYLES)
        mirror = m.get("mirror", False)
        if not isinstance(mirror, bool):
            raise self.fail(where, "mirror", f"must be true or false, got {mirror!r}")
        twin = m.get("twin")
        if twin is not None:
            if not isinstance(twin, str):
                raise self.fail(where, "twin", f"must be a move name, got {twin!r}")
            if mirror:
                raise self.fail(where, "mirror", "a move with a twin is mirrored by its twin; set mirror to false")
        entry = self.pose(where, "entry", m["entry"]) if "entry" in m else keys[0].pose
        exit_ = self.pose(where, "exit", m["exit"]) if "exit" in m else keys[-1].pose
        feet = self.feet(where, m.get("feet", []), beats)
        hits_raw = m.get("hits", [])
        if not isinstance(hits_raw, list):
            raise self.fail(where, "hits", "must be a list of beat offsets")
        hits = []
        for j, h in enumerate(hits_raw):
            x = self.number(where, f"hits[{j}]", h)
            if not 0.0 <= x <= beats:
                raise self.fail(where, f"hits[{j}]", f"{x} is outside [0, beats={beats}]")
            hits.append(x)
        desc = m.get("description", "")
        return Move(name=name, beats=beats, keys=keys, energy=energy,
                    tags=tuple(t for t in TAGS if t in tags),
                    styles=tuple(st for st in STYLES if st in styles), mirror=mirror, entry=entry, exit=exit_,
                    feet=feet, hits=tuple(sorted(hits)), twin=twin, description=str(desc))

    def keys(self, where: str, raw: Any, beats: int) -> tuple[Key, ...]:
        if not isinstance(raw, list) or not raw:
            raise self.fail(where, "keys", "must be a non-empty list of {beat, pose, ease}")
        out: list[Key] = []
        for j, k in enumerate(raw):
            fld = f"keys[{j}]"
            if not isinstance(k, Mapping):
                raise self.fail(where, fld, "a key is an object {beat, pose, ease}")
            self.keys_allowed(where, f"{fld}.", k, _KEY_KEYS)
            for req in ("beat", "pose"):
                if req not in k:
                    raise self.fail(where, f"{fld}.{req}", "is missing")
            beat = self.number(where, f"{fld}.beat", k["beat"])
            if not 0.0 <= beat <= beats:
                raise self.fail(where, f"{fld}.beat", f"{beat} is outside [0, beats={beats}]")
            if out and beat <= out[-1].beat:
                raise self.fail(where, f"{fld}.beat", f"{beat} is not after keys[{j - 1}].beat = {out[-1].beat} "
                                "(key beats must increase)")
            ease = k.get("ease", DEFAULT_EASE)
            if ease not in _EASE_CODE:
                raise self.fail(where, f"{fld}.ease", f"unknown ease {ease!r}{did_you_mean(str(ease), EASES)} "
                                f"(eases: {', '.join(EASES)})")
            out.append(Key(beat, self.pose(where, f"{fld}.pose", k["pose"]), ease))
        return tuple(out)

    def feet(self, where: str, raw: Any, beats: int) -> tuple[FootPlant, ...]:
        if not isinstance(raw, list):
            raise self.fail(where, "feet", "must be a list of {foot, from, to}")
        out = []
        for j, f in enumerate(raw):
            fld = f"feet[{j}]"
            if not isinstance(f, Mapping):
                raise self.fail(where, fld, "a foot plant is an object {foot, from, to}")
            self.keys_allowed(where, f"{fld}.", f, _FOOT_KEYS)
            foot = f.get("foot")
            if foot not in self.bone_set:
                raise self.fail(where, f"{fld}.foot", f"unknown bone {foot!r}{did_you_mean(str(foot), self.bone_set)}")
            for req in ("from", "to"):
                if req not in f:
                    raise self.fail(where, f"{fld}.{req}", "is missing")
            lo = self.number(where, f"{fld}.from", f["from"])
            hi = self.number(where, f"{fld}.to", f["to"])
            if not 0.0 <= lo < hi <= beats:
                raise self.fail(where, f"{fld}.to", f"span {lo}..{hi} must satisfy 0 <= from < to <= beats={beats}")
            out.append(FootPlant(foot, lo, hi))
        return tuple(out)


def _mirror_name(bone: str) -> str:
    if bone.startswith("l_"):
        return "r_" + bone[2:]
    if bone.startswith("r_"):
        return "l_" + bone[2:]
    return bone


# ---------------------------------------------------------------------------------------------- poses


def mirror_pose(pose: Mapping[str, float]) -> dict[str, float]:
    """Mirror a pose left to right about the vertical axis through the root.

    Swaps ``l_*`` and ``r_*`` bones, negates every rotation (``lean`` included) and ``root_x``, keeps
    ``root_y``.

    Parameters
    ----------
    pose : Mapping[str, float]
        Degrees per bone, px for ``root_x`` and ``root_y``.

    Returns
    -------
    dict[str, float]
        A new pose; mirroring it again gives ``pose`` back.
    """
    out: dict[str, float] = {}
    for k, x in pose.items():
        out[_mirror_name(k)] = float(x) if k == "root_y" else 0.0 - float(x)
    return out


def rig_root_scale(rig) -> float:
    """The ``root_scale`` of a rig: its leg (thigh and shin) over :data:`REFERENCE_LEG_PX`.

    Parameters
    ----------
    rig : Rig

    Returns
    -------
    float
    """
    return float(rig.lengths_px[rig.index["l_thigh"]] + rig.lengths_px[rig.index["l_shin"]]) / REFERENCE_LEG_PX


def pose_vector(pose: Mapping[str, float], bone_names: Sequence[str] = BONES, *, root_scale: float = 1.0) -> np.ndarray:
    """A pose as a vector: one column per bone, then ``root_x`` and ``root_y``.

    Parameters
    ----------
    pose : Mapping[str, float]
        Degrees per bone, px for ``root_x`` and ``root_y``; missing bones are at rest (0).
    bone_names : sequence of str
        Column order (the rig's bones).
    root_scale : float
        Multiplies ``root_x`` and ``root_y`` (rig leg length / :data:`REFERENCE_LEG_PX`).

    Returns
    -------
    np.ndarray [shape=(n_bones + 2,), degrees then px]

    Raises
    ------
    SchemaError
        When the pose names a bone that is not in ``bone_names``.
    """
    idx = {b: i for i, b in enumerate(bone_names)}
    n = len(idx)
    vec = np.zeros(n + 2, dtype=np.float64)
    for k, x in pose.items():
        if k == "root_x":
            vec[n] = float(x) * root_scale
        elif k == "root_y":
            vec[n + 1] = float(x) * root_scale
        else:
            key = "root" if k == "lean" else k
            if key not in idx:
                raise SchemaError(f"pose names bone {k!r}, which is not among the rig's bones{did_you_mean(k, idx)}")
            vec[idx[key]] = float(x)
    return vec


def distance_weights(bone_names: Sequence[str] = BONES) -> np.ndarray:
    """Per-column weights of :func:`pose_distance` for vectors laid out like :func:`pose_vector`.

    Parameters
    ----------
    bone_names : sequence of str

    Returns
    -------
    np.ndarray [shape=(n_bones + 2,)]
        :data:`DISTANCE_WEIGHTS` by bone (prefix ``l_``/``r_`` dropped; :data:`OTHER_BONE_WEIGHT` for
        others), 0 for ``root_x`` (it is relative to where each move starts) and :data:`ROOT_Y_WEIGHT`.
    """
    w = [DISTANCE_WEIGHTS.get(b[2:] if b[:2] in ("l_", "r_") else b, OTHER_BONE_WEIGHT) for b in bone_names]
    return np.array([*w, 0.0, ROOT_Y_WEIGHT], dtype=np.float64)


def pose_distance(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Weighted L2 distance between two poses, in degrees: ``sqrt(sum_i w_i (a_i - b_i) ** 2)``.

    Weights are :data:`DISTANCE_WEIGHTS` (legs 1.0 / 0.7 / 0.2 for thigh / shin / foot, arms 0.5 / 0.3 /
    0.1 for upper arm / forearm / hand, torso 1.0 root to 0.3 head), :data:`ROOT_Y_WEIGHT` per px for
    ``root_y``; ``root_x`` does not count (moves place their travel relative to where they start).
    Angles are compared as they are, without wrapping: 350 and -10 are far apart, because interpolation
    between them would turn the limb all the way round.

    Parameters
    ----------
    a, b : Mapping[str, float]
        Poses (degrees per bone, px for the root offsets; missing bones are 0).

    Returns
    -------
    float
        Degrees (weighted).
    """
    a = {("root" if k == "lean" else k): x for k, x in a.items()}
    b = {("root" if k == "lean" else k): x for k, x in b.items()}
    bones = sorted((set(a) | set(b)) - set(ROOT_KEYS))
    va = pose_vector(a, bones)
    vb = pose_vector(b, bones)
    w = distance_weights(bones)
    return float(np.sqrt(np.sum(w * (va - vb) ** 2)))


# ---------------------------------------------------------------------------------------------- sampling


def apply_ease(t: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Evaluate ease curves: the fraction of the way from the previous key to the next one.

    ``linear`` t; ``in`` t**2; ``out`` 1 - (1 - t)**2; ``in_out`` 3t**2 - 2t**3; ``hold`` 0 until t = 1,
    then 1; ``overshoot`` ease-out-back (peaks near 1.10 at t = 0.57, then settles on 1); ``anticipate``
    ease-in-back (dips to about -0.10 at t = 0.42, then goes to 1). Every curve is exactly 0 at t = 0
    and exactly 1 at t = 1, so sampling at a key's beat gives the key pose exactly.

    Parameters
    ----------
    t : np.ndarray [shape=(n,), 0..1]
        Position inside the segment (values outside are clipped).
    codes : np.ndarray [shape=(n,) or (), int]
        Index into :data:`EASES` per sample.

    Returns
    -------
    np.ndarray [shape=(n,), fraction]
    """
    t = np.clip(np.asarray(t, dtype=np.float64), 0.0, 1.0)
    codes = np.broadcast_to(np.asarray(codes, dtype=np.int64), t.shape)
    u = t.copy()
    s = _BACK
    for code in np.unique(codes):
        m = codes == code
        x = t[m]
        name = EASES[int(code)]
        if name == "in":
            u[m] = x * x
        elif name == "out":
            u[m] = 1.0 - (1.0 - x) ** 2
        elif name == "in_out":
            u[m] = x * x * (3.0 - 2.0 * x)
        elif name == "hold":
            u[m] = np.where(x >= 1.0, 1.0, 0.0)
        elif name == "overshoot":
            y = x - 1.0
            u[m] = 1.0 + (s + 1.0) * y ** 3 + s * y ** 2
        elif name == "anticipate":
            u[m] = (s + 1.0) * x ** 3 - s * x ** 2
    return np.where(t >= 1.0, 1.0, np.where(t <= 0.0, 0.0, u))


def key_arrays(move: Move, bone_names: Sequence[str] = BONES, *,
               root_scale: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A move's keys as arrays (what :func:`sample_move` interpolates; handy for a numba kernel).

    Parameters
    ----------
    move : Move
    bone_names : sequence of str
    root_scale : float
        Multiplies ``root_x`` and ``root_y``.

    Returns
    -------
    key_beats : np.ndarray [shape=(n_keys,), beats, increasing]
    key_values : np.ndarray [shape=(n_keys, n_bones + 2), degrees then px]
    key_ease : np.ndarray [shape=(n_keys,), int, index into EASES]
    """
    key_beats = np.array([k.beat for k in move.keys], dtype=np.float64)
    key_values = np.stack([pose_vector(k.pose, bone_names, root_scale=root_scale) for k in move.keys])
    key_ease = np.array([_EASE_CODE[k.ease] for k in move.keys], dtype=np.int64)
    return key_beats, key_values, key_ease


def sample_move(move: Move, beat_positions: np.ndarray, bone_names: Sequence[str] = BONES, *,
                root_scale: float = 1.0) -> np.ndarray:
    """Sample a move's pose at fractional beat offsets.

    Between two keys the value goes from the earlier key's pose to the later one's along the later key's
    ease; before the first key it is the first key's pose, after the last key the last one's (positions
    outside ``[0, move.beats]`` are therefore clamped). At a key's beat the result is that key's pose
    exactly.

    Parameters
    ----------
    move : Move
    beat_positions : np.ndarray [shape=(n,), beats from the move's start, finite]
    bone_names : sequence of str
        Column order (the rig's bones).
    root_scale : float
        Multiplies ``root_x`` and ``root_y`` (rig leg length / :data:`REFERENCE_LEG_PX`).

    Returns
    -------
    np.ndarray [shape=(n, n_bones + 2), degrees then px]
        Rotation offsets per bone, then ``root_x`` and ``root_y``.

    Raises
    ------
    ValueError
        When ``beat_positions`` is not one-dimensional or holds NaN or infinity.
    """
    pos = np.asarray(beat_positions, dtype=np.float64)
    if pos.ndim != 1:
        raise ValueError(f"beat_positions has shape {pos.shape}; expected (n,) beat offsets")
    if not np.all(np.isfinite(pos)):
        raise ValueError("beat_positions holds NaN or infinity")
    kb, kv, ke = key_arrays(move, bone_names, root_scale=root_scale)
    if len(kb) == 1:
        return np.repeat(kv, len(pos), axis=0)
    p = np.clip(pos, kb[0], kb[-1])
    hi = np.clip(np.searchsorted(kb, p, side="right"), 1, len(kb) - 1)
    lo = hi - 1
    t = (p - kb[lo]) / (kb[hi] - kb[lo])
    u = apply_ease(t, ke[hi])[:, None]
    # (1 - u) a + u b is exact at both ends (u = 0 gives a, u = 1 gives b), unlike a + u (b - a).
    return (1.0 - u) * kv[lo] + u * kv[hi]


# ---------------------------------------------------------------------------------------------- solver arrays


def library_arrays(lib: MoveLibrary, bone_names: Sequence[str] = BONES, *,
                   root_scale: float = 1.0) -> dict[str, Any]:
    """The library as arrays for the solver (all contiguous, float64 or int64 or bool).

    Parameters
    ----------
    lib : MoveLibrary
    bone_names : sequence of str
        The rig's bones (column order of the pose vectors).
    root_scale : float
        Multiplies ``root_x`` and ``root_y``.

    Returns
    -------
    dict
        ``names`` tuple of str (n_moves,); ``energy`` [shape=(n_moves,), 0..1]; ``beats``
        [shape=(n_moves,), int, beats]; ``entry`` and ``exit`` [shape=(n_moves, n_bones + 2), degrees then
        px]; ``tags`` [shape=(n_moves, n_tags), bool] with ``tag_names`` (:data:`TAGS`); ``styles``
        [shape=(n_moves, n_styles), bool] with ``style_names`` (:data:`STYLES`), laid out like the tags
        (``{name: a["styles"][:, i] for i, name in enumerate(a["style_names"])}`` maps a style to its moves);
        ``mirror`` [shape=(n_moves,), bool]; ``mirror_index`` [shape=(n_moves,), int]: the position of each move's
        mirror image in this library (itself for symmetric moves, -1 when the image is not in the library:
        use :meth:`MoveLibrary.with_mirrors`); ``travel_px`` [shape=(n_moves,), px]: exit minus entry
        ``root_x``; ``weights`` [shape=(n_bones + 2,)] of :func:`pose_distance`; ``transition_deg``
        [shape=(n_moves, n_moves), degrees]: pose distance from move i's exit to move j's entry.
    """
    n = len(lib)
    entry = np.stack([pose_vector(m.entry, bone_names, root_scale=root_scale) for m in lib.moves])
    exit_ = np.stack([pose_vector(m.exit, bone_names, root_scale=root_scale) for m in lib.moves])
    tags = np.zeros((n, len(TAGS)), dtype=bool)
    for i, m in enumerate(lib.moves):
        for t in m.tags:
            tags[i, TAGS.index(t)] = True
    styles = np.zeros((n, len(STYLES)), dtype=bool)
    for i, m in enumerate(lib.moves):
        for st in m.styles:
            styles[i, STYLES.index(st)] = True
    mirror_index = np.full(n, -1, dtype=np.int64)
    for i, m in enumerate(lib.moves):
        other = lib.mirror_name(m.name)
        if other in lib:
            mirror_index[i] = lib.index(other)
    w = distance_weights(bone_names)
    diff = exit_[:, None, :] - entry[None, :, :]
    transition = np.sqrt(np.sum(w * diff * diff, axis=-1))
    return {
        "names": lib.names,
        "energy": np.array([m.energy for m in lib.moves], dtype=np.float64),
        "beats": np.array([m.beats for m in lib.moves], dtype=np.int64),
        "entry": np.ascontiguousarray(entry),
        "exit": np.ascontiguousarray(exit_),
        "tags": tags,
        "tag_names": TAGS,
        "styles": styles,
        "style_names": STYLES,
        "mirror": np.array([m.mirror for m in lib.moves], dtype=bool),
        "mirror_index": mirror_index,
        "travel_px": exit_[:, -2] - entry[:, -2],
        "weights": w,
        "transition_deg": np.ascontiguousarray(transition),
    }
