r"""The lip-sync's words as timed lyrics: enhanced LRC, ASS karaoke, SubRip and WebVTT, one line per lyric line.

Enhanced LRC and ASS karaoke are what karaoke tools time lyrics in (Aegisub edits ASS karaoke; lyric players and
many editors read LRC); SubRip is what editing tools import as captions (the lyrics over the animatic) and
WebVTT what browsers show, a word at a time. All four are what ``--lyrics`` reads back: an artist corrects a
word's time there and gives the file back, and each word then starts at its stamp (SubRip times lines only; see
the README, "Timed lyrics").

Conventions
-----------
- A line is a lyric line as the lyrics wrote it (:func:`engine.exporters.lyric_lines`: ``Word.line``, kept by
  the lyrics-aligned tiers and by a MIDI file that marks its lines; words without one, from a MIDI file that
  marks none or artefacts from before lines were kept, are cut into lines at gaps over 0.5 s). A track with no
  words (no lyrics given) is refused: there is nothing to time.
- Times are the words' own seconds (not the cue frames), to the millisecond in LRC, SubRip and WebVTT and to
  the centisecond in ASS, whose clock counts centiseconds; each word's start is rounded once and every
  duration is a difference of rounded times, so no error accumulates along a line.

Layouts (``<t>`` is a time)::

    LRC:  [re:choreo]
          [mm:ss.xxx]<mm:ss.xxx>word <mm:ss.xxx>word ... <mm:ss.xxx>     the line's start, each word's start,
                                                                          the last word's end
    ASS:  [Script Info], [V4+ Styles] (one style, "Default"), [Events]: per line
          Dialogue: 0,<first word's start>,<last word's end>,Default,<character>,0,0,0,karaoke,{\kN}word {\kG}{\kN}word
          N: the word's length in centiseconds; G: a gap between two words (an empty syllable, as Aegisub writes it)
    SRT:  per line: its number, "hh:mm:ss,xxx --> hh:mm:ss,xxx" (first word's start, last word's end), its words
    VTT:  WEBVTT, then per line: "hh:mm:ss.xxx --> hh:mm:ss.xxx", its words, each after the first preceded by a
          cue timestamp "<hh:mm:ss.xxx>" (where it starts; the first starts with the cue)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from audio.errors import ChoreoError
from audio.model import Word
from choreography.model import MouthTrack
from engine.artifacts import write_atomic
from engine.exporters import Exporter, lyric_lines, register

READER_LRC = ("choreo's lyrics reader (word stamps within 1 ms) and ffmpeg's LRC demuxer (line times, the word "
              "stamps in its text)")
READER_SRT = "ffmpeg's SubRip demuxer, pysubs2 and choreo's lyrics reader (cue times to the millisecond)"
READER_VTT = ("Chromium's WebVTT parser (a <track> of an <audio> element: cue times, the words and their timestamps "
              "to the millisecond), ffmpeg's WebVTT demuxer and choreo's lyrics reader")
READER_ASS = ("ffmpeg's ASS demuxer and pysubs2 (cue times and text), the karaoke tags summed (word starts within "
              "5 ms: centiseconds), choreo's lyrics reader, and libass (ffmpeg's subtitles filter) drawing a line "
              "at the bottom centre of a 1080p frame at its size")
# The ASS export's script resolution and font size: a 1080p frame, the lyrics at about a seventeenth of its height
# (pysubs2's default, Arial 20 at SSA's 384 x 288, drew them at a fourteenth, red until sung).
ASS_PLAY_RES = (1920, 1080)
ASS_FONT_SIZE = 64


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
    subs.info.update({"Title": f"{track.character}: lyrics timed by choreo", "PlayResX": str(ASS_PLAY_RES[0]),
                      "PlayResY": str(ASS_PLAY_RES[1])})
    style = subs.styles["Default"]  # white, with the words to come grey, on a black outline at the bottom centre
    style.fontsize, style.outline, style.shadow, style.marginv = ASS_FONT_SIZE, 3.0, 1.0, ASS_PLAY_RES[1] // 18
    style.primarycolor, style.secondarycolor = pysubs2.Color(255, 255, 255), pysubs2.Color(150, 150, 150)
    style.outlinecolor, style.alignment = pysubs2.Color(0, 0, 0), pysubs2.Alignment.BOTTOM_CENTER
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


def _clock(seconds: float, sep: str) -> str:
    """A subtitle time "hh:mm:ss.xxx" (``sep`` before the milliseconds: "," in SubRip, "." in WebVTT)."""
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}{sep}{ms % 1000:03d}"


def to_srt(track: MouthTrack) -> str:
    """SubRip captions: a cue per lyric line, from its first word's start to its last word's end.

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
    return "".join(f"{k}\n{_clock(line[0].start, ',')} --> {_clock(max(w.end for w in line), ',')}\n"
                   f"{' '.join(_text(w) for w in line)}\n\n" for k, line in enumerate(_lines(track), start=1))


def to_vtt(track: MouthTrack) -> str:
    """WebVTT: a cue per lyric line, a cue timestamp before each of its words after the first.

    A cue timestamp must come after the cue's start and the one before it: a word that starts no later than the
    word before it (to the millisecond) shares that word's time and gets none.

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
    out = ["WEBVTT", ""]
    for line in _lines(track):
        last, words = round(line[0].start * 1000), []
        for w in line:  # the first word starts with the cue: no timestamp (one must come after the cue's start)
            ms = round(w.start * 1000)
            words.append((f"<{_clock(ms / 1000, '.')}>" if ms > last else "") + _text(w).replace("&", "&amp;"))
            last = max(last, ms)
        out += [f"{_clock(line[0].start, '.')} --> {_clock(max(w.end for w in line), '.')}", " ".join(words), ""]
    return "\n".join(out)


def _writer(to_text: Callable[[MouthTrack], str], what: str) -> Callable[..., Path]:
    """The ``write`` of a timed-lyrics format: ``to_text``'s text written atomically; ``what`` names the format."""

    def write(track: MouthTrack, path: str | Path, *, sound_file: str | Path | None = None) -> Path:
        return write_atomic(path, to_text(track))

    write.__doc__ = f"""Write {what}.

    Parameters
    ----------
    track : MouthTrack
    path : str or Path
    sound_file : str or Path, optional
        Accepted like every format's, unused (the file names no audio).

    Returns
    -------
    Path

    Raises
    ------
    ChoreoError
        The track has no words.
    """
    return write


write_lrc = _writer(to_lrc, "enhanced LRC")
write_ass = _writer(to_ass, "ASS karaoke subtitles")
write_srt = _writer(to_srt, "SubRip captions")
write_vtt = _writer(to_vtt, "WebVTT captions with a timestamp per word")


register(Exporter("lrc", ".lrc", write_lrc, "enhanced LRC (timed lyrics): a stamp per lyric line and per word, "
                  "as karaoke tools and lyric players read it; --lyrics reads it back (each word at its stamp)",
                  needs=("words",), reader=READER_LRC))
register(Exporter("ass", ".ass", write_ass, "ASS karaoke subtitles (Aegisub): a cue per lyric line, a karaoke tag "
                  "per word; --lyrics reads it back (each word at its stamp)", needs=("words",),
                  reader=READER_ASS))
register(Exporter("srt", ".srt", write_srt, "SubRip captions: a cue per lyric line, as editing tools import "
                  "captions; --lyrics reads it back (timed lines)", needs=("words",), reader=READER_SRT))
register(Exporter("vtt", ".vtt", write_vtt, "WebVTT captions: a cue per lyric line, a timestamp per word (browsers "
                  "show the words as they are sung); --lyrics reads it back (each word at its stamp)",
                  needs=("words",), reader=READER_VTT))
