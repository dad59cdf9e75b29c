"""Standard MIDI File (``.markers.mid``): the song's tempo map, meter, section markers and lyric cue points.

Conventions
-----------
- Type 1, one track (the conductor track a DAW reads its tempo map, meter and markers from), 960 ticks per
  quarter note. Text is UTF-8.
- A MIDI beat is the analysis' beat: 960 ticks per beat in x/4 meters, 1440 in compound 6/8 (the beat is
  a dotted quarter). Beat ``i`` of the analysis is on tick ``(pre + i) * ticks_per_beat``.
- Tempo: one ``set_tempo`` per beat (skipped where it equals the one before), chosen so that every beat's
  MIDI time is the analysis' beat time: the microseconds per quarter note are rounded with the rounding
  error carried to the next beat, so a beat is never more than half a microsecond (per quarter note) off,
  however long the song. After the last beat the last tempo holds.
- Tick 0 is the song's first sample. The time before the first beat is a pre-roll of ``pre`` beats at an
  even tempo that completes the first beat's bar (so the analysis' downbeats are MIDI bar lines), plus
  whole bars when the wait is long: MIDI bar 1 is the analysis' bar 0 (the pickup, or the time before the
  first downbeat), MIDI bar ``n + 1`` the analysis' bar ``n``. A first beat within half a millisecond of
  0 s gets no pre-roll. When the first beat comes very early the pre-roll beats are very short (a fast
  tempo for that bar only).
- ``time_signature`` at tick 0 and wherever a bar's length in beats changes (a short last bar, where the
  song ends, is not a change). Section markers (``marker``, ``"C chorus"``) and lyric lines (``cue_marker``)
  sit on the tick nearest their time (:meth:`TempoMap.tick_at`).
"""

from __future__ import annotations

import bisect
import io
from dataclasses import dataclass

from audio.errors import ChoreoError
from audio.model import Analysis
from engine.exporters import Exporter, register
from engine.exporters.song import Song, file_writer, song_markers

TICKS_PER_QUARTER = 960
NO_PREROLL_S = 0.0005
MAX_TEMPO = 0xFFFFFF  # microseconds per quarter note: the largest a set_tempo event holds


@dataclass(frozen=True)
class TempoMap:
    """The MIDI timing of a song.

    Attributes
    ----------
    ticks_per_beat : int
        Ticks per analysis beat.
    pre : int
        Pre-roll beats before the analysis' first beat.
    grid_ticks : tuple of int
        Tick of every grid beat: the pre-roll beats, then the analysis' beats.
    grid_times : tuple of float
        The MIDI time (s) of every grid beat, as a reader integrating the tempo events gets it.
    grid_tempos : tuple of int
        Microseconds per quarter note from each grid beat on.
    tempos : tuple of (int, int)
        The ``set_tempo`` events: tick and microseconds per quarter note.
    time_signatures : tuple of (int, int, int)
        The ``time_signature`` events: tick, numerator, denominator.
    """

    ticks_per_beat: int
    pre: int
    grid_ticks: tuple[int, ...]
    grid_times: tuple[float, ...]
    grid_tempos: tuple[int, ...]
    tempos: tuple[tuple[int, int], ...]
    time_signatures: tuple[tuple[int, int, int], ...]

    def tick_at(self, t: float) -> int:
        """The tick nearest a time.

        Parameters
        ----------
        t : float, seconds

        Returns
        -------
        int
        """
        j = max(bisect.bisect_right(self.grid_times, t) - 1, 0)
        ticks = self.grid_ticks[j] + (t - self.grid_times[j]) * 1e6 * TICKS_PER_QUARTER / self.grid_tempos[j]
        return max(int(round(ticks)), 0)


def _meter(analysis: Analysis) -> tuple[int, int, int]:
    """Beats per bar, the notated numerator per beat and the denominator (6/8 in two: 2, 3, 8)."""
    n = analysis.meter.beats_per_bar
    num, _, den = analysis.meter.time_signature.partition("/")
    if num.isdigit() and den.isdigit() and int(num) % n == 0 and (TICKS_PER_QUARTER * 4) % int(den) == 0:
        return n, int(num) // n, int(den)
    return n, 1, 4


def tempo_map(analysis: Analysis) -> TempoMap:
    """The tempo map, pre-roll and time signatures that put every analysis beat on its MIDI beat.

    Parameters
    ----------
    analysis : Analysis

    Returns
    -------
    TempoMap

    Raises
    ------
    ChoreoError
        When the analysis has fewer than two beats.
    """
    beats = analysis.beats
    if len(beats) < 2:
        raise ChoreoError("the analysis has fewer than two beats: there is no tempo map to write")
    n, per_beat, den = _meter(analysis)
    quarters = per_beat * 4 / den
    tpb = TICKS_PER_QUARTER * per_beat * 4 // den
    t0, p = beats[0].t, (beats[0].beat - 1) % n
    pre = 0
    if t0 >= NO_PREROLL_S:
        whole = round((t0 / (beats[1].t - t0) - p) / n)
        pre = p + n * max(whole, 0 if p else 1)
    targets = [t0 * j / pre for j in range(pre)] + [b.t for b in beats]
    times, tempos = [0.0], []
    for target in targets[1:]:
        us = min(max(round((target - times[-1]) * 1e6 / quarters), 1), MAX_TEMPO)
        tempos.append(us)
        times.append(times[-1] + us * quarters / 1e6)
    tempos.append(tempos[-1])
    ticks = [j * tpb for j in range(len(targets))]
    lead = p if pre else 0  # pre-roll beats that complete the first beat's bar
    bars = [("pre", j // n) for j in range(pre - lead)] + [beats[0].bar] * lead + [b.bar for b in beats]
    starts = [j for j in range(len(bars)) if j == 0 or bars[j] != bars[j - 1]]
    lengths = [b - a for a, b in zip(starts, [*starts[1:], len(bars)], strict=True)]
    signatures, current = [], None
    for i, (start, length) in enumerate(zip(starts, lengths, strict=True)):
        if length != current and not (i == len(starts) - 1 and current is not None and length < current):
            signatures.append((ticks[start], length * per_beat, den))
            current = length
    changes = [(ticks[j], us) for j, us in enumerate(tempos[:-1]) if j == 0 or us != tempos[j - 1]]
    return TempoMap(tpb, pre, tuple(ticks), tuple(times), tuple(tempos), tuple(changes), tuple(signatures))


def midi_events(song: Song) -> list[tuple[int, str, dict]]:
    """Every meta event of the file, in order: ``(tick, mido meta type, its fields)``.

    Parameters
    ----------
    song : Song

    Returns
    -------
    list of tuple
        ``track_name``, ``time_signature``, ``set_tempo``, ``marker`` (sections) and ``cue_marker`` (lyric
        lines), sorted by tick (in that order on the same tick), then ``end_of_track``.
    """
    tm = tempo_map(song.analysis)
    quarters_per_beat = tm.ticks_per_beat / TICKS_PER_QUARTER
    events: list[tuple[int, int, str, dict]] = [(0, 0, "track_name", {"name": song.name})]
    events += [(tick, 1, "time_signature", {"numerator": num, "denominator": den,
                                            "clocks_per_click": round(24 * quarters_per_beat),
                                            "notated_32nd_notes_per_beat": 8})
               for tick, num, den in tm.time_signatures]
    events += [(tick, 2, "set_tempo", {"tempo": us}) for tick, us in tm.tempos]
    for m in song_markers(song, ("section", "lyric")):
        kind = "marker" if m.kind == "section" else "cue_marker"
        events.append((tm.tick_at(m.start), 3 if kind == "marker" else 4, kind, {"text": m.name}))
    events.sort(key=lambda e: (e[0], e[1]))
    end = max(tm.tick_at(song.analysis.source.duration_s), events[-1][0])
    return [(tick, kind, fields) for tick, _, kind, fields in events] + [(end, "end_of_track", {})]


def to_midi(song: Song) -> bytes:
    """The Standard MIDI File bytes.

    Parameters
    ----------
    song : Song

    Returns
    -------
    bytes
    """
    import mido
    from mido.midifiles.meta import meta_charset

    track = mido.MidiTrack()
    last = 0
    for tick, kind, fields in midi_events(song):
        track.append(mido.MetaMessage(kind, time=tick - last, **fields))
        last = tick
    buf = io.BytesIO()
    with meta_charset("utf-8"):
        mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_QUARTER, tracks=[track]).save(file=buf)
    return buf.getvalue()


MIDI = register(Exporter(
    "midi", ".markers.mid", file_writer(to_midi),
    "Standard MIDI File: tempo map (a tempo per beat, "
    "beats within 1 ms of the analysis), time signatures, section markers, lyric lines as cue "
    "points", scope="song",
    reader="mido and midicsv (event ticks exactly, beat times within 1 ms)"))
