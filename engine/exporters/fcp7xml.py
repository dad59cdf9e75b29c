"""Final Cut Pro 7 XML (``.fcp7.xml``), written by OpenTimelineIO's FCP 7 XML adapter (``otio-fcp-adapter``).

Conventions
-----------
- The timeline is the one :mod:`engine.exporters.otio_timeline` builds (the song as an audio clip, the
  shot plan as a video track, sequence markers for sections, bars and lyric lines, 01:00:00:00 start);
  the adapter turns it into an ``xmeml`` sequence. Marker ``in``/``out`` are frames from the sequence start
  at the choreography's rate (``timebase`` 30 with ``ntsc`` TRUE for 30000/1001); the sequence timecode
  is 01:00:00:00, drop-frame (``01:00:00;00``, ``displayformat`` DF) at 30000/1001 and 60000/1001.
- FCP 7 markers have a name and a position only: the colours and comments of the other timeline formats
  are not kept.
- Needs ``opentimelineio`` and ``otio-fcp-adapter`` (``pip install opentimelineio otio-fcp-adapter``;
  the ``dev`` extra has them); without them this format is an error, the others still work.
"""

from __future__ import annotations

import json

from audio.errors import ChoreoError
from engine.exporters import Exporter, register
from engine.exporters.otio_timeline import to_otio
from engine.exporters.song import Song, file_writer, timecode_rate


def check_adapter() -> None:
    """Check that OpenTimelineIO and its FCP 7 XML adapter are installed.

    Raises
    ------
    ChoreoError
        Saying what to install, when either is missing.
    """
    missing = ChoreoError("the fcp7xml format needs OpenTimelineIO's FCP 7 XML adapter: pip install "
                          "opentimelineio otio-fcp-adapter")
    try:
        import opentimelineio as otio
    except ImportError:
        raise missing from None
    if "fcp_xml" not in otio.adapters.available_adapter_names():
        raise missing


def to_fcp7xml(song: Song) -> str:
    """The FCP 7 XML text.

    Parameters
    ----------
    song : Song
        Needs the choreography.

    Returns
    -------
    str

    Raises
    ------
    ChoreoError
        When OpenTimelineIO or its FCP 7 XML adapter is not installed.
    """
    check_adapter()
    import opentimelineio as otio

    timeline = otio.adapters.read_from_string(json.dumps(to_otio(song)), "otio_json")
    if timecode_rate(song.fps)[1]:  # the adapter writes non-drop timecode unless the metadata asks for DF
        timeline.metadata["fcp_xml"] = {"timecode": {"displayformat": "DF"}}
    return otio.adapters.write_to_string(timeline, "fcp_xml")


FCP7XML = register(Exporter(
    "fcp7xml", ".fcp7.xml", file_writer(to_fcp7xml),
    "Final Cut Pro 7 XML (via otio-fcp-adapter): "
    "the same timeline as otio, marker names and positions only (colours and comments "
    "are not kept); needs OpenTimelineIO and its FCP 7 adapter at run time: pip install opentimelineio "
    "otio-fcp-adapter", scope="song", needs=("choreography",),
    reader="otio-fcp-adapter (marker frames, shot clip ranges)", check=check_adapter))
