"""Choreography as CSV (format ``csv``), one file per character: every frame's channel values with musical time.

Conventions
-----------
- One row per frame ``0 .. duration_frames - 1``: ``frame``, ``time_s`` (the frame's time, 4 decimals),
  ``bar`` and ``beat`` (the analysis' bar and beat in effect, empty before the first beat or without an
  analysis), ``move`` (the move being danced, empty between moves), then the character's channels in name
  order (``l_upper_arm.rot`` degrees from rest, ``root.x``/``root.y`` px), sampled as the renderer samples
  them (:func:`choreography.sampling.sample_track`), 3 decimals.
- ``choreo export --to csv`` writes ``SONG.CHARACTER.csv`` per character (the ``dancer`` scope of the
  registry); ``choreo choreograph --csv`` writes the same files beside the choreography.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from choreography.model import Choreography, frame_to_seconds
from engine.artifacts import write_atomic
from engine.exporters import Exporter, register


def character_csv(c: Choreography, character: str, beats_s: np.ndarray | None = None,
                  bars: np.ndarray | None = None, beat_numbers: np.ndarray | None = None) -> str:
    """CSV text of one character's channels sampled at every frame.

    Columns: ``frame``, ``time_s``, ``bar``, ``beat`` (the bar and beat in effect, empty without an
    analysis), ``move`` (the move being danced), then one column per channel (degrees or px).

    Parameters
    ----------
    c : Choreography
    character : str
    beats_s, bars, beat_numbers : np.ndarray, optional
        The analysis' beat times, bar and beat numbers.

    Returns
    -------
    str
    """
    from choreography.sampling import sample_track

    names = sorted(k for k in c.tracks if k.startswith(f"{character}/"))
    cols = [sample_track(c.tracks[k], c.duration_frames) for k in names]
    move_at = np.full(c.duration_frames, "", dtype=object)
    for m in c.moves:
        if m.character == character:
            move_at[m.start_frame:m.end_frame] = m.move
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["frame", "time_s", "bar", "beat", "move", *[k.split("/", 1)[1] for k in names]])
    for f in range(c.duration_frames):
        t = frame_to_seconds(f, c.fps)
        bar = beat = ""
        if beats_s is not None and beats_s.size and t >= beats_s[0]:
            j = int(np.searchsorted(beats_s, t + 1e-9) - 1)
            bar, beat = int(bars[j]), int(beat_numbers[j])
        w.writerow([f, f"{t:.4f}", bar, beat, move_at[f], *[f"{col[f]:.3f}" for col in cols]])
    return buf.getvalue()


def _beat_arrays(analysis) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    if analysis is None:
        return None, None, None
    return (np.array([b.t for b in analysis.beats]), np.array([b.bar for b in analysis.beats]),
            np.array([b.beat for b in analysis.beats]))


def write_character(job: tuple, path: str | Path) -> Path:
    """Write one character's CSV (the registry's ``csv`` writer).

    Parameters
    ----------
    job : tuple of (Song, str)
        The song (its choreography and analysis) and the character.
    path : str or Path

    Returns
    -------
    Path
    """
    song, character = job
    return write_atomic(path, character_csv(song.choreography, character, *_beat_arrays(song.analysis)))


def write_csvs(c: Choreography, base: str | Path, analysis=None) -> list[Path]:
    """Write ``<base>.<character>.csv`` for every character (atomically).

    Parameters
    ----------
    c : Choreography
    base : str or Path
        Path without the suffix.
    analysis : Analysis, optional
        For the bar and beat columns.

    Returns
    -------
    list of Path
    """
    arrays = _beat_arrays(analysis)
    return [write_atomic(Path(f"{base}.{ch}.csv"), character_csv(c, ch, *arrays)) for ch in c.characters]


CSV = register(Exporter(
    "csv", ".csv", write_character,
    "every frame of one character: frame, time, bar, beat, move and each channel's value (degrees, px), "
    "as the renderer samples it", scope="dancer", needs=("choreography",),
    reader="Python's csv module (tests/test_export_xdts.py: every row against choreo's sampler)"))
