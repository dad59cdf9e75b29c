"""Rigs: the shipped characters, validation errors that name the file and the bone, forward kinematics."""

from __future__ import annotations

import copy
import json
from importlib import resources

import numpy as np
import pytest

from audio.errors import ChoreoError
from choreography.rig import (
    REQUIRED_BONES,
    RIG_SCHEMA,
    bone_index,
    clamp_to_limits,
    forward_kinematics,
    list_rigs,
    load_rig,
    mirror_index,
    mirror_rotations,
    mouth_xy,
    validate,
    world_angles,
)

SHIPPED = ("ada", "bo")


def shipped_doc(name: str = "ada") -> dict:
    ref = resources.files("choreography") / "data" / "rigs" / f"{name}.json"
    return json.loads(ref.read_text(encoding="utf-8"))


def bone_of(doc: dict, name: str) -> dict:
    return next(b for b in doc["bones"] if b["name"] == name)


def pose(rig, **offsets) -> np.ndarray:
    rot = np.zeros((1, rig.n_bones))
    for name, deg in offsets.items():
        rot[0, bone_index(rig, name)] = deg
    return rot


def write_rig(tmp_path, doc: dict, name: str = "user_rig.json"):
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def reference_fk(rig, rot: np.ndarray, root_xy: np.ndarray) -> np.ndarray:
    """Plain per-frame, per-bone loop in stage coordinates (y down), recursing up the parents."""
    out = np.zeros((rot.shape[0], rig.n_bones, 2, 2))

    def angle(f, i):
        p = rig.parents[i]
        return rig.rest_deg[i] + rot[f, i] + (0.0 if p < 0 else angle(f, p))

    def start(f, i):
        p = rig.parents[i]
        if p < 0:
            return np.array(root_xy[f], dtype=float)
        a = np.deg2rad(angle(f, p))
        along, across = rig.offsets_px[i]
        d = rig.attach[i] * rig.lengths_px[p] + along
        # y-up vector (d, across) rotated by a, then y flipped for the stage
        return start(f, p) + np.array([d * np.cos(a) - across * np.sin(a), -(d * np.sin(a) + across * np.cos(a))])

    for f in range(rot.shape[0]):
        for i in range(rig.n_bones):
            a = np.deg2rad(angle(f, i))
            s = start(f, i)
            out[f, i, 0] = s
            out[f, i, 1] = s + rig.lengths_px[i] * np.array([np.cos(a), -np.sin(a)])
    return out


# --------------------------------------------------------------------------------------------------------------
# Shipped rigs


def test_list_rigs_has_both_characters():
    assert set(SHIPPED) <= set(list_rigs())


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_rig_loads_and_validates(name):
    rig = load_rig(name)
    assert rig.name == name
    assert rig.names[: len(REQUIRED_BONES)] == REQUIRED_BONES
    assert rig.parents[0] == -1 and (rig.parents[1:] >= 0).all()
    assert rig.lengths_px.shape == rig.rest_deg.shape == rig.max_speed_deg_s.shape == (rig.n_bones,)
    assert rig.limits_deg.shape == (rig.n_bones, 2)
    assert ((rig.limits_deg[:, 0] <= 0) & (rig.limits_deg[:, 1] >= 0)).all()
    assert [rig.names[i] for i in rig.feet] == ["l_foot", "r_foot"]
    assert rig.mouth.bone == "head"
    assert rig.shapes[bone_index(rig, "head")] == "ellipse"
    assert sorted(rig.draw_order.tolist()) == list(range(rig.n_bones))
    assert not rig.lengths_px.flags.writeable
    # The file round-trips through to_dict.
    again = validate(rig.to_dict(), path="roundtrip")
    for field in ("lengths_px", "rest_deg", "limits_deg", "max_speed_deg_s", "widths_px", "offsets_px", "origin_xy"):
        np.testing.assert_array_equal(getattr(again, field), getattr(rig, field))
    assert again.colors == rig.colors and again.names == rig.names


def test_characters_have_different_proportions_and_colours():
    ada, bo = load_rig("ada"), load_rig("bo")
    rest = np.zeros((1, ada.n_bones))

    def height(rig):
        seg = forward_kinematics(rig, rest)[0]
        return seg[..., 1].max() - seg[..., 1].min()

    assert height(ada) > 1.3 * height(bo)
    head = bone_index(ada, "head")
    # Bo's head is bigger in absolute terms and much bigger relative to the body.
    assert bo.lengths_px[head] > ada.lengths_px[head]
    assert bo.lengths_px[head] / height(bo) > 1.5 * ada.lengths_px[head] / height(ada)
    thigh = bone_index(ada, "l_thigh")
    assert ada.lengths_px[thigh] > 1.5 * bo.lengths_px[thigh]
    assert ada.colors[bone_index(ada, "chest")] != bo.colors[bone_index(bo, "chest")]


def test_user_rig_loads_by_path(tmp_path):
    doc = shipped_doc("bo")
    doc["name"] = "custom"
    rig = load_rig(write_rig(tmp_path, doc))
    assert rig.name == "custom" and rig.source.endswith("user_rig.json")
    assert load_rig(str(write_rig(tmp_path, doc, "again.json"))).name == "custom"


def test_unknown_rig_name_lists_shipped():
    with pytest.raises(ChoreoError, match="shipped rigs are .*ada"):
        load_rig("nobody")


def test_extra_bones_follow_required_ones(tmp_path):
    doc = shipped_doc()
    tail = {**bone_of(doc, "l_hand"), "name": "tail", "parent": "tail_base"}
    base = {**bone_of(doc, "l_hand"), "name": "tail_base", "parent": "root", "attach": 0}
    doc["bones"] = [tail, *doc["bones"], base]
    rig = load_rig(write_rig(tmp_path, doc))
    assert rig.names[-2:] == ("tail", "tail_base")
    seg = forward_kinematics(rig, np.zeros((1, rig.n_bones)))
    np.testing.assert_allclose(seg[0, bone_index(rig, "tail"), 0], seg[0, bone_index(rig, "tail_base"), 1])


# --------------------------------------------------------------------------------------------------------------
# Forward kinematics


@pytest.mark.parametrize("name", SHIPPED)
def test_rest_pose_head_above_root_and_feet_below(name):
    rig = load_rig(name)
    seg = forward_kinematics(rig, np.zeros((1, rig.n_bones)))[0]
    root_y = seg[bone_index(rig, "root"), 0, 1]
    np.testing.assert_allclose(seg[0, 0], rig.origin_xy)
    head = seg[bone_index(rig, "head")]
    assert head[1, 1] < head[0, 1] < root_y  # y down: smaller is higher
    for foot in ("l_foot", "r_foot"):
        f = seg[bone_index(rig, foot)]
        assert f[0, 1] > root_y and f[1, 1] > root_y
        np.testing.assert_allclose(f[0, 1], f[1, 1], atol=1e-9)  # flat on the ground at rest
    # The character's left is on screen right, and the feet point outward.
    assert seg[bone_index(rig, "l_hand"), 1, 0] > seg[0, 0, 0] > seg[bone_index(rig, "r_hand"), 1, 0]
    assert seg[bone_index(rig, "l_foot"), 1, 0] > seg[bone_index(rig, "l_foot"), 0, 0]
    assert seg[bone_index(rig, "r_foot"), 1, 0] < seg[bone_index(rig, "r_foot"), 0, 0]
    # Arms hang straight down at rest.
    for bone in ("l_upper_arm", "l_forearm", "r_upper_arm", "r_forearm"):
        s = seg[bone_index(rig, bone)]
        np.testing.assert_allclose(s[1] - s[0], [0.0, rig.lengths_px[bone_index(rig, bone)]], atol=1e-9)


@pytest.mark.parametrize("name", SHIPPED)
def test_raising_left_arm_moves_hand_to_screen_right_at_shoulder_height(name):
    rig = load_rig(name)
    rest = forward_kinematics(rig, np.zeros((1, rig.n_bones)))[0]
    up = forward_kinematics(rig, pose(rig, l_upper_arm=90.0))[0]
    shoulder = rest[bone_index(rig, "l_upper_arm"), 0]
    np.testing.assert_allclose(up[bone_index(rig, "l_upper_arm"), 0], shoulder)
    hand_tip = up[bone_index(rig, "l_hand"), 1]
    arm_len = sum(rig.lengths_px[bone_index(rig, b)] for b in ("l_upper_arm", "l_forearm", "l_hand"))
    np.testing.assert_allclose(hand_tip, shoulder + [arm_len, 0.0], atol=1e-9)
    # The mirror motion on the right arm is a negative offset.
    r_up = forward_kinematics(rig, pose(rig, r_upper_arm=-90.0))[0]
    assert r_up[bone_index(rig, "r_hand"), 1, 0] < rest[bone_index(rig, "r_upper_arm"), 0, 0] - 0.9 * arm_len
    # Other bones do not move.
    others = [i for i, b in enumerate(rig.names) if b not in ("l_upper_arm", "l_forearm", "l_hand")]
    np.testing.assert_allclose(up[others], rest[others])


def test_fk_matches_reference_and_preserves_lengths():
    rng = np.random.default_rng(4)
    for name in SHIPPED:
        rig = load_rig(name)
        rot = rng.uniform(rig.limits_deg[:, 0], rig.limits_deg[:, 1], size=(7, rig.n_bones))
        root = rng.uniform([200, 300], [1700, 900], size=(7, 2))
        seg = forward_kinematics(rig, rot, root)
        assert seg.shape == (7, rig.n_bones, 2, 2)
        np.testing.assert_allclose(seg, reference_fk(rig, rot, root), atol=1e-9)
        np.testing.assert_allclose(np.linalg.norm(seg[:, :, 1] - seg[:, :, 0], axis=-1),
                                   np.broadcast_to(rig.lengths_px, (7, rig.n_bones)), atol=1e-9)
        np.testing.assert_allclose(seg[:, 0, 0], root)
        # Each joint attached at a parent's end (no offset) sits exactly there.
        for i, b in enumerate(rig.bones):
            p = rig.parents[i]
            if p >= 0 and b.attach == 1.0 and b.offset_px == (0.0, 0.0):
                np.testing.assert_allclose(seg[:, i, 0], seg[:, p, 1], atol=1e-9)


def test_fk_root_translation_and_rotation():
    rig = load_rig("ada")
    zero = np.zeros((2, rig.n_bones))
    a = forward_kinematics(rig, zero, np.array([[100.0, 200.0], [400.0, 250.0]]))
    np.testing.assert_allclose(a[1] - a[0], np.broadcast_to([300.0, 50.0], a[0].shape), atol=1e-9)
    # Rotating the root by +90 (counter-clockwise) lays the figure down with its head to screen left.
    seg = forward_kinematics(rig, pose(rig, root=90.0))[0]
    head_tip = seg[bone_index(rig, "head"), 1]
    assert head_tip[0] < rig.origin_xy[0] - 200 and abs(head_tip[1] - rig.origin_xy[1]) < 1e-6
    ang = world_angles(rig, pose(rig, root=90.0, spine=10.0))[0]
    assert ang[bone_index(rig, "chest")] == pytest.approx(190.0)


def test_fk_shapes_are_checked():
    rig = load_rig("ada")
    with pytest.raises(ValueError, match=r"rotations\[None\]"):
        forward_kinematics(rig, np.zeros(rig.n_bones))
    with pytest.raises(ValueError, match="root_xy"):
        forward_kinematics(rig, np.zeros((3, rig.n_bones)), np.zeros((2, 2)))
    assert forward_kinematics(rig, np.zeros((0, rig.n_bones))).shape == (0, rig.n_bones, 2, 2)


@pytest.mark.parametrize("name", SHIPPED)
def test_mouth_sits_on_the_head(name):
    rig = load_rig(name)
    for rot in (np.zeros((1, rig.n_bones)), pose(rig, head=30.0, spine=-20.0)):
        seg = forward_kinematics(rig, rot)[0, rig.mouth.index]
        m = mouth_xy(rig, rot)[0]
        t = np.dot(m - seg[0], seg[1] - seg[0]) / rig.lengths_px[rig.mouth.index] ** 2
        assert 0.0 < t < 0.6  # on the lower part of the head
        assert np.linalg.norm(m - (seg[0] + t * (seg[1] - seg[0]))) < 1e-9


@pytest.mark.parametrize("name", SHIPPED)
def test_mirror_is_a_reflection_about_the_root(name):
    rig = load_rig(name)
    rng = np.random.default_rng(7)
    rot = rng.uniform(rig.limits_deg[:, 0], rig.limits_deg[:, 1], size=(5, rig.n_bones))
    mir = mirror_rotations(rig, rot)
    assert (clamp_to_limits(rig, mir) == mir).all(), "the limits are mirror-symmetric"
    a = forward_kinematics(rig, rot)
    b = forward_kinematics(rig, mir)
    perm = mirror_index(rig)
    reflected = a[:, perm].copy()
    reflected[..., 0] = 2 * rig.origin_xy[0] - reflected[..., 0]
    np.testing.assert_allclose(b, reflected, atol=1e-9)
    assert rig.names[perm[bone_index(rig, "l_hand")]] == "r_hand" and perm[0] == 0


# --------------------------------------------------------------------------------------------------------------
# Limits


def test_clamp_to_limits():
    rig = load_rig("ada")
    rot = np.zeros((3, rig.n_bones))
    rot[0] = 1e4
    rot[1] = -1e4
    rot[2, bone_index(rig, "l_forearm")] = 45.0
    out = clamp_to_limits(rig, rot)
    np.testing.assert_array_equal(out[0], rig.limits_deg[:, 1])
    np.testing.assert_array_equal(out[1], rig.limits_deg[:, 0])
    np.testing.assert_array_equal(out[2], rot[2])  # inside the limits: unchanged
    assert rot[0, 0] == 1e4, "the input is not modified"
    single = clamp_to_limits(rig, np.full(rig.n_bones, 500.0))
    assert single.shape == (rig.n_bones,)
    with pytest.raises(ValueError):
        clamp_to_limits(rig, np.zeros((2, 3)))


def test_bone_index_names_the_bone():
    rig = load_rig("bo")
    assert bone_index(rig, "root") == 0
    assert rig.names[bone_index(rig, "r_shin")] == "r_shin"
    with pytest.raises(ChoreoError, match="no bone 'l_forarm'.*'l_forearm'"):
        bone_index(rig, "l_forarm")


# --------------------------------------------------------------------------------------------------------------
# Validation: every error names the file and the bone or field


def _set(bone: str, field: str, value):
    def edit(doc):
        bone_of(doc, bone)[field] = value
    return edit


def _drop(bone: str, field: str):
    def edit(doc):
        del bone_of(doc, bone)[field]
    return edit


def _remove_bone(bone: str):
    def edit(doc):
        doc["bones"] = [b for b in doc["bones"] if b["name"] != bone]
    return edit


def _duplicate(bone: str):
    def edit(doc):
        doc["bones"].append(copy.deepcopy(bone_of(doc, bone)))
    return edit


def _top(field: str, value):
    def edit(doc):
        doc[field] = value
    return edit


BAD_BONES = [
    # (edit, words the message must contain: the bone or field, and the problem)
    (_drop("l_shin", "length"), ["'l_shin'", "'length' is missing"]),
    (_drop("head", "limits"), ["'head'", "'limits' is missing"]),
    (_set("neck", "parent", "torso"), ["'neck'", "parent 'torso'", "not a bone"]),
    (_duplicate("l_hand"), ["'l_hand'", "duplicate"]),
    (_set("l_shin", "length", float("nan")), ["'l_shin'", "length", "finite"]),
    (_set("r_thigh", "length", float("inf")), ["'r_thigh'", "length", "finite"]),
    (_set("spine", "length", -5), ["'spine'", "length", ">= 0"]),
    (_set("l_forearm", "length", "long"), ["'l_forearm'", "length", "expected a finite number"]),
    (_set("chest", "rest", float("nan")), ["'chest'", "rest", "finite"]),
    (_set("l_forearm", "limits", [40, -10]), ["'l_forearm'", "limits", "min > max"]),
    (_set("l_forearm", "limits", [10, 150]), ["'l_forearm'", "limits", "does not contain 0"]),
    (_set("l_forearm", "limits", [float("nan"), 10]), ["'l_forearm'", "limits", "finite"]),
    (_set("l_forearm", "limits", [0]), ["'l_forearm'", "limits", "two numbers"]),
    (_set("r_hand", "max_speed_deg_s", 0), ["'r_hand'", "max_speed_deg_s", "> 0"]),
    (_set("r_hand", "width", -1), ["'r_hand'", "width", "> 0"]),
    (_set("r_hand", "color", "red"), ["'r_hand'", "color", "#rrggbb"]),
    (_set("r_hand", "color", "#12345g"), ["'r_hand'", "color"]),
    (_set("r_hand", "z", 1.5), ["'r_hand'", "'z'", "integer"]),
    (_set("r_hand", "shape", "box"), ["'r_hand'", "shape", "capsule"]),
    (_set("r_hand", "attach", 2), ["'r_hand'", "attach", "0..1"]),
    (_set("l_thigh", "offset", [1, "x"]), ["'l_thigh'", "offset"]),
    (_drop("root", "origin"), ["'root'", "origin", "missing"]),
    (_set("chest", "origin", [0, 0]), ["'chest'", "origin", "only for the bone 'root'"]),
    (_set("chest", "parent", None), ["'chest'", "only the bone 'root'"]),
    (_set("root", "parent", "spine"), ["cycle", "root", "spine"]),
    (_remove_bone("r_hand"), ["'r_hand'", "required bone is missing"]),
    (_remove_bone("l_foot"), ["'l_foot'", "required bone is missing"]),
    (_top("feet", ["l_foot", "tail"]), ["feet[1]", "'tail'", "not a bone"]),
    (_top("feet", ["l_foot", "l_foot"]), ["feet[1]", "'l_foot'", "twice"]),
    (_top("mouth", {"bone": "face", "offset": [0, 0], "size": 10}), ["mouth", "'face'", "not a bone"]),
    (_top("mouth", {"bone": "head", "offset": [0, 0]}), ["mouth", "'size' is missing"]),
    (_top("mouth", {"bone": "head", "offset": [0, 0], "size": float("nan")}), ["mouth", "size", "finite"]),
    (_top("schema", "choreo.rig/9"), ["schema", "choreo.rig/9"]),
    (_top("bones", []), ["bones", "non-empty"]),
]


@pytest.mark.parametrize(("edit", "words"), BAD_BONES, ids=[f"{i}-{w[0]}-{w[1]}" for i, (_, w) in
                                                           enumerate(BAD_BONES)])
def test_validation_errors_name_the_file_and_the_bone(tmp_path, edit, words):
    doc = shipped_doc("ada")
    edit(doc)
    path = write_rig(tmp_path, doc, "broken_rig.json")
    with pytest.raises(ChoreoError) as info:
        load_rig(path)
    message = str(info.value)
    assert message.startswith(str(path)), message
    assert info.value.path == str(path)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


def test_cycle_is_detected_and_named(tmp_path):
    doc = shipped_doc("bo")
    bone_of(doc, "spine")["parent"] = "neck"  # spine -> neck -> chest -> spine
    with pytest.raises(ChoreoError, match="cycle") as info:
        load_rig(write_rig(tmp_path, doc, "loop.json"))
    message = str(info.value)
    assert "loop.json" in message
    for bone in ("spine", "neck", "chest"):
        assert bone in message
    doc = shipped_doc("bo")
    bone_of(doc, "l_hand")["parent"] = "l_hand"
    with pytest.raises(ChoreoError, match=r"'l_hand'.*cycle \(l_hand -> l_hand"):
        load_rig(write_rig(tmp_path, doc, "self.json"))


def test_missing_top_level_fields_and_typos(tmp_path):
    doc = shipped_doc()
    del doc["feet"]
    with pytest.raises(ChoreoError, match="'feet' is missing"):
        load_rig(write_rig(tmp_path, doc))
    doc = shipped_doc()
    del doc["schema"]
    with pytest.raises(ChoreoError, match=RIG_SCHEMA):
        load_rig(write_rig(tmp_path, doc))
    doc = shipped_doc()
    bone_of(doc, "l_shin")["lenght"] = bone_of(doc, "l_shin").pop("length")
    with pytest.raises(ChoreoError, match="'l_shin'.*'length' is missing.*'lenght'"):
        load_rig(write_rig(tmp_path, doc))


def test_unreadable_files_name_the_file(tmp_path):
    with pytest.raises(ChoreoError, match="not found") as info:
        load_rig(tmp_path / "absent.json")
    assert "absent.json" in str(info.value)
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(ChoreoError, match="bad.json.*not valid JSON"):
        load_rig(bad)
    lst = tmp_path / "list.json"
    lst.write_text("[]", encoding="utf-8")
    with pytest.raises(ChoreoError, match="list.json"):
        load_rig(lst)
    doc = shipped_doc()
    doc["bones"][3] = "neck"
    with pytest.raises(ChoreoError, match=r"bones\[3\] is not a JSON object"):
        load_rig(write_rig(tmp_path, doc))
    doc = shipped_doc()
    del doc["bones"][3]["name"]
    with pytest.raises(ChoreoError, match=r"bones\[3\].*'name'"):
        load_rig(write_rig(tmp_path, doc))
