"""Crowds: the spec, generated dancers within their ranges, the crowd's dance, its render and choreo run --crowd.

The checks read the outputs back independently: rig geometry and colours against the base rigs, the
choreography's JSON (moves per beat, start frames against the analysis' beat times), neighbours from a
k-d tree, and the preview's pixels decoded by ffmpeg.
"""

from __future__ import annotations

import colorsys
import csv
import json
import os
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial import cKDTree

from audio.errors import ChoreoError
from choreography.crowd import (
    NEIGHBOURS,
    CrowdSpec,
    Formation,
    crowd_rigs,
    crowd_spec_from_dict,
    dance_crowd,
    generate_crowd,
    load_crowd_spec,
)
from choreography.moves import load_moves
from choreography.rig import forward_kinematics, load_rig
from choreography.solver import solve
from engine import artifacts
from tests.conftest import ROOT, run_cli

EXAMPLE = ROOT / "examples"
RANGES = {"height_scale": (0.8, 1.2), "arm_scale": (0.85, 1.15), "leg_scale": (0.9, 1.1),
          "hue_shift_deg": (-60.0, 60.0), "saturation_shift": (-0.2, 0.2)}


def _hat_rig(folder: Path) -> Path:
    """Ada with an extra bone, a hat: an optional part."""
    doc = load_rig("ada").to_dict()
    doc["name"] = "hatted"
    doc["bones"].append({"name": "hat", "parent": "head", "length": 30, "rest": 0, "limits": [-10, 10],
                         "max_speed_deg_s": 100, "width": 50, "color": "#cc3333", "z": 10, "shape": "capsule"})
    path = folder / "hatted.json"
    path.write_text(json.dumps(doc))
    return path


def _spec(tmp_path: Path, **kw) -> CrowdSpec:
    doc = {"schema": "choreo.crowd/1", "bases": ["ada", "bo", "hatted.json"], "count": 40, "seed": 5,
           "ranges": {k: list(v) for k, v in RANGES.items()}, "keep_colors": ["head"], "parts": {"hat": 0.5},
           "formation": {"kind": "rows", "rows": 3, "x_px": [100, 1820], "feet_y_px": [560, 680],
                         "scale": [0.35, 0.5]}, **kw}
    _hat_rig(tmp_path)
    path = tmp_path / "crowd.json"
    path.write_text(json.dumps(doc))
    return load_crowd_spec(path)


def _depth(y: float) -> float:
    """The documented depth rule: linear in feet y from the back row's scale to the front row's, clamped."""
    u = min(max((y - 560.0) / (680.0 - 560.0), 0.0), 1.0)
    return 0.35 + (0.5 - 0.35) * u


def _hsv(hex_rgb: str) -> tuple[float, float, float]:
    v = int(hex_rgb[1:], 16)
    return colorsys.rgb_to_hsv(((v >> 16) & 255) / 255, ((v >> 8) & 255) / 255, (v & 255) / 255)


# ------------------------------------------------------------------------------------------------ generation


def test_generation_is_deterministic_for_a_seed(tmp_path):
    spec = _spec(tmp_path)
    a, b = generate_crowd(spec), generate_crowd(spec)
    assert [d.name for d in a] == [f"crowd{i:02d}" for i in range(1, 41)]
    for x, y in zip(a, b, strict=True):
        assert x.rig.to_dict() == y.rig.to_dict() and np.array_equal(x.position, y.position)
    other = generate_crowd(replace(spec, seed=6))
    assert [d.rig.to_dict() for d in other] != [d.rig.to_dict() for d in a]


def test_every_dancer_is_distinct_and_within_the_ranges(tmp_path):
    spec = _spec(tmp_path)
    dancers = generate_crowd(spec)
    bases = {"ada": load_rig("ada"), "bo": load_rig("bo"), "hatted": load_rig(tmp_path / "hatted.json")}
    looks = set()
    hats = []
    for d in dancers:
        base, rig = bases[d.rig.name], d.rig
        x, y = d.position
        assert 100 <= x <= 1820 and 560 <= y <= 680
        depth = _depth(y)
        height = rig.lengths_px[rig.index["spine"]] / base.lengths_px[base.index["spine"]] / depth
        assert RANGES["height_scale"][0] - 1e-9 <= height <= RANGES["height_scale"][1] + 1e-9
        s = height * depth
        np.testing.assert_allclose(rig.widths_px[:17], base.widths_px[:17] * s)
        for bone, key in (("l_upper_arm", "arm_scale"), ("r_hand", "arm_scale"), ("l_thigh", "leg_scale"),
                          ("r_shin", "leg_scale")):
            f = rig.lengths_px[rig.index[bone]] / base.lengths_px[base.index[bone]] / s
            assert RANGES[key][0] - 1e-9 <= f <= RANGES[key][1] + 1e-9, (d.name, bone, f)
        assert rig.lengths_px[rig.index["l_upper_arm"]] / base.lengths_px[base.index["l_upper_arm"]] == pytest.approx(
            rig.lengths_px[rig.index["r_forearm"]] / base.lengths_px[base.index["r_forearm"]])
        # Colours: one hue turn and one saturation change for every bone but the kept head.
        assert rig.colors[rig.index["head"]] == base.colors[base.index["head"]]
        turns, sats = [], []
        for i, b in enumerate(base.bones[:17]):
            h0, s0, v0 = _hsv(base.colors[i])
            h1, s1, _ = _hsv(rig.colors[rig.index[b.name]])
            if b.name != "head" and s0 > 0.3 and v0 > 0.3 and 0.05 < s0 + (s1 - s0) < 0.95:
                turns.append(((h1 - h0 + 0.5) % 1.0 - 0.5) * 360.0)
                sats.append(s1 - s0)
        assert turns, d.name
        assert max(turns) - min(turns) < 4.0  # one turn for all (8-bit colours round a little)
        assert RANGES["hue_shift_deg"][0] - 2 <= np.mean(turns) <= RANGES["hue_shift_deg"][1] + 2
        assert RANGES["saturation_shift"][0] - 0.02 <= np.mean(sats) <= RANGES["saturation_shift"][1] + 0.02
        # Standing on its place: the rest pose's lowest joint at the feet, the pelvis above them.
        rest = forward_kinematics(rig, np.zeros((1, rig.n_bones)))
        assert rest[0, :, :, 1].max() == pytest.approx(y) and rest[0, 0, 0, 0] == pytest.approx(x)
        if d.rig.name == "hatted":
            hats.append("hat" in rig.index)
        looks.add((rig.name, tuple(rig.colors), tuple(np.round(rig.lengths_px, 6))))
    assert len(looks) == len(dancers)
    assert any(hats) and not all(hats), "a hat that is on half the time is on for some dancers and off for others"
    ys = [d.position[1] for d in dancers]
    assert ys == sorted(ys), "dancers are numbered back to front"


def test_formations(tmp_path):
    for kind in ("arc", "scatter"):
        spec = replace(_spec(tmp_path), formation=Formation(kind=kind, x_px=(100, 1820), feet_y_px=(560, 680),
                                                            min_spacing_px=60.0))
        feet = np.array([d.position for d in generate_crowd(spec)])
        d = np.hypot(*(feet[:, None, :] - feet[None, :, :]).transpose(2, 0, 1))
        np.fill_diagonal(d, np.inf)
        assert d.min() >= (60.0 if kind == "scatter" else 1.0)
        if kind == "arc":  # the middle of a row stands further back than its ends
            row = feet[np.abs(feet[:, 1] - feet[:, 1].min()) < 50]
            mid = row[np.argmin(np.abs(row[:, 0] - 960))]
            end = row[np.argmin(row[:, 0])]
            assert mid[1] < end[1]
    crowded = replace(_spec(tmp_path), formation=Formation(kind="scatter", x_px=(0, 300), feet_y_px=(600, 620),
                                                           min_spacing_px=100.0))
    with pytest.raises(ChoreoError, match="only .* of 40 dancers fit"):
        generate_crowd(crowded)


def test_cut_out_rigs_make_a_crowd_too():
    pip = load_rig("pip")
    if not pip.parts:
        pytest.skip("the shipped pip rig has no cut-out parts")
    (d,) = generate_crowd(CrowdSpec(bases=("pip",), count=1))
    k = d.rig.lengths_px[d.rig.index["spine"]] / pip.lengths_px[pip.index["spine"]]
    by_bone = {p.bone: p for p in d.rig.parts}
    for p in pip.parts:
        if p.bone in ("spine", "chest", "head"):
            assert by_bone[p.bone].drawing.scale == pytest.approx(p.drawing.scale * k)


BAD = [
    ({"formaton": {}}, "did you mean 'formation'"),
    ({"formation": {"kind": "rowz"}}, "did you mean 'rows'"),
    ({"formation": {"kinds": "rows"}}, "did you mean 'kind'"),
    ({"bases": ["adda"]}, "did you mean 'ada'"),
    ({"ranges": {"height_scale": [1.2, 0.8]}}, "min > max"),
    ({"ranges": {"hue_shift": [0, 10]}}, "did you mean 'hue_shift_deg'"),
    ({"parts": {"head": 0.5}}, "required bone"),
    ({"parts": {"hatt": 0.5}}, "did you mean 'hat'"),
    ({"keep_colors": ["haed"]}, "did you mean 'head'"),
    ({"count": 0}, "count"),
    ({"unison": "yes"}, "true or false"),
    ({"schema": "choreo.crowd/2"}, "schema"),
]


@pytest.mark.parametrize(("change", "expect"), BAD, ids=[e for _, e in BAD])
def test_a_bad_spec_is_one_clear_error(tmp_path, change, expect):
    _hat_rig(tmp_path)
    doc = {"schema": "choreo.crowd/1", "bases": ["ada", "hatted.json"], **change}
    path = tmp_path / "bad.crowd.json"
    with pytest.raises(ChoreoError) as info:
        crowd_spec_from_dict(doc, path=path)
    msg = str(info.value)
    assert expect in msg and str(path) in msg and "\n" not in msg


# ------------------------------------------------------------------------------------------------ dancing


@pytest.fixture(scope="module")
def song():
    from audio.analysis import analyze
    from audio.params import AnalysisParams

    a = analyze(EXAMPLE / "example_song.ogg", AnalysisParams(backend="librosa"), midi=EXAMPLE / "example_song.mid")
    rigs = {"ada": load_rig("ada"), "bo": load_rig("bo")}
    lib = load_moves()
    leads = solve(a, rigs, lib)
    spec = CrowdSpec(count=16, seed=3)
    crowd = dance_crowd(a, leads, lib, spec)
    unison = dance_crowd(a, leads, lib, replace(spec, unison=True))
    return a, rigs, lib, leads, spec, crowd, unison


def _beat_moves(doc: dict, n_beats: int) -> dict[str, list[str]]:
    """Each character's move on every beat of the analysis, read from the choreography's JSON."""
    out = {}
    for ch in doc["characters"]:
        mine = sorted((m for m in doc["moves"] if m["character"] == ch), key=lambda m: m["start_beat"])
        per = [""] * n_beats
        for m, nxt in zip(mine, [*mine[1:], None], strict=True):
            for b in range(m["start_beat"], nxt["start_beat"] if nxt else n_beats):
                per[b] = m["move"]
        out[ch] = per
    return out


def _neighbour_pairs(doc: dict) -> list[tuple[str, str]]:
    """Neighbours as documented: each dancer's six nearest (feet to feet), either way round (a k-d tree)."""
    recs = doc["provenance"]["crowd"]["dancers"]
    feet = np.array([r["feet_xy"] for r in recs])
    _, idx = cKDTree(feet).query(feet, k=NEIGHBOURS + 1)
    pairs = {tuple(sorted((recs[i]["name"], recs[j]["name"]))) for i in range(len(recs)) for j in idx[i, 1:]}
    return sorted(pairs)


def _clashes(doc: dict, n_beats: int) -> int:
    per = _beat_moves(doc, n_beats)
    return sum(per[a][b] == per[c][b] for a, c in _neighbour_pairs(doc) for b in range(n_beats))


def test_neighbours_never_dance_the_same_move_at_once_unless_unison(song):
    a, *_, crowd, unison = song
    n = len(a.beats)
    doc = json.loads(artifacts.dumps(crowd))
    assert _clashes(doc, n) == 0
    assert _clashes(json.loads(artifacts.dumps(unison)), n) > 0
    per = _beat_moves(doc, n)
    names = [f"crowd{i:02d}" for i in range(1, 17)]
    assert all(per[x] for x in names)
    # Not clones: on most beats the crowd dances several different moves, mirrored variants among them.
    distinct = [len({per[x][b] for x in names}) for b in range(n)]
    assert np.median(distinct) >= 4
    assert any(m["move"].endswith("~m") for m in doc["moves"] if m["character"].startswith("crowd"))


def test_alternatives_follow_the_leads_plan(song):
    a, _, lib, leads, spec, crowd, _ = song
    full = lib.with_mirrors()
    doc = json.loads(artifacts.dumps(crowd))
    lead = {m["start_beat"]: m["move"] for m in doc["moves"] if m["character"] == "ada"}
    strict = total = 0
    role = ("accent", "hold", "calm")
    for m in doc["moves"]:
        if not m["character"].startswith("crowd"):
            continue
        mine, theirs = full[m["move"]], full[lead[m["start_beat"]]]
        assert mine.beats == theirs.beats, "every alternative is as long as the lead's move"
        total += 1
        strict += ({t for t in mine.tags if t in role} == {t for t in theirs.tags if t in role}
                   and abs(mine.energy - theirs.energy) <= spec.energy_tolerance + 1e-9)
    assert strict / total >= 0.6
    recorded = doc["provenance"]["crowd"]["alternatives"]
    first = next(iter(recorded.values()))
    assert strict / total >= first - 1e-3  # at least the share the provenance claims took the first step


def test_leads_keep_their_solved_choreography(song):
    *_, leads, _spec_, crowd, _ = song
    for name, track in leads.tracks.items():
        assert crowd.tracks[name] == track, name
    assert crowd.moves[:len(leads.moves)] == leads.moves and crowd.shots == leads.shots
    assert crowd.characters[:2] == ("ada", "bo")
    assert all(m.character.startswith("crowd") for m in crowd.moves[len(leads.moves):])
    lead_doc, crowd_doc = json.loads(artifacts.dumps(leads)), json.loads(artifacts.dumps(crowd))
    assert {k: v for k, v in crowd_doc["tracks"].items() if not k.startswith("crowd")} == lead_doc["tracks"]


def test_timing_offsets_stay_within_the_fraction(song):
    a, *_, spec, crowd, _ = song
    doc = json.loads(artifacts.dumps(crowd))
    fps = 24.0
    beats = np.array([b.t for b in a.beats])
    period = np.median(np.diff(beats))
    shifts: dict[str, list[float]] = {}
    for m in doc["moves"]:
        if m["character"].startswith("crowd") and 0 < m["start_beat"] < len(beats) - 1:
            local = beats[m["start_beat"] + 1] - beats[m["start_beat"]]
            shift = (m["start_frame"] / fps - beats[m["start_beat"]]) / local
            shifts.setdefault(m["character"], []).append(shift)
    assert len(shifts) == 16
    half_frame = 0.5 / fps / min(np.diff(beats).min(), period)
    for ch, s in shifts.items():
        assert np.all(np.abs(s) <= spec.offset_beats + half_frame + 1e-6), ch
    typical = [np.median(s) for s in shifts.values()]
    assert max(typical) - min(typical) > 0.5 * spec.offset_beats, "dancers are not all on the same offset"


def test_a_half_time_song_is_followed_on_its_dance_grid(tmp_path):
    import soundfile as sf

    from audio.analysis import analyze
    from audio.params import AnalysisParams
    from tests.material.synth import SongSpec, synthesize, write_midi

    music = synthesize(SongSpec(form=(("intro", 4), ("verse", 8), ("chorus", 8)), bpm=172, seed=2))
    wav, mid = tmp_path / "fast.wav", tmp_path / "fast.mid"
    sf.write(str(wav), music.y, music.sr)
    write_midi(music, mid)
    a = analyze(wav, AnalysisParams(backend="librosa"), midi=mid)
    lib = load_moves()
    leads = solve(a, {"ada": load_rig("ada")}, lib)
    assert leads.provenance["dance_grid"] == "half time"
    spec = CrowdSpec(count=6, offset_beats=0.25)
    c = dance_crowd(a, leads, lib, spec)
    lead = {m.start_beat for m in c.moves if m.character == "ada"}
    beats = np.array([b.t for b in a.beats])
    grid = 2 * np.median(np.diff(beats))  # half time: a dance beat is two of the song's
    for m in c.moves:
        if m.character != "ada":
            assert m.start_beat in lead
            if m.start_beat > 0:
                assert abs(m.start_frame / 24.0 - beats[m.start_beat]) <= spec.offset_beats * grid * 1.05 + 0.5 / 24


def test_crowd_dance_is_deterministic(song):
    a, _, lib, leads, spec, crowd, _ = song
    assert artifacts.dumps(dance_crowd(a, leads, lib, spec)) == artifacts.dumps(crowd)


def test_crowd_round_trips_and_exports(song, tmp_path):
    from engine.exporters.choreo_csv import write_csvs
    from engine.render_stage import rigs_for

    a, *_, crowd, _ = song
    path = artifacts.save(crowd, tmp_path / "song.choreography.json")
    back = artifacts.load(path)
    rigs = rigs_for(back, None)
    assert set(rigs) == set(crowd.characters)
    assert rigs["crowd05"].to_dict() == crowd_rigs(crowd)["crowd05"].to_dict()
    written = write_csvs(back, tmp_path / "song", a)
    assert len(written) == 18
    with open(tmp_path / "song.crowd07.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) - 1 == crowd.duration_frames


def test_render_draws_the_crowd_behind_the_leads_smaller_and_dimmed(song):
    from render.frames import CROWD_DIM, FrameRenderer
    from render.spec import RenderSpec

    _, rigs, *_, crowd, _ = song
    all_rigs = {**rigs, **crowd_rigs(crowd)}
    names = list(crowd.characters)
    r = FrameRenderer(crowd, all_rigs, RenderSpec(640, 360, passes=("characters", *names), overlay=False))
    bufs = r.new_buffers()
    r.render(200, bufs)
    lead = bufs["ada"][..., 3] == 255
    behind = 0
    for name in names[2:]:
        mine = bufs[name][..., 3] == 255
        both = mine & lead
        behind += int(both.sum())
        if both.any():  # where a crowd dancer and the lead overlap, the lead is seen (edges blend a little)
            diff = np.abs(bufs["characters"][both].astype(int) - bufs["ada"][both]).max(axis=-1)
            assert np.mean(diff == 0) > 0.95 and np.percentile(diff, 99) <= 8, (name, np.mean(diff == 0), diff.max())
    assert behind > 0, "some crowd dancer stands behind the lead at this frame"

    def height(name):
        rows = np.flatnonzero((bufs[name][..., 3] > 0).any(axis=1))
        return rows[-1] - rows[0]

    assert max(height(x) for x in names[2:]) < 0.75 * height("ada")
    bg = np.array([0x1D, 0x22, 0x30], dtype=float)
    rig = all_rigs["crowd03"]
    raw = {tuple(int(rig.colors[i][k:k + 2], 16) for k in (1, 3, 5)) for i in range(rig.n_bones)}
    dimmed = {tuple(np.rint((1 - CROWD_DIM) * np.array(c) + CROWD_DIM * bg).astype(int)) for c in raw}
    px = bufs["crowd03"][bufs["crowd03"][..., 3] == 255][:, :3]
    colours, counts = np.unique(px, axis=0, return_counts=True)
    top = tuple(int(v) for v in colours[np.argmax(counts)])
    assert top in dimmed and top not in raw


def test_a_cut_out_crowd_dancer_is_turned_and_dimmed_like_a_stick_figure(song):
    from render.frames import CROWD_DIM, FrameRenderer
    from render.spec import RenderSpec

    a, _, lib, leads, *_ = song
    c = dance_crowd(a, leads, lib, CrowdSpec(bases=("pip",), count=3, seed=2, hue_shift_deg=(40.0, 60.0),
                                             saturation_shift=(-0.1, 0.1)))
    rigs = {**{k: load_rig(k) for k in ("ada", "bo")}, **crowd_rigs(c)}
    if not rigs["crowd02"].parts:
        pytest.skip("the shipped pip rig has no cut-out parts")
    rec = next(r for r in c.provenance["crowd"]["dancers"] if r["name"] == "crowd02")
    plain = replace(c, provenance={k: v for k, v in c.provenance.items() if k != "crowd"})  # no crowd: as drawn
    spec = RenderSpec(640, 360, passes=("crowd02",), overlay=False)
    got, want = (FrameRenderer(x, rigs, spec).new_buffers() for x in (c, plain))
    FrameRenderer(c, rigs, spec).render(300, got)
    FrameRenderer(plain, rigs, spec).render(300, want)
    opaque = (got["crowd02"][..., 3] == 255) & (want["crowd02"][..., 3] == 255)
    assert opaque.sum() > 200
    bg = np.array([0x1D, 0x22, 0x30]) / 255.0
    expected = []
    for r, g, b in want["crowd02"][opaque][:, :3] / 255.0:
        h, lum, sat = colorsys.rgb_to_hls(r, g, b)
        turned = colorsys.hls_to_rgb((h + rec["hue_shift_deg"] / 360.0) % 1.0, lum,
                                     min(max(sat + rec["saturation_shift"], 0.0), 1.0))
        expected.append((1 - CROWD_DIM) * np.array(turned) + CROWD_DIM * bg)
    err = np.abs(got["crowd02"][opaque][:, :3] / 255.0 - np.array(expected)).max(axis=-1) * 255
    assert np.median(err) <= 2 and np.percentile(err, 95) <= 8, (np.median(err), np.percentile(err, 95))


# ------------------------------------------------------------------------------------------------ choreo run


def test_run_with_a_bad_crowd_spec_fails_cleanly(tmp_path):
    spec = tmp_path / "bad.crowd.json"
    spec.write_text(json.dumps({"schema": "choreo.crowd/1", "bases": ["ada"], "formation": {"kind": "circle"}}))
    out = tmp_path / "out"
    res = run_cli("run", str(EXAMPLE / "example_song.ogg"), "-o", str(out), "--backend", "librosa",
                  "--crowd-spec", str(spec))
    assert res.returncode == 2
    lines = [ln for ln in res.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and "bad.crowd.json" in lines[0] and "formation.kind" in lines[0], res.stderr
    assert not out.exists() or list(out.iterdir()) == []


def _frame(video: Path, frame: int, fps: float, size: tuple[int, int]) -> np.ndarray:
    """One decoded frame of a video (ffmpeg, rgb24)."""
    w, h = size
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(video), "-vf", f"select=eq(n\\,{frame})",
                          "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(h, w, 3).astype(int)


def test_choreo_run_crowd_end_to_end(tmp_path):
    from choreography.sampling import sample_track

    out = tmp_path / "out"
    env_cache = {"CHOREO_CACHE": str(tmp_path / "cache")}
    old = {k: os.environ.get(k) for k in env_cache}
    os.environ.update(env_cache)
    try:
        res = run_cli("run", str(EXAMPLE / "example_song.ogg"), "-o", str(out), "--backend", "librosa",
                      "--crowd", "8", "--size", "640x360", "-q")
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert res.returncode == 0, res.stderr
    doc = json.loads((out / "example_song.choreography.json").read_text())
    crowd = [f"crowd{i:02d}" for i in range(1, 9)]
    assert doc["characters"] == ["ada", *crowd]
    assert all(f"{c}/l_upper_arm.rot" in doc["tracks"] for c in crowd)
    c = artifacts.load(out / "example_song.choreography.json")
    # A frame in a wide shot: every crowd dancer away from the lead shows at its place in the preview.
    shot = next(s for s in doc["shots"] if s["kind"] == "wide" and s["end_frame"] - s["start_frame"] > 48)
    f = shot["start_frame"] + 24
    cam = {k: sample_track(c.tracks[f"camera/{k}"], c.duration_frames)[f] for k in ("zoom", "x", "y")}
    img = _frame(out / "preview.mp4", f, 24.0, (640, 360))
    background = np.median(img, axis=1)  # per row: the gradient, the floor and the light's tint

    def to_output(x, y):
        k = cam["zoom"] * 640 / 1920
        return (x - 960 - cam["x"]) * k + 320, (y - 540 - cam["y"]) * k + 180

    shown = 0
    for rec in doc["provenance"]["crowd"]["dancers"]:
        name, rig = rec["name"], rec["rig"]
        x = rig["bones"][0]["origin"][0] + sample_track(c.tracks[f"{name}/root.x"], c.duration_frames)[f]
        y = rig["bones"][0]["origin"][1] - sample_track(c.tracks[f"{name}/root.y"], c.duration_frames)[f]
        if abs(x - 960) < 250:  # behind the lead
            continue
        chest = sum(b["length"] for b in rig["bones"] if b["name"] in ("spine", "chest")) / 2
        ox, oy = to_output(x, y - chest)
        box = img[int(oy) - 3:int(oy) + 4, int(ox) - 3:int(ox) + 4]
        diff = np.abs(box - background[int(oy) - 3:int(oy) + 4, None, :]).max(axis=-1)
        shown += bool((diff > 30).sum() >= 6)
    assert shown >= 6, f"only {shown} crowd dancers seen in frame {f}"
    empty = img[5:40, 200:440]  # the sky above the crowd, beside the overlay panel
    assert (np.abs(empty - background[5:40, None, :]).max(axis=-1) > 30).sum() < 10
