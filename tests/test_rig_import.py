"""Cut-out rigs from layered files: .ora and .psd round trips, pivots, the mouth set, errors, and the rendering.

The layered files are made here: OpenRaster with the example-character tool's writer and by hand (stack.xml
written in the test, to pin the format's conventions), Photoshop with psd-tools. Each bone is drawn as a
capsule in a colour of its own along the skeleton ``ada`` scaled by ``S`` and shifted by ``T`` in the art, so
where every part must end up is known from the skeleton, not from the importer.
"""

from __future__ import annotations

import colorsys
import importlib.util
import io
import json
import sys
import zipfile
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from audio.errors import ChoreoError
from choreography.model import SHAPES, Choreography, MouthCue, MouthTrack, Track
from choreography.rig import forward_kinematics, load_rig, mouth_xy, validate, world_angles
from choreography.rig_import import RigMap, import_rig, load_map, read_artwork, write_rig
from render.frames import FrameRenderer
from render.spec import RenderSpec
from tests.conftest import ROOT, run_cli

S = 2.0  # art px per stage px
T = np.array([-1700.0, -1000.0])  # art = S * stage + T
CANVAS = (520, 1080)
MARKER_SHIFT = np.array([6.0, -4.0])  # art px: the l_forearm marker sits off the skeleton's elbow

_spec = importlib.util.spec_from_file_location("make_example_character", ROOT / "tools" / "make_example_character.py")
tool = sys.modules.setdefault(_spec.name, importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(tool)
Node = tool.Node


@pytest.fixture(scope="module")
def ada():
    return load_rig("ada")


def _colors(n: int) -> list[tuple[int, int, int]]:
    return [tuple(int(round(255 * v)) for v in colorsys.hsv_to_rgb(i / n, 1.0, 1.0)) for i in range(n)]


BONE_COLORS = dict(zip(load_rig("ada").names, _colors(17), strict=True))
SHAPE_COLORS = {s: (40 + 20 * i, 20, 255 - 20 * i) for i, s in enumerate(SHAPES)}


def _capsule(p0: np.ndarray, p1: np.ndarray, width: float, color) -> Node:
    """A capsule rasterised by pixel centres (symmetric, so its centroid is the segment's middle), cropped."""
    lo = np.floor(np.minimum(p0, p1) - width).astype(int)
    hi = np.ceil(np.maximum(p0, p1) + width).astype(int)
    ys, xs = np.mgrid[lo[1]:hi[1], lo[0]:hi[0]]
    px = np.stack([xs + 0.5, ys + 0.5], axis=-1)
    d = p1 - p0
    u = np.clip(((px - p0) @ d) / max(float(d @ d), 1e-9), 0.0, 1.0)
    inside = np.hypot(*np.moveaxis(px - (p0 + u[..., None] * d), -1, 0)) <= width / 2
    rgba = np.zeros((*inside.shape, 4), np.uint8)
    rgba[inside] = (*color, 255)
    return Node("", rgba, int(lo[0]), int(lo[1]))


def _rect(center: np.ndarray, w: int, h: int, color) -> Node:
    rgba = np.zeros((h, w, 4), np.uint8)
    rgba[...] = (*color, 255)
    return Node("", rgba, int(round(center[0] - w / 2)), int(round(center[1] - h / 2)))


def art_layers(rig, *, drop=(), rename=None, extra=(), marker=True, shapes=SHAPES, hand_opacity=0.5) -> list[Node]:
    """Back-to-front layers of the test character on ``rig``'s rest pose (see the module docstring)."""
    rename = rename or {}
    seg = forward_kinematics(rig, np.zeros((1, rig.n_bones)))[0] * S + T
    layers = []
    for i, name in enumerate(rig.names):
        a, b = seg[i]
        # Inset so that no two parts overlap: each part's visible centre is its drawn centre in any pose.
        node = _capsule(a + 0.2 * (b - a), a + 0.8 * (b - a), min(rig.widths_px[i], 16.0) * S, BONE_COLORS[name])
        node.name = rename.get(name, name)
        if name in ("l_hand", "r_hand"):
            node.opacity = hand_opacity
        if name not in drop:
            layers.append(node)
    anchor = mouth_xy(rig, np.zeros((1, rig.n_bones)))[0] * S + T
    mouth = []
    for k, shape in enumerate(shapes):
        node = _rect(anchor, 20 + 2 * k, 8 + 2 * k, SHAPE_COLORS.get(shape, (0, 0, 0)))
        node.name = shape
        node.visible = shape == "X"
        mouth.append(node)
    if mouth:
        layers.append(Node("mouth", children=mouth))
    if marker:
        dot = _rect(seg[rig.index["l_forearm"], 0] + MARKER_SHIFT, 4, 4, (255, 0, 255))
        dot.name = "pivot:l_forearm"
        layers.append(Node("pivots", children=[dot]))
    return layers + list(extra)


def write_psd(path: Path, layers: list[Node]) -> Path:
    """The same layers as a Photoshop file, written by psd-tools (groups and hidden layers included)."""
    from psd_tools import PSDImage
    from psd_tools.api.layers import PixelLayer

    psd = PSDImage.new("RGBA", CANVAS)

    def layer(node: Node) -> PixelLayer:
        out = PixelLayer.frompil(Image.fromarray(node.rgba, "RGBA"), psd, node.name, top=node.y, left=node.x)
        out.opacity = int(round(255 * node.opacity))
        out.visible = node.visible
        return out

    for node in layers:  # back to front; groups one level deep, as the test art has them
        if node.rgba is None:
            group = psd.create_group(name=node.name)
            for child in node.children:
                group.append(layer(child))
            group.visible = node.visible
        else:
            psd.append(layer(node))
    psd.save(path)
    return path


def _ora(tmp: Path, layers, name="art.ora") -> Path:
    return tool.write_ora(tmp / name, CANVAS, layers)


# -- round trips ----------------------------------------------------------------------------------------------


def test_ora_round_trip_parts_pivots_and_mouth_set(tmp_path, ada):
    art = _ora(tmp_path, art_layers(ada))
    imp = import_rig(art, "ada", name="dot")
    assert imp.warnings == ()
    assert imp.scale == pytest.approx(S, rel=2e-3)  # placed from the parts' centres (one marker only)
    rest = forward_kinematics(ada, np.zeros((1, ada.n_bones)))[0]
    for b in ada.names:
        want = rest[ada.index[b], 0] * S + T + (MARKER_SHIFT if b == "l_forearm" else 0.0)
        assert np.allclose(imp.pivots_px[b], want, atol=0.6), b
    out = write_rig(imp, tmp_path / "rigs" / "dot.json")
    rig = load_rig(out)
    assert [p.bone for p in rig.parts] == list(ada.names)  # the artist's stacking: bones in layer order
    assert sorted(SHAPES) == sorted(rig.mouth.shapes)  # hidden shapes of the mouth set count
    for p in rig.parts:
        assert p.drawing.path == tmp_path / "rigs" / "dot" / f"{p.bone}.png"
        px = np.asarray(Image.open(p.drawing.path))
        assert tuple(px[px[..., 3] > 0][0, :3]) == BONE_COLORS[p.bone]
    hand = np.asarray(Image.open(next(p for p in rig.parts if p.bone == "l_hand").drawing.path))
    assert abs(int(hand[..., 3].max()) - 128) <= 1  # the layer's opacity went into the part's alpha
    d = np.asarray(Image.open(rig.mouth.shapes["D"].path))
    assert tuple(d[d[..., 3] > 0][0, :3]) == SHAPE_COLORS["D"]
    # The elbow turns where the marker is; the other joints stay the skeleton's (a moved pivot moves one joint).
    seg = forward_kinematics(rig, np.zeros((1, rig.n_bones)))[0]
    assert np.allclose(seg[rig.index["l_forearm"], 0], rest[ada.index["l_forearm"], 0] + MARKER_SHIFT / S, atol=0.3)
    for b in ("l_hand", "l_upper_arm", "head", "r_forearm", "l_foot"):
        assert np.allclose(seg[rig.index[b], 0], rest[ada.index[b], 0], atol=0.3), b
    # The mouth anchor is the centre of the mouth set, where the test drew it.
    assert np.allclose(mouth_xy(rig, np.zeros((1, rig.n_bones)))[0], mouth_xy(ada, np.zeros((1, 17)))[0], atol=0.6)
    assert rig.limits_deg.tolist() == ada.limits_deg.tolist()  # the skeleton's motion is kept


def test_psd_round_trip_matches_the_ora_one(tmp_path, ada):
    layers = art_layers(ada)
    head = next(n for n in layers if n.name == "head")
    top, bottom = head.rgba.copy(), head.rgba.copy()
    top[head.rgba.shape[0] // 2:] = 0
    bottom[:head.rgba.shape[0] // 2] = 0
    # A bone's group holds several drawings (face, hair): they make one part.
    group = Node("head", children=[Node("face", bottom, head.x, head.y), Node("hair", top, head.x, head.y)])
    psd_layers = [group if n is head else n for n in layers]
    psd = write_psd(tmp_path / "art.psd", psd_layers)
    art = read_artwork(psd)
    assert [ly.name for ly in art.layers][:2] == ["root", "spine"]  # psd-tools' bottom-first order kept
    from_psd = import_rig(psd, "ada", name="dot")
    from_ora = import_rig(_ora(tmp_path, layers), "ada", name="dot")
    assert from_psd.warnings == ()
    assert from_psd.doc["parts"] == from_ora.doc["parts"] and from_psd.doc["mouth"] == from_ora.doc["mouth"]
    for key, rgba in from_ora.images.items():
        assert np.array_equal(from_psd.images[key], rgba), key


def test_ora_stack_conventions_written_by_hand(tmp_path):
    """Top-first stack.xml, a nested stack's offset, opacity and a hidden group, as the OpenRaster spec has them."""
    def png(color, size=(4, 2)):
        buf = io.BytesIO()
        Image.new("RGBA", size, color).save(buf, format="PNG")
        return buf.getvalue()

    stack = """<?xml version='1.0' encoding='UTF-8'?>
<image version="0.0.3" w="64" h="48">
 <stack>
  <layer name="top" src="data/a.png" x="1" y="2" composite-op="svg:multiply"/>
  <stack name="body" x="10" y="20" opacity="0.5">
   <layer name=" chest " src="data/b.png" x="3" y="4" opacity="0.5"/>
  </stack>
  <stack name="old" visibility="hidden"><layer name="sketch" src="data/c.png"/></stack>
  <layer name="bottom" src="data/c.png"/>
 </stack>
</image>"""
    path = tmp_path / "hand.ora"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "image/openraster")
        zf.writestr("stack.xml", stack)
        zf.writestr("data/a.png", png((255, 0, 0, 255)))
        zf.writestr("data/b.png", png((0, 255, 0, 200)))
        zf.writestr("data/c.png", png((0, 0, 255, 255)))
    art = read_artwork(path)
    assert (art.width, art.height) == (64, 48)
    assert [(ly.name, ly.groups, ly.x, ly.y, ly.visible) for ly in art.layers] == [
        ("bottom", (), 0, 0, True), ("sketch", ("old",), 0, 0, False), ("chest", ("body",), 13, 24, True),
        ("top", (), 1, 2, True)]
    assert int(art.layers[2].rgba[0, 0, 3]) == 50  # 200 * 0.5 * 0.5
    assert tuple(art.layers[2].rgba[0, 0, :3]) == (0, 255, 0)  # straight alpha: the colour is not darkened
    assert len(art.warnings) == 1 and "layer(s) top use a blend mode other than normal" in art.warnings[0]


# -- errors and warnings -------------------------------------------------------------------------------------


def test_missing_bone_is_one_clear_error_naming_it(tmp_path, ada):
    art = _ora(tmp_path, art_layers(ada, drop=("l_hand",), rename={"l_forearm": "l_forarm"}))
    with pytest.raises(ChoreoError) as err:
        import_rig(art, "ada")
    msg = str(err.value)
    assert "no layer for bone 'l_forearm'" in msg and "did you mean 'l_forarm'" in msg
    assert "missing: l_forearm, l_hand" in msg and "\n" not in msg and msg.startswith(str(art))
    hidden = art_layers(ada)
    next(n for n in hidden if n.name == "neck").visible = False
    with pytest.raises(ChoreoError, match="layer 'neck' is hidden"):
        import_rig(_ora(tmp_path, hidden, "hidden.ora"), "ada")
    res = run_cli("rig", "import", str(art), "--skeleton", "ada", "-o", str(tmp_path / "out" / "x.json"))
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1 and "l_forearm" in res.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())  # nothing half-written


@pytest.mark.parametrize("kind", ["garbage.ora", "nostack.ora", "badlayer.ora", "garbage.psd", "art.png"])
def test_unreadable_files_are_one_line(tmp_path, kind):
    path = tmp_path / kind
    if kind == "nostack.ora":
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("mimetype", "image/openraster")
    elif kind == "badlayer.ora":
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("stack.xml", '<image w="8" h="8"><stack><layer name="head" src="data/x.png"/></stack></image>')
            zf.writestr("data/x.png", b"not a png")
    else:
        path.write_bytes(b"\x00garbage" * 40)
    with pytest.raises(ChoreoError) as err:
        read_artwork(path)
    assert str(err.value).startswith(str(path)) and "\n" not in str(err.value)


def test_bad_file_on_the_command_line(tmp_path):
    bad = tmp_path / "bad.psd"
    bad.write_bytes(b"8BPS" + b"\x00" * 30)
    res = run_cli("rig", "import", str(bad), "--skeleton", "bo", "-o", str(tmp_path / "r.json"))
    assert res.returncode == 2 and res.stderr.startswith("choreo: error:") and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and not (tmp_path / "r.json").exists()


def test_unknown_layers_and_missing_shapes_warn(tmp_path, ada):
    extra = [_rect(np.array([40.0, 40.0]), 30, 30, (9, 9, 9)), _rect(np.array([60.0, 90.0]), 5, 5, (1, 1, 1))]
    extra[0].name, extra[1].name = "background", "l_hnd"
    layers = art_layers(ada, extra=extra, shapes=("A", "B", "X", "Y"))
    imp = import_rig(_ora(tmp_path, layers), "ada")
    text = "\n".join(imp.warnings)
    assert "match no bone and are ignored: background, l_hnd (did you mean 'l_hand'?)" in text
    assert "'Y' is not a mouth shape" in text
    assert "mouth shape(s) C, D, E, F, G, H not drawn" in text
    assert sorted(imp.doc["mouth"]["shapes"]) == ["A", "B", "X"]
    none = import_rig(_ora(tmp_path, art_layers(ada, shapes=()), "nomouth.ora"), "ada")
    assert any("every mouth shape falls back to the drawn mouth" in w for w in none.warnings)
    assert "shapes" not in none.doc["mouth"]


def test_marker_and_map_errors(tmp_path, ada):
    bad = art_layers(ada)
    bad[-1].children[0].name = "pivot:l_forarm"
    with pytest.raises(ChoreoError, match="names no bone of the skeleton.*did you mean 'l_forearm'"):
        import_rig(_ora(tmp_path, bad), "ada")
    with pytest.raises(ChoreoError, match="no bone of the skeleton 'ada' .*did you mean 'r_thigh'"):
        import_rig(_ora(tmp_path, art_layers(ada), "b.ora"), "ada", mapping=RigMap({"Leg": "r_thig"}))


def test_map_file_names_layers_and_places_pivots(tmp_path, ada):
    rename = {"l_forearm": "Arm L (lower)", "head": "Head!"}
    art = _ora(tmp_path, art_layers(ada, rename=rename, marker=False))
    rest = forward_kinematics(ada, np.zeros((1, ada.n_bones)))[0]
    elbow = rest[ada.index["l_forearm"], 0] * S + T + np.array([3.0, 5.0])
    map_path = tmp_path / "map.json"
    map_path.write_text(json.dumps({"schema": "choreo.rig-map/1", "layers": {v: k for k, v in rename.items()},
                                    "pivots": {"l_forearm": elbow.tolist()}}))
    imp = import_rig(art, "ada", mapping=load_map(map_path))
    assert imp.warnings == ()
    assert np.allclose(imp.pivots_px["l_forearm"], elbow) and {"l_forearm", "head"} <= {p["bone"] for p in
                                                                                       imp.doc["parts"]}
    map_path.write_text(json.dumps({"schema": "choreo.rig-map/1", "layers": {"x": 3}}))
    with pytest.raises(ChoreoError, match="field 'layers'"):
        load_map(map_path)
    out = tmp_path / "cli" / "mapped.json"
    map_path.write_text(json.dumps({"schema": "choreo.rig-map/1", "layers": {v: k for k, v in rename.items()}}))
    res = run_cli("rig", "import", str(art), "--skeleton", "ada", "--map", str(map_path), "-o", str(out))
    assert res.returncode == 0, res.stderr
    assert load_rig(out).name == "mapped" and (tmp_path / "cli" / "mapped" / "l_forearm.png").is_file()
    assert "17 parts" in res.stdout and "mouth shapes A B C D E F G H X" in res.stdout


def test_rig_documents_with_parts_validate(tmp_path, ada):
    out = write_rig(import_rig(_ora(tmp_path, art_layers(ada)), "ada", name="v"), tmp_path / "v.json")
    doc = json.loads(out.read_text())
    assert validate(load_rig(out).to_dict(), path=out).to_dict() == validate(doc, path=out).to_dict()
    for mutate, expect in (
            (lambda d: d["parts"][0].update(bone="l_forarm"), "did you mean 'l_forearm'"),
            (lambda d: d["parts"][3].update(image="v/nothing.png"), "image 'v/nothing.png' not found"),
            (lambda d: d["parts"][3].update(scale=0), "'scale' is 0"),
            (lambda d: d["mouth"]["shapes"].update(Q=d["mouth"]["shapes"]["A"]), "'Q' is not a mouth shape"),
            (lambda d: d["mouth"].update(scale_open="yes"), "scale_open")):
        bad = json.loads(out.read_text())
        mutate(bad)
        with pytest.raises(ChoreoError, match=expect) as err:
            validate(bad, path=out)
        assert "\n" not in str(err.value)
    # Writing again over the same name replaces the image folder; a folder holding other files is refused.
    write_rig(import_rig(_ora(tmp_path, art_layers(ada)), "ada", name="v"), tmp_path / "v.json")
    (tmp_path / "v" / "notes.txt").write_text("mine")
    with pytest.raises(ChoreoError, match="holds other things"):
        write_rig(import_rig(_ora(tmp_path, art_layers(ada)), "ada", name="v"), tmp_path / "v.json")
    assert (tmp_path / "v" / "notes.txt").read_text() == "mine"


# -- rendering ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("imported")
    ada = load_rig("ada")
    rig = load_rig(write_rig(import_rig(_ora(tmp, art_layers(ada)), "ada", name="dot"), tmp / "dot.json"))
    loose = load_rig(write_rig(import_rig(_ora(tmp, art_layers(ada)), "ada", name="dot", scale_open=True),
                               tmp / "loose.json"))
    return rig, loose


POSE = {"l_upper_arm": 100.0, "l_forearm": 40.0, "r_upper_arm": -100.0, "r_forearm": -40.0, "head": 20.0,
        "l_thigh": 30.0, "r_thigh": -30.0, "l_shin": -40.0, "chest": 10.0, "l_hand": 30.0}


def _posed(n: int = 4) -> Choreography:
    tracks = {f"dot/{b}.rot": Track((0,), (v,), ("hold",)) for b, v in POSE.items()}
    tracks.update({"dot/root.x": Track((0,), (-150.0,), ("hold",)), "dot/root.y": Track((0,), (40.0,), ("hold",)),
                   "camera/zoom": Track((0,), (1.3,), ("hold",))})
    return Choreography(Fraction(24), n, ("dot",), tracks)


def test_rendered_parts_land_where_forward_kinematics_puts_their_bones(imported, ada):
    rig = imported[0]
    c = _posed()
    r = FrameRenderer(c, {"dot": rig}, RenderSpec(1280, 720, passes=("characters",)))
    buf = r.new_buffers()
    r.render(0, buf)
    img = buf["characters"].astype(np.int64)
    rot = np.zeros((1, rig.n_bones))
    for b, v in POSE.items():
        rot[0, rig.index[b]] = v
    root = rig.origin_xy + np.array([-150.0, -40.0])
    seg = forward_kinematics(rig, rot, root[None])[0]
    turn = np.deg2rad(world_angles(rig, rot)[0] - world_angles(rig, np.zeros_like(rot))[0])
    rest_ada = forward_kinematics(ada, np.zeros((1, ada.n_bones)))[0]
    marker = {"l_forearm": MARKER_SHIFT / S}
    for b in rig.names:
        i = rig.index[b]
        drawn_mid = rest_ada[ada.index[b]].mean(axis=0)  # the capsule's centre, stage px at rest
        pivot = rest_ada[ada.index[b], 0] + marker.get(b, 0.0)
        v = (drawn_mid - pivot) * np.array([1.0, -1.0])  # y up, to turn by the bone's counter-clockwise change
        ca, sa = np.cos(turn[i]), np.sin(turn[i])
        want = seg[i, 0] + np.array([ca * v[0] - sa * v[1], sa * v[0] + ca * v[1]]) * np.array([1.0, -1.0])
        want_px = r.stage_to_output(0, want)
        near = np.all(np.abs(img[..., :3] - np.array(BONE_COLORS[b])) <= 12, axis=-1) & (img[..., 3] > 0)
        assert near.sum() > 20, b
        w = img[..., 3] * near
        ys, xs = np.indices(near.shape)
        got = np.array([(xs * w).sum(), (ys * w).sum()]) / w.sum() + 0.5
        assert np.hypot(*(got - want_px)) <= 2.0, (b, got, want_px)
    # Straight alpha: the half-opaque hand keeps its colour in the pass, with alpha about 128.
    hand = np.all(img[..., :3] == np.array(BONE_COLORS["l_hand"]), axis=-1) & (img[..., 3] > 0)
    assert abs(int(np.median(img[hand][:, 3])) - 128) <= 2


def _mouth_frames(rig, cues, n):
    """The mouth pass, the camera close on the mouth of a character with its head turned."""
    mouth = MouthTrack(Fraction(24), "dot", tuple(cues))
    mx, my = mouth_xy(rig, np.zeros((1, rig.n_bones)))[0]
    tracks = {"dot/head.rot": Track((0,), (20.0,), ("hold",)), "camera/zoom": Track((0,), (5.0,), ("hold",)),
              "camera/x": Track((0,), (mx - 960.0,), ("hold",)), "camera/y": Track((0,), (my - 540.0,), ("hold",))}
    c = Choreography(Fraction(24), n, ("dot",), tracks)
    r = FrameRenderer(c, {"dot": rig}, RenderSpec(320, 180, passes=("mouth",)), mouths={"dot": mouth})
    buf = r.new_buffers()
    out = []
    for f in range(n):
        r.render(f, buf)
        out.append(buf["mouth"].astype(np.int64).copy())
    return out


def _pixels_of(img, color):
    return np.all(np.abs(img[..., :3] - np.array(color)) <= 8, axis=-1) & (img[..., 3] > 0)


def test_mouth_drawing_swaps_per_frame(imported):
    rig = imported[0]
    cues = [MouthCue(k, k + 1, s, 1.0) for k, s in enumerate(SHAPES)]
    frames = _mouth_frames(rig, cues, len(SHAPES))
    for k, img in enumerate(frames):
        counts = {s: int(_pixels_of(img, SHAPE_COLORS[s]).sum()) for s in SHAPES}
        shown = max(counts, key=counts.get)
        assert shown == SHAPES[k] and counts[shown] > 10
        assert sum(counts.values()) - counts[shown] < 0.05 * counts[shown]  # only edge pixels could be near


def test_mouth_scales_by_open_only_when_the_rig_asks(imported):
    def area(rig, opening):  # the drawing's coverage in output px
        return _mouth_frames(rig, [MouthCue(0, 1, "D", opening)], 1)[0][..., 3].sum() / 255.0

    plain, loose = imported
    assert area(plain, 0.0) == pytest.approx(area(plain, 1.0), rel=1e-6)
    assert area(loose, 0.0) == pytest.approx(0.5 * area(loose, 1.0), rel=0.1)  # squeezed to 0.5 + 0.5 * open


# -- the shipped example character ---------------------------------------------------------------------------


def test_shipped_pip_is_the_import_of_the_drawn_art(tmp_path):
    art = tool.write_ora(tmp_path / "pip.ora", tool.ART_SIZE, tool.draw_character())
    assert art.read_bytes() == (ROOT / "examples" / "pip.ora").read_bytes()  # the committed art is the script's
    imp = import_rig(art, tool.SKELETON, name=tool.NAME, image_dir="pip")
    assert imp.warnings == ()
    shipped = json.loads((ROOT / "choreography" / "data" / "rigs" / "pip.json").read_text())
    assert imp.doc["parts"] == shipped["parts"] and imp.doc["mouth"] == shipped["mouth"]
    assert imp.doc["bones"] == shipped["bones"]
    for key, rgba in imp.images.items():
        assert np.array_equal(np.asarray(Image.open(ROOT / "choreography" / "data" / "rigs" / key)), rgba), key
    pip = load_rig("pip")
    assert len(pip.parts) == 17 and sorted(pip.mouth.shapes) == sorted(SHAPES)
    size = sum(p.stat().st_size for p in (ROOT / "choreography" / "data" / "rigs").glob("pip*/**/*") if p.is_file())
    assert size + (ROOT / "choreography" / "data" / "rigs" / "pip.json").stat().st_size < 300_000


def test_golden_frames_of_pip_within_tolerance():
    from tests.golden_pip_frames import GOLDEN, render_golden

    for f, img in render_golden().items():
        gold = np.asarray(Image.open(GOLDEN / f"frame_{f:03d}.png"))
        diff = np.abs(img.astype(int) - gold.astype(int))
        assert diff.mean() < 1.5 and np.mean(diff > 40) < 0.01, f"frame {f} drifted from its golden image"


def test_parts_stay_smooth_when_scaled_down():
    """Pip drawn small is close to Pip drawn 4x larger and box-averaged down (no aliasing from skipped texels).

    Measured at 640x360 (parts at a sixth of their drawn size): 4.0 levels of 255 on the character's pixels;
    linear sampling without mipmaps gave 6.8, nearest-neighbour 7.7 (at 1280x720: 1.6, 3.6 and 4.3).
    """
    c = Choreography(Fraction(24), 1, ("pip",), {"pip/l_upper_arm.rot": Track((0,), (70.0,), ("hold",)),
                                                  "pip/head.rot": Track((0,), (17.0,), ("hold",))})

    def premultiplied(w, h):
        r = FrameRenderer(c, {"pip": load_rig("pip")}, RenderSpec(w, h, overlay=False, passes=("characters",)))
        buf = r.new_buffers()
        r.render(0, buf)
        a = buf["characters"].astype(np.float64) / 255.0
        return np.concatenate([a[..., :3] * a[..., 3:], a[..., 3:]], axis=-1)

    w, h = 640, 360
    ref = premultiplied(4 * w, 4 * h).reshape(h, 4, w, 4, 4).mean(axis=(1, 3))
    err = np.abs(premultiplied(w, h) - ref)[ref[..., 3] > 0.02].mean() * 255.0
    assert err < 5.0
