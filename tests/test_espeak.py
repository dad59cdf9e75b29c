"""espeak-ng: the test speech's phone and word times match the audio; ARPAbet mapping, pronunciations.

The timing tests measure the audio itself (zero-crossing rate and energy), so they fail if the phone
times drift from the sound, e.g. when ``audio_position``/``sample`` are misread or shifted.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np
import pytest

from audio import espeak
from audio.errors import ChoreoError
from tests.material import espeak_speech as speech

try:
    espeak._engine()
except ChoreoError as exc:  # pragma: no cover - the library is a system package
    pytest.skip(str(exc), allow_module_level=True)

VALID = espeak.ARPABET | {espeak.SIL}
VOWELS = {"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"}
SENTENCE = "She sells sea shells by the sea shore."
PANGRAMS = (
    "The quick brown fox jumps over the lazy dog. She sells sea shells by the sea shore. How now brown cow. "
    "The beige hue on the waters of the loch impressed all, including the French queen, before she heard "
    "that symphony again, just as young Arthur wanted. Judge the thick measure of a vision. Boy, the joy "
    "of toys. Father, pour more water for our poor tourist; here, there, where. Bird, cure, hire, our, "
    "oil, put, book, thought, lot, cloth, bath, palm, start, north, force, near, square, nurse, letter, "
    "comma, happy, button, little, rhythm, sing, singer, finger, church."
)
OTHER_LANGUAGES = {
    "fr": "Je ne regrette rien. Un bon vin blanc, le cœur de la lune, deux peuples heureux. Gagner, signe, "
          "famille, travail, huit, nuit, soleil, jeune, été, fête, rose, porte, peur, pain, brun, le weekend.",
    "es": "El corazón de la ciudad. Llamar al niño, el perro corre rápido. Mañana vamos a la playa con "
          "Jorge. Guerra, guitarra, cigüeña, agua, hoy, muy, ley, cielo, zapato, jamón, gente, lluvia, chico.",
    "de": "Über den Wolken muss die Freiheit wohl grenzenlos sein. Straße, ich, Bach, Zeit, Pferd, schön, "
          "Mädchen, Bücher, Häuser, Löwe, Hütte, können, Eule, Pfanne, Zug, Junge, Vogel, Kirche, Milch.",
}


@pytest.fixture(scope="module")
def spoken() -> speech.SpokenText:
    return speech.synthesize(SENTENCE)


def _non_sil(spoken: speech.SpokenText) -> list[str]:
    return [p.phone for p in spoken.phones if p.phone != espeak.SIL]


# -- phones and words ------------------------------------------------------------------------------------------

def test_phones_cover_the_audio_contiguously(spoken):
    phones = spoken.phones
    assert spoken.sr == 22050
    assert spoken.y.dtype == np.float32 and spoken.y.ndim == 1 and np.abs(spoken.y).max() <= 1.0
    assert phones[0].start == 0.0
    assert phones[-1].end == pytest.approx(len(spoken.y) / spoken.sr, abs=1e-9)
    for a, b in zip(phones, phones[1:], strict=False):
        assert a.end == b.start
    assert all(p.end > p.start for p in phones)
    assert {p.phone for p in phones} <= VALID
    assert len(spoken.espeak_phones) == len(phones)
    assert not any(a.phone == b.phone == espeak.SIL for a, b in zip(phones, phones[1:], strict=False))
    assert _non_sil(spoken) == "SH IY S EH L Z S IY SH EH L Z B AY DH AH S IY SH AO R".split()


def test_words_match_the_text_and_their_first_phones(spoken):
    assert [w.text for w in spoken.words] == re.findall(r"\w+", SENTENCE)
    starts = {p.start: p for p in spoken.phones}
    ends = {p.end for p in spoken.phones}
    for w, nxt in zip(spoken.words, spoken.words[1:] + (None,), strict=True):
        assert w.confidence == 1.0
        assert w.start in starts and starts[w.start].phone != espeak.SIL  # the word's first sound
        assert w.end in ends and w.end > w.start
        if nxt is not None:
            assert w.end <= nxt.start
    first = [starts[w.start].phone for w in spoken.words]
    assert first == ["SH", "S", "S", "SH", "B", "DH", "S", "SH"]


def test_words_keep_contractions_hyphens_numbers_and_accents():
    text = "Uh-oh, it's 1984 and the café isn't naïve."
    words = speech.synthesize(text).words
    assert [w.text for w in words] == ["Uh-oh", "it's", "1984", "and", "the", "café", "isn't", "naïve"]
    assert all(w.end > w.start for w in words)
    assert all(a.end <= b.start for a, b in zip(words, words[1:], strict=False))
    number = words[2]
    assert number.end - number.start > 0.8  # "nineteen eighty-four" is all one word of the text


def _phones_of(spoken: speech.SpokenText, word) -> list[str]:
    return [p.phone for p in spoken.phones if word.start <= p.start and p.end <= word.end and p.phone != "SIL"]


def test_word_pairs_espeak_speaks_as_one_are_split():
    # espeak-ng gives "in the", "out of", "was a" one word event; every token still gets its own phones
    text = "Like a diamond in the sky, it was a bird out of the blue."
    spoken = speech.synthesize(text)
    words = {w.text + str(i): w for i, w in enumerate(spoken.words)}
    assert [w.text for w in spoken.words] == re.findall(r"\w+", text)
    assert _phones_of(spoken, words["in3"]) == ["IH", "N"] and _phones_of(spoken, words["the4"]) == ["DH", "AH"]
    assert _phones_of(spoken, words["out10"]) == ["AW", "T"] and _phones_of(spoken, words["of11"]) == ["AH", "V"]
    assert _phones_of(spoken, words["a8"]) == ["AH"]
    assert all(0.5 <= w.confidence <= 1.0 for w in spoken.words)
    assert all(a.end <= b.start for a, b in zip(spoken.words, spoken.words[1:], strict=False))


def test_ssml_words_skip_markup():
    text = '<speak><prosody rate="45%">I walked along <break time="700ms"/> the empty road &amp; home</prosody></speak>'
    spoken = speech.synthesize(text, ssml=True)
    assert [w.text for w in spoken.words] == ["I", "walked", "along", "the", "empty", "road", "home"]
    gap = spoken.words[3].start - spoken.words[2].end
    assert gap > 0.6  # the break
    assert any(p.phone == espeak.SIL and p.end - p.start > 0.6 for p in spoken.phones)


def _zcr_rms(y: np.ndarray, sr: int, t0: float, t1: float) -> tuple[float, float]:
    seg = y[max(0, int(t0 * sr)):max(0, int(t1 * sr))]
    if len(seg) < 20:
        return float("nan"), float("nan")
    return float(np.mean(np.signbit(seg[1:]) != np.signbit(seg[:-1]))), float(np.sqrt(np.mean(seg ** 2)))


def _timing_fits(spoken: speech.SpokenText, shift_s: float) -> bool:
    """Whether fricatives S/SH are noisy and vowels IY voiced and louder where the phone times say."""
    fric, vowel = [], []
    for p in spoken.phones:
        if p.phone in ("S", "SH", "IY"):
            inner = 0.2 * (p.end - p.start)
            zcr, rms = _zcr_rms(spoken.y, spoken.sr, p.start + inner + shift_s, p.end - inner + shift_s)
            (vowel if p.phone == "IY" else fric).append((zcr, rms))
    fz, fr = np.array(fric).T
    vz, vr = np.array(vowel).T
    return bool(np.all(fz > 0.3) and np.all(vz < 0.15) and vr.min() > fr.max())


def test_phone_times_match_the_sound(spoken):
    assert _timing_fits(spoken, 0.0)
    # the same check rejects times shifted by 100 ms (and already by 50 ms)
    for shift in (-0.1, -0.05, 0.05, 0.1):
        assert not _timing_fits(spoken, shift)


def test_fricative_boundaries_are_sample_accurate():
    """Vowel <-> voiceless fricative boundaries sit within 3 ms of the zero-crossing-rate jump (0.5 ms measured)."""
    spoken = speech.synthesize("Sue sees six sassy sisters. She sells sea shells, so Percy says, yes.")
    y, sr = spoken.y, spoken.sr
    w = int(0.003 * sr)
    rate = np.convolve((np.signbit(y[1:]) != np.signbit(y[:-1])).astype(float), np.ones(w) / w, mode="same")
    offsets = []
    for a, b in zip(spoken.phones, spoken.phones[1:], strict=False):
        if not ({a.phone, b.phone} & {"S", "SH"} and {a.phone, b.phone} & VOWELS):
            continue
        t = int(b.start * sr)
        before = np.median(rate[t - int(0.025 * sr):t - int(0.005 * sr)])
        after = np.median(rate[t + int(0.005 * sr):t + int(0.025 * sr)])
        lo, hi = t - int(0.02 * sr), t + int(0.02 * sr)
        crossings = np.flatnonzero(np.diff(np.sign(rate[lo:hi] - (before + after) / 2))) + lo
        offsets.append((crossings[np.argmin(np.abs(crossings - t))] - t) / sr)
    assert len(offsets) >= 10
    assert np.max(np.abs(offsets)) < 0.003


def test_post_vocalic_l_gets_a_share_of_the_vowel():
    # espeak-ng reports the l of "bell" at the same sample as what follows; it takes the vowel's end
    spoken = speech.synthesize("bell")
    phones = [p for p in spoken.phones if p.phone != espeak.SIL]
    assert [p.phone for p in phones] == ["B", "EH", "L"]
    eh, el = phones[1], phones[2]
    assert el.start == eh.end and (el.end - el.start) == pytest.approx((eh.end - eh.start) / 3, rel=0.05)


def test_ssml_prosody_slows_down_with_the_same_phones(spoken):
    slow = speech.synthesize(f'<speak><prosody rate="60%" pitch="+20%">{SENTENCE}</prosody></speak>', ssml=True)
    assert slow.duration > 1.4 * spoken.duration
    assert _non_sil(slow) == _non_sil(spoken)
    assert [w.text for w in slow.words] == [w.text for w in spoken.words]
    assert _timing_fits(slow, 0.0)


def test_rate_parameter_changes_duration(spoken):
    fast = speech.synthesize(SENTENCE, rate_wpm=300)
    assert fast.duration < 0.75 * spoken.duration
    assert _non_sil(fast) == _non_sil(spoken)


def test_other_languages_synthesize_with_words():
    spoken = speech.synthesize("Je ne regrette rien, le weekend.", voice="fr")
    assert [w.text for w in spoken.words] == ["Je", "ne", "regrette", "rien", "le", "weekend"]
    assert {p.phone for p in spoken.phones} <= VALID
    assert "(en)" not in spoken.espeak_phones  # language switches are marks, not phones


# -- determinism and the single initialisation -------------------------------------------------------------

def test_synthesis_is_deterministic_whatever_came_before(spoken):
    speech.synthesize("Judge the thick measure of a vision.", rate_wpm=120, pitch=80)
    espeak.pronounce("bonjour", voice="fr")
    speech.synthesize('<speak><prosody rate="50%">la la la</prosody></speak>', ssml=True, voice="es")
    again = speech.synthesize(SENTENCE)
    assert np.array_equal(again.y, spoken.y)
    assert again.phones == spoken.phones and again.words == spoken.words
    assert again.espeak_phones == spoken.espeak_phones
    # a vowel-initial utterance has no leading pause to reset the glottal phase: the most fragile case
    first = speech.synthesize("Uh oh, I am here.")
    speech.synthesize("How now brown cow, said the boy.")
    second = speech.synthesize("Uh oh, I am here.")
    assert np.array_equal(first.y, second.y) and first.phones == second.phones


def test_initialised_once_and_usable_from_threads(spoken):
    results: list[speech.SpokenText] = []
    hello = espeak.pronounce("hello")

    def work() -> None:
        results.append(speech.synthesize(SENTENCE))
        assert espeak.pronounce("hello") == hello

    for _ in range(2):  # one thread after the other
        t = threading.Thread(target=work)
        t.start()
        t.join()
    threads = [threading.Thread(target=work) for _ in range(3)]  # and at the same time
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 5
    assert all(np.array_equal(r.y, spoken.y) and r.phones == spoken.phones for r in results)
    assert espeak._Engine.initialisations == 1  # the in-process library (synthesis runs in workers)


# -- errors ----------------------------------------------------------------------------------------------------

def test_bad_arguments_raise_choreo_error():
    with pytest.raises(ChoreoError, match="no voice"):
        speech.synthesize("hello", voice="xx-nonexistent")
    with pytest.raises(ChoreoError, match="no voice"):
        espeak.pronounce("hello", voice="xx-nonexistent")
    with pytest.raises(ChoreoError, match="words per minute"):
        speech.synthesize("hello", rate_wpm=20)
    with pytest.raises(ChoreoError, match="pitch"):
        speech.synthesize("hello", pitch=150)
    assert speech.synthesize("hello").words[0].text == "hello"  # still works afterwards


def test_missing_library_is_a_choreo_error(monkeypatch):
    def no_library(*args, **kwargs):
        raise OSError("libespeak-ng.so.1: cannot open shared object file")

    monkeypatch.setattr(espeak, "_ENGINE", None)
    monkeypatch.setattr(espeak.ctypes, "CDLL", no_library)
    with pytest.raises(ChoreoError, match=r"apt-get install libespeak-ng1"):
        speech.synthesize("hello")
    with pytest.raises(ChoreoError, match=r"espeak-ng is not installed"):
        espeak.pronounce("hello")


def test_empty_text_is_silence():
    spoken = speech.synthesize("   ")
    assert spoken.words == ()
    assert all(p.phone == espeak.SIL for p in spoken.phones)
    assert espeak.pronounce("") == []


# -- mapping ---------------------------------------------------------------------------------------------------

def test_mapping_targets_are_arpabet():
    tables = [espeak.ESPEAK_TO_ARPABET, *espeak._LANG_ARPABET.values()]
    for table in tables:
        for mnemonic, target in table.items():
            assert target.split() and set(target.split()) <= VALID, mnemonic
            assert target == espeak.SIL or espeak.SIL not in target.split(), mnemonic


def test_every_mnemonic_in_the_test_texts_is_mapped_explicitly():
    english = set(speech.synthesize(PANGRAMS).espeak_phones)
    english |= {m.lstrip("',%=") for m in " ".join(espeak._engine().text_to_phonemes(PANGRAMS, "en-us")).split()}
    missing = {m for m in english if m not in espeak.ESPEAK_TO_ARPABET}
    assert not missing
    for voice, text in OTHER_LANGUAGES.items():
        seen = set(speech.synthesize(text, voice=voice).espeak_phones)
        seen |= {m.lstrip("',%=") for m in " ".join(espeak._engine().text_to_phonemes(text, voice)).split()
                 if not espeak._switch(m, voice)}
        table = espeak._LANG_ARPABET[voice]
        assert not {m for m in seen if m not in table and m not in espeak.ESPEAK_TO_ARPABET}, voice


def test_to_arpabet_rules():
    assert espeak.to_arpabet("oU") == "OW"
    assert espeak.to_arpabet("'3:") == "ER" and espeak.to_arpabet(",aI") == "AY"
    for pause in ("_", "_:", "_!", "_|", "_::"):
        assert espeak.to_arpabet(pause) == espeak.SIL
    assert espeak.to_arpabet("A@") == "AA R"
    assert espeak.to_arpabet("a") == "AE" and espeak.to_arpabet("a", voice="fr") == "AA"
    assert espeak.to_arpabet("x") == "K" and espeak.to_arpabet("x", voice="de") == "HH"
    assert espeak.to_arpabet("T", voice="es") == "TH" and espeak.to_arpabet("T", voice="es-419") == "S"
    # unknown mnemonics: trailing modifiers dropped, then the first letter
    assert espeak.to_arpabet("E3:") == "EH"
    assert espeak.to_arpabet("t##") == "T"


# -- pronounce -------------------------------------------------------------------------------------------------

def test_pronounce_known_and_made_up_words():
    assert espeak.pronounce("hello") == ["HH", "AH", "L", "OW"]
    made_up = espeak.pronounce("blorptastic")
    assert made_up[:2] == ["B", "L"] and made_up[-1] == "K"
    assert set(made_up) <= espeak.ARPABET and sum(p in VOWELS for p in made_up) >= 3
    # r-coloured vowels and linking r come out once, as in CMUdict
    assert espeak.pronounce("fire") == ["F", "AY", "ER"]
    assert espeak.pronounce("canary") == ["K", "AH", "N", "EH", "R", "IY"]
    assert espeak.pronounce("car") == ["K", "AA", "R"]


def test_pronounce_other_languages():
    assert espeak.pronounce("bonjour", voice="fr") == ["B", "OW", "ZH", "UW", "R"]
    assert espeak.pronounce("corazón", voice="es") == ["K", "OW", "R", "AA", "TH", "OW", "N"]
    assert espeak.pronounce("Straße", voice="de") == ["SH", "T", "R", "AA", "S", "AH"]
    # a borrowed word read with English rules inside French
    assert espeak.pronounce("weekend", voice="fr") == ["W", "IY", "K", "EH", "N", "D"]
    for voice, text in OTHER_LANGUAGES.items():
        assert set(espeak.pronounce(text, voice=voice)) <= espeak.ARPABET


def _cmudict() -> Path | None:
    try:
        import pocketsphinx
    except ImportError:
        return None
    path = Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"
    return path if path.is_file() else None


def _edit_distance(a: list[str], b: list[str]) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def test_mapping_agrees_with_cmudict():
    """Phone error rate against CMUdict on every 50th entry (mostly names): 11 % measured."""
    path = _cmudict()
    if path is None:
        pytest.skip("pocketsphinx's CMUdict is not installed")
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        word, *phones = line.split()
        if "(" not in word and word.isalpha():
            entries.append((word, [re.sub(r"\d", "", p) for p in phones]))
    sample = entries[::50]
    errors = sum(_edit_distance(espeak.pronounce(w), ref) for w, ref in sample)
    assert errors / sum(len(ref) for _, ref in sample) < 0.14
