"""Vocals to words and phones for lip-sync: choose the input tier, get the timed words and phones.

Tiers, chosen from what is given (the one that ran is recorded in the track and printed):

1. ``midi-lyrics``: a MIDI file with lyric events: syllable timing comes from the notes.
2. ``lyrics-aligned``: a vocal stem (or dialog) plus the lyrics text. The voice is split into phrases at
   its pauses and the lyric lines are mapped onto them (:mod:`audio.phrases`); each group of lines is then
   aligned inside its phrases, by pocketsphinx when the delivery is speech-like (its speech model fits:
   see ``SPEECH_FIT``) or ``--aligner speech`` asks for it, by the sung-syllable aligner otherwise. An
   error stays inside its phrase group, whatever the recording's length. Timed lyrics (LRC, subtitles) are not
   mapped: each line is aligned between its stamps (:func:`_timed_groups`), and a word with a stamp of its own
   (enhanced LRC, karaoke subtitles) starts at it (:func:`_pinned`). pocketsphinx aligns the groups in
   up to ``CHOREO_THREADS`` (else 2) processes at once; the result does not depend on how many.
3. ``phone-recognition``: a vocal stem without lyrics: pocketsphinx phone recognition.
4. ``loudness-fallback``: only the full mix (``mix=True``) without lyrics: a singing detector
   (:mod:`audio.singing`) finds where a voice is heard, and there the mouth sings the notes of the lead
   melody (:mod:`audio.melody`, a pitch tracker on the mix; needs ``choreo-engine[melody]``) and the onsets
   between them, else the onsets alone. Low confidence, and flagged so. A full mix with lyrics is aligned as
   tier 2 would align a stem, on the voice a separation model takes out of it (:mod:`audio.separation`): its
   phrases cut where that voice pauses; its lines drawn towards where pocketsphinx, aligning the stretches
   of the recording where that voice sounds, starts them; its pitch tracked as a stem's; the mouth resting
   where the voice is silent and no undisputed lyric line is sung. Without the model, the voice is brought
   forward by repetition (:func:`audio.vocals.lead_vocal`), which keeps some of the band: a pause is taken
   where either it or the singing detector hears one (the mouth held where the detector hears a voice), and
   the voice's pitch is the melody tracker's where the detector hears a voice. Every word's confidence is
   capped at ``MIX_CONFIDENCE_CAP`` (half of it on the lines the whole-recording alignment disputes, which are
   listed to check first) and a warning to give the stem.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from audio.errors import ChoreoError
from audio.model import Phone, Transcript, Word
from audio.params import LipsyncParams

# Delivery is taken as speech-like when pocketsphinx's speech model fits it: the alignment of a phrase
# group is complete and its mean word confidence (see audio.speech) reaches SPEECH_FIT; sung delivery that
# fits the model poorly goes to the sung-syllable aligner, group by group.
SPEECH_FIT = 0.5
# A rejoined pair of phrase groups (see _rejoin) must fit within this of its better group alone.
REJOIN_MARGIN = 0.05
# A phrase group's words are looked for up to GROUP_PAD_S before its first phrase and after its last (a
# consonant before the voiced onset, a quiet first note or a fading last one the activity missed), never
# further: an instrumental intro or break is not searched for words (half-way cuts through a 15 s intro put
# a dev song's first word 7-14 s early). Not fitted: a second is more than any consonant, and a note the
# activity misses for longer is too quiet to lip-sync.
GROUP_PAD_S = 1.0
# The stretches where a voice is heard are joined this far apart for the whole-recording pass (_line_starts): a
# pause, so that the last word of one stretch does not run into the first of the next.
JOIN_GAP_S = 0.3
# Timed lyrics (LRC): a line's stamp is moved to the pause nearest it within LRC_SNAP_S. A stamp is set by hand as a
# display cue, most often a little before the line, sometimes on its first word; a second covers both, and does
# not reach across a sung line.
LRC_SNAP_S = 1.0
# Timed lyrics shifted as a whole (the lyrics of a release with a longer intro, or an [offset:] tag missing or
# wrong) are put back where the whole-recording alignment hears their lines: when the median gap between a
# line's stamp and where that alignment starts it is more than LRC_SNAP_S (less, the snapping covers), and at
# least OFFSET_AGREE of the lines agree with that median within LRC_SNAP_S (where the alignment lost the lyrics,
# as over one dev medley with a loud orchestra, its line starts scatter by tens of seconds and nothing moves).
OFFSET_AGREE = 0.5
# ... unless the stamps are in place already: at least OFFSET_AGREE of them this close to a phrase's start (by chance,
# a quarter of a dev song's shifted stamps were; in place, half to two thirds of those of the clean takes).
STAMP_ON_PHRASE_S = 0.3
# On a full mix that alignment drifts by lines, so fewer than OFFSET_AGREE of them agree with a right median; there
# the phrases' starts decide: the shift within LRC_SNAP_S of the median that puts the most stamps within
# STAMP_ON_PHRASE_S of a phrase's start is taken where more do than chance explains (binomial, p < OFFSET_P, chance
# being the share of the recording that close to a phrase's start) and more than before the shift. The best of
# about three independent shifts is taken, so the level is nearer 3 % than 1 %.
OFFSET_P = 0.01


def transcribe(vocals: str | Path | None, *, lyrics: str | Path | None = None, midi: str | Path | None = None,
               beats_s: np.ndarray | None = None, mix: bool = False,
               params: LipsyncParams | None = None, singer: str | None = None, shared: bool = False) -> Transcript:
    """Words and phones from whatever is given, by the best tier available.

    Parameters
    ----------
    vocals : str or Path, optional
        The vocal stem (or dialog recording, or with ``mix=True`` the full mix). Optional only for the
        MIDI-lyrics tier.
    lyrics : str or Path, optional
        UTF-8 lyrics, one sung line per line.
    midi : str or Path, optional
        A MIDI file with lyric events.
    beats_s : np.ndarray, optional
        Beat times from the song's analysis (the sung aligner prefers beat subdivisions).
    mix : bool
        ``vocals`` is the full mix, not a stem.
    params : LipsyncParams, optional
    singer : str, optional
        Who sings ``vocals``: where the lyrics name their singers (a duet), only that singer's lines are aligned
        (:func:`audio.lyrics.split_lines`), or with ``shared`` (or ``mix``) every line is aligned and the mouth
        rests through the lines of the others.
    shared : bool
        ``vocals`` holds every singer (one stem of a duet's voices); a full mix always does.

    Returns
    -------
    Transcript

    Raises
    ------
    ChoreoError
        Bad input files (named), or nothing to work from.
    """
    import librosa

    from audio import vocals as V
    from audio.decode import load_audio

    p = params or LipsyncParams()
    if vocals is None and midi is None:
        raise ChoreoError("lip-sync needs a vocal recording, or a MIDI file with lyrics")
    audio = load_audio(vocals, allow_silence=True, min_duration_s=0.5) if vocals is not None else None
    # Every recording is scaled to full scale (its peak at 1.0), since its level says nothing of its voice. On a
    # full mix the singing detector scores log-mel bands and the repetition-based separation compares log-mel
    # spectra, both in absolute decibels: the same mix 6 dB quieter gave other phrases, anchors and word timings
    # (a dev song over a recorded band: 0.54 s mean syllable error at full scale, 0.49 s at -6 dB, 0.44 s at
    # -12 dB). On a stem pocketsphinx hears int16 with an absolute dither: a quiet take kept fewer bits and
    # moved some words (a dev song at a quarter of its level: 0.067 s against 0.072 s).
    samples = librosa.util.normalize(audio.samples, norm=np.inf, axis=None) if audio is not None else None
    y = samples.mean(axis=1, dtype=np.float32) if samples is not None else None
    if midi is not None:
        from audio.midi import read_lyric_notes

        notes = read_lyric_notes(midi)
        words, phones, notes_out = V.midi_lyrics_words(notes, voice=p.voice)
        duration = audio.duration_s if audio is not None else (notes[-1].end_s + 0.5 if notes else 0.0)
        loud = _loudness(y, audio.sr) if audio is not None else (50.0, ())
        return Transcript(tuple(words), _close(phones, duration), "midi-lyrics", "MIDI lyric notes", 1.0, duration,
                          tuple(notes_out), loud)
    # A full mix with lyrics takes its voice's features from the separated voice (below): of the mix's own only the
    # frame grid and loudness are used, so its pitch is not tracked (pYIN: about 1.6 s per minute of audio).
    vf = V.vocal_features(y, audio.sr, pitch=(np.array([]), np.array([])) if mix and lyrics is not None else None)
    loud = (vf.frame_rate_hz, tuple(float(x) for x in vf.loudness))
    # In a full mix pitch tracking hears the band as much as the voice (a dense mix can show no clear
    # pitch at all), so there the voice is looked for by a singing detector.
    from audio import melody, separation

    # A full mix's lead vocal is mixed to its centre, where the voice is looked for (the singing detector on the
    # centre of the dev medleys over a stereo band: frames agreeing with the sung ones 0.913 / 0.697 -> 0.918 /
    # 0.742), its pitch tracked and the lyrics aligned: taken once, at the rate all of them work at.
    centre = melody.centre16(samples, audio.sr) if mix else None
    activity, detected, mix_notes = (_mix_activity(centre, melody.MELODY_SR, vf) if mix
                                     else (vf.active, False, ()))
    if (not mix and float(vf.voiced.max(initial=0.0)) < 0.3) or float(np.mean(activity > 0.5)) < 0.01:
        return Transcript((), (Phone(0.0, vf.duration_s, "SIL"),), "lyrics-aligned" if lyrics else
                          ("loudness-fallback" if mix else "phone-recognition"), "none", 0.0, vf.duration_s,
                          (f"{vocals}: no voice found (silent or instrumental); the mouth stays closed",
                           *mix_notes), loud)
    if mix and lyrics is None:
        how = "the singing detector hears a voice" if detected else None  # where the voice is, as the method says
        if separation.available():  # and where the voice the model separates from the band sounds: a pause either
            # of them hears is one (README: the pop clips; strings pass into the separated voice, the detector
            # hears a voice in some intros where the separated one is silent)
            voice = separation.voice(samples, audio.sr, V.VOCAL_SR)
            sounds = librosa.util.fix_length(V.vocal_features(voice, V.VOCAL_SR).active, size=activity.size)
            activity = np.minimum(activity, sounds) if detected else sounds
            how = " and ".join(filter(None, (how, "the voice Spleeter's 2stems model separates sounds")))
        tr = _melody_notes(centre, samples.shape[1] > 1, vf, activity, how, loud)
        return dataclasses.replace(tr, warnings=(*tr.warnings, *mix_notes))
    if lyrics is None:
        from audio.speech import recognize_phones

        phones = list(recognize_phones(y, audio.sr))
        return Transcript((), _close(phones, vf.duration_s), "phone-recognition", "pocketsphinx allphone", 0.5,
                          vf.duration_s, ("no lyrics given: phones recognised without words (confidence 0.5)",), loud)
    from audio.lyrics import Stamp, pronounce_words, read_lyrics

    if p.aligner not in ("auto", "speech", "sung"):
        raise ChoreoError(f"unknown aligner {p.aligner!r}; choose auto, speech or sung")
    repeats: list[str] = []
    stamps: list[Stamp] = []
    stanzas: list[int] = []
    sung: list[bool] | None = [] if singer is not None and (mix or shared) else None  # the singer's lines
    lines = read_lyrics(lyrics, repeats, stamps, stanzas, singer, sung)
    words, notes_out = pronounce_words(lines, voice=p.voice)
    if not words:
        raise ChoreoError("no word of the lyrics could be pronounced", path=lyrics)
    warnings = [*repeats, *notes_out]
    rate, separated = audio.sr, False
    if mix:  # the band never pauses: phrases and words are looked for in the voice separated from it
        y, fallback = _separated_voice(samples, audio.sr, centre)
        rate, separated = V.VOCAL_SR, fallback is None
        if fallback:
            warnings.append(fallback)
        # The voice's pitch: a model's separated voice is a stem, its pitch tracked as a stem's (pYIN); from the voice
        # that repetition only brings forward, which keeps some of the band, the mix's melody where the detector
        # hears a voice (CREPE on the centre).
        pitch = None
        if not separated:
            if melody.crepe_available():
                pitch = melody.voice_pitch(centre, melody.MELODY_SR, activity > 0.5 if detected else None)
            else:
                warnings.append(f"the melody pitch tracker is not installed or does not load ({melody.INSTALL_HINT}):"
                                " the voice's pitch is tracked on the separated voice, where the band confuses it more")
        vf = V.vocal_features(y, rate, pitch=pitch)
    # Where the mouth may move: on a stem where the voice sounds (_follow_voice's default); on a full mix where the
    # voice the separation model took out of it sounds, or, brought forward by repetition only (which keeps some of
    # the band), where the singing detector hears a voice too.
    sounding, heard = vf.active, (vf.active if mix else None)
    if mix and detected and not separated:  # a pause either of them hears is one
        heard = librosa.util.fix_length(activity, size=sounding.size)  # the mix's frames: a frame more or less
        sounding = np.minimum(sounding, heard)
    line_starts = None
    if stamps:
        shift = _stamp_offset(y, rate, words, stamps, sounding if heard is None else heard, vf.frame_rate_hz)
        if shift:
            stamps = [s._replace(t=max(s.t + shift, 0.0)) for s in stamps]
            warnings.append(f"timed lyrics: the stamps are {abs(shift):.1f} s {'early' if shift > 0 else 'late'} "
                            "against the lines the whole recording's alignment hears (the lyrics of another "
                            f"release, or its [offset:] tag?): every stamp is moved {shift:+.1f} s")
    pinned = _own_stamps(stamps)  # the words that start at stamps of their own
    inside = _syllable_stamps(words, pinned)  # and their syllables, where a karaoke file times every one
    if stamps:
        groups = _timed_groups(words, stamps, sounding, vf.frame_rate_hz, vf.duration_s, lyrics)
        own = sum(w.place in pinned for w in words)
        warnings.append(f"timed lyrics: each line is looked for from its timestamp to the next (each moved to the "
                        f"nearest pause within {LRC_SNAP_S:g} s)"
                        + (f", and each of the {own} words with a timestamp of its own (enhanced LRC or karaoke) "
                           "starts at it" if own else "")
                        + (f" (and the syllables of the {len(inside)} words timed syllable by syllable, each at its "
                           "stamp)" if inside else "") + ", not mapped onto the phrases")
    else:
        spans = _heard_spans(heard, vf.frame_rate_hz) if mix else None  # where the whole-recording passes listen
        line_starts = _line_starts(y, rate, words, spans) if mix else None
        # Lost on none of the 18 dev mixes, and none searched unpruned (without the separation model, one was).
        if mix and line_starts is None:
            warnings.append("the alignment of the whole recording lost the lyrics before their end (where the "
                            "singing detector misses the voice, most often): the lines are mapped by phrase "
                            "durations alone, and none could be checked against it")
        groups = _phrase_groups(words, sounding, vf.frame_rate_hz, vf.duration_s, line_starts, stanzas)
        if groups is not None and line_starts is not None and stanzas:  # (only a full mix has line starts)
            line_starts = _stanza_starts(y, rate, words, groups, spans, line_starts, stanzas)
            groups = _phrase_groups(words, sounding, vf.frame_rate_hz, vf.duration_s, line_starts, stanzas)
    if groups is None:
        groups = [(words, 0.0, vf.duration_s)]
        warnings.append("the lyric lines could not be matched to the sung phrases (more lines than the voice has "
                        "phrases for): the whole recording is aligned at once, which can drift")
    how, unit = (("timed words", "stamp") if pinned else ("timed lines", "line")) if stamps \
        else ("phrase-anchored", "phrase")
    timed: list[Word] = []
    phones: list[Phone] = []
    used: dict[str, int] = {}
    failed_speech = 0
    unconfirmed: list[float] = []  # fits of the phrase groups pocketsphinx aligned but did not confirm
    unsure: set[int] = set()  # timed lines pocketsphinx did not confirm (of their words not pinned to stamps)
    matches: list[tuple[float, float]] = []  # the sung aligner's lyrics-to-voice match, and the span's length
    speech = _speech_align_groups(y, rate, groups) if p.aligner != "sung" else [None] * len(groups)
    if p.aligner != "sung" and len(groups) > 1 and not stamps:  # timed lines are cut where a person put them
        groups, speech = _rejoin(y, rate, groups, speech)
    # each group's lines with a word to place (a group whose every word has a stamp of its own has none)
    loose_lines = [{w.line for w in g[0] if w.place not in pinned} for g in groups]
    for (g_words, a, b), result, loose in zip(groups, speech, loose_lines, strict=True):
        if p.aligner != "sung":
            fit = None if result is None else _mean_confidence(result[0])
            if fit is not None and fit < SPEECH_FIT and p.aligner == "auto":
                unconfirmed.extend([fit] if loose else [])
                unsure |= loose if stamps else set()
                result = None
            failed_speech += result is None and p.aligner == "speech"
        if result is None:
            result = _sung_align(g_words, vf, a, b, beats_s, p)
        if result is None:
            raise ChoreoError(f"the lyrics have more syllables than the recording can hold ({vf.duration_s:.1f} s)",
                              path=lyrics)
        g_timed, g_phones, method, match = result
        if pinned:
            g_timed, g_phones = _pinned(g_words, g_timed, g_phones, pinned, a, b, hold=not mix, syllables=inside)
        if match is not None:
            matches.append((match, b - a))
        timed.extend(g_timed)
        phones.extend(g_phones)
        used[method] = used.get(method, 0) + 1
    if failed_speech:
        warnings.append(f"--aligner speech: pocketsphinx could not align {failed_speech} of {len(groups)} {unit} "
                        "groups; the sung-syllable aligner placed those")
    if unconfirmed:
        warnings.append(f"the speech model could not confirm the lyrics in {len(unconfirmed)} of "
                        f"{sum(map(bool, loose_lines))} {unit} groups (mean fit {np.mean(unconfirmed):.2f} < "
                        f"{SPEECH_FIT}): either the delivery is sung, or the lyrics do not match the audio; their word "
                        "timings come from the sung-syllable aligner")
    if matches:
        match = sum(m * d for m, d in matches) / max(sum(d for _, d in matches), 1e-9)
        if match < p.min_match:
            warnings.append(f"the lyrics do not match the audio (match {match:.2f} < {p.min_match}): "
                            "wrong lyrics, or a different take? word timings are unreliable")
    by_line = _words_by_line(words, timed)
    disputed = _disputed_lines(by_line, line_starts) if mix else None
    # The lines to check first on a full mix: those the whole-recording alignment disputes, or of timed lyrics
    # those the speech model did not confirm between their stamps
    check = unsure if stamps else disputed
    warnings.extend(_lines_to_check(by_line, mix, check, timed=bool(stamps)))
    method = " + ".join(used)
    if len(groups) > 1:
        method = f"{how}: " + " + ".join(f"{m} ({n} of {len(groups)} {unit} groups)" for m, n in used.items())
    if heard is not None:
        heard = _sung_lines(heard, by_line, disputed, vf.frame_rate_hz)
    singing = None
    if not mix:  # on a stem, where the singing detector hears a voice holds the silences inside a phrase too
        from audio.singing import voice_activity

        singing = voice_activity(y, rate, vf.voiced.size, vf.frame_rate_hz)
    phones = _follow_voice(phones, vf, heard, singing=singing)
    if mix:
        check = check or set()
        method = f"full mix: {method}; " + ("the voice separated by Spleeter's 2stems model" if separated
                                             else "the voice brought forward by repetition (REPET-SIM)")
        warnings.append(f"full mix: the lyrics are aligned to the voice separated from the band, which can still "
                        f"mask it (word confidence at most {MIX_CONFIDENCE_CAP}, "
                        f"{CHECK_CONFIDENCE:g} on the lines to check first); give the vocal stem for "
                        "word-accurate lip-sync")

    def cap(line: int) -> float:  # a full mix's words: at most the cap, half of it on the lines to check first
        return (CHECK_CONFIDENCE if line in check else MIX_CONFIDENCE_CAP) if mix else 1.0

    timed = [dataclasses.replace(w, line=lw.line, confidence=min(w.confidence, cap(lw.line)))
             for lw, w in zip(words, timed, strict=True)]
    if sung is not None and not all(sung):
        timed, phones = _rest_through_others(timed, phones, sung)
    return Transcript(tuple(timed), _close(phones, vf.duration_s), "lyrics-aligned", method,
                      _mean_confidence(timed), vf.duration_s, tuple(warnings), loud)


def _rest_through_others(words: list[Word], phones: list[Phone], sung: list[bool]) -> tuple[list[Word], list[Phone]]:
    """A duet's words and phones for one singer, where the recording holds every singer.

    The words of its lines (``sung``, per lyric line), and the mouth resting (silence) through each of the other
    lines, from its first word's start to its last word's end.
    """
    spans = {}
    for w in words:
        if not sung[w.line]:
            a, b = spans.get(w.line, (w.start, w.end))
            spans[w.line] = (min(a, w.start), max(b, w.end))
    others = sorted(spans.values())
    starts = np.array([a for a, _ in others])

    def theirs(ph: Phone) -> bool:
        mid = (ph.start + ph.end) / 2
        k = int(np.searchsorted(starts, mid, side="right")) - 1
        return k >= 0 and mid <= others[k][1]

    rest: list[Phone] = []
    for ph in phones:
        ph = Phone(ph.start, ph.end, "SIL") if theirs(ph) else ph
        if rest and ph.phone == "SIL" and rest[-1].phone == "SIL":
            ph = Phone(rest.pop().start, ph.end, "SIL")
        rest.append(ph)
    return [w for w in words if sung[w.line]], rest


def _line_starts(y, sr: int, words, spans: np.ndarray) -> dict[int, float] | None:
    """Where pocketsphinx, aligning the whole recording at once, starts each lyric line; None if it cannot.

    Alone it drifts on a long full mix, but it hears the words, which phrase durations do not: it anchors the
    line-to-phrase mapping there (:func:`audio.phrases.assign_lines`). One pruned word pass
    (:func:`audio.speech.word_starts`), so that a whole song fits in memory. It hears only ``spans`` (seconds,
    from :func:`_heard_spans`), joined ``JOIN_GAP_S`` apart.
    """
    from audio.speech import word_starts

    if not len(spans):
        return None
    cuts = [(int(a * sr), min(int(b * sr), y.shape[0])) for a, b in spans]
    gap = np.zeros(int(JOIN_GAP_S * sr), dtype=y.dtype)
    heard = np.concatenate([part for a, b in cuts for part in (y[a:b], gap)][:-1])
    lengths = np.array([(b - a) / sr for a, b in cuts])
    joined = np.concatenate([[0.0], np.cumsum(lengths + JOIN_GAP_S)[:-1]])  # where each span starts in ``heard``
    try:
        starts = word_starts(heard, sr, [w.text.lower() for w in words], pronunciations=_pronunciations(words))
    except ChoreoError:
        return None
    if starts is None:
        return None
    # Back to the recording's time; a start in a joining gap goes to the next span's start.
    first = np.asarray(spans)[:, 0]
    k = np.clip(np.searchsorted(joined, starts, side="right") - 1, 0, len(first) - 1)
    into = starts - joined[k]
    starts = np.where(into > lengths[k], first[np.minimum(k + 1, len(first) - 1)], first[k] + into)
    out: dict[int, float] = {}
    for w, t in zip(words, starts, strict=True):
        out.setdefault(w.line, float(t))
    return out


def _stanza_starts(y, sr: int, words, groups: list, spans: np.ndarray, line_starts: dict[int, float],
                   stanzas: list[int]) -> dict[int, float]:
    """Where pocketsphinx starts each lyric line, aligning each stanza alone where the line mapping put it.

    Over a whole full mix the pass of :func:`_line_starts` drifts, by a line or two for a stanza at a time (a dev
    medley over a recorded band: a stanza's lines 4-7 s early). A stanza's place is surer than its lines': the
    mapping draws the music's long pauses to the stanza breaks (``groups``, from :func:`_phrase_groups`). So each
    stanza is aligned again alone, over the heard stretches (``spans``, from :func:`_heard_spans`) of its groups;
    its lines keep their whole-recording starts where that pass fails.
    """
    out = dict(line_starts)
    bounds = [0, *stanzas, max(w.line for w in words) + 1]
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        own = [g for g in groups if any(lo <= w.line < hi for w in g[0])]
        if not own:
            continue
        a, b = min(g[1] for g in own), max(g[2] for g in own)
        inside = np.clip(spans[(spans[:, 1] > a) & (spans[:, 0] < b)], a, b)
        starts = _line_starts(y, sr, [w for w in words if lo <= w.line < hi], inside)
        out.update(starts or {})
    return out


def _heard_spans(heard: np.ndarray, fr: float) -> np.ndarray:
    """Where a voice is heard in a full mix, widened by ``GROUP_PAD_S``: what the whole-recording pass hears.

    The band alone sings no words. Heard in full, the whole-recording pass (:func:`_line_starts`) put the lines
    after a dev medley's instrumental breaks up to 24 s early, in the break, and the line mapping followed.
    Silencing the rest instead of leaving it out was tried: after a long digital silence pocketsphinx's cepstral
    mean takes a word or two to settle, and the first line after each break was started at the end of the
    section before it; over 18 dev mixes (the songs and medleys over recorded instrumentals) the mean error
    was 1.74 s against 1.26 s with the stretches joined (median 0.77 against 0.91 s).

    Parameters
    ----------
    heard : np.ndarray [shape=(m,), 0..1]
        Per frame at ``fr``, where a voice is heard (> 0.5).
    fr : float, Hz

    Returns
    -------
    np.ndarray [shape=(k, 2), seconds]
        Start and end of each stretch, in order.
    """
    from audio.phrases import vocal_phrases

    # The runs of voice, widened by the pad on both sides: runs up to twice the pad apart (to a frame) meet.
    runs = vocal_phrases(heard, fr, min_pause_s=2 * GROUP_PAD_S + 1 / fr, min_phrase_s=0.0)
    return np.clip(runs + np.array([-GROUP_PAD_S, GROUP_PAD_S]), 0.0, np.asarray(heard).size / fr)


def _phrase_groups(words, activity: np.ndarray, fr: float, duration_s: float,
                   line_starts: dict[int, float] | None = None, stanzas: list[int] | tuple = ()):
    """Words grouped by the phrases that sing them: [(words, start_s, end_s)], or None (no mapping).

    ``line_starts`` (from :func:`_line_starts`) anchors the mapping where the phrases are unreliable;
    ``stanzas``, the lyric lines that start a stanza (:func:`audio.lyrics.read_lyrics`), draw the long pauses.
    """
    from audio.phrases import assign_lines, vocal_phrases

    phrases = vocal_phrases(activity, fr)
    line_ids = sorted({w.line for w in words})
    syll = [sum(len(w.syllables) for w in words if w.line == li) for li in line_ids]
    active = activity > 0.5
    sung = np.array([active[int(a * fr): int(b * fr)].sum() / fr for a, b in phrases])
    anchors = None if line_starts is None else (np.array([line_starts[li] for li in line_ids]), phrases[:, 0])
    # a stanza whose first line has no word to align starts with its next line that has
    starts = np.zeros(len(line_ids), dtype=bool)
    starts[np.searchsorted(line_ids, [s for s in stanzas if s <= line_ids[-1]])] = True
    mapping = assign_lines(syll, sung, phrases[1:, 0] - phrases[:-1, 1], anchors=anchors, stanzas=starts)
    if mapping is None:
        return None
    spans = [(phrases[j0, 0], phrases[j1 - 1, 1]) for _i0, _i1, j0, j1 in mapping]
    out = []
    # The groups are cut half-way through the pauses between them, and reach at most GROUP_PAD_S beyond their
    # phrases: a consonant before the voiced onset, a quiet first note or a fading last one still fall inside
    # their group, an instrumental intro or break does not.
    cuts = [0.0] + [(spans[g][1] + spans[g + 1][0]) / 2 for g in range(len(spans) - 1)] + [duration_s]
    for g, (i0, i1, _j0, _j1) in enumerate(mapping):
        keep = set(line_ids[i0:i1])
        out.append(([w for w in words if w.line in keep], max(cuts[g], spans[g][0] - GROUP_PAD_S),
                    min(cuts[g + 1], spans[g][1] + GROUP_PAD_S)))
    return out


def _timed_groups(words, stamps: list, activity: np.ndarray, fr: float, duration_s: float, lyrics) -> list:
    """Words grouped by the timestamps of a timed lyrics file: [(words, start_s, end_s)].

    The words from a stamp (a line's, or a word's) to the next stamp (another line's or word's, or one marking a
    break or the end) are looked for between the two. A line's stamp is moved to the pause nearest it within
    ``LRC_SNAP_S`` (the stamps are a person's, and the phrases a detector's, so the stamps decide and the pauses
    only refine them); a word's stamp (enhanced LRC, karaoke) is kept where it is. Words before the first stamp
    are looked for before it. A group with less time than its syllables need (``MIN_SYLLABLE_FRAMES`` and a
    frame each) joins the next.

    Raises
    ------
    ChoreoError
        A line stamped past the recording's end (the lyrics of another version, or a missing offset).
    """
    from bisect import bisect_left

    from audio.vocals import MIN_SYLLABLE_FRAMES

    late = [s.t for s in stamps if s.line is not None and s.t >= duration_s]
    if late:
        raise ChoreoError(f"timed lyrics: a line is stamped at {int(late[0] // 60)}:{late[0] % 60:05.2f}, past the "
                          f"recording's end ({int(duration_s // 60)}:{duration_s % 60:05.2f}): the lyrics of "
                          "another version, or an [offset:] tag missing?", path=lyrics)
    pause = np.flatnonzero(np.asarray(activity) <= 0.5) / fr

    def snap(t: float) -> float:
        near = pause[np.abs(pause - t) <= LRC_SNAP_S]
        return float(near[np.argmin(np.abs(near - t))]) if near.size else t

    # Each stamp of a line or word: the index of the first word at or after its place (a word left out of the
    # alignment gives its stamp to the next); a karaoke syllable's inside a word that is aligned whole is dropped.
    places = [w.place for w in words]
    starts = set(places)
    stamps = [s for s in stamps if s.line is None or s.at[1] == 0 or (s.line, s.at) in starts]
    cuts = np.maximum.accumulate([s.t if s.exact else snap(s.t) for s in stamps] + [duration_s])
    sung = [(k, bisect_left(places, (s.line, s.at))) for k, s in enumerate(stamps) if s.line is not None]
    if not sung:  # stamps only where the singing stops: nothing to place the lines by
        return [(list(words), 0.0, duration_s)]
    # (first word, word after the last, start, end) of each stamp's span; first, any words before them
    bounds = [(0, sung[0][1], 0.0, cuts[sung[0][0]])] if sung[0][1] > 0 else []
    bounds += [(i, sung[n + 1][1] if n + 1 < len(sung) else len(words), cuts[k], cuts[k + 1])
               for n, (k, i) in enumerate(sung)]
    # A span ends with the stretch of voice it starts (the voice's runs, widened by GROUP_PAD_S, meet across
    # shorter pauses): the stamp after a line sung before an instrumental break is the next line's, after the break.
    # Never shorter than its syllables need (the sung aligner's least: MIN_SYLLABLE_FRAMES and a pause frame each).
    heard = _heard_spans(activity, fr)
    per_syllable = (MIN_SYLLABLE_FRAMES + 1) / fr
    out: list = []
    pending: list = []
    start = 0.0
    for i0, i1, a, b in bounds:
        if not pending:
            start = a
        pending += words[i0:i1]
        need = sum(len(w.syllables) for w in pending) * per_syllable
        after = heard[heard[:, 1] > a]
        if after.shape[0] and after[0, 0] < b:
            b = min(b, max(after[0, 1], start + need))
        if pending and b - start >= need:
            out.append((pending, start, b))
            pending = []
    if pending:  # the last lines' time is too short for them: they join the group before
        out = [*out[:-1], (out[-1][0] + pending, out[-1][1], duration_s)] if out else [(pending, 0.0, duration_s)]
    return out


def _stamp_offset(y, sr: int, words, stamps: list, activity: np.ndarray, fr: float) -> float:
    """How far a timed lyrics file is off as a whole, in seconds to add to its stamps (0: not off, or not known).

    Each line's first stamp is compared with where the whole-recording alignment (:func:`_line_starts`, hearing
    where ``activity`` is) starts that line: the median difference is the offset, taken when it is more than
    ``LRC_SNAP_S`` and at least ``OFFSET_AGREE`` of the lines agree with it within ``LRC_SNAP_S``; with fewer
    agreeing, where the phrases' starts confirm a shift near it (:func:`_onset_shift`). That pass costs about 5 %
    of the recording's length (11 s on a 4-minute stem), so it is skipped where the stamps are in place already:
    at least ``OFFSET_AGREE`` of them within ``STAMP_ON_PHRASE_S`` of a phrase's start.
    """
    from audio.phrases import vocal_phrases

    first: dict[int, float] = {}
    for st in stamps:
        if st.line is not None:
            first.setdefault(st.line, st.t)
    onsets = vocal_phrases(activity, fr)[:, 0]
    stamped = np.array(list(first.values()))
    in_place = int(_on_phrase_starts(stamped, onsets, np.zeros(1))[0])
    if not stamped.size or in_place >= OFFSET_AGREE * stamped.size:
        return 0.0
    starts = _line_starts(y, sr, words, _heard_spans(activity, fr))
    if starts is None:
        return 0.0
    diff = np.array([starts[li] - t for li, t in first.items() if li in starts])
    if not diff.size:
        return 0.0
    shift = float(np.median(diff))
    if abs(shift) <= LRC_SNAP_S:
        return 0.0
    if np.mean(np.abs(diff - shift) <= LRC_SNAP_S) >= OFFSET_AGREE:
        return shift
    return _onset_shift(stamped, onsets, shift, in_place, activity.size / fr)


def _on_phrase_starts(times: np.ndarray, onsets: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    """For each of ``shifts``, how many of ``times`` (seconds), so moved, lie near a phrase's start.

    Near: within ``STAMP_ON_PHRASE_S`` of one of ``onsets`` (the phrases' starts, in order).
    """
    bounded = np.concatenate([[-np.inf], onsets, [np.inf]])
    moved = times[None, :] + shifts[:, None]
    after = np.searchsorted(bounded, moved)  # the first phrase start at or after each moved time
    gap = np.minimum(moved - bounded[after - 1], bounded[after] - moved)
    return np.sum(gap <= STAMP_ON_PHRASE_S, axis=1)


def _onset_shift(stamped: np.ndarray, onsets: np.ndarray, near: float, in_place: int, duration_s: float) -> float:
    """A timed lyrics file's offset near ``near`` (seconds), confirmed by the phrases' starts; 0 if none is.

    The shift within ``LRC_SNAP_S`` of ``near`` that puts the most ``stamped`` times within ``STAMP_ON_PHRASE_S``
    of a phrase's start (``onsets``), where more stamps land there than chance explains (``OFFSET_P``) and than
    the ``in_place`` that do unshifted. Of equally good shifts, the one nearest ``near``. Only a shift of more
    than ``LRC_SNAP_S`` is one: stamps less off are in place, each line snapping to its pause (a dev karaoke
    file over a recorded band, its stamps exact, was moved 0.2 s, its error from 0.05 to 0.20 s).
    """
    from scipy.stats import binom

    grid = near + np.arange(-LRC_SNAP_S, LRC_SNAP_S + 1e-9, 0.01)
    grid = grid[np.abs(grid) > LRC_SNAP_S]
    hits = _on_phrase_starts(stamped, onsets, grid)
    ties = np.flatnonzero(hits == hits.max())
    best = int(ties[np.argmin(np.abs(grid[ties] - near))])
    steps = np.arange(0.0, duration_s, 0.01)  # chance: the share of these 10 ms steps that close to a phrase's start
    chance = _on_phrase_starts(steps, onsets, np.zeros(1))[0] / max(steps.size, 1)
    if hits[best] > in_place and binom.sf(hits[best] - 1, stamped.size, chance) < OFFSET_P:
        return float(grid[best])
    return 0.0


def _own_stamps(stamps: list) -> dict[tuple, float]:
    """The times of the words (and morae) with stamps of their own, by their place: {(line, written_at): seconds}."""
    return {(s.line, s.at): s.t for s in stamps if s.exact and s.line is not None}


def _syllable_stamps(words, at: dict) -> dict[tuple, list[float]]:
    r"""The karaoke stamps inside whole words, by the word's place: a syllable's after the word's first.

    Only the words with a stamp for each of their syllables after the first (in order) are given. A stamp inside
    a word that no lyric word starts at (kana lyrics give a word per mora, each with its own place) times a
    written syllable of it ("{\k20}ev{\k15}ery{\k30}where"). Written syllables are matched to the pronounced ones
    by count: where the counts differ the word is placed from its own stamp alone.
    """
    places = {w.place for w in words}
    inside: dict[tuple, list[tuple[int, float]]] = {}
    for (line, (wi, c)), t in at.items():
        if c > 0 and (line, (wi, c)) not in places:
            inside.setdefault((line, wi), []).append((c, t))
    out = {}
    for w in words:
        times = [t for _, t in sorted(inside.get((w.line, w.written_at[0]), []))] if w.written_at[1] == 0 else []
        if times and len(times) == len(w.syllables) - 1:
            out[w.place] = times
    return out


def _syllable_starts(word, aligned: Word, phones: list[Phone]) -> list[float] | None:
    """Where the aligner starts each syllable of ``word`` after its first.

    None where its phones (those starting inside ``aligned``, silences aside) are not as many as its
    pronunciation's.
    """
    own = [ph for ph in phones if ph.phone != "SIL" and aligned.start - 1e-6 <= ph.start < aligned.end - 1e-6]
    if len(own) != sum(len(s.phones) for s in word.syllables):
        return None
    firsts = np.cumsum([len(s.phones) for s in word.syllables])[:-1]
    return [own[k].start for k in firsts]


def _pinned(words, timed: list[Word], phones: list[Phone], at: dict, a: float, b: float, *,
            hold: bool, syllables: dict | None = None) -> tuple[list, list]:
    """A group's aligned words and phones with each word that has a stamp of its own starting at it.

    A word's stamp (enhanced LRC, karaoke) is a person's timing of where it starts, which is what the artist
    wants the mouth to follow; the aligner only decides how the time between the stamps is shared out. The group's
    times are warped piecewise linearly: its start stays and each stamped word's aligned start moves to its stamp
    (kept inside the group and in order); such a word's confidence is 1 (where it starts is the person's call,
    not the aligner's; a full mix still caps it). With ``hold`` (a stem) its last word also ends with the group (the
    next stamp, or the end of the stretch of voice): a karaoke syllable lasts until the next one starts (an ASS
    karaoke tag says so), and where the singer rests instead, the voice's pause cuts it (:func:`_follow_voice`). On
    a full mix nothing would: the mouth is held through every undisputed line (:func:`_sung_lines`), so the
    aligner's own word ends stay (held, the 12 mono dev mixes' mouth agreement fell by 1-2 points; on the two dry
    takes it rose by 2-4). ``at`` holds the words' stamps by place (:func:`_own_stamps`), ``syllables`` the stamps
    of the syllables after a word's first, where a karaoke file times them (:func:`_syllable_stamps`): each of
    those syllables starts at its stamp too, where the aligner gave the word its pronunciation's phones.
    """
    own = [w.place in at for w in words]
    syllables = syllables or {}
    knots = []
    for w, t, o in zip(words, timed, own, strict=True):
        knots += [(t.start, at[w.place])] if o else []
        inner = syllables.get(w.place)
        starts = _syllable_starts(w, t, phones) if inner else None
        knots += list(zip(starts, inner, strict=True)) if starts else []
    if not knots:
        return timed, phones
    if hold:
        knots.append((timed[-1].end, b))
    xs = np.maximum.accumulate(np.clip([a, *(x for x, _ in knots), b], a, b))  # the aligners keep to the group
    ys = np.clip(np.maximum.accumulate([a, *(y for _, y in knots), b]), a, b)

    def warp(t: float) -> float:
        return float(np.interp(t, xs, ys))

    return ([Word(warp(w.start), warp(w.end), w.text, 1.0 if o else w.confidence)
             for w, o in zip(timed, own, strict=True)],
            [Phone(warp(ph.start), warp(ph.end), ph.phone) for ph in phones])


def _rejoin(y, rate: int, groups: list, speech: list) -> tuple[list, list]:
    """Phrase groups the speech model could not confirm, aligned again together with a neighbour.

    A group whose words fit badly is most often one the line-to-phrase mapping cut in the wrong place (a line
    given a phrase of the next one): aligned as one with the group before or after it, the words find their
    own boundary. Pairs are tried with neighbours that fit (``SPEECH_FIT``), and kept when they fit as well as
    the neighbour did alone (within ``REJOIN_MARGIN``); they are aligned in one pool, and each group joins at
    most one pair, the best-fitting first.

    Returns
    -------
    groups, speech : list
        As given, with the rejoined pairs in place of their two groups.
    """
    def fit(result) -> float:
        return -1.0 if result is None else _mean_confidence(result[0])

    low = [i for i, r in enumerate(speech) if fit(r) < SPEECH_FIT]
    # Only beside a neighbour that fits: its fit is what says the cut, not the delivery, is wrong (and sung
    # material the speech model fits nowhere is not aligned twice over). Only where the two groups meet: one
    # ending GROUP_PAD_S short of the next leaves an instrumental break between them, which is not searched
    # for words (a rejoined pair over a 10 s break put a line of a dev medley in it, 6 s early).
    pairs = sorted({(min(i, j), max(i, j)) for i in low for j in (i - 1, i + 1)
                    if 0 <= j < len(groups) and fit(speech[j]) >= SPEECH_FIT
                    and groups[min(i, j)][2] >= groups[max(i, j)][1]})
    if not pairs:
        return groups, speech
    joined = _speech_align_groups(y, rate, [(groups[a][0] + groups[b][0], groups[a][1], groups[b][2])
                                            for a, b in pairs])
    good = [(fit(r), a, b, r) for (a, b), r in zip(pairs, joined, strict=True)
            if fit(r) >= max(SPEECH_FIT, max(fit(speech[a]), fit(speech[b])) - REJOIN_MARGIN)]
    taken: dict[int, tuple[int, object]] = {}
    used: set[int] = set()
    for _f, a, b, r in sorted(good, key=lambda g: -g[0]):
        if a not in used and b not in used:
            used |= {a, b}
            taken[a] = (b, r)
    out_groups, out_speech, i = [], [], 0
    while i < len(groups):
        if i in taken:
            b, r = taken[i]
            out_groups.append((groups[i][0] + groups[b][0], groups[i][1], groups[b][2]))
            out_speech.append(r)
            i = b + 1
        else:
            out_groups.append(groups[i])
            out_speech.append(speech[i])
            i += 1
    return out_groups, out_speech


def _mean_confidence(words) -> float:
    return float(np.mean([w.confidence for w in words])) if words else 0.0


# A full mix aligned as if it were a stem: the band masks the voice, so no word gets more confidence; the words
# of a line the whole-recording alignment disputes (_disputed_lines) get half of it. Over the 18 dev mixes 76 %
# of the other words are within 0.3 s, 49 % of those (43 % and 25 % without the separation model): the cap is
# cautious there, but no produced full mix with word timings was at hand to raise it on.
MIX_CONFIDENCE_CAP = 0.3
CHECK_CONFIDENCE = MIX_CONFIDENCE_CAP / 2  # a full mix's lines to check first


def _speech_align_groups(y, sr, groups) -> list:
    """:func:`_speech_align` of every phrase group, in a pool of forked processes when there are cores for one.

    The groups are independent (every alignment builds its own decoder), so the results are those of aligning
    them one by one. Workers: ``audio.beats.madmom_threads`` (``CHOREO_THREADS``, else up to 2). With one, off
    Linux (the workers are forked: elsewhere fork is missing or unsafe) or in a daemonic process (a batch
    worker, which may not have children) every group is aligned in this process.
    """
    import multiprocessing as mp
    import sys
    from concurrent.futures import ProcessPoolExecutor

    from audio.beats import madmom_threads

    jobs = [(y[int(a * sr): int(b * sr)], sr, g_words, a) for g_words, a, b in groups]
    workers = min(len(jobs), madmom_threads())
    if workers < 2 or not sys.platform.startswith("linux") or mp.current_process().daemon:
        return [_speech_align(*job) for job in jobs]
    import pocketsphinx  # noqa: F401  (imported before forking, so no worker imports it)

    # Longest first, so that the workers finish together.
    order = sorted(range(len(jobs)), key=lambda i: -jobs[i][0].shape[0])
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork"), initializer=_fresh_std_streams) as pool:
        futures = {i: pool.submit(_speech_align, *jobs[i]) for i in order}
    return [futures[i].result() for i in range(len(jobs))]


def _fresh_std_streams() -> None:
    """In a forked worker: ``sys.stdout`` and ``sys.stderr`` as new streams on file descriptors 1 and 2.

    Another thread of the parent (a progress spinner) may have been writing to one of them when the worker was
    forked: the worker's copy of that stream is then locked for good, and flushing it on exit would hang.
    """
    import sys

    for name, fd in (("stdout", 1), ("stderr", 2)):
        old = getattr(sys, name)
        if old is not None:
            setattr(sys, name, open(fd, "w", encoding=getattr(old, "encoding", None) or "utf-8",  # noqa: SIM115
                                    errors="backslashreplace", buffering=1, closefd=False))


def _pronunciations(words) -> dict[str, list[str]]:
    """The lyric words' own pronunciations (their syllables' phones), by lower-case word, for pocketsphinx."""
    return {w.text.lower(): [ph for s in w.syllables for ph in s.phones] for w in words}


def _speech_align(seg, sr, words, start_s):
    """Align ``words`` with pocketsphinx in ``seg`` (starting at ``start_s``): (words, phones, method, None) or None."""
    from audio.speech import force_align

    try:
        al = force_align(seg, sr, [w.text.lower() for w in words], pronunciations=_pronunciations(words),
                         offset_s=start_s, longest_prefix=False)  # an incomplete alignment is not used
    except ChoreoError:
        return None
    if not al.complete:
        return None
    # Complete alignments keep the order of the text: give the words back their written case.
    timed = [Word(a.start, a.end, w.text, a.confidence) for a, w in zip(al.words, words, strict=True)]
    return timed, list(al.phones), "pocketsphinx forced alignment", None


def _sung_align(words, vf, start_s, end_s, beats_s, p):
    """The sung-syllable DP inside ``start_s..end_s``: (words, phones, method, match) or None."""
    from audio import vocals as V

    fr = vf.frame_rate_hz
    a, b = int(round(start_s * fr)), min(vf.onset.shape[0], int(round(end_s * fr)))
    part = V.slice_features(vf, a, b)
    beats = None if beats_s is None else np.asarray(beats_s) - a / fr
    start, end, match = V.align_syllables(words, part, beats_s=beats)
    if start.size == 0:
        return None
    conf = V.syllable_confidence(part, start, end) * min(1.0, match / max(p.min_match, 1e-6))
    tw, tp = V.words_and_phones(words, start + a / fr, end + a / fr, conf)
    return tw, tp, "sung-syllable DP", match


def _tile(phones: list[Phone]) -> list[Phone]:
    """The sounding phones in time order with SIL filling every gap from 0 (overlaps clipped)."""
    out: list[Phone] = []
    t = 0.0
    for ph in sorted((ph for ph in phones if ph.phone != "SIL"), key=lambda ph: ph.start):
        start = max(ph.start, t)
        if ph.end <= start:
            continue
        if start > t + 1e-6:
            out.append(Phone(t, start, "SIL"))
        out.append(Phone(start, ph.end, ph.phone))
        t = ph.end
    return out


# The mouth follows the voice: it rests wherever the voice pauses for at least REST_PAUSE_S, whatever the
# aligner placed there (a word's last phone run on through a breath, a note held too long), and it stays
# open through a sung note: a silence an aligner put inside a phrase where the voice stays pitched
# (pocketsphinx models a long sung vowel as a short vowel and silence) holds the phone before it.
REST_PAUSE_S = 0.2
# A phrase of the voice that starts more than this before the aligner's next phone opens the mouth there (a few
# frames: less is the activity's own jitter).
ONSET_LEAD_S = 0.05


#: Stop consonants: their closure is silent (the lips or the tongue shut the voice off).
STOPS = frozenset({"P", "B", "T", "D", "K", "G"})
#: A silence an aligner put between two halves of one stop (poppo: P, silence, P) is its held closure when it
#: is no longer than this; a longer one is a breath.
GEMINATE_MAX_S = 0.4


def _geminates(phones: list[Phone]) -> tuple[list[Phone], set[int]]:
    """Geminate stops (poppo, kitte): the phones, and which of them hold a closure the voice's pauses must not cut.

    A stop directly beside the same stop is one; a silence of at most ``GEMINATE_MAX_S`` between two halves of a
    stop becomes that stop (its held closure) first.
    """
    out = list(phones)

    def joined(a: Phone, b: Phone) -> bool:
        return a.phone == b.phone and a.phone in STOPS and abs(a.end - b.start) < 1e-6

    for i in range(1, len(out) - 1):
        gap, filled = out[i], Phone(out[i].start, out[i].end, out[i - 1].phone)
        if gap.phone == "SIL" and gap.end - gap.start <= GEMINATE_MAX_S and joined(out[i - 1], filled) \
                and joined(filled, out[i + 1]):
            out[i] = filled
    held = {j for i in range(1, len(out)) if joined(out[i - 1], out[i]) for j in (i - 1, i)}
    return out, held


def _follow_voice(phones: list[Phone], vf, heard: np.ndarray | None = None, *,
                  singing: np.ndarray | None = None) -> list[Phone]:
    """Phones cut out of the voice's pauses and held through its phrases (see ``REST_PAUSE_S``).

    ``heard`` (0..1 per frame of ``vf``), given for a full mix, is where the voice is heard: the pauses are
    its, and a silence is held where it stays heard, since under a band the pitch track loses the voice.
    ``singing`` (0..1 per frame), given for a stem, is where the singing detector hears a voice: a silence is
    held where the voice is pitched or the detector hears it. Reverb smears the pitch of a held note, and the
    silence the aligner left there shut the mouth (the dev songs with a synthetic hall, RT60 0.8 / 1.5 s: mouth
    agreement 0.887 / 0.842 -> 0.888 / 0.894 for song 004, 0.958 / 0.936 -> 0.963 / 0.958 for 007; words
    unchanged); holding wherever the stem was loud instead did as much there, but held the mouth open through
    every pause of a stem with a band under it, which the detector does not take for a voice.
    """
    from audio.phrases import vocal_phrases

    if heard is not None:
        active, pitch = heard, heard
    else:
        active, pitch = vf.active, (vf.voiced if singing is None else np.maximum(vf.voiced, singing))
    sung = vocal_phrases(active, vf.frame_rate_hz, min_pause_s=REST_PAUSE_S, min_phrase_s=0.0)
    if sung.shape[0] == 0:
        return [Phone(0.0, phones[-1].end, "SIL")] if phones else []
    phones, held = _geminates(phones)
    cut: list[Phone] = []
    for i, ph in enumerate(phones):
        if ph.phone == "SIL":
            continue
        if i in held:
            cut.append(ph)  # a geminate's closure is silent by nature, not a pause
            continue
        # The parts of the phone inside sung phrases: those from the first phrase ending after its start.
        k = int(np.searchsorted(sung[:, 1], ph.start, side="right"))
        while k < sung.shape[0] and sung[k, 0] < ph.end:
            lo, hi = max(ph.start, sung[k, 0]), min(ph.end, sung[k, 1])
            if hi > lo + 1e-6:
                cut.append(Phone(lo, hi, ph.phone))
            k += 1
    fr = vf.frame_rate_hz
    held: list[Phone] = []
    for ph in _tile(cut):
        prev = held[-1] if held else None
        # A silence is held only inside a phrase, up to its end, where the voice is pitched through it (a sung
        # note), not merely active; what follows the phrase's end stays a rest.
        k = int(np.searchsorted(sung[:, 0], ph.start + 1e-6, side="right")) - 1
        end = min(ph.end, float(sung[k, 1])) if k >= 0 else ph.start
        if (ph.phone == "SIL" and prev is not None and prev.phone != "SIL" and end > ph.start + 1e-6
                and _pitched(pitch, fr, ph.start, end)):
            held[-1] = Phone(prev.start, end, prev.phone)
            if ph.end > end + 1e-6:
                held.append(Phone(end, ph.end, "SIL"))
        else:
            held.append(ph)
    return _open_on_voice(_sing_empty_phrases(held, sung, pitch, fr), sung, pitch, fr)


def _pitched(pitch: np.ndarray, fr: float, a: float, b: float) -> bool:
    """Whether the voice is pitched (or heard: ``pitch`` is 0..1 per frame at ``fr``) through most of ``a``..``b`` s."""
    frames = pitch[int(a * fr): max(int(b * fr), int(a * fr) + 1)]
    return bool(frames.size) and float(frames.mean()) >= 0.5


def _sing_empty_phrases(phones: list[Phone], sung: np.ndarray, pitch: np.ndarray, fr: float) -> list[Phone]:
    """A sung phrase the aligner left silent sung on the vowel before it.

    Where the voice sings a whole phrase (pitched, or heard, through it) and no phone of the alignment falls in
    it, the aligner misplaced the words around it, not the voice: the mouth must move while the character
    sings, so the phrase takes the last vowel sung before it (a held note, or a syllable the aligner put
    early). The dev songs: song 004 dry 0.932 -> 0.941, with a hall (RT60 1.5 s) 0.894 -> 0.917, where the
    aligner ended a one-second note at its start; the medleys over recorded bands 0.830 -> 0.834.
    """
    from audio.lyrics import VOWELS

    out: list[Phone] = []
    for ph in phones:
        if ph.phone != "SIL":
            out.append(ph)
            continue
        t = ph.start
        for a, b in sung[(sung[:, 0] >= ph.start - 1e-6) & (sung[:, 1] <= ph.end + 1e-6)]:
            if not _pitched(pitch, fr, a, b):
                continue
            vowel = next((q.phone for q in reversed(out) if q.phone in VOWELS), "AH")
            out += [Phone(t, float(a), "SIL")] if a > t + 1e-6 else []
            out.append(Phone(float(a), float(b), vowel))
            t = float(b)
        out += [Phone(t, ph.end, "SIL")] if ph.end > t + 1e-6 else []
    return out


def _open_on_voice(phones: list[Phone], sung: np.ndarray, pitch: np.ndarray, fr: float) -> list[Phone]:
    """The mouth opens where the voice starts a phrase, not later where the aligner starts its first phone.

    Where a phrase of the voice starts inside a silence of the alignment, more than ``ONSET_LEAD_S`` before the
    phone that follows, runs on into that phone, and the voice is pitched (or heard) from its start
    to the phone, the phone starts at the phrase's start: a voice's onset is sharp even in a reverberant
    take, while the aligner, hearing the reverb of the phrase before, starts the words late. The words keep
    their times; only the mouth moves. The dev songs with a hall: song 004 0.888 / 0.917 -> 0.938 / 0.937
    (RT60 0.8 / 1.5 s), the dry takes unchanged (no phrase starts so far before its phone); the songs and
    medleys over recorded instrumentals 0.881 / 0.834 -> 0.894 / 0.842.
    """
    out = list(phones)
    for i in range(1, len(out)):
        rest, nxt = out[i - 1], out[i]
        if rest.phone != "SIL" or nxt.phone == "SIL":
            continue
        starts = sung[(sung[:, 0] > rest.start + 1e-6) & (sung[:, 0] < nxt.start - ONSET_LEAD_S)
                      & (sung[:, 1] >= nxt.start), 0]
        if starts.size and _pitched(pitch, fr, float(starts[0]), nxt.start):
            a = float(starts[0])
            out[i - 1], out[i] = Phone(rest.start, a, "SIL"), Phone(a, nxt.end, nxt.phone)
    return out


# Lines whose words average below this confidence are listed in the warnings for an artist to check.
LOW_CONFIDENCE = 0.4


def _sung_lines(heard: np.ndarray, by_line: dict[int, list[tuple[Word, str]]], disputed: set[int] | None,
                fr: float) -> np.ndarray:
    """Where a voice is heard in a full mix: the singing detector's frames, and every lyric line not disputed.

    The detector misses singing under a loud band (28 % of the sung frames of a dev medley over the Brahms), and
    there the mouth rested while the line's words went by. A line placed where its phrase group and the
    whole-recording alignment agree (or between the stamps of timed lyrics) is sung from its first word to its
    last, heard or not; a disputed line is left to the detector. Over the dev mixes on recorded instrumentals
    mouth agreement rose from 0.815 to 0.829 (medleys), 0.782 to 0.822 (medleys in stereo), 0.874 to 0.903
    (medleys with breaks), and with timed lyrics from 0.867 to 0.900; words do not move.
    """
    out = np.array(heard, dtype=np.float64)
    for li, ws in by_line.items():
        if disputed is None or li not in disputed:
            out[int(ws[0][0].start * fr): int(np.ceil(ws[-1][0].end * fr))] = 1.0
    return out


def _words_by_line(words, timed) -> dict[int, list[tuple[Word, str]]]:
    """The timed words of each lyric line, in order, with their text as the lyrics write it."""
    by_line: dict[int, list[tuple[Word, str]]] = {}
    for lw, w in zip(words, timed, strict=True):
        by_line.setdefault(lw.line, []).append((w, lw.text))
    return by_line


def _disputed_lines(by_line: dict[int, list[tuple[Word, str]]],
                    line_starts: dict[int, float] | None) -> set[int] | None:
    """The lyric lines of a full mix that the whole-recording alignment disputes; None where it failed.

    A line is disputed when it is placed more than ``ANCHOR_CAP_S`` from where that alignment (``line_starts``,
    from :func:`_line_starts`) starts it: two estimates from different stretches of the recording (the line's
    phrase group, the whole song) that disagree. Over the 336 lines of 18 dev mixes, 68 were disputed, and 56 %
    of those were off by more than 1 s (mean error of their words), 34 % of the others; pocketsphinx's own
    confidence hardly tells them apart there (the 9 lines below ``LOW_CONFIDENCE``: 44 % against 39 %).
    """
    from audio.phrases import ANCHOR_CAP_S

    if line_starts is None:
        return None
    return {li for li, ws in by_line.items() if abs(ws[0][0].start - line_starts[li]) > ANCHOR_CAP_S}


def check_first(confidence: float, mix: bool) -> bool:
    """Whether a lyric line whose words average ``confidence`` is one to check first, as lip-sync lists them.

    On a stem, below ``LOW_CONFIDENCE``. On a full mix (``mix``), where every word is capped at
    ``MIX_CONFIDENCE_CAP``, below ``LOW_CONFIDENCE`` too, and the lines to check get ``CHECK_CONFIDENCE``: at most
    that.

    Parameters
    ----------
    confidence : float, 0..1
    mix : bool
        The track was made from a full mix.

    Returns
    -------
    bool
    """
    return confidence <= CHECK_CONFIDENCE + 1e-9 if mix else confidence < LOW_CONFIDENCE


def _lines_to_check(by_line: dict[int, list[tuple[Word, str]]], mix: bool, disputed: set[int] | None, *,
                    timed: bool = False) -> list[str]:
    """One warning naming the lyric lines an artist should check first (time and first words), if any.

    On a stem: the lines whose words average below ``LOW_CONFIDENCE``. On a full mix (every word capped at
    ``MIX_CONFIDENCE_CAP``): the ``disputed`` ones (:func:`_disputed_lines`); none when they are not known. With
    ``timed`` lyrics on a full mix, ``disputed`` holds the lines the speech model did not confirm between their
    stamps: over the 12 mono dev mixes with an LRC file (stamps up to 0.5 s off), 37 % of their words were within
    0.3 s, 58 % of the others' (53 and 187 of 240 lines).
    """
    from audio.lyrics import listed
    from audio.phrases import ANCHOR_CAP_S

    if not mix:
        flagged = [li for li, ws in by_line.items() if check_first(np.mean([w.confidence for w, _ in ws]), False)]
        why = f"have low confidence (< {LOW_CONFIDENCE})"
    else:
        flagged = sorted(disputed or ())
        why = ("were not confirmed by the speech model between their timestamps (the sung-syllable aligner placed "
               "them)" if timed else
               f"are placed more than {ANCHOR_CAP_S:g} s from where an alignment of the whole recording starts them")
    if not flagged:
        return []
    starts = [by_line[li][0][0].start for li in flagged]
    texts = [" ".join(text for _, text in by_line[li][:4]) for li in flagged]
    shown = listed([f"{int(t // 60)}:{t % 60:04.1f} '{text}'" for t, text in zip(starts, texts, strict=True)], "; ")
    return [f"{len(flagged)} of {len(by_line)} lyric lines {why}, check them first: {shown}"]


def _separated_voice(samples: np.ndarray, sr: int, centre: np.ndarray) -> tuple[np.ndarray, str | None]:
    """A full mix's singing voice at ``audio.vocals.VOCAL_SR``, and a warning where no model separated it.

    Spleeter's voice model (:func:`audio.separation.voice`) on the mix where it is installed; otherwise the
    repetition-based separation of the mix's ``centre`` (:func:`audio.vocals.lead_vocal`), which leaves more of
    the band (README: the 18 dev mixes over recorded bands).
    """
    from audio import melody, separation
    from audio import vocals as V

    if separation.available():
        return separation.voice(samples, sr, V.VOCAL_SR), None
    return V.lead_vocal(centre, melody.MELODY_SR), (
        f"the voice separation model is not installed ({separation.INSTALL_HINT}): the voice is brought forward "
        "by repetition-based separation, which leaves more of the band (on the dev mixes, words three times as far "
        "off)")


def _mix_activity(y: np.ndarray, sr: int, vf) -> tuple[np.ndarray, bool, tuple[str, ...]]:
    """Where a voice is heard in a full mix (0..1 per frame of ``vf``), whether a detector said so, and a note.

    The singing detector (:func:`audio.singing.voice_activity`) where it loads; otherwise the mix's
    vocal-band loudness (:func:`audio.vocals.mix_vocal_activity`), which moves with the band too.
    """
    from audio import singing
    from audio.vocals import mix_vocal_activity

    activity = singing.voice_activity(y, sr, vf.voiced.size, vf.frame_rate_hz)
    if activity is not None:
        return activity, True, ()
    return mix_vocal_activity(y, sr, vf), False, (
        f"the singing detector does not load ({singing.INSTALL_HINT}): the voice is looked for by the mix's "
        "vocal-band loudness, which rises with the band as much as with the voice",)


def _melody_notes(centre, stereo: bool, vf, activity, heard: str | None, loud) -> Transcript:
    """Tier 4 on a full mix: the mouth sings the lead melody's notes where a voice is heard.

    The pitch is tracked on the mix's ``centre`` (:func:`audio.melody.centre16`), where the lead vocal is
    (:func:`audio.melody.melody_pitch`).
    Where ``activity`` says where the voice is (``heard`` says how: where the singing detector hears a voice,
    the voice the separation model takes out of the mix sounds, or both), the pitch is tracked and the notes are
    kept only inside the spans where a voice is heard, with more syllables at onset peaks, and held through them
    (:func:`audio.melody.notes_in_spans`); the voice-band loudness that stands in for them (``heard`` None)
    cannot tell the voice from the band, so then every note is sung. Without torch, :func:`_fallback`.
    """
    from audio import melody
    from audio.phrases import vocal_phrases
    from audio.singing import THRESHOLD

    if not melody.crepe_available():
        tr = _fallback(vf, activity, loud, heard or "vocal-band loudness finds a voice")
        return dataclasses.replace(tr, warnings=(*tr.warnings, (
            f"the melody pitch tracker is not installed or does not load ({melody.INSTALL_HINT}): the mouth "
            "opens on the mix's onsets where a voice seems to be, not on the sung notes")))
    notes = melody.sung_notes(*melody.melody_pitch(centre, melody.MELODY_SR,
                                                   activity > THRESHOLD if heard else None))
    if heard:  # every run of voice is a span: no pause is too short, no run too short
        fr = vf.frame_rate_hz
        spans = vocal_phrases(activity, fr, min_pause_s=0.0, min_phrase_s=0.0, threshold=THRESHOLD)
        notes = melody.notes_in_spans(notes, spans, np.array(_syllable_onsets(vf, activity > THRESHOLD)) / fr)
    phones = melody.note_phones(notes, vf.loudness, vf.frame_rate_hz)
    where = ("the centre of the stereo mix" if stereo else "the mix") + (f", where {heard}" if heard else "")
    return Transcript((), _close(phones, vf.duration_s), "loudness-fallback",
                      f"melody notes (CREPE tiny pitch of {where})", 0.2, vf.duration_s,
                      ("full mix only: the mouth opens on the notes of the mix's main melody where a voice is heard; "
                       "no words (confidence 0.2)",), loud)


def _fallback(vf, activity, loud, heard: str) -> Transcript:
    """Tier 4: syllable-like mouth movement at onsets where ``activity`` (> 0.5; ``heard`` says how) holds a voice."""
    from audio.lyrics import Syllable
    from audio.vocals import place_phones

    fr = vf.frame_rate_hz
    on = activity > 0.5
    phones: list[Phone] = []
    t_prev = 0.0
    starts = _syllable_onsets(vf, on)
    for i, a in enumerate(starts):
        b = starts[i + 1] if i + 1 < len(starts) else len(on)
        stop = a + int(np.argmin(on[a:b])) if not on[a:b].all() else b
        if stop - a < 3:
            continue
        vowel = "AA" if vf.loudness[a:stop].mean() > 0.6 else "EH"
        if a / fr > t_prev:
            phones.append(Phone(t_prev, a / fr, "SIL"))
        phones.extend(place_phones(Syllable(("M",), vowel, ()), a / fr, stop / fr))
        t_prev = stop / fr
    return Transcript((), _close(phones, vf.duration_s), "loudness-fallback", f"onsets where {heard}",
                      0.2, vf.duration_s, ("full mix only: the mouth opens on onsets, not words (confidence 0.2)",),
                      loud)


def _syllable_onsets(vf, on: np.ndarray) -> list[int]:
    """Frames where a sung syllable seems to start: the first frame of each burst of onset strength > 0.3 in ``on``.

    A burst starts 0.12 s or more after the last such frame.
    """
    peaks = np.flatnonzero((vf.onset > 0.3) & on)
    gap = int(0.12 * vf.frame_rate_hz)
    return [int(p) for i, p in enumerate(peaks) if i == 0 or p - peaks[i - 1] >= gap]


def _close(phones: list[Phone], duration_s: float) -> tuple[Phone, ...]:
    """End the phone list with silence up to the end of the audio."""
    out = list(phones)
    end = out[-1].end if out else 0.0
    if duration_s > end + 1e-6:
        out.append(Phone(end, duration_s, "SIL"))
    return tuple(out)


def _loudness(y: np.ndarray, sr: int) -> tuple[float, tuple[float, ...]]:
    """Loudness curve (50 Hz, 0..1) of a recording, for the mouth's open amount."""
    from audio import features as F

    feat = F.compute_features(F.resample_mono(y, sr, F.ANALYSIS_SR), F.ANALYSIS_SR)
    return feat.frame_rate_hz, tuple(float(x) for x in F.energy_curve(feat))
