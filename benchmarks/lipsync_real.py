"""Lip-sync accuracy and speed on real singing with human annotations (../shared/data/dev).

Usage: ``python benchmarks/lipsync_real.py [--dev DIR] [--only NAME] [--json FILE] [--ablate]`` (both run by
``make bench``). Prints, per recording:

1. ``lyrics/``: two Japanese children's songs sung a cappella, with a syllable per lyric token. Each song
   alone, and a "medley" of both songs twice (about 150 s, built in memory from the dev audio, never
   written into the project), which is longer than one pocketsphinx utterance and so exercises the
   phrase anchors; and each song over a band, aligned as a full mix (``--mix`` with lyrics): a synthesized
   band, and recorded instrumentals (two CC-BY recordings in ``../shared/data/real`` and an instrumental
   Beatles clip of the dev set), looped, with the mean over those recorded mixes; and the medley over the
   same recorded instrumentals (a full-length mix, where one wrong line-to-phrase group shifts the rest).
   The same again in stereo over the two stereo recordings, the voice in the centre as a lead vocal is mixed
   (the dev mixes are mono; a real mix's centre is where its voice is looked for). And the medley with a
   15 s instrumental intro and 10 s breaks between the songs and at the end, over the recorded
   instrumentals (mono), as a song has them: no word may land there. And each song as a wet stem: a
   synthetic hall reverb (an exponentially decaying noise response, seeded) added to the dry take, as a
   studio's lead-vocal stem often carries its reverb (``REVERBS``: decay time and wet level). And the mono
   mixes over the recorded instrumentals again with timed lyrics: an LRC file made from the annotated start
   of each line, each stamp moved by up to ``LRC_JITTER_S`` either way (seeded), as a hand-timed file is; and
   the songs and those mixes with karaoke timings: an enhanced LRC file stamping every syllable at its
   annotated onset, moved by up to ``KARAOKE_JITTER_S`` (seeded). Words with stamps of their own start there,
   so their error is the stamps' (about half of ``KARAOKE_JITTER_S``): the mouth is what these rows measure.
   And the same LRC files of the stems (dry and wet) and of those mixes off as a whole (``LRC_SHIFTS_S``): the
   lyrics of another release, which the aligner should find and put back, or leave as they are. And the
   songs, the medley and the medley with breaks over bands cut from produced pop songs: the intros of the
   ``vocal_mix/`` clips before their first annotated lead-vocal note (``POP_INTRO_MARGIN_S`` before it, and
   only those at least ``POP_INTRO_MIN_S`` long), looped; a produced band's parts (lead instruments, pads,
   perhaps backing vocals) pass into the separated voice as a recording of an orchestra or a jazz combo may not.
   Syllable-onset error (mean, share within 0.3 s and 0.1 s), mouth open/closed agreement per frame with
   the annotated sung syllables beside that of a mouth that never closes (always_open: these songs are
   sung almost without a break, so agreement says little unless it beats that), the aligner that ran,
   seconds and real-time factor.
2. ``vocal_mix/``: six English pop full mixes with the lead vocal's sung-note onsets (``--mix``, no lyrics):
   the share of note onsets that a mouth opening (closed lips or rest to an open shape) matches within
   0.15 s, beside the share that the same number of openings placed at random would match (chance: a
   mouth that flaps often scores high on hits alone), the share of openings that fall on a note onset
   (precision), and frame agreement of the mouth with the annotated notes beside that of a mouth that
   never closes (always_open); nan where the file gives no note durations.
3. ``extra/``: a solo voice (a Tagalog children's song) with its notes and lyric text but no word timings:
   the error of each lyric line's start (the first note after each of the longest pauses, one fewer than
   the lines), mouth agreement with the notes beside always_open, and note onsets matched by an opening;
   per aligner and with no lyrics. Tagalog has no espeak-ng voice: the English one reads it.
4. Calibration: word confidence in bins against the share of those words within 0.3 s, on the dry takes;
   and on the full mixes over the recorded and produced bands, the words at half the full-mix cap or less (the
   lines to check first, and words the aligner itself is less sure of) against the rest; the same on those
   mixes with an LRC file (there the lines to check are the ones the speech model did not confirm).

With ``--ablate``, instead: what each part of the pipeline contributes. The dry takes, the wet stems, the mono
mixes over the recorded instrumentals and the pop mixes again, with all parts and with one part switched off
in turn (``ABLATIONS``): the phrase anchors, the pitch tracker, the singing detector, the voice separation
model (full mixes only); means per group.

The dev set is not distributed; without it the script says so and exits 0.
"""

from __future__ import annotations

import functools
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.dev_set import dev_missing, dev_parser  # noqa: E402

FRAME_HZ = 100.0
CONF_BINS = (0.0, 0.3, 0.5, 0.7, 1.01)
INTRO_S, BREAK_S = 15.0, 10.0  # the instrumental intro, and the breaks between the songs of a medley with breaks
# Wet stems: (RT60 in seconds, the reverb's level against the dry voice in dB): a small room, a hall.
REVERBS = ((0.8, -10.0), (1.5, -6.0))
CHANCE_DRAWS = 50  # random placements of the same number of openings, for the chance hit rate
LRC_JITTER_S = 0.5  # the most a timed lyrics file's stamp is moved from the annotated line start
KARAOKE_JITTER_S = 0.1  # the most a karaoke file's word stamp is moved from the annotated syllable onset
LRC_SHIFTS_S = (2.5, -3.0)  # LRC files off as a whole: every stamp 2.5 s late, or 3 s early
POP_INTRO_MARGIN_S = 1.0  # a pop clip's intro ends this long before its first annotated lead-vocal note
POP_INTRO_MIN_S = 5.0  # and is used as a band when at least this long (two of the six clips)


def _read_table(path: Path) -> np.ndarray:
    """A tab-separated annotation with one header line: the numeric columns as floats."""
    rows = [ln.split("\t") for ln in path.read_text(encoding="utf-8").splitlines()[1:] if ln.strip()]
    return np.array([[float(x) for x in r[:2]] for r in rows]).reshape(-1, 2)


def _open_frames(phones, duration_s: float) -> np.ndarray:
    """Per frame (100 Hz): is the mouth doing anything but resting (a phone other than silence)?"""
    out = np.zeros(int(np.ceil(duration_s * FRAME_HZ)), dtype=bool)
    for ph in phones:
        if ph.phone != "SIL":
            out[int(ph.start * FRAME_HZ): int(np.ceil(ph.end * FRAME_HZ))] = True
    return out


def _openings(phones) -> np.ndarray:
    """Times the mouth opens: a phone that is neither silence nor a closed-lip consonant, after one that is."""
    closed = {"SIL", "M", "B", "P"}
    return np.array([ph.start for i, ph in enumerate(phones)
                     if ph.phone not in closed and (i == 0 or phones[i - 1].phone in closed)])


def _hit_rate(times: np.ndarray, targets: np.ndarray, tol_s: float = 0.15) -> float:
    """Share of ``targets`` with one of ``times`` within ``tol_s``."""
    if not times.size or not targets.size:
        return 0.0
    return float(np.mean(np.min(np.abs(targets[:, None] - times[None, :]), axis=1) <= tol_s))


def _mouth(phones, spans: np.ndarray, duration_s: float) -> dict[str, float]:
    """Per frame, the mouth's open/closed agreement with the sung ``spans``, and that of a mouth that never closes."""
    sung = _span_frames(spans, int(np.ceil(duration_s * FRAME_HZ)))
    return {"mouth_agree": float(np.mean(_open_frames(phones, duration_s)[: sung.size] == sung)),
            "always_open": float(np.mean(sung))}


def _span_frames(spans: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    for a, b in spans:
        out[int(a * FRAME_HZ): int(np.ceil(b * FRAME_HZ))] = True
    return out


def _song(dev: Path, sid: str) -> tuple[Path, Path, np.ndarray]:
    """An a-cappella dev song: its WAV, its lyrics and its syllable table."""
    return dev / "lyrics" / f"{sid}.wav", dev / "lyrics" / f"{sid}.txt", _read_table(dev / "lyrics" / f"{sid}.words")


def _medley(dev: Path, ids: list[str], tmp: Path, *, intro_s: float = 0.0,
            gap_s: float = 1.0) -> tuple[Path, Path, np.ndarray]:
    """Both songs twice, ``gap_s`` apart, after ``intro_s`` of silence: a temporary WAV, its lyrics and its
    syllable table. Over a band, the silences are an instrumental intro and breaks, as a song has."""
    parts, lyrics, table, t0 = [], [], [], 0.0
    sr = None
    for k, sid in enumerate(ids * 2):
        y, sr = sf.read(dev / "lyrics" / f"{sid}.wav", dtype="float32")
        if k == 0 and intro_s:
            parts.append(np.zeros(int(intro_s * sr), dtype=np.float32))
            t0 += parts[-1].shape[0] / sr
        gap = np.zeros(int(gap_s * sr), dtype=np.float32)
        parts += [y, gap]
        lyrics.append((dev / "lyrics" / f"{sid}.txt").read_text(encoding="utf-8").strip())
        table.append(_read_table(dev / "lyrics" / f"{sid}.words") + t0)
        t0 += (y.shape[0] + gap.shape[0]) / sr
    wav, txt = tmp / f"medley_{intro_s:g}_{gap_s:g}.wav", tmp / f"medley_{intro_s:g}_{gap_s:g}.txt"
    sf.write(wav, np.concatenate(parts), sr)
    txt.write_text("\n\n".join(lyrics) + "\n", encoding="utf-8")  # a stanza per song, as lyrics are written
    return wav, txt, np.concatenate(table)


def _over_band(song: tuple[Path, Path, np.ndarray], tmp: Path, band: Path | None = None, *,
               stereo: bool = False) -> tuple[Path, Path, np.ndarray]:
    """A song (its WAV, lyrics and syllable table) over a band 3 dB under the voice: a mix with known syllables.

    The band is synthesized (drums, bass, chords, repeating exactly) or, given ``band``, a recorded
    instrumental, looped to the song's length. ``stereo``: the recorded band keeps its two channels and the
    voice is mixed to the centre, as a lead vocal is (the band's level is that of its mono sum); else mono.
    """
    from audio.decode import load_audio
    from audio.features import resample_mono
    from tests.material.synth import SongSpec, synthesize

    voice, lyrics, table = song
    y, sr = sf.read(voice, dtype="float32")
    if band is None:
        bars = int(np.ceil(y.shape[0] / sr / 2.0)) + 1  # 2 s bars at 120 BPM in 4/4
        synth = synthesize(SongSpec(bpm=120.0, form=(("verse", bars),), seed=0))
        b = resample_mono(synth.y, synth.sr, sr)[: y.shape[0], None]
    else:
        rec = load_audio(band)
        channels = [rec.samples[:, c] for c in range(rec.samples.shape[1])] if stereo else [rec.mono()]
        b = np.stack([resample_mono(c, rec.sr, sr) for c in channels], axis=1)
        b = np.tile(b, (int(np.ceil(y.shape[0] / b.shape[0])), 1))[: y.shape[0]]
    b = b * (np.sqrt(np.mean(y**2)) / max(np.sqrt(np.mean(b.mean(axis=1) ** 2)), 1e-9)) * 10 ** (-3 / 20)
    x = y[:, None] + b
    wav = tmp / f"{voice.stem}_over_{band.stem if band else 'band'}{'_stereo' if stereo else ''}.wav"
    sf.write(wav, x, sr)
    return wav, lyrics, table


def _wet(song: tuple[Path, Path, np.ndarray], tmp: Path, rt60_s: float, wet_db: float) -> tuple[Path, Path, np.ndarray]:
    """A song with a synthetic reverb added: white noise decaying by 60 dB in ``rt60_s`` after a 20 ms
    pre-delay (seeded), convolved with the dry take and mixed ``wet_db`` under it (by energy)."""
    from scipy.signal import fftconvolve

    voice, lyrics, table = song
    y, sr = sf.read(voice, dtype="float32")
    t = np.arange(int(1.2 * rt60_s * sr)) / sr
    ir = np.random.default_rng(0).standard_normal(t.size) * np.exp(-np.log(1000.0) * t / rt60_s) * (t >= 0.02)
    r = fftconvolve(y, ir)[: y.size]
    x = y + r * np.sqrt(np.mean(y**2) / np.mean(r**2)) * 10 ** (wet_db / 20)
    wav = tmp / f"{voice.stem}_rt{rt60_s:g}_{wet_db:g}dB.wav"
    sf.write(wav, x / np.max(np.abs(x)), sr)
    return wav, lyrics, table


def _timed_lyrics(song: tuple[Path, Path, np.ndarray], tmp: Path, *,
                  karaoke: bool = False, shift_s: float = 0.0) -> tuple[Path, Path, np.ndarray]:
    """A song with its lyrics as a timed file (LRC): each line stamped at its first annotated syllable, moved by
    up to ``LRC_JITTER_S`` either way (seeded); with ``karaoke``, every word (here a syllable) stamped at its own,
    moved by up to ``KARAOKE_JITTER_S`` (enhanced LRC). ``shift_s``: every line stamp then moved by that much (a
    file off as a whole: the lyrics of another release), none before 0."""
    from audio.lyrics import lrc_stamp, pronounce_words, read_lyrics

    wav, txt, table = song
    lines = read_lyrics(txt)
    words = pronounce_words(lines)[0]
    line_of = np.array([w.line for w in words])
    rng = np.random.default_rng(0)
    jitter = KARAOKE_JITTER_S if karaoke else LRC_JITTER_S
    if karaoke:  # every word's stamp, in order
        t = np.maximum.accumulate(np.maximum(table[:, 0] + rng.uniform(-jitter, jitter, table.shape[0]), 0.0))
        text = "".join(lrc_stamp(t[ks[0]]) + " ".join(lrc_stamp(t[k], word=True) + words[k].text for k in ks) + "\n"
                       for ks in (np.flatnonzero(line_of == li) for li in range(len(lines))))
    else:
        stamps = [max(table[np.flatnonzero(line_of == li)[0], 0] + rng.uniform(-jitter, jitter) + shift_s, 0.0)
                  for li in range(len(lines))]
        text = "".join(f"{lrc_stamp(t)}{' '.join(line)}\n" for t, line in zip(stamps, lines, strict=True))
    lrc = tmp / f"{wav.stem}{f'_{shift_s:+g}s' if shift_s else ''}.lrc"
    lrc.write_text(text, encoding="utf-8")
    return wav, lrc, table


def _instrumentals(dev: Path) -> list[Path]:
    """Recorded instrumentals to sing the dev songs over: two CC-BY recordings beside the dev set, one dev clip."""
    found = [dev.parent / "real" / "vibe_ace.ogg", dev.parent / "real" / "brahms_hungarian_dance_5.ogg",
             dev / "beats" / "beatles_09_03_Flying.flac"]
    return [p for p in found if p.is_file()]


def _pop_intros(dev: Path, tmp: Path) -> dict[str, Callable[[], Path]]:
    """The intros of the ``vocal_mix/`` clips, to the first annotated note less ``POP_INTRO_MARGIN_S``, those of
    ``POP_INTRO_MIN_S`` or more: bands of produced songs with no lead vocal. By name, each a function that cuts it
    into a WAV file in ``tmp`` the first time it is called (when a case over it runs)."""
    out = {}
    for notes_path in sorted((dev / "vocal_mix").glob("*.notes")):
        end = float(_read_table(notes_path)[0, 0]) - POP_INTRO_MARGIN_S
        if end >= POP_INTRO_MIN_S:
            name = f"{notes_path.stem.split('_')[1][:7]}_intro"
            out[name] = functools.cache(functools.partial(_cut, dev / "beats" / f"{notes_path.stem}.flac", end,
                                                          tmp / f"{name}.wav"))
    return out


def _cut(source: Path, end_s: float, wav: Path) -> Path:
    """The first ``end_s`` seconds of ``source``, written to ``wav``."""
    y, sr = sf.read(source, dtype="float32")
    sf.write(wav, y[: int(end_s * sr)], sr)
    return wav


def evaluate_lyrics(dev: Path, only: set[str], aligners: list[str],
                    groups: tuple[str, ...] | None = None) -> tuple[list[dict], dict[str, list]]:
    """Score the a-cappella songs and the medley; also return (confidence, error) per word: of the dry takes
    (``"dry"``) and of the full mixes over the recorded instrumentals (``"mixes"``). ``groups``: only the cases
    of these groups (``"dry"``: the songs and the medley as sung, ``"wet"``: the wet stems, ``"recorded"``: the
    songs over the recorded instrumentals, ``"long"``: the medleys over them); by default every case."""
    from audio.params import LipsyncParams
    from audio.transcribe import transcribe

    ids = sorted(p.stem for p in (dev / "lyrics").glob("*.words"))
    rows: list[dict] = []
    pairs: dict[str, list] = {"dry": [], "mixes": [], "timed": []}
    with tempfile.TemporaryDirectory(prefix="choreo_lipsync_real_") as tmp:
        # Each case's audio is made when the case runs (only those --only selects): (name, make, mix).
        work = Path(tmp)
        songs = {sid: functools.partial(_song, dev, sid) for sid in ids}
        medley = functools.cache(functools.partial(_medley, dev, ids, work))

        def over(make, band: Path | None = None, stereo: bool = False):
            return lambda: _over_band(make(), work, band, stereo=stereo)

        cases = [(sid, make, False) for sid, make in songs.items()]
        cases.append(("medley (both songs twice)", medley, False))
        dry = {name for name, _, _ in cases}  # the takes as sung: these calibrate the confidences
        wet = [(f"{sid[-3:]} wet stem (RT60 {rt:g} s, {db:g} dB)",
                (lambda make=make, rt=rt, db=db: _wet(make(), work, rt, db)), False)
               for sid, make in songs.items() for rt, db in REVERBS]
        cases += wet + [(f"{sid} over a band, --mix", over(make), True) for sid, make in songs.items()]
        recorded = [(f"{sid[-3:]} over {band.stem}, --mix", over(make, band), True)
                    for sid, make in songs.items() for band in _instrumentals(dev)]
        long = [(f"medley over {band.stem}, --mix", over(medley, band), True) for band in _instrumentals(dev)]
        # Full mixes are mostly stereo, with the lead vocal in the centre: the recorded bands that are stereo
        # keep their channels, and the mix's centre is what the voice is looked for in.
        wide = [band for band in _instrumentals(dev) if sf.info(str(band)).channels > 1]
        stereo = [(f"{sid[-3:]} over {band.stem}, stereo --mix", over(make, band, stereo=True), True)
                  for sid, make in songs.items() for band in wide]
        stereo_long = [(f"medley over {band.stem}, stereo --mix", over(medley, band, stereo=True), True)
                       for band in wide]
        # A song's instrumental intro and breaks, where no word may be put: 15 s before, 10 s between and after.
        breaks = functools.cache(functools.partial(_medley, dev, ids, work, intro_s=INTRO_S, gap_s=BREAK_S))
        broken = [(f"breaks medley over {band.stem}, --mix", over(breaks, band), True) for band in _instrumentals(dev)]
        produced = [(f"{name} over {band}, --mix", (lambda make=make, cut=cut: _over_band(make(), work, cut())), True)
                    for band, cut in _pop_intros(dev, work).items()
                    for name, make in [*((sid[-3:], m) for sid, m in songs.items()),
                                       ("medley", medley), ("breaks medley", breaks)]]
        timed = [(f"LRC: {name}", (lambda make=make: _timed_lyrics(make(), work)), True)
                 for name, make, _ in recorded + long + broken]
        alone = [(sid, make, False) for sid, make in songs.items()]
        karaoke = [(f"karaoke: {name}", (lambda make=make: _timed_lyrics(make(), work, karaoke=True)), mix)
                   for name, make, mix in alone + recorded + long + broken]
        # The same LRC files off as a whole, late and early (the stems' too): put back, or left as they were?
        shifted = [(f"LRC {abs(d):g} s {'late' if d > 0 else 'early'}: {name}",
                    (lambda make=make, d=d: _timed_lyrics(make(), work, shift_s=d)), mix)
                   for name, make, mix in alone + wet + recorded + long + broken for d in LRC_SHIFTS_S]
        cases += recorded + long + stereo + stereo_long + broken + produced + timed + karaoke + shifted
        over_recordings = {case[0] for case in recorded + long + stereo + stereo_long + broken + produced}
        lrc = {case[0] for case in timed}
        group_of = {name: group for group, members in (("dry", [c for c in cases if c[0] in dry]), ("wet", wet),
                                                       ("recorded", recorded), ("long", long))
                    for name, _, _ in members}
        for name, make, mix in cases:
            if (only and not any(o in name for o in only)) or (groups is not None and group_of.get(name) not in groups):
                continue
            wav, txt, ref = make()
            duration = sf.info(str(wav)).duration
            for aligner in aligners[:1] if mix else aligners:  # the mix tier has one aligner
                t0 = time.perf_counter()
                tr = transcribe(wav, lyrics=txt, mix=mix, params=LipsyncParams(aligner=aligner))
                secs = time.perf_counter() - t0
                est = np.array([w.start for w in tr.words])
                row = {"clip": name, "group": group_of.get(name, ""), "system": "mix" if mix else aligner,
                       "method": tr.method,
                       "words": f"{est.size}/{ref.shape[0]}", "seconds": secs, "rtf": duration / secs}
                if est.size == ref.shape[0]:
                    err = np.abs(est - ref[:, 0])
                    row.update(mean_err_s=float(err.mean()), within_03=float(np.mean(err <= 0.3)),
                               within_01=float(np.mean(err <= 0.1)))
                    kind = ("dry" if aligner == "auto" and name in dry else "mixes" if name in over_recordings
                            else "timed" if name in lrc else "")
                    if kind:
                        pairs[kind] += [(w.confidence, float(e)) for w, e in zip(tr.words, err, strict=True)]
                rows.append({**row, **_mouth(tr.phones, ref, duration)})
    for group, label in ((recorded, "mean, songs over recordings"), (long, "mean, medleys over recordings"),
                         (stereo, "mean, songs, stereo"), (stereo_long, "mean, medleys, stereo"),
                         (broken, "mean, medleys with breaks"), (produced, "mean, over produced pop intros"),
                         (timed, "mean, the same mono mixes with LRC"),
                         ([c for c in karaoke if c[2]], "mean, the same with karaoke"),
                         ([c for c in shifted if not c[2]], "mean, stems, LRC off as a whole"),
                         ([c for c in shifted if c[2]], "mean, mono mixes, LRC off as a whole")):
        names = {case[0] for case in group}
        scored = [r for r in rows if r["clip"] in names and "mean_err_s" in r]
        if len(scored) > 1:
            rows.append({**_mean_row(scored, label), "system": "mix" if group[0][2] else "auto", "method": "",
                         "words": ""})
    return rows, pairs


def _mean_row(rows: list[dict], label: str) -> dict:
    """A row holding the mean (nan ignored) of each float column of ``rows``."""
    keys = [k for k, v in rows[0].items() if isinstance(v, float)]
    return {"clip": label, **{k: float(np.nanmean([r[k] for r in rows])) for k in keys}}


def evaluate_mixes(dev: Path, only: set[str]) -> list[dict]:
    """Full mixes with sung-note onsets: mouth openings near note onsets, frame agreement with notes."""
    from audio.transcribe import transcribe

    rows = []
    for notes_path in sorted((dev / "vocal_mix").glob("*.notes")):
        if only and not any(o in notes_path.stem for o in only):
            continue
        wav = dev / "beats" / f"{notes_path.stem}.flac"
        duration = sf.info(str(wav)).duration
        notes = _read_table(notes_path)
        # Three of the six files hold the MIDI pitch where the header says duration_s (and a 0/1 flag after it):
        # a "duration" longer than the clip is no duration, so those notes' offsets are unknown and frame
        # agreement is not scored there (nan); their onsets are right and are scored.
        offsets_known = bool(np.all(notes[:, 1] < duration))
        spans = np.stack([notes[:, 0], notes[:, 0] + notes[:, 1]], axis=1)
        t0 = time.perf_counter()
        tr = transcribe(wav, mix=True)
        secs = time.perf_counter() - t0
        opens = _openings(tr.phones)
        rng = np.random.default_rng(0)
        chance = np.mean([_hit_rate(np.sort(rng.uniform(0.0, duration, opens.size)), notes[:, 0])
                          for _ in range(CHANCE_DRAWS)]) if opens.size else 0.0
        rows.append({"clip": notes_path.stem, "system": "mix", "method": tr.method, "notes": int(notes.shape[0]),
                     "openings": int(opens.size), "onsets_hit_015": _hit_rate(opens, notes[:, 0]),
                     "chance_hit": float(chance), "precision": _hit_rate(notes[:, 0], opens),
                     **(_mouth(tr.phones, spans, duration) if offsets_known
                        else {"mouth_agree": float("nan"), "always_open": float("nan")}),
                     "seconds": secs, "rtf": duration / secs})
    if len(rows) > 1:
        rows.append(_mean_row(rows, "mean"))
    return rows


def _nothing(*_args, **_kwargs) -> None:
    """What a part that is switched off returns: no result, so the pipeline takes its path without it."""
    return None


def _loudness_voicing(vocal_features):
    """:func:`audio.vocals.vocal_features` with no pitch tracker: voiced wherever the voice is loud enough (its own
    loudness gate), with no pitch and so no note changes among the onsets."""

    @functools.wraps(vocal_features)
    def features(y, sr, *, pitch=None):
        from audio.vocals import FRAME_RATE_HZ

        n = int(y.shape[0] / sr * FRAME_RATE_HZ) + 2  # at least the frames the features have; the rest is cut
        return vocal_features(y, sr, pitch=(np.full(n, np.nan), np.ones(n)))

    return features


# What each part of the pipeline contributes (--ablate): the same cases with one part switched off, as
# (label, {what is replaced: a function of the original giving its stand-in}, the case groups it can change, and
# whether the pop mixes too). Without
# phrase anchors the lyrics are aligned over the whole recording at once (the path taken when lines cannot be
# matched to phrases); without the pitch tracker neither CREPE nor pYIN runs and a frame is voiced wherever the
# voice is loud enough; without the singing detector a full mix's voice is looked for by its vocal-band loudness,
# and a stem's silences are held only where the voice is pitched (the paths taken where the detector does not load);
# without the separation model a full mix's voice is brought forward by repetition-based separation (the path taken
# where the model is not installed).
ABLATIONS = (
    ("all parts", {}, ("dry", "wet", "recorded", "long"), True),
    ("no anchors", {"audio.transcribe._phrase_groups": lambda _: _nothing,
                    "audio.transcribe._line_starts": lambda _: _nothing}, ("dry", "wet", "recorded", "long"), False),
    ("no pitch", {"audio.melody.crepe_available": lambda _: lambda: False,
                  "audio.vocals.vocal_features": _loudness_voicing}, ("dry", "wet", "recorded", "long"), True),
    ("no detector", {"audio.singing.voice_activity": lambda _: _nothing}, ("dry", "wet", "recorded", "long"), True),
    ("no separation model", {"audio.separation.available": lambda _: lambda: False}, ("recorded", "long"), True),
)
ABLATION_GROUPS = {"dry": "a cappella (songs, medley)", "wet": "wet stems",
                   "recorded": "songs over recordings", "long": "medleys over recordings",
                   "pop": "pop mixes, no lyrics"}


def ablation(dev: Path, only: set[str]) -> list[dict]:
    """Per group of cases, the means with every part of the pipeline and with each part switched off in turn.

    Parameters
    ----------
    dev : Path
        The annotated dev folder.
    only : set of str
        Case names (or parts of them) to keep; empty for all.

    Returns
    -------
    list of dict
        A row per variant and group: ``material``, ``parts``, ``clips`` and the means of ``mean_err_s``,
        ``within_03``, ``mouth_agree`` and (pop mixes) ``onsets_hit_015``.
    """
    import contextlib
    import pkgutil
    from unittest import mock

    out = []
    for label, patches, groups, pop in ABLATIONS:
        with contextlib.ExitStack() as stack:
            for target, stand_in in patches.items():
                stack.enter_context(mock.patch(target, stand_in(pkgutil.resolve_name(target))))
            rows = evaluate_lyrics(dev, only, ["auto"], groups)[0]
            rows = [r for r in rows if r.get("group")] + [
                {**r, "group": "pop"} for r in (evaluate_mixes(dev, only) if pop else []) if r["clip"] != "mean"]
        for group, material in ABLATION_GROUPS.items():
            members = [r for r in rows if r["group"] == group]
            if members:
                mean = _mean_row(members, material)
                out.append({"material": material, "parts": label, "clips": len(members),
                            **{k: mean.get(k, float("nan"))
                               for k in ("mean_err_s", "within_03", "mouth_agree", "onsets_hit_015")}})
    return sorted(out, key=lambda r: list(ABLATION_GROUPS.values()).index(r["material"]))


def _line_onsets(notes: np.ndarray, n_lines: int) -> np.ndarray | None:
    """Where each lyric line starts in a solo take annotated with notes: the first note after each of the
    ``n_lines - 1`` longest pauses between notes (a singer breathes between lines); None with too few notes."""
    if notes.shape[0] < n_lines or n_lines < 1:
        return None
    gaps = notes[1:, 0] - notes[:-1, 1]
    cuts = np.sort(np.argsort(gaps)[::-1][: n_lines - 1]) + 1
    return notes[np.r_[0, cuts].astype(int), 0]


def evaluate_solo(dev: Path, only: set[str], aligners: list[str]) -> list[dict]:
    """A solo sung stem with note annotations and lyric text but no word timings (``extra/``).

    Line-start error (the first word of each lyric line against :func:`_line_onsets`), mouth agreement with
    the annotated notes (the gaps between notes are consonants and breaths, so a mouth that stays open
    through a consonant counts against itself), and note onsets matched by a mouth opening within 0.15 s;
    per aligner, and with no lyrics (phone recognition).
    """
    from audio.lyrics import pronounce_words, read_lyrics
    from audio.params import LipsyncParams
    from audio.transcribe import transcribe

    rows = []
    for notes_path in sorted((dev / "extra").glob("*.notes")):
        wav, txt = notes_path.with_suffix(".wav"), notes_path.with_suffix(".txt")
        if (only and not any(o in notes_path.stem for o in only)) or not (wav.is_file() and txt.is_file()):
            continue
        notes = _read_table(notes_path)
        duration = sf.info(str(wav)).duration
        line_of = [w.line for w in pronounce_words(read_lyrics(txt))[0]]
        starts = _line_onsets(notes, len(set(line_of)))
        for aligner in [*aligners, None]:
            t0 = time.perf_counter()
            tr = (transcribe(wav) if aligner is None
                  else transcribe(wav, lyrics=txt, params=LipsyncParams(aligner=aligner)))
            secs = time.perf_counter() - t0
            row = {"clip": notes_path.stem, "system": aligner or "no lyrics", "method": tr.method,
                   **_mouth(tr.phones, notes, duration), "onsets_hit_015": _hit_rate(_openings(tr.phones), notes[:, 0]),
                   "seconds": secs, "rtf": duration / secs}
            if aligner is not None and starts is not None and len(tr.words) == len(line_of):
                first = np.array([w.start for i, w in enumerate(tr.words) if i == 0 or line_of[i] != line_of[i - 1]])
                err = np.abs(first - starts)
                row.update(lines=int(err.size), line_err_s=float(err.mean()), line_err_max_s=float(err.max()))
            rows.append(row)
    return rows


def calibration(pairs: list[tuple[float, float]], bins: tuple[float, ...] = CONF_BINS) -> list[dict]:
    """Share of words within 0.3 s per confidence bin (``bins``: their edges)."""
    out = []
    conf = np.array([c for c, _ in pairs])
    err = np.array([e for _, e in pairs])
    for lo, hi in zip(bins[:-1], bins[1:], strict=True):
        sel = (conf >= lo) & (conf < hi)
        out.append({"bin": f"{lo:.2f}-{min(hi, 1.0):.2f}", "words": int(sel.sum()),
                    "within_03": float(np.mean(err[sel] <= 0.3)) if sel.any() else float("nan")})
    return out


def _table(rows: list[dict], cols: list[str]) -> str:
    head = "  ".join(f"{c:>14s}" if i else f"{c:30s}" for i, c in enumerate(cols))
    lines = [head, "-" * len(head)]
    for r in rows:
        cells = []
        for i, c in enumerate(cols):
            v = r.get(c, "")
            s = f"{v:.3f}" if isinstance(v, float) else str(v)
            cells.append(f"{s[:30]:30s}" if i == 0 else f"{s[:14]:>14s}")
        lines.append("  ".join(cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the report; return the exit code."""
    ap = dev_parser(__doc__.split("\n\n")[0], "recording name, or part of it (repeatable)")
    ap.add_argument("--aligners", default="auto,sung,speech", help="comma-separated --aligner values to run")
    ap.add_argument("--no-mixes", action="store_true", help="skip the full mixes")
    ap.add_argument("--ablate", action="store_true",
                    help="instead: what each part contributes (the cases again with one part switched off)")
    args = ap.parse_args(argv)
    if dev_missing("lipsync_real", args.dev / "lyrics"):
        return 0
    only = set(args.only)
    if args.ablate:
        rows = ablation(args.dev, only)
        print("== what each part contributes: means with all parts, and with each switched off in turn (no anchors:\n"
              "   the whole recording aligned at once; no pitch: neither CREPE nor pYIN, voiced wherever loud; no\n"
              "   detector: a full mix's voice found by its vocal-band loudness, a stem's silences held where\n"
              "   pitched; no separation model: a full mix's voice brought forward by repetition-based separation)")
        print(_table(rows, ["material", "parts", "clips", "mean_err_s", "within_03", "mouth_agree", "onsets_hit_015"]))
        if args.json:
            args.json.write_text(json.dumps({"ablation": rows}, indent=1))
        return 0
    lyr, pairs = evaluate_lyrics(args.dev, only, [a for a in args.aligners.split(",") if a])
    mixes = [] if args.no_mixes else evaluate_mixes(args.dev, only)
    solo = evaluate_solo(args.dev, only, [a for a in args.aligners.split(",") if a])
    from audio.transcribe import CHECK_CONFIDENCE

    cal = calibration(pairs["dry"]) if pairs["dry"] else []
    half = CHECK_CONFIDENCE + 1e-9  # a word at exactly half the cap is one of the lines to check first
    mix_cal = calibration(pairs["mixes"], (0.0, half, 1.01)) if pairs["mixes"] else []
    lrc_cal = calibration(pairs["timed"], (0.0, half, 1.01)) if pairs["timed"] else []
    if lyr:
        print(f"== sung syllables, a cappella ({args.dev / 'lyrics'})")
        print(_table(lyr, ["clip", "system", "method", "words", "mean_err_s", "within_03", "within_01", "mouth_agree",
                           "always_open", "seconds", "rtf"]))
        print()
    if mixes:
        print(f"== full mixes, sung-note onsets ({args.dev / 'vocal_mix'})")
        print(_table(mixes, ["clip", "notes", "openings", "onsets_hit_015", "chance_hit", "precision", "mouth_agree",
                             "always_open", "seconds", "rtf"]))
        print()
    if solo:
        print(f"== a solo voice with notes and lyric text, no word timings ({args.dev / 'extra'})")
        print(_table(solo, ["clip", "system", "method", "lines", "line_err_s", "line_err_max_s", "mouth_agree",
                            "always_open", "onsets_hit_015", "seconds", "rtf"]))
        print()
    if cal:
        print("== calibration (aligner auto): words per confidence bin and the share within 0.3 s")
        print(_table(cal, ["bin", "words", "within_03"]))
    if mix_cal:
        print(f"\n== full mixes over recorded and produced bands: words at half the cap ({CHECK_CONFIDENCE:g}) or "
              "less (the lines to check first) and the rest, and the share within 0.3 s")
        print(_table(mix_cal, ["bin", "words", "within_03"]))
    if lrc_cal:
        print(f"\n== the same mono mixes with LRC: words at {CHECK_CONFIDENCE:g} or less (the lines the speech "
              "model did not confirm between their stamps) and the rest, and the share within 0.3 s")
        print(_table(lrc_cal, ["bin", "words", "within_03"]))
    if args.json:
        args.json.write_text(json.dumps({"lyrics": lyr, "mixes": mixes, "solo": solo, "calibration": cal,
                                         "mix_calibration": mix_cal, "lrc_calibration": lrc_cal}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
