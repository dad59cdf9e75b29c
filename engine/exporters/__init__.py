"""Exporters: mouth tracks in the file formats of the tools animators already use.

Conventions
-----------
- One registry, :data:`EXPORTERS`, maps a format name to an :class:`Exporter` (name, file suffix, write
  function, one-line description). Each adapter module registers its formats when imported; this package
  imports the built-in ones, so ``from engine.exporters import EXPORTERS`` is all a caller needs.
- ``write(track, path, **options) -> Path`` writes atomically (:func:`engine.artifacts.write_atomic`): a
  folder that cannot be written to is a :class:`audio.errors.ChoreoError`. Options are keyword-only and
  format-specific (``names=``, ``voice=``, ...) except ``sound_file=``, which every format accepts (and
  those that name no audio file ignore); every format works without any.
- Times in exported files come from the cues' frame numbers at the track's rational fps, never from
  re-rounded seconds.

Built-in formats: ``json`` (the ``choreo.mouth/1`` artefact), ``tsv``, ``xml`` and ``rhubarb-json``
(Rhubarb Lip Sync's outputs), ``dat`` (Moho switch data) and ``pgo`` (Papagayo project).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audio.errors import ChoreoError
from choreography.model import MouthTrack


@dataclass(frozen=True)
class Exporter:
    """A file format for mouth tracks: its name, the file suffix it writes and the function that writes it."""

    name: str
    suffix: str
    write: Callable[..., Path]
    description: str = ""


EXPORTERS: dict[str, Exporter] = {}


def register(exporter: Exporter) -> Exporter:
    """Add a format to :data:`EXPORTERS`.

    Parameters
    ----------
    exporter : Exporter

    Returns
    -------
    Exporter
        The same object (so a module can keep a name for it).

    Raises
    ------
    ValueError
        When another exporter already has that name (a programming error, not a user's).
    """
    old = EXPORTERS.get(exporter.name)
    if old is not None and old.write is not exporter.write:
        raise ValueError(f"exporter {exporter.name!r} is registered twice")
    EXPORTERS[exporter.name] = exporter
    return exporter


def get_exporter(name: str) -> Exporter:
    """The exporter of a format name.

    Parameters
    ----------
    name : str
        One of ``EXPORTERS`` (``"tsv"``, ``"dat"``, ...).

    Returns
    -------
    Exporter

    Raises
    ------
    ChoreoError
        Naming the known formats when ``name`` is not one.
    """
    try:
        return EXPORTERS[name]
    except KeyError:
        raise ChoreoError(f"unknown export format {name!r} (known: {', '.join(sorted(EXPORTERS))})") from None


def export(track: MouthTrack, path: str | Path, fmt: str | None = None, **options: Any) -> Path:
    """Write a mouth track in a format named, or guessed from the file name's suffix.

    Parameters
    ----------
    track : MouthTrack
    path : str or Path
        Target file.
    fmt : str, optional
        Format name; by default the exporter whose suffix the file name ends with (longest match, so
        ``x.rhubarb.json`` is Rhubarb JSON and ``x.mouth.json`` the choreo artefact).
    **options
        Passed to the format's ``write``.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    ChoreoError
        Unknown format or suffix, or a file that cannot be written.
    """
    if fmt is None:
        name = Path(path).name.lower()
        matches = [e for e in EXPORTERS.values() if name.endswith(e.suffix)]
        if not matches:
            known = ", ".join(f"{e.suffix} ({e.name})" for e in EXPORTERS.values())
            raise ChoreoError(f"cannot tell the export format from the file name; use one of {known}", path=path)
        fmt = max(matches, key=lambda e: len(e.suffix)).name
    return get_exporter(fmt).write(track, path, **options)


def sound_file_of(track: MouthTrack, sound_file: str | Path | None = None) -> str:
    """The audio file a track belongs to, for the formats that name it.

    Parameters
    ----------
    track : MouthTrack
    sound_file : str or Path, optional
        Wins when given.

    Returns
    -------
    str
        Empty when nothing names one.
    """
    if sound_file is not None:
        return str(sound_file)
    prov = track.provenance or {}
    if prov.get("sound_file"):
        return str(prov["sound_file"])
    inputs = prov.get("inputs")  # a track from choreo lipsync names the recording it was made from here
    if isinstance(inputs, dict) and inputs.get("vocals"):
        return str(inputs["vocals"])
    source = prov.get("source")
    if isinstance(source, dict) and source.get("path"):
        return str(source["path"])
    return ""


def _write_choreo_json(track: MouthTrack, path: str | Path, *, sound_file: str | Path | None = None) -> Path:
    """Write the ``choreo.mouth/1`` artefact itself.

    Parameters
    ----------
    track : MouthTrack
    path : str or Path
    sound_file : str or Path, optional
        Accepted like every format's, unused.

    Returns
    -------
    Path
    """
    from engine.artifacts import save

    return save(track, path)


register(Exporter("json", ".mouth.json", _write_choreo_json, "choreo.mouth/1 artefact (choreo's own JSON)"))

# The adapters register themselves on import; they need the names above, hence the late import.
from engine.exporters import moho, papagayo, rhubarb  # noqa: E402, F401
