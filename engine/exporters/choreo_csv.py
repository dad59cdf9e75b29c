"""Choreography as CSV, one file per character: every frame's sampled channel values with musical time."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from choreography.model import Choreography, frame_to_seconds
from engine.artifacts import write_atomic


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
    beats = bars = nums = None
    if analysis is not None:
        beats = np.array([b.t for b in analysis.beats])
        bars = np.array([b.bar for b in analysis.beats])
        nums = np.array([b.beat for b in analysis.beats])
    return [write_atomic(Path(f"{base}.{ch}.csv"), character_csv(c, ch, beats, bars, nums)) for ch in c.characters]
