"""choreo export --to lottie: a real run of the example song, read by the Lottie schema, a keyframe reader and rlottie.

The input is a `choreo run` output: the bundled example song (librosa backend) at 30000/1001 fps, danced by
three singers on an espeak-ng vocal stem whose five lyric lines give every mouth shape: ada and bo (stick
figures: stroked capsules, an ellipse head, drawn mouths) and pip (a cut-out rig: PNG parts and mouth
drawings), with a crowd of six dancers made from their rigs (tinted, smaller, behind the leads). The export
is checked three ways, each independent of the exporter's code:

- against the JSON schema shipped in ``lottie-specs`` (jsonschema, draft 2020-12);
- by this file's own reading of the Lottie it wrote: keyframes evaluated as the Lottie spec defines them
  (cubic bezier eases solved for time, hold keys) and layer transforms composed through their parents
  (``T(p) R(r) S(s) T(-a)``), compared with choreo's sampler, forward kinematics and the rig format's
  placement of parts at every frame, and the embedded images with the rig's files;
- by rlottie's pixels: sampled frames rendered by ``rlottie-python`` and compared with choreo's own render of
  the same frame (:class:`render.frames.FrameRenderer` without background or overlay), per character and
  for the whole scene. rlottie draws whatever it can parse, so deliberately broken exports (bones turned
  the wrong way, linear eases, mouth shapes at the wrong cues) must fail the same comparison.

Tolerances per frame (silhouette IoU at alpha > 0; mean RGB difference, 0..255, where both are opaque), with
what they were measured against on this run at 1280x720:

- Stick figures: IoU >= :data:`IOU_MIN` (0.99; measured 0.994-0.999, the rasterisers' anti-aliased edges
  differing by about a pixel), colour <= :data:`COLOUR_MAX` (2; measured 0.46-0.60). Bones turned the wrong
  way score 0.14-0.47, linear eases in place of choreo's 0.44-0.93 in the middle of eased segments, and
  choreo's own render with every bone turned 1 degree more scores 0.70-0.78 against the original.
- The cut-out rig, and the crowd (which has cut-out dancers): IoU >= :data:`PARTS_IOU_MIN` (0.93; measured
  0.954-0.990 for pip, 0.955-0.973 for the crowd), colour <= :data:`PARTS_COLOUR_MAX` (15; measured 4.5-9.7).
  rlottie draws images unsmoothed and about half a pixel off (shown by
  :func:`test_rlottie_draws_images_half_a_pixel_off`), while the composed layer transforms put every corner
  of every part within 0.001 px. Bones turned the wrong way score 0.10-0.39.
- Mouths alone on a 2560x1440 canvas, silhouettes at half coverage (alpha > 127): drawn mouths IoU >=
  :data:`MOUTH_IOU_MIN` (0.88; measured 0.92-1.0), colour <= :data:`MOUTH_COLOUR_MAX` (5; measured <= 2.8); the
  cut-out rig's drawings IoU >= :data:`PARTS_MOUTH_IOU_MIN` (0.6; measured 0.69-0.96, the thin closed-mouth
  line lowest), colour <= :data:`PARTS_MOUTH_COLOUR_MAX` (25; measured <= 19.3). Shapes shown at the wrong cues
  score IoU <= 0.74 (drawn) and colour >= 32 (drawings).
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import io
import json
import shutil
import time
from fractions import Fraction
from pathlib import Path

import jsonschema
import numpy as np
import pytest
import soundfile as sf
from lottie_specs.resources import schema_path
from rlottie_python import LottieAnimation

from audio.errors import ChoreoError
from audio.params import AnalysisParams
from choreography.crowd import crowd_names
from choreography.model import Track
from choreography.moves import EASES, apply_ease
from choreography.params import SolveParams
from choreography.rig import forward_kinematics, mouth_xy, world_angles
from choreography.sampling import sample_character, sample_track
from engine.exporters import FORMATS, parse_formats
from engine.exporters.lottie import to_lottie, write_lottie
from engine.exporters.song import Song, export_song, load_song, song_markers
from engine.pipeline import Pipeline
from engine.render_stage import rigs_for
from engine.run import RunInputs, RunParams, run_song
from render.frames import FrameRenderer
from render.spec import RenderSpec
from tests.conftest import ROOT, run_cli

FPS = Fraction(30000, 1001)
LINES = ["Twinkle twinkle little star", "How I wonder what you are", "Up above the world so high",
         "Like a diamond in the sky", "Then the traveller in the dark"]
SINGING_STARTS_S = 8.6
SINGERS = ("ada", "bo", "pip")
CROWD = 6  # crowd dancers made from the leads' rigs: tinted stick figures and tinted cut-outs
IOU_MIN = 0.99
PARTS_IOU_MIN = 0.93
COLOUR_MAX = 2.0
PARTS_COLOUR_MAX = 15.0
OPAQUE = 250  # rlottie draws opaque images with alpha 253
MOUTH_SIZE = "2560x1440"
MOUTH_IOU_MIN = 0.88
MOUTH_COLOUR_MAX = 5.0
PARTS_MOUTH_IOU_MIN = 0.6
PARTS_MOUTH_COLOUR_MAX = 25.0
MOUTH_CUT = 127
VALUE_TOL = 2e-3  # deg or px: values are written to 4 decimals, ease handles to 6
POINT_TOL_PX = 0.01
SCHEMA_KEYS_SAMPLED = 4


# ---------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """A `choreo run` output folder (no render): analysis, choreography and two mouth tracks."""
    from tests.material.espeak_speech import synthesize

    d = tmp_path_factory.mktemp("export_lottie")
    shutil.copy(ROOT / "examples" / "example_song.ogg", d / "example_song.ogg")
    ssml = '<speak><prosody rate="50%" pitch="+25%">' + ' <break time="600ms"/> '.join(LINES) + "</prosody></speak>"
    spoken = synthesize(ssml, ssml=True)
    lead = np.zeros(round(SINGING_STARTS_S * spoken.sr), dtype=np.float32)
    sf.write(str(d / "singer.wav"), np.concatenate([lead, spoken.y]), spoken.sr)
    (d / "singer.txt").write_text("\n".join(LINES) + "\n", encoding="utf-8")
    inputs = RunInputs(song=d / "example_song.ogg", vocals=tuple((d / "singer.wav", s) for s in SINGERS),
                       lyrics=d / "singer.txt", rigs=SINGERS)
    run_song(inputs, d / "run", RunParams(analysis=AnalysisParams(backend="librosa"),
                                          solve=SolveParams(fps=f"{FPS.numerator}/{FPS.denominator}",
                                                            ensemble="canon"), render=False, crowd=CROWD),
             pipeline=Pipeline(cache=d / "cache"))
    return d / "run"


@pytest.fixture(scope="module")
def song(run_dir) -> Song:
    return load_song([run_dir])


@pytest.fixture(scope="module")
def exported(run_dir) -> Path:
    """The Lottie written by the CLI, as a user runs it."""
    out = run_dir.parent / "lottie"
    t0 = time.perf_counter()
    res = run_cli("export", str(run_dir), "--to", "lottie", "-o", str(out))
    print(f"\nchoreo export --to lottie (subprocess): {time.perf_counter() - t0:.2f} s")
    assert res.returncode == 0, res.stderr
    path = out / "example_song.lottie.json"
    assert f"wrote {path}" in res.stdout
    return path


@pytest.fixture(scope="module")
def doc(exported) -> dict:
    return json.loads(exported.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rigs(song):
    return rigs_for(song.choreography, None)


@pytest.fixture(scope="module")
def schema_validator():
    schema = json.loads(Path(str(schema_path())).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


# ---------------------------------------------------------------------------------------------- readers


def _layers(doc: dict) -> dict[str, dict]:
    return {layer["nm"]: layer for layer in doc["layers"]}


def _bezier_ease(u: np.ndarray, x1, y1, x2, y2) -> np.ndarray:
    """A Lottie keyframe ease: the bezier (0,0) (x1,y1) (x2,y2) (1,1), its time solved by bisection."""
    lo, hi = np.zeros_like(u), np.ones_like(u)
    for _ in range(60):
        s = (lo + hi) / 2
        x = 3 * (1 - s) ** 2 * s * x1 + 3 * (1 - s) * s ** 2 * x2 + s ** 3
        lo, hi = np.where(x < u, s, lo), np.where(x < u, hi, s)
    s = (lo + hi) / 2
    return 3 * (1 - s) ** 2 * s * y1 + 3 * (1 - s) * s ** 2 * y2 + s ** 3


def _values(prop: dict, n: int) -> np.ndarray:
    """A Lottie property's value at frames 0..n-1, shape ``(n, dims)``, as the spec defines keyframes."""
    if not prop["a"]:
        return np.tile(np.atleast_1d(np.asarray(prop["k"], dtype=np.float64)), (n, 1))
    keys = prop["k"]
    t = np.array([k["t"] for k in keys], dtype=np.float64)
    s = np.array([k["s"] for k in keys], dtype=np.float64)
    handle = np.array([[k["o"]["x"][0], k["o"]["y"][0], k["i"]["x"][0], k["i"]["y"][0]] if not k.get("h")
                       else [np.nan] * 4 for k in keys[:-1]] or np.zeros((0, 4)))
    f = np.arange(n, dtype=np.float64)
    j = np.clip(np.searchsorted(t, f, side="right") - 1, 0, len(t) - 2)
    u = np.clip((f - t[j]) / (t[j + 1] - t[j]), 0.0, 1.0)
    h = handle[j]
    y = np.where(np.isnan(h[:, 0]), 0.0, _bezier_ease(u, *np.nan_to_num(h).T))
    out = s[j] + (s[j + 1] - s[j]) * y[:, None]
    out[f < t[0]] = s[0]
    out[f >= t[-1]] = s[-1]
    return out


def _position(ks: dict, n: int) -> np.ndarray:
    p = ks["p"]
    if p.get("s"):
        return np.concatenate([_values(p["x"], n), _values(p["y"], n)], axis=1)
    return _values(p, n)


def _world_matrices(doc: dict, n: int) -> dict[str, np.ndarray]:
    """Every layer's layer-to-canvas matrix per frame, ``(n, 3, 3)``: ``T(p) R(r) S(s) T(-a)`` down the parents."""
    by_ind = {layer["ind"]: layer for layer in doc["layers"]}
    local: dict[int, np.ndarray] = {}
    for ind, layer in by_ind.items():
        ks = layer["ks"]
        p, a = _position(ks, n), _values(ks["a"], n)
        r = np.deg2rad(_values(ks["r"], n)[:, 0])
        sc = _values(ks["s"], n) / 100.0
        m = np.zeros((n, 3, 3))
        c, s = np.cos(r), np.sin(r)
        m[:, 0, 0], m[:, 0, 1] = c * sc[:, 0], -s * sc[:, 1]
        m[:, 1, 0], m[:, 1, 1] = s * sc[:, 0], c * sc[:, 1]
        m[:, :2, 2] = p - np.einsum("nij,nj->ni", m[:, :2, :2], a)
        m[:, 2, 2] = 1.0
        local[ind] = m
    world: dict[int, np.ndarray] = {}

    def resolve(ind: int) -> np.ndarray:
        if ind not in world:
            parent = by_ind[ind].get("parent")
            world[ind] = local[ind] if parent is None else resolve(parent) @ local[ind]
        return world[ind]

    return {layer["nm"]: resolve(ind) for ind, layer in by_ind.items()}


def _apply(m: np.ndarray, xy) -> np.ndarray:
    return m[:, :2, :2] @ np.asarray(xy, dtype=np.float64) + m[:, :2, 2]


def _choreo_renderer(song: Song, rigs, size: str, passes, characters: tuple[str, ...] | None = None) -> FrameRenderer:
    """choreo's renderer of the song (or of some of its characters only), without the overlay."""
    w, h = (int(v) for v in size.split("x"))
    c = song.choreography if characters is None else dataclasses.replace(song.choreography, characters=characters)
    return FrameRenderer(c, rigs, RenderSpec(width=w, height=h, passes=passes, overlay=False),
                         mouths={m.character: m for m in song.mouths})


def _choreo_frame(renderer: FrameRenderer, f: int) -> list[np.ndarray]:
    """choreo's render of a frame: the renderer's passes, back to front (straight-alpha RGBA)."""
    bufs = renderer.new_buffers()
    renderer.render(f, bufs)
    return [bufs[name] for name in renderer.spec.passes]


def _rlottie_frame(anim: LottieAnimation, f: int) -> np.ndarray:
    """rlottie's render of a frame (premultiplied BGRA, as rlottie writes it)."""
    w, h = anim.lottie_animation_get_size()
    return np.frombuffer(anim.lottie_animation_render(frame_num=f), np.uint8).reshape(h, w, 4)


def _compare(ours: list[np.ndarray], theirs: np.ndarray, cut: int = 0) -> tuple[float, float]:
    """IoU of the silhouettes (alpha > cut) and the mean RGB difference (0..255) where both are opaque.

    choreo's passes are laid over each other with "over"; rlottie's premultiplied colours are divided by
    their alpha. Only the box holding everything drawn is converted to floats.
    """
    drawn = (theirs[..., 3] > 0) | np.logical_or.reduce([p[..., 3] > 0 for p in ours])
    rows, cols = np.flatnonzero(drawn.any(axis=1)), np.flatnonzero(drawn.any(axis=0))
    if not rows.size:
        return 1.0, 0.0
    box = np.s_[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    alpha = np.zeros(drawn[box].shape, dtype=np.float32)
    rgb = np.zeros(alpha.shape + (3,), dtype=np.float32)
    for p in ours:
        src = p[box].astype(np.float32)
        a = src[..., 3] / 255.0
        out = a + alpha * (1 - a)
        rgb = (src[..., :3] * a[..., None] + rgb * (alpha * (1 - a))[..., None]) / np.maximum(out, 1e-6)[..., None]
        alpha = out
    lot = theirs[box].astype(np.float32)
    lot_alpha = lot[..., 3]
    lot_rgb = lot[..., [2, 1, 0]] * 255.0 / np.maximum(lot_alpha, 1e-6)[..., None]
    our_alpha = np.rint(alpha * 255.0)
    a, b = our_alpha > cut, lot_alpha > cut
    iou = float((a & b).sum() / max(1, (a | b).sum()))
    both = (our_alpha >= OPAQUE) & (lot_alpha >= OPAQUE)
    return iou, float(np.abs(rgb - lot_rgb)[both].mean()) if both.any() else 0.0


def _frame_table(renderer, doc, frames, iou_min, colour_max, label, cut: int = 0):
    """Compare every frame (silhouettes at alpha > cut); print and return ``(frame, iou, colour, ok)`` rows."""
    anim = LottieAnimation.from_data(json.dumps(doc))
    rows = []
    for f in frames:
        iou, colour = _compare(_choreo_frame(renderer, f), _rlottie_frame(anim, f), cut)
        rows.append((f, iou, colour, iou >= iou_min and colour <= colour_max))
    print(f"\n{label}: frame, IoU, mean |RGB| difference")
    for f, iou, colour, ok in rows:
        print(f"  {f:5d}  {iou:.4f}  {colour:6.3f}{'' if ok else '  FAIL'}")
    return rows


def _spread_frames(song: Song) -> list[int]:
    """12 frames spread evenly over the song."""
    return np.linspace(0, song.choreography.duration_frames - 1, 12).astype(int).tolist()


def _eased_frames(song: Song) -> list[int]:
    """The middle of eased segments of ada's left forearm (two per ease), where a wrong ease is largest."""
    t = song.choreography.tracks["ada/l_forearm.rot"]
    per_ease: dict[str, list[int]] = {}
    for k in range(1, len(t.frames)):
        a, b = t.frames[k - 1], t.frames[k]
        if b - a >= 8 and t.interp[k] not in ("hold", "linear") and t.values[k] != t.values[k - 1]:
            per_ease.setdefault(t.interp[k], []).append((a + b) // 2)
    return sorted(f for fs in per_ease.values() for f in fs[:2])


# ---------------------------------------------------------------------------------------------- tests


def test_registered_and_listed():
    exp = FORMATS["lottie"]
    assert (exp.scope, exp.suffix, exp.needs) == ("song", ".lottie.json", ("choreography",))
    res = run_cli("export", "--list")
    assert res.returncode == 0, res.stderr
    assert "lottie" in res.stdout and "rlottie" in res.stdout


def test_header_and_markers_read_by_rlottie(doc, exported, song):
    n = song.choreography.duration_frames
    assert (doc["w"], doc["h"], doc["ip"], doc["op"]) == (1280, 720, 0, n)
    anim = LottieAnimation.from_file(str(exported))
    assert anim.lottie_animation_get_size() == (1280, 720)
    assert anim.lottie_animation_get_framerate() == pytest.approx(30000 / 1001, abs=1e-6)
    assert anim.lottie_animation_get_totalframe() == n + 1  # rlottie counts op inclusively
    marks = anim.lottie_animation_get_markerlist()
    got = [(marks.ptr[i].name.decode(), marks.ptr[i].startframe, marks.ptr[i].endframe) for i in range(marks.size)]
    want = [(m.name, *m.frames(FPS)) for m in song_markers(song)]
    assert got == want
    kinds = {m.kind for m in song_markers(song)}
    assert kinds == {"section", "bar", "lyric"}


def test_valid_against_the_lottie_schema(doc, schema_validator):
    """Every layer, property and shape, and the first keyframes of every animated property (all of them: slow)."""

    def trimmed(node):
        if isinstance(node, dict):
            if node.get("a") == 1 and isinstance(node.get("k"), list):
                node = {**node, "k": node["k"][:SCHEMA_KEYS_SAMPLED]}
            return {k: trimmed(v) for k, v in node.items()}
        return [trimmed(v) for v in node] if isinstance(node, list) else node

    sampled = trimmed(doc)
    errors = [f"{list(e.absolute_path)}: {e.message[:200]}" for e in schema_validator.iter_errors(sampled)]
    assert not errors, errors[:5]
    # The schema is not vacuous: a document without a frame rate, or a shape layer without shapes, fails it.
    shape_layer = next(layer for layer in sampled["layers"] if layer["ty"] == 4)
    for broken in ({k: v for k, v in sampled.items() if k != "fr"},
                   {**sampled, "layers": [{k: v for k, v in shape_layer.items() if k != "shapes"}]}):
        assert not schema_validator.is_valid(broken)


@pytest.mark.slow
def test_whole_file_valid_against_the_lottie_schema(doc, schema_validator):
    """Every keyframe too (about 3 minutes here: jsonschema takes about 1.4 ms per keyframe)."""
    errors = [f"{list(e.absolute_path)}: {e.message[:200]}" for e in schema_validator.iter_errors(doc)]
    assert not errors, errors[:5]


def test_keyframes_follow_choreos_sampler_at_every_frame(doc, song, rigs):
    """Bone rotations, root motion and camera, read back by the spec's keyframe rules, at every frame."""
    c = song.choreography
    n = c.duration_frames
    layers = _layers(doc)
    worst = {}
    for name in c.characters:
        rig = rigs[name]
        rot, root = sample_character(c.tracks, name, rig.names, n)
        for i, bone in enumerate(rig.names):
            got = _values(layers[f"{name} {bone}"]["ks"]["r"], n)[:, 0]
            worst["rotation (deg)"] = max(worst.get("rotation (deg)", 0.0),
                                          float(np.abs(-got - rig.rest_deg[i] - rot[:, i]).max()))
        p = _position(layers[f"{name} root"]["ks"], n)
        want = rig.origin_xy[None, :] + root * np.array([1.0, -1.0])
        worst["root (px)"] = max(worst.get("root (px)", 0.0), float(np.abs(p - want).max()))
    zoom = sample_track(c.tracks["camera/zoom"], n)
    scale = _values(layers["camera zoom"]["ks"]["s"], n)
    worst["zoom"] = float(np.abs(scale / (100.0 * np.array([1280 / 1920, 720 / 1080])) - zoom[:, None]).max())
    pan = _position(layers["camera pan"]["ks"], n)
    cam = np.stack([sample_track(c.tracks["camera/x"], n), sample_track(c.tracks["camera/y"], n)], axis=1)
    worst["camera pan (px)"] = float(np.abs(pan + cam).max())
    print("\nlargest difference from choreo's sampler over every frame:", worst)
    assert all(v <= VALUE_TOL for v in worst.values()), worst
    # The camera's cuts are hold keys in choreo: they were read back above as Lottie hold keyframes.
    assert any(k.get("h") == 1 for k in layers["camera pan"]["ks"]["p"]["x"]["k"])


def test_eases_are_exact_beziers():
    """Each non-hold ease, as the handles written to the file, against choreo's ease curve."""
    from engine.exporters.lottie import HANDLE_DECIMALS, ease_handles

    u = np.linspace(0.0, 1.0, 1001)
    for code, ease in enumerate(EASES):
        if ease == "hold":
            continue
        y_out, y_in = (round(v, HANDLE_DECIMALS) for v in ease_handles(ease))
        got = _bezier_ease(u, round(1 / 3, HANDLE_DECIMALS), y_out, round(2 / 3, HANDLE_DECIMALS), y_in)
        err = float(np.abs(got - apply_ease(u, np.full(u.size, code))).max())
        print(f"{ease}: handles {y_out}, {y_in}; max error {err:.2e} of the segment's change")
        assert err < 1e-5


def test_layer_geometry_is_choreos_forward_kinematics(doc, song, rigs):
    """Composing the layer transforms through their parents puts every joint where choreo's camera sees it.

    Bones: start and end of every bone (forward kinematics). Cut-out parts: the image's corners, which the rig
    format places at the bone's start + offset in the rest pose and turns about the bone's start by the bone's
    change of angle from rest. Mouths: the anchor (:func:`choreography.rig.mouth_xy`).
    """
    c = song.choreography
    n = c.duration_frames
    world = _world_matrices(doc, n)
    assets = {a["id"]: a for a in doc["assets"]}
    layers = _layers(doc)
    r = _choreo_renderer(song, rigs, "1280x720", ("characters",))
    frames = np.arange(0, n, 7)

    def seen(points):  # stage px per sampled frame -> output px
        return np.stack([r.stage_to_output(f, xy) for f, xy in zip(frames, points, strict=True)])

    worst = {"joints": 0.0, "parts": 0.0, "mouths": 0.0}
    for name in c.characters:
        rig = rigs[name]
        rot, root = sample_character(c.tracks, name, rig.names, n)
        root_xy = rig.origin_xy[None, :] + root * np.array([1.0, -1.0])
        seg = forward_kinematics(rig, rot, root_xy)[frames]
        ang = world_angles(rig, rot)[frames]
        rest = world_angles(rig, np.zeros((1, rig.n_bones)))[0]
        for i, bone in enumerate(rig.names):
            m = world[f"{name} {bone}"][frames]
            for end, local in ((0, (0.0, 0.0)), (1, (rig.lengths_px[i], 0.0))):
                worst["joints"] = max(worst["joints"], float(np.abs(_apply(m, local) - seen(seg[:, i, end])).max()))
        for part in rig.parts:
            m = world[f"{name} part {part.bone}"][frames]
            asset = assets[layers[f"{name} part {part.bone}"]["refId"]]
            turn = np.deg2rad(rest[part.index] - ang[:, part.index])  # clockwise on the y-down stage
            for u, v in ((0, 0), (asset["w"], 0), (0, asset["h"]), (asset["w"], asset["h"])):
                x, y = np.add(part.drawing.offset_px, part.drawing.scale * np.array([u, v]))
                want = seg[:, part.index, 0] + np.stack([np.cos(turn) * x - np.sin(turn) * y,
                                                         np.sin(turn) * x + np.cos(turn) * y], axis=-1)
                worst["parts"] = max(worst["parts"], float(np.abs(_apply(m, (u, v)) - seen(want)).max()))
        mouth = mouth_xy(rig, rot, root_xy)[frames]
        worst["mouths"] = max(worst["mouths"], float(np.abs(_apply(world[f"{name} mouth"][frames], (0.0, 0.0))
                                                            - seen(mouth)).max()))
    print(f"\nlargest position difference (every 7th frame, output px): {worst}")
    assert any(rigs[name].parts for name in c.characters)  # the cut-out rig is in the run
    assert all(v < POINT_TOL_PX for v in worst.values()), worst


def test_rlottie_draws_images_half_a_pixel_off():
    """Why the cut-out rig has looser tolerances: rlottie's own drawing of an image, against skia's.

    An opaque 8 x 8 image placed at x = y = 10.5 covers 10.5..18.5. skia, as the renderer draws parts (no
    anti-aliasing of the image's edges), fills pixels 11..18; rlottie gives pixel 10 half coverage, fills
    11..17 with alpha 253 and leaves 18 empty: its images land about half a pixel up and left of skia's.
    """
    import skia
    from PIL import Image

    png = io.BytesIO()
    Image.new("RGBA", (8, 8), (255, 0, 0, 255)).save(png, format="PNG")
    still = {"a": 0, "k": 0}
    doc = {"v": "5.7.0", "fr": 24, "ip": 0, "op": 1, "w": 32, "h": 32, "ddd": 0,
           "assets": [{"id": "square", "w": 8, "h": 8, "u": "", "e": 1,
                       "p": "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()}],
           "layers": [{"ddd": 0, "ind": 1, "ty": 2, "refId": "square", "sr": 1, "ip": 0, "op": 1, "st": 0,
                       "ks": {"a": {"a": 0, "k": [0, 0]}, "p": {"a": 0, "k": [10.5, 10.5]},
                              "s": {"a": 0, "k": [100, 100]}, "r": still, "o": {"a": 0, "k": 100}}}]}
    row = _rlottie_frame(LottieAnimation.from_data(json.dumps(doc)), 0)[14, 9:20, 3]
    buf = np.zeros((32, 32, 4), dtype=np.uint8)
    canvas = skia.Surface(buf, colorType=skia.kRGBA_8888_ColorType).getCanvas()
    image = skia.Image.fromarray(np.full((8, 8, 4), 255, dtype=np.uint8), colorType=skia.kRGBA_8888_ColorType)
    canvas.drawImage(image, 10.5, 10.5, skia.SamplingOptions(skia.FilterMode.kLinear))
    print(f"\nrow 14, pixels 9..19: rlottie {row.tolist()}, skia {buf[14, 9:20, 3].tolist()}")
    assert row[0] == 0 and 100 < row[1] < 150 and set(row[2:9].tolist()) == {253} and row[9] == 0
    assert buf[14, 10, 3] == 0 and set(buf[14, 11:19, 3].tolist()) == {255} and buf[14, 19, 3] == 0


def test_embedded_images_are_the_rigs_drawings(doc, song, rigs):
    """Every part and mouth drawing is embedded: the leads' pixel for pixel, the crowd's with their colours turned."""
    from PIL import Image

    embedded = {}
    for asset in doc["assets"]:
        head, data = asset["p"].split(",", 1)
        assert asset["e"] == 1 and head == "data:image/png;base64"
        with Image.open(io.BytesIO(base64.b64decode(data))) as im:
            embedded[asset["id"]] = np.asarray(im.convert("RGBA"))
            assert (asset["w"], asset["h"]) == im.size
    drawings = {}
    for layer in doc["layers"]:
        if layer["ty"] == 2:
            name, kind, key = layer["nm"].split(" ")
            rig = rigs[name]
            d = rig.parts[[p.bone for p in rig.parts].index(key)].drawing if kind == "part" else rig.mouth.shapes[key]
            drawings[layer["refId"]] = (name, d.path)
    assert set(drawings) == set(embedded)
    crowd = set(crowd_names(song.choreography))
    assert {name for name, _ in drawings.values()} & crowd  # the crowd has cut-out dancers
    for ref, (name, path) in drawings.items():
        with Image.open(path) as im:
            drawn = np.asarray(im.convert("RGBA"))
        if name in crowd:
            assert np.array_equal(drawn[..., 3], embedded[ref][..., 3]) and not np.array_equal(drawn, embedded[ref])
        else:
            assert np.array_equal(drawn, embedded[ref]), path


def _group(song: Song, name: str) -> tuple[str, ...]:
    """A lead by name, or every crowd dancer for ``"crowd"``."""
    return crowd_names(song.choreography) if name == "crowd" else (name,)


def _only(doc: dict, names: tuple[str, ...]) -> dict:
    """The document with only these characters' layers (and the camera)."""
    keep = (*names, "camera")
    return {**doc, "layers": [layer for layer in doc["layers"] if layer["nm"].split(" ")[0] in keep]}


@pytest.mark.parametrize("name", [*SINGERS, "crowd"])
def test_rlottie_frames_match_choreos_render(doc, song, rigs, name):
    """Each lead alone (body and mouth), and the crowd, at 12 frames spread over the song and mid eased segments."""
    names = _group(song, name)
    r = _choreo_renderer(song, rigs, "1280x720", ("characters", "mouth"), characters=names)
    t0 = time.perf_counter()
    frames = sorted(set(_spread_frames(song) + _eased_frames(song)))
    images = any(rigs[x].parts for x in names)
    iou_min, colour_max = (PARTS_IOU_MIN, PARTS_COLOUR_MAX) if images else (IOU_MIN, COLOUR_MAX)
    rows = _frame_table(r, _only(doc, names), frames, iou_min, colour_max, f"{name}: rlottie vs choreo")
    print(f"compared {len(rows)} frames in {time.perf_counter() - t0:.2f} s")
    assert all(ok for *_, ok in rows)


def test_whole_scene_matches_choreos_render(doc, song, rigs):
    """Every character and mouth together: the crowd behind the leads, characters stacked in order, mouths on top."""
    r = _choreo_renderer(song, rigs, "1280x720", ("characters", "mouth"))
    rows = _frame_table(r, doc, _spread_frames(song), PARTS_IOU_MIN, PARTS_COLOUR_MAX,
                        "whole scene: rlottie vs choreo")
    assert all(ok for *_, ok in rows)


def _mirrored(doc: dict) -> dict:
    """Every bone turned the wrong way (the sign of its rotation flipped); bone layers are "<character> <bone>"."""
    out = copy.deepcopy(doc)
    for layer in out["layers"]:
        words = layer["nm"].split(" ")
        if len(words) == 2 and words[0] in SINGERS and words[1] != "mouth":
            rot = layer["ks"]["r"]
            if rot["a"]:
                for k in rot["k"]:
                    k["s"] = [-k["s"][0]]
            else:
                rot["k"] = -rot["k"]
    return out


@pytest.mark.parametrize("name", ["ada", "pip"])
def test_bones_turned_the_wrong_way_fail_the_pixel_comparison(doc, song, rigs, name):
    """rlottie renders a wrong export as happily as a right one: the comparison must catch it on every frame."""
    r = _choreo_renderer(song, rigs, "1280x720", (name,))
    iou_min, colour_max = (PARTS_IOU_MIN, PARTS_COLOUR_MAX) if rigs[name].parts else (IOU_MIN, COLOUR_MAX)
    rows = _frame_table(r, _mirrored(_only(doc, (name,))), _spread_frames(song), iou_min, colour_max,
                        f"{name}: bones turned the wrong way")
    assert not any(ok for *_, ok in rows)


def test_linear_eases_fail_the_pixel_comparison(doc, song, rigs):
    """Linear eases in place of choreo's (same keys) fail in the middle of eased segments."""
    r = _choreo_renderer(song, rigs, "1280x720", ("ada",))
    linear = copy.deepcopy(_only(doc, ("ada",)))
    for layer in linear["layers"]:
        for k in layer["ks"]["r"]["k"] if layer["ks"]["r"]["a"] else []:
            if "o" in k:
                k["o"]["y"], k["i"]["y"] = [k["o"]["x"][0]], [k["i"]["x"][0]]
    rows = _frame_table(r, linear, _eased_frames(song), IOU_MIN, COLOUR_MAX, "ada: linear eases mid-segment")
    assert sum(not ok for *_, ok in rows) >= len(rows) // 2


def _mouths_only(doc: dict) -> dict:
    """The document with the bodies removed: bone shapes emptied, cut-out parts dropped, mouths kept."""
    out = copy.deepcopy(doc)
    out["layers"] = [layer for layer in out["layers"] if " part " not in layer["nm"]]
    for layer in out["layers"]:
        if layer["ty"] == 4 and not layer["nm"].endswith(" mouth"):
            layer["shapes"] = []
    return out


@pytest.fixture(scope="module")
def big_doc(song, tmp_path_factory) -> dict:
    """The export on a 2560x1440 canvas (the ``size`` option)."""
    path = write_lottie(song, tmp_path_factory.mktemp("big") / "big.lottie.json", size=MOUTH_SIZE)
    return json.loads(path.read_text(encoding="utf-8"))


def _mouth_frames(song: Song, name: str) -> list[int]:
    """The middle of the first two cues of every mouth shape a character sings."""
    frames: dict[str, list[int]] = {}
    for cue in next(m for m in song.mouths if m.character == name).cues:
        frames.setdefault(cue.shape, []).append((cue.start_frame + cue.end_frame) // 2)
    assert set(frames) == set("ABCDEFGHX")  # the lyrics give every shape
    return sorted({f for fs in frames.values() for f in fs[:2]})


@pytest.mark.parametrize("name", SINGERS)
def test_mouths_match_choreos_render(song, rigs, big_doc, name):
    """Every mouth shape of the run, alone on a large canvas: drawn mouths, and the cut-out rig's drawings."""
    assert (big_doc["w"], big_doc["h"]) == (2560, 1440)
    r = _choreo_renderer(song, rigs, MOUTH_SIZE, ("mouth",), characters=(name,))
    sampled = _mouth_frames(song, name)
    mouths = _mouths_only(_only(big_doc, (name,)))
    iou_min, colour_max = ((PARTS_MOUTH_IOU_MIN, PARTS_MOUTH_COLOUR_MAX) if rigs[name].mouth.shapes
                           else (MOUTH_IOU_MIN, MOUTH_COLOUR_MAX))
    rows = _frame_table(r, mouths, sampled, iou_min, colour_max, f"{name}: mouths alone", MOUTH_CUT)
    assert all(ok for *_, ok in rows)
    # Shapes shown at the wrong cues (each shape switched by the next one's keys) fail the comparison.
    for layer in mouths["layers"]:
        if layer["nm"] == f"{name} mouth" and layer["ty"] == 4:
            groups = layer["shapes"]
            shown = [g["it"][-1]["o"] for g in groups]
            for g, o in zip(groups, shown[1:] + shown[:1], strict=True):
                g["it"][-1]["o"] = o
    drawings = [layer for layer in mouths["layers"] if layer["ty"] == 2]
    shown = [layer["ks"]["o"] for layer in drawings]
    for layer, o in zip(drawings, shown[1:] + shown[:1], strict=True):
        layer["ks"]["o"] = o
    rows = _frame_table(r, mouths, sampled, iou_min, colour_max, f"{name}: mouth shapes switched at the wrong cues",
                        MOUTH_CUT)
    assert sum(not ok for *_, ok in rows) >= len(rows) // 2


@pytest.mark.parametrize("squeeze", [False, True])
def test_mouth_drawings_sit_where_the_rig_puts_them(song, rigs, squeeze):
    """The cut-out rig's mouth drawings, corner by corner, wherever their shape shows.

    The rig format puts a drawing ``offset`` from the mouth anchor in the rest pose, turns it with the mouth
    bone and, with ``scale_open``, squeezes it vertically about the anchor by ``0.5 + 0.5 * open``.
    """
    c, n = song.choreography, song.choreography.duration_frames
    pip = dataclasses.replace(rigs["pip"], mouth=dataclasses.replace(rigs["pip"].mouth, scale_open=squeeze))
    doc = _only(to_lottie(song, rigs={**rigs, "pip": pip}), ("pip",))
    world = _world_matrices(doc, n)
    assets = {a["id"]: a for a in doc["assets"]}
    rot, root = sample_character(c.tracks, "pip", pip.names, n)
    root_xy = pip.origin_xy[None, :] + root * np.array([1.0, -1.0])
    anchor = mouth_xy(pip, rot, root_xy)
    i = pip.mouth.index
    turn = np.deg2rad(world_angles(pip, np.zeros((1, pip.n_bones)))[0, i] - world_angles(pip, rot)[:, i])
    shape, opening = np.full(n, "X"), np.zeros(n)
    for cue in next(m for m in song.mouths if m.character == "pip").cues:
        shape[cue.start_frame:cue.end_frame], opening[cue.start_frame:cue.end_frame] = cue.shape, cue.open
    r = _choreo_renderer(song, rigs, "1280x720", ("characters",))
    worst = 0.0
    for s, d in pip.mouth.shapes.items():
        layer = next(x for x in doc["layers"] if x["nm"] == f"pip mouth {s}")
        frames = np.flatnonzero(shape == s)[::5]
        sy = 0.5 + 0.5 * opening[frames] if squeeze else np.ones(frames.size)
        asset = assets[layer["refId"]]
        for u, v in ((0, 0), (asset["w"], 0), (0, asset["h"]), (asset["w"], asset["h"])):
            x, y = d.offset_px[0] + d.scale * u, sy * (d.offset_px[1] + d.scale * v)
            t = turn[frames]
            stage = anchor[frames] + np.stack([np.cos(t) * x - np.sin(t) * y, np.sin(t) * x + np.cos(t) * y], axis=-1)
            want = np.stack([r.stage_to_output(f, p) for f, p in zip(frames, stage, strict=True)])
            worst = max(worst, float(np.abs(_apply(world[layer["nm"]][frames], (u, v)) - want).max()))
    print(f"\nmouth drawing corners{' (squeezed)' if squeeze else ''}: largest difference {worst:.2e} px")
    assert worst < POINT_TOL_PX


def test_a_capsule_of_no_length_is_a_dot(song, rigs):
    """A capsule bone of length 0 (the rig format allows it) is a dot as wide as the bone, as choreo draws it.

    rlottie draws nothing for a stroke without length, round caps or not, so the export draws a filled circle.
    """
    ada = rigs["ada"]
    i = ada.index["l_hand"]
    lengths = ada.lengths_px.copy()
    lengths[i] = 0.0
    lengths.setflags(write=False)
    dotted = {**rigs, "ada": dataclasses.replace(ada, lengths_px=lengths)}
    doc = _only(to_lottie(song, rigs=dotted), ("ada",))
    for layer in doc["layers"]:
        if layer["ty"] == 4 and layer["nm"] != "ada l_hand":
            layer["shapes"] = []
    anim = LottieAnimation.from_data(json.dumps(doc))
    r = _choreo_renderer(song, dotted, "1280x720", ("characters",), characters=("ada",))
    n = song.choreography.duration_frames
    rot, root = sample_character(song.choreography.tracks, "ada", ada.names, n)
    seg = forward_kinematics(dotted["ada"], rot, ada.origin_xy[None, :] + root * np.array([1.0, -1.0]))
    for f in _spread_frames(song)[::3]:
        alpha = _rlottie_frame(anim, f)[..., 3]
        x, y = r.stage_to_output(f, seg[f, i, 0])
        radius = ada.widths_px[i] / 2 * r.camera[f, 0]
        assert alpha[int(y), int(x)] > 0
        assert (alpha > 0).sum() == pytest.approx(np.pi * radius ** 2, rel=0.3)
        ours = _choreo_frame(r, f)[0][..., 3]
        assert ours[int(y), int(x)] > 0  # choreo draws the dot too


def test_a_zoom_past_the_renderers_floor_is_a_warning(song, rigs):
    """choreo's renderer stops zooming out at MIN_ZOOM; the Lottie follows the keys and says so."""
    from render.frames import MIN_ZOOM

    c = song.choreography
    zoom = c.tracks["camera/zoom"]
    far = Track(zoom.frames, tuple(MIN_ZOOM / 2 for _ in zoom.values), zoom.interp)
    wide = dataclasses.replace(song, choreography=dataclasses.replace(c, tracks={**c.tracks, "camera/zoom": far}))
    with pytest.warns(UserWarning, match="camera/zoom goes below"):
        to_lottie(wide, rigs=rigs)


def test_frame_rate_is_the_choreographys(doc):
    assert doc["fr"] == 30000 / 1001
    assert doc["meta"]["fps"] == "30000/1001"
    frames = [k["t"] for layer in doc["layers"] for k in (layer["ks"]["r"]["k"] if layer["ks"]["r"]["a"] else [])]
    assert frames and all(isinstance(f, int) for f in frames)


def test_bad_input_fails_cleanly(song, run_dir, tmp_path):
    target = tmp_path / "x.lottie.json"
    with pytest.raises(ChoreoError, match="no rig for character"):
        write_lottie(song, target, rigs={})
    with pytest.raises(ChoreoError, match="WIDTHxHEIGHT"):
        write_lottie(song, target, size="wide")
    assert not target.exists()
    only_analysis = Song(song.name, song.analysis, folder=tmp_path)
    with pytest.raises(ChoreoError, match="choreography"):
        export_song(only_analysis, parse_formats("lottie"), tmp_path)
    res = run_cli("export", str(run_dir / "example_song.analysis.json"), "--to", "lottie", "-o", str(tmp_path))
    assert res.returncode != 0
    assert len(res.stderr.strip().splitlines()) == 1 and "choreography" in res.stderr
    assert not list(tmp_path.glob("*.lottie.json"))


def test_canvas_size_from_the_cli(run_dir, tmp_path):
    res = run_cli("export", str(run_dir), "--to", "audacity,lottie", "--size", "640x360", "-o", str(tmp_path))
    assert res.returncode == 0, res.stderr
    small = json.loads((tmp_path / "example_song.lottie.json").read_text())
    assert (small["w"], small["h"]) == (640, 360)
    assert (tmp_path / "example_song.labels.txt").exists()  # a format without a canvas ignores the size
    res = run_cli("export", str(run_dir), "--to", "lottie", "--size", "wide", "-o", str(tmp_path / "bad"))
    assert res.returncode != 0 and len(res.stderr.strip().splitlines()) == 1 and "WIDTHxHEIGHT" in res.stderr
    assert not (tmp_path / "bad").exists() or not list((tmp_path / "bad").iterdir())
