"""The choreography solver end to end: invariants, repeats, pins, determinism, rational fps, CLI errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from audio.analysis import analyze
from audio.errors import ChoreoError
from audio.params import AnalysisParams
from choreography.model import seconds_to_frame
from choreography.moves import load_moves
from choreography.pins import Pins, load_pins, pins_from_dict
from choreography.rig import load_rig
from choreography.solver import SolveParams, solve
from engine import artifacts
from tests.conftest import ROOT, run_cli


@pytest.fixture(scope="module")
def song():
    ex = ROOT / "examples"
    return analyze(ex / "example_song.ogg", AnalysisParams(backend="librosa"), midi=ex / "example_song.mid")


@pytest.fixture(scope="module")
def lib():
    return load_moves()


def test_invariants(song, lib):
    rig = load_rig("ada")
    c = solve(song, {"ada": rig}, lib)
    beat_frames = {seconds_to_frame(b.t, c.fps) for b in song.beats}
    assert all(m.start_frame in beat_frames for m in c.moves)  # moves start on beats (same frame)
    assert c.moves[0].start_frame == seconds_to_frame(song.beats[0].t, c.fps)
    for a, b in zip(c.moves, c.moves[1:], strict=False):
        assert b.start_frame >= a.end_frame - 1
    lo, hi = rig.limits_deg[:, 0], rig.limits_deg[:, 1]
    for name, t in c.tracks.items():
        f = np.array(t.frames)
        assert np.all(np.diff(f) > 0) and f[0] >= 0 and f[-1] < c.duration_frames, name
        if name.endswith(".rot"):
            j = rig.index[name.split("/")[1][:-4]]
            v = np.array(t.values)
            assert np.all(v >= lo[j] - 1e-9) and np.all(v <= hi[j] + 1e-9), name
            speed = np.abs(np.diff(v)) / (np.diff(f) / float(c.fps))
            assert np.all(speed <= rig.max_speed_deg_s[j] + 1e-6), name


def test_repeated_sections_dance_the_same(song, lib):
    c = solve(song, {"ada": load_rig("ada")}, lib)
    choruses = [s for s in song.sections if s.kind == "chorus"]
    assert len(choruses) >= 2

    def seq(sec):  # moves and their beat offsets inside the section
        a, b = seconds_to_frame(sec.start, c.fps), seconds_to_frame(sec.end, c.fps)
        first_beat = next(i for i, bt in enumerate(song.beats) if bt.t >= sec.start - 1e-6)
        return [(m.move, m.start_beat - first_beat) for m in c.moves if a <= m.start_frame and m.end_frame <= b]

    first, second = seq(choruses[0]), seq(choruses[1])
    assert first and first == second
    mirrored = solve(song, {"ada": load_rig("ada")}, lib, params=SolveParams(mirror_repeats=True))
    names = [m.move for m in mirrored.moves]
    assert any(n.endswith("~m") for n in names)


def test_pins_are_honoured_through_solve(song, lib, tmp_path):
    p = tmp_path / "pins.json"
    p.write_text(json.dumps({"schema": "choreo.pins/1", "pins": [
        {"type": "move", "move": "star_jump", "bar": 9}, {"type": "move", "move": "bow", "bar": 50},
        {"type": "hold", "section": 0, "move": "idle_breathe"}]}))
    c = solve(song, {"ada": load_rig("ada")}, lib, load_pins(p))
    assert any(m.move == "star_jump" and m.bar == 9 and m.beat == 1 for m in c.moves)
    assert any(m.move == "bow" and m.bar == 50 and m.beat == 1 for m in c.moves)
    intro_end = seconds_to_frame(song.sections[1].start, c.fps)
    assert {m.move for m in c.moves if m.end_frame <= intro_end} == {"idle_breathe"}


def test_deterministic_and_rational_fps(song, lib):
    a = solve(song, {"ada": load_rig("ada"), "bo": load_rig("bo")}, lib, params=SolveParams(seed=3, variation=0.3))
    b = solve(song, {"ada": load_rig("ada"), "bo": load_rig("bo")}, lib, params=SolveParams(seed=3, variation=0.3))
    assert artifacts.dumps(a) == artifacts.dumps(b)
    ntsc = solve(song, {"ada": load_rig("ada")}, lib, params=SolveParams(fps="30000/1001"))
    assert ntsc.duration_frames == seconds_to_frame(song.source.duration_s, ntsc.fps)
    assert ntsc.to_dict()["fps"] == "30000/1001"


def test_bad_pins_and_characters(song, lib, tmp_path):
    p = tmp_path / "pins.json"
    p.write_text(json.dumps({"schema": "choreo.pins/1", "pins": [{"type": "move", "move": "jump", "bar": 2,
                                                                  "character": "zed"}]}))
    with pytest.raises(ChoreoError, match="unknown characters"):
        solve(song, {"ada": load_rig("ada")}, lib, load_pins(p))
    with pytest.raises(ChoreoError, match="no beats"):
        solve(song.__class__(**{**song.__dict__, "beats": ()}), {"ada": load_rig("ada")}, lib, Pins())


def test_cli_choreograph(song, tmp_path):
    a = tmp_path / "song.analysis.json"
    artifacts.save(song, a)
    out = tmp_path / "song.choreography.json"
    res = run_cli("choreograph", str(a), "--rig", "ada", "--rig", "bo", "-o", str(out))
    assert res.returncode == 0, res.stderr
    assert artifacts.load(out).characters == ("ada", "bo")
    pins = tmp_path / "p.json"
    pins.write_text(json.dumps({"schema": "choreo.pins/1", "pins": [{"type": "move", "move": "moonwalk", "bar": 3}]}))
    res = run_cli("choreograph", str(a), "--pins", str(pins), "-o", str(tmp_path / "x.json"))
    assert res.returncode == 2 and "moonwalk" in res.stderr and "p.json" in res.stderr
    assert not (tmp_path / "x.json").exists()


def test_cli_quality_report(song, tmp_path):
    a = tmp_path / "song.analysis.json"
    artifacts.save(song, a)
    out = tmp_path / "c.json"
    artifacts.save(solve(song, {"ada": load_rig("ada")}, load_moves()), out)
    res = run_cli("quality", str(out), "--analysis", str(a))
    assert res.returncode == 0, res.stderr
    assert "beat_alignment" in res.stdout and "starts_on_beats" in res.stdout and "top_move_share" in res.stdout


def test_csv_per_character(song, tmp_path):
    import csv

    from engine.exporters.choreo_csv import write_csvs

    c = solve(song, {"ada": load_rig("ada"), "bo": load_rig("bo")}, load_moves())
    paths = write_csvs(c, tmp_path / "song", song)
    assert [p.name for p in paths] == ["song.ada.csv", "song.bo.csv"]
    rows = list(csv.reader(paths[0].open()))
    assert rows[0][:5] == ["frame", "time_s", "bar", "beat", "move"] and len(rows) == c.duration_frames + 1
    assert "l_upper_arm.rot" in rows[0] and "root.y" in rows[0]


@pytest.mark.parametrize("mode", ["unison", "mirror", "canon", "independent"])
def test_ensembles(song, lib, mode):
    rigs = {"ada": load_rig("ada"), "bo": load_rig("bo")}
    c = solve(song, rigs, lib, params=SolveParams(ensemble=mode, canon_beats=2))
    lead = [m for m in c.moves if m.character == "ada"]
    follow = [m for m in c.moves if m.character == "bo"]
    if mode == "unison":
        assert [m.move for m in lead] == [m.move for m in follow]
    elif mode == "mirror":
        assert any(m.move != f.move for m, f in zip(lead, follow, strict=True))
    elif mode == "canon":
        assert follow[0].move == "idle_breathe" and follow[1].move == lead[0].move
        assert follow[1].start_beat == lead[0].start_beat + 2
    x_ada = np.mean(c.tracks["ada/root.x"].values)
    x_bo = np.mean(c.tracks["bo/root.x"].values)
    assert x_bo - x_ada > 200  # standing in a line, not on top of each other


def test_follower_pins_need_independent(song, lib, tmp_path):
    p = tmp_path / "pins.json"
    p.write_text(json.dumps({"schema": "choreo.pins/1", "pins": [{"type": "move", "move": "jump", "bar": 3,
                                                                  "character": "bo"}]}))
    with pytest.raises(ChoreoError, match="independent"):
        solve(song, {"ada": load_rig("ada"), "bo": load_rig("bo")}, lib, load_pins(p))
    c = solve(song, {"ada": load_rig("ada"), "bo": load_rig("bo")}, lib, load_pins(p),
              params=SolveParams(ensemble="independent"))
    assert any(m.character == "bo" and m.move == "jump" and m.bar == 3 for m in c.moves)


def test_planted_feet_stay_put(song, lib):
    from choreography.moves import BONES
    from choreography.rig import forward_kinematics
    from choreography.sampling import sample_character

    rig = load_rig("ada")
    c = solve(song, {"ada": rig}, lib)
    full_lib = lib.with_mirrors()
    rot, root = sample_character(c.tracks, "ada", BONES, c.duration_frames)
    full = np.zeros((c.duration_frames, len(rig.bones)))
    full[:, : len(BONES)] = rot
    pts = forward_kinematics(rig, full, rig.origin_xy + root * np.array([1.0, -1.0]))
    bt = np.array([b.t for b in song.beats])
    idx = np.arange(bt.size)
    drift = []
    for m in c.moves:
        for fp in full_lib[m.move].feet:
            fa = seconds_to_frame(np.interp(m.start_beat + fp.start_beat, idx, bt), c.fps)
            fb = seconds_to_frame(np.interp(min(m.start_beat + fp.end_beat, bt.size - 1), idx, bt), c.fps)
            if fb > fa:
                ankle = pts[fa:fb + 1, rig.index[fp.foot], 0, :]
                drift.append(np.abs(ankle - ankle[0]).max())
    drift = np.array(drift)
    print(f"plants {drift.size}, median drift {np.median(drift):.2f} px, within 8 px {np.mean(drift < 8):.2f}")
    # The root holds one planted foot exactly; two planted feet while the stance changes (a move entering
    # from another stance) would need leg IK, which is not done yet.
    assert np.median(drift) < 1.0 and np.mean(drift < 8.0) >= 0.85


def test_lock_pin_keeps_the_previous_keys(song, lib, tmp_path):
    from choreography.sampling import sample_track

    rig = {"ada": load_rig("ada")}
    old = solve(song, rig, lib, params=SolveParams(seed=1))
    p = tmp_path / "pins.json"
    p.write_text(json.dumps({"schema": "choreo.pins/1", "pins": [
        {"type": "lock", "character": "ada", "from_frame": 100, "to_frame": 300},
        {"type": "energy", "section": 1, "energy": 0.05}]}))
    new = solve(song, rig, lib, load_pins(p), previous=old)
    for name in ("ada/l_upper_arm.rot", "ada/root.y", "ada/r_shin.rot"):
        a = sample_track(old.tracks[name], 301)[100:301]
        b = sample_track(new.tracks[name], 301)[100:301]
        np.testing.assert_allclose(a, b, atol=1e-9)
    changed = any(not np.allclose(sample_track(old.tracks[k], new.duration_frames)[400:900],
                                  sample_track(new.tracks[k], new.duration_frames)[400:900]) for k in new.tracks
                  if k.startswith("ada/"))
    assert changed  # outside the lock the new energy pin changed the dance
    with pytest.raises(ChoreoError, match="needs the previous choreography"):
        solve(song, rig, lib, load_pins(p))


def test_variety_caps_spread_the_dance(song, lib):
    """No family fills more than its cap of a section (the relaxation converges on the example song), and
    without the caps one move takes much more of the dance: the caps do the spreading. The tight cap is
    tried without the beat-fit bonus, which at a 6 % cap leaves the relaxation a few beats over (at the
    default 15 % it converges; checked last)."""
    from dataclasses import replace

    from choreography.music import beat_features
    from choreography.params import PlanParams
    from choreography.quality import viewer_figures

    rig = {"ada": load_rig("ada")}
    bf = beat_features(song)
    capped = solve(song, rig, lib, params=SolveParams(plan=replace(PlanParams(), share_cap=0.06, beat_weight=0.0)))
    free = solve(song, rig, lib, params=SolveParams(plan=replace(PlanParams(), share_cap=1.0, beat_weight=0.0)))
    a = viewer_figures(list(capped.moves), bf, lib, capped.fps, song)
    b = viewer_figures(list(free.moves), bf, lib, free.fps, song)
    assert a["top_move_share"] <= 0.08 < b["top_move_share"]
    assert a["longest_run"] <= 2 and viewer_figures(list(solve(song, rig, lib).moves), bf, lib, capped.fps,
                                                    song)["top_move_share"] <= 0.15


def test_a_fast_song_is_danced_at_half_time(song, lib):
    from dataclasses import replace

    rig = {"ada": load_rig("ada")}
    fast = replace(song, tempo=replace(song.tempo, bpm=180.0))
    slow, half = solve(song, rig, lib), solve(fast, rig, lib)
    assert slow.provenance["dance_grid"] == "every beat" and half.provenance["dance_grid"] == "half time"
    beat_in_bar = np.array([b.beat for b in song.beats])
    assert set(beat_in_bar[[m.start_beat for m in half.moves]]) <= {1, 3}  # counted in halves of the bar
    assert len(half.moves) < 0.7 * len(slow.moves)  # the same song in fewer, longer moves


def test_repeats_are_copied_in_place_in_the_bar():
    from choreography.music import repeat_shift

    beat = np.array([4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4])
    # the first occurrence starts with a pickup (beat 4), the repeat on its downbeat
    assert repeat_shift(beat, np.arange(0, 9), np.arange(9, 17)) == 8
    assert repeat_shift(beat, np.arange(1, 5), np.arange(9, 13)) == 8
    assert repeat_shift(np.ones(4, dtype=int) * 2, np.arange(0, 2), np.arange(2, 4)) == 2  # no downbeat


def test_a_longer_repeat_is_danced_over_again():
    from choreography.music import repeat_targets

    beat = np.tile([1, 2, 3, 4], 12)
    src, dst = np.arange(0, 16), np.arange(16, 48)  # a 4-bar chorus, then an 8-bar one
    assert repeat_targets(beat, src, dst, 4) == [20, 36]
    assert repeat_targets(beat, src, np.arange(16, 24), 12) == []  # past the end of a shorter repeat


def test_style_hint_steers_the_dance(song, lib):
    from choreography.moves import STYLES

    rig = {"ada": load_rig("ada")}
    full = lib.with_mirrors()

    def share(c, style):
        styled = [style in full[m.move].styles for m in c.moves]
        return sum(styled) / len(styled)

    plain = solve(song, rig, lib)
    for style in ("classical", "hip_hop"):
        assert share(solve(song, rig, lib, params=SolveParams(style=style)), style) > share(plain, style) + 0.2
    with pytest.raises(ChoreoError, match=r"unknown style 'hiphop' \(did you mean 'hip_hop'\?\)"):
        solve(song, rig, lib, params=SolveParams(style="hiphop"))
    assert set(STYLES) >= {"jazz", "kids"}


def test_a_pickup_is_counted_in_and_moves_keep_their_place_in_the_bar(song, lib):
    import dataclasses

    late = dataclasses.replace(song, beats=song.beats[1:])  # the song now opens on beat 2: a 3-beat pickup
    assert late.beats[0].beat == 2
    c = solve(late, {"ada": load_rig("ada")}, lib)
    first_down = next(b for b in late.beats if b.beat == 1)
    assert c.moves[0].start_frame == seconds_to_frame(first_down.t, c.fps)  # the dance starts on "one"
    bpb = max(b.beat for b in late.beats)
    for m in c.moves:
        length = lib[m.move.split("~")[0]].beats
        if length >= bpb:
            assert m.beat == 1, m  # bar-long moves on downbeats (phrase starts rule which)
        elif bpb % length == 0:
            assert (m.beat - 1) % length == 0, m  # half-bar moves on beats 1 and 3


def test_every_chorus_opens_with_the_hook(song, lib):
    import dataclasses

    from choreography.music import beat_features
    from choreography.quality import viewer_figures

    choruses = [i for i, s in enumerate(song.sections) if s.kind == "chorus"]
    assert len(choruses) >= 2
    # The analysis reads every later chorus as new material (a varied chorus): nothing is copied, but the hook
    # still returns.
    sections = list(song.sections)
    for k, i in enumerate(choruses[1:], 1):
        sections[i] = dataclasses.replace(sections[i], label=f"H{k}")
    varied = dataclasses.replace(song, sections=tuple(sections))
    # ... and is danced at other energies, so its own best opening move differs from the first chorus's.
    pins = pins_from_dict({"schema": "choreo.pins/1", "pins": [
        {"type": "energy", "section": i, "energy": 0.05 if k % 2 else 0.95} for k, i in enumerate(choruses[1:], 1)]},
        path="pins.json")
    c = solve(varied, {"ada": load_rig("ada")}, lib, pins)
    bf = beat_features(varied)
    opening = []
    for i in choruses:
        down = int(np.flatnonzero((bf.section == i) & bf.downbeat)[0])
        opening.append(next(m.move for m in c.moves if m.start_beat == down))
    assert len(set(opening)) == 1, opening
    assert viewer_figures(list(c.moves), bf, lib, c.fps, varied)["hook_returns"] == 1.0


def test_the_beat_fit_makes_the_dance_rest_on_the_beats(song, lib):
    """Preferring moves that come to rest on the beats at the song's tempo raises the dance's beat alignment
    score (measured on the whole dance, transitions and all), at no cost to its energy following the music's."""
    from dataclasses import replace

    from choreography.params import PlanParams
    from choreography.quality import report

    rig = {"ada": load_rig("ada")}
    with_fit = report(solve(song, rig, lib), song, rig, lib)["ada"]
    without = report(solve(song, rig, lib, params=SolveParams(plan=replace(PlanParams(), beat_weight=0.0))),
                     song, rig, lib)["ada"]
    assert with_fit["beat_alignment"] > without["beat_alignment"] + 0.03
    assert with_fit["energy_correlation"] > without["energy_correlation"] - 0.02
