"""OpenTimelineIO (``.otio``): the song, its markers and the camera's shot plan as an editorial timeline.

Conventions
-----------
- Written as OTIO JSON directly (schemas ``Timeline.1``, ``Stack.1``, ``Track.1``, ``Clip.2``, ``Gap.1``,
  ``Marker.2``, ``ExternalReference.1``, ``MissingReference.1``, as OpenTimelineIO 0.18 writes them), so
  writing needs no OTIO install; the tests read every file back with ``opentimelineio``.
- Every time is a frame count at the choreography's rate (``rate`` is ``float(fps)``, 29.97002997... for
  30000/1001). ``global_start_time`` is 01:00:00:00 (:data:`engine.exporters.song.RECORD_START_TC`),
  omitted for rates timecode cannot count; marker and clip times are relative to the timeline's start.
- Tracks: ``Shots`` (video), one clip per camera shot, cut where the shots cut (shots that do not start on a
  cut continue the clip before), with no media (``MissingReference``); ``Song`` (audio), one clip of the
  whole song whose ``ExternalReference`` points at the analysed file (``source.path``: a ``file://`` URL,
  a relative path taken from the current folder; the path as recorded when the file is not there).
- Markers sit on the timeline's stack (timeline markers): sections span their section, bars are points,
  lyric lines span the line. Names and colours: :func:`engine.exporters.song.song_markers`; metadata
  ``{"choreo": {"kind": ...}}`` and the marker's comment say more.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path, PurePath
from typing import Any

from audio.errors import ChoreoError
from choreography.model import seconds_to_frame
from engine.exporters import Exporter, register
from engine.exporters.song import RECORD_START_TC, Song, file_writer, shot_clips, song_markers, timecode_frames


def _time(frames: int, rate: float) -> dict[str, Any]:
    return {"OTIO_SCHEMA": "RationalTime.1", "rate": rate, "value": float(frames)}


def _range(start: int, duration: int, rate: float) -> dict[str, Any]:
    return {"OTIO_SCHEMA": "TimeRange.1", "duration": _time(duration, rate), "start_time": _time(start, rate)}


def _item(schema: str, name: str, source_range: dict | None, metadata: dict | None = None) -> dict[str, Any]:
    return {"OTIO_SCHEMA": schema, "metadata": metadata or {}, "name": name, "source_range": source_range,
            "effects": [], "markers": [], "enabled": True, "color": None}


def _clip(name: str, source_range: dict, reference: dict, metadata: dict | None = None) -> dict[str, Any]:
    return {**_item("Clip.2", name, source_range, metadata), "media_references": {"DEFAULT_MEDIA": reference},
            "active_media_reference_key": "DEFAULT_MEDIA"}


def media_url(path: str) -> str:
    """The ``target_url`` of the song: a ``file://`` URL when the file is found, else the path as recorded.

    Parameters
    ----------
    path : str
        The analysis' ``source.path`` (relative paths are taken from the current folder).

    Returns
    -------
    str
    """
    p = Path(path)
    return p.resolve().as_uri() if p.is_absolute() or p.exists() else path


def to_otio(song: Song) -> dict[str, Any]:
    """The OTIO JSON document (a ``Timeline.1`` dict).

    Parameters
    ----------
    song : Song
        Needs the choreography.

    Returns
    -------
    dict
    """
    fps: Fraction = song.fps
    rate = float(fps)
    try:
        start = _time(timecode_frames(RECORD_START_TC, fps), rate)
    except ChoreoError:  # a rate without timecode: the timeline starts at zero
        start = None
    source = song.analysis.source
    n_song = seconds_to_frame(source.duration_s, fps)
    shots, cursor = [], 0
    for a, b, name in shot_clips(song):
        if a > cursor:
            shots.append(_item("Gap.1", "", _range(0, a - cursor, rate)))
        shots.append(_clip(name, _range(a, b - a, rate), {"OTIO_SCHEMA": "MissingReference.1", "metadata": {},
                                                          "name": "", "available_range": None,
                                                          "available_image_bounds": None},
                           {"choreo": {"shot": name}}))
        cursor = b
    reference = {"OTIO_SCHEMA": "ExternalReference.1", "metadata": {}, "name": PurePath(source.path).name,
                 "available_range": _range(0, n_song, rate), "available_image_bounds": None,
                 "target_url": media_url(source.path)}
    audio = _clip(PurePath(source.path).name, _range(0, n_song, rate), reference)
    markers = []
    for m in song_markers(song):
        a, b = m.frames(fps)
        markers.append({"OTIO_SCHEMA": "Marker.2", "metadata": {"choreo": {"kind": m.kind}}, "name": m.name,
                        "color": m.colour, "marked_range": _range(a, b - a, rate), "comment": m.comment})
    stack = {**_item("Stack.1", "tracks", None), "markers": markers, "children": [
        {**_item("Track.1", "Shots", None), "children": shots, "kind": "Video"},
        {**_item("Track.1", "Song", None), "children": [audio], "kind": "Audio"}]}
    return {"OTIO_SCHEMA": "Timeline.1", "metadata": {"choreo": {"fps": f"{fps.numerator}/{fps.denominator}"}},
            "name": song.name, "global_start_time": start, "tracks": stack}


def otio_text(song: Song) -> str:
    """The OTIO timeline of a song as JSON text (see :func:`to_otio`).

    Parameters
    ----------
    song : Song

    Returns
    -------
    str
    """
    return json.dumps(to_otio(song), indent=4, ensure_ascii=False) + "\n"


OTIO = register(Exporter(
    "otio", ".otio", file_writer(otio_text),
    "OpenTimelineIO timeline: the song as an audio clip, "
    "markers for sections (coloured by kind), bars and lyric lines, the shot plan as a video "
    "track", scope="song", needs=("choreography",),
    reader="opentimelineio 0.18 (names, frames, colours, shot clip ranges)"))
