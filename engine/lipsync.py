"""The lip-sync stage: words and phones from :mod:`audio.transcribe`, mouth cues from :mod:`choreography.mouth`."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from audio.params import LipsyncParams
from audio.transcribe import transcribe

# Bumped when the mouth track changes for the same inputs (2: Japanese readings, rejoined groups, held geminates
# and last notes, the full-mix singing detector; 3: a full mix with lyrics takes the melody tracker's pitch,
# follows where the voice is heard and anchors its line mapping on a whole-recording alignment; 4: every
# recording at full scale, phrase groups at most GROUP_PAD_S beyond their phrases, one warning for the words
# outside the dictionary; 5: a full mix's whole-recording alignment hears silence where no voice is heard; 6: it
# hears only the stretches where a voice is heard, joined, and no phrase groups are rejoined across a break; 7: a
# full mix lists the lines placed far from the whole-recording alignment, not the low-confidence ones; the
# lyrics' repeat marks are written out; 8: timed lyrics (LRC) place each line by its timestamps, and on a full mix
# the mouth may move through every undisputed lyric line; 9: word stamps of enhanced LRC and karaoke subtitles place
# their words, and Japanese lyric lines keep their numbers past a line of kanji alone; 10: a stem's silences held
# where the singing detector hears a voice, karaoke syllable stamps inside whole words, stamped words at confidence
# 1, a full mix's melody tracked only where a voice is heard; 11: a sung phrase the aligner left silent is sung on
# the vowel before it, the mouth opening where the voice starts a phrase, a full mix's voice detected on its
# centre, timed lyrics off as a whole put back; 12: the lyrics' stanzas in the line mapping, each stanza of a full
# mix aligned again where it was put, a repeat mark alone on its line left out; 13: up to four lyric lines share
# a phrase; 14: a full mix's whole-recording alignment searched again unpruned where the pruned pass loses the
# lyrics; 15: a duet's singer labels, each character singing its singer's lines, kana particles read wa, e; 16: a
# full mix's voice separated by a model, its phrases, pitch and mouth taken from that voice; 17: a full mix without
# lyrics rests its mouth where that voice is silent too).
STAGE_VERSION = "17"


def make_track(vocals: str | Path | None, *, character: str, fps, lyrics: str | Path | None = None,
               midi: str | Path | None = None, beats_s=None, mix: bool = False, params: LipsyncParams | None = None,
               mapping: str | Path | None = None, on_step=None, shared: bool = False):
    """Transcribe and turn the result into a :class:`choreography.model.MouthTrack`.

    Parameters
    ----------
    vocals, lyrics, midi, beats_s, mix, params, shared
        As for :func:`transcribe`.
    character : str
        Whose mouth this is; where the lyrics name their singers (a duet), the singer whose lines move it.
    fps : Fraction
        Project frame rate.
    mapping : str or Path, optional
        A JSON file overriding the phoneme-to-shape mapping.
    on_step : callable, optional
        Called with a step name as each step starts.

    Returns
    -------
    MouthTrack
    """
    from importlib.metadata import version

    from choreography.mouth import build_mouth_track, load_mapping

    p = params or LipsyncParams()
    step = on_step or (lambda _name: None)
    step("mapping")
    shape_map = load_mapping(mapping)
    step("transcribe")
    tr = transcribe(vocals, lyrics=lyrics, midi=midi, beats_s=None if beats_s is None else np.asarray(beats_s),
                    mix=mix, params=p, singer=character, shared=shared)
    step("mouth shapes")
    rate, values = tr.loudness
    provenance = {"stage": "lipsync", "tier": tr.tier, "method": tr.method, "inputs": {
        "vocals": None if vocals is None else str(vocals), "lyrics": None if lyrics is None else str(lyrics),
        "midi": None if midi is None else str(midi), "mix": mix, "shared": shared}, "params": {
        "fps": p.fps, "twos": p.twos, "voice": p.voice, "min_match": p.min_match, "aligner": p.aligner,
        "mapping": None if mapping is None else str(mapping)}, "versions": {"choreo-engine": version("choreo-engine")}}
    return build_mouth_track(list(tr.phones), list(tr.words), character=character, fps=fps, duration_s=tr.duration_s,
                             tier=tr.tier, confidence=tr.confidence,
                             loudness=(rate, np.asarray(values)) if len(values) else None, mapping=shape_map,
                             twos=p.twos, provenance=provenance, warnings=tr.warnings)

