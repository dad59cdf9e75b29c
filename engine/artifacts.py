"""Artefact documents: schema labels, the upgrade chain, validation and atomic writes.

Every artefact is a JSON object with a ``schema`` label ``choreo.<kind>/<version>``. Loading reads the
label, upgrades an older version one step at a time with the functions registered in ``UPGRADES``,
then validates with the current model's ``from_dict``. Writing serialises deterministically (sorted
nothing, fixed key order from ``to_dict``, no timestamps) to a temporary file beside the target and
renames it into place, so a crash never leaves half a file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from audio.errors import SchemaError
from audio.files import read_json_object, write_atomic

# (kind, from_version) -> function turning a version-n dict into a version-(n+1) dict.
UPGRADES: dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]] = {}
CURRENT: dict[str, int] = {"analysis": 1, "mouth": 1, "choreography": 1}


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


def model_for(kind: str) -> Any:
    """The model class whose ``from_dict`` validates a current document of ``kind``.

    Parameters
    ----------
    kind : str
        "analysis", ...

    Returns
    -------
    type
    """
    if kind == "analysis":
        from audio.model import Analysis

        return Analysis
    if kind == "mouth":
        from choreography.model import MouthTrack

        return MouthTrack
    if kind == "choreography":
        from choreography.model import Choreography

        return Choreography
    raise SchemaError(f"unknown artefact kind {kind!r}")


def load(path: str | Path) -> Any:
    """Read, upgrade and validate an artefact file.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    The model object (e.g. :class:`audio.model.Analysis`).

    Raises
    ------
    ChoreoError
        Missing or unreadable file, invalid JSON, or a document that does not validate (the message
        names the file and the field).
    """
    doc = read_json_object(path)
    try:
        doc = upgrade(doc)
        kind, _ = parse_schema(doc["schema"])
        return model_for(kind).from_dict(doc)
    except SchemaError as exc:
        raise SchemaError(exc.message, path=path) from exc
    except KeyError as exc:
        # The models' validators name most bad fields; what they do not check (a field nested in a list
        # item, a list that is null) still ends in one line that names the file, never a traceback.
        raise SchemaError(f"does not validate: a required field {exc.args[0]!r} is missing", path=path) from exc
    except (TypeError, ValueError, AttributeError, IndexError) as exc:
        raise SchemaError(f"does not validate: a field has the wrong type or value ({exc})", path=path) from exc


def dumps(obj: Any) -> str:
    """Serialise a model object deterministically (same object, same bytes).

    Parameters
    ----------
    obj : object with ``to_dict()``

    Returns
    -------
    str
    """
    return json.dumps(obj.to_dict(), ensure_ascii=False, indent=1, allow_nan=False) + "\n"


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
