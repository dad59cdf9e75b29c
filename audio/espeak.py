"""espeak-ng through its C library: pronunciations in ARPAbet.

:func:`pronounce` gives the ARPAbet phones of words that the pronunciation dictionary lacks, and of
lyrics in other languages. (Speech with exact phoneme times, the lip-sync tests' ground truth, is test
material: ``tests/material/espeak_speech.py``.)

Conventions
-----------
- Symbols are ARPAbet without stress digits (:data:`ARPABET`) and ``SIL``. espeak-ng's mnemonics are
  mapped with :data:`ESPEAK_TO_ARPABET` (English) and per-language corrections for French, Spanish and
  German; a mnemonic that stands for two ARPAbet phones (the r-coloured vowel ``A@`` is ``AA R``)
  maps to both, separated by a space.
- The library is used in this process, initialised once, lazily, behind one lock (espeak-ng keeps
  global state and is not re-entrant).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading

from audio.errors import ChoreoError

__all__ = ["ARPABET", "ESPEAK_TO_ARPABET", "pronounce", "to_arpabet"]

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
_BUFFER_MS = 200
_TEXT_TO_PHONEMES_MODE = ord(" ") << 8  # ASCII mnemonics, one space between phonemes and two between words

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
