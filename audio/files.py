"""File helpers every stage uses: reading user JSON with errors naming the file, and atomic writes.

They live in the lowest layer (``audio`` imports no other package) so that every stage can use them.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
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


PARTIAL_MARK = ".partial-"
"""What every temporary output name holds: ``.NAME.partial-<random>[.suffix]``, beside its final path."""


def partial_prefix(path: str | Path) -> str:
    """The prefix for ``tempfile.mkstemp``/``mkdtemp`` of a file being written towards ``path``.

    Parameters
    ----------
    path : str or Path
        The final path.

    Returns
    -------
    str
    """
    return f".{Path(path).name}{PARTIAL_MARK}"


def remove_partials(folder: str | Path) -> list[Path]:
    """Delete what a killed or interrupted writer left in ``folder``: files and folders named by :func:`partial_prefix`.

    Only call it when nothing is writing into ``folder`` (a song's output folder between runs).

    Parameters
    ----------
    folder : str or Path

    Returns
    -------
    list of Path
        What was removed (empty when the folder does not exist).
    """
    removed = []
    for p in Path(folder).glob(f".*{PARTIAL_MARK}*"):
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
        removed.append(p)
    return removed


def _umask() -> int:
    """The process umask, read without changing it where the system tells (Linux), else set and restored."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def follow_umask(path: str | Path) -> None:
    """Give a file or folder made by ``tempfile`` (mode 0600 / 0700) the mode ``open`` or ``mkdir`` would.

    Temporary files are private by design; once renamed into place they are ordinary outputs, which a
    studio's render-farm account and its artists must both be able to open, as the umask says.

    Parameters
    ----------
    path : str or Path
    """
    base = 0o777 if Path(path).is_dir() else 0o666
    os.chmod(path, base & ~_umask())


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    """Write a file atomically: a temporary file in the same folder, flushed, then renamed.

    Parameters
    ----------
    path : str or Path
    data : str or bytes

    Returns
    -------
    Path
        The written path.

    The folder is created when missing.

    Raises
    ------
    ChoreoError
        When the folder cannot be created or written to, or the disk is full.
    """
    p = Path(path)
    folder = p.parent if str(p.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ChoreoError(f"output folder cannot be created ({exc.strerror})", path=folder) from exc
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd, tmp = tempfile.mkstemp(prefix=partial_prefix(p), dir=folder)
    except OSError as exc:
        raise ChoreoError(f"cannot write here ({exc.strerror})", path=folder) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        follow_umask(tmp)
        os.replace(tmp, p)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise ChoreoError(f"cannot be written ({exc.strerror})", path=p) from exc
        raise
    return p
