"""Speech: pocketsphinx forced alignment, phone recognition and energy-based voice activity.

Conventions
-----------
- Times are float seconds from the start of the array given (plus ``offset_s`` where a function takes it).
- Phones are ARPAbet without stress digits (``AA`` .. ``ZH``); silence, breath and noise are ``SIL``.
- pocketsphinx works on 16 kHz mono 16-bit audio at 100 frames per second: frame ``i`` is reported as
  starting at ``i / 100`` s, so times are quantised to 10 ms.
- Every call builds its own decoder (about 15 ms: the dictionary is handed over word by word, only the
  words needed), so results do not depend on earlier calls, and pocketsphinx's log is switched off.
- Before decoding, one least-significant bit of seeded (so deterministic) Gaussian dither is added: digital
  silence (exact zeros, as synthesized speech and edited stems have) otherwise gives degenerate features,
  on which phone recognition reports long bogus phones and alignment drifts.

Speed (one core of an AMD EPYC server, espeak-ng speech): :func:`force_align` runs at about 0.1 x real time up
to 30 s of audio and 0.135 x at 90 s (every senone is scored in every frame, twice: word pass and phone
pass); :func:`recognize_phones` at about 0.04 x. The first call also loads the dictionary (0.3 s).
Longer recordings are better split at pauses with :func:`vad_segments`: align each segment with the
words said in it and pass the segment's start as ``offset_s``.
"""

from __future__ import annotations

import functools
import gc
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from audio.errors import InputError
from audio.model import Phone, Word

SAMPLE_RATE = 16000
FRAME_RATE_HZ = 100.0
ARPABET = frozenset({
    "AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G", "HH", "IH", "IY", "JH",
    "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T", "TH", "UH", "UW", "V", "W", "Y", "Z", "ZH",
})
# Search scores are integers in units of log base 1.0001 (pocketsphinx's default ``logbase``) shifted right by
# SENSCR_SHIFT = 10 bits (the FSG search logs its default beam 1e-48 as -1080 = ln(1e-48) / ln(1.0001) / 1024).
_NATS_PER_SCORE = 1024 * math.log(1.0001)
# Word confidence: logistic of the word's acoustic score per frame (nats per 10 ms frame relative to the
# best senone of each frame). Measured per word (5th / 50th / 95th percentile): LibriSpeech read speech with
# its own text -6.2 / -3.6 / -2.4, with another recording's text -15.2 / -9.8 / -6.3; espeak-ng speech with
# its text -8.3 / -6.8 / -5.3, with a wrong text -18.8 / -11.7 / -6.6.
_CONF_MID = -8.0
_CONF_WIDTH = 1.25
_GARBAGE = "+SPN+"  # generic-speech filler phone, stands in for a word without a pronunciation
_FILLER_WORDS = frozenset({"<s>", "</s>", "<sil>", "[noise]", "[speech]", "(null)"})
# word_starts prunes its search to paths within this factor of the best. pocketsphinx's default (1e-48) is
# for decoding speech; a sung line under a band scores far below the best senone, and at 1e-48 and 1e-100 the
# search lost the text on dev mixes. At 1e-200 it gave the unpruned search's line mapping and word timings on
# all nine dev mixes, in a third of the memory (a 229 s mix: 1.3 GB peak instead of 3.5).
WORD_STARTS_BEAM = 1e-200
# Where the pruned search still loses the text (on the dev set, with repetition-based separation only: the medley
# with breaks over the Brahms, whose strings score as high as the voice), word_starts searches again unpruned, if
# the recording's frames times the words stay under UNPRUNED_MAX_FRAME_WORDS: the memory an unpruned pass needs
# grows with both (a 229 s mix of 393 words, 9 M: 3.5 GB peak), and a longer song is left to the caller's fallback
# rather than to the machine's memory.
UNPRUNED_MAX_FRAME_WORDS = 9_000_000
_DITHER_LSB = 1.0
_MIN_SAMPLES = SAMPLE_RATE // 20  # under 50 ms not even one phone fits (and pocketsphinx fails on none)
_SAFE_NAME = re.compile(r"^[a-z0-9'][a-z0-9'._-]*$")


@dataclass(frozen=True)
class Alignment:
    """Result of :func:`force_align`.

    Attributes
    ----------
    words : tuple of Word
        The aligned words in input order (``text`` as given), times in seconds. Fewer than given when
        ``complete`` is False.
    phones : tuple of Phone
        ARPAbet phones of the aligned words and ``SIL`` for the pauses between them, tiling the aligned span
        (except for the span of a word aligned without a pronunciation; see :func:`force_align`).
    complete : bool
        Every word given was aligned with a real pronunciation.
    score : float
        Mean acoustic score per frame of the aligned words, in nats per 10 ms frame relative to the best
        senone of each frame (0 is perfect). Measured: the right text scores about -3.5 .. -4 on read speech
        (LibriSpeech) and -6.5 on espeak-ng speech, a wrong text -9.5 .. -12; ``-inf`` when no word was
        aligned.
    """

    words: tuple[Word, ...]
    phones: tuple[Phone, ...]
    complete: bool
    score: float


@functools.lru_cache(maxsize=1)
def load_dictionary() -> dict[str, list[list[str]]]:
    """The English pronunciation dictionary that ships with pocketsphinx (CMUdict), loaded once.

    Returns
    -------
    dict of str to list of list of str
        Lower-case word -> its pronunciations (ARPAbet phone lists without stress digits); alternates
        (``word(2)``, ...) are folded into the list in file order. Do not modify the result: it is cached.
    """
    path = _model_path("cmudict-en-us.dict")
    lexicon: dict[str, list[list[str]]] = {}
    strip_digits = str.maketrans("", "", "0123456789")
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    gc_was_on = gc.isenabled()
    gc.disable()  # 130k small lists: the cyclic collector would triple the load time
    try:
        for line in text.splitlines():
            parts = line.split("#", 1)[0].split() if "#" in line else line.split()
            if len(parts) < 2:
                continue
            word = parts[0].lower()
            if word.endswith(")") and "(" in word:
                word = word[:word.rindex("(")]
            # The shipped file has no stress digits; other CMUdict versions do.
            lexicon.setdefault(word, []).append(" ".join(parts[1:]).translate(strip_digits).upper().split())
    finally:
        if gc_was_on:
            gc.enable()
    return lexicon


def force_align(y: np.ndarray, sr: int, words: Sequence[str], *,
                pronunciations: Mapping[str, Sequence[str]] | None = None, offset_s: float = 0.0,
                longest_prefix: bool = True) -> Alignment:
    """Align a known word sequence to speech with pocketsphinx (word, then phone level).

    Parameters
    ----------
    y : np.ndarray [shape=(n,) or (n, channels), float]
        The recording (one utterance, or a segment of a longer one; see the module notes), -1..1.
    sr : int, Hz
        Its sample rate (resampled to 16 kHz here).
    words : sequence of str
        The words said, in order. Case and surrounding punctuation are ignored for the dictionary lookup.
    pronunciations : mapping of str to list of str, optional
        Pronunciations (ARPAbet, stress digits allowed) by word, e.g. from espeak-ng. A word missing from
        the dictionary uses this one; a word in the dictionary gets it as an extra alternative.
    offset_s : float, s
        Added to every output time (the segment's start in the whole recording).
    longest_prefix : bool
        When the audio is too short for the whole text, search for the longest prefix of the words that
        fits (a binary search: several more alignments). False: return an empty, incomplete alignment at
        once, for a caller that has no use for part of the text.

    Returns
    -------
    Alignment
        ``complete`` is False when some words could not be aligned: the audio is too short for the text
        (then the longest prefix of the words that fits is returned), or a word has no pronunciation at all
        while ``pronunciations`` was given (it is aligned with a generic speech model, so its neighbours
        keep their timing, but it is left out of ``words`` and ``phones``). A wrong text still aligns; its
        low ``score`` and word confidences tell. Word confidence is
        ``1 / (1 + exp(-(s + 8) / 1.25))`` of the word's per-frame score ``s`` (nats per frame, as
        ``score``): 0.96 at -4 (read speech, right text), 0.5 at -8, 0.17 at -10, 0.004 at -15.

    Raises
    ------
    InputError
        A word is not in the dictionary and ``pronunciations`` is None (``"no pronunciation for 'word'"``),
        a word has no letter or digit, a given pronunciation has a phone outside ARPAbet, or the audio is
        not a finite 1-D or 2-D array.
    """
    tokens, entries, x = _inputs(y, sr, words, pronunciations)
    duration = x.size / SAMPLE_RATE
    if not tokens:
        return Alignment((), (), True, float("-inf"))
    if x.size < _MIN_SAMPLES:
        return Alignment((), (), False, float("-inf"))
    pcm = x.tobytes()
    n = len(entries)
    result = _align_once(pcm, entries)
    if result is None and longest_prefix:
        # Not even the unpruned search reached the end of the text: too little audio for it. Find the
        # longest prefix that fits (fitting is monotone in the prefix length).
        lo, hi, result = 0, n - 1, None
        while lo < hi:
            mid = (lo + hi + 1) // 2
            trial = _align_once(pcm, entries[:mid])
            if trial is not None:
                lo, result = mid, trial
            else:
                hi = mid - 1
        n = lo
    if result is None:
        return Alignment((), (), False, float("-inf"))
    return _build(result, entries[:n], tokens, duration, offset_s,
                  complete=n == len(entries) and all(e.real for e in entries))


def recognize_phones(y: np.ndarray, sr: int, *, offset_s: float = 0.0) -> tuple[Phone, ...]:
    """Phones heard in a recording, without a text: pocketsphinx allphone search with its phone bigram.

    Parameters
    ----------
    y : np.ndarray [shape=(n,) or (n, channels), float]
        The recording, -1..1 (any length; phone search is linear in time).
    sr : int, Hz
    offset_s : float, s
        Added to every output time.

    Returns
    -------
    tuple of Phone
        Contiguous phones covering the decoded span (``SIL`` for silence and noise, merged); empty for
        empty input. Expect many substitutions: on espeak-ng speech the phone error rate is about 60 %,
        but the count (8-11 per second of speech, on read and on synthesized speech) and timing follow
        the speech.

    Raises
    ------
    InputError
        The audio is not a finite 1-D or 2-D array.
    """
    x = _to_pcm16(y, sr)
    if x.size < SAMPLE_RATE // 10:
        return (Phone(offset_s, offset_s + x.size / SAMPLE_RATE, "SIL"),) if x.size else ()
    import pocketsphinx

    decoder = pocketsphinx.Decoder(samprate=SAMPLE_RATE, allphone=_model_path("en-us-phone.lm.bin"),
                                   dict=None, lw=2.0, pip=0.3, beam=1e-20, pbeam=1e-20, loglevel="FATAL")
    decoder.start_utt()
    decoder.process_raw(x.tobytes(), full_utt=True)
    decoder.end_utt()
    duration = x.size / SAMPLE_RATE
    spans = []
    for seg in decoder.seg() or []:
        name = seg.word.upper()
        spans.append((seg.start_frame, seg.end_frame + 1, name if name in ARPABET else "SIL"))
    return tuple(_phones(spans, duration, offset_s))


def vad_segments(y: np.ndarray, sr: int, *, min_silence_s: float = 0.3, top_db: float = 35.0,
                 floor_db: float = -55.0, min_speech_s: float = 0.1, pad_s: float = 0.05) -> list[tuple[float, float]]:
    """Stretches of voice activity, by frame energy, for splitting long audio into utterances.

    A 25 ms frame (10 ms hop) is active when its RMS level is within ``top_db`` of the loudest frame and
    above ``floor_db`` dBFS. Active runs closer than ``min_silence_s`` are joined, runs shorter than
    ``min_speech_s`` dropped, and each is widened by ``pad_s`` on both sides (clipped to the audio).

    Parameters
    ----------
    y : np.ndarray [shape=(n,) or (n, channels), float]
        The recording, -1..1.
    sr : int, Hz
    min_silence_s : float, s
        Shortest pause that separates two segments.
    top_db : float, dB
        Activity threshold below the loudest frame.
    floor_db : float, dBFS
        Absolute activity threshold (silence and a noise floor stay inactive).
    min_speech_s : float, s
        Shortest segment kept.
    pad_s : float, s
        Margin added on both sides of each segment.

    Returns
    -------
    list of (float, float)
        ``(start_s, end_s)`` of each segment, in order, not overlapping; empty for silence.

    Raises
    ------
    InputError
        The audio is not a finite 1-D or 2-D array, or ``sr`` is not positive.
    """
    x = _mono(y)
    if sr <= 0:
        raise InputError(f"sample rate must be positive, got {sr}")
    duration = x.size / sr
    win, hop = max(1, round(0.025 * sr)), max(1, round(0.010 * sr))
    if x.size == 0:
        return []
    n_frames = 1 + max(0, x.size - win + hop - 1) // hop
    padded = np.zeros((n_frames - 1) * hop + win, dtype=np.float64)
    padded[:x.size] = x
    frames = np.lib.stride_tricks.sliding_window_view(padded, win)[::hop][:n_frames]
    level = 10.0 * np.log10(np.mean(frames * frames, axis=1) + 1e-12)
    active = level > max(float(level.max()) - top_db, floor_db)
    runs = _runs(active)
    joined: list[list[int]] = []
    gap = min_silence_s / 0.010
    for a, b in runs:
        if joined and a - joined[-1][1] < gap:
            joined[-1][1] = b
        else:
            joined.append([a, b])
    out: list[tuple[float, float]] = []
    for a, b in joined:
        start, end = a * hop / sr, min(duration, ((b - 1) * hop + win) / sr)
        if end - start < min_speech_s:
            continue
        start, end = max(0.0, start - pad_s), min(duration, end + pad_s)
        if out and start < out[-1][1]:
            start = out[-1][1]
        out.append((start, end))
    return out


# --- internals -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    """One word to align: decoder name, pronunciations, and whether it has a real one."""

    name: str
    prons: tuple[tuple[str, ...], ...]
    real: bool


def _model_path(name: str) -> str:
    import os

    import pocketsphinx

    return os.path.join(pocketsphinx.get_model_path(), "en-us", name)


def _normalise(word: str) -> str:
    """Lower case, typographic apostrophes made plain, punctuation around the word removed."""
    w = word.strip().lower().replace("’", "'").replace("‘", "'")
    return re.sub(r"^[^\w']+|[^\w']+$", "", w).strip("_")


def _clean_pron(word: str, phones: Sequence[str] | str) -> tuple[str, ...]:
    if isinstance(phones, str):
        phones = phones.split()
    out = []
    for p in phones:
        q = re.sub(r"\d", "", str(p)).strip().upper()
        if q not in ARPABET:
            raise InputError(f"pronunciation for {word!r} has {p!r}, which is not an ARPAbet phone")
        out.append(q)
    return tuple(out)


def _word_entries(tokens: list[str], pronunciations: Mapping[str, Sequence[str]] | None) -> list[_Entry]:
    lexicon = load_dictionary()
    given: dict[str, Sequence[str]] = {}
    if pronunciations is not None:
        for k, v in pronunciations.items():
            given.setdefault(_normalise(str(k)), v)
        given.update({str(k): v for k, v in pronunciations.items()})
    entries: list[_Entry] = []
    names: dict[tuple[str, tuple[tuple[str, ...], ...]], str] = {}
    for token in tokens:
        key = _normalise(token)
        if not key or not any(c.isalnum() for c in key):
            raise InputError(f"cannot align {token!r}: it has no letter or digit")
        prons = [tuple(p) for p in lexicon.get(key, [])]
        extra = given.get(token, given.get(key))
        if extra is not None:
            pron = _clean_pron(token, extra)
            if pron and pron not in prons:
                prons.append(pron)
        real = bool(prons)
        if not real:
            if pronunciations is None:
                raise InputError(f"no pronunciation for {token!r}")
            prons = [(_GARBAGE,)]
        signature = (key, tuple(prons))
        if signature not in names:
            # A plain key is its own decoder name; anything else (odd characters, or the same key with a
            # different pronunciation set) gets a numbered name that no plain key can take ("~").
            plain = _SAFE_NAME.match(key) and key not in names.values()
            names[signature] = key if plain else f"w~{len(names)}"
        entries.append(_Entry(names[signature], signature[1], real))
    return entries


def _inputs(y: np.ndarray, sr: int, words: Sequence[str],
            pronunciations: Mapping[str, Sequence[str]] | None) -> tuple[list[str], list[_Entry], np.ndarray]:
    """An alignment's inputs: the words as text, their dictionary entries, and the audio as pocketsphinx hears it."""
    tokens = [str(w) for w in words]
    return tokens, _word_entries(tokens, pronunciations), _to_pcm16(y, sr)


def _to_pcm16(y: np.ndarray, sr: int) -> np.ndarray:
    """Mono float audio -> 16 kHz int16 with one LSB of seeded dither."""
    from audio.features import resample_mono

    x = _mono(y)
    if sr <= 0:
        raise InputError(f"sample rate must be positive, got {sr}")
    if x.size == 0:
        return np.zeros(0, dtype=np.int16)
    x16 = resample_mono(x.astype(np.float32), int(sr), SAMPLE_RATE).astype(np.float64) * 32767.0
    x16 += np.random.default_rng(0).standard_normal(x16.size) * _DITHER_LSB
    return np.clip(np.rint(x16), -32768, 32767).astype("<i2")


def _mono(y: np.ndarray) -> np.ndarray:
    x = np.asarray(y)
    if x.dtype.kind not in "fi" or x.ndim not in (1, 2):
        raise InputError(f"audio must be a 1-D or 2-D float or signed-integer array, got shape {x.shape} "
                         f"of {x.dtype}")
    if x.dtype.kind == "i":
        x = x.astype(np.float64) / float(np.iinfo(x.dtype).max)
    if x.ndim == 2:
        x = x.mean(axis=1) if x.shape[1] <= x.shape[0] else x.mean(axis=0)
    x = np.asarray(x, dtype=np.float64)
    if not np.all(np.isfinite(x)):
        raise InputError("audio has NaN or infinite samples")
    return x


def _decoder(entries: Sequence[_Entry], beam: float = 0.0):
    import pocketsphinx

    # compallsen: every senone is scored in every frame, so the scores (relative to the best senone) do not
    # depend on the search's pruning. bestpath off, as pocketsphinx's own phone-alignment test requires.
    # beam 0: no pruning at all.
    d = pocketsphinx.Decoder(samprate=SAMPLE_RATE, lm=None, dict=None, bestpath=False, compallsen=True,
                             beam=beam, wbeam=beam, pbeam=beam, lpbeam=beam, lponlybeam=beam, loglevel="FATAL")
    lexicon: dict[str, str] = {}
    for e in entries:
        for i, pron in enumerate(e.prons):
            lexicon.setdefault(e.name if i == 0 else f"{e.name}({i + 1})", " ".join(pron))
    for k, (name, pron) in enumerate(lexicon.items()):
        d.add_word(name, pron, k == len(lexicon) - 1)  # rebuild the decoder's tables once, after the last
    return d


def _word_pass(d, pcm: bytes, entries: Sequence[_Entry]) -> bool:
    """Align the words of ``entries`` to ``pcm`` with decoder ``d``; whether the search reached the text's end."""
    d.set_align_text(" ".join(e.name for e in entries))
    d.start_utt()
    d.process_raw(pcm, full_utt=True)
    d.end_utt()
    return d.hyp() is not None


def _align_once(pcm: bytes, entries: Sequence[_Entry]):
    """Word pass then phone pass; the alignment as (word name, score, frames, phones) tuples, or None."""
    if not entries:
        return None
    d = _decoder(entries)
    try:
        if not _word_pass(d, pcm, entries):
            return None
        d.set_alignment()
        d.start_utt()
        d.process_raw(pcm, full_utt=True)
        d.end_utt()
        al = d.get_alignment()
    except RuntimeError:
        return None
    if al is None:
        return None
    out = []
    for w in al:
        phones = [(p.name, p.start, p.start + p.duration) for p in w]
        out.append((w.name, w.score, w.start, w.start + w.duration, phones))
    real = [w for w in out if _base(w[0]) not in _FILLER_WORDS]
    if len(real) != len(entries) or any(_base(w[0]) != e.name for w, e in zip(real, entries, strict=True)):
        return None
    return out


def word_starts(y: np.ndarray, sr: int, words: Sequence[str], *,
                pronunciations: Mapping[str, Sequence[str]] | None = None,
                beam: float = WORD_STARTS_BEAM) -> np.ndarray | None:
    """Where each word starts, by one pruned word-level pass of forced alignment: cheap enough for a whole song.

    :func:`force_align` searches unpruned, and twice (words, then phones): its memory grows with the length of
    the recording times the length of the text (2.3 GB for a 229 s full mix and 393 words). One pass pruned to
    ``beam`` keeps only the likely states (``WORD_STARTS_BEAM``); where it loses the text, the pass is searched
    again unpruned if that fits ``UNPRUNED_MAX_FRAME_WORDS``.

    Parameters
    ----------
    y : np.ndarray [shape=(n,) or (n, channels), float]
    sr : int, Hz
    words : sequence of str
    pronunciations : mapping of str to list of str, optional
        As for :func:`force_align`.
    beam : float
        pocketsphinx's beams (all of them), relative to the best path.

    Returns
    -------
    np.ndarray [shape=(len(words),), seconds] or None
        None where the search loses the text before its end (or there is no audio or no word).

    Raises
    ------
    InputError
        As :func:`force_align`.
    """
    _, entries, x = _inputs(y, sr, words, pronunciations)
    if not entries or x.size < _MIN_SAMPLES:
        return None
    unpruned_fits = x.size / SAMPLE_RATE * FRAME_RATE_HZ * len(entries) <= UNPRUNED_MAX_FRAME_WORDS
    pcm = x.tobytes()
    for b in (beam, 0.0) if beam > 0.0 and unpruned_fits else (beam,):
        d = _decoder(entries, b)
        try:
            segs = [(seg.word, seg.start_frame) for seg in d.seg()] if _word_pass(d, pcm, entries) else []
        except RuntimeError:
            segs = []
        starts = [frame / FRAME_RATE_HZ for word, frame in segs if _base(word) not in _FILLER_WORDS]
        if len(starts) == len(entries):
            return np.array(starts, dtype=np.float64)
    return None


def _base(name: str) -> str:
    return re.sub(r"\(\d+\)$", "", name).lower()


def _confidence(per_frame: float) -> float:
    z = (per_frame - _CONF_MID) / _CONF_WIDTH
    return 0.0 if z < -700.0 else 1.0 / (1.0 + math.exp(-z))


def _build(result, entries: Sequence[_Entry], tokens: list[str], duration: float, offset_s: float, *,
           complete: bool) -> Alignment:
    nats = _NATS_PER_SCORE
    words: list[Word] = []
    spans: list[tuple[int, int, str]] = []
    total_score, total_frames = 0.0, 0
    i = 0
    for name, score, f0, f1, phones in result:
        if _base(name) in _FILLER_WORDS:
            spans.append((f0, f1, "SIL"))
            continue
        entry, token = entries[i], tokens[i]
        i += 1
        if not entry.real:
            continue
        n = max(f1 - f0, 1)
        total_score += score * nats
        total_frames += n
        start, end = min(f0 / FRAME_RATE_HZ, duration), min(f1 / FRAME_RATE_HZ, duration)
        words.append(Word(start + offset_s, end + offset_s, token, round(_confidence(score * nats / n), 4)))
        spans.extend((a, b, p if p in ARPABET else "SIL") for p, a, b in phones)
    mean = total_score / total_frames if total_frames else float("-inf")
    return Alignment(tuple(words), tuple(_phones(spans, duration, offset_s)), complete, mean)



def _phones(spans, duration: float, offset_s: float) -> list[Phone]:
    """Frame spans -> Phones in seconds (clipped to the audio, adjacent SIL merged, empty ones dropped)."""
    out: list[Phone] = []
    for f0, f1, p in spans:
        a, b = min(f0 / FRAME_RATE_HZ, duration), min(f1 / FRAME_RATE_HZ, duration)
        if b <= a:
            continue
        if out and p == "SIL" and out[-1].phone == "SIL" and abs(out[-1].end - (a + offset_s)) < 1e-9:
            out[-1] = Phone(out[-1].start, b + offset_s, "SIL")
        else:
            out.append(Phone(a + offset_s, b + offset_s, p))
    return out


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) index pairs of the True runs of a boolean array."""
    m = np.concatenate([[False], mask.astype(bool), [False]])
    edges = np.flatnonzero(m[1:] != m[:-1])
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]
