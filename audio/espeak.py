"""espeak-ng through its C library: speech with exact phoneme times, and pronunciations in ARPAbet.

The speech is ground truth for the lyric aligner's tests: espeak-ng reports where every phoneme starts in
its own output, so :func:`synthesize` returns audio together with phone and word times that are known,
not estimated. :func:`pronounce` gives the ARPAbet phones of words that the pronunciation dictionary
lacks, and of lyrics in other languages.

Conventions
-----------
- Times are float seconds from the first sample of :attr:`SpokenText.y`; ``sr`` is espeak-ng's output
  rate (22050 Hz for its voices).
- Phone times come from the ``sample`` field of espeak-ng's phoneme events, the index of the output
  sample where the phoneme begins (``audio_position`` is the same point truncated to whole
  milliseconds and is used only where ``sample`` is 0). Checked against the audio: a voiceless
  fricative's noise starts within 0.5 ms of its event, and the audio before the first phoneme and
  inside the pause a word event announces is digital silence.
- Phones cover the audio without gaps: each ends where the next begins, the first begins at 0 and the
  last ends with the audio. Pauses are ``SIL``; the silent gap between a word event and the first sound
  of that word becomes ``SIL`` too.
- Symbols are ARPAbet without stress digits (:data:`ARPABET`) and ``SIL``. espeak-ng's mnemonics are
  mapped with :data:`ESPEAK_TO_ARPABET` (English) and per-language corrections for French, Spanish and
  German; a mnemonic that stands for two ARPAbet phones (the r-coloured vowel ``A@`` is ``AA R``)
  maps to both, separated by a space, and its time span is shared between them.
- Words are the tokens of the input (letters and digits, with inner apostrophes and hyphens) that
  espeak-ng's word events point at (``text_position`` is a 1-based character position, SSML markup
  included); a number read as several words stays one word. A word spans its own phones.
- Estimated, not measured: espeak-ng renders a post-vocalic ``l`` inside the preceding vowel's formant
  transition, so its event comes at the same sample as the next phoneme; such a zero-length phone
  gets the last quarter of the phone before it. Split spans (``AA R``) give 60 % to the first symbol.
- :func:`pronounce` uses the library in this process, initialised once, lazily, behind one lock
  (espeak-ng keeps global state and is not re-entrant). :func:`synthesize` runs each utterance in a new
  worker process (about 25 ms): the synthesizer keeps state from one utterance to the next that
  ``espeak_Initialize`` does not reset (its pitch-flutter phase, gain control, glottal phase), which
  moved phone boundaries by up to 10 ms depending on what was said before. In a fresh process the
  same arguments always give the same samples.
"""

from __future__ import annotations

import bisect
import ctypes
import ctypes.util
import logging
import marshal
import re
import subprocess
import sys
import threading
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from audio.errors import ChoreoError
from audio.model import Phone, Word

__all__ = ["ARPABET", "ESPEAK_TO_ARPABET", "SpokenText", "pronounce", "synthesize", "to_arpabet"]

log = logging.getLogger(__name__)

ARPABET = frozenset({
    "AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW",
    "B", "CH", "D", "DH", "F", "G", "HH", "JH", "K", "L", "M", "N", "NG", "P", "R", "S", "SH", "T", "TH",
    "V", "W", "Y", "Z", "ZH",
})
"""The 39 ARPAbet phones (CMUdict's set) without stress digits; ``SIL`` is the one other symbol."""

SIL = "SIL"

# English (voice en-us) mnemonics as they come in phoneme events and from espeak_TextToPhonemes, plus the
# shared consonant table (espeak-ng's phoneme table "base1") that other languages inherit. Checked against
# CMUdict by aligning both pronunciations of its 117k plain entries: 11 % phone error rate, most of it in
# names that the two read differently (tests/test_espeak.py::test_mapping_agrees_with_cmudict).
ESPEAK_TO_ARPABET: dict[str, str] = {
    # pauses and boundaries
    "_": SIL, "_:": SIL, "_::": SIL, "_!": SIL, "_|": SIL, "_^_": SIL, "_X1": SIL, "_;_": SIL, "||": SIL,
    # English vowels: schwas
    "@": "AH", "@2": "AH", "@5": "AH", "@-": "AH", "@#": "AH", "a#": "AH", "a#2": "AH", "V": "AH",
    "@L": "AH L", "3": "ER", "3:": "ER",
    # English vowels: monophthongs
    "a": "AE", "a2": "AE", "aa": "AE", "A:": "AA", "A#": "AE", "0": "AA", "0#": "AA", "02": "AA",
    "O": "AO", "O2": "AO", "O:": "AO", "o:": "AO", "E": "EH", "E#": "EH", "E2": "EH", "e#": "EH",
    "I": "IH", "I#": "IH", "I2": "IH", "I2#": "IH", "i": "IY", "i:": "IY", "i::": "IY", "U": "UH", "u:": "UW",
    # English vowels: diphthongs and r-coloured vowels
    "aI": "AY", "aU": "AW", "eI": "EY", "e:": "EY", "oU": "OW", "oU#": "OW", "OI": "OY",
    "A@": "AA R", "O@": "AO R", "o@": "AO R", "e@": "EH R", "i@3": "IH R", "IR": "IH R", "U@": "UH R",
    "VR": "ER", "aI3": "AY ER", "aU@": "AW ER", "i@": "IY AH", "aI@": "AY AH",
    # plain vowels of the shared tables, rare in English ("Tolkien" o)
    "e": "EY", "o": "OW", "u": "UW", "y": "UW", "Y": "ER", "W": "ER",
    # nasalised vowels of French loan words ("croissant")
    "A~": "AA", "O~": "OW", "E~": "EH", "W~": "AH",
    # English consonants and allophones
    "t#": "T", "t2": "T", "d#": "D", "z#": "Z", "z/2": "Z", "w#": "W", "r-": "R", "r/": "R", "?": "T",
    "n-": "AH N", "m-": "AH M", "l-": "AH L", "N-": "AH NG", ";": "Y",
    # shared consonants (base1)
    "p": "P", "b": "B", "t": "T", "d": "D", "k": "K", "g": "G", "c": "K", "q": "K", "t[": "T", "d[": "D",
    "f": "F", "v": "V", "v#": "V", "T": "TH", "D": "DH", "s": "S", "z": "Z", "S": "SH", "Z": "ZH",
    "s.": "SH", "z.": "ZH", "s;": "S", "z;": "Z", "S;": "SH", "Z;": "ZH", "h": "HH", "x": "K", "X": "HH",
    "C": "HH", "Q": "G", "Q^": "G", 'Q"': "G", "B": "B", "tS": "CH", "dZ": "JH", "tS;": "CH", "dZ;": "JH",
    "ts": "T S", "dz": "D Z", "pF": "P F", "m": "M", "n": "N", "n.": "N", "N": "NG", "n^": "N Y",
    "J": "N Y", "J^": "N Y", "l": "L", "l/": "L", "l/2": "L", "l/3": "L", "l^": "L", "l.": "L", "l#": "L",
    "L": "L", "L/": "L", "r": "R", "R": "R", "R2": "R", "R3": "R", 'r"': "R", "r.": "R", "**": "R",
    "j": "Y", "w": "W",
    # consonants table: aspirated and unreleased variants
    "p-": "P", "ph": "P", "t-": "T", "k-": "K", "kh": "K", "k#": "K", "c2": "K", "s2": "S",
}
"""espeak-ng mnemonic (stress marks stripped) to ARPAbet: one symbol, or several separated by spaces."""

# Per-language corrections where a mnemonic means another sound than in English, or one English lacks.
_LANG_ARPABET: dict[str, dict[str, str]] = {
    "fr": {
        "a": "AA", "a#": "AA", "a-": "AA", "e": "EY", "e-": "EY", "E": "EH", "E-": "EH", "i": "IY", "I": "IY",
        "I2": "IY", "o": "OW", "O": "AO", "oU": "OW", "u": "UW", "u:": "UW", "y": "UW", "y-": "UW",
        "Y": "ER", "W": "ER", "W2": "ER", "@": "AH", "@-": "AH", "V": "AH", "A~": "AA", "E~": "EH",
        "O~": "OW", "W~": "AH", "j/": "Y", "j.": "Y", "w/": "W", "r": "R", "r/": "R", "r/2": "R",
        "r2": "R", "#r": "R", "#l": "L", "n2": "N", "p2": "P", "t2": "T", "t3": "T", "z2": "Z", "z3": "Z",
    },
    "es": {
        "a": "AA", "a/": "AA", "e": "EY", "e/": "EY", "E": "EH", "i": "IY", "o": "OW", "o/": "OW", "O": "AO",
        "u": "UW", "oI": "OY", "B": "B", "v#": "B", "Q": "G", "x": "HH", "l^": "Y", "L": "Y", "r": "R",
    },
    "de": {
        "a": "AA", "A": "AA", "A:": "AA", "E": "EH", "E2": "EH", "E:": "EH", "e:": "EY", "I": "IH", "I:": "IY",
        "i:": "IY", "i2": "IY", "O": "AO", "o:": "OW", "U": "UH", "u:": "UW", "y": "UH", "y:": "UW",
        "Y": "ER", "Y:": "ER", "W": "ER", "EI": "EY", "OY": "OY", "3": "AH", "UR": "UH AH", "iR": "IY AH",
        "x": "HH", "g#": "G", "l2": "L", "?": SIL,
    },
}
_LANG_ARPABET["es-419"] = {**_LANG_ARPABET["es"], "T": "S"}

_STRESS = "',%="
_MODIFIERS = ":#-/.^\";[~!0123456789"
_unmapped: set[str] = set()

_LIBRARY = "espeak-ng"
_MISSING = "espeak-ng is not installed (apt-get install libespeak-ng1)"

# speak_lib.h (API revision 12, espeak-ng 1.51)
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_INITIALIZE_DONT_EXIT = 0x8000  # return -1 instead of calling exit() when the data is missing
_CHARS_UTF8 = 1
_SSML = 0x10
_EV_WORD, _EV_PHONEME = 1, 7
_BUFFER_MS = 200
_TEXT_TO_PHONEMES_MODE = ord(" ") << 8  # ASCII mnemonics, one space between phonemes and two between words
_LEAD_SHARE = 0.6  # of a split span (``AA R``) to its first symbol
_ZERO_SHARE = 0.25  # of the previous phone given to a zero-length one
_SILENT = 1e-4  # peak amplitude under which a word event's lead-in counts as a pause
_WORKER_TIMEOUT_S = 600

# The synthesizer, run as ``python -I -S -c _WORKER`` (standard library only, so it starts in ~20 ms).
# stdin: marshal of (library path, text, voice, rate_wpm, pitch, espeak_Synth flags, buffer ms);
# stdout: marshal of (error message or None, sample rate, 16-bit PCM bytes, events). An event is
# (type, text_position, length, sample, phoneme mnemonic); only WORD and PHONEME events are kept.
_WORKER = r"""
import ctypes, marshal, sys

class EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_ubyte * 8)]

class Event(ctypes.Structure):  # espeak_EVENT
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint),
                ("text_position", ctypes.c_int),  # 1-based, characters of the input (SSML markup included)
                ("length", ctypes.c_int), ("audio_position", ctypes.c_int),  # ms, truncated
                ("sample", ctypes.c_int),  # index of the output sample
                ("user_data", ctypes.c_void_p), ("id", EventId)]

CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(Event))
WORD, PHONEME = 1, 7

def main():
    path, text, voice, rate_wpm, pitch, flags, buffer_ms = marshal.loads(sys.stdin.buffer.read())
    lib = ctypes.CDLL(path)
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_SetSynthCallback.argtypes = [CALLBACK]
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                 ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
    # AUDIO_OUTPUT_SYNCHRONOUS; options: phoneme events, and no exit() when the data is missing
    sr = lib.espeak_Initialize(2, buffer_ms, None, 0x8001)
    if sr <= 0:
        return "espeak-ng could not be initialised (is espeak-ng-data installed?)", 0, b"", []
    chunks, events, failed = [], [], []

    def collect(wav, n_samples, evs):
        try:
            if wav and n_samples > 0:
                chunks.append(ctypes.string_at(wav, 2 * n_samples))
            i = 0
            while evs[i].type != 0:  # the list ends with espeakEVENT_LIST_TERMINATED
                ev = evs[i]
                if ev.type in (WORD, PHONEME):
                    # audio_position is the same point in whole ms; sample is 0 only at the very start
                    sample = ev.sample if ev.sample else round(ev.audio_position * sr / 1000)
                    name = ""
                    if ev.type == PHONEME:  # id.string: up to 8 bytes, NUL-terminated only when shorter
                        name = bytes(ev.id.string).split(b"\0", 1)[0].decode("utf-8", "replace")
                    events.append((ev.type, ev.text_position, ev.length, sample, name))
                i += 1
            return 0
        except BaseException as exc:  # must not unwind through C
            failed.append(repr(exc))
            return 1

    callback = CALLBACK(collect)
    lib.espeak_SetSynthCallback(callback)
    if lib.espeak_SetVoiceByName(voice.encode("utf-8")) != 0:
        return "espeak-ng has no voice %r (try 'en-us', 'fr', 'es', 'de')" % voice, sr, b"", []
    lib.espeak_SetParameter(1, rate_wpm, 0)  # espeakRATE
    lib.espeak_SetParameter(3, pitch, 0)  # espeakPITCH
    data = text.encode("utf-8") + b"\0"
    err = lib.espeak_Synth(data, len(data), 0, 1, 0, flags, None, None)  # from character 0 (POS_CHARACTER)
    if err == 0:
        err = lib.espeak_Synchronize()
    if err != 0 or failed:
        return "espeak-ng failed to synthesize the text (error %d %s)" % (err, " ".join(failed)), sr, b"", []
    return None, sr, b"".join(chunks), events

sys.stdout.buffer.write(marshal.dumps(main()))
"""


@dataclass(frozen=True, eq=False)
class SpokenText:
    """Speech synthesized by espeak-ng with its phone and word times.

    Attributes
    ----------
    y : np.ndarray [shape=(n,), float32]
        Mono audio in -1..1.
    sr : int
        Sample rate of ``y`` in Hz.
    phones : tuple of Phone
        ARPAbet phones and ``SIL`` pauses (seconds), contiguous from 0 to ``len(y) / sr``.
    espeak_phones : tuple of str
        espeak-ng's mnemonic for each entry of ``phones`` ("_" for inserted pauses); a mnemonic that maps
        to two ARPAbet phones appears twice.
    words : tuple of Word
        The words of the text in order (seconds), from the start of the first phone to the end of the
        last phone espeak-ng spoke for each. Confidence is 1.0, or 0.7 where espeak-ng spoke two tokens
        as one word ("for the") and its phones had to be split by pronunciation.
    """

    y: np.ndarray
    sr: int
    phones: tuple[Phone, ...]
    espeak_phones: tuple[str, ...]
    words: tuple[Word, ...]

    @property
    def duration(self) -> float:
        """Length of the audio in seconds."""
        return len(self.y) / self.sr


class _Mark(NamedTuple):
    """A word or phoneme event: kind, 1-based text position, length, output sample, phoneme mnemonic."""

    kind: int
    text_position: int
    length: int
    sample: int
    mnemonic: str


class _Engine:
    """The library loaded and initialised in this process, for ``espeak_TextToPhonemes`` (see :func:`_engine`)."""

    initialisations = 0

    def __init__(self) -> None:
        path = ctypes.util.find_library(_LIBRARY) or "libespeak-ng.so.1"
        try:
            lib = ctypes.CDLL(path)
        except OSError as exc:
            raise ChoreoError(_MISSING) from exc
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int, ctypes.c_int]
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        sr = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, _BUFFER_MS, None,
                                   _INITIALIZE_PHONEME_EVENTS | _INITIALIZE_DONT_EXIT)
        if sr <= 0:
            raise ChoreoError("espeak-ng could not be initialised (is espeak-ng-data installed?)")
        type(self).initialisations += 1
        self.lib = lib
        self.path = path
        self.sr = int(sr)

    def set_voice(self, voice: str) -> None:
        if self.lib.espeak_SetVoiceByName(voice.encode("utf-8")) != 0:
            raise ChoreoError(f"espeak-ng has no voice {voice!r} (try 'en-us', 'fr', 'es', 'de')")

    def text_to_phonemes(self, text: str, voice: str) -> list[str]:
        self.set_voice(voice)
        buf = ctypes.create_string_buffer(text.encode("utf-8"))
        ptr = ctypes.c_void_p(ctypes.addressof(buf))
        clauses = []
        # one clause per call; the library advances ptr and sets it to NULL at the end of the text
        for _ in range(len(buf) + 1):
            if not ptr.value:
                break
            out = self.lib.espeak_TextToPhonemes(ctypes.byref(ptr), _CHARS_UTF8, _TEXT_TO_PHONEMES_MODE)
            if out:
                clauses.append(out.decode("utf-8", "replace"))
        return clauses


def _synthesize_pcm(path: str, text: str, voice: str, rate_wpm: int, pitch: int, ssml: bool
                    ) -> tuple[int, bytes, list[_Mark]]:
    """Sample rate, 16-bit PCM and events of one utterance, from a fresh worker process.

    espeak-ng carries synthesizer state from one utterance to the next in static variables that
    ``espeak_Initialize`` does not reset (the phase of its pitch flutter, its gain control, the glottal
    wave's phase), which moves phone boundaries by up to 10 ms (measured) and changes samples, depending
    on what was said before. A new process starts from the same state every time, so the same arguments
    give the same samples. Forking this process would be quicker but can deadlock other threads
    (OpenBLAS's fork handler); the worker is started with vfork/exec and imports only the standard library.
    """
    if not sys.executable:
        raise ChoreoError("espeak-ng synthesis needs a Python executable for its worker (sys.executable is empty)")
    flags = _CHARS_UTF8 | (_SSML if ssml else 0)
    request = marshal.dumps((path, text, voice, int(rate_wpm), int(pitch), flags, _BUFFER_MS))
    try:
        done = subprocess.run([sys.executable, "-I", "-S", "-c", _WORKER], input=request, capture_output=True,
                              timeout=_WORKER_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ChoreoError(f"espeak-ng worker process failed: {exc}") from exc
    if done.returncode != 0 or not done.stdout:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise ChoreoError(f"espeak-ng worker process failed (exit status {done.returncode}): {tail[0]}")
    message, sr, pcm, marks = marshal.loads(done.stdout)
    if message is not None:
        raise ChoreoError(message)
    return sr, pcm, [_Mark(*m) for m in marks]


_LOCK = threading.Lock()
_ENGINE: _Engine | None = None


def _engine() -> _Engine:
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            _ENGINE = _Engine()
        return _ENGINE


def _language(voice: str) -> str:
    voice = voice.lower().replace("_", "-")
    if voice in _LANG_ARPABET:
        return voice
    if voice.startswith("es-") and voice != "es-es":
        return "es-419"
    return voice.split("-", 1)[0]


def to_arpabet(mnemonic: str, *, voice: str = "en-us") -> str:
    """Map one espeak-ng phoneme mnemonic to ARPAbet.

    Parameters
    ----------
    mnemonic : str
        espeak-ng's ASCII phoneme name as it comes in phoneme events or from ``espeak_TextToPhonemes``
        ("h", "@", "oU", "'3:", "_:"); leading stress marks are ignored.
    voice : str
        The voice the mnemonic came from. French, Spanish and German get their own vowel qualities; any
        other voice uses the English table.

    Returns
    -------
    str
        An ARPAbet symbol without stress digit, ``SIL`` for a pause, or several symbols separated by
        spaces where the mnemonic stands for more than one ("A@" -> "AA R"). Mnemonics missing from
        the tables are mapped by a best-effort rule (trailing modifiers such as ":" or "#" dropped) and
        remembered in ``audio.espeak._unmapped``.

    Examples
    --------
    >>> to_arpabet("oU"), to_arpabet("'3:"), to_arpabet("_:"), to_arpabet("A@")
    ('OW', 'ER', 'SIL', 'AA R')
    >>> to_arpabet("y", voice="fr")
    'UW'
    """
    table = _LANG_ARPABET.get(_language(voice), {})
    name = mnemonic.lstrip(_STRESS)
    if name in table:
        return table[name]
    if name in ESPEAK_TO_ARPABET:
        return ESPEAK_TO_ARPABET[name]
    if not name or name.startswith("_") or set(name) <= set(_MODIFIERS + "|"):
        return SIL
    if mnemonic not in _unmapped:
        _unmapped.add(mnemonic)
        log.debug("espeak-ng mnemonic %r (voice %s) is not in the table; mapped by rule", mnemonic, voice)
    stem = name
    while len(stem) > 1 and stem[-1] in _MODIFIERS:  # "E3:" -> "E3" -> "E"
        stem = stem[:-1]
        if stem in table or stem in ESPEAK_TO_ARPABET:
            return table.get(stem) or ESPEAK_TO_ARPABET[stem]
    first = name[0]
    return table.get(first) or ESPEAK_TO_ARPABET.get(first) or ("AH" if first in "aeiouyAEIOUVY@3" else SIL)


def _expand(items: list[tuple[str, str]]) -> list[list[str]]:
    """ARPAbet symbols of a sequence of ``(mnemonic, voice)``, with espeak-ng's doubled r removed.

    espeak-ng writes an r-coloured vowel followed by an r ("canary" ``e@ r``) and, before a vowel, adds a
    linking r after r-coloured vowels ("fire on" ``aI3 r-``). CMUdict has one R (or only ER) there, so
    the vowel's own R goes when an r follows, and an r right after ER or R is dropped; an empty list means
    "part of the phone before".
    """
    out = [to_arpabet(m, voice=v).split() for m, v in items]
    for cur, nxt in zip(out, out[1:], strict=False):
        if len(cur) > 1 and cur[-1] == "R" and nxt[:1] == ["R"]:
            del cur[-1]
    previous = None
    for syms in out:
        if syms == ["R"] and previous in ("R", "ER"):
            syms.clear()
        elif syms:
            previous = syms[-1]
    return out


def _switch(mnemonic: str, voice: str) -> str | None:
    """The language a switch mark such as "(en)" turns to (``voice`` for its own language), else None.

    espeak-ng wraps a word it reads in another language ("weekend" in French) in "(en)" ... "(fr)",
    both in ``espeak_TextToPhonemes`` output and as phoneme events of no duration.
    """
    if len(mnemonic) > 2 and mnemonic[0] == "(" and mnemonic[-1] == ")":
        inner = mnemonic[1:-1]
        return voice if inner == _language(voice) else inner
    return None


def pronounce(word: str, *, voice: str = "en-us") -> list[str]:
    """ARPAbet phones of a word (or a few) from espeak-ng's letter-to-sound rules and dictionaries.

    Parameters
    ----------
    word : str
        The word, in any spelling espeak-ng reads (digits are read out, punctuation ends a clause).
    voice : str
        espeak-ng voice: "en-us" for English, "fr", "es", "de" and others for lyrics in other languages.
        Their phonemes are mapped to the nearest ARPAbet phone (French "u" in "lune" -> ``UW``).

    Returns
    -------
    list of str
        ARPAbet phones without stress digits and without pauses; empty for text with nothing to say.

    Raises
    ------
    ChoreoError
        If espeak-ng is not installed or has no such voice.

    Examples
    --------
    >>> pronounce("hello")
    ['HH', 'AH', 'L', 'OW']
    """
    eng = _engine()
    with _LOCK:
        clauses = eng.text_to_phonemes(word, voice)
    items: list[tuple[str, str]] = []
    lang = voice
    for token in " ".join(clauses).split():
        switch = _switch(token, voice)
        if switch:
            lang = switch
        else:
            items.append((token, lang))
    return [sym for syms in _expand(items) for sym in syms if sym != SIL]


def synthesize(text: str, *, voice: str = "en-us", rate_wpm: int = 175, pitch: int = 50,
               ssml: bool = False) -> SpokenText:
    """Speak a text with espeak-ng and return the audio with its phone and word times.

    Parameters
    ----------
    text : str
        What to say; plain text, or SSML when ``ssml`` is true.
    voice : str
        espeak-ng voice name ("en-us", "en", "fr", "es", "de", ...).
    rate_wpm : int
        Speaking rate in words per minute, 80..450.
    pitch : int
        Base pitch on espeak-ng's 0..100 scale (50 is the voice's normal pitch).
    ssml : bool
        Read ``text`` as SSML, e.g. ``<speak><prosody rate="60%" pitch="+20%">...</prosody></speak>``
        for a slower, sung-like delivery. Word texts are then taken from the SSML source.

    Returns
    -------
    SpokenText
        Audio (float32, ``sr`` Hz), contiguous ARPAbet phones (seconds) with their espeak-ng mnemonics,
        and the words (seconds).

    Raises
    ------
    ChoreoError
        If espeak-ng is not installed, has no such voice, the rate or pitch is out of range, or
        synthesis (in its worker process) fails.

    Examples
    --------
    >>> spoken = synthesize("Hello world.")
    >>> [w.text for w in spoken.words], spoken.phones[1].phone
    (['Hello', 'world'], 'HH')
    """
    if not 80 <= rate_wpm <= 450:
        raise ChoreoError(f"espeak-ng speaks 80..450 words per minute, got rate_wpm={rate_wpm}")
    if not 0 <= pitch <= 100:
        raise ChoreoError(f"espeak-ng pitch is 0..100, got pitch={pitch}")
    sr, pcm, events = _synthesize_pcm(_engine().path, text, voice, rate_wpm, pitch, ssml)
    y = np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / np.float32(32768.0)
    phones, mnemonics = _phones(y, events, sr, voice)
    return SpokenText(y=y, sr=sr, phones=tuple(Phone(a / sr, b / sr, sym) for a, b, sym, _, _ in phones),
                      espeak_phones=tuple(mnemonics), words=_words(text, events, phones, sr, voice, ssml))


def _phones(y: np.ndarray, marks: list[_Mark], sr: int, voice: str) -> tuple[list[list], list[str]]:
    """Contiguous phones ``[start, end, symbol, mnemonic, text position]`` (samples) and their mnemonics."""
    n = len(y)
    # (sample, mnemonic, text position, language); language switches ("(en)") are marks, not phonemes
    points: list[tuple[int, str, int, str]] = []
    lang = voice
    for m in marks:
        if m.kind == _EV_PHONEME:
            switch = _switch(m.mnemonic, voice)
            if switch:
                lang = switch
            else:
                points.append((m.sample, m.mnemonic, m.text_position, lang))
    # A word event comes before the word's first sound, and what lies between is silence: a pause.
    starts = {p[0] for p in points}
    for ev in marks:
        if ev.kind != _EV_WORD or ev.sample in starts:
            continue
        first = next((p[0] for p in points if p[2] >= ev.text_position and not p[1].startswith("_")), None)
        if first is not None and first > ev.sample and np.abs(y[ev.sample:first]).max() <= _SILENT:
            points.append((ev.sample, "_", 0, voice))
            starts.add(ev.sample)
    points.sort(key=lambda p: p[0])  # stable: phonemes at the same sample keep their order
    if not points or points[0][0] > 0:
        points.insert(0, (0, "_", 0, voice))
    ends = [p[0] for p in points[1:]] + [n]
    spans = [[min(s, n), min(max(e, s), n), m, tp] for (s, m, tp, _), e in zip(points, ends, strict=True)]
    symbols = _expand([(m, lang) for _, m, _, lang in points])
    _fill_zero_length(spans, symbols)

    phones: list[list] = []
    for (start, end, mnemonic, tp), syms in zip(spans, symbols, strict=True):
        if end <= start:
            continue
        if not syms:  # a doubled r: part of the phone before
            if phones:
                phones[-1][1] = end
            continue
        edges = [start, end]
        if len(syms) > 1:
            cut = start + round(_LEAD_SHARE * (end - start))
            edges = [start, *np.linspace(cut, end, len(syms)).round().astype(int).tolist()]
        for k, sym in enumerate(syms):
            if edges[k + 1] <= edges[k]:
                continue
            if phones and sym == SIL and phones[-1][2] == SIL:
                phones[-1][1] = edges[k + 1]
            else:
                phones.append([edges[k], edges[k + 1], sym, mnemonic, tp])
    if phones:
        phones[-1][1] = n
    return phones, [p[3] for p in phones]


def _fill_zero_length(spans: list[list], symbols: list[list[str]]) -> None:
    """Give each run of zero-length sounding phones the last part of the phone before it (in place).

    Where no sounding phone comes before, the run takes the first part of the phone after it.
    """
    def sounding(k: int) -> bool:
        return bool(symbols[k]) and symbols[k] != [SIL]

    i = 0
    while i < len(spans):
        if spans[i][1] > spans[i][0] or not sounding(i):
            i += 1
            continue
        j = i
        while j < len(spans) and spans[j][1] <= spans[j][0] and sounding(j):
            j += 1
        before = next((k for k in range(i - 1, -1, -1) if spans[k][1] > spans[k][0]), None)
        after = next((k for k in range(j, len(spans)) if spans[k][1] > spans[k][0]), None)
        if before is not None and sounding(before):
            donor = spans[before]
            hi = donor[1]
            lo = donor[1] = hi - round(_ZERO_SHARE * (hi - donor[0]))
        elif after is not None:
            donor = spans[after]
            lo = donor[0]
            hi = donor[0] = lo + round(_ZERO_SHARE * (donor[1] - lo))
        else:
            i = j
            continue
        edges = np.linspace(lo, hi, j - i + 1).round().astype(int).tolist()
        for k in range(i, j):
            spans[k][0], spans[k][1] = edges[k - i], edges[k - i + 1]
        i = j


_TOKEN = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
_MARKUP = re.compile(r"<[^>]*>|&#?\w+;")


def _tokens(text: str, ssml: bool) -> list[tuple[int, int]]:
    """Character spans of the words of the input; SSML tags and entities are not words."""
    if ssml:
        text = _MARKUP.sub(lambda m: " " * len(m.group()), text)
    return [m.span() for m in _TOKEN.finditer(text)]


def _words(text: str, marks: list[_Mark], phones: list[list], sr: int, voice: str, ssml: bool
           ) -> tuple[Word, ...]:
    """The words of the input, timed by the phones espeak-ng spoke for them.

    A word event points at a token of the input (``text_position``, 1-based). espeak-ng's events do not
    map one to one onto tokens: a number gets one event per word it reads ("1984"), contractions are cut
    ("it's" has length 2), common pairs are one word for it ("in the", "out of": the second token has no
    event), and a clause may end with an event of length 0. So each event is taken as the start of its
    token, events inside one token are merged, and a token without an event belongs to the event before.
    The phones of an event that covers several tokens are split between them by aligning them with each
    token's own pronunciation; those words get confidence 1.0 when the two agree and 0.7 otherwise.
    """
    spans = _tokens(text, ssml)
    starts = [c0 for c0, _ in spans]
    groups: list[tuple[int, int]] = []  # (first token, event sample), one per token that has an event
    for ev in marks:
        if ev.kind != _EV_WORD or ev.length <= 0:
            continue
        k = bisect.bisect_right(starts, ev.text_position - 1) - 1
        if k < 0 or ev.text_position - 1 >= spans[k][1] or (groups and k <= groups[-1][0]):
            continue  # punctuation ("&" read as "and"), or a later word of a token already taken
        groups.append((k, ev.sample))
    sounding = [p for p in phones if p[2] != SIL and p[4]]
    words: list[Word] = []
    for g, (k, sample) in enumerate(groups):
        last = groups[g + 1][0] if g + 1 < len(groups) else len(spans)
        c0, c1 = spans[k][0], spans[last - 1][1]
        own = [p for p in sounding if c0 <= p[4] - 1 < c1]
        if not own:
            end = groups[g + 1][1] if g + 1 < len(groups) else (phones[-1][1] if phones else sample)
            for i in range(k, last):
                a, b = spans[i]
                words.append(Word(start=sample / sr, end=max(sample, end) / sr, text=text[a:b], confidence=0.5))
            continue
        labels, exact = _split(own, [pronounce(text[a:b], voice=voice) for a, b in spans[k:last]])
        for i in range(k, last):
            mine = [p for p, lab in zip(own, labels, strict=True) if lab == i - k]
            a, b = spans[i]
            if mine:
                start, end = mine[0][0], mine[-1][1]
            else:  # nothing of it could be told apart: a point where it would be
                start = end = next((p[0] for p, lab in zip(own, labels, strict=True) if lab > i - k), own[-1][1])
            words.append(Word(start=start / sr, end=end / sr, text=text[a:b],
                              confidence=1.0 if exact or last - k == 1 else 0.7))
    return tuple(words)


def _split(phones: list[list], expected: list[list[str]]) -> tuple[list[int], bool]:
    """Which of several tokens each phone belongs to, and whether the phones are exactly the tokens' own.

    ``expected`` holds each token's pronunciation; the phones are aligned with their concatenation
    (edit distance), and a phone takes the token of the expected phone it is aligned with (an extra
    phone takes the token before it).
    """
    if len(expected) == 1:
        return [0] * len(phones), True
    got = [p[2] for p in phones]
    want = [sym for syms in expected for sym in syms]
    owner = [i for i, syms in enumerate(expected) for _ in syms]
    n, m = len(got), len(want)
    cost = np.zeros((n + 1, m + 1), dtype=int)
    cost[:, 0] = np.arange(n + 1)
    cost[0, :] = np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i, j] = min(cost[i - 1, j - 1] + (got[i - 1] != want[j - 1]), cost[i - 1, j] + 1, cost[i, j - 1] + 1)
    labels = [-1] * n
    i, j = n, m
    while i > 0:
        if j > 0 and cost[i, j] == cost[i - 1, j - 1] + (got[i - 1] != want[j - 1]):
            labels[i - 1] = owner[j - 1]
            i, j = i - 1, j - 1
        elif j > 0 and cost[i, j] == cost[i, j - 1] + 1:
            j -= 1
        else:
            i -= 1  # an extra phone: labelled below
    for i in range(n):
        if labels[i] < 0:
            labels[i] = labels[i - 1] if i else 0
    for i in range(1, n):  # monotonic
        labels[i] = max(labels[i], labels[i - 1])
    return labels, bool(cost[n, m] == 0)
