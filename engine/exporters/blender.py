"""Blender scene (``.blend``): an armature per character with its action, markers, the song and the camera.

``write`` writes two files Blender reads, ``SONG.blender.py`` (the script that builds the scene, the same for
every song: :mod:`engine.exporters.blender_scene`) and ``SONG.blender.json`` (the data it reads, beside it),
and then, when a ``blender`` executable is found (``$CHOREO_BLENDER``, else ``blender`` on the ``PATH``), runs
``blender -b --factory-startup --python SONG.blender.py -- SONG.blend`` to save the ``.blend`` itself. Without
Blender it warns and returns the script's path: ``blender -b --python SONG.blender.py`` makes the ``.blend``
later, beside the script.

Conventions
-----------
- Space: choreo's 2D stage (1920 x 1080 px, y down) is Blender's XZ plane, seen from the front (``-Y``,
  looking along ``+Y``): stage x is ``+X``, stage up is ``+Z``, :data:`PX_PER_UNIT` (100) px per Blender unit,
  the stage centre at the world origin, so stage ``(x, y)`` is ``((x - 960) / 100, 0, (540 - y) / 100)``.
- Armatures: one object per character, named after it, at its rig's root joint (``origin``); bones as the
  rig's rest pose (:func:`choreography.rig.forward_kinematics`), parented as in the rig, not connected (a
  child hangs where the rig attaches it). Every bone's roll turns its local ``Z`` axis to ``-Y`` (toward the
  viewer), so a bone's only animated channel, ``rotation_euler[2]`` (Euler ``XYZ``), is a rotation about the
  world ``Y`` axis, positive counter-clockwise as the camera sees it: choreo's ``<char>/<bone>.rot`` offset
  from rest, in radians. A bone that no track moves stays at rest.
- Root motion: ``<char>/root.x`` and ``root.y`` (px, x right, y up) key the armature object's ``location``
  ``X`` and ``Z`` (the root joint's rest position plus the offset); the ``root`` bone's rotation is the
  whole-body tilt about the pelvis.
- Keys: one Blender key per choreo key, on the same frame (choreo frame ``f`` is Blender frame ``f``; the scene
  runs from 0 to ``duration_frames - 1``). Blender's interpolation belongs to the key a segment leaves, choreo's
  ease to the key it arrives at: the ``hold`` ease makes the key before it ``CONSTANT``, ``linear`` makes it
  ``LINEAR``, and every other ease of :data:`choreography.moves.EASES` is a cubic polynomial, which a
  ``BEZIER`` segment with ``FREE`` handles at a third and two thirds of the segment's frames reproduces
  exactly (the handles' values are the cubic's Bernstein coefficients). An ease that neither mode can match
  (none in choreo today; :func:`ease_modes` decides by evaluating each ease) is baked: a ``LINEAR`` key on
  every integer frame of its segments, from :func:`choreography.sampling.sample_track`. Blender's constant
  extrapolation holds the first and last key, as choreo's sampler does.
- Frame rate: ``render.fps`` and ``render.fps_base`` with ``fps / fps_base`` the choreography's rational rate
  (30 / 1.001 for 30000/1001).
- Timeline markers: sections (``"C chorus"``) and bars (``"bar 12"``) on their first frame
  (:func:`engine.exporters.song.song_markers`), and one ``"shot <kind>"`` per camera cut
  (:func:`engine.exporters.song.shot_clips`), bound to the camera.
- The song is a sound strip on channel 1 of the sequencer from frame 0, its path relative to the ``.blend``
  (``//``) when it can be; a song file that is not found is left out, with a warning.
- Camera: orthographic, :data:`CAMERA_DISTANCE` in front of the stage, rendering 1920 x 1080. ``camera/x``
  and ``camera/y`` (px from the stage centre, y down) key its ``location`` ``X`` and ``Z``; ``camera/zoom``
  keys its custom property ``zoom``, and a driver sets ``ortho_scale`` to ``19.2 / max(zoom, 0.05)`` (zoom 1
  frames the whole stage, as choreo's renderer does).
- Mouths: a character with a mouth track gets an integer custom property ``mouth``, keyed ``CONSTANT`` on
  every cue: the index of its shape in ``"ABCDEFGHX"`` (Rhubarb Lip Sync's shapes A-H and X, the rest
  shape, held where no cue is), which a shape switch (a driver, a geometry-nodes switch) reads. The letters
  are in the object's ``mouth_shapes`` property too.
- Lighting tracks are not exported.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import warnings
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from audio.errors import ChoreoError
from audio.files import partial_prefix, write_atomic
from choreography.model import SHAPES, Track
from engine.exporters import Exporter, register
from engine.exporters.song import Song, shot_clips, song_markers

PX_PER_UNIT = 100.0
CAMERA_DISTANCE = 10.0
MIN_BONE_PX = 0.1  # Blender drops bones of zero length; such a bone gets this length along its rest direction
BLENDER_ENV = "CHOREO_BLENDER"
TIMEOUT_S = 300.0
DATA_SCHEMA = "choreo.blender/1"
MOUTH_SHAPES = "".join(SHAPES)
SCRIPT_SUFFIX = ".blender.py"
DATA_SUFFIX = ".blender.json"
_EXACT = 1e-9
_DIGITS = 6  # Blender keeps 32-bit floats: a micro-radian or a hundredth of a px is below what it holds anyway


def stage_xz(x_px: np.ndarray | float, y_px: np.ndarray | float) -> tuple[Any, Any]:
    """Blender ``X`` and ``Z`` of a stage point (px, y down), in Blender units.

    Parameters
    ----------
    x_px, y_px : float or np.ndarray, stage px

    Returns
    -------
    x, z : float or np.ndarray, Blender units
    """
    from choreography.rig import STAGE_SIZE_PX

    w, h = STAGE_SIZE_PX
    return (np.asarray(x_px) - w / 2) / PX_PER_UNIT, (h / 2 - np.asarray(y_px)) / PX_PER_UNIT


def ease_modes() -> dict[str, tuple[str, tuple[float, float] | None]]:
    """How each ease of :data:`choreography.moves.EASES` becomes a Blender segment.

    Each ease is evaluated (:func:`choreography.moves.apply_ease`): a step at the end is ``CONSTANT``, the
    identity ``LINEAR``, a cubic polynomial ``BEZIER`` (with its Bernstein coefficients, the handles' values as
    fractions of the segment's change), anything else ``BAKE``.

    Returns
    -------
    dict of str to (str, tuple or None)
        Per ease: the mode (``"CONSTANT"``, ``"LINEAR"``, ``"BEZIER"`` or ``"BAKE"``) and, for ``BEZIER``, the
        handle values ``(b1, b2)`` at a third and two thirds of the segment.
    """
    from choreography import moves

    t = np.linspace(0.0, 1.0, 1001)
    # u(t) = 3t(1-t)^2 b1 + 3t^2(1-t) b2 + t^3: the cubic through u(1/3) and u(2/3), then checked everywhere.
    basis = np.array([[4 / 9, 2 / 9], [2 / 9, 4 / 9]])
    out: dict[str, tuple[str, tuple[float, float] | None]] = {}
    for code, name in enumerate(moves.EASES):
        u = moves.apply_ease(t, np.int64(code))
        if np.all(u[:-1] == 0.0) and u[-1] == 1.0:
            out[name] = ("CONSTANT", None)
            continue
        third = moves.apply_ease(np.array([1 / 3, 2 / 3]), np.int64(code)) - np.array([1 / 27, 8 / 27])
        b1, b2 = np.linalg.solve(basis, third)
        cubic = 3 * t * (1 - t) ** 2 * b1 + 3 * t ** 2 * (1 - t) * b2 + t ** 3
        if np.abs(cubic - u).max() > _EXACT:
            out[name] = ("BAKE", None)
        elif abs(b1 - 1 / 3) < _EXACT and abs(b2 - 2 / 3) < _EXACT:
            out[name] = ("LINEAR", None)
        else:
            out[name] = ("BEZIER", (float(b1), float(b2)))
    return out


def fcurve_keys(track: Track, n_frames: int, modes: dict[str, tuple[str, tuple[float, float] | None]], *,
                scale: float = 1.0, offset: float = 0.0) -> dict[str, list]:
    """A choreo track as Blender keyframes: positions, handles and interpolation (see the module conventions).

    Parameters
    ----------
    track : Track
        At least one key.
    n_frames : int
        The choreography's length (for baked segments).
    modes : dict
        From :func:`ease_modes`.
    scale, offset : float
        Blender value = choreo value * scale + offset (degrees to radians, px to units).

    Returns
    -------
    dict
        ``co``, ``handle_left``, ``handle_right`` (flat ``[frame, value, ...]`` lists, as Blender's
        ``keyframe_points.foreach_set`` takes them) and ``interpolation`` (one mode name per key).
    """
    frames = [float(f) for f in track.frames]
    values = [float(v) * scale + offset for v in track.values]
    eases = [modes.get(e, modes["linear"]) for e in track.interp]
    baked = None
    if any(mode == "BAKE" for mode, _ in eases[1:]):
        from choreography.sampling import sample_track

        baked = sample_track(track, n_frames) * scale + offset
    co, left, right, interp = [(frames[0], values[0])], [(frames[0] - 1.0, values[0])], [], []
    for i in range(1, len(frames)):
        fa, va, fb, vb = frames[i - 1], values[i - 1], frames[i], values[i]
        third = (fb - fa) / 3
        mode, coef = eases[i]
        if mode == "BAKE":
            for f in range(int(fa) + 1, int(fb)):
                right.append((co[-1][0] + 1 / 3, co[-1][1]))
                interp.append("LINEAR")
                co.append((float(f), float(baked[f])))
                left.append((f - 1 / 3, float(baked[f])))
            mode, coef = "LINEAR", None
            fa, va, third = co[-1][0], co[-1][1], (fb - co[-1][0]) / 3
        b1, b2 = coef if coef is not None else (0.0, 1.0)
        right.append((fa + third, va + (vb - va) * b1))
        interp.append(mode)
        co.append((fb, vb))
        left.append((fb - third, va + (vb - va) * b2))
    right.append((frames[-1] + 1.0, values[-1]))
    interp.append(interp[-1] if interp else "CONSTANT")  # after the last key: Blender's extrapolation holds it

    def flat(points):
        return [round(x, _DIGITS) for p in points for x in p]

    return {"co": flat(co), "handle_left": flat(left), "handle_right": flat(right), "interpolation": interp}


def _fcurve(data_path: str, index: int, group: str, keys: dict[str, list]) -> dict[str, Any]:
    return {"data_path": data_path, "index": index, "group": group, **keys}


def _armature(song: Song, name: str, rig, modes) -> dict[str, Any]:
    """One character's armature: bones at rest, its action's F-curves and its mouth keys."""
    from choreography.rig import forward_kinematics, world_angles

    chor = song.choreography
    n = chor.duration_frames
    zeros = np.zeros((1, rig.n_bones))
    heads = forward_kinematics(rig, zeros, np.zeros((1, 2)))[0, :, 0]  # px from the root joint, y down
    angles = np.deg2rad(world_angles(rig, zeros)[0])
    lengths = np.maximum(rig.lengths_px, MIN_BONE_PX) / PX_PER_UNIT
    bones = []
    for i, b in enumerate(rig.bones):
        hx, hz = heads[i, 0] / PX_PER_UNIT, -heads[i, 1] / PX_PER_UNIT
        bones.append({"name": b.name, "parent": b.parent, "head": [round(hx, _DIGITS), round(hz, _DIGITS)],
                      "tail": [round(hx + lengths[i] * np.cos(angles[i]), _DIGITS),
                               round(hz + lengths[i] * np.sin(angles[i]), _DIGITS)]})
    ox, oz = (float(v) for v in stage_xz(*rig.origin_xy))
    fcurves = []
    for b in rig.names:
        t = chor.tracks.get(f"{name}/{b}.rot")
        if t is not None and t.frames:
            fcurves.append(_fcurve(f'pose.bones["{b}"].rotation_euler', 2, b,
                                   fcurve_keys(t, n, modes, scale=np.pi / 180)))
    for axis, index, origin in (("x", 0, ox), ("y", 2, oz)):
        t = chor.tracks.get(f"{name}/root.{axis}")
        if t is not None and t.frames:
            fcurves.append(_fcurve("location", index, "root motion",
                                   fcurve_keys(t, n, modes, scale=1 / PX_PER_UNIT, offset=origin)))
    mouth = next((m for m in song.mouths if m.character == name), None)
    return {"name": name, "rig": rig.name, "location": [round(ox, _DIGITS), round(oz, _DIGITS)], "bones": bones,
            "fcurves": fcurves, "mouth": None if mouth is None else _mouth_keys(mouth.cues)}


def _mouth_keys(cues) -> dict[str, list]:
    """CONSTANT keys of the shape index: every cue's start, and the rest shape X wherever a gap opens."""
    rest = MOUTH_SHAPES.index("X")
    keys: dict[int, int] = {0: rest}
    for c in cues:
        keys[c.start_frame] = MOUTH_SHAPES.index(c.shape)
        keys.setdefault(c.end_frame, rest)
    frames = sorted(keys)
    return {"co": [x for f in frames for x in (float(f), float(keys[f]))], "interpolation": ["CONSTANT"] * len(frames)}


def _camera(song: Song, modes) -> dict[str, Any]:
    from choreography.rig import STAGE_SIZE_PX
    from render.frames import MIN_ZOOM

    chor = song.choreography
    fcurves = []
    for channel, path, index, scale in (("camera/x", "location", 0, 1 / PX_PER_UNIT),
                                        ("camera/y", "location", 2, -1 / PX_PER_UNIT),
                                        ("camera/zoom", '["zoom"]', 0, 1.0)):
        t = chor.tracks.get(channel)
        if t is not None and t.frames:
            fcurves.append(_fcurve(path, index, "camera", fcurve_keys(t, chor.duration_frames, modes, scale=scale)))
    return {"distance": CAMERA_DISTANCE, "resolution": list(STAGE_SIZE_PX),
            "ortho_width": STAGE_SIZE_PX[0] / PX_PER_UNIT, "min_zoom": MIN_ZOOM, "fcurves": fcurves}


def _sound(song: Song, folder: Path) -> dict[str, Any] | None:
    """The song file, relative to ``folder`` when it can be; None (with a warning) when it is not found."""
    path = Path(song.analysis.source.path)
    if not path.is_file():
        warnings.warn(f"the song file {path} is not found: the Blender scene has no sound strip", UserWarning,
                      stacklevel=4)
        return None
    path = path.resolve()
    try:
        shown = os.path.relpath(path, folder.resolve())
    except ValueError:  # another drive (Windows): keep it absolute
        shown = str(path)
    return {"name": path.name, "path": shown}


def scene_data(song: Song, folder: Path) -> dict[str, Any]:
    """Everything the Blender script builds the scene from (the ``SONG.blender.json`` document).

    Parameters
    ----------
    song : Song
        Needs the choreography; its rigs are the ones it records (:func:`engine.render_stage.rigs_for`).
    folder : Path
        Where the data file goes (the song's path is written relative to it).

    Returns
    -------
    dict
        ``schema`` (:data:`DATA_SCHEMA`), ``name``, ``fps`` (``[numerator, denominator]``), ``fps_int`` and
        ``fps_base`` (Blender's), ``frame_start``, ``frame_end``, ``characters`` (armatures), ``camera``,
        ``markers`` (``name``, ``frame``, ``camera``: bound to the camera), ``sound`` (or None) and
        ``mouth_shapes``.

    Raises
    ------
    ChoreoError
        Without a choreography, or a rig the choreography names that cannot be loaded.
    """
    from engine.render_stage import rigs_for

    fps: Fraction = song.fps
    chor = song.choreography
    modes = ease_modes()
    rigs = rigs_for(chor, None)
    fps_int = max(1, round(fps))
    markers = [{"name": m.name, "frame": m.frames(fps)[0], "camera": False}
               for m in song_markers(song, ("section", "bar"))]
    markers += [{"name": f"shot {kind}", "frame": a, "camera": True} for a, _, kind in shot_clips(song)]
    return {"schema": DATA_SCHEMA, "name": song.name, "fps": [fps.numerator, fps.denominator], "fps_int": fps_int,
            "fps_base": float(fps_int / fps), "frame_start": 0, "frame_end": chor.duration_frames - 1,
            "characters": [_armature(song, name, rigs[name], modes) for name in chor.characters],
            "camera": _camera(song, modes), "markers": markers, "sound": _sound(song, folder),
            "mouth_shapes": MOUTH_SHAPES}


def find_blender() -> tuple[str | None, str]:
    """The Blender executable: ``$CHOREO_BLENDER`` when set, else ``blender`` on the ``PATH``.

    Returns
    -------
    path : str or None
        None when there is none.
    why : str
        What was looked for, for the message when there is none.
    """
    named = os.environ.get(BLENDER_ENV, "").strip()
    if named:
        return shutil.which(named), f"{BLENDER_ENV}={named} is not an executable"
    return shutil.which("blender"), "no blender on the PATH"


def _base(path: Path) -> Path:
    """``SONG`` of ``SONG.blend`` (any other name keeps its suffix out: ``x.out`` gives ``x``)."""
    return path.with_suffix("") if path.suffix else path


def run_blender(blender: str, script: Path, blend: Path, *, timeout_s: float = TIMEOUT_S) -> Path:
    """Run the scene script in Blender, headless, to save ``blend`` (atomically: a temporary file, renamed).

    Parameters
    ----------
    blender : str
        The executable.
    script : Path
        ``SONG.blender.py``, its data beside it.
    blend : Path
        The ``.blend`` to write.
    timeout_s : float, seconds

    Returns
    -------
    Path
        ``blend``.

    Raises
    ------
    ChoreoError
        Blender cannot start, fails (with the last line it wrote on stderr) or runs past ``timeout_s``; no
        ``.blend`` is left then.
    """
    fd, tmp = tempfile.mkstemp(prefix=partial_prefix(blend), suffix=".blend", dir=blend.parent)
    os.close(fd)
    cmd = [blender, "-b", "--factory-startup", "--python-exit-code", "1", "--python", str(script), "--", tmp]
    try:
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=timeout_s,
                                  check=False)
        except subprocess.TimeoutExpired:
            raise ChoreoError(f"blender ({blender}) did not finish within {timeout_s:g} s", path=blend) from None
        except OSError as exc:
            raise ChoreoError(f"blender ({blender}) could not be started ({exc.strerror})", path=blend) from None
        if done.returncode != 0 or os.path.getsize(tmp) == 0:
            lines = [ln.strip() for ln in done.stderr.splitlines() if ln.strip()]
            why = lines[-1] if lines else "no message on stderr"
            raise ChoreoError(f"blender ({blender}) failed with exit status {done.returncode}: {why} (the script "
                              f"and its data are in {script.parent})", path=blend)
        os.replace(tmp, blend)
    finally:
        for leftover in (tmp, f"{tmp}@"):  # Blender saves to FILE@, then renames
            Path(leftover).unlink(missing_ok=True)
    return blend


def write_blender(song: Song, path: str | Path, *, timeout_s: float = TIMEOUT_S) -> Path:
    """Write ``SONG.blender.py`` and ``SONG.blender.json``, and the ``.blend`` when Blender is found.

    Parameters
    ----------
    song : Song
        Needs the choreography.
    path : str or Path
        The ``.blend`` (``SONG.blend``); the script and its data go beside it, named after it.
    timeout_s : float, seconds
        How long Blender may take.

    Returns
    -------
    Path
        The ``.blend`` when Blender made it, else the script (with a warning saying how to make the ``.blend``).

    Raises
    ------
    ChoreoError
        A folder that cannot be written to, a rig that cannot be loaded, or Blender failing
        (:func:`run_blender`).
    """
    blend = Path(path)
    base = _base(blend)
    script, data = base.with_name(base.name + SCRIPT_SUFFIX), base.with_name(base.name + DATA_SUFFIX)
    doc = scene_data(song, blend.parent)
    write_atomic(data, json.dumps(doc, separators=(",", ":"), ensure_ascii=False) + "\n")
    write_atomic(script, (resources.files("engine.exporters") / "blender_scene.py").read_text(encoding="utf-8"))
    blender, why = find_blender()
    if blender is None:
        warnings.warn(f"blender not found ({why}): wrote {script} and its data {data.name}; run "
                      f"`blender -b --python {script}` to make {blend}", UserWarning, stacklevel=2)
        return script
    return run_blender(blender, script, blend, timeout_s=timeout_s)


BLENDER = register(Exporter(
    "blender", ".blend", write_blender,
    "Blender scene: an armature per character with its action (bone rotations, "
    "constant holds, bezier eases, root motion), markers for sections, bars and camera cuts, the song as a "
    "sound strip, the orthographic camera's moves and zoom, the mouth shape per frame as a property; "
    "SONG.blender.py and its data, and the .blend when blender is installed", scope="song",
    needs=("choreography",),
    reader="Blender (bpy, headless): bone rotations at every frame within 0.5 deg of choreo's sampler, bone "
           "positions, markers, fps, sound strip, camera and mouth property"))
