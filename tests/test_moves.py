"""Move library: format validation, the shipped default library, mirroring, sampling with eases, solver arrays."""

from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest

from audio.errors import ChoreoError
from choreography.moves import (
    BONES,
    EASES,
    MIRROR_SUFFIX,
    STYLES,
    TAGS,
    FrozenPose,
    apply_ease,
    library_arrays,
    load_moves,
    mirror_pose,
    moves_from_dict,
    pose_distance,
    pose_vector,
    sample_move,
)
from choreography.rig import load_rig

# Plausible joint ranges (degrees, offsets from rest) that the shipped library keeps to: the joint limits of
# the shipped rigs (ada, bo) when the library was written. Knees and elbows bend one way only.
PLAUSIBLE_DEG = {
    "root": (-90, 90), "spine": (-45, 45), "chest": (-30, 30), "neck": (-30, 30), "head": (-40, 40),
    "l_upper_arm": (-45, 190), "l_forearm": (-10, 150), "l_hand": (-80, 80),
    "r_upper_arm": (-190, 45), "r_forearm": (-150, 10), "r_hand": (-80, 80),
    "l_thigh": (-30, 110), "l_shin": (-140, 15), "l_foot": (-40, 50),
    "r_thigh": (-110, 30), "r_shin": (-15, 140), "r_foot": (-50, 40),
}
READY = {"l_upper_arm": 6, "l_forearm": 10, "r_upper_arm": -6, "r_forearm": -10}
SHIPPED_RIGS = ("ada", "bo")
# Asymmetric moves that must not be mirrored (their mirror image would mean something else). None so far: every
# asymmetric shipped move may be mirrored or has a hand-authored twin.
ONE_SIDED: frozenset[str] = frozenset()


@pytest.fixture(scope="module")
def lib():
    return load_moves()


def _doc(**move_overrides):
    move = {
        "name": "mv", "beats": 2, "energy": 0.5, "tags": ["arms"], "mirror": True,
        "keys": [
            {"beat": 0, "pose": "rest"},
            {"beat": 1, "pose": {"l_upper_arm": 90, "head": 5, "root_y": 3}, "ease": "out"},
            {"beat": 2, "pose": "rest"},
        ],
    }
    move.update(move_overrides)
    other = {"name": "other", "beats": 1, "energy": 0.2, "keys": [{"beat": 0, "pose": {}}]}
    return {"schema": "choreo.moves/1", "name": "test", "moves": [other, move]}


def _write(tmp_path, doc, name="lib.json"):
    p = tmp_path / name
    p.write_text(json.dumps(doc), encoding="utf-8")  # json.dumps writes NaN / Infinity literals
    return p


# ------------------------------------------------------------------------------------------ default library


def test_default_library_loads(lib):
    assert len(lib) >= 110
    assert len(set(lib.names)) == len(lib)
    energy = np.array([m.energy for m in lib])
    assert energy.min() <= 0.1 and energy.max() >= 0.9
    used = {t for m in lib for t in m.tags}
    assert used == set(TAGS)
    for name in ("idle_breathe", "side_sway", "clap", "double_clap", "grapevine", "jump", "star_jump", "robot",
                 "floss", "dab", "running_man", "chicken_dance", "wind_up_pose", "freeze_pose", "arm_wave_l",
                 "arm_wave_r", "step_touch_l", "step_touch_r"):
        assert name in lib
    assert load_moves() is lib  # cached


def test_default_library_moves_are_well_formed(lib):
    for m in lib:
        assert m.beats in (1, 2, 4, 8)
        assert m.keys[0].beat == 0 and m.keys[-1].beat == m.beats, m.name
        for h in m.hits:
            assert 0 <= h <= m.beats
        for f in m.feet:
            assert f.foot in ("l_foot", "r_foot")
    # Jumps leave the ground and crouch first (anticipation).
    for name in ("jump", "star_jump"):
        v = sample_move(lib[name], np.linspace(0, 2, 81))
        assert v[:, -1].max() > 40 and v[:40, -1].min() < -20


def test_default_library_stays_in_plausible_joint_ranges(lib):
    lo = np.array([PLAUSIBLE_DEG[b][0] for b in BONES])
    hi = np.array([PLAUSIBLE_DEG[b][1] for b in BONES])
    for m in lib.with_mirrors():
        v = sample_move(m, np.linspace(0, m.beats, 200 * m.beats + 1))[:, : len(BONES)]
        bad = (v < lo - 1e-9) | (v > hi + 1e-9)
        assert not bad.any(), (m.name, [BONES[j] for j in np.flatnonzero(bad.any(axis=0))])


def test_default_library_chains_from_near_neutral(lib):
    near = [m for m in lib if pose_distance(m.entry, READY) <= 20 and pose_distance(m.exit, READY) <= 20]
    assert len(near) >= 0.8 * len(lib)


def test_twins_are_mirror_images(lib):
    twins = [m for m in lib if m.twin is not None]
    assert len(twins) >= 2
    for m in twins:
        other = lib[m.twin]
        assert other.twin == m.name and not m.mirror
        assert [k.pose for k in m.mirrored().keys] == [k.pose for k in other.keys]
        assert lib.mirror_name(m.name) == other.name


def test_default_library_styles(lib):
    for m in lib:
        assert 1 <= len(m.styles) <= 3, m.name
        assert set(m.styles) <= set(STYLES) and list(m.styles) == [s for s in STYLES if s in m.styles], m.name
    for style in STYLES:
        assert sum(style in m.styles for m in lib) >= 5, style


def test_default_library_spread(lib):
    beats = [m.beats for m in lib]
    for b in (2, 4, 8):
        assert beats.count(b) >= 8, b
    per_band, _ = np.histogram([m.energy for m in lib], bins=[0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert per_band.min() >= 8, per_band
    assert sum("hold" in m.tags for m in lib) >= 10 and sum("accent" in m.tags for m in lib) >= 20


@pytest.mark.parametrize("rig_name", SHIPPED_RIGS)
def test_default_library_stays_inside_the_rigs_limits(lib, rig_name):
    # Every key pose, and every pose in between (overshoot eases go past their keys), of every move and its
    # mirror image, is inside the shipped rig's joint limits.
    rig = load_rig(rig_name)
    cols = [rig.index[b] for b in BONES]
    lo, hi = rig.limits_deg[cols, 0], rig.limits_deg[cols, 1]
    for m in lib.with_mirrors():
        keys = np.stack([pose_vector(k.pose) for k in m.keys])[:, : len(BONES)]
        v = sample_move(m, np.linspace(0, m.beats, 200 * m.beats + 1))[:, : len(BONES)]
        for what, x in (("key", keys), ("sampled", v)):
            bad = (x < lo - 1e-9) | (x > hi + 1e-9)
            assert not bad.any(), (rig_name, m.name, what, [BONES[j] for j in np.flatnonzero(bad.any(axis=0))])


def _symmetric(m) -> bool:
    mm = m.mirrored()
    same = all(abs(a.pose.get(k, 0.0) - b.pose.get(k, 0.0)) <= 0.11
               for a, b in zip(m.keys, mm.keys, strict=True) for k in set(a.pose) | set(b.pose))
    return same and sorted((f.foot, f.start_beat, f.end_beat) for f in m.feet) == sorted(
        (f.foot, f.start_beat, f.end_beat) for f in mm.feet)


def test_asymmetric_moves_have_a_mirror_image(lib):
    for m in lib:
        if _symmetric(m):
            assert not m.mirror, f"{m.name} is its own mirror image; mirroring it only duplicates it"
        else:
            assert m.mirror or m.twin is not None or m.name in ONE_SIDED, f"{m.name} is one-sided"


@pytest.mark.parametrize("rig_name", SHIPPED_RIGS)
def test_default_library_plants_both_feet_consistently(lib, rig_name):
    # Where a move plants both feet at once, the ankles keep their distance (the solver holds one planted foot
    # by moving the root; the other must not slide): within 9 px on the rig, key poses and in between.
    from choreography.moves import REFERENCE_LEG_PX
    from choreography.rig import forward_kinematics

    rig = load_rig(rig_name)
    scale = (rig.lengths_px[rig.index["l_thigh"]] + rig.lengths_px[rig.index["l_shin"]]) / REFERENCE_LEG_PX
    worst = 0.0
    for m in lib:
        t = np.linspace(0, m.beats, 48 * m.beats + 1)
        v = sample_move(m, t, BONES, root_scale=scale)
        rot = np.zeros((t.size, rig.n_bones))
        rot[:, [rig.index[b] for b in BONES]] = v[:, : len(BONES)]
        ankle = forward_kinematics(rig, rot, v[:, -2:] * np.array([1.0, -1.0]))[:, :, 0, :]
        for f in (f for f in m.feet if f.foot == "l_foot"):
            for g in (g for g in m.feet if g.foot == "r_foot"):
                a, b = max(f.start_beat, g.start_beat), min(f.end_beat, g.end_beat)
                if b > a:
                    s = (t >= a - 1e-9) & (t <= b + 1e-9)
                    d = ankle[s, rig.index["l_foot"]] - ankle[s, rig.index["r_foot"]]
                    drift = float(np.abs(d - d[0]).max())
                    worst = max(worst, drift)
                    assert drift < 9.0, (m.name, a, b, drift)
    assert worst > 0.0


# ------------------------------------------------------------------------------------------ validation

BAD_CASES = {
    "duplicate name": (lambda d: d["moves"].append(copy.deepcopy(d["moves"][1])), "mv", "name"),
    "unknown bone": (lambda d: d["moves"][1]["keys"][1]["pose"].update(l_elbow=10), "mv", "keys[1].pose.l_elbow"),
    "NaN in pose": (lambda d: d["moves"][1]["keys"][1]["pose"].update(head=math.nan), "mv", "keys[1].pose.head"),
    "inf root": (lambda d: d["moves"][1]["keys"][1]["pose"].update(root_y=math.inf), "mv", "keys[1].pose.root_y"),
    "NaN beats": (lambda d: d["moves"][1].update(beats=math.nan), "mv", "beats"),
    "NaN key beat": (lambda d: d["moves"][1]["keys"][1].update(beat=math.nan), "mv", "keys[1].beat"),
    "keys not increasing": (lambda d: d["moves"][1]["keys"][1].update(beat=0), "mv", "keys[1].beat"),
    "key after the end": (lambda d: d["moves"][1]["keys"][2].update(beat=2.5), "mv", "keys[2].beat"),
    "key before the start": (lambda d: d["moves"][1]["keys"][0].update(beat=-0.5), "mv", "keys[0].beat"),
    "zero beats": (lambda d: d["moves"][1].update(beats=0), "mv", "beats"),
    "negative beats": (lambda d: d["moves"][1].update(beats=-4), "mv", "beats"),
    "fractional beats": (lambda d: d["moves"][1].update(beats=2.5), "mv", "beats"),
    "energy above 1": (lambda d: d["moves"][1].update(energy=1.5), "mv", "energy"),
    "energy below 0": (lambda d: d["moves"][1].update(energy=-0.1), "mv", "energy"),
    "energy NaN": (lambda d: d["moves"][1].update(energy=math.nan), "mv", "energy"),
    "energy missing": (lambda d: d["moves"][1].pop("energy"), "mv", "energy"),
    "unknown ease": (lambda d: d["moves"][1]["keys"][1].update(ease="bounce"), "mv", "keys[1].ease"),
    "unknown tag": (lambda d: d["moves"][1].update(tags=["arms", "fancy"]), "mv", "tags[1]"),
    "unknown style": (lambda d: d["moves"][1].update(styles=["jazz", "jaz"]), "mv", "styles[1]"),
    "styles not a list": (lambda d: d["moves"][1].update(styles="jazz"), "mv", "styles"),
    "mirror not bool": (lambda d: d["moves"][1].update(mirror="yes"), "mv", "mirror"),
    "misspelt field": (lambda d: d["moves"][1].update(enregy=0.5), "mv", "enregy"),
    "unknown pose name": (lambda d: d["moves"][1]["keys"][0].update(pose="ready"), "mv", "keys[0].pose"),
    "bad entry": (lambda d: d["moves"][1].update(entry={"tail": 3}), "mv", "entry.tail"),
    "foot span outside": (lambda d: d["moves"][1].update(feet=[{"foot": "l_foot", "from": 1, "to": 3}]),
                          "mv", "feet[0].to"),
    "foot not a bone": (lambda d: d["moves"][1].update(feet=[{"foot": "l_toe", "from": 0, "to": 1}]),
                        "mv", "feet[0].foot"),
    "hit outside": (lambda d: d["moves"][1].update(hits=[3]), "mv", "hits[0]"),
    "twin missing": (lambda d: d["moves"][1].update(twin="nope", mirror=False), "mv", "twin"),
    "twin one-sided": (lambda d: d["moves"][1].update(twin="other", mirror=False), "mv", "twin"),
    "no keys": (lambda d: d["moves"][1].update(keys=[]), "mv", "keys"),
    "root and lean": (lambda d: d["moves"][1]["keys"][1]["pose"].update(root=3, lean=2), "mv", "keys[1].pose.lean"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_validation_errors_name_file_move_and_field(tmp_path, case):
    mutate, move, fld = BAD_CASES[case]
    doc = _doc()
    mutate(doc)
    path = _write(tmp_path, doc, name="my_moves.json")
    with pytest.raises(ChoreoError) as err:
        load_moves(path)
    msg = str(err.value)
    assert str(path) in msg
    assert f"move {move!r}" in msg
    assert f"field {fld}:" in msg


def test_unknown_style_suggests_the_nearest(tmp_path):
    doc = _doc(styles=["hiphop"])
    with pytest.raises(ChoreoError, match=r"styles\[0\]: unknown style 'hiphop' \(did you mean 'hip_hop'\?\)"):
        load_moves(_write(tmp_path, doc))


def test_validation_of_the_document(tmp_path):
    doc = _doc()
    doc["schema"] = "choreo.moves/0"
    with pytest.raises(ChoreoError, match=r"my\.json: field schema"):
        load_moves(_write(tmp_path, doc, "my.json"))
    doc = _doc()
    doc["moves"][1]["name"] = ""
    with pytest.raises(ChoreoError, match=r"moves\[1\], field name"):
        load_moves(_write(tmp_path, doc))
    with pytest.raises(ChoreoError, match="not found"):
        load_moves(tmp_path / "missing.json")
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    with pytest.raises(ChoreoError, match="broken.json"):
        load_moves(tmp_path / "broken.json")


def test_valid_document_loads_with_defaults(tmp_path):
    doc = _doc()
    doc["poses"] = {"arms_out": {"l_upper_arm": 90, "r_upper_arm": -90}}
    doc["moves"][1]["keys"][1]["pose"] = "arms_out"
    doc["moves"][1]["keys"][0]["pose"] = {"lean": 5}
    lib = load_moves(_write(tmp_path, doc))
    mv = lib["mv"]
    assert mv.keys[0].ease == "in_out"  # default ease
    assert mv.keys[0].pose == {"root": 5.0}  # lean is the root's rotation
    assert mv.entry == mv.keys[0].pose and mv.exit == {}  # missing bones are rest
    assert mv.keys[1].pose["l_upper_arm"] == 90
    assert mv.styles == () and lib["other"].styles == ()  # styles are optional
    doc["moves"][1]["styles"] = ["playful", "jazz", "jazz"]
    lib = load_moves(_write(tmp_path, doc))
    assert lib["mv"].styles == ("playful", "jazz")  # in STYLES order, once each
    again = moves_from_dict(lib.to_dict())
    assert again.moves == lib.moves


# ------------------------------------------------------------------------------------------ mirroring


def test_mirror_pose_swaps_sides_and_negates():
    pose = {"l_upper_arm": 90.0, "r_forearm": -30.0, "head": 12.0, "root": -4.0, "root_x": 20.0, "root_y": 35.0}
    m = mirror_pose(pose)
    assert m == {"r_upper_arm": -90.0, "l_forearm": 30.0, "head": -12.0, "root": 4.0, "root_x": -20.0,
                 "root_y": 35.0}
    assert mirror_pose(m) == pose


def test_move_mirrored_twice_is_identity(lib):
    for m in lib:
        mm = m.mirrored()
        assert mm.name == m.name + MIRROR_SUFFIX and mm.is_mirrored
        assert mm.mirrored() == m
    wave = lib["arm_wave_l"].mirrored()
    assert wave.keys[1].pose["r_upper_arm"] == -lib["arm_wave_l"].keys[1].pose["l_upper_arm"]
    kick = lib["kick"].mirrored()
    assert {f.foot for f in kick.feet} == {"l_foot"}  # the standing foot swaps too


def test_with_mirrors_and_mirror_index(lib):
    full = lib.with_mirrors()
    n_mirror = sum(m.mirror for m in lib)
    assert len(full) == len(lib) + n_mirror
    a = library_arrays(full)
    mi = a["mirror_index"]
    assert (mi >= 0).all()
    assert (mi[mi] == np.arange(len(full))).all()
    i = full.index("dab")
    assert full.names[mi[i]] == "dab~m"
    assert library_arrays(lib)["mirror_index"][lib.index("dab")] == -1  # its image is not in the plain library


# ------------------------------------------------------------------------------------------ sampling


def test_sample_at_key_beats_is_exact(lib):
    for m in lib.with_mirrors():
        beats = np.array([k.beat for k in m.keys])
        v = sample_move(m, beats)
        want = np.stack([pose_vector(k.pose) for k in m.keys])
        assert np.array_equal(v, want), m.name


def _move(ease, a=0.0, b=100.0):
    doc = {"schema": "choreo.moves/1", "name": "t", "moves": [{
        "name": "m", "beats": 2, "energy": 0.5,
        "keys": [{"beat": 0, "pose": {"head": a}}, {"beat": 1, "pose": {"head": a}},
                 {"beat": 2, "pose": {"head": b, "root_y": b}, "ease": ease}]}]}
    return moves_from_dict(doc)["m"]


def test_hold_holds_then_jumps():
    m = _move("hold", 10.0, 40.0)
    t = np.linspace(1.0, 2.0, 101)
    v = sample_move(m, t)
    head = v[:, BONES.index("head")]
    assert np.all(head[:-1] == 10.0) and head[-1] == 40.0
    assert v[-1, -1] == 40.0


def test_overshoot_goes_past_then_settles():
    m = _move("overshoot", 0.0, 100.0)
    t = np.linspace(1.0, 2.0, 1001)
    head = sample_move(m, t)[:, BONES.index("head")]
    peak = head.max()
    assert 108.0 < peak < 112.0  # about 10 % past the target
    assert 1.3 < t[head.argmax()] < 1.8
    assert head[-1] == 100.0
    assert np.all(np.diff(head[head.argmax():]) <= 1e-12)  # settles back without ringing


def test_anticipate_dips_backward_first():
    m = _move("anticipate", 0.0, 100.0)
    head = sample_move(m, np.linspace(1.0, 2.0, 1001))[:, BONES.index("head")]
    assert -12.0 < head.min() < -8.0
    assert head[0] == 0.0 and head[-1] == 100.0


@pytest.mark.parametrize("ease", EASES)
def test_eases_start_at_0_and_end_at_1(ease):
    code = EASES.index(ease)
    u = apply_ease(np.array([0.0, 1.0]), code)
    assert u[0] == 0.0 and u[1] == 1.0
    if ease in ("linear", "in", "out", "in_out"):
        assert np.all(np.diff(apply_ease(np.linspace(0, 1, 101), code)) >= 0)


def test_sample_clamps_outside_the_move_and_rejects_nan(lib):
    m = lib["clap"]
    v = sample_move(m, np.array([-1.0, 0.0, 2.0, 5.0]))
    assert np.array_equal(v[0], v[1]) and np.array_equal(v[2], v[3])
    with pytest.raises(ValueError):
        sample_move(m, np.array([0.0, np.nan]))
    assert sample_move(m, np.zeros(0)).shape == (0, len(BONES) + 2)


def test_sample_respects_bone_order_and_root_scale(lib):
    m = lib["jump"]
    names = list(reversed(BONES)) + ["tail"]
    t = np.linspace(0, 2, 9)
    v = sample_move(m, t, names, root_scale=2.0)
    ref = sample_move(m, t)
    assert v.shape == (9, len(names) + 2)
    assert np.allclose(v[:, names.index("l_thigh")], ref[:, BONES.index("l_thigh")])
    assert np.all(v[:, names.index("tail")] == 0.0)
    assert np.allclose(v[:, -2:], 2.0 * ref[:, -2:])


# ------------------------------------------------------------------------------------------ poses and arrays


def test_pose_vector_and_distance():
    v = pose_vector({"head": 5, "lean": -3, "root_x": 7, "root_y": -2})
    assert v.shape == (len(BONES) + 2,)
    assert v[BONES.index("head")] == 5 and v[BONES.index("root")] == -3 and v[-2] == 7 and v[-1] == -2
    with pytest.raises(ChoreoError, match="l_elbow"):
        pose_vector({"l_elbow": 3})
    a = {"l_thigh": 10.0}
    assert pose_distance(a, a) == 0.0
    assert pose_distance(a, {}) == pose_distance({}, a)
    assert pose_distance({"l_thigh": 10.0}, {}) > pose_distance({"l_forearm": 10.0}, {})  # legs weigh more
    assert pose_distance({"root_x": 50.0}, {}) == 0.0  # travel is relative to the move's start
    assert pose_distance({"root_y": 10.0}, {}) > 0.0
    assert pose_distance(FrozenPose({"lean": 4}), {"root": 4}) == 0.0


def test_library_arrays_shapes(lib):
    a = library_arrays(lib)
    n, nb = len(lib), len(BONES)
    assert a["names"] == lib.names
    assert a["energy"].shape == (n,) and a["energy"].dtype == np.float64
    assert a["beats"].shape == (n,) and a["beats"].dtype == np.int64
    assert a["entry"].shape == (n, nb + 2) and a["exit"].shape == (n, nb + 2)
    assert a["tags"].shape == (n, len(TAGS)) and a["tags"].dtype == bool
    assert a["tags"].any(axis=0).all()
    assert a["styles"].shape == (n, len(STYLES)) and a["styles"].dtype == bool and a["style_names"] == STYLES
    assert a["styles"].any(axis=0).all()
    for i, m in enumerate(lib):
        assert tuple(s for s, on in zip(STYLES, a["styles"][i], strict=True) if on) == m.styles
    assert a["weights"].shape == (nb + 2,)
    d = a["transition_deg"]
    assert d.shape == (n, n) and np.all(d >= 0)
    i, j = lib.index("clap"), lib.index("twist")  # ready -> wide stance costs something; ready -> ready nothing
    assert d[i, lib.index("jump")] == 0.0 and d[i, j] > 0.0
    assert math.isclose(d[i, j], pose_distance(lib["clap"].exit, lib["twist"].entry))
    assert np.all(a["travel_px"] == 0.0)  # shipped moves come back to where they started
    rig_order = list(reversed(BONES))
    b = library_arrays(lib, rig_order)
    assert np.allclose(b["transition_deg"], d)
    assert np.array_equal(b["entry"][:, rig_order.index("l_thigh")], a["entry"][:, BONES.index("l_thigh")])
