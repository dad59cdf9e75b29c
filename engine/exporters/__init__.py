"""Exporters: choreo's artefacts in the file formats of the tools animators, editors and musicians use.

Conventions
-----------
- One registry, :data:`FORMATS`, maps a format name to an :class:`Exporter` (name, file suffix, write
  function, what it carries, the reader that checks it). Each adapter module registers its formats when
  imported; this package imports the built-in ones, so ``from engine.exporters import FORMATS`` is all a
  caller needs. An exporter's ``scope`` says what it writes from: ``"mouth"``, one mouth track (one file
  per character), or ``"song"``, a whole song (:class:`engine.exporters.song.Song`: the analysis, the
  choreography and the mouth tracks; ``needs`` names the artefacts it cannot do without), or
  ``"dancer"``, one file per character of the song's choreography (written from ``(song, character)``).
  :data:`EXPORTERS` is the mouth-track view of the same registry.
- ``write(track_or_song, path, **options) -> Path`` writes atomically (:func:`engine.artifacts.write_atomic`):
  a folder that cannot be written to is a :class:`audio.errors.ChoreoError`. Options are keyword-only and
  format-specific (``names=``, ``voice=``, ...) except ``sound_file=``, which every mouth format accepts (and
  those that name no audio file ignore); every format works without any.
- Times in exported files come from frame numbers at the rational fps (the track's cues; the
  choreography's shots, and song markers rounded once to their nearest frame by
  :func:`choreography.model.seconds_to_frame`), never from re-rounded seconds; the audio formats (MIDI,
  Audacity labels) keep the analysis' seconds.

Mouth formats: ``json`` (the ``choreo.mouth/1`` artefact), ``tsv``, ``xml`` and ``rhubarb-json`` (Rhubarb
Lip Sync's outputs), ``dat`` (Moho switch data), ``pgo`` (Papagayo project), and the words as timed lyrics,
``lrc`` (enhanced LRC), ``ass`` (ASS karaoke subtitles), ``srt`` (SubRip) and ``vtt`` (WebVTT). Song formats:
``otio`` (OpenTimelineIO), ``edl`` (CMX 3600), ``fcp7xml`` (Final Cut 7 XML), ``midi`` (tempo map and markers),
``audacity`` (label track), ``blender`` (a Blender scene: armatures with their actions, markers, the song,
the camera, mouth shapes), ``lottie`` (the dance as a Lottie animation) and ``xdts`` (Exchange Digital
Time Sheet: mouth cels and move names per frame; not verified by a reader). Dancer format: ``csv`` (every
frame's channel values with bar, beat and move, one file per character).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audio.errors import ChoreoError, did_you_mean
from audio.model import Word
from choreography.model import MouthTrack

MOUTH_READER = "the layout parsers of tests/test_exporters.py"
LINE_GAP_S = 0.5  # where words do not know their lyric line, a longer gap between them starts another
SCOPES = ("mouth", "song", "dancer")
WRITES = {"mouths": "mouth tracks", "words": "the lip-sync's words"}  # what a format may lack, as a refusal says it


@dataclass(frozen=True)
class Exporter:
    """A file format: its name, the file suffix it writes and the function that writes it.

    Attributes
    ----------
    name, suffix : str
    write : callable
        ``write(track, path, **options)`` for the mouth scope, ``write(song, path, **options)`` for the song
        scope, ``write((song, character), path)`` for the dancer scope; returns the written path.
    description : str
        What the file carries, in one line.
    scope : {"mouth", "song", "dancer"}
    needs : tuple of str
        Song scope: the artefacts it needs besides the analysis (``"choreography"``); mouth scope: ``"words"``
        when it writes a track's words (a track without them is refused before anything is written).
    reader : str
        The reader the tests check it with.
    options : tuple of str
        Song scope: the keyword options of ``write`` that ``choreo export`` may pass (``"size"``, the canvas
        of a format that draws); :func:`engine.exporters.song.export_song` gives each format only its own.
    check : callable, optional
        ``check()`` raises :class:`audio.errors.ChoreoError` when the format cannot be written on this
        machine (an optional package missing); :func:`parse_formats` calls it, so a run fails before its
        work, not after.
    """

    name: str
    suffix: str
    write: Callable[..., Path]
    description: str = ""
    scope: str = "mouth"
    needs: tuple[str, ...] = ()
    reader: str = MOUTH_READER
    options: tuple[str, ...] = ()
    check: Callable[[], None] | None = None

    def refuse(self, part: str, lacking: str, *, path: Path | None = None) -> None:
        """Refuse the format where it writes ``part`` and the caller has none: one message for every caller.

        Parameters
        ----------
        part : {"mouths", "words"}
            What the caller lacks: mouth tracks (the mouth scope writes them) or the lip-sync's words (a
            format whose ``needs`` names them).
        lacking : str
            Why there are none, as the end of the sentence (``"this song has no lyrics"``).
        path : Path, optional
            The file the refusal is about.

        Raises
        ------
        ChoreoError
            ``"the lrc format writes the lip-sync's words, and this song has no lyrics"`` when the format
            writes ``part``; nothing otherwise.
        """
        writes = self.scope == "mouth" if part == "mouths" else part in self.needs
        if writes:
            raise ChoreoError(f"the {self.name} format writes {WRITES[part]}, and {lacking}", path=path)


FORMATS: dict[str, Exporter] = {}
EXPORTERS: dict[str, Exporter] = {}


def register(exporter: Exporter) -> Exporter:
    """Add a format to :data:`FORMATS` (and a mouth format to :data:`EXPORTERS`).

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
        When another exporter already has that name, or the scope is unknown (programming errors, not a
        user's).
    """
    if exporter.scope not in SCOPES:
        raise ValueError(f"exporter {exporter.name!r} has scope {exporter.scope!r}, not one of {SCOPES}")
    old = FORMATS.get(exporter.name)
    if old is not None and old.write is not exporter.write:
        raise ValueError(f"exporter {exporter.name!r} is registered twice")
    FORMATS[exporter.name] = exporter
    if exporter.scope == "mouth":
        EXPORTERS[exporter.name] = exporter
    return exporter


def get_exporter(name: str) -> Exporter:
    """The exporter of a mouth-track format name.

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
        Naming the known formats when ``name`` is not one (and ``choreo export`` when it is a song format).
    """
    try:
        return EXPORTERS[name]
    except KeyError:
        song = " is a song format (choreo export);" if name in FORMATS else did_you_mean(name, EXPORTERS)
        raise ChoreoError(f"unknown export format {name!r}{song} (known: {', '.join(sorted(EXPORTERS))})") from None


def get_format(name: str) -> Exporter:
    """The exporter of any format name, mouth or song.

    Parameters
    ----------
    name : str
        One of ``FORMATS``.

    Returns
    -------
    Exporter

    Raises
    ------
    ChoreoError
        With the closest known name when ``name`` is not one.
    """
    try:
        return FORMATS[name]
    except KeyError:
        raise ChoreoError(f"unknown export format {name!r}{did_you_mean(name, FORMATS)}; known: "
                          f"{', '.join(sorted(FORMATS))} (choreo export --list)") from None


def parse_formats(spec: str) -> list[Exporter]:
    """The exporters of a comma-separated format list such as ``"otio,midi"``.

    Parameters
    ----------
    spec : str

    Returns
    -------
    list of Exporter
        In the order given, each once.

    Raises
    ------
    ChoreoError
        An unknown name, an empty list, or a format this machine cannot write (its ``check``).
    """
    names = list(dict.fromkeys(n.strip().lower() for n in spec.split(",") if n.strip()))
    if not names:
        raise ChoreoError("no export format given (choreo export --list shows them)")
    exporters = [get_format(n) for n in names]
    for e in exporters:
        if e.check is not None:
            e.check()
    return exporters


def exporter_for(path: str | Path, fmt: str | None = None) -> Exporter:
    """The mouth-track exporter named by ``fmt``, or else by the file name's suffix.

    Of the suffixes that match, the longest: ``x.rhubarb.json`` is Rhubarb JSON, ``x.mouth.json`` the choreo
    artefact.

    Parameters
    ----------
    path : str or Path
        The file to write.
    fmt : str, optional
        A format name; wins over the suffix.

    Returns
    -------
    Exporter

    Raises
    ------
    ChoreoError
        Unknown format, or a suffix no exporter writes.
    """
    if fmt is not None:
        return get_exporter(fmt)
    name = Path(path).name.lower()
    matches = [e for e in EXPORTERS.values() if name.endswith(e.suffix)]
    if not matches:
        known = ", ".join(f"{e.suffix} ({e.name})" for e in EXPORTERS.values())
        raise ChoreoError(f"cannot tell the export format from the file name; use one of {known}", path=path)
    return max(matches, key=lambda e: len(e.suffix))


def export(track: MouthTrack, path: str | Path, fmt: str | None = None, **options: Any) -> Path:
    """Write a mouth track in a format named, or guessed from the file name's suffix (:func:`exporter_for`).

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
    return exporter_for(path, fmt).write(track, path, **options)


def split_at_gaps(spans: list[tuple[float, float]], gap_s: float) -> list[list[int]]:
    """Runs of time spans (in order) with gaps of at most ``gap_s`` between them, as lists of indices.

    Parameters
    ----------
    spans : list of (start, end), seconds
    gap_s : float, seconds

    Returns
    -------
    list of list of int
    """
    runs: list[list[int]] = []
    for i, (a, _) in enumerate(spans):
        if runs and a - spans[runs[-1][-1]][1] <= gap_s:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def lyric_lines(track: MouthTrack, *, gap_s: float = LINE_GAP_S) -> list[list[Word]]:
    """The track's words in time order, cut into lyric lines.

    Parameters
    ----------
    track : MouthTrack
    gap_s : float, seconds
        Where the words do not all know their line: a longer gap between two words starts a new one.

    Returns
    -------
    list of list of Word
        By ``Word.line`` when every word has one, else at gaps longer than ``gap_s``; none without words.
    """
    words = sorted(track.words, key=lambda w: (w.start, w.end))
    if not words:
        return []
    if not all(w.line is not None for w in words):
        return [[words[i] for i in run] for run in split_at_gaps([(w.start, w.end) for w in words], gap_s)]
    lines: list[list[Word]] = [[words[0]]]
    for prev, w in itertools.pairwise(words):
        if w.line != prev.line:
            lines.append([])
        lines[-1].append(w)
    return lines


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
from engine.exporters import (  # noqa: E402, F401
    audacity,
    blender,
    choreo_csv,
    edl,
    fcp7xml,
    karaoke,
    lottie,
    midi,
    moho,
    otio_timeline,
    papagayo,
    rhubarb,
    xdts,
)
