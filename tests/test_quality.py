"""Track sampling and the quality report."""

import numpy as np

from choreography.model import Track
from choreography.quality import beat_alignment_score
from choreography.sampling import sample_track


def test_sample_track_hits_keys_and_eases():
    t = Track((2, 10, 20), (0.0, 10.0, -5.0), ("linear", "linear", "hold"))
    v = sample_track(t, 25)
    assert v[0] == 0.0 and v[2] == 0.0 and v[10] == 10.0 and v[6] == 5.0
    assert np.all(v[10:20] == 10.0) and v[20] == -5.0 and v[24] == -5.0  # hold jumps at its key
    assert sample_track(Track((), (), ()), 4).tolist() == [0, 0, 0, 0]
    assert sample_track(Track((3,), (7.0,), ("linear",)), 5).tolist() == [7.0] * 5


def test_beat_alignment_score_rewards_minima_on_beats():
    fps = 24.0
    beats = np.arange(1, 20) * 0.5
    f = np.arange(int(11 * fps))
    on = 1.0 - np.cos(2 * np.pi * (f / fps) / 0.5)  # minima every 0.5 s, on the beats
    off = 1.0 - np.cos(2 * np.pi * (f / fps - 0.25) / 0.5)  # minima half a beat late
    assert beat_alignment_score(on, fps, beats) > 0.9
    assert beat_alignment_score(off, fps, beats) < 0.1
    assert beat_alignment_score(np.zeros(2), fps, beats) == 0.0
