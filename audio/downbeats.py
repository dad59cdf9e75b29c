"""Bar evidence from madmom's beat-synchronous downbeat networks (Krebs, Böck and Widmer, ISMIR 2016).

madmom ships two downbeat estimators that look at a song in different ways: the frame-level RNN
ensemble whose downbeat activation :func:`audio.beats.madmom_activations` returns, and the BarTracker's
pair of recurrent networks that read beat-synchronous features (a percussive one: onset strength in six
bands on quarter-beat subdivisions; a harmonic one: CLP chroma on half-beat subdivisions) and give, per
beat, the probability that it starts a bar. The second kind knows where the beats are and listens to
what changes from one beat to the next, which is where the frame-level network's downbeat phase errors
on real pop and rock come from. :mod:`audio.analysis` averages the two.

The networks are madmom's (CC BY-NC-SA 4.0, like the rest of the madmom backend); the features are
madmom's too, except that the CLP chroma is computed here by a vectorised reimplementation of
``madmom.audio.chroma.CLPChroma`` (the same filterbank, the same framing; about 4x faster: madmom frames
every band in a Python loop and resamples through ffmpeg). ``tests/test_downbeats.py`` checks it
against madmom's own on real audio.
"""

from __future__ import annotations

import numpy as np

from audio.beats import chunk_bounds, madmom_threads

FPS = 100.0
SR = 44100
# The percussive features are frame-local (a spectral difference over a frame or two): computed in
# chunks of this many seconds with CONTEXT_S either side, their peak memory stays flat for long songs.
CHUNK_S = 60.0
CONTEXT_S = 1.0
CHROMA_CONTEXT_S = 5.0


def clp_chroma(y44: np.ndarray, *, fps: float = FPS, fmin: float = 27.5, fmax: float = 4200.0,
               compression: float = 100.0, threshold: float = 0.001) -> np.ndarray:
    """Compressed log pitch (CLP) chroma, as ``madmom.audio.chroma.CLPChroma`` computes it, vectorised.

    A semitone bandpass filterbank (elliptic filters applied forwards and backwards, each band at its
    own sample rate), the energy of 50 %-overlapping frames centred on ``i / fps`` seconds, log
    compression, folding to pitch classes and an L2 norm per frame (frames below ``threshold`` become
    flat).

    Parameters
    ----------
    y44 : np.ndarray [shape=(n,), 44.1 kHz mono]
    fps : float, frames per second
    fmin, fmax : float, Hz
        Range of the semitone bands.
    compression : float
        Factor inside ``log10(1 + compression * energy)``.
    threshold : float
        Frames whose chroma norm is below this are set to the flat vector.

    Returns
    -------
    np.ndarray [shape=(round(n * fps / 44100) + 1, 12)]
        Pitch classes C, C#, ..., B; each row has unit L2 norm.
    """
    from madmom.audio.filters import SemitoneBandpassFilterbank, hz2midi

    bank = SemitoneBandpassFilterbank(fmin=fmin, fmax=fmax)
    y44 = np.asarray(y44, dtype=np.float32)
    n_frames = int(np.round(y44.shape[0] * fps / SR)) + 1
    pitch = np.zeros((n_frames, len(bank.filters)))
    # Frames are computed CHUNK_S seconds at a time from the chunk's audio plus CHROMA_CONTEXT_S either
    # side (the slowest band's ringing dies out well within it), so memory stays flat for long songs.
    # Chunks start on a whole number of 0.1 s, a whole number of samples at every band's rate.
    step = int(CHUNK_S * fps)
    for f0 in range(0, n_frames, step):
        f1 = min(n_frames, f0 + step)
        lo = max(0, int(np.floor((f0 / fps - CHROMA_CONTEXT_S) * 10.0))) * (SR // 10)
        hi = min(y44.shape[0], int(np.ceil((f1 / fps + CHROMA_CONTEXT_S) * SR)))
        pitch[f0:f1] = _band_energies(bank, y44[lo:hi], lo, np.arange(f0, f1), fps)
    log_pitch = np.log10(pitch * compression + 1.0)
    midi_min = int(np.round(hz2midi(bank.center_frequencies[0])))
    chroma = np.zeros((n_frames, 12))
    for p in range(log_pitch.shape[1]):
        chroma[:, (midi_min + p) % 12] += log_pitch[:, p]
    norm = np.sqrt((chroma**2).sum(axis=1))
    quiet = norm < threshold
    chroma /= np.where(quiet, 1.0, norm)[:, None]
    chroma[quiet] = 1.0 / np.sqrt(12.0)
    return chroma


def _band_energies(bank, y44: np.ndarray, lo: int, frames: np.ndarray, fps: float) -> np.ndarray:
    """Energy of each semitone band in the 2-frame windows centred on the song's ``frames``.

    ``y44`` is the song's audio from sample ``lo`` on (a multiple of 4410); each band is filtered at its
    own sample rate.
    """
    import soxr
    from scipy.signal import filtfilt

    x44 = y44.astype(np.float64)
    out = np.zeros((frames.shape[0], len(bank.filters)))
    resampled: dict[float, np.ndarray] = {}
    for k, ((b, a), band_sr) in enumerate(zip(bank.filters, bank.band_sample_rates, strict=True)):
        band_sr = float(band_sr)
        if band_sr not in resampled:
            resampled[band_sr] = x44 if band_sr == SR else soxr.resample(x44, SR, band_sr, quality="HQ")
        x = filtfilt(b, a, resampled[band_sr])
        # Energy relative to 22.05 kHz (madmom follows the MATLAB chroma toolbox here).
        csum = np.concatenate([[0.0], np.cumsum(x * x * (22050.0 / band_sr))])
        frame = int(np.round(2 * band_sr / fps))
        start = (frames * (band_sr / fps)).astype(np.int64) - lo * int(band_sr) // SR - frame // 2
        out[:, k] = csum[np.clip(start + frame, 0, x.shape[0])] - csum[np.clip(start, 0, x.shape[0])]
    return out


def _percussive_features(proc, y44: np.ndarray) -> np.ndarray:
    """The BarTracker's percussive features (6-band log spectral difference, 100 fps), in chunks."""
    from madmom.audio.signal import Signal

    hop = int(SR / FPS)
    n_frames = int(np.ceil(y44.shape[0] / hop))
    step, ctx = int(CHUNK_S * FPS), int(CONTEXT_S * FPS)
    parts = []
    for start, stop, lo, hi in chunk_bounds(n_frames, step, ctx):
        feat = np.asarray(proc.perc_feat(Signal(y44[lo * hop: hi * hop], sample_rate=SR, num_channels=1)))
        parts.append(feat[start - lo: start - lo + stop - start])
    return np.concatenate(parts, axis=0)


def bar_network_evidence(y: np.ndarray, sr: int, beats_s: np.ndarray) -> np.ndarray:
    """Per-beat probability of a bar start from the BarTracker's percussive and harmonic networks.

    Parameters
    ----------
    y : np.ndarray [shape=(n,), float32]
        Mono signal; resampled to 44.1 kHz as the networks expect (pass it at 44.1 kHz to skip that).
    sr : int, Hz
    beats_s : np.ndarray [shape=(b,), seconds, increasing]

    Returns
    -------
    np.ndarray [shape=(b,), 0..1]
        The mean of the two networks' outputs. The networks see the span from a beat to the next, so
        the last beat has no value of its own: it gets the mean of the others.
    """
    from madmom.features.downbeats import RNNBarProcessor

    from audio.features import resample_mono

    beats_s = np.asarray(beats_s, dtype=np.float64)
    if beats_s.shape[0] < 2:
        return np.zeros(beats_s.shape[0])
    y44 = resample_mono(y, sr, SR)
    proc = RNNBarProcessor(intra_op_num_threads=madmom_threads())
    perc = _percussive_features(proc, y44)
    harm = clp_chroma(y44)
    # madmom's synchroniser drops beats after the end of the features; both features reach the end.
    beats_in = beats_s[beats_s < min(perc.shape[0], harm.shape[0]) / FPS]
    out = np.full(beats_s.shape[0], np.nan)
    if beats_in.shape[0] >= 2:
        ps = proc.perc_beat_sync((perc, beats_in))
        hs = proc.harm_beat_sync((harm, beats_in))
        p = np.asarray(proc.perc_nn(ps.reshape((ps.shape[0], -1)))).ravel()
        h = np.asarray(proc.harm_nn(hs.reshape((hs.shape[0], -1)))).ravel()
        out[: p.shape[0]] = 0.5 * (p + h)
    fill = float(np.nanmean(out)) if np.any(np.isfinite(out)) else 0.0
    return np.clip(np.where(np.isfinite(out), out, fill), 0.0, 1.0)
