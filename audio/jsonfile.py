"""Reading user-supplied JSON documents with errors that name the file (artefacts, mappings, rigs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from audio.errors import ChoreoError


def read_json_object(path: str | Path, *, what: str = "") -> dict[str, Any]:
    """Read a file that must hold one JSON object.

    Parameters
    ----------
    path : str or Path
    what : str
        What the file is, for messages ("mouth mapping"); empty for none.

    Returns
    -------
    dict

    Raises
    ------
    ChoreoError
        Missing or unreadable file, invalid JSON (with the line), or JSON that is not an object.
    """
    p = Path(path)
    label = f"{what} " if what else ""
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ChoreoError(f"{label}file not found", path=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ChoreoError(f"{label}cannot be read ({exc})", path=path) from exc
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ChoreoError(f"{label}is not valid JSON (line {exc.lineno}: {exc.msg})", path=path) from exc
    if not isinstance(doc, dict):
        raise ChoreoError(f"{label}is not a JSON object", path=path)
    return doc
