r"""Rhubarb Lip Sync's output formats: TSV, XML and JSON, laid out as ``rhubarb`` writes them.

Conventions
-----------
- Shapes are Rhubarb's letters ``A``-``H`` and ``X``, unchanged.
- Times are seconds with three decimals (Rhubarb itself writes two: it works in centiseconds, a track
  here is on a video frame grid, and three keep every frame exact at up to 500 fps). Each time is the
  cue's exact frame time rounded *up* to the millisecond (:func:`format_time`), so an importer that
  rounds to the nearest frame and one that truncates both land on the cue's frame.
- ``soundFile`` is the ``sound_file`` option, else ``track.provenance["sound_file"]`` or
  ``track.provenance["source"]["path"]``, else empty. ``duration`` is the end of the last cue.

Layouts (``<t>`` is a time such as ``1.042``)::

    TSV:   <start>\t<shape>            one line per cue, then <end>\tX
    XML:   <?xml version="1.0" encoding="utf-8"?>
           <rhubarbResult>
             <metadata>
               <soundFile>song.wav</soundFile>
               <duration>3.000</duration>
             </metadata>
             <mouthCues>
               <mouthCue start="0.000" end="0.459">X</mouthCue>
               ...
             </mouthCues>
           </rhubarbResult>
    JSON:  {
             "metadata": {
               "soundFile": "song.wav",
               "duration": 3.000
             },
             "mouthCues": [
               { "start": 0.000, "end": 0.459, "value": "X" },
               ...
             ]
           }
"""

from __future__ import annotations

import functools
import json
import math
from fractions import Fraction
from pathlib import Path
from xml.sax.saxutils import escape

from choreography.model import MouthTrack
from engine.artifacts import write_atomic
from engine.exporters import Exporter, register, sound_file_of

DECIMALS = 3


def format_time(frame: int, fps: Fraction, decimals: int = DECIMALS) -> str:
    """A frame's start time as seconds text, rounded up to ``decimals`` places.

    Rounding up keeps the written time inside the frame, so readers that round and readers that truncate
    ``t * fps`` both get the frame back. When the exact time is itself a round number of milliseconds
    (frame 1050 at 30000/1001 fps is 35.035 s), a reader multiplying in floating point can land a hair
    below the frame; the time then gets one more unit.

    Parameters
    ----------
    frame : int, frames
    fps : Fraction, frames per second
    decimals : int

    Returns
    -------
    str
        E.g. ``"0.209"`` for frame 5 at 24 fps (exactly 0.208333... s).
    """
    scale = 10 ** decimals
    exact = Fraction(int(frame)) * scale / fps
    units = math.ceil(exact)
    if units == exact and int(units / scale * float(fps)) < frame:
        units += 1
    return f"{units // scale}.{units % scale:0{decimals}d}" if decimals else str(units)


def _cues(track: MouthTrack) -> list[tuple[int, int, str]]:
    # Rhubarb writes one zero-length rest for an empty animation; so do we.
    return [(c.start_frame, c.end_frame, c.shape) for c in track.cues] or [(0, 0, "X")]


def _end_frame(track: MouthTrack) -> int:
    return track.cues[-1].end_frame if track.cues else 0


def to_tsv(track: MouthTrack) -> str:
    """Rhubarb TSV text: ``start<TAB>shape`` per cue, then ``end<TAB>X``.

    Parameters
    ----------
    track : MouthTrack

    Returns
    -------
    str
    """
    lines = [f"{format_time(c.start_frame, track.fps)}\t{c.shape}" for c in track.cues]
    lines.append(f"{format_time(_end_frame(track), track.fps)}\tX")
    return "\n".join(lines) + "\n"


def to_xml(track: MouthTrack, *, sound_file: str | Path | None = None) -> str:
    """Rhubarb XML text (``rhubarbResult`` with ``metadata`` and ``mouthCues``), two-space indent.

    Parameters
    ----------
    track : MouthTrack
    sound_file : str or Path, optional
        Written as ``metadata/soundFile``; see :func:`sound_file_of`.

    Returns
    -------
    str
    """
    t = functools.partial(format_time, fps=track.fps)
    out = ['<?xml version="1.0" encoding="utf-8"?>', "<rhubarbResult>", "  <metadata>",
           f"    <soundFile>{escape(sound_file_of(track, sound_file))}</soundFile>",
           f"    <duration>{t(_end_frame(track))}</duration>", "  </metadata>", "  <mouthCues>"]
    out += [f'    <mouthCue start="{t(a)}" end="{t(b)}">{shape}</mouthCue>' for a, b, shape in _cues(track)]
    out += ["  </mouthCues>", "</rhubarbResult>"]
    return "\n".join(out) + "\n"


def to_json(track: MouthTrack, *, sound_file: str | Path | None = None) -> str:
    """Rhubarb JSON text (``metadata`` and ``mouthCues`` with ``start``, ``end``, ``value``), one cue a line.

    Parameters
    ----------
    track : MouthTrack
    sound_file : str or Path, optional
        Written as ``metadata.soundFile``; see :func:`sound_file_of`.

    Returns
    -------
    str
    """
    t = functools.partial(format_time, fps=track.fps)
    cues = [f'    {{ "start": {t(a)}, "end": {t(b)}, "value": "{shape}" }}' for a, b, shape in _cues(track)]
    return ("{\n"
            '  "metadata": {\n'
            f'    "soundFile": {json.dumps(sound_file_of(track, sound_file), ensure_ascii=False)},\n'
            f'    "duration": {t(_end_frame(track))}\n'
            "  },\n"
            '  "mouthCues": [\n' + ",\n".join(cues) + "\n"
            "  ]\n"
            "}\n")


def write_tsv(track: MouthTrack, path: str | Path, *, sound_file: str | Path | None = None) -> Path:
    """Write Rhubarb TSV.

    Parameters
    ----------
    track : MouthTrack
    path : str or Path
    sound_file : str or Path, optional
        Accepted like every format's, unused (TSV names no audio file).

    Returns
    -------
    Path
    """
    return write_atomic(path, to_tsv(track))


def write_xml(track: MouthTrack, path: str | Path, *, sound_file: str | Path | None = None) -> Path:
    """Write Rhubarb XML.

    Parameters
    ----------
    track : MouthTrack
    path : str or Path
    sound_file : str or Path, optional

    Returns
    -------
    Path
    """
    return write_atomic(path, to_xml(track, sound_file=sound_file))


def write_json(track: MouthTrack, path: str | Path, *, sound_file: str | Path | None = None) -> Path:
    """Write Rhubarb JSON.

    Parameters
    ----------
    track : MouthTrack
    path : str or Path
    sound_file : str or Path, optional

    Returns
    -------
    Path
    """
    return write_atomic(path, to_json(track, sound_file=sound_file))


TSV = register(Exporter("tsv", ".tsv", write_tsv, "Rhubarb Lip Sync TSV: start time and shape per line"))
XML = register(Exporter("xml", ".xml", write_xml, "Rhubarb Lip Sync XML (rhubarbResult)"))
JSON = register(Exporter("rhubarb-json", ".rhubarb.json", write_json, "Rhubarb Lip Sync JSON (mouthCues)"))
