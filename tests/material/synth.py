"""Deterministic synthesizer of short songs with known ground truth.

The songs are ground-truth material for the beat, downbeat, meter, tempo and section trackers (scored
with mir_eval in the tests) and the source of the bundled example song. Everything is rendered with numpy
from a seed, so the same :class:`SongSpec` always gives the same samples.

Conventions
-----------
- The *beat* is the danceable pulse: a quarter note in 2/4, 3/4 and 4/4, a dotted quarter in 6/8 (and in
  9/8, 12/8). ``bpm`` counts beats.
- Musical positions are float *beat indices*: position 0 is the first beat of the song (the first pickup
  beat when there is one) and beat ``k`` sounds at ``beats_s[k]``. Fractional positions are interpolated
  linearly between neighbouring beats; positions past the last beat continue at the last beat's tempo.
- Tempo ramps are linear per beat: beat interval ``k`` (from beat ``k`` to beat ``k + 1``) lasts
  ``60 / bpm_k`` seconds, with ``bpm_k`` going linearly from ``bpm`` (first interval) to ``bpm_end``
  (the last interval, which ends where the last section ends). ``SynthSong.tempo_bpm`` holds ``bpm_k``.
- Swing delays the off-beat eighth by ``swing`` beats (simple meter only); beats stay on the grid.
- Pickup beats (an anacrusis) belong to bar 0 and are numbered up to ``beats_per_bar``, so a one-beat
  pickup in 4/4 is beat 4 and the next beat is beat 1 of bar 1, as in :mod:`audio.model`.
- Sections start on downbeats. ``boundaries_s`` holds every section start and, last, the end of the last
  section (where the next bar would begin). The audio goes on for a short release tail after that.
- Sections of the same kind share their material (chords, melody, bass line, drum pattern); different
  kinds differ in chord progression, drum pattern, density, loudness and brightness. The chorus is the
  loudest and brightest, intro and outro are sparse and quiet.
"""

from __future__ import annotations

import math
import re
import string
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import mido
import numpy as np
from scipy import signal

__all__ = ["SongSpec", "SynthNote", "SynthSong", "synthesize", "write_midi"]

_BASE_KINDS = ("intro", "verse", "chorus", "bridge", "outro", "other")
_KIND_RE = re.compile(r"(intro|verse|chorus|bridge|outro|other)(\d*)")
_MAJOR = (0, 2, 4, 5, 7, 9, 11)
_TABLE_LEN = 4096
_TAIL_S = 1.0
_DRUM_PITCH = {"kick": 36, "snare": 38, "hat": 42, "open_hat": 46, "crash": 49, "ride": 51}
_TRACKS = (("bass", 0, 33), ("chords", 1, 89), ("melody", 2, 73), ("drums", 9, 0))
_KEY_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


@dataclass(frozen=True)
class SongSpec:
    """What to synthesize: form, tempo, meter, feel and seed.

    Parameters
    ----------
    form : tuple of (str, int)
        Sections in order as ``(kind, n_bars)``. Kinds are intro, verse, chorus, bridge, outro and
        other; a digit suffix ("other1", "other2", "verse2") makes new material of that kind, for
        through-composed songs. Sections written with the same kind reuse the same material.
    bpm : float
        Tempo of the beat (the dotted quarter in compound meter), 30 to 300.
    bpm_end : float or None
        If given, the tempo ramps linearly per beat from ``bpm`` to ``bpm_end`` over the song.
    beats_per_bar : int
        2, 3 or 4.
    subdivision : int
        2 (simple meter) or 3 (compound meter: ``beats_per_bar=2, subdivision=3`` is 6/8).
    swing : float
        0 to 0.3: delay of the off-beat eighth, in beats (0.167 is about triplet swing). Ignored in
        compound meter.
    syncopation : bool
        Bass and chord stabs anticipate beats by one subdivision (the "and" before), including the
        chord change of each bar; the kick still marks beat 1 and the third beat is left empty.
    pickup_beats : int
        Beats before the first downbeat (melody and light percussion), 0 to ``beats_per_bar - 1``.
    drums : bool
        False: no percussion at all.
    sr : int
        Sample rate in Hz.
    seed : int
        Seed of every random choice (key, melodies, noise).
    lead_in_s : float
        Near-silence before the first beat, in seconds.
    """

    form: tuple[tuple[str, int], ...] = (
        ("intro", 4),
        ("verse", 8),
        ("chorus", 8),
        ("verse", 8),
        ("chorus", 8),
        ("outro", 4),
    )
    bpm: float = 120.0
    bpm_end: float | None = None
    beats_per_bar: int = 4
    subdivision: int = 2
    swing: float = 0.0
    syncopation: bool = False
    pickup_beats: int = 0
    drums: bool = True
    sr: int = 22050
    seed: int = 0
    lead_in_s: float = 0.0


@dataclass(frozen=True)
class SynthNote:
    """One synthesized note or drum hit, in musical time.

    Parameters
    ----------
    track : str
        "bass", "chords", "melody" or "drums".
    start_beat : float
        Onset as a beat index (see the module conventions), swing included.
    end_beat : float
        Note-off as a beat index (drum hits get a nominal quarter of a beat).
    pitch : int
        MIDI note number (General MIDI drum key on the drums track).
    velocity : float
        0 to 1.
    """

    track: str
    start_beat: float
    end_beat: float
    pitch: int
    velocity: float


@dataclass(frozen=True, eq=False)
class SynthSong:
    """A synthesized song and its ground truth.

    Parameters
    ----------
    y : np.ndarray [shape=(n,), float32]
        Mono audio, peak about 0.9.
    sr : int
        Sample rate in Hz.
    beats_s : np.ndarray [shape=(n_beats,), seconds, increasing]
        Every beat, pickup beats included.
    beat_in_bar : np.ndarray [shape=(n_beats,), int]
        1-based position of each beat in its bar; pickup beats count backwards from ``beats_per_bar``.
    downbeats_s : np.ndarray [shape=(n_bars,), seconds]
        Times of the beats with ``beat_in_bar == 1``.
    boundaries_s : np.ndarray [shape=(n_sections + 1,), seconds]
        Section starts (the first is the first downbeat) and the end of the last section.
    section_kinds : tuple of str
        One per section: intro, verse, chorus, bridge, outro or other (digit suffixes dropped).
    section_labels : tuple of str
        Repeat letters A, B, C... in order of first appearance of each kind as written in the form.
    onsets_s : np.ndarray [shape=(n_onsets,), seconds, increasing]
        Every note and drum onset, merged within 1 ms.
    spec : SongSpec
        The spec the song was made from.
    tempo_bpm : np.ndarray [shape=(n_beats,), bpm]
        Tempo of each beat interval (beat ``k`` to ``k + 1``); the last one ends at ``boundaries_s[-1]``.
    bar_of_beat : np.ndarray [shape=(n_beats,), int]
        1-based bar number of each beat; pickup beats are in bar 0.
    tonic_pc : int
        Pitch class of the tonic (0 = C); the song is in that major key.
    notes : tuple of SynthNote
        Every note and drum hit that was rendered, in musical time (used by :func:`write_midi`).
    """

    y: np.ndarray
    sr: int
    beats_s: np.ndarray
    beat_in_bar: np.ndarray
    downbeats_s: np.ndarray
    boundaries_s: np.ndarray
    section_kinds: tuple[str, ...]
    section_labels: tuple[str, ...]
    onsets_s: np.ndarray
    spec: SongSpec
    tempo_bpm: np.ndarray
    bar_of_beat: np.ndarray
    tonic_pc: int
    notes: tuple[SynthNote, ...] = field(default=(), repr=False)

    @property
    def time_signature(self) -> str:
        """Time signature as text: "2/4", "3/4", "4/4", or "6/8" (9/8, 12/8) in compound meter."""
        if self.spec.subdivision == 3:
            return f"{3 * self.spec.beats_per_bar}/8"
        return f"{self.spec.beats_per_bar}/4"

    @property
    def duration_s(self) -> float:
        """Length of the audio in seconds."""
        return len(self.y) / self.sr

    @property
    def midi_origin_s(self) -> float:
        """Audio time of the song's first bar line, in seconds (may be negative).

        This is the first downbeat, or with a pickup, the first downbeat minus one bar at the first beat's
        tempo (the start of the partial pickup bar). :func:`write_midi` needs ``offset_s <=
        midi_origin_s``; ``offset_s = midi_origin_s`` puts this bar line at MIDI time 0.
        """
        spec = self.spec
        origin_beat = spec.pickup_beats - spec.beats_per_bar if spec.pickup_beats else 0
        return float(self.beats_s[0] + origin_beat * 60.0 / self.tempo_bpm[0])


# ----------------------------------------------------------------------------------------------------
# Material: styles per section kind


@dataclass(frozen=True)
class _Style:
    progression: tuple[int, ...]  # scale degrees (0 = I), one chord per bar, cycled
    gain: float
    cutoff_hz: float  # chord brightness
    drums: str  # sparse | groove | full | ride | offbeat
    bass: str  # whole | beats | eighths | half | pump
    chords: str  # pad | pulse
    melody_density: float
    melody_shift: int  # semitones added to the melody's centre


_STYLES = {
    "intro": _Style((0, 3, 0, 4), 0.42, 700.0, "sparse", "whole", "pad", 0.12, 0),
    "verse": _Style((5, 3, 0, 4), 0.68, 1400.0, "groove", "beats", "pad", 0.45, 0),
    "chorus": _Style((0, 4, 5, 3), 1.0, 4500.0, "full", "eighths", "pulse", 0.55, 5),
    "bridge": _Style((3, 4, 2, 5), 0.72, 1100.0, "ride", "half", "pad", 0.3, 2),
    "outro": _Style((3, 4, 0, 0), 0.42, 650.0, "sparse", "whole", "pad", 0.12, 0),
    "other": _Style((1, 4, 0, 5), 0.8, 2500.0, "offbeat", "pump", "pulse", 0.5, 3),
}


def _style_for(kind: str, rng: np.random.Generator) -> _Style:
    base, suffix = _KIND_RE.fullmatch(kind).groups()
    if not suffix:
        return _STYLES[base]
    # A numbered kind gets new material of its own, drawn from its own generator.
    prog = [int(rng.integers(0, 6))]
    while len(prog) < 4:
        d = int(rng.integers(0, 6))
        if d != prog[-1]:
            prog.append(d)
    return _Style(
        progression=tuple(prog),
        gain=float(rng.uniform(0.55, 0.95)),
        cutoff_hz=float(rng.uniform(900.0, 3500.0)),
        drums=str(rng.choice(["groove", "full", "ride", "offbeat"])),
        bass=str(rng.choice(["beats", "eighths", "half", "pump"])),
        chords=str(rng.choice(["pad", "pulse"])),
        melody_density=float(rng.uniform(0.25, 0.6)),
        melody_shift=int(rng.integers(-2, 6)),
    )


def _drum_bar(style: str, bpb: int, sub: int, syncopation: bool) -> list[tuple[float, str, float]]:
    """Drum hits of one bar as (position in bar in beats, instrument, velocity)."""
    kick_beats = (0, 2) if bpb == 4 else (0,)
    snare_beats = {4: (1, 3), 3: (1, 2), 2: (1,)}[bpb]
    hits: list[tuple[float, str, float]] = []

    def add(b: int, s: int, inst: str, vel: float) -> None:
        hits.append((b + s / sub, inst, vel))

    if style == "sparse":
        add(0, 0, "kick", 1.0)
        for b in range(bpb):
            add(b, 0, "hat", 0.4 if b == 0 else 0.3)
    elif style in ("groove", "full"):
        full = style == "full"
        for b in kick_beats:
            add(b, 0, "kick", 1.0 if b == 0 else 0.8)
        for b in snare_beats:
            add(b, 0, "snare", 0.95 if full else 0.8)
        for b in range(bpb):
            for s in range(sub):
                if full and s == sub - 1 and s > 0 and b == bpb - 1:
                    add(b, s, "open_hat", 0.45)
                else:
                    add(b, s, "hat", (0.55 if s == 0 else 0.38) * (1.0 if full else 0.85))
        if full and bpb == 4:
            add(1, sub - 1, "kick", 0.6)
    elif style == "ride":
        add(0, 0, "kick", 1.0)
        if bpb == 4:
            add(2, 0, "kick", 0.7)
        for b in snare_beats:
            add(b, 0, "snare", 0.5)
        for b in range(bpb):
            add(b, 0, "ride", 0.5 if b == 0 else 0.4)
    elif style == "offbeat":
        for b in range(bpb):
            add(b, 0, "kick", 1.0 if b == 0 else 0.75)
        for b in snare_beats:
            add(b, 0, "snare", 0.75)
        for b in range(bpb):
            for s in range(1, sub):
                add(b, s, "open_hat", 0.4)
    else:  # pragma: no cover - styles are internal
        raise ValueError(style)

    if syncopation:
        target = 2 if bpb >= 3 else 1
        antic = target - 1 / sub
        empty = {2.0} if bpb >= 3 else set()
        hits = [h for h in hits if not (h[1] == "kick" and h[0] != 0.0) and h[0] not in empty]
        hits.append((antic, "kick", 0.75))
    return hits


def _bass_bar(style: str, bpb: int, sub: int) -> list[tuple[float, float, int, float]]:
    """Bass notes of one bar as (position in bar, duration in beats, interval above root, velocity)."""
    if style == "whole":
        return [(0.0, float(bpb), 0, 0.85)]
    if style == "beats":
        return [(float(b), 0.9, 7 if (b == bpb - 1 and bpb >= 3) else 0, 0.95 if b == 0 else 0.8) for b in range(bpb)]
    if style == "eighths":
        return [
            (b + s / sub, 0.85 / sub, 0 if s == 0 else 12, 0.95 if b == s == 0 else (0.75 if s == 0 else 0.6))
            for b in range(bpb)
            for s in range(sub)
        ]
    if style == "half":
        half = {4: 2, 3: 2, 2: 1}[bpb]
        return [(0.0, half * 0.95, 0, 0.9), (float(half), (bpb - half) * 0.95, 7, 0.75)]
    if style == "pump":
        return [(0.0, 0.45, 0, 0.95)] + [
            (b + (sub - 1) / sub, 0.9 / sub, 12 if b % 2 == 0 else 0, 0.65) for b in range(bpb)
        ]
    raise ValueError(style)  # pragma: no cover


def _chord_bar(style: str, bpb: int) -> list[tuple[float, float, float]]:
    """Chord strikes of one bar as (position in bar, duration in beats, velocity)."""
    if style == "pad":
        return [(0.0, float(bpb), 0.8)]
    return [(float(b), 0.85, 0.85 if b == 0 else 0.6) for b in range(bpb)]


def _triad(tonic_pc: int, degree: int) -> tuple[int, int, int]:
    """Pitch classes of the diatonic triad on a scale degree (root first)."""
    return tuple((tonic_pc + _MAJOR[(degree + k) % 7] + 12 * ((degree + k) // 7)) % 12 for k in (0, 2, 4))


def _melody(
    style: _Style, tonic_pc: int, bpb: int, sub: int, rng: np.random.Generator
) -> list[tuple[int, float, float, int, float]]:
    """A melody over one cycle of the progression as (bar, pos in bar, dur in beats, pitch, velocity)."""
    centre = 72 + style.melody_shift
    scale = [m for m in range(centre - 7, centre + 10) if (m - tonic_pc) % 12 in _MAJOR]
    idx = len(scale) // 2
    out: list[tuple[int, float, float, int, float]] = []
    slots = [(b, s) for b in range(bpb) for s in range(sub)]
    onsets: list[tuple[int, float, bool]] = []
    n_bars = len(style.progression)
    for bar in range(n_bars):
        for b, s in slots:
            p = style.melody_density * (1.4 if s == 0 else 0.6)
            if b == 0 and s == 0 and style.melody_density > 0:
                p = max(p, 0.85)
            if rng.random() < p:
                onsets.append((bar, b + s / sub, s == 0))
    for i, (bar, pos, strong) in enumerate(onsets):
        chord = _triad(tonic_pc, style.progression[bar])
        if strong:
            tones = [j for j, m in enumerate(scale) if m % 12 in chord]
            tones.sort(key=lambda j: abs(j - idx))
            idx = tones[int(rng.integers(0, min(2, len(tones))))]
        else:
            idx = int(np.clip(idx + rng.choice([-2, -1, -1, 1, 1, 2]), 0, len(scale) - 1))
        start = bar * bpb + pos
        nxt = onsets[i + 1][0] * bpb + onsets[i + 1][1] if i + 1 < len(onsets) else n_bars * bpb
        dur = min(nxt - start, 2.0) * 0.9
        out.append((bar, pos, dur, scale[idx], 0.8 if strong else 0.65))
    return out


# ----------------------------------------------------------------------------------------------------
# Sound sources


def _wavetable(f_hz: float, cutoff_hz: float, shape: str, sr: int) -> np.ndarray:
    """One band-limited cycle: a low-passed saw, or the "lead" and "bass" spectra."""
    n_harm = max(1, int(0.45 * sr / f_hz))
    k = np.arange(1, min(n_harm, _TABLE_LEN // 2 - 1) + 1)
    if shape == "lead":
        w = np.array([1.0, 0.3, 0.25, 0.1, 0.08])[: len(k)]
        k = k[: len(w)]
    else:
        w = (1.0 / k) / np.sqrt(1.0 + (k * f_hz / cutoff_hz) ** 4)
    spec = np.zeros(_TABLE_LEN // 2 + 1, dtype=complex)
    spec[k] = -0.5j * w * _TABLE_LEN
    table = np.fft.irfft(spec, n=_TABLE_LEN)
    return table / np.max(np.abs(table))


class _Tables:
    def __init__(self, sr: int):
        self.sr = sr
        self._cache: dict[tuple[int, float, str], np.ndarray] = {}

    def get(self, pitch: int, cutoff_hz: float, shape: str) -> np.ndarray:
        key = (pitch, round(cutoff_hz, 1), shape)
        if key not in self._cache:
            self._cache[key] = _wavetable(_hz(pitch), cutoff_hz, shape, self.sr)
        return self._cache[key]


def _hz(pitch: float) -> float:
    return 440.0 * 2.0 ** ((pitch - 69) / 12.0)


def _add_tone(
    buf: np.ndarray,
    t0_s: float,
    dur_s: float,
    f_hz: float,
    table: np.ndarray,
    amp: float,
    env: tuple[float, float, float, float],
    sr: int,
    phase0: float = 0.0,
    vibrato: bool = False,
) -> None:
    """Add one enveloped wavetable tone to ``buf`` (envelope: attack s, decay s, sustain level, release s)."""
    attack_s, decay_s, sustain, release_s = env
    i0 = int(round(t0_s * sr))
    n_on = max(1, int(round(dur_s * sr)))
    n = min(n_on + int(release_s * sr), len(buf) - i0)
    if n <= 0 or i0 < 0:
        return
    t = np.arange(n) / sr
    phase = f_hz * t + phase0
    if vibrato:
        rate_hz, depth = 5.5, 0.004
        phase += f_hz * depth * (1.0 - np.cos(2 * np.pi * rate_hz * t)) / (2 * np.pi * rate_hz)
    idx = (phase * _TABLE_LEN).astype(np.int64) & (_TABLE_LEN - 1)
    e = np.minimum(t / attack_s, 1.0) * (sustain + (1.0 - sustain) * np.exp(-t / decay_s))
    e *= np.clip((n_on + release_s * sr - np.arange(n)) / (release_s * sr), 0.0, 1.0)
    buf[i0 : i0 + n] += amp * table[idx] * e


def _drum_kit(sr: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Sample templates of the drum sounds (peak 1 each)."""

    def noise(dur_s: float) -> tuple[np.ndarray, np.ndarray]:
        n = int(dur_s * sr)
        return np.arange(n) / sr, rng.standard_normal(n)

    def band(x: np.ndarray, lo_hz: float | None, hi_hz: float | None) -> np.ndarray:
        nyq = 0.5 * sr
        if lo_hz and hi_hz:
            sos = signal.butter(2, [lo_hz / nyq, min(hi_hz, 0.95 * nyq) / nyq], "bandpass", output="sos")
        elif lo_hz:
            sos = signal.butter(2, min(lo_hz, 0.8 * nyq) / nyq, "highpass", output="sos")
        else:
            sos = signal.butter(2, hi_hz / nyq, "lowpass", output="sos")
        return signal.sosfilt(sos, x)

    kit: dict[str, np.ndarray] = {}
    t, nz = noise(0.4)
    f = 48.0 + 110.0 * np.exp(-t / 0.035)
    kick = np.sin(2 * np.pi * np.cumsum(f) / sr) * np.exp(-t / 0.16)
    kick += 0.4 * band(nz, 1000.0, 6000.0) * np.exp(-t / 0.004)
    kit["kick"] = np.tanh(1.5 * kick)
    t, nz = noise(0.3)
    kit["snare"] = band(nz, 1200.0, 8000.0) * np.exp(-t / 0.08) + 0.8 * np.sin(2 * np.pi * 185.0 * t) * np.exp(
        -t / 0.05
    )
    t, nz = noise(0.1)
    kit["hat"] = band(nz, 7000.0, None) * np.exp(-t / 0.022)
    t, nz = noise(0.4)
    kit["open_hat"] = band(nz, 6500.0, None) * np.exp(-t / 0.12)
    t, nz = noise(1.0)
    metal = sum(np.sin(2 * np.pi * fr * t) for fr in (3150.0, 4230.0, 5370.0, 6010.0))
    kit["ride"] = (0.6 * band(nz, 5000.0, None) + 0.25 * metal) * np.exp(-t / 0.3)
    t, nz = noise(2.2)
    kit["crash"] = band(nz, 3500.0, None) * np.minimum(t / 0.002, 1.0) * np.exp(-t / 0.7)
    t, nz = noise(0.6)
    kit["swell"] = band(nz, 2500.0, None) * (t / t[-1]) ** 3
    for name, x in kit.items():
        if name != "swell":  # a 20 ms fade-out so that no template ends in a click
            x = x * np.minimum(1.0, np.arange(len(x), 0, -1) / (0.02 * sr))
        kit[name] = x / np.max(np.abs(x))
    return kit


def _pos_to_s(pos: np.ndarray | float, grid_s: np.ndarray) -> np.ndarray:
    """Beat positions to seconds on a grid of ``n + 1`` beat times (linear within and beyond the grid)."""
    pos = np.asarray(pos, dtype=float)
    n = len(grid_s) - 1
    i = np.clip(np.floor(pos).astype(np.int64), 0, n - 1)
    return grid_s[i] + (pos - i) * (grid_s[i + 1] - grid_s[i])


def _warp_swing(pos: np.ndarray, swing: float, sub: int) -> np.ndarray:
    """Move off-beat eighths ``swing`` beats later, stretching the first half of each beat."""
    pos = np.asarray(pos, dtype=float)
    if swing == 0.0 or sub != 2:
        return pos
    b = np.floor(pos)
    f = pos - b
    mid = 0.5 + swing
    g = np.where(f <= 0.5, f * mid / 0.5, mid + (f - 0.5) * (1.0 - mid) / 0.5)
    return b + g


# ----------------------------------------------------------------------------------------------------
# The song


def _validate(spec: SongSpec) -> None:
    if not spec.form:
        raise ValueError("SongSpec.form is empty: give at least one (kind, n_bars) section")
    for kind, n_bars in spec.form:
        if not isinstance(kind, str) or not _KIND_RE.fullmatch(kind):
            raise ValueError(f"unknown section kind {kind!r}: use one of {_BASE_KINDS}, optionally + digits")
        if int(n_bars) < 1:
            raise ValueError(f"section {kind!r} has {n_bars} bars; it needs at least 1")
    if spec.beats_per_bar not in (2, 3, 4):
        raise ValueError(f"beats_per_bar must be 2, 3 or 4, not {spec.beats_per_bar}")
    if spec.subdivision not in (2, 3):
        raise ValueError(f"subdivision must be 2 (simple) or 3 (compound), not {spec.subdivision}")
    for name in ("bpm", "bpm_end"):
        v = getattr(spec, name)
        if v is not None and not 30.0 <= v <= 300.0:
            raise ValueError(f"{name}={v} is outside 30..300 beats per minute")
    if not 0.0 <= spec.swing <= 0.3:
        raise ValueError(f"swing={spec.swing} is outside 0..0.3 (a fraction of the beat)")
    if not 0 <= spec.pickup_beats < spec.beats_per_bar:
        raise ValueError(f"pickup_beats={spec.pickup_beats} must be in 0..beats_per_bar - 1")
    if spec.lead_in_s < 0 or spec.sr < 8000:
        raise ValueError("lead_in_s must be >= 0 and sr >= 8000 Hz")
    if len({k for k, _ in spec.form}) > 26:
        raise ValueError("at most 26 different section kinds (labels are letters A-Z)")


def synthesize(spec: SongSpec) -> SynthSong:
    """Render a song from a spec, with its ground truth.

    Parameters
    ----------
    spec : SongSpec
        Form, tempo, meter, feel and seed.

    Returns
    -------
    SynthSong
        Audio (float32, peak 0.9) with beats, downbeats, sections, onsets and the rendered notes.

    Raises
    ------
    ValueError
        If the spec is out of range (unknown kind, meter, tempo, swing or pickup).

    Examples
    --------
    >>> song = synthesize(SongSpec(form=(("verse", 2),), bpm=100.0))
    >>> song.time_signature, len(song.beats_s), round(float(song.beats_s[1] - song.beats_s[0]), 3)
    ('4/4', 8, 0.6)
    """
    _validate(spec)
    sr, bpb, sub, pick = spec.sr, spec.beats_per_bar, spec.subdivision, spec.pickup_beats
    rng = np.random.default_rng(spec.seed)
    tonic_pc = int(rng.integers(0, 12))

    # Beat grid: n_beats beats plus the end of the last section.
    bars_per_section = [int(n) for _, n in spec.form]
    n_bars = sum(bars_per_section)
    n_beats = pick + n_bars * bpb
    if spec.bpm_end is None:
        tempo_bpm = np.full(n_beats, float(spec.bpm))
    else:
        tempo_bpm = np.linspace(float(spec.bpm), float(spec.bpm_end), n_beats)
    grid_s = spec.lead_in_s + np.concatenate([[0.0], np.cumsum(60.0 / tempo_bpm)])
    beats_s = grid_s[:-1].copy()
    k = np.arange(n_beats)
    beat_in_bar = (k - pick) % bpb + 1
    bar_of_beat = np.where(k < pick, 0, (k - pick) // bpb + 1)

    # Sections.
    raw_kinds = [kind for kind, _ in spec.form]
    letters: dict[str, str] = {}
    for kind in raw_kinds:
        letters.setdefault(kind, string.ascii_uppercase[len(letters)])
    section_labels = tuple(letters[kind] for kind in raw_kinds)
    section_kinds = tuple(_KIND_RE.fullmatch(kind).group(1) for kind in raw_kinds)
    section_bar0 = np.concatenate([[0], np.cumsum(bars_per_section)])  # first bar of each section, 0-based
    boundaries_s = grid_s[pick + section_bar0 * bpb]

    styles: dict[str, _Style] = {}
    melodies: dict[str, list] = {}
    for kind in dict.fromkeys(raw_kinds):
        krng = np.random.default_rng([spec.seed, zlib.crc32(kind.encode())])
        styles[kind] = _style_for(kind, krng)
        melodies[kind] = _melody(styles[kind], tonic_pc, bpb, sub, krng)

    # Per bar: kind, chord degree, whether it starts a section.
    bar_kind: list[str] = []
    bar_degree: list[int] = []
    bar_first: list[bool] = []
    bar_in_section: list[int] = []
    for kind, n in spec.form:
        prog = styles[kind].progression
        for j in range(int(n)):
            bar_kind.append(kind)
            bar_degree.append(prog[j % len(prog)])
            bar_first.append(j == 0)
            bar_in_section.append(j)

    notes: list[SynthNote] = []
    cutoffs: list[float] = []  # brightness of each note's wavetable, parallel to notes
    drum_hits: list[tuple[float, str, float]] = []  # (beat position, instrument, velocity)

    def bass_pitch(pc: int) -> int:
        return 36 + (pc - 36) % 12

    def chord_pitches(degree: int, bright: bool) -> list[int]:
        pcs = _triad(tonic_pc, degree)
        ps = [55 + (pc - 55) % 12 for pc in pcs]
        if bright:
            ps.append(ps[0] + 12)
        return ps

    def add_note(track: str, start: float, dur: float, pitch: int, vel: float, cutoff: float) -> None:
        s, e = _warp_swing(np.array([start, start + dur]), spec.swing, sub)
        notes.append(SynthNote(track, float(s), float(e), int(pitch), float(min(vel, 1.0))))
        cutoffs.append(cutoff)

    # Pickup: melody walking up to the tonic, light hats.
    if pick:
        first_style = styles[bar_kind[0]]
        up = 72 + first_style.melody_shift
        up = up + (tonic_pc - up + 6) % 12 - 6  # the tonic nearest the melody's centre
        for j in range(pick):
            step = [-1, -2, -3][pick - 1 - j]
            deg = 7 + step  # sol-la-ti below the tonic
            pitch = up - 12 + _MAJOR[deg % 7] + 12 * (deg // 7)
            add_note("melody", float(j), 0.85, pitch, 0.7, 3000.0)
            if spec.drums:
                drum_hits.append((float(j), "hat", 0.3))

    for i in range(n_bars):
        kind = bar_kind[i]
        st = styles[kind]
        bar0 = pick + i * bpb
        g = st.gain
        root_pc = _triad(tonic_pc, bar_degree[i])[0]
        # Drums.
        if spec.drums:
            for pos, inst, vel in _drum_bar(st.drums, bpb, sub, spec.syncopation):
                pos = float(_warp_swing(pos, spec.swing, sub))
                vel = vel * (1.15 if (pos == 0.0 and inst == "kick" and bar_first[i]) else 1.0)
                drum_hits.append((bar0 + pos, inst, vel * g))
            if bar_first[i]:
                drum_hits.append((bar0, "crash", (0.45 if st.drums == "sparse" else 0.8) * g))
                if i > 0:
                    drum_hits.append((bar0, "swell", 0.35 * g))
            elif st.drums != "sparse":
                drum_hits.append((bar0, "crash", 0.15 * g))
        # Bass and chords.
        if not spec.syncopation:
            for pos, dur, iv, vel in _bass_bar(st.bass, bpb, sub):
                add_note("bass", bar0 + pos, dur, bass_pitch(root_pc) + iv, vel * g, 450.0)
            for pos, dur, vel in _chord_bar(st.chords, bpb):
                for p in chord_pitches(bar_degree[i], st.cutoff_hz > 3000):
                    add_note("chords", bar0 + pos, dur, p, vel * g, st.cutoff_hz)
        else:
            # Events (position, bar whose chord sounds); the change to the next bar's chord is anticipated.
            target = 2 if bpb >= 3 else 1
            events = [(float(target) - 1.0 / sub, i)]
            if i == 0:
                events.insert(0, (0.0, i))
            if i + 1 < n_bars:
                events.append((bpb - 1.0 / sub, i + 1))
            # Each event lasts until the next one; the last bar's last event stops at the song's end.
            last_end = float(bpb) + target - 1.0 / sub if i + 1 < n_bars else float(bpb)
            ends = [p for p, _ in events[1:]] + [last_end]
            for (pos, j), end in zip(events, ends, strict=True):
                sj = styles[bar_kind[j]]
                gj = sj.gain
                rpc = _triad(tonic_pc, bar_degree[j])[0]
                vel = 0.9 if j != i else 0.75
                add_note("bass", bar0 + pos, (end - pos) * 0.95, bass_pitch(rpc), vel * gj, 450.0)
                dur = (end - pos) * 0.95 if sj.chords == "pad" else 0.6
                for p in chord_pitches(bar_degree[j], sj.cutoff_hz > 3000):
                    add_note("chords", bar0 + pos, dur, p, vel * 0.9 * gj, sj.cutoff_hz)
        # Melody: the kind's phrase, cycled with the progression.
        cycle = len(st.progression)
        for mbar, pos, dur, pitch, vel in melodies[kind]:
            if mbar == bar_in_section[i] % cycle:
                add_note("melody", bar0 + pos, dur, pitch, vel * (0.6 + 0.4 * g), 3000.0)
                if st.cutoff_hz > 3000:
                    add_note("melody", bar0 + pos, dur, pitch + 12, 0.3 * vel * g, 3000.0)

    # ---- Render.
    n_samples = int(math.ceil((grid_s[-1] + _TAIL_S) * sr))
    kit = _drum_kit(sr, rng)
    tables = _Tables(sr)
    drums_bus = np.zeros(n_samples)
    bass_bus = np.zeros(n_samples)
    tonal_bus = np.zeros(n_samples)

    drum_gain = {"kick": 1.0, "snare": 0.55, "hat": 0.22, "open_hat": 0.2, "ride": 0.22, "crash": 0.3, "swell": 0.25}
    hit_pos = np.array([h[0] for h in drum_hits], dtype=float)
    hit_s = _pos_to_s(hit_pos, grid_s) if len(drum_hits) else np.zeros(0)
    for (pos, inst, vel), t_s in zip(drum_hits, hit_s, strict=True):
        x = kit[inst]
        i0 = int(round(t_s * sr)) - (len(x) if inst == "swell" else 0)
        i1 = min(i0 + len(x), n_samples)
        j0 = max(0, -i0)
        i0 = max(i0, 0)
        if i1 > i0:
            drums_bus[i0:i1] += (drum_gain[inst] * vel) * x[j0 : j0 + i1 - i0]
        if inst != "swell":
            notes.append(SynthNote("drums", pos, pos + 0.25, _DRUM_PITCH[inst], float(min(vel, 1.0))))
            cutoffs.append(0.0)

    env_by_track = {
        "bass": (0.005, 0.25, 0.6, 0.04),
        "chords": (0.02, 0.6, 0.7, 0.12),
        "melody": (0.01, 0.3, 0.75, 0.06),
    }
    tonal = [(n, c) for n, c in zip(notes, cutoffs, strict=True) if n.track != "drums"]
    if tonal:
        on_s = _pos_to_s(np.array([n.start_beat for n, _ in tonal]), grid_s)
        off_s = _pos_to_s(np.array([n.end_beat for n, _ in tonal]), grid_s)
        phases = rng.random((len(tonal), 2))
        for (note, cutoff), t0, t1, ph in zip(tonal, on_s, off_s, phases, strict=True):
            env = env_by_track[note.track]
            if note.track == "bass":
                table = tables.get(note.pitch, cutoff, "saw")
                _add_tone(bass_bus, t0, t1 - t0, _hz(note.pitch), table, note.velocity, env, sr, ph[0])
            elif note.track == "chords":
                table = tables.get(note.pitch, cutoff, "saw")
                for det, p0 in ((0.9965, ph[0]), (1.0035, ph[1])):
                    f = _hz(note.pitch) * det
                    _add_tone(tonal_bus, t0, t1 - t0, f, table, 0.11 * note.velocity, env, sr, p0)
            else:
                table = tables.get(note.pitch, cutoff, "lead")
                _add_tone(
                    tonal_bus, t0, t1 - t0, _hz(note.pitch), table, 0.28 * note.velocity, env, sr, ph[0], vibrato=True
                )

    # A short, cheap reverb on the tonal bus and a little of the drums.
    n_ir = int(1.2 * sr)
    t_ir = np.arange(n_ir) / sr
    ir = rng.standard_normal(n_ir) * np.exp(-t_ir / 0.3)
    ir /= np.sqrt(np.sum(ir**2))
    send = tonal_bus + 0.15 * drums_bus
    wet = signal.oaconvolve(send, ir)[:n_samples]
    mix = 0.55 * drums_bus + 0.5 * bass_bus + tonal_bus + 0.18 * wet
    peak = np.max(np.abs(mix))
    mix += rng.standard_normal(n_samples) * (2e-4 * peak)  # near-silence rather than digital silence
    y = (0.9 * mix / np.max(np.abs(mix))).astype(np.float32)

    onset_pos = np.array([n.start_beat for n in notes], dtype=float)
    onsets = np.sort(_pos_to_s(onset_pos, grid_s)) if len(notes) else np.zeros(0)
    if len(onsets):
        keep = np.concatenate([[True], np.diff(onsets) > 1e-3])
        onsets = onsets[keep]
    notes.sort(key=lambda n: (n.start_beat, n.track, n.pitch))
    return SynthSong(
        y=y,
        sr=sr,
        beats_s=beats_s,
        beat_in_bar=beat_in_bar.astype(np.int64),
        downbeats_s=beats_s[beat_in_bar == 1],
        boundaries_s=boundaries_s,
        section_kinds=section_kinds,
        section_labels=section_labels,
        onsets_s=onsets,
        spec=spec,
        tempo_bpm=tempo_bpm,
        bar_of_beat=bar_of_beat.astype(np.int64),
        tonic_pc=tonic_pc,
        notes=tuple(notes),
    )


# ----------------------------------------------------------------------------------------------------
# MIDI


def write_midi(
    song: SynthSong,
    path: str | Path,
    *,
    ticks_per_beat: int = 480,
    offset_s: float = 0.0,
    tempo_scale: float = 1.0,
) -> None:
    """Write the song's notes, tempo map, meter and sections as a type-1 MIDI file.

    Time convention: ``audio_time = midi_time + offset_s``. Every beat, note and marker is written at MIDI
    time ``t - offset_s`` where ``t`` is its audio time, so the default ``offset_s=0`` gives a MIDI whose
    clock is the audio's clock, and ``offset_s=0.5`` a MIDI whose events come 0.5 s earlier than in the
    audio. MIDI tick 0 is always a bar line: the file starts at the song's first bar line
    (:attr:`SynthSong.midi_origin_s`; with a pickup this is the first downbeat minus one full bar, and
    the pickup notes sit at the end of that bar), preceded by as many empty bars as fill
    ``midi_origin_s - offset_s`` seconds; those padding bars get the tempo that makes them last exactly
    that long (so read the song's tempo from its first beat on, not from tick 0). A file with no padding
    and a constant tempo has a single ``set_tempo`` event; a tempo ramp has one per beat.

    Parameters
    ----------
    song : SynthSong
        The song to describe.
    path : str or Path
        Where to write the ``.mid`` file.
    ticks_per_beat : int
        MIDI resolution in ticks per quarter note. In compound meter the song's beat is a dotted quarter
        (1.5 MIDI quarters, so ``1.5 * ticks_per_beat`` ticks) and must be a whole number of ticks.
    offset_s : float
        Audio time, in seconds, of MIDI time 0 (see above); must be ``<= song.midi_origin_s``.
    tempo_scale : float
        Multiplies every tempo written (BPM); values other than 1 make a file that deliberately does not
        match the audio.

    Raises
    ------
    ValueError
        If ``offset_s > song.midi_origin_s`` (the song would start before MIDI time 0) or the resolution
        does not divide the beat.

    Notes
    -----
    The conductor track (track 0) holds ``time_signature`` (N/4, or 6/8, 9/8, 12/8 in compound meter),
    ``key_signature``, ``set_tempo`` and one ``marker`` per section start whose text is the section
    kind ("intro", "verse", ...). Tracks 1-4 are bass, chords, melody and drums (channel 9, General
    MIDI keys). Note times are the synthesized ones, rounded to the nearest tick.
    """
    spec = song.spec
    bpb = spec.beats_per_bar
    q_per_beat = 1.5 if spec.subdivision == 3 else 1.0
    if (ticks_per_beat * q_per_beat) % 1 or ticks_per_beat < 1:
        raise ValueError(f"ticks_per_beat={ticks_per_beat} must be a positive even number in compound meter")
    if tempo_scale <= 0:
        raise ValueError(f"tempo_scale={tempo_scale} must be > 0")
    tpbeat = int(ticks_per_beat * q_per_beat)
    origin_beat = spec.pickup_beats - bpb if spec.pickup_beats else 0
    lead_s = song.midi_origin_s - offset_s
    if lead_s < -1e-9:
        raise ValueError(
            f"offset_s={offset_s:.4f} s is after the song's first bar line at {song.midi_origin_s:.4f} s "
            "(SynthSong.midi_origin_s); the song would start before MIDI time 0. Use offset_s <= "
            "midi_origin_s, or synthesize with a longer lead_in_s."
        )
    bar_s0 = bpb * 60.0 / song.tempo_bpm[0]
    n_pad = 0 if lead_s < 5e-4 else max(1, round(lead_s / bar_s0))
    pad_ticks = n_pad * bpb * tpbeat

    def tick(pos: float) -> int:
        return int(round(pad_ticks + (pos - origin_beat) * tpbeat))

    def us_per_quarter(seconds_per_beat: float) -> int:
        return max(1, int(round(seconds_per_beat * 1e6 / q_per_beat / tempo_scale)))

    tempo_events: list[tuple[int, int]] = []
    last = None
    if n_pad:
        last = us_per_quarter(lead_s / (n_pad * bpb))
        tempo_events.append((0, last))
    for k, bpm in enumerate(song.tempo_bpm):
        us = us_per_quarter(60.0 / bpm)
        if us != last:
            tempo_events.append((tick(origin_beat) if k == 0 else tick(k), us))
            last = us

    conductor: list[tuple[int, int, mido.MetaMessage]] = []
    if spec.subdivision == 3:
        ts = mido.MetaMessage(
            "time_signature",
            numerator=3 * bpb,
            denominator=8,
            clocks_per_click=36,
            notated_32nd_notes_per_beat=8,
            time=0,
        )
    else:
        ts = mido.MetaMessage(
            "time_signature", numerator=bpb, denominator=4, clocks_per_click=24, notated_32nd_notes_per_beat=8, time=0
        )
    conductor.append((0, 0, mido.MetaMessage("track_name", name="conductor", time=0)))
    conductor.append((0, 1, ts))
    conductor.append((0, 2, mido.MetaMessage("key_signature", key=_KEY_NAMES[song.tonic_pc], time=0)))
    for t, us in tempo_events:
        conductor.append((t, 3, mido.MetaMessage("set_tempo", tempo=us, time=0)))
    bar0 = np.concatenate([[0], np.cumsum([int(n) for _, n in spec.form])])
    for kind, b in zip(song.section_kinds, bar0[:-1], strict=True):
        conductor.append((tick(spec.pickup_beats + b * bpb), 4, mido.MetaMessage("marker", text=kind, time=0)))

    mid = mido.MidiFile(type=1, ticks_per_beat=ticks_per_beat)
    mid.tracks.append(_to_track(conductor))
    for name, channel, program in _TRACKS:
        evs: list[tuple[int, int, mido.Message]] = [
            (0, 0, mido.MetaMessage("track_name", name=name, time=0)),
        ]
        if channel != 9:
            evs.append((0, 1, mido.Message("program_change", channel=channel, program=program, time=0)))
        for note in song.notes:
            if note.track != name:
                continue
            t0 = tick(note.start_beat)
            t1 = max(tick(note.end_beat), t0 + 1)
            vel = int(round(np.clip(note.velocity, 0.0, 1.0) * 126)) + 1
            # Note-offs sort before note-ons at the same tick so repeated pitches do not swallow each other.
            evs.append((t0, 3, mido.Message("note_on", channel=channel, note=note.pitch, velocity=vel, time=0)))
            evs.append((t1, 2, mido.Message("note_off", channel=channel, note=note.pitch, velocity=0, time=0)))
        mid.tracks.append(_to_track(evs))
    mid.save(str(path))


def _to_track(events: list) -> mido.MidiTrack:
    """Sort (abs_tick, order, message) triples into a mido track with delta times."""
    track = mido.MidiTrack()
    now = 0
    for t, _, msg in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(msg.copy(time=t - now))
        now = t
    track.append(mido.MetaMessage("end_of_track", time=0))
    return track
