"""Exchange Digital Time Sheet (``.xdts``): each character's mouth-shape cels and move names, frame by frame.

XDTS is the time sheet CLIP STUDIO PAINT, OpenToonz, TVPaint and Toei Animation's digital time sheet
exchange. No reader of it runs here (they are desktop applications), so this format is written from the
published description and checked for structure only: **not verified by a reader**.

Conventions
-----------
- The file is the line ``exchangeDigitalTimeSheet Save Data`` followed by one JSON document, as the XDTS
  file format (Celsys, ver. 1.0, 2022-12-06) defines it with a JSON Schema (draft-07): ``header``
  (``cut`` and ``scene``, strings of 1-4 digits: ``"1"`` and ``"1"``), ``timeTables`` (one, named after the
  song: ``name``, ``duration`` in frames, ``fields``, ``timeTableHeaders``) and ``version`` 5. The schema's
  header, fields, tracks and frames were read as published; the time table's own keys and the version as
  OpenToonz's XDTS reader and writer (``toonz/sources/toonz/xdtsio.cpp``) use them.
- A field is a kind of column (``fieldId`` 0 CELL, 3 DIALOG, 5 CAMERAWORK); each holds tracks
  (``trackNo`` from 0, the bottom layer) of frames ``{"frame": f, "data": [{"id": 0, "values": [v]}]}``,
  and ``timeTableHeaders`` names the tracks of each field (``names[trackNo]``). A track lists only the
  frames where it changes; a value holds until the next one, as on a paper sheet.
- Mouths: one CELL track per mouth track, named ``<character> mouth``, whose cels are Rhubarb's shape
  letters ``A``-``H`` and ``X``; frames no cue covers hold ``X``, the rest shape choreo's renderer draws
  there too. Consecutive cues of one shape are one exposure (no new entry).
- Moves: XDTS has no action column, and a CELL track would ask the reader for drawings named after
  moves, so the moves go to the DIALOG field, the sheet's text column: one track per character of the
  choreography, named ``<character> moves``, with each move's name on its first frame (a move danced twice
  in a row is written twice). The empty-cell symbol ``SYMBOL_NULL_CELL`` belongs to CELL fields only, so
  frames where a character dances no move (before the first beat) have no entry of their own: a reader
  that holds values shows the move before them.
- Frames are the choreography's (0-based, ``duration`` = its ``duration_frames``; entries past the end are
  dropped). XDTS carries no frame rate: the sheet counts frames, so a 30000/1001 choreography gives a
  sheet to use in a 29.97 fps project. A mouth track made at another rate is re-timed through seconds
  (:func:`choreography.model.seconds_to_frame`).
- OpenToonz reads a CELL value as a drawing number (``"1"``, ``"2a"``): it imports letter cels as empty
  frames. CLIP STUDIO PAINT names cels freely and takes the letters as they are.
"""

from __future__ import annotations

import json
import warnings
from fractions import Fraction

from choreography.model import MouthTrack, frame_to_seconds, seconds_to_frame
from engine.exporters import Exporter, register
from engine.exporters.song import Song, file_writer

IDENTIFIER = "exchangeDigitalTimeSheet Save Data"
VERSION = 5
CELL_FIELD, DIALOG_FIELD = 0, 3
REST_SHAPE = "X"  # Rhubarb's rest mouth, drawn wherever no cue speaks


def _entry(frame: int, value: str) -> dict:
    return {"data": [{"id": 0, "values": [value]}], "frame": frame}


def _cel_entries(spans: list[tuple[int, int, str]], duration: int) -> list[dict]:
    """A CELL track's frames: the cel painted per frame from ``spans`` over the rest shape, where it changes.

    Parameters
    ----------
    spans : list of (int, int, str)
        ``(start_frame, end_frame, cel)``, end exclusive, in order (a later span wins an overlap).
    duration : int, frames

    Returns
    -------
    list of dict
        XDTS frame entries, frames increasing from 0, each below ``duration``.
    """
    values = [REST_SHAPE] * duration
    for a, b, value in spans:
        a, b = max(0, a), min(duration, b)
        values[a:b] = [value] * max(0, b - a)
    return [_entry(f, v) for f, v in enumerate(values) if f == 0 or v != values[f - 1]]


def _cue_frames(track: MouthTrack, fps: Fraction) -> list[tuple[int, int, str]]:
    """The track's cues as ``(start_frame, end_frame, shape)`` at ``fps``."""
    if track.fps == fps:
        return [(c.start_frame, c.end_frame, c.shape) for c in track.cues]
    return [(seconds_to_frame(frame_to_seconds(c.start_frame, track.fps), fps),
             seconds_to_frame(frame_to_seconds(c.end_frame, track.fps), fps), c.shape) for c in track.cues]


def time_sheet(song: Song) -> dict:
    """The XDTS document (the JSON after the identifier line).

    Parameters
    ----------
    song : Song
        Needs the choreography; the mouth tracks give the CELL field (empty without them, with a warning).

    Returns
    -------
    dict
    """
    chor = song.choreography
    fps, duration = song.fps, chor.duration_frames
    if not song.mouths:
        warnings.warn("xdts: no mouth tracks given, so the time sheet carries the moves only (its CELL field is "
                      "empty)", stacklevel=2)
    mouths = [(f"{m.character} mouth", _cel_entries(_cue_frames(m, fps), duration)) for m in song.mouths]
    moves = []
    for ch in chor.characters:
        starts = {m.start_frame: m.move for m in chor.moves if m.character == ch and 0 <= m.start_frame < duration}
        moves.append((f"{ch} moves", [_entry(f, starts[f]) for f in sorted(starts)]))
    fields = [(CELL_FIELD, mouths), (DIALOG_FIELD, moves)]
    return {
        "header": {"cut": "1", "scene": "1"},
        "timeTables": [{
            "duration": duration,
            "name": song.name,
            "fields": [{"fieldId": fid, "tracks": [{"trackNo": i, "frames": frames}
                                                   for i, (_, frames) in enumerate(tracks)]}
                       for fid, tracks in fields],
            "timeTableHeaders": [{"fieldId": fid, "names": [name for name, _ in tracks]} for fid, tracks in fields],
        }],
        "version": VERSION,
    }


def to_xdts(song: Song) -> str:
    """The ``.xdts`` file's text: the identifier line, then the time sheet as JSON.

    Parameters
    ----------
    song : Song
        Needs the choreography.

    Returns
    -------
    str
    """
    return f"{IDENTIFIER}\n{json.dumps(time_sheet(song), indent=1, ensure_ascii=False)}\n"


XDTS = register(Exporter(
    "xdts", ".xdts", file_writer(to_xdts),
    "Exchange Digital Time Sheet (CLIP STUDIO PAINT, OpenToonz, TVPaint): per character, mouth-shape cels "
    "A-H/X (CELL field) where they change and move names (DIALOG field) where each move starts, in the "
    "choreography's frames (XDTS has no frame rate; OpenToonz takes cels as drawing numbers, so letters "
    "import empty there)",
    scope="song", needs=("choreography",),
    reader="not verified by a reader (none runs here): the tests check the published structure"))
