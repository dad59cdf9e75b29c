r"""Audacity label track (``.labels.txt``): sections, bars and lyric lines, for File > Import > Labels.

Conventions
-----------
- Audacity's label text format: one label per line, ``<start>\t<end>\t<label>``, times in seconds with
  six decimals (Audacity's own precision), sorted by start. A bar is a point label (start equals end).
- Times are the analysis' and the mouth tracks' seconds, not frames: Audacity works on the audio.
- Labels: sections ``C chorus``, bars ``bar 12``, lyric lines their words
  (:func:`engine.exporters.song.song_markers`); tabs and line breaks in a text become spaces.
"""

from __future__ import annotations

from engine.exporters import Exporter, register
from engine.exporters.song import Song, file_writer, song_markers


def to_labels(song: Song) -> str:
    """The label file's text.

    Parameters
    ----------
    song : Song

    Returns
    -------
    str
    """
    lines = [f"{m.start:.6f}\t{m.end:.6f}\t{' '.join(m.name.split())}" for m in song_markers(song)]
    return "\n".join(lines) + "\n" if lines else ""


AUDACITY = register(Exporter(
    "audacity", ".labels.txt", file_writer(to_labels),
    "Audacity label track (TSV: start, end, "
    "label) of sections, bars and lyric lines, in seconds", scope="song",
    reader="the tests' TSV parser (label text, times within 1 µs)"))
