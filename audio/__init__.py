"""Audio front end: decoding, beats, downbeats, meter, tempo map, onsets, energy and sections.

The public entry point is :func:`analyze`; it returns an :class:`Analysis` (schema
``choreo.analysis/1``). Imports are lazy so that ``import audio`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from audio.analysis import analyze
    from audio.model import Analysis
    from audio.params import AnalysisParams

__all__ = ["Analysis", "AnalysisParams", "analyze"]


def __getattr__(name: str):
    if name == "analyze":
        from audio.analysis import analyze

        return analyze
    if name == "AnalysisParams":
        from audio.params import AnalysisParams

        return AnalysisParams
    if name == "Analysis":
        from audio.model import Analysis

        return Analysis
    raise AttributeError(name)
