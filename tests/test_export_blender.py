"""choreo export --to blender: a real run of the example song, saved as a .blend by Blender, read back by Blender.

The inputs are `choreo run` outputs of the bundled example song (librosa backend, no render): at 24 fps with an
espeak-ng singer (one character, rig ada, with a mouth track) and at 30000/1001 with two dancers (ada and bo,
in canon). `choreo export --to blender` runs Debian's blender headless to save the .blend; a second Blender
process (tests/material/blender_dump.py) opens it and dumps every F-curve evaluated at every frame, the bones'
world positions at sampled frames, markers, fps, the sound strip, the camera and the mouth property, which are
compared with choreo's own sampler and forward kinematics.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audio.errors import ChoreoError
from audio.files import PARTIAL_MARK
from choreography.model import SHAPES, seconds_to_frame
from choreography.rig import forward_kinematics, load_rig, world_angles
from choreography.sampling import sample_character, sample_track
from engine.exporters import FORMATS, parse_formats
from engine.exporters.song import export_song, load_song
from engine.run import RunInputs
from tests.conftest import ROOT, run_cli, run_per_fps

EX = ROOT / "examples"
DUMP = ROOT / "tests" / "material" / "blender_dump.py"
BLENDER = shutil.which("blender")
needs_blender = pytest.mark.skipif(BLENDER is None, reason="blender is not installed (make test installs it: "
                                                           "apt-get install blender)")
LINES = ["Twinkle twinkle little star", "How I wonder what you are"]
SINGING_STARTS_S = 8.6
RUNS = {"24": ("singer",), "30000/1001": ("ada", "bo")}
PX = 100.0  # stage px per Blender unit
STAGE_W, STAGE_H = 1920, 1080
MAX_DEG = 0.5


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """`choreo run` folders (no render): 24 fps with a singer on rig ada, 30000/1001 with dancers ada and bo."""
    from tests.material.espeak_speech import synthesize

    d = tmp_path_factory.mktemp("export_blender")
    for name in ("example_song.ogg", "example_song.mid"):
        shutil.copy(EX / name, d / name)
    ssml = '<speak><prosody rate="50%" pitch="+25%">' + ' <break time="600ms"/> '.join(LINES) + "</prosody></speak>"
    spoken = synthesize(ssml, ssml=True)
    lead = np.zeros(round(SINGING_STARTS_S * spoken.sr), dtype=np.float32)
    sf.write(str(d / "singer.wav"), np.concatenate([lead, spoken.y]), spoken.sr)
    (d / "singer.txt").write_text("\n".join(LINES) + "\n", encoding="utf-8")
    singer = RunInputs(song=d / "example_song.ogg", midi=d / "example_song.mid", vocals=((d / "singer.wav", "singer"),),
                       lyrics=d / "singer.txt", rigs=("ada",))
    dancers = RunInputs(song=d / "example_song.ogg", midi=d / "example_song.mid", rigs=("ada", "bo"))
    return run_per_fps({"24": singer, "30000/1001": dancers}, d, ("24", "30000/1001"))


def _sampled_frames(n: int) -> list[int]:
    return sorted({*np.linspace(0, n - 1, 13).astype(int).tolist(), 1, 7, n // 3 + 5})


def _dump(blend: Path, out: Path, frames: list[int]) -> dict:
    """What Blender reads from the .blend (tests/material/blender_dump.py)."""
    done = subprocess.run([BLENDER, "-b", "--factory-startup", "--python-exit-code", "1", "--python", str(DUMP),
                           "--", str(blend), str(out), ",".join(map(str, frames))],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture(scope="module", params=list(RUNS))
def exported(request, runs, tmp_path_factory):
    """`choreo export RUN --to blender -o OUT` with Blender on the PATH, then the .blend dumped by Blender."""
    fps = request.param
    out = tmp_path_factory.mktemp("blend")
    res = run_cli("export", str(runs[fps]), "--to", "blender", "-o", str(out))
    assert res.returncode == 0, res.stderr
    blend = out / "example_song.blend"
    assert res.stdout.strip() == f"wrote {blend}" and not res.stderr
    song = load_song([runs[fps]])
    assert sorted(song.choreography.characters) == sorted(RUNS[fps])
    return song, out, _dump(blend, out / "dump.json", _sampled_frames(song.choreography.duration_frames))


def _rigs(song):
    return {c: load_rig(song.choreography.provenance["rigs"][c]) for c in song.choreography.characters}


def _curve(curves: dict, path: str) -> np.ndarray:
    return np.array(curves[path]["values"])


@needs_blender
def test_scene_fps_frames_and_characters(exported):
    song, _, d = exported
    fps, n = song.fps, song.choreography.duration_frames
    assert d["scene"] == "example_song"
    assert d["fps"] == round(fps)
    assert abs(d["fps"] / d["fps_base"] / float(fps) - 1) < 1e-6  # 30 / 1.001 for 30000/1001
    assert (d["frame_start"], d["frame_end"]) == (0, n - 1)
    assert sorted(d["armatures"]) == sorted(song.choreography.characters)
    for name, rig in _rigs(song).items():
        arm = d["armatures"][name]
        assert arm["rig"] == rig.name and arm["rotation_modes"] == ["XYZ"]
        assert arm["bones"] == {b.name: {"parent": b.parent, "connected": False} for b in rig.bones}


@needs_blender
def test_bone_rotations_match_the_sampler_at_every_frame(exported):
    song, _, d = exported
    chor = song.choreography
    n = chor.duration_frames
    for name, rig in _rigs(song).items():
        curves = d["armatures"][name]["curves"]
        keyed = {p for p in curves if p.startswith("pose.bones")}
        channels = [b for b in rig.names if f"{name}/{b}.rot" in chor.tracks]
        assert keyed == {f'pose.bones["{b}"].rotation_euler[2]' for b in channels}
        for b in channels:
            track = chor.tracks[f"{name}/{b}.rot"]
            got = np.rad2deg(_curve(curves, f'pose.bones["{b}"].rotation_euler[2]'))
            err = np.abs(got - sample_track(track, n))
            assert err.max() < MAX_DEG, (name, b, int(err.argmax()))



def _segment_modes(track, keys):
    """Blender's interpolation of each segment (the key it leaves) beside choreo's ease (the key it reaches)."""
    assert [k[0] for k in keys] == list(track.frames)
    return [(ease, k[1]) for ease, k in zip(track.interp[1:], keys, strict=False)]


@needs_blender
def test_holds_are_constant_and_eases_bezier(exported):
    song, _, d = exported
    chor = song.choreography
    pairs = []
    for name in chor.characters:
        curves = d["armatures"][name]["curves"]
        for path, curve in curves.items():
            bone = re.fullmatch(r'pose\.bones\["(.+)"\]\.rotation_euler\[2\]', path)
            channel = f"{name}/{bone[1]}.rot" if bone else {"location[0]": f"{name}/root.x",
                                                             "location[2]": f"{name}/root.y"}.get(path)
            if channel:
                pairs += _segment_modes(chor.tracks[channel], curve["keys"])
    cam = d["cameras"]["camera"]["curves"]
    for channel, path in (("camera/x", "location[0]"), ("camera/y", "location[2]"), ("camera/zoom", '["zoom"][0]')):
        pairs += _segment_modes(chor.tracks[channel], cam[path]["keys"])
    wanted = {"hold": "CONSTANT", "linear": "LINEAR"}
    assert all(mode == wanted.get(ease, "BEZIER") for ease, mode in pairs)
    eases = {ease for ease, _ in pairs}
    assert {"hold", "linear", "in_out", "out", "in", "overshoot"} <= eases, eases


@needs_blender
def test_root_motion_and_bone_positions_match_forward_kinematics(exported):
    song, _, d = exported
    chor = song.choreography
    n = chor.duration_frames
    for name, rig in _rigs(song).items():
        rot, root = sample_character(chor.tracks, name, rig.names, n)
        root_xy = rig.origin_xy[None, :] + root * np.array([1.0, -1.0])  # as choreo's renderer places it
        curves = d["armatures"][name]["curves"]
        x = _curve(curves, "location[0]") * PX + STAGE_W / 2
        y = STAGE_H / 2 - _curve(curves, "location[2]") * PX
        assert np.abs(np.stack([x, y], -1) - root_xy).max() < 0.01  # px
        seg = forward_kinematics(rig, rot, root_xy)
        angles = world_angles(rig, rot)
        for f, at in d["at"].items():
            bones = np.array([at["armatures"][name]["bones"][b] for b in rig.names])  # (bones, head/tail, xyz)
            assert np.abs(bones[..., 1]).max() < 1e-5  # the XZ plane
            px = np.stack([bones[..., 0] * PX + STAGE_W / 2, STAGE_H / 2 - bones[..., 2] * PX], -1)
            assert np.abs(px - seg[int(f)]).max() < 0.05, (name, f)
            direction = np.rad2deg(np.arctan2(bones[:, 1, 2] - bones[:, 0, 2], bones[:, 1, 0] - bones[:, 0, 0]))
            assert np.abs((direction - angles[int(f)] + 180) % 360 - 180).max() < MAX_DEG


@needs_blender
def test_markers_for_sections_bars_and_camera_cuts(exported):
    song, _, d = exported
    fps = song.fps
    a = song.analysis
    expected = [[f"{s.label} {s.kind}", seconds_to_frame(s.start, fps), None] for s in a.sections]
    expected += [[f"bar {b.bar}", seconds_to_frame(b.t, fps), None] for b in a.beats if b.beat == 1]
    cuts = []  # a shot that continues without a cut joins the one before: "shot wide > close"
    for s in song.choreography.shots:
        if s.cut or not cuts:
            cuts.append([s.start_frame, [s.kind]])
        else:
            cuts[-1][1].append(s.kind)
    assert len(cuts) > 3
    expected += [[f"shot {' > '.join(kinds)}", start, "camera"] for start, kinds in cuts]
    assert d["markers"] == sorted(expected)


@needs_blender
def test_sound_strip_is_the_song_relative_to_the_blend(exported):
    song, out, d = exported
    (strip,) = d["sounds"]
    assert strip["type"] == "SOUND" and strip["channel"] == 1 and strip["frame_start"] == 0
    assert strip["filepath"].startswith("//")
    assert Path(strip["abspath"]).samefile(song.analysis.source.path)
    assert abs(strip["duration"] - seconds_to_frame(song.analysis.source.duration_s, song.fps)) <= 1


@needs_blender
def test_camera_moves_and_zoom(exported):
    song, _, d = exported
    chor = song.choreography
    n = chor.duration_frames
    cam = d["cameras"]["camera"]
    assert d["camera"] == "camera" and cam["type"] == "ORTHO"
    assert cam["drivers"] == [{"path": "ortho_scale", "expression": "19.2 / max(zoom, 0.05)", "simple": True,
                               "valid": True}]
    x, z = _curve(cam["curves"], "location[0]"), _curve(cam["curves"], "location[2]")
    zoom = sample_track(chor.tracks["camera/zoom"], n)
    assert np.abs(x * PX - sample_track(chor.tracks["camera/x"], n)).max() < 0.01
    assert np.abs(-z * PX - sample_track(chor.tracks["camera/y"], n)).max() < 0.01
    assert np.abs(_curve(cam["curves"], '["zoom"][0]') - zoom).max() < 1e-5
    assert len(set(np.round(zoom, 3))) > 2  # the song's zoom changes, so the driver's result is checked
    for f, at in d["at"].items():
        c = at["cameras"]["camera"]
        assert abs(c["zoom"] - zoom[int(f)]) < 1e-5
        assert abs(c["ortho_scale"] - STAGE_W / PX / max(zoom[int(f)], 0.05)) < 1e-4  # zoom 1: the whole stage
    assert d["resolution"] == [STAGE_W, STAGE_H]


@needs_blender
def test_mouth_shape_per_frame(exported):
    song, _, d = exported
    n = song.choreography.duration_frames
    by_name = {m.character: m for m in song.mouths}
    assert set(by_name) <= set(d["armatures"])
    for name, arm in d["armatures"].items():
        if name not in by_name:
            assert '["mouth"][0]' not in arm["curves"] and arm["mouth_shapes"] is None
            continue
        expected = np.full(n, SHAPES.index("X"))
        for c in by_name[name].cues:
            expected[c.start_frame:c.end_frame] = SHAPES.index(c.shape)
        assert arm["mouth_shapes"] == "ABCDEFGHX"
        curve = arm["curves"]['["mouth"][0]']
        assert {k[1] for k in curve["keys"]} == {"CONSTANT"}
        assert np.array_equal(np.array(curve["values"]), expected)
        assert len(set(expected.tolist())) > 3  # the singer sings
        for f, at in d["at"].items():
            assert at["armatures"][name]["mouth"] == expected[int(f)]
    assert bool(song.mouths) == (song.fps == Fraction(24))


def test_registered_as_a_song_format():
    exp = FORMATS["blender"]
    assert exp.scope == "song" and exp.needs == ("choreography",) and exp.suffix == ".blend"


def _partials(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if PARTIAL_MARK in p.name or p.name.endswith(".blend@"))


def test_without_blender_the_script_and_data_are_written_and_the_message_says_how(runs, tmp_path, monkeypatch):
    monkeypatch.setenv("CHOREO_BLENDER", str(tmp_path / "no-such-blender"))
    res = run_cli("export", str(runs["24"]), "--to", "blender", "-o", str(tmp_path / "cli"))
    assert res.returncode == 0, res.stderr
    script = tmp_path / "cli" / "example_song.blender.py"
    assert res.stdout.strip() == f"wrote {script}"
    assert "blender not found (CHOREO_BLENDER=" in res.stderr and "is not an executable)" in res.stderr
    assert sorted(p.name for p in (tmp_path / "cli").iterdir()) == ["example_song.blender.json",
                                                                    "example_song.blender.py"]
    with pytest.warns(UserWarning, match="blender not found") as caught:
        (path,) = export_song(load_song([runs["24"]]), parse_formats("blender"), tmp_path / "api")
    assert path == tmp_path / "api" / "example_song.blender.py"
    assert not (tmp_path / "api" / "example_song.blend").exists()
    data = json.loads((tmp_path / "api" / "example_song.blender.json").read_text(encoding="utf-8"))
    assert data["schema"] == "choreo.blender/1" and [c["name"] for c in data["characters"]] == ["singer"]
    if BLENDER is None:
        pytest.skip("blender is not installed: the command the message gives cannot be run")
    (command,) = re.findall(r"`([^`]+)`", str(caught[0].message))
    argv = shlex.split(command)
    assert argv[:3] == ["blender", "-b", "--python"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    blend = tmp_path / "api" / "example_song.blend"
    d = _dump(blend, tmp_path / "dump.json", [0])
    assert sorted(d["armatures"]) == ["singer"] and len(d["markers"]) == len(data["markers"])


@needs_blender
def test_a_failing_blender_is_one_clear_error_and_leaves_no_blend(runs, tmp_path, monkeypatch):
    monkeypatch.setenv("CHOREO_BLENDER", "/bin/false")
    res = run_cli("export", str(runs["24"]), "--to", "blender", "-o", str(tmp_path / "cli"))
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "blender (/bin/false) failed with exit status 1" in res.stderr
    assert res.stderr.startswith(f"choreo: error: {tmp_path / 'cli' / 'example_song.blend'}: ")
    assert not (tmp_path / "cli" / "example_song.blend").exists() and not _partials(tmp_path / "cli")
    talker = tmp_path / "talker"
    talker.write_text("#!/bin/sh\necho 'Read prefs: fine' >&2\necho 'Error: Not freed memory blocks' >&2\nexit 3\n")
    talker.chmod(0o755)
    monkeypatch.setenv("CHOREO_BLENDER", str(talker))
    song = load_song([runs["24"]])
    with pytest.raises(ChoreoError, match="failed with exit status 3: Error: Not freed memory blocks"):
        export_song(song, parse_formats("blender"), tmp_path / "talk")
    monkeypatch.setenv("CHOREO_BLENDER", BLENDER)
    from engine.exporters.blender import write_blender

    with pytest.raises(ChoreoError, match=r"did not finish within 0\.01 s"):
        write_blender(song, tmp_path / "slow" / "example_song.blend", timeout_s=0.01)
    for folder in ("talk", "slow"):
        assert not (tmp_path / folder / "example_song.blend").exists() and not _partials(tmp_path / folder)


@needs_blender
def test_an_ease_blender_cannot_draw_is_baked_per_frame(runs, tmp_path, monkeypatch):
    """If "in" were a sine ease (not a cubic), its segments get a key on every frame and still match."""
    from choreography import moves
    from engine.exporters.blender import ease_modes

    real = moves.apply_ease
    code = moves.EASES.index("in")

    def sine_in(t, codes):
        t = np.clip(np.asarray(t, dtype=np.float64), 0.0, 1.0)
        return np.where(np.broadcast_to(codes, t.shape) == code, 1.0 - np.cos(t * np.pi / 2), real(t, codes))

    monkeypatch.setattr(moves, "apply_ease", sine_in)
    assert ease_modes()["in"] == ("BAKE", None)
    song = load_song([runs["24"]])
    monkeypatch.setenv("CHOREO_BLENDER", BLENDER)
    (blend,) = export_song(song, parse_formats("blender"), tmp_path)
    d = _dump(blend, tmp_path / "dump.json", [0])
    chor, n = song.choreography, song.choreography.duration_frames
    curves = d["armatures"]["singer"]["curves"]
    baked = 0
    for name, track in chor.tracks.items():
        if not (name.startswith("singer/") and name.endswith(".rot")):
            continue
        curve = curves[f'pose.bones["{name[7:-4]}"].rotation_euler[2]']
        err = np.abs(np.rad2deg(curve["values"]) - sample_track(track, n))  # the patched sampler
        assert err.max() < MAX_DEG, (name, int(err.argmax()))
        extra = sum(b - a - 1 for a, b, e in zip(track.frames[:-1], track.frames[1:], track.interp[1:], strict=True)
                    if e == "in")
        assert len(curve["keys"]) == len(track.frames) + extra
        baked += extra
    assert baked > 100
