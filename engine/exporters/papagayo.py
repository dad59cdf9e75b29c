r"""Papagayo project files (``.pgo``, "lipsync version 1"): words and Preston Blair phonemes on frames.

Conventions
-----------
Layout, as Papagayo (and Papagayo-NG) save it; tabs give the depth, one value per line except words and
phonemes::

    lipsync version 1
    <sound file path>
    <fps, whole number>
    <sound duration in frames>
    <number of voices>                      always 1 here: one track, one character
    \t<voice name>                          the track's character
    \t<voice text>                          the phrases' texts joined with "|"
    \t<number of phrases>
    \t\t<phrase text>                        its words joined with spaces
    \t\t<phrase start frame>
    \t\t<phrase end frame>
    \t\t<number of words>
    \t\t\t<word> <start frame> <end frame> <number of phonemes>
    \t\t\t\t<frame> <phoneme>

- Frames are 0-based, word and phrase end frames inclusive; a phrase spans its words.
- Phonemes use Papagayo's Preston Blair set (``AI E etc FV L MBP O rest U WQ``): each phone of the word
  (``track.phonemes`` whose midpoint falls in the word) gets its mapping's Preston Blair name. A word with
  no phones gets the shapes of the cues under it; a track with no words (loudness fallback) gets one
  word ``~`` per run of non-rest cues, so the mouth still moves in Papagayo.
- Phrases are the lyric lines where the words know them (:func:`engine.exporters.lyric_lines`), else runs of
  words (or of the ``~`` words standing for the cues) with gaps of at most ``phrase_gap_s`` (0.5 s) between
  them.
- Papagayo only knows whole frame rates. A rational fps (30000/1001) is written rounded (30) and all
  frames are counted at that rounded rate, so that Papagayo, which plays frame ``n`` at ``n / fps``
  seconds, stays in sync with the audio; a :class:`UserWarning` says so.
- Papagayo reads a word line by splitting on white space, so spaces inside a word become ``_``.
"""

from __future__ import annotations

import bisect
import warnings
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from choreography.model import MouthTrack, fps_str, frame_to_seconds, seconds_to_frame
from choreography.mouth import MouthMapping, load_mapping, normalise_phone, preston_blair
from engine.artifacts import write_atomic
from engine.exporters import LINE_GAP_S, Exporter, lyric_lines, register, sound_file_of, split_at_gaps

HEADER = "lipsync version 1"
STAND_IN_WORD = "~"


@dataclass
class _PgoWord:
    text: str
    start_s: float
    end_s: float
    start: int = 0
    end: int = 0
    phonemes: list[tuple[int, str]] = field(default_factory=list)


def _word_text(text: str) -> str:
    t = "_".join(str(text).split()).replace("|", "/")
    return t or STAND_IN_WORD


def _cue_spans_s(track: MouthTrack) -> list[tuple[float, float, str]]:
    return [(frame_to_seconds(c.start_frame, track.fps), frame_to_seconds(c.end_frame, track.fps), c.shape)
            for c in track.cues]


def _words(track: MouthTrack) -> list[_PgoWord]:
    if track.words:
        return [_PgoWord(_word_text(w.text), float(w.start), float(w.end))
                for w in sorted(track.words, key=lambda w: (w.start, w.end))]
    runs: list[_PgoWord] = []
    for a, b, shape in _cue_spans_s(track):
        if shape == "X":
            continue
        if runs and abs(runs[-1].end_s - a) < 1e-9:
            runs[-1].end_s = b
        else:
            runs.append(_PgoWord(STAND_IN_WORD, a, b))
    return runs


def _place(words: list[_PgoWord], track: MouthTrack, fps: Fraction, total: int, mapping: MouthMapping) -> None:
    """Frames of words (disjoint, inclusive ends) and their phonemes (inside the word, in order)."""
    by_mid = sorted((0.5 * (p.start + p.end), k, p) for k, p in enumerate(track.phonemes)
                    if normalise_phone(p.phone) != "SIL")
    mids = [m for m, _, _ in by_mid]
    used = [False] * len(by_mid)
    cues = _cue_spans_s(track)
    prev_end = -1
    for w in words:
        w.start = max(seconds_to_frame(w.start_s, fps), prev_end + 1)
        w.end = min(max(seconds_to_frame(w.end_s, fps) - 1, w.start), max(total - 1, w.start))
        prev_end = w.end
        for i in range(bisect.bisect_left(mids, w.start_s), bisect.bisect_left(mids, w.end_s)):
            if not used[i]:
                used[i] = True
                p = by_mid[i][2]
                w.phonemes.append((seconds_to_frame(p.start, fps), mapping.preston_blair_for(p.phone)))
        if not w.phonemes:
            w.phonemes = [(seconds_to_frame(max(a, w.start_s), fps), preston_blair(shape, mapping))
                          for a, b, shape in cues if b > w.start_s and a < w.end_s and shape != "X"]
        if not w.phonemes:
            w.phonemes = [(w.start, preston_blair("X", mapping))]
        placed, frame = [], w.start
        for f, name in w.phonemes:
            frame = min(max(f, frame), w.end)
            placed.append((frame, name))
        w.phonemes = placed


def _phrases(words: list[_PgoWord], track: MouthTrack, gap_s: float) -> list[list[_PgoWord]]:
    if track.words:  # the lyric lines (the track's words, in the same order as ``words``)
        it = iter(words)
        return [[next(it) for _ in line] for line in lyric_lines(track, gap_s=gap_s)]
    return [[words[i] for i in run] for run in split_at_gaps([(w.start_s, w.end_s) for w in words], gap_s)]


def pgo_fps(fps: Fraction) -> int:
    """The whole frame rate Papagayo gets for a track's fps (``30000/1001`` -> 30).

    Parameters
    ----------
    fps : Fraction, frames per second

    Returns
    -------
    int
    """
    return max(1, int(fps + Fraction(1, 2)))


def to_pgo(track: MouthTrack, *, sound_file: str | Path | None = None, voice: str | None = None,
           mapping: MouthMapping | None = None, phrase_gap_s: float = LINE_GAP_S) -> str:
    """Papagayo project text for one track (one voice).

    Parameters
    ----------
    track : MouthTrack
    sound_file : str or Path, optional
        The audio path Papagayo opens (relative paths are relative to the .pgo); see
        :func:`engine.exporters.sound_file_of`.
    voice : str, optional
        Voice name; default the track's character.
    mapping : MouthMapping, optional
        For the Preston Blair names of phones; default mapping otherwise.
    phrase_gap_s : float, seconds
        Where the words do not know their lyric lines: a longer gap between words starts a new phrase.

    Returns
    -------
    str
    """
    mapping = mapping or load_mapping()
    fps_int = pgo_fps(track.fps)
    if Fraction(fps_int) != track.fps:
        warnings.warn(f"Papagayo stores whole frame rates: {fps_str(track.fps)} fps is written as {fps_int} and "
                      f"the .pgo counts frames at {fps_int} fps (times stay in sync with the audio)",
                      UserWarning, stacklevel=3)
    fps = Fraction(fps_int)
    end_s = frame_to_seconds(track.cues[-1].end_frame, track.fps) if track.cues else 0.0
    total = seconds_to_frame(end_s, fps)
    words = _words(track)
    _place(words, track, fps, total, mapping)
    phrases = _phrases(words, track, phrase_gap_s)
    phrase_texts = [" ".join(w.text for w in ph) for ph in phrases]
    name = " ".join(str(voice if voice is not None else track.character).split()) or "voice"
    lines = [HEADER, " ".join(sound_file_of(track, sound_file).splitlines()), str(fps_int), str(total), "1",
             f"\t{name}", f"\t{'|'.join(phrase_texts)}", f"\t{len(phrases)}"]
    for ph, text in zip(phrases, phrase_texts, strict=True):
        lines += [f"\t\t{text}", f"\t\t{ph[0].start}", f"\t\t{ph[-1].end}", f"\t\t{len(ph)}"]
        for w in ph:
            lines.append(f"\t\t\t{w.text} {w.start} {w.end} {len(w.phonemes)}")
            lines += [f"\t\t\t\t{f} {n}" for f, n in w.phonemes]
    return "\n".join(lines) + "\n"


def write_pgo(track: MouthTrack, path: str | Path, *, sound_file: str | Path | None = None,
              voice: str | None = None, mapping: MouthMapping | None = None,
              phrase_gap_s: float = LINE_GAP_S) -> Path:
    """Write a Papagayo project.

    Parameters
    ----------
    track : MouthTrack
    path : str or Path
    sound_file, voice, mapping, phrase_gap_s
        As for :func:`to_pgo`.

    Returns
    -------
    Path
    """
    return write_atomic(path, to_pgo(track, sound_file=sound_file, voice=voice, mapping=mapping,
                                     phrase_gap_s=phrase_gap_s))


PGO = register(Exporter("pgo", ".pgo", write_pgo, "Papagayo project (lipsync version 1, Preston Blair phonemes)"))
