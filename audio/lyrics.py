"""Lyrics: text to lines, words, syllables and phones.

Conventions
-----------
- Phones are ARPAbet without stress digits (see :data:`VOWELS`); pronunciations come from
  pocketsphinx's English dictionary, and from espeak-ng for words it does not know (and for other
  languages).
- A syllable is one vowel nucleus with its onset and coda consonants, split by the maximal-onset rule
  (consonants between two vowels go to the second syllable as far as they form a legal English onset).
- Line breaks in the lyrics are phrase boundaries: singers breathe there, and the aligners expect pauses.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any, NamedTuple

from audio.errors import InputError

VOWELS = frozenset({"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"})
CONSONANTS = frozenset({"B", "CH", "D", "DH", "F", "G", "HH", "JH", "K", "L", "M", "N", "NG", "P", "R", "S", "SH",
                        "T", "TH", "V", "W", "Y", "Z", "ZH"})
ONSETS = frozenset({
    ("P", "R"), ("T", "R"), ("K", "R"), ("B", "R"), ("D", "R"), ("G", "R"), ("F", "R"), ("TH", "R"), ("SH", "R"),
    ("P", "L"), ("K", "L"), ("B", "L"), ("G", "L"), ("F", "L"), ("S", "L"), ("S", "P"), ("S", "T"), ("S", "K"),
    ("S", "M"), ("S", "N"), ("S", "W"), ("T", "W"), ("K", "W"), ("D", "W"), ("P", "Y"), ("K", "Y"), ("B", "Y"),
    ("F", "Y"), ("M", "Y"), ("HH", "Y"), ("V", "Y"),
    ("S", "T", "R"), ("S", "P", "R"), ("S", "K", "R"), ("S", "P", "L"), ("S", "K", "W"),
})
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


@dataclass(frozen=True)
class Syllable:
    """One syllable: its phones split into onset, nucleus (one vowel) and coda."""

    onset: tuple[str, ...]
    nucleus: str
    coda: tuple[str, ...]

    @property
    def phones(self) -> tuple[str, ...]:
        """All phones in order."""
        return (*self.onset, self.nucleus, *self.coda)


@dataclass(frozen=True)
class LyricWord:
    """A word of the lyrics with its syllables, its line number and whether it ends its line."""

    text: str
    syllables: tuple[Syllable, ...]
    line: int
    line_end: bool
    source: str = "dictionary"
    written_at: tuple[int, int] = (0, 0)
    """(Word of its written line, character of that word) where it starts: a kana word gives one per mora."""

    @property
    def place(self) -> tuple[int, tuple[int, int]]:
        """Where it is written: (line, ``written_at``), as a timed lyrics file's stamps say (``Stamp.line, .at``)."""
        return self.line, self.written_at


class Stamp(NamedTuple):
    """A timestamp of a timed lyrics file: where a line, or a word of it, is sung, or where the singing stops.

    Attributes
    ----------
    t : float
        Seconds.
    line : int or None
        The line (its index in :func:`read_lyrics`' list); None where the singing stops.
    at : (int, int)
        Where in the line: (word of the written line, character of that word), as ``LyricWord.written_at``.
    exact : bool
        A word's own stamp (enhanced LRC, karaoke subtitles), or the end of a timed word; False for a line's
        stamp, a display cue shown a little before the line.
    """

    t: float
    line: int | None
    at: tuple[int, int] = (0, 0)
    exact: bool = False


def read_lyrics(path: str | Path, notes: list[str] | None = None, stamps: list[Stamp] | None = None,
                stanzas: list[int] | None = None, singer: str | None = None,
                sung: list[bool] | None = None) -> list[list[str]]:
    """Read a lyrics file: UTF-8 text, one sung line per line; blank lines separate stanzas.

    Repeat marks are written out, and a timed lyrics file (LRC, or subtitles) is read with its timestamps
    (:func:`split_lines`).

    Parameters
    ----------
    path : str or Path
    notes : list of str, optional
        Where to add one note naming the repeat marks written out, if any.
    stamps : list, optional
        Where to put the timestamps of a timed lyrics file (see :func:`split_lines`); left empty otherwise.
    stanzas : list of int, optional
        Where to put the lines that start a stanza (see :func:`split_lines`).
    singer : str, optional
        Whose lines to keep, where the lyrics name their singers (see :func:`split_lines`).
    sung : list of bool, optional
        Given, every line is kept and this says which ``singer`` sings (see :func:`split_lines`).

    Returns
    -------
    list of list of str
        The words of every non-empty line (punctuation dropped, case kept).

    Raises
    ------
    InputError
        Missing, not UTF-8, subtitles that cannot be read, or no words at all.
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise InputError("lyrics file not found", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror})", path=path) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"is not UTF-8 text (byte {exc.start}); save the lyrics as UTF-8", path=path) from None
    try:
        lines = split_lines(text, notes, stamps, stanzas, singer, sung)
    except ValueError as exc:
        raise InputError(str(exc), path=path) from None
    if not lines:
        raise InputError("contains no words", path=path)
    return lines


# A repeat count, "x2", "x 2", "×2", "2x", "repeat", "repeat x3" (up to 99): the whole of a bracket, or the end of a
# header.
_COUNT = r"(?:[x×]\s*(\d\d?)|(\d\d?)\s*[x×]|repeat(?:\s*[x×]?\s*(\d\d?)\s*[x×]?)?)"
# A line that ends in a repeat mark, "(x2)", "[2x]", "(repeat)" or a bare "x3": the line is sung that many times.
_LINE_REPEAT = re.compile(rf"(?:[(\[]\s*{_COUNT}\s*[)\]]|\s[x×]\s*(\d\d?))\s*$", re.IGNORECASE)
# A section header alone on its line, "[Chorus]", "[Chorus x2]", "[Chorus] (x2)": its label, and a count after it.
_HEADER = re.compile(rf"^\s*\[(?P<label>[^\]]*)\]\s*(?:\(\s*(?P<tail>{_COUNT})\s*\))?\s*$", re.IGNORECASE)
_LABEL_COUNT = re.compile(rf"\s*\b{_COUNT}\s*$", re.IGNORECASE)
# The names of song sections (English, French, Spanish, German, Italian), for headers written without brackets:
# "Chorus:", "(Chorus)", "Verse 2", "(Repeat chorus)". A line that is only one of these is not sung.
_SECTION = re.compile(
    rf"\(?\s*(?:repeat\s+)?(?:(?:pre|post)[- ]?)?(?:chorus|refrain|hook|verse|bridge|intro|outro|interlude|breakdown|"
    rf"solo|instrumental|coda|middle[- ]eight|couplet|pont|coro|estribillo|estrofa|verso|puente|strophe|strofa|"
    rf"ritornello|ponte)(?:\s*\d\d?)?(?:\s*{_COUNT})?\s*\)?\s*:?(?:\s*\(\s*{_COUNT}\s*\))?", re.IGNORECASE)


def _header(line: str) -> tuple[str, int, str] | None:
    """A section header's name, count and singers; None for a lyric line.

    The name is case-folded, "repeat" and the count left out; the singers are those the header names after it
    ("[Chorus: Ada & Ben]": "Ada & Ben"; "" for none).
    """
    bracket = _HEADER.match(line)
    if bracket is not None:
        label, n = bracket["label"], 1
        if bracket["tail"] is not None:
            n = _count(re.fullmatch(_COUNT, bracket["tail"], re.IGNORECASE))
    elif _SECTION.fullmatch(text := line.strip()):
        n = 1
        if (tail := re.search(rf"\(\s*{_COUNT}\s*\)$", text, re.IGNORECASE)) is not None:
            n, text = _count(tail), text[:tail.start()]
        label = text.strip().strip("():").strip()
    else:
        return None
    if (count := _LABEL_COUNT.search(label)) is not None and n == 1:
        n, label = _count(count), label[:count.start()]
    name, _, who = label.partition(":")
    who = who.strip() if _singers(who) else ""
    label = name if who else label  # "[Verse 1: Ada]" is a verse
    return re.sub(r"^\s*repeat\s+", "", label, flags=re.IGNORECASE).strip().casefold(), n, who


# Who sings a part: a label before a lyric line ("ADA: ...", "Ada & Ben: ..."), alone on its line ("BEN:"), or after
# a section's name in its header ("[Verse 1: Ada]", as lyric sites write duets). One to four names, each one or
# two capitalised words, joined by "&", "+", ",", "/", "and", "with", "x" (and their French, Spanish, German).
_JOIN = re.compile(r"\s*(?:&|\+|,|/|\b(?:and|with|x|et|y|und)\b)\s*")
_NAME = re.compile(r"[^\W\d_][\w'.-]*(?:\s[^\W\d_][\w'.-]*)?")
_LABEL = re.compile(r"^\s*(?P<who>[^:\[\]()<>\x00]{1,40}?)\s*:(?=\s|\x00|$)\s*(?P<rest>.*)$")
# Labels naming every singer at once.
_EVERYONE = frozenset({"both", "all", "everyone", "everybody", "together", "tutti", "ensemble", "tous", "todos",
                      "alle"})


# What a header says after its section's name that is not a singer ("[Outro: Instrumental]", "[Bridge: Spoken]").
_NOT_NAME = re.compile(r"repeat|spoken|whisper(?:ed)?|ad[- ]?libs?|fade(?: out)?|a cappella", re.IGNORECASE)


def _singers(who: str) -> tuple[str, ...]:
    """The names in a singer's label (as written), or () when ``who`` is not one."""
    names = [n for n in _JOIN.split(who.strip()) if n]
    if not 1 <= len(names) <= 4 or not all(_NAME.fullmatch(n) and n[0].isupper() and not _SECTION.fullmatch(n)
                                           and not _NOT_NAME.fullmatch(n) for n in names):
        return ()
    return tuple(names)


def _labelled(line: str) -> tuple[tuple[str, ...], str] | None:
    """A lyric line's singer label, as (names, the line without it); None when it has none."""
    m = _LABEL.match(line)
    if m is None or _SECTION.fullmatch(m["who"].strip()):
        return None
    names = _singers(m["who"])
    return (names, m["rest"]) if names else None


def _count(match: re.Match) -> int:
    """The repeat count of a match of a pattern built on ``_COUNT`` ("repeat" alone: twice)."""
    numbers = [int(g) for g in match.groups() if g is not None and g.isdigit()]
    return max(numbers[0], 1) if numbers else 2


def _written_out(raw: list[str]) -> tuple[list[str], list[str]]:
    """The lyrics' lines with their repeat marks written out, and what was written out (one entry per mark).

    A line ending in a repeat mark is repeated; a mark alone on its line is left out (named). A section header
    with a count repeats the lines after it up to the next header or blank line; a header with no lines after it
    (the next line that is not blank is a header, or there is none) stands for the last section of the same
    name, which it repeats (once, or its count). A header is left as a blank line: it starts a stanza.
    """
    done: list[str] = []
    lines: list[str] = []
    heads: list[tuple[str, int, str] | None] = []  # each line's header (name, count, singers), None for a lyric line
    for line in raw:
        head = _header(line)
        mark = None if head else _LINE_REPEAT.search(line)
        n = _count(mark) if mark is not None and _WORD.search(line[:mark.start()]) else 0
        if n:
            done.append(f"'{line.strip()}' ({n} times)")
        elif mark is not None:  # a mark alone on its line: the line before it, or the stanza? not sung either way
            done.append(f"'{line.strip()}' alone on its line (left out: write out the lines it repeats)")
            continue
        lines.extend([line[:mark.start()]] * n if n else [line])
        heads.extend([None] * n if n else [head])
    out: list[str] = []
    blocks: dict[str, list[str]] = {}
    i = 0
    while i < len(lines):
        if heads[i] is None:
            out.append(lines[i])
            i += 1
            continue
        key, n, who = heads[i]
        j = i + 1
        while j < len(lines) and not lines[j].strip():  # blank lines right after the header
            j += 1
        k = j
        while k < len(lines) and lines[k].strip() and heads[k] is None:
            k += 1
        block = lines[j:k]
        if who:  # its singers label each line of its section
            block = [line if _labelled(line) else f"{who}: {line}" for line in block]
        out.append("")  # a header starts a stanza, as a blank line does
        if block:
            blocks[key] = block
            out.extend(block * n)
            if n > 1:
                done.append(f"{lines[i].strip()} ({_lines(len(block))} {n} times)")
        elif key in blocks:
            out.extend(blocks[key] * n)
            done.append(f"{lines[i].strip()} (the {_lines(len(blocks[key]))} of the last section of that name"
                        + (f", {n} times)" if n > 1 else ")"))
        elif n > 1 or re.match(r"\W*repeat", lines[i].strip(), re.IGNORECASE):
            done.append(f"{lines[i].strip()} (no section of that name before it: left out, write its lines out)")
        i = k
    return out, done


def _lines(n: int) -> str:
    return f"{n} line" if n == 1 else f"{n} lines"


# A timed lyrics file (LRC): a line starts with one or more timestamps "[mm:ss]", "[mm:ss.xx]" (or "[mm:ss:xx]",
# as some editors write them), each a time the line is sung at; "<mm:ss.xx>" inside a line times a word (enhanced
# LRC); "[ar:...]", "[ti:...]" and the like are tags, "[offset:+500]" moves every time 500 ms earlier.
_STAMP = r"\[(\d{1,3}):([0-5]?\d(?:[.:]\d{1,3})?)\]"
_STAMPED = re.compile(rf"^\s*(?P<stamps>(?:{_STAMP}\s*)+)(?P<text>.*)$")
_WORD_STAMP = re.compile(r"<(\d{1,3}):([0-5]?\d(?:[.:]\d{1,3})?)>")
_MARK = "\x00"  # where a word stamp stood in a timed line's text (no word character, and kept by _clean)
_TAG = re.compile(r"^\s*\[([a-z#]+)\s*:([^\]]*)\]\s*$", re.IGNORECASE)


# A subtitle file (SubRip, WebVTT, ASS/SSA) read as lyrics: its cue times ("00:01:02,500 --> ..."), or an ASS script.
_SUBTITLES = re.compile(r"^\s*(?:\d+:)?\d\d:\d\d[,.]\d{3}\s*-->|^\s*\[Script Info\]", re.MULTILINE)
# Karaoke in subtitles: a WebVTT cue's timestamp ("<00:01:02.500>": the word after it starts then), and an ASS
# syllable's length ("{\k50}": the text after it lasts 50 centiseconds from where the one before it ended).
_CUE_TIME = re.compile(r"<((?:\d+:)?\d\d:\d\d\.\d{3})>")
_KARAOKE = re.compile(r"\\[kK][fo]?(\d+)")
_SYLLABLE = re.compile(r"<@(\d+(?:\.\d*)?)>")  # a karaoke time (seconds) while a cue is read


def _subtitles_as_lrc(text: str) -> str:
    """A subtitle file's cues as timed lyrics (LRC text).

    Each cue's first line is stamped at its start and its other lines follow it; a stamp with no words marks its
    end where the next cue starts later (the singing stops there). Karaoke times (WebVTT's cue timestamps, ASS's
    karaoke tags) become word stamps; in a WebVTT file that has cue timestamps, each cue's first word starts with
    the cue (the text before a cue's first timestamp is shown from its start, so a file that times its words
    times each cue's first word there). Where the cues name two singers or more (an ASS cue's Name, or Actor,
    field, as karaoke tools mark a duet; a WebVTT voice span, ``<v Ada>``), each cue's first line is labelled
    with its singer, a cue naming none with "All" (see :func:`split_lines`); a file naming one (choreo's ASS
    export names its character) is no duet.

    Raises
    ------
    ValueError
        The text cannot be read as subtitles.
    """
    import pysubs2

    webvtt = text.lstrip("\ufeff \t\r\n").startswith("WEBVTT")
    timed = webvtt and _CUE_TIME.search(text) is not None
    # pysubs2 takes a cue timestamp at the start of a line for a cue's times: each is written as seconds first
    text = _CUE_TIME.sub(lambda m: f"<@{sum(float(x) * 60 ** k for k, x in enumerate(reversed(m[1].split(':'))))}>",
                         text)
    try:
        subs = pysubs2.SSAFile.from_string(text)
    except (pysubs2.Pysubs2Error, ValueError, KeyError, IndexError) as exc:
        raise ValueError(f"looks like subtitles but cannot be read as such ({exc})") from None
    cues = sorted((e for e in subs.events if not e.is_comment and e.plaintext.strip()), key=lambda e: e.start)
    if webvtt:  # pysubs2 drops a WebVTT cue's voice span: its name is read here
        voices = iter(_vtt_voices(text))
        for cue in subs.events:
            cue.name = next(voices, "")
    duet = len({cue.name.strip() for cue in cues} - {""}) > 1
    out: list[str] = []
    for i, cue in enumerate(cues):
        first, *rest = _cue_lines(cue, webvtt=webvtt, timed=timed)
        label = f"{cue.name.strip() or 'All'}: " if duet else ""
        out += [lrc_stamp(cue.start / 1000) + label + first, *rest]
        if i + 1 == len(cues) or cues[i + 1].start > cue.end:
            out.append(lrc_stamp(cue.end / 1000))
    return "\n".join(out)


# A WebVTT cue's timing line, and the voice span that names who speaks or sings a cue ("<v Ada>", "<v.loud Ben>").
_VTT_TIMING = re.compile(r"^\s*(?:\d+:)?\d\d:\d\d\.\d{3}\s*-->", re.MULTILINE)
_VTT_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>")


def _vtt_voices(text: str) -> list[str]:
    """The voice each WebVTT cue of ``text`` names in its first voice span, in order ("" for none)."""
    timings = [m.start() for m in _VTT_TIMING.finditer(text)] + [len(text)]
    return [(m[1].strip() if (m := _VTT_VOICE.search(text, a, b)) else "") for a, b in pairwise(timings)]


def _cue_lines(cue, *, webvtt: bool = False, timed: bool = False) -> list[str]:
    """A subtitle cue's lines of text, each karaoke syllable's time written before it as an LRC word stamp.

    ``webvtt``: the cue is WebVTT's, whose text escapes "&", "<" and ">" as HTML does. ``timed``: the file times
    its words with WebVTT cue timestamps, so each cue's first word, before any of them, starts with the cue.
    """
    import html

    import pysubs2

    t = cue.start / 1000
    parts = []
    text = f"<@{t}>{cue.text}" if timed and not cue.text.lstrip().startswith("<@") else cue.text
    for piece in re.split(r"(\{[^}]*\})", text):
        if not piece.startswith("{"):
            parts.append(piece)
            continue
        for length in _KARAOKE.findall(piece):  # override tags: a karaoke syllable starts where the last one ended
            parts.append(f"<@{t}>")
            t += int(length) / 100
    plain = _SYLLABLE.sub(lambda m: lrc_stamp(float(m[1]), word=True), pysubs2.SSAEvent(text="".join(parts)).plaintext)
    return [html.unescape(line) if webvtt else line for line in plain.splitlines() if line.strip()]


def lrc_stamp(seconds: float, *, word: bool = False) -> str:
    """A timed lyrics (LRC) timestamp, "[mm:ss.xxx]", to the millisecond.

    Parameters
    ----------
    seconds : float
        Zero or more.
    word : bool
        A word's stamp in enhanced LRC, "<mm:ss.xxx>".

    Returns
    -------
    str
    """
    ms = round(seconds * 1000)
    stamp = f"{ms // 60000:02d}:{ms % 60000 / 1000:06.3f}"
    return f"<{stamp}>" if word else f"[{stamp}]"


def _seconds(minutes: str, seconds: str) -> float:
    """An LRC stamp's time: minutes, and seconds with "." (or ":", as some editors write it) before the fraction."""
    return int(minutes) * 60 + float(seconds.replace(":", "."))


def _clean(line: str) -> str:
    """A lyric line's text with what is not sung blanked out: bracketed notes ("[Chorus]", "(Chorus:)")."""
    return re.sub(r"\[[^\]]*\]|\([^)]*:\s*\)", " ", line).replace("’", "'")


def _timed(raw: list[str]) -> tuple[list[str], list[float | None], list[list[float]]]:
    """A timed lyrics file's lines in the order they are sung, with their times and those of their word stamps.

    Each line comes with its time (None: a line with no stamp) and the times of its word stamps, each replaced by
    ``_MARK`` in its text (which is cleaned by :func:`_clean`). A line with several stamps is sung at each (a
    chorus written once), its word stamps kept at the one nearest them; a line with none follows the stamped
    line before it. Tags and section headers are dropped (a stamped header is a stamp with no words); the offset
    tag is applied.
    """
    offset = 0.0
    entries: list[tuple[float, int, str, float | None, list[float]]] = []  # (sort time, file order, text, time, words)
    last = 0.0
    for order, line in enumerate(raw):
        if (tag := _TAG.match(line)) is not None:
            if tag[1].lower() == "offset":
                with contextlib.suppress(ValueError):
                    offset = float(tag[2].strip()) / 1000.0
            continue
        stamped = _STAMPED.match(line)
        text = line if stamped is None else stamped["text"]
        header = _header(_WORD_STAMP.sub(" ", text)) is not None
        text = "" if header else _clean(text)
        word_times = [_seconds(*m) for m in _WORD_STAMP.findall(text)]
        text = _WORD_STAMP.sub(_MARK, text)
        if stamped is None:
            if not header:
                entries.append((last, order, text, None, word_times))
            continue
        times = [_seconds(*m) for m in re.findall(_STAMP, stamped["stamps"])]
        keep = min(range(len(times)), key=lambda i: abs(times[i] - word_times[0])) if word_times else -1
        for i, t in enumerate(times):
            kept = i == keep
            entries.append((t, order, text if kept else text.replace(_MARK, ""), t, word_times if kept else []))
        last = times[-1]
    entries.sort(key=lambda e: (e[0], e[1]))
    return ([e[2] for e in entries], [None if e[3] is None else max(e[3] - offset, 0.0) for e in entries],
            [[max(t - offset, 0.0) for t in e[4]] for e in entries])


def _word_stamps(line: str, times: list[float], li: int | None) -> list[Stamp]:
    """The stamps of a timed line's words, from the ``_MARK`` in its text (one per time, in order).

    A mark before a word (spaces between) is that word's stamp, one inside a word (a syllable of karaoke) the
    stamp of that character, and one after the line's last word where the singing stops; of several marks at
    one place the last is kept (the ones before it time the spaces).
    """
    plain = line.replace(_MARK, "")
    spans = [m.span() for m in _WORD.finditer(plain)]
    at: dict[tuple[int, int] | None, float] = {}
    pos = 0
    for piece, t in zip(line.split(_MARK)[:-1], times, strict=True):
        pos += len(piece)
        k = next((k for k, (_, end) in enumerate(spans) if end > pos), None)
        at[None if k is None else (k, max(pos - spans[k][0], 0))] = t
    return [Stamp(t, li, place, True) if place is not None and li is not None else Stamp(t, None, exact=True)
            for place, t in sorted(at.items(), key=lambda e: (e[0] is None, e[0] or (0, 0)))]


def split_lines(text: str, notes: list[str] | None = None, stamps: list[Stamp] | None = None,
                stanzas: list[int] | None = None, singer: str | None = None,
                sung: list[bool] | None = None) -> list[list[str]]:
    """Split lyrics text into lines of words, section headers dropped and repeat marks written out.

    A header is a line in brackets ("[Chorus]"), or a line that is only a section's name ("Chorus:", "(Verse 2)",
    "Refrain", "(Repeat chorus)"; ``_SECTION``). Lyrics copied from the web mark repeats instead of writing them
    out, and the aligner sings each line once, where it is written: a line ending in "(x2)", "[x3]", "(2x)",
    "(repeat)" or a bare "x2" is repeated; a header with a count ("[Chorus x2]", "Chorus (x2)") repeats the lines
    after it (up to the next header or blank line); a header with no lines after it ("[Chorus]" again, "(Repeat
    chorus)") repeats the last section of that name, and is named as left out when there is none and it asked
    for a repeat. Read as words, "(x2)" was sung "ex two" and "(Chorus)" "chorus".

    A timed lyrics file (LRC: lines starting "[mm:ss.xx]", or holding word stamps) is read in the order of its
    timestamps, a line with several stamps once at each; its tags are dropped. Its word stamps ("<mm:ss.xx>",
    enhanced LRC) time the word (or the syllable, inside a word) after them, and one after a line's last word its
    end. A line without a stamp is sung after the line before it, or from the stop before it (a stamp with no
    words). Its stamps say where each line is sung, so repeat marks are not written out there. Subtitles (SubRip,
    WebVTT, ASS/SSA, read by ``pysubs2``) are timed lyrics too: each cue's first line stamped at its start, a
    stamp without words at its end where the next cue starts later; their karaoke times (ASS karaoke tags,
    WebVTT cue timestamps) are word stamps.

    A duet's lyrics name who sings: a label before a line ("ADA: ...", "Ada & Ben: ...") or alone on its line
    ("BEN:"), or the singers after a section's name in its header ("[Verse 1: Ada]"). A label holds for its
    lines up to the next label or stanza break; "Both:", "All:" name every singer, and a line no label holds is
    sung by every singer. Labels are never sung. Given ``singer`` (one of the names), only the lines it sings are
    kept: each of the others becomes a break (a blank line; in a timed file, a stamp with no words), since that
    singer's stem is silent there; or, given ``sung`` (a recording of every singer), every line is kept and
    ``sung`` says which are the singer's. A "Name:" before a single line of the lyrics is taken as words, not a
    label.

    Parameters
    ----------
    text : str
    notes : list of str, optional
        Where to add one note naming the repeat marks written out, if any.
    stamps : list of Stamp, optional
        For a timed file, where to put its timestamps in the order of the words: each with the line it starts
        in the list returned (and the word, for a word stamp), the line None for a stamp on a line with no
        words (LRC marks an instrumental break or the song's end so) or after a line's last word. Left empty
        for untimed lyrics.
    stanzas : list of int, optional
        Where to put the lines (indices in the list returned) that start a stanza, after the first: a line after
        a blank line or a section header, or the first of a section a header repeats.
    singer : str, optional
        Whose lines to keep (a name the labels give, any case); the lyrics' every line when they name no such
        singer, and a note says so.
    sung : list of bool, optional
        Given, every line is kept, and this gets one flag per line returned: whether ``singer`` sings it.

    Returns
    -------
    list of list of str

    Raises
    ------
    ValueError
        Text that looks like subtitles but cannot be read as such.
    """
    text = unicodedata.normalize("NFC", text)
    if _SUBTITLES.search(text):
        text = _subtitles_as_lrc(text)
    raw = text.splitlines()
    if any(_STAMPED.match(line) or _WORD_STAMP.search(line) for line in raw):
        raw, times, word_times = _timed(raw)
    else:
        raw, done = _written_out(raw)
        times, word_times = [None] * len(raw), [[]] * len(raw)
        if done and notes is not None:
            notes.append(f"repeat marks in the lyrics written out (each line is sung once where it is written): "
                         f"{listed(done, '; ')}")
    sings = _sung_by(raw, singer, notes, keep=sung is not None)
    out = []
    stanza = False  # a blank line (or a section header) since the last line with words
    for line, t, wts, mine in zip(raw, times, word_times, sings, strict=True):
        if not (mine or sung is not None):
            line, wts = "", []
        words = _WORD.findall(_clean(line).replace(_MARK, ""))
        if words:
            if stanza and out and stanzas is not None:
                stanzas.append(len(out))
            out.append(words)
            if sung is not None:
                sung.append(mine)
        stanza = not words and (stanza or not line.strip())
        if stamps is None:
            continue
        li = len(out) - 1 if words else None
        timed = _word_stamps(line, wts, li) if wts else []
        own = any(s.line is not None and s.at == (0, 0) for s in timed)  # its first word has a stamp of its own
        if t is not None and not own:
            stamps.append(Stamp(t, li))
        elif words and not own and stamps and stamps[-1].line is None:
            stamps[-1] = Stamp(stamps[-1].t, li)  # an unstamped line after a stop is sung after it, from there
        stamps.extend(timed)
    return out


def _sung_by(raw: list[str], singer: str | None, notes: list[str] | None, *, keep: bool = False) -> list[bool]:
    """Whether ``singer`` sings each line of ``raw`` (see :func:`split_lines`); the labels are cut from ``raw``.

    ``keep``: the other singers' lines are aligned too (a recording of every singer), as the note says.
    """
    # a timed line's first word stamp (a mark) may come before its label
    marked = [line.lstrip().startswith(_MARK) for line in raw]
    labels = [_labelled(line.lstrip()[1:] if m else line) for line, m in zip(raw, marked, strict=True)]
    if sum(label is not None for label in labels) < 2:  # one "Word: ..." line is no duet
        return [True] * len(raw)
    shown: dict[str, str] = {}  # each name as the lyrics first write it
    for label in labels:
        for name in label[0] if label else ():
            shown.setdefault(name.casefold(), name)
    named = [n for n in shown if n not in _EVERYONE]
    want = singer.casefold() if singer is not None and singer.casefold() in named else None
    out, who = [], None  # who: the singers the last label named (None: every singer)
    for i, (line, label) in enumerate(zip(raw, labels, strict=True)):
        if label is not None:
            who, rest = tuple(n.casefold() for n in label[0]), label[1]
            raw[i] = _MARK + rest if marked[i] else rest
        elif not line.strip():
            who = None
        out.append(want is None or who is None or want in who or bool(_EVERYONE.intersection(who)))
    if notes is not None:
        sung = [bool(_WORD.search(_clean(line).replace(_MARK, ""))) for line in raw]
        kept = sum(a and b for a, b in zip(sung, out, strict=True))
        names = ", ".join(shown[n] for n in named)
        notes.append(f"the lyrics name their singers ({names}): the {kept} of {sum(sung)} lines {shown[want]} sings "
                     "(alone or with others) " + ("move the mouth, which rests through the others (every line is "
                                                  "aligned: the recording holds every singer)" if keep else
                                                  "are aligned, the others are rests") if want else
                     f"the lyrics name their singers ({names}), "
                     + (f"not {singer!r}" if singer else "and no singer was chosen")
                     + ": every line is aligned to this voice (name a character after its singer to align only "
                     "that singer's lines)")
    return out


def syllabify(phones: list[str] | tuple[str, ...]) -> tuple[Syllable, ...]:
    """Split a word's phones into syllables by the maximal-onset rule.

    Parameters
    ----------
    phones : sequence of str
        ARPAbet phones (stress digits are stripped).

    Returns
    -------
    tuple of Syllable
        One per vowel; a word without a vowel (e.g. "hmm" as M) becomes one syllable whose nucleus is
        its most sonorous phone.
    """
    ph = [re.sub(r"\d", "", p).upper() for p in phones]
    nuclei = [i for i, p in enumerate(ph) if p in VOWELS]
    if not ph:
        return ()
    if not nuclei:
        k = next((i for i, p in enumerate(ph) if p in ("M", "N", "NG", "L", "R", "W", "Y")), len(ph) - 1)
        return (Syllable(tuple(ph[:k]), ph[k], tuple(ph[k + 1:])),)
    bounds = [0]
    for a, b in zip(nuclei[:-1], nuclei[1:], strict=True):
        cluster = ph[a + 1:b]
        take = 0
        for n in range(min(3, len(cluster)), 0, -1):
            tail = tuple(cluster[-n:])
            if n == 1 or tail in ONSETS:
                take = n
                break
        bounds.append(b - take)
    bounds.append(len(ph))
    sylls = []
    for i, nuc in enumerate(nuclei):
        lo, hi = bounds[i], bounds[i + 1]
        sylls.append(Syllable(tuple(ph[lo:nuc]), ph[nuc], tuple(ph[nuc + 1:hi])))
    return tuple(sylls)


#: Onset consonants of romanized Japanese morae (Hepburn, with the Kunrei and Nihon-shiki spellings).
ROMAJI_ONSETS = {"": (), "k": ("K",), "g": ("G",), "s": ("S",), "sh": ("SH",), "z": ("Z",), "j": ("JH",),
                 "t": ("T",), "ch": ("CH",), "ts": ("T", "S"), "d": ("D",), "n": ("N",),
                 "h": ("HH",), "f": ("F",), "b": ("B",), "p": ("P",), "m": ("M",), "y": ("Y",), "r": ("R",),
                 "w": ("W",), "v": ("V",)}
ROMAJI_VOWELS = {"a": "AA", "i": "IY", "u": "UW", "e": "EH", "o": "OW"}
# A mora: consonant(s), an optional palatal y, a vowel; the moraic nasal (n not before a vowel or y; "N" in the
# phoneme labels of Japanese singing corpora); the geminate closure ("cl" or "q" in those labels, a doubled
# consonant in Hepburn: the first p of "poppo", the t of "matcha").
_MORA = re.compile(r"(?P<c>ch|sh|ts|[kgsztdnhbpmrwfjvy])?(?P<y>y)?(?P<v>[aiueo])|(?P<n>n)(?![aiueoy])|(?P<q>cl|q)"
                   r"|(?P<gem>[kgsztdhbpfj])(?=(?P=gem)|ch)")


def romaji_syllables(word: str, following: str = "") -> tuple[Syllable, ...] | None:
    """The morae of a word of romanized Japanese as syllables, or None when it is not one.

    A mora of consonant and vowel is a syllable with that onset; the moraic nasal is a syllable whose
    nucleus is N (it carries its own note in singing); a geminate closure is a syllable of the consonant it
    holds, the next mora's (from ``following`` at the end of the word; T when nothing follows): the lips
    close for "ppo", the tongue for "tte".

    Parameters
    ----------
    word : str
    following : str
        The next word of the lyrics, for a closure at the end of this one.

    Returns
    -------
    tuple of Syllable or None
    """
    text = word.lower()
    morae, pos = [], 0
    while pos < len(text):
        m = _MORA.match(text, pos)
        if m is None or m.end() == pos:
            return None
        if m["v"] and m["y"] and m["c"] in (None, "sh", "ch", "j", "y", "w", "ts"):
            return None  # "ya" is y + a; a palatal y only follows k, g, n, h, b, p, m, r
        morae.append(m)
        pos = m.end()
    out: list[Syllable | None] = []
    for m in morae:
        if m["v"]:
            onset = ROMAJI_ONSETS[m["c"] or ""] + (("Y",) if m["y"] else ())
            out.append(Syllable(onset, ROMAJI_VOWELS[m["v"]], ()))
        elif m["n"]:
            out.append(Syllable((), "N", ()))
        else:
            out.append(None)  # a closure: the consonant of what follows, filled in below
    nxt = (romaji_syllables(following) or ())[:1] if following else ()
    for i in range(len(out) - 1, -1, -1):
        if out[i] is None:
            after = out[i + 1] if i + 1 < len(out) else (nxt[0] if nxt else None)
            held = after.onset[0] if after is not None and after.onset else "T"
            out[i] = Syllable((), held, ())
    return tuple(s for s in out if s is not None)


# Hiragana, row by row (katakana are the same letters 0x60 code points on); a space marks a gap in a row.
_KANA_ROWS = (("", "あいうえお"), ("k", "かきくけこ"), ("g", "がぎぐげご"), ("s", "さしすせそ"), ("z", "ざじずぜぞ"),
              ("t", "たちつてと"), ("d", "だぢづでど"), ("n", "なにぬねの"), ("h", "はひふへほ"), ("b", "ばびぶべぼ"),
              ("p", "ぱぴぷぺぽ"), ("m", "まみむめも"), ("y", "や ゆ よ"), ("r", "らりるれろ"), ("w", "わゐ ゑを"))
_SMALL_Y = {"ゃ": "a", "ゅ": "u", "ょ": "o"}
_SMALL_V = {"ぁ": "a", "ぃ": "i", "ぅ": "u", "ぇ": "e", "ぉ": "o"}
_KANA = ({kana: c + v for c, row in _KANA_ROWS for kana, v in zip(row, "aiueo", strict=True) if kana != " "}
         | {"し": "shi", "ち": "chi", "つ": "tsu", "ふ": "fu", "じ": "ji", "ぢ": "ji", "づ": "zu", "ゐ": "i", "ゑ": "e",
            "を": "o", "ん": "N", "っ": "cl", "ゔ": "vu"}
         # small kana that join nothing are read as their full-size ones
         | {k: "y" + v for k, v in _SMALL_Y.items()} | _SMALL_V | {"ゎ": "wa"})
# The particles written with a kana read otherwise: the topic は (wa) and the direction へ (e).
_PARTICLES = {"は": "wa", "へ": "e"}
_KANJI = re.compile(r"[\u3400-\u9fff]")
KANJI_NOTE = "kanji cannot be read here (no reading dictionary ships with choreo): give the lyrics in kana or romaji"


def _hiragana(ch: str) -> str:
    return chr(ord(ch) - 0x60) if "\u30a1" <= ch <= "\u30f6" else ch


def kana_morae(word: str) -> list[tuple[str, str]] | None:
    """A word written in kana as its morae: (the kana, romaji), or None when it holds anything else (kanji).

    Small ya, yu, yo join the kana before them (きゃ kya, しゃ sha); a small vowel replaces the vowel before
    it (ふぁ fa); the small tsu is the closure "cl", ん the moraic nasal "N", and the long-vowel mark ー
    repeats the vowel before it. The romaji are read by :func:`romaji_syllables`. Kana lyrics are written with
    spaces between phrases, each particle joined to the word before it: a word of two kana or more that ends in
    the hiragana は or へ ends in the particle, read "wa" or "e" (そらは sora wa, こんにちは konnichi wa), unless
    every kana of it is that one (はは, haha; a karaoke file's lone は is a mora of a word).

    Parameters
    ----------
    word : str

    Returns
    -------
    list of (str, str) or None
    """
    out: list[tuple[str, str]] = []
    for ch in word:
        h = _hiragana(ch)
        if h in _SMALL_Y and out and out[-1][1].endswith("i") and len(out[-1][1]) > 1:
            kana, rom = out[-1]
            stem = rom[:-1] if rom[:-1] in ("sh", "ch", "j") else rom[:-1] + "y"
            out[-1] = (kana + ch, stem + _SMALL_Y[h])
        elif h in _SMALL_V and out and out[-1][1][-1] in "aiueo" and len(out[-1][1]) > 1:
            kana, rom = out[-1]
            out[-1] = (kana + ch, rom[:-1] + _SMALL_V[h])
        elif ch == "ー" and out and out[-1][1][-1] in "aiueo":
            out.append((ch, out[-1][1][-1]))
        elif h in _KANA:
            out.append((ch, _KANA[h]))
        else:
            return None
    if len(out) > 1 and out[-1][0] in _PARTICLES and any(kana != out[-1][0] for kana, _ in out):
        out[-1] = (out[-1][0], _PARTICLES[out[-1][0]])
    return out or None


def is_romaji(lines: list[list[str]]) -> bool:
    """Whether lyrics are romanized Japanese: enough distinct words, and every one of them a run of morae.

    English lyrics nearly always hold a word that is not (a consonant cluster, a final consonant other than
    n); a handful of vocables ("la la na na") is too few distinct words to decide on.

    Parameters
    ----------
    lines : list of list of str

    Returns
    -------
    bool
    """
    distinct = {w.lower() for line in lines for w in line}
    return len(distinct) >= FOREIGN_MIN_WORDS and all(romaji_syllables(w) is not None for w in distinct)


FOREIGN_SHARE = 0.2
"""Share of distinct words outside the English dictionary from which lyrics may be in another language."""
FOREIGN_MIN_WORDS = 6
"""Fewer distinct words than this are too few to tell a language."""


def pronounce_words(lines: list[list[str]], *, voice: str = "auto") -> tuple[list[LyricWord], list[str]]:
    """Pronounce and syllabify every word: the pronunciation dictionary first, espeak-ng for the rest.

    Parameters
    ----------
    lines : list of list of str
        From :func:`read_lyrics` or :func:`split_lines`.
    voice : str
        espeak-ng voice for words not in the dictionary ("en-us"; "fr", "es", "de", ... for other
        languages, in which case every word goes through espeak-ng). "auto": the language of the lyrics
        when they are confidently another language than English (:func:`other_language`) and espeak-ng
        has that voice, English otherwise; the choice is reported in the notes. With "auto" or "ja", lyrics
        in romanized Japanese (:func:`is_romaji`) are pronounced mora by mora (:func:`romaji_syllables`).

    Returns
    -------
    words : list of LyricWord
    notes : list of str
        For the user: the voice chosen, one line naming the words outside the English dictionary that
        espeak-ng pronounced (with an English voice; in another language's voice espeak-ng pronounces them
        all), and one line per word that could not be pronounced at all (left out of the alignment).
    """
    from audio.speech import load_dictionary

    notes_kanji: list[str] = []
    if voice == "auto" or voice.lower().startswith("ja"):
        japanese = _japanese_words(lines)
        if japanese is not None:
            return japanese
        if any(_KANJI.search(w) for line in lines for w in line):
            notes_kanji.append(KANJI_NOTE)
    chosen: list[str] = []
    auto = voice == "auto"
    if auto:  # the language is decided (and told) here, not checked again below
        voice, chosen = _auto_voice(lines, load_dictionary())
    english = voice.lower().startswith("en")
    lexicon = load_dictionary() if english else {}
    words: list[LyricWord] = []
    guessed: list[str] = []  # words outside the English dictionary that espeak-ng pronounced
    left_out: list[str] = []
    asked: dict[str, list] = {}  # espeak-ng's answer per word: asked (and told) once, however often it is sung
    for li, line in enumerate(lines):
        for wi, text in enumerate(line):
            key = text.lower().replace("’", "'")
            prons = lexicon.get(key)
            source = "dictionary"
            if not prons:
                source = "espeak-ng"
                if key not in asked:
                    # espeak-ng reads a kanji as "Chinese letter": no reading is better than that one
                    phones = [] if _KANJI.search(key) else _espeak_pronounce(key, voice)
                    asked[key] = [phones] if phones else []
                    (guessed if phones else left_out).append(text)
                prons = asked[key]
            if not prons:
                continue
            words.append(LyricWord(text=text, syllables=syllabify(prons[0]), line=li, line_end=wi == len(line) - 1,
                                   source=source, written_at=(wi, 0)))
    told: list[str] = []
    if english and not auto:
        lang = other_language(lines, lexicon)
        if lang is not None:
            told.append(f"the lyrics look like another language ({lang!r}), but the voice is {voice!r}: "
                        f"give that language's espeak-ng voice ('{lang}'); the mouth shapes follow English "
                        "pronunciation meanwhile")
    if english and guessed:  # in another language's voice espeak-ng pronounces every word: nothing to tell
        told.append(_guessed_note(guessed))
    return words, notes_kanji + chosen + told + [_left_out(text) for text in left_out]


NOTE_SHOWN = 8
"""Items a note names before it counts the rest (words outside the dictionary, lyric lines to check)."""


def listed(items: list[str], sep: str = ", ") -> str:
    """``items`` joined by ``sep`` for a note: the first ``NOTE_SHOWN`` named, the rest counted ("and 3 more").

    Parameters
    ----------
    items : list of str
    sep : str

    Returns
    -------
    str
    """
    more = f" and {len(items) - NOTE_SHOWN} more" if len(items) > NOTE_SHOWN else ""
    return sep.join(items[:NOTE_SHOWN]) + more


def _guessed_note(texts: list[str]) -> str:
    """One note naming the words outside the English dictionary that espeak-ng pronounced (a guess)."""
    are = "word is" if len(texts) == 1 else "words are"
    return (f"{len(texts)} {are} not in the pronouncing dictionary and pronounced by espeak-ng (a guess): "
            f"{listed([repr(t) for t in texts])}")


def _left_out(text: str) -> str:
    return f"{text!r}: no pronunciation found, left out"


def _japanese_words(lines: list[list[str]]) -> tuple[list[LyricWord], list[str]] | None:
    """Lyrics in kana or romaji pronounced mora by mora, with their notes; None when they are not Japanese.

    Words in kana become their morae, each a word of its own (Japanese writes no spaces between words);
    words holding kanji are left out and reported.
    """
    # Per line, (kana, romaji, where it is written) of every mora: a word that is not kana is one "mora"
    read = [[(t, r, (wi, at)) for wi, w in enumerate(line) for t, r, at in _placed_morae(w)] for line in lines]
    kana = any(t != r for line in read for t, r, _ in line)
    kanji = sorted({r for line in read for _, r, _ in line if _KANJI.search(r)})
    kept = [[m for m in line if m[1] not in kanji] for line in read]
    if not ((kana and all(romaji_syllables(r) is not None for line in kept for _, r, _ in line)) or is_romaji(lines)):
        return None
    flat = [(li, wi, m) for li, line in enumerate(kept) for wi, m in enumerate(line)]
    words = [LyricWord(text=t, syllables=romaji_syllables(r, flat[k + 1][2][1] if k + 1 < len(flat) else "") or (),
                       line=li, line_end=wi == len(kept[li]) - 1, source="romaji", written_at=at)
             for k, (li, wi, (t, r, at)) in enumerate(flat)]
    notes = [f"the lyrics look like {'Japanese in kana' if kana else 'romanized Japanese'}: pronounced mora by mora "
             "(a closure, cl, small tsu or a doubled consonant, holds the next consonant; --voice en-us reads them "
             "as English)"]
    return words, notes + ([KANJI_NOTE] if kanji else []) + [_left_out(w) for w in kanji]


def _placed_morae(word: str) -> list[tuple[str, str, int]]:
    """:func:`kana_morae` of ``word`` with the character each starts at; a word not in kana is one (itself)."""
    out, at = [], 0
    for t, r in kana_morae(word) or [(word, word)]:
        out.append((t, r, at))
        at += len(t)
    return out


def _auto_voice(lines: list[list[str]], lexicon: dict[str, Any]) -> tuple[str, list[str]]:
    """The espeak-ng voice for lyrics (their language, else "en-us") and a note when it is not English."""
    lang = other_language(lines, lexicon)
    if lang is None:
        return "en-us", []
    try:
        from audio.espeak import pronounce

        pronounce("a", voice=lang)
    except Exception:  # noqa: BLE001 - no such voice (or no espeak-ng): say so and stay with English
        return "en-us", [f"the lyrics look like another language ({lang!r}) but espeak-ng has no voice for it: "
                         "English pronunciation is used (give --voice)"]
    return lang, [f"the lyrics look like {lang!r}: pronounced with the espeak-ng voice {lang!r} (--voice overrides)"]


def other_language(lines: list[list[str]], lexicon: dict[str, Any]) -> str | None:
    """The language of lyrics that are clearly not English, else None.

    Two signs must agree: langdetect (its profiles ship in the package) names another language with
    probability >= 0.9, and at least a fifth of the distinct words are not in the English dictionary.
    The second keeps vocables ("la la la oh yeah baby") and short lines from being flagged.

    Parameters
    ----------
    lines : list of list of str
    lexicon : dict
        The English pronouncing dictionary (lower-case words).

    Returns
    -------
    str or None
        An ISO 639-1 code ("fr", "es", ...), which is also the espeak-ng voice of that language.
    """
    distinct = {w.lower().replace("’", "'") for line in lines for w in line}
    if len(distinct) < FOREIGN_MIN_WORDS:
        return None
    unknown = sum(w not in lexicon for w in distinct)
    if unknown < FOREIGN_SHARE * len(distinct):
        return None
    from langdetect import DetectorFactory, LangDetectException, detect_langs

    DetectorFactory.seed = 0  # langdetect samples at random; a seed makes it deterministic
    try:
        best = detect_langs(" ".join(" ".join(line) for line in lines))[0]
    except LangDetectException:
        return None
    return best.lang if best.lang != "en" and best.prob >= 0.9 else None


def _espeak_pronounce(word: str, voice: str) -> list[str]:
    try:
        from audio.espeak import pronounce
    except ImportError:  # pragma: no cover - espeak module always ships; the library may not
        return []
    try:
        return [p for p in pronounce(word, voice=voice) if p in VOWELS or p in CONSONANTS]
    except Exception:  # noqa: BLE001 - an unpronounceable word is reported, not fatal
        return []
