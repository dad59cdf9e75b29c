"""Lighting: photosensitivity flash limit, palettes per label, key invariants."""

import bisect
from fractions import Fraction

import numpy as np
import pytest

from choreography.lighting import FLASH_RISE, flash_frames_of, max_in_window, plan_lighting, section_palettes
from choreography.model import seconds_to_frame
from choreography.music import BeatFeatures


def make_features(bpm=120.0, n_bars=48, beats_per_bar=4, seed=0, accent=None, energy=None):
    rng = np.random.default_rng(seed)
    n = n_bars * beats_per_bar
    t = 0.25 + np.arange(n) * 60.0 / bpm
    beat = np.arange(n) % beats_per_bar + 1
    bar = np.arange(n) // beats_per_bar + 1
    e = rng.uniform(0, 1, n) if energy is None else np.full(n, float(energy))
    a = rng.uniform(0, 1, n) if accent is None else np.full(n, float(accent))
    return BeatFeatures(t, bar, beat, beat == 1, (beat == 1) & ((bar - 1) % 4 == 0), e, rng.uniform(0, 1, n), a,
                        rng.uniform(0, 1, n), np.zeros(n, dtype=np.int64))


def sections_for(bf, plan=None, beats_per_bar=4):
    plan = plan or [("A", "intro", 4), ("B", "verse", 8), ("C", "chorus", 8), ("B", "verse", 8),
                    ("C", "chorus", 8), ("D", "bridge", 4), ("C", "chorus", 8)]
    out, bar = [], 0
    for label, kind, bars in plan:
        start = bf.t_s[bar * beats_per_bar]
        bar += bars
        end = bf.t_s[bar * beats_per_bar] if bar * beats_per_bar < bf.n else bf.t_s[-1] + 0.5
        out.append((float(start), float(end), label, kind))
    return out


def _naive_max_in_1s(frames, fps):
    # every window [a, a + 1 s) that could hold the most events starts on an event
    return max((sum(f <= g < f + fps for g in frames) for f in frames), default=0)


def _check_track_invariants(tracks, duration):
    assert set(tracks) == {"light/intensity", "light/hue", "light/saturation"}
    for t in tracks.values():
        assert len(t.frames) == len(t.values) == len(t.interp)
        assert all(b > a for a, b in zip(t.frames, t.frames[1:], strict=False))
        assert t.frames[0] >= 0 and t.frames[-1] < duration
    assert all(0.0 <= v <= 1.0 for v in tracks["light/intensity"].values + tracks["light/saturation"].values)
    assert all(0.0 <= v < 360.0 for v in tracks["light/hue"].values)


@pytest.mark.parametrize("fps", [Fraction(24), Fraction(30000, 1001), Fraction(60)])
@pytest.mark.parametrize("max_flashes", [3.0, 2.0, 1.5])
def test_flash_limit_holds_at_200_bpm_with_accents_on_every_beat(fps, max_flashes):
    bf = make_features(bpm=200.0, n_bars=48, accent=1.0, energy=1.0)
    sections = sections_for(bf, [("C", "chorus", 48)])
    duration = seconds_to_frame(bf.t_s[-1] + 1.0, fps)
    tracks, stats = plan_lighting(bf, sections, fps=fps, duration_frames=duration, max_flashes_per_s=max_flashes)
    _check_track_invariants(tracks, duration)
    flashes = flash_frames_of(tracks["light/intensity"])
    limit = int(max_flashes)
    assert _naive_max_in_1s(flashes, fps) <= limit
    assert stats == {"flashes": len(flashes), "max_flashes_in_any_1s": _naive_max_in_1s(flashes, fps)}
    # the limiter keeps most of the budget in use rather than dropping everything
    assert stats["max_flashes_in_any_1s"] == limit
    assert len(flashes) >= 0.75 * limit * (bf.t_s[-1] - bf.t_s[0] - 1)


def test_every_rise_over_threshold_is_counted_and_limited_with_random_music():
    for seed in range(6):
        bf = make_features(bpm=90.0 + 25 * seed, seed=seed)
        fps = Fraction(24)
        duration = seconds_to_frame(bf.t_s[-1] + 0.5, fps)
        tracks, stats = plan_lighting(bf, sections_for(bf), fps=fps, duration_frames=duration)
        _check_track_invariants(tracks, duration)
        v = tracks["light/intensity"].values
        rises = [tracks["light/intensity"].frames[i] for i in range(1, len(v)) if v[i] - v[i - 1] > FLASH_RISE]
        assert _naive_max_in_1s(rises, fps) <= 3
        assert stats["flashes"] == len(rises) > 0


def test_no_flashes_in_calm_sections_and_zero_budget():
    bf = make_features(accent=1.0, energy=0.1)
    sections = sections_for(bf, [("A", "verse", 48)])
    _, stats = plan_lighting(bf, sections, fps=Fraction(24), duration_frames=5000)
    assert stats["flashes"] == 0
    _, stats = plan_lighting(bf, sections_for(bf, [("C", "chorus", 48)]), fps=Fraction(24), duration_frames=5000,
                             max_flashes_per_s=0.0)
    assert stats["flashes"] == 0


def _value_at(track, frame):
    return track.values[bisect.bisect_right(track.frames, frame) - 1]


def test_palettes_equal_for_equal_labels():
    bf = make_features(seed=2)
    sections = sections_for(bf)
    fps = Fraction(24)
    tracks, _ = plan_lighting(bf, sections, fps=fps, duration_frames=seconds_to_frame(bf.t_s[-1] + 1, fps))
    seen = {}
    for start, _, label, _ in sections:
        f = seconds_to_frame(start, fps)
        pal = (_value_at(tracks["light/hue"], f), _value_at(tracks["light/saturation"], f))
        assert seen.setdefault(label, pal) == pal
    assert len(set(seen.values())) == len(seen)  # different labels look different here
    pals = section_palettes([(0, 1, "A", "verse"), (1, 2, "B", "verse"), (2, 3, "A", "verse")])
    assert pals[0] == pals[2] != pals[1]


def test_edge_cases():
    bf = make_features(n_bars=0)
    tracks, stats = plan_lighting(bf, [], fps=Fraction(24), duration_frames=10)
    assert tracks["light/hue"].frames == (0,) and stats["flashes"] == 0
    tracks, stats = plan_lighting(bf, [], fps=Fraction(24), duration_frames=0)
    assert tracks["light/intensity"].frames == ()
    with pytest.raises(ValueError, match="max_flashes_per_s"):
        plan_lighting(bf, [], fps=Fraction(24), duration_frames=10, max_flashes_per_s=-1)
    # extreme tempo: beats closer than two frames never flash, keys stay strictly increasing
    fast = make_features(bpm=3000.0, accent=1.0, energy=1.0)
    tracks, stats = plan_lighting(fast, sections_for(fast, [("C", "chorus", 48)]), fps=Fraction(24),
                                  duration_frames=200)
    _check_track_invariants(tracks, 200)
    assert stats["max_flashes_in_any_1s"] <= 3


def test_max_in_window_matches_naive():
    rng = np.random.default_rng(0)
    for fps in (Fraction(24), Fraction(30000, 1001)):
        frames = sorted(set(rng.integers(0, 300, 60).tolist()))
        assert max_in_window(frames, fps) == _naive_max_in_1s(frames, fps)
