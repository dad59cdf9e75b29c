"""The madmom backend's bar evidence: the vectorised CLP chroma and the BarTracker networks."""

from __future__ import annotations

import numpy as np
import pytest

from audio import features as F
from tests.material.synth import SongSpec, synthesize

pytest.importorskip("madmom")


@pytest.fixture(scope="module")
def song():
    return synthesize(SongSpec(bpm=112, seed=21, form=(("verse", 4), ("chorus", 4))))


def test_clp_chroma_matches_madmom(song):
    from madmom.audio.chroma import CLPChromaProcessor
    from madmom.audio.signal import Signal

    from audio.downbeats import clp_chroma

    y44 = F.resample_mono(song.y, song.sr, 44100)
    ref = np.asarray(CLPChromaProcessor(fps=100, fmin=27.5, fmax=4200.0, compression_factor=100, norm=True,
                                        threshold=0.001)(Signal(y44, sample_rate=44100, num_channels=1)))
    ours = clp_chroma(y44)
    assert ours.shape == ref.shape
    # madmom resamples the bands through ffmpeg, we through soxr: close, not bit-identical.
    assert np.corrcoef(ours.ravel(), ref.ravel())[0, 1] > 0.999
    assert np.abs(ours - ref).mean() < 0.005
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0)


def test_bar_networks_find_the_downbeats(song):
    from audio.downbeats import bar_network_evidence

    ev = bar_network_evidence(song.y, song.sr, song.beats_s)
    assert ev.shape == song.beats_s.shape and np.all((ev >= 0) & (ev <= 1))
    down = np.isin(np.round(song.beats_s, 4), np.round(song.downbeats_s, 4))
    assert ev[down].mean() > ev[~down].mean() + 0.3


def test_bar_networks_edge_cases(song):
    from audio.downbeats import bar_network_evidence

    assert bar_network_evidence(song.y, song.sr, np.zeros(0)).shape == (0,)
    assert bar_network_evidence(song.y, song.sr, np.array([1.0])).shape == (1,)
    # Beats past the end of the audio get the song's mean evidence, not NaN.
    beats = np.append(song.beats_s, song.duration_s + np.arange(1, 4))
    assert np.all(np.isfinite(bar_network_evidence(song.y, song.sr, beats)))


def test_clp_chroma_in_chunks_matches_one_pass(song, monkeypatch):
    from audio import downbeats

    y44 = F.resample_mono(song.y, song.sr, 44100)
    whole = downbeats.clp_chroma(y44)
    monkeypatch.setattr(downbeats, "CHUNK_S", 4.0)
    chunked = downbeats.clp_chroma(y44)
    assert chunked.shape == whole.shape
    # Each chunk hears CHROMA_CONTEXT_S of audio either side: what the filters still ring past that is tiny.
    assert np.abs(chunked - whole).max() < 0.01
