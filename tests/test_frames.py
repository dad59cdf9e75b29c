"""Frame rendering: buffers, straight alpha, camera, lighting flashes, overlay ticks and degenerate layers."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from audio.analysis import analyze
from audio.errors import ChoreoError
from audio.model import Word
from choreography.model import SHAPES, Choreography, MouthCue, MouthTrack, Track
from choreography.moves import load_moves
from choreography.rig import load_rig, validate
from choreography.solver import solve
from render.frames import LIGHT_MAX_ALPHA, FrameRenderer
from render.spec import PASS_KINDS, RenderSpec, parse_size
from tests.conftest import ROOT

W, H = 320, 180


def _const(v: float) -> Track:
    return Track((0,), (float(v),), ("hold",))


def _hand_made(n: int = 24, **channels: float) -> Choreography:
    tracks = {"bo/root.x": _const(400.0), "ada/l_upper_arm.rot": Track((0, n - 1), (0.0, 90.0), ("linear", "in_out"))}
    tracks.update({k.replace("__", "/"): _const(v) for k, v in channels.items()})
    return Choreography(fps=Fraction(24), duration_frames=n, characters=("ada", "bo"), tracks=tracks)


@pytest.fixture(scope="module")
def rigs():
    return {"ada": load_rig("ada"), "bo": load_rig("bo")}


@pytest.fixture(scope="module")
def solved(rigs):
    from audio.params import AnalysisParams

    ex = ROOT / "examples"
    song = analyze(ex / "example_song.ogg", AnalysisParams(backend="librosa"), midi=ex / "example_song.mid")
    c = solve(song, rigs, load_moves())
    return song, c, FrameRenderer(c, rigs, RenderSpec(W, H, passes=PASS_KINDS), analysis=song)


def test_parse_size_and_spec():
    assert parse_size("1280x720") == (1280, 720)
    assert parse_size(" 640 X 360 ") == (640, 360)
    for bad in ("1280", "axb", "0x720", "1280x-1", "99999x10", ""):
        with pytest.raises(ChoreoError):
            parse_size(bad)
    with pytest.raises(ChoreoError):
        RenderSpec(background="blue")
    with pytest.raises(ChoreoError):
        RenderSpec(passes=())


def test_buffers_characters_pass_and_composite(rigs):
    r = FrameRenderer(_hand_made(), rigs, RenderSpec(W, H, passes=("characters", "composite", "ada", "bo")))
    bufs = r.new_buffers()
    ids = {k: id(v) for k, v in bufs.items()}
    for f in (0, 12, 23):
        r.render(f, bufs)
    for k, b in bufs.items():
        assert b.shape == (H, W, 4) and b.dtype == np.uint8 and id(b) == ids[k]
    ch = bufs["characters"]
    assert ch[0, 0, 3] == 0 and ch[-1, -1, 3] == 0
    x, y = np.rint(r.stage_to_output(23, rigs["ada"].origin_xy)).astype(int)
    assert ch[y - 1:y + 2, x - 1:x + 2, 3].max() > 0  # the pelvis is drawn
    bx, by = np.rint(r.stage_to_output(23, rigs["bo"].origin_xy + np.array([400.0, 0.0]))).astype(int)
    assert bufs["bo"][by, bx, 3] > 0 and bufs["ada"][by, bx, 3] == 0  # per-character passes hold one each
    assert np.all(bufs["composite"][..., 3] == 255)
    with pytest.raises(ChoreoError):
        r.render(24, bufs)
    with pytest.raises(ChoreoError):
        r.render(0, {"composite": np.zeros((H, W, 3), np.uint8)})
    with pytest.raises(ChoreoError):
        r.new_buffers(["nobody"])


def test_camera_zoom_scales_about_the_centre(rigs):
    wide = FrameRenderer(_hand_made(), rigs, RenderSpec(W, H))
    close = FrameRenderer(_hand_made(camera__zoom=2.0, camera__x=100.0), rigs, RenderSpec(W, H))
    p = np.array([1060.0, 540.0])  # 100 px right of the stage centre: the close camera's centre
    assert np.allclose(wide.stage_to_output(0, p), [W / 2 + 100 * W / 1920, H / 2])
    assert np.allclose(close.stage_to_output(0, p), [W / 2, H / 2])
    a, b = wide.new_buffers(["characters"]), close.new_buffers(["characters"])
    wide.render(0, a)
    close.render(0, b)
    assert (b["characters"][..., 3] > 0).sum() > 2 * (a["characters"][..., 3] > 0).sum()


def test_lighting_pass_has_straight_alpha(rigs):
    c = _hand_made(light__intensity=0.5 / LIGHT_MAX_ALPHA, light__hue=0.0, light__saturation=1.0)
    r = FrameRenderer(c, rigs, RenderSpec(W, H, passes=("lighting",)))
    bufs = r.new_buffers()
    r.render(3, bufs)
    px = bufs["lighting"][H // 2, W // 2].astype(int)
    assert abs(px[3] - 128) <= 2
    assert px[0] >= 250 and px[1] <= 5 and px[2] <= 5  # full red, not 128 (premultiplied)


def test_flash_is_brighter_and_overlay_marks_downbeats(solved):
    song, c, r = solved
    inten = r.light[:, 0]
    flashes = np.flatnonzero(np.diff(inten) > 0.2) + 1
    assert flashes.size, "the example song should have lighting flashes"
    f = int(flashes[0])
    bufs = r.new_buffers(["lighting", "composite"])

    def brightness(frame: int, name: str) -> float:
        r.render(frame, bufs)
        px = bufs[name].astype(np.float64)
        return float((px[..., :3] * px[..., 3:] / 255.0).mean())

    assert brightness(f, "lighting") > brightness(f - 1, "lighting")
    assert brightness(f, "composite") > brightness(f - 1, "composite")

    down = int(np.flatnonzero(r.beat_flag == 2)[1])
    plain = down + 1 if r.beat_flag[down + 1] == 0 else down + 2
    assert r.beat_flag[plain] == 0
    ov = r.new_buffers(["overlay"])["overlay"]
    tick = (slice(0, int(0.15 * H)), slice(int(0.85 * W), W))
    r.render(down, {"overlay": ov})
    at_down = ov.copy()
    r.render(plain, {"overlay": ov})
    assert not np.array_equal(at_down[tick], ov[tick])
    assert at_down[..., 3].max() > 0 and at_down[0, W // 2, 3] == 0


def test_every_pass_of_the_song_renders(solved):
    _, c, r = solved
    bufs = r.new_buffers(r.pass_names)
    for f in np.linspace(0, c.duration_frames - 1, 5).astype(int):
        r.render(int(f), bufs)
    assert np.all(bufs["background"][..., 3] == 255)


def test_mouth_shapes_and_words(rigs):
    n = len(SHAPES) * 2
    cues = tuple(MouthCue(2 * i, 2 * i + 2, s, 0.5 + 0.5 * (i % 2)) for i, s in enumerate(SHAPES))
    mouth = MouthTrack(Fraction(24), "ada", cues, words=(Word(0.0, 0.5, "la"),))
    r = FrameRenderer(_hand_made(n), rigs, RenderSpec(W, H, passes=("mouth", "overlay")), mouths={"ada": mouth})
    bufs = r.new_buffers()
    area = []
    for f in range(n):
        r.render(f, bufs)
        area.append(int((bufs["mouth"][..., 3] > 0).sum()))
    d, x = SHAPES.index("D") * 2, SHAPES.index("X") * 2
    assert area[d] > area[x] > 0  # the wide open D covers more than the relaxed X


def test_off_canvas_zero_size_and_empty_passes(rigs):
    doc = rigs["ada"].to_dict()
    for b in doc["bones"]:
        b["length"] = 0.0
        b.pop("offset", None)
    tiny = validate(doc)
    c = _hand_made(camera__zoom=0.0)  # clamped to a tiny zoom
    c = Choreography(c.fps, c.duration_frames, c.characters, {**c.tracks, "ada/root.x": _const(1e5)})
    for rig_set in ({"ada": rigs["ada"], "bo": tiny}, {"ada": tiny, "bo": tiny}):
        r = FrameRenderer(c, rig_set, RenderSpec(W, H, passes=PASS_KINDS))
        bufs = r.new_buffers(r.pass_names)
        for f in (0, 23):
            r.render(f, bufs)
        assert bufs["ada"][..., 3].max() == 0  # far off the canvas
        assert bufs["lighting"].max() == 0  # no light tracks: an empty pass
    empty = Choreography(Fraction(24), 5, (), {})
    r = FrameRenderer(empty, {}, RenderSpec(W, H, passes=PASS_KINDS))
    bufs = r.new_buffers()
    r.render(4, bufs)
    assert bufs["characters"].max() == 0 and np.all(bufs["composite"][..., 3] == 255)


def test_golden_frames_within_tolerance():
    from tests.golden_frames import GOLDEN, render_golden

    for f, img in render_golden().items():
        gold = np.load(GOLDEN / f"frame_{f:03d}.npy")
        diff = np.abs(img.astype(int) - gold.astype(int))
        assert diff.mean() < 1.5 and np.mean(diff > 40) < 0.01, f"frame {f} drifted from its golden image"


def test_cli_render_into_an_unwritable_place(tmp_path):
    from engine import artifacts
    from tests.conftest import run_cli
    from tests.golden_frames import golden_choreography

    c = tmp_path / "g.choreography.json"
    artifacts.save(golden_choreography(), c)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = run_cli("render", str(c), "--rig", "ada", "--rig", "bo", "-o", str(blocker / "out"))
    assert res.returncode == 2 and "file" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert blocker.read_text() == "x"
