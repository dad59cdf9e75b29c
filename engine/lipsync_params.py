"""Options of the lip-sync stage, importable without numpy (the CLI reads the defaults for --help)."""

from __future__ import annotations

from dataclasses import dataclass


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
