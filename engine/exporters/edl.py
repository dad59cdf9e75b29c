"""CMX 3600 edit decision list (``.edl``) with ``LOC`` locators for sections and bars, for Avid and Resolve.

Conventions
-----------
- Record timecode starts at 01:00:00:00 (:data:`engine.exporters.song.RECORD_START_TC`): frame ``f`` of
  the song is record timecode 01:00:00:00 + f, at the choreography's rate. ``FCM: DROP FRAME`` and ``;``
  before the frames at 30000/1001 and 60000/1001, ``FCM: NON-DROP FRAME`` otherwise; rates timecode cannot
  count are an error.
- Events, in the fixed columns of CMX 3600 (3-digit event, 8-character reel ``AX``, channel, ``C`` cut,
  source in/out, record in/out): event 001 is the song on audio 1 (``A``; source timecode from 00:00:00:00,
  ``* FROM CLIP NAME:`` its file name) and carries every locator; then one video event per camera shot
  (:func:`engine.exporters.song.shot_clips`), named by its kind, its source timecode the frame in
  the rendered preview.
- Locators, one comment line each under event 001: ``* LOC: <record tc> <COLOUR> <name>``: sections
  (``C chorus``, coloured by kind) and bars (``bar 12``, yellow), in time order. Lyric lines are not
  written (Avid's locator list is for edit points).
- Readers: pycmx reads every locator. OpenTimelineIO's ``cmx_3600`` adapter (otio-cmx3600-adapter 1.0)
  matches locator timecodes as ``HH:MM:SS:FF`` only and skips drop-frame ones (``01:00:08;17``): it reads
  the locators of non-drop EDLs, and the events of both.
"""

from __future__ import annotations

from pathlib import PurePath

from choreography.model import seconds_to_frame
from engine.exporters import Exporter, register
from engine.exporters.song import (
    RECORD_START_TC,
    Song,
    file_writer,
    shot_clips,
    song_markers,
    timecode,
    timecode_frames,
    timecode_rate,
)

REEL = "AX"


def _event(number: int, channel: str, src_in: int, src_out: int, rec_in: int, rec_out: int, fps) -> str:
    tcs = " ".join(timecode(f, fps) for f in (src_in, src_out, rec_in, rec_out))
    return f"{number:03d}  {REEL:<8} {channel:<4}  {'C':<4} {'':3} {tcs}"


def to_edl(song: Song) -> str:
    """The EDL text.

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
        When the frame rate has no timecode.
    """
    fps = song.fps
    _, drop = timecode_rate(fps)
    rec0 = timecode_frames(RECORD_START_TC, fps)
    n_song = seconds_to_frame(song.analysis.source.duration_s, fps)
    lines = [f"TITLE: {song.name}", f"FCM: {'DROP FRAME' if drop else 'NON-DROP FRAME'}", "",
             _event(1, "A", 0, n_song, rec0, rec0 + n_song, fps),
             f"* FROM CLIP NAME: {PurePath(song.analysis.source.path).name}"]
    for m in song_markers(song, ("section", "bar")):
        lines.append(f"* LOC: {timecode(rec0 + m.frames(fps)[0], fps)} {m.colour:<7} {m.name}")
    for i, (a, b, name) in enumerate(shot_clips(song), start=2):
        lines += ["", _event(i, "V", a, b, rec0 + a, rec0 + b, fps), f"* FROM CLIP NAME: {name}"]
    return "\n".join(lines) + "\n"


EDL = register(Exporter(
    "edl", ".edl", file_writer(to_edl),
    "CMX 3600 EDL: LOC locators for sections (coloured by kind) "
    "and bars, the song and the shot cuts as events; record timecode from 01:00:00:00",
    scope="song", needs=("choreography",),
    reader="pycmx and OpenTimelineIO's cmx_3600 adapter (locator frames, colours; the adapter "
    "skips drop-frame locators)"))
