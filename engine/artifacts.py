"""The registry of every document a user hands in or gets out: schema labels, upgrades, validation, writes.

Every document is a JSON object with a ``schema`` label ``choreo.<kind>/<version>``; :data:`KINDS` lists
each kind with its current version, what it is, and its reader (the validator whose errors name the file
and the field). Loading reads the label, upgrades an older version one step at a time with the functions
registered in ``UPGRADES``, then validates with the kind's reader. Writing serialises deterministically
(fixed key order from ``to_dict``, no timestamps) to a temporary file beside the target and renames it
into place, so a crash never leaves half a file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audio.errors import ChoreoError, SchemaError
from audio.files import read_json_object, write_atomic


@dataclass(frozen=True)
class Kind:
    """One kind of document.

    Attributes
    ----------
    name : str
        The ``<kind>`` of its schema label.
    version : int
        The version this program writes; older ones are upgraded when read.
    what : str
        What the document is, for people.
    read : callable
        ``read(doc, path)``: the validated object from a current-version document (``path`` is for
        readers that resolve files beside it, and for messages).
    """

    name: str
    version: int
    what: str
    read: Callable[[dict[str, Any], Path], Any]


def _model(module: str, cls: str) -> Callable[[dict[str, Any], Path], Any]:
    def read(doc: dict[str, Any], _path: Path) -> Any:
        import importlib

        return getattr(importlib.import_module(module), cls).from_dict(doc)

    return read


def _file(module: str, func: str) -> Callable[[dict[str, Any], Path], Any]:
    """A reader that validates the file itself (the loaders of user-authored files take a path)."""
    def read(_doc: dict[str, Any], path: Path) -> Any:
        import importlib

        return getattr(importlib.import_module(module), func)(path)

    return read


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("analysis", 1, "a song's beats, bars, sections and energy (choreo analyze)",
         _model("audio.model", "Analysis")),
    Kind("mouth", 1, "a character's mouth track: words, phones and mouth shapes (choreo lipsync)",
         _model("choreography.model", "MouthTrack")),
    Kind("choreography", 1, "pose, camera and lighting keyframes (choreo choreograph)",
         _model("choreography.model", "Choreography")),
    Kind("render", 1, "a render pass's sidecar: its PNG sequence, frame rate and size (choreo render)",
         _file("render.sinks", "read_sidecar")),
    Kind("rig", 1, "a character's skeleton, limits, look and mouth (user-authored)",
         _file("choreography.rig", "load_rig")),
    Kind("moves", 1, "a move library (user-authored)", _file("choreography.moves", "load_moves")),
    Kind("pins", 1, "an artist's pins: moves, holds, energies, styles, locks (user-authored)",
         _file("choreography.pins", "load_pins")),
    Kind("mouth-shapes", 1, "a phoneme-to-mouth-shape mapping (user-authored)",
         _file("choreography.mouth", "load_mapping")),
    Kind("rig-map", 1, "which layers of an artist's file are which bones, and pivots (user-authored, for choreo "
                       "rig import --map)", _file("choreography.rig_import", "load_map")),
    Kind("crowd", 1, "a crowd: base characters, the ranges they vary in, formation, count and seed (user-authored, "
                     "for choreo run --crowd-spec)", _file("choreography.crowd", "load_crowd_spec")),
)}
# (kind, from_version) -> function turning a version-n dict into a version-(n+1) dict.
UPGRADES: dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]] = {}
CURRENT: dict[str, int] = {k.name: k.version for k in KINDS.values()}


def parse_schema(label: Any) -> tuple[str, int]:
    """Split a schema label ``choreo.<kind>/<version>``.

    Parameters
    ----------
    label : Any
        The document's ``schema`` value.

    Returns
    -------
    kind : str
    version : int

    Raises
    ------
    SchemaError
        When the label is missing or malformed.
    """
    if not isinstance(label, str) or not label.startswith("choreo.") or "/" not in label:
        raise SchemaError(f"no valid 'schema' label (got {label!r}); is this a choreo artefact?")
    kind, _, ver = label[len("choreo."):].partition("/")
    if not ver.isdigit():
        raise SchemaError(f"schema label {label!r} has no integer version")
    return kind, int(ver)


def upgrade(doc: dict[str, Any]) -> dict[str, Any]:
    """Upgrade a document to the current version of its kind.

    Parameters
    ----------
    doc : dict
        A parsed artefact of any known version.

    Returns
    -------
    dict
        The document at the current version (``doc`` itself when already current).

    Raises
    ------
    SchemaError
        Unknown kind, a version newer than this program knows, or a missing upgrade step.
    """
    kind, ver = parse_schema(doc.get("schema"))
    if kind not in CURRENT:
        raise SchemaError(f"unknown artefact kind {kind!r} (known: {', '.join(sorted(CURRENT))})")
    if ver > CURRENT[kind]:
        raise SchemaError(f"choreo.{kind}/{ver} is newer than this choreo understands "
                          f"(up to /{CURRENT[kind]}); upgrade choreo")
    while ver < CURRENT[kind]:
        step = UPGRADES.get((kind, ver))
        if step is None:
            raise SchemaError(f"no upgrade from choreo.{kind}/{ver}")
        doc = step(doc)
        ver += 1
    return doc


def load(path: str | Path) -> Any:
    """Read, upgrade and validate a document of any registered kind.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    The validated object of the document's kind (e.g. :class:`audio.model.Analysis`, a rig, pins).

    Raises
    ------
    ChoreoError
        Missing or unreadable file, invalid JSON, or a document that does not validate (the message
        names the file and the field).
    """
    return load_kind(path)[1]


def load_kind(path: str | Path) -> tuple[Kind, Any]:
    """Like :func:`load`, and say which kind the document is.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    kind : Kind
    obj : object
    """
    doc = read_json_object(path)
    try:
        doc = upgrade(doc)
        kind = KINDS[parse_schema(doc["schema"])[0]]
        return kind, kind.read(doc, Path(path))
    except ChoreoError as exc:
        raise SchemaError(exc.message, path=path) from exc
    except KeyError as exc:
        # The models' validators name most bad fields; what they do not check (a field nested in a list
        # item, a list that is null) still ends in one line that names the file, never a traceback.
        raise SchemaError(f"does not validate: a required field {exc.args[0]!r} is missing", path=path) from exc
    except (TypeError, ValueError, AttributeError, IndexError) as exc:
        raise SchemaError(f"does not validate: a field has the wrong type or value ({exc})", path=path) from exc


def dumps(obj: Any) -> str:
    """Serialise a model object deterministically (same object, same bytes).

    The layout reads like ``indent=1`` down to the lists: a list of objects (beats, moves, cues) puts one
    object per line, any other list (a track's frames, a curve) stays on one line. Those lines are made by
    json's C encoder, which is about 3 times faster than its indenting one and the file a third smaller.

    Parameters
    ----------
    obj : object with ``to_dict()``

    Returns
    -------
    str
    """
    return _layout(obj.to_dict(), 0) + "\n"


def _layout(value: Any, depth: int) -> str:
    def compact(v: Any) -> str:
        return json.dumps(v, ensure_ascii=False, allow_nan=False, separators=(", ", ": "))

    pad, end = " " * (depth + 1), "\n" + " " * depth
    if isinstance(value, dict) and value:
        return "{\n" + ",\n".join(f"{pad}{compact(k)}: {_layout(v, depth + 1)}" for k, v in value.items()) + end + "}"
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return "[\n" + ",\n".join(pad + compact(v) for v in value) + end + "]"
    return compact(value)


def save(obj: Any, path: str | Path) -> Path:
    """Serialise a model object and write it atomically.

    Parameters
    ----------
    obj : object with ``to_dict()``
    path : str or Path

    Returns
    -------
    Path
    """
    return write_atomic(path, dumps(obj))
