"""espeak-ng speech with exact phoneme times: ground truth for the lip-sync tests and benchmarks.

espeak-ng reports where every phoneme starts in its own output, so :func:`synthesize` returns audio
together with phone and word times that are known, not estimated. Test material, not part of the
product: the pronunciations the product uses are :mod:`audio.espeak`.

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
- Words are the tokens of the input (letters and digits, with inner apostrophes and hyphens) that
  espeak-ng's word events point at (``text_position`` is a 1-based character position, SSML markup
  included); a number read as several words stays one word. A word spans its own phones.
- Estimated, not measured: espeak-ng renders a post-vocalic ``l`` inside the preceding vowel's formant
  transition, so its event comes at the same sample as the next phoneme; such a zero-length phone
  gets the last quarter of the phone before it. Split spans (``AA R``) give 60 % to the first symbol.
- Each utterance runs in a new worker process (:mod:`tests.material.espeak_worker`, about 25 ms): the
  synthesizer keeps state from one utterance to the next that ``espeak_Initialize`` does not reset (its
  pitch-flutter phase, gain control, glottal phase), which moved phone boundaries by up to 10 ms
  depending on what was said before. In a fresh process the same arguments always give the same samples.
"""

from __future__ import annotations

import bisect
import marshal
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from audio.errors import ChoreoError
from audio.espeak import _BUFFER_MS, _CHARS_UTF8, SIL, _engine, _expand, _switch, pronounce
from audio.model import Phone, Word

_WORKER = Path(__file__).with_name("espeak_worker.py")
_WORKER_TIMEOUT_S = 600
_EV_WORD, _EV_PHONEME = 1, 7
_LEAD_SHARE = 0.6  # of a split span (``AA R``) to its first symbol
_SILENT = 1e-4  # peak amplitude under which a word event's lead-in counts as a pause
_SSML = 0x10
_ZERO_SHARE = 0.25  # of the previous phone given to a zero-length one


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
        done = subprocess.run([sys.executable, "-I", "-S", str(_WORKER)], input=request, capture_output=True,
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
