"""Options of the analysis and lip-sync stages, importable without numpy (the CLI reads the defaults for --help)."""

from __future__ import annotations

from dataclasses import dataclass

from audio.errors import ChoreoError

BACKENDS = ("madmom", "librosa")


@dataclass(frozen=True)
class AnalysisParams:
    """Options of the analysis stage (the CLI builds its options from these defaults).

    Attributes
    ----------
    backend : str
        "madmom" (RNN + DBN; models CC BY-NC-SA) or "librosa" (our own decoders, no neural models).
    min_bpm, max_bpm : float
        Range of the reported beat (the danceable pulse rule, see :mod:`audio.beats`).
    beats_per_bar : int or None
        Force the meter instead of detecting it.
    min_section_bars : int
        Shortest section, in bars (2: real songs have 2-bar intros and bridges; a short section still needs
        a strong boundary on each side).
    label_threshold : float
        Bar-sequence similarity above which two sections share a repeat label.
    midi_tolerance_s : float, seconds
        Onset matching tolerance when checking a MIDI against the audio.
    midi_min_f : float
        Least onset F-measure (in each half of the song) for a MIDI to be accepted.
    max_offset_s : float, seconds
        Largest MIDI-to-audio offset searched.
    """

    backend: str = "madmom"
    min_bpm: float = 60.0
    max_bpm: float = 200.0
    beats_per_bar: int | None = None
    min_section_bars: int = 2
    label_threshold: float = 0.55
    midi_tolerance_s: float = 0.07
    midi_min_f: float = 0.5
    max_offset_s: float = 10.0

    def validate(self) -> None:
        """Raise :class:`ChoreoError` for an inconsistent option."""
        if self.backend not in BACKENDS:
            raise ChoreoError(f"unknown backend {self.backend!r}; choose one of {', '.join(BACKENDS)}")
        if not 20 <= self.min_bpm < self.max_bpm <= 400:
            raise ChoreoError(f"tempo range {self.min_bpm}-{self.max_bpm} BPM is not sensible "
                              "(need 20 <= min_bpm < max_bpm <= 400)")
        if self.beats_per_bar is not None and not 1 <= self.beats_per_bar <= 16:
            raise ChoreoError(f"beats_per_bar must be 1..16, got {self.beats_per_bar}")
        if self.min_section_bars < 1:
            raise ChoreoError("min_section_bars must be at least 1")


@dataclass(frozen=True)
class LipsyncParams:
    """Options of the lip-sync stage (the CLI builds its options from these defaults).

    Attributes
    ----------
    fps : str
        Project frame rate, rational ("24/1", "30000/1001").
    twos : bool
        Animate on twos (mouth changes only on even frames).
    voice : str
        espeak-ng voice for words outside the English dictionary ("fr", "es", ... for other languages);
        "auto" picks the lyrics' language when they are confidently not English.
    min_match : float
        Below this lyrics-to-voice match the lyrics are reported as not matching the audio.
    aligner : str
        For lyrics with a recording: "auto" (pocketsphinx when its speech model fits the delivery, the
        sung-syllable aligner otherwise), "speech" (pocketsphinx, falling back when it fails) or "sung".
    """

    fps: str = "24/1"
    twos: bool = False
    voice: str = "auto"
    min_match: float = 0.5
    aligner: str = "auto"
