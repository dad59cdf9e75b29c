"""pocketsphinx alignment and phone recognition on espeak-ng speech (audio/speech.py).

Test speech comes from the espeak-ng command line (skipped when it is not installed). Word-onset accuracy
is measured against espeak-ng's own word times (tests.material.espeak_speech.synthesize, through its C library) where
that module works.

Measured on this machine (espeak-ng 1.51, en-us, 150 wpm; pocketsphinx 5.1.1):
- two sentences with a 1 s pause: all 17 words, score -6.3 nats/frame; the same audio with a different
  sentence: -11.9; the text with only the first eighth of the audio: a 7-word prefix, complete=False.
- onsets against espeak-ng's: median |error| 15-20 ms, 90th percentile 55 ms, median bias -14 ms (the
  aligner puts a stop's closure into its word), on 8-90 s passages.
- real-time factors: force_align 0.10 (8 s), 0.10 (29 s), 0.11 (59 s), 0.135 (89 s); recognize_phones 0.04;
  11 phones per second of speech recognised against 12 spoken, phone error rate about 60 %.
- LibriSpeech recordings (../shared/data/real, when present): score -3.4 .. -4.1 with the text the audio
  sounds like, -9.5 .. -9.9 with another recording's text; 8-10 recognised phones per second of speech.
"""

from __future__ import annotations

import math
import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf

from audio import speech as S
from audio.errors import InputError

ESPEAK = shutil.which("espeak-ng")
pytestmark = pytest.mark.skipif(ESPEAK is None, reason="espeak-ng is not installed")

SENT1 = "The quick brown fox jumps over the lazy dog."
SENT2 = "She sells sea shells by the sea shore."
WORDS = [w.strip(".") for w in f"{SENT1} {SENT2}".split()]
WRONG = "a stitch in time saves nine and many hands make light work of heavy things".split()
BLORP = ["B", "L", "AO1", "R", "P", "T", "AE1", "S", "T", "IH0", "K"]
VALID = S.ARPABET | {"SIL"}


def _espeak(tmp_path, name: str, text: str, *, ssml: bool = False) -> tuple[np.ndarray, int]:
    out = tmp_path / f"{name}.wav"
    cmd = [ESPEAK, "-v", "en-us", "-s", "150", *(["-m"] if ssml else []), "-w", str(out), text]
    subprocess.run(cmd, check=True, capture_output=True, timeout=60)
    y, sr = sf.read(out, dtype="float32")
    return y, sr


@pytest.fixture(scope="module")
def two_sentences(tmp_path_factory):
    """The two sentences with a 1 s pause between them."""
    return _espeak(tmp_path_factory.mktemp("speech"), "two", f'{SENT1} <break time="1s"/> {SENT2}', ssml=True)


@pytest.fixture(scope="module")
def aligned(two_sentences):
    y, sr = two_sentences
    return S.force_align(y, sr, WORDS)


def _check_words(al: S.Alignment, words: list[str], duration: float, *, min_s: float = 0.05) -> None:
    assert [w.text for w in al.words] == words
    starts = [w.start for w in al.words]
    assert all(b > a for a, b in zip(starts, starts[1:], strict=False))
    for w in al.words:
        assert 0.0 <= w.start < w.end <= duration + 1e-9
        assert min_s - 1e-6 <= w.end - w.start <= 1.5, w
        assert 0.0 <= w.confidence <= 1.0


def test_load_dictionary():
    lex = S.load_dictionary()
    assert lex is S.load_dictionary()  # cached
    assert lex["the"] == [["DH", "AH"], ["DH", "IY"]]  # "the(2)" folded in
    assert len(lex) > 100_000
    assert all(p in S.ARPABET for prons in (lex["quick"], lex["shore"], lex["thirteen"]) for pr in prons for p in pr)
    assert "the(2)" not in lex


def test_force_align_two_sentences(aligned, two_sentences):
    y, sr = two_sentences
    duration = len(y) / sr
    al = aligned
    assert al.complete
    _check_words(al, WORDS, duration)
    assert -9.0 < al.score < 0.0
    assert np.mean([w.confidence for w in al.words]) > 0.6
    # The 1 s pause separates "dog" and "She".
    dog, she = al.words[8], al.words[9]
    assert she.start - dog.end > 0.7
    # Phones: valid symbols, in order, every speech phone inside a word, every word covered by its phones.
    assert all(p.phone in VALID for p in al.phones)
    assert all(b.start >= a.end - 1e-9 for a, b in zip(al.phones, al.phones[1:], strict=False))
    for p in al.phones:
        if p.phone != "SIL":
            assert any(w.start - 1e-9 <= p.start and p.end <= w.end + 1e-9 for w in al.words), p
    for w in al.words:
        inside = [p for p in al.phones if w.start - 1e-9 <= p.start and p.end <= w.end + 1e-9]
        assert inside and inside[0].start == pytest.approx(w.start) and inside[-1].end == pytest.approx(w.end)
    assert [p.phone for p in al.phones if al.words[3].start <= p.start < al.words[3].end] == ["F", "AA", "K", "S"]


def test_offset_and_determinism(aligned, two_sentences):
    y, sr = two_sentences
    again = S.force_align(y, sr, WORDS, offset_s=10.0)
    assert again.score == aligned.score and again.complete
    shifted = [x for w in again.words for x in (w.start - 10.0, w.end - 10.0, w.confidence)]
    assert shifted == pytest.approx([x for w in aligned.words for x in (w.start, w.end, w.confidence)])
    assert [p.phone for p in again.phones] == [p.phone for p in aligned.phones]


def test_word_not_in_dictionary(tmp_path):
    assert "blorptastic" not in S.load_dictionary()
    y, sr = _espeak(tmp_path, "blorp", "The blorptastic fox jumps over the dog.")
    words = ["The", "blorptastic", "fox", "jumps", "over", "the", "dog"]
    al = S.force_align(y, sr, words, pronunciations={"blorptastic": BLORP})
    assert al.complete
    _check_words(al, words, len(y) / sr)
    blorp = al.words[1]
    assert blorp.end - blorp.start > 0.4  # eleven phones
    inside = [p.phone for p in al.phones if blorp.start <= p.start < blorp.end]
    assert inside == [p.rstrip("012") for p in BLORP]

    with pytest.raises(InputError, match="no pronunciation for 'blorptastic'"):
        S.force_align(y, sr, words)
    # Pronunciations given, but not this word's: the rest aligns and the result says it is incomplete.
    partial = S.force_align(y, sr, words, pronunciations={})
    assert not partial.complete
    assert [w.text for w in partial.words] == [w for w in words if w != "blorptastic"]
    fox = partial.words[1]
    assert abs(fox.start - al.words[2].start) < 0.1


def test_wrong_text_scores_lower(aligned, two_sentences):
    y, sr = two_sentences
    wrong = S.force_align(y, sr, WRONG)
    # Measured: right -6.3, wrong -11.9 nats per frame; an unpruned search still reaches the end.
    assert (not wrong.complete) or wrong.score < aligned.score - 3.0
    assert np.mean([w.confidence for w in wrong.words] or [0.0]) < np.mean([w.confidence for w in aligned.words])


def test_text_longer_than_audio(two_sentences):
    y, sr = two_sentences
    short = y[: len(y) // 8]
    al = S.force_align(short, sr, WORDS)
    assert not al.complete
    assert 0 < len(al.words) < len(WORDS)
    assert [w.text for w in al.words] == WORDS[: len(al.words)]
    assert al.words[-1].end <= len(short) / sr + 1e-9


def test_word_starts_agree_with_the_full_alignment(aligned, two_sentences):
    """The pruned one-pass word starts are the unpruned alignment's, and the text that cannot fit gives None."""
    y, sr = two_sentences
    starts = S.word_starts(y, sr, WORDS)
    assert starts is not None and starts.shape == (len(WORDS),)
    np.testing.assert_allclose(starts, [w.start for w in aligned.words], atol=0.03)
    assert S.word_starts(y[: len(y) // 8], sr, WORDS) is None
    assert S.word_starts(y, sr, []) is None


def test_word_starts_search_again_unpruned_where_the_pruned_pass_loses_the_text(aligned, two_sentences, monkeypatch):
    """A beam so narrow that it loses the text: the unpruned search finds it, unless it would take too much memory."""
    y, sr = two_sentences
    lost = []
    word_pass = S._word_pass
    monkeypatch.setattr(S, "_word_pass", lambda d, pcm, entries: lost.append(word_pass(d, pcm, entries)) or lost[-1])
    starts = S.word_starts(y, sr, WORDS, beam=0.999)
    assert lost == [False, True]
    np.testing.assert_allclose(starts, [w.start for w in aligned.words], atol=0.03)
    monkeypatch.setattr(S, "UNPRUNED_MAX_FRAME_WORDS", len(y) / sr * S.FRAME_RATE_HZ * len(WORDS) - 1)
    assert S.word_starts(y, sr, WORDS, beam=0.999) is None


def test_silence(capfd):
    silence = np.zeros(32000, dtype=np.float32)
    phones = S.recognize_phones(silence, 16000)
    assert all(p.phone == "SIL" for p in phones)
    al = S.force_align(silence, 16000, ["hello", "world"])
    assert al.score < -9.0 or not al.complete  # words forced into silence fit badly
    assert all(w.confidence < 0.5 for w in al.words)
    assert S.vad_segments(silence, 16000) == []
    assert S.force_align(silence[:100], 16000, ["hello"]) == S.Alignment((), (), False, -math.inf)
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # pocketsphinx's log is off


def test_recognize_phones(two_sentences, capfd):
    y, sr = two_sentences
    phones = S.recognize_phones(y, sr, offset_s=1.0)
    assert phones and all(p.phone in VALID for p in phones)
    assert all(p.end > p.start for p in phones)
    assert all(b.start == pytest.approx(a.end) for a, b in zip(phones, phones[1:], strict=False))
    assert phones[0].start == pytest.approx(1.0) and phones[-1].end <= 1.0 + len(y) / sr + 1e-9
    speech_s = sum(b - a for a, b in S.vad_segments(y, sr))
    rate = sum(p.phone != "SIL" for p in phones) / speech_s
    assert 5.0 <= rate <= 20.0, rate
    assert capfd.readouterr() == ("", "")


def test_vad_two_sentences(two_sentences, aligned):
    y, sr = two_sentences
    segs = S.vad_segments(y, sr)
    assert len(segs) == 2
    (a0, a1), (b0, b1) = segs
    assert b0 - a1 > 0.6
    words = aligned.words
    assert a0 <= words[0].start + 0.05 and words[8].end - 0.05 <= a1
    assert b0 <= words[9].start + 0.05 and words[-1].end - 0.05 <= b1
    # Stereo in, same answer; a short pause inside a sentence does not split it.
    assert S.vad_segments(np.stack([y, y], axis=1), sr) == segs
    assert len(S.vad_segments(y, sr, min_silence_s=2.0)) == 1


def test_bad_input(two_sentences):
    y, sr = two_sentences
    with pytest.raises(InputError, match="no letter or digit"):
        S.force_align(y, sr, ["the", "--", "dog"])
    with pytest.raises(InputError, match="not an ARPAbet phone"):
        S.force_align(y, sr, ["blorptastic"], pronunciations={"blorptastic": ["B", "L", "XX"]})
    bad = y.copy()
    bad[10] = np.nan
    with pytest.raises(InputError, match="NaN"):
        S.force_align(bad, sr, ["the"])
    with pytest.raises(InputError):
        S.recognize_phones(np.zeros((2, 3, 4)), sr)
    assert S.force_align(y, sr, []) == S.Alignment((), (), True, -math.inf)


def test_onsets_against_espeak_word_times():
    try:
        from tests.material.espeak_speech import synthesize

        spoken = synthesize(f"{SENT1} {SENT2} It was a bright cold day in April.", rate_wpm=150)
    except Exception as exc:  # noqa: BLE001 - the ground-truth source is optional here
        pytest.skip(f"espeak-ng word times unavailable: {exc}")
    words = [w.text for w in spoken.words]
    al = S.force_align(spoken.y, spoken.sr, words)
    assert al.complete
    err = np.abs([a.start - b.start for a, b in zip(al.words, spoken.words, strict=True)])
    # Measured: median 20 ms, 90th percentile 55 ms on 8-90 s passages.
    assert np.median(err) < 0.04, err
    assert np.percentile(err, 90) < 0.1, err


# pocketsphinx's own recognition (default language model) of the LibriSpeech recording: not the book's text,
# but what the audio sounds like to this acoustic model, so it aligns as well as the true text would.
LIBRI_198 = ("mrs allen said catherine the next morning and again economy going on ms to me today i shall not be "
             "easy to live explained everything go by all means my dear only put on a white gown this till he "
             "always wears white").split()
LIBRI_5703 = ("with her white paint and her skirt smokes at the inversion own moral but a small streamers that "
              "during the summer months before it opened our mod and then suddenly turned on communication "
              "between the number of fuel and cry and on").split()


def test_real_speech(real_data):
    y, sr = sf.read(real_data / "speech_libri_198-209-0000.ogg", dtype="float32")
    duration = len(y) / sr
    al = S.force_align(y, sr, LIBRI_198)
    assert al.complete
    _check_words(al, LIBRI_198, duration, min_s=0.03)  # a fast "a" takes the minimum: 3 frames of 10 ms
    # Measured: -3.7 nats per frame, mean word confidence 0.98; another recording's text: -9.7.
    assert al.score > -5.5
    assert np.mean([w.confidence for w in al.words]) > 0.85
    wrong = S.force_align(y, sr, LIBRI_5703)
    assert wrong.score < al.score - 3.0
    segs = S.vad_segments(y, sr)
    assert segs and segs[0][0] <= al.words[0].start + 0.05 and al.words[-1].end - 0.05 <= segs[-1][1]
    phones = S.recognize_phones(y, sr)
    rate = sum(p.phone != "SIL" for p in phones) / sum(b - a for a, b in segs)
    assert 5.0 <= rate <= 20.0, rate  # measured 9.7
