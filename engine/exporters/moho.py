"""Moho switch data (``.dat``): the mouth track as keys for a Moho (Anime Studio) switch layer.

Conventions
-----------
- Layout, as Moho, Papagayo and Rhubarb (``--exportFormat dat``) write it::

      MohoSwitch1
      <frame> <name>
      ...
      <end frame> rest

  one line per cue, then the rest shape on the frame after the last cue (Moho holds a switch key until the
  next one, so the mouth closes when the song ends).
- Frames are 1-based, as Moho numbers them: a cue starting on choreo frame ``f`` (0-based) is keyed on
  Moho frame ``f + 1``. Frames are the track's own, at its own fps; set the Moho project to the same rate
  (29.97 for ``30000/1001``).
- ``names="preston"`` (the default) writes the Preston Blair names that Moho's standard mouth switch
  layers use (``AI E etc FV L MBP O rest U WQ``; Rhubarb's shapes give all but ``WQ``), ``names="rhubarb"``
  the letters ``A``-``H`` and ``X`` (Rhubarb's extended-shape mouths).
"""

from __future__ import annotations

from pathlib import Path

from audio.errors import ChoreoError
from choreography.model import MouthTrack
from choreography.mouth import MouthMapping, preston_blair
from engine.artifacts import write_atomic
from engine.exporters import Exporter, register

NAMINGS = ("preston", "rhubarb")


def to_dat(track: MouthTrack, *, names: str = "preston", mapping: MouthMapping | None = None) -> str:
    """Moho switch data text.

    Parameters
    ----------
    track : MouthTrack
    names : {"preston", "rhubarb"}
        Switch layer names: Preston Blair names or Rhubarb letters.
    mapping : MouthMapping, optional
        Where the Preston Blair names come from (a user mapping may rename them); default mapping otherwise.

    Returns
    -------
    str

    Raises
    ------
    ChoreoError
        When ``names`` is not one of ``NAMINGS``.
    """
    if names not in NAMINGS:
        raise ChoreoError(f"names={names!r}: expected one of {', '.join(NAMINGS)}")

    def name(shape: str) -> str:
        return preston_blair(shape, mapping) if names == "preston" else shape

    lines = ["MohoSwitch1"]
    last = 0
    for c in track.cues:
        frame = c.start_frame + 1
        if frame != last:
            lines.append(f"{frame} {name(c.shape)}")
            last = frame
    end = (track.cues[-1].end_frame if track.cues else 0) + 1
    lines.append(f"{max(end, last + 1)} {name('X')}")
    return "\n".join(lines) + "\n"


def write_dat(track: MouthTrack, path: str | Path, *, names: str = "preston", mapping: MouthMapping | None = None,
              sound_file: str | Path | None = None) -> Path:
    """Write Moho switch data.

    Parameters
    ----------
    track : MouthTrack
    path : str or Path
    names : {"preston", "rhubarb"}
    mapping : MouthMapping, optional
    sound_file : str or Path, optional
        Accepted like every format's, unused (switch data names no audio file).

    Returns
    -------
    Path
    """
    return write_atomic(path, to_dat(track, names=names, mapping=mapping))


DAT = register(Exporter("dat", ".dat", write_dat, "Moho switch data (MohoSwitch1, 1-based frames)"))
