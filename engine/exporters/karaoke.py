r"""The lip-sync's words as timed lyrics: enhanced LRC and ASS karaoke subtitles, one line per lyric line.

Both are what karaoke tools time lyrics in (Aegisub edits ASS karaoke; lyric players and many editors read
LRC), and both are what ``--lyrics`` reads back: an artist corrects a word's time there and gives the file
back, and each word then starts at its stamp (see the README, "Timed lyrics").

Conventions
-----------
- A line is a lyric line as the lyrics wrote it (:func:`engine.exporters.lyric_lines`: ``Word.line``, kept by
  the lyrics-aligned tiers and by a MIDI file that marks its lines; words without one, from a MIDI file that
  marks none or artefacts from before lines were kept, are cut into lines at gaps over 0.5 s). A track with no
  words (no lyrics given) is refused: there is nothing to time.
- Times are the words' own seconds (not the cue frames), to the millisecond in LRC and to the centisecond in
  ASS, whose clock counts centiseconds; each word's start is rounded once and every duration is a difference
  of rounded times, so no error accumulates along a line.

Layouts (``<t>`` is a time)::

    LRC:  [re:choreo]
          [mm:ss.xxx]<mm:ss.xxx>word <mm:ss.xxx>word ... <mm:ss.xxx>     the line's start, each word's start,
                                                                          the last word's end
    ASS:  [Script Info], [V4+ Styles] (one style, "Default"), [Events]: per line
          Dialogue: 0,<first word's start>,<last word's end>,Default,<character>,0,0,0,karaoke,{\kN}word {\kG}{\kN}word
          N: the word's length in centiseconds; G: a gap between two words (an empty syllable, as Aegisub writes it)
"""

from __future__ import annotations

from pathlib import Path

from audio.errors import ChoreoError
from audio.model import Word
from choreography.model import MouthTrack
from engine.artifacts import write_atomic
from engine.exporters import Exporter, lyric_lines, register

READER_LRC = ("choreo's lyrics reader (word stamps within 1 ms) and ffmpeg's LRC demuxer (line times, the word "
              "stamps in its text)")
READER_ASS = ("ffmpeg's ASS demuxer and pysubs2 (cue times and text), the karaoke tags summed (word starts within "
              "5 ms: centiseconds), and choreo's lyrics reader")


def _lines(track: MouthTrack) -> list[list[Word]]:
    """The track's lyric lines (:func:`engine.exporters.lyric_lines`); a track without words is refused."""
    if not track.words:
        raise ChoreoError(f"the mouth track of {track.character!r} has no words (lip-sync without lyrics): there is "
                          "nothing to write as timed lyrics")
    return lyric_lines(track)


def _text(word: Word) -> str:
    """A word's text with nothing a timed lyrics reader would take for markup (brackets, braces, backslashes)."""
    return "".join(ch for ch in " ".join(word.text.split()) if ch not in "[]<>{}\\")


def to_lrc(track: MouthTrack) -> str:
    """Enhanced LRC text: a stamp per line, one before each word and one at the line's last word's end.

    Parameters
    ----------
    track : MouthTrack

    Returns
    -------
    str

    Raises
    ------
    ChoreoError
        The track has no words.
    """
    from audio.lyrics import lrc_stamp

    out = ["[re:choreo]"]
    for line in _lines(track):
        words = " ".join(lrc_stamp(w.start, word=True) + _text(w) for w in line)
        out.append(f"{lrc_stamp(line[0].start)}{words} {lrc_stamp(max(w.end for w in line), word=True)}")
    return "\n".join(out) + "\n"


def to_ass(track: MouthTrack) -> str:
    r"""ASS karaoke subtitles: a cue per line, a ``\k`` syllable per word and per gap between words.

    Parameters
    ----------
    track : MouthTrack

    Returns
    -------
    str

    Raises
    ------
    ChoreoError
        The track has no words.
    """
    import pysubs2

    subs = pysubs2.SSAFile()
    subs.info["Title"] = f"{track.character}: lyrics timed by choreo"
    for line in _lines(track):
        starts = [round(w.start * 100) for w in line]
        ends = [max(round(w.end * 100), s) for w, s in zip(line, starts, strict=True)]
        parts = []
        for k, (w, a, b) in enumerate(zip(line, starts, ends, strict=True)):
            b = min(b, starts[k + 1]) if k + 1 < len(line) else b  # a word ends by the next one's start
            parts.append(f"{{\\k{b - a}}}{_text(w)}" + (" " if k + 1 < len(line) else ""))
            if k + 1 < len(line) and starts[k + 1] > b:
                parts.append(f"{{\\k{starts[k + 1] - b}}}")
        subs.append(pysubs2.SSAEvent(start=starts[0] * 10, end=max(ends) * 10, name=track.character,
                                     effect="karaoke", text="".join(parts)))
    return subs.to_string("ass")


def write_lrc(track: MouthTrack, path: str | Path, *, sound_file: str | Path | None = None) -> Path:
    """Write enhanced LRC.

    Parameters
    ----------
    track : MouthTrack
    path : str or Path
    sound_file : str or Path, optional
        Accepted like every format's, unused (LRC names no audio file).

    Returns
    -------
    Path

    Raises
    ------
    ChoreoError
        The track has no words.
    """
    return write_atomic(path, to_lrc(track))


def write_ass(track: MouthTrack, path: str | Path, *, sound_file: str | Path | None = None) -> Path:
    """Write ASS karaoke subtitles.

    Parameters
    ----------
    track : MouthTrack
    path : str or Path
    sound_file : str or Path, optional
        Accepted like every format's, unused.

    Returns
    -------
    Path

    Raises
    ------
    ChoreoError
        The track has no words.
    """
    return write_atomic(path, to_ass(track))


register(Exporter("lrc", ".lrc", write_lrc, "enhanced LRC (timed lyrics): a stamp per lyric line and per word, "
                  "as karaoke tools and lyric players read it; --lyrics reads it back (each word at its stamp)",
                  needs=("words",), reader=READER_LRC))
register(Exporter("ass", ".ass", write_ass, "ASS karaoke subtitles (Aegisub): a cue per lyric line, a karaoke tag "
                  "per word; --lyrics reads it back (each word at its stamp)", needs=("words",),
                  reader=READER_ASS))
