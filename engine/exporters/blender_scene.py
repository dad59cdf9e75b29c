"""Build a choreo scene in Blender from the data beside this script, and save it as a ``.blend``.

``choreo export --to blender`` writes this file as ``SONG.blender.py`` beside ``SONG.blender.json`` and runs it;
by hand, ``blender -b --python SONG.blender.py`` saves ``SONG.blend`` beside the script, and
``blender -b --python SONG.blender.py -- OUT.blend`` saves ``OUT.blend``. It runs inside Blender (3.0 or later),
needs nothing but ``bpy`` and is never imported by choreo itself.

Conventions
-----------
The scene's conventions (axes, units, bones, keys, camera, mouths) are those of :mod:`engine.exporters.blender`,
which computes every key and handle; this script only creates the data blocks and copies the numbers in. It
starts from an empty scene (factory settings), so the ``.blend`` holds nothing but what the data describes.
A missing or foreign data file stops it with one line on stderr and exit status 1.
"""

import json
import math
import os
import sys

import bpy

DATA_SCHEMA = "choreo.blender/1"
SCRIPT_SUFFIX = ".blender.py"
DATA_SUFFIX = ".blender.json"
TOWARD_VIEWER = (0.0, -1.0, 0.0)


def _paths():
    """The data file beside this script and the ``.blend`` to write (the argument after ``--``, if any)."""
    script = os.path.abspath(__file__)
    base = script[: -len(SCRIPT_SUFFIX)] if script.endswith(SCRIPT_SUFFIX) else os.path.splitext(script)[0]
    args = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
    return base + DATA_SUFFIX, os.path.abspath(args[0]) if args else base + ".blend"


def _load(path):
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as exc:
        sys.exit(f"choreo: {path}: cannot be read ({exc.strerror}); write it with choreo export --to blender")
    except ValueError as exc:
        sys.exit(f"choreo: {path}: not JSON ({exc})")
    if not isinstance(data, dict) or data.get("schema") != DATA_SCHEMA:
        sys.exit(f"choreo: {path}: not a {DATA_SCHEMA} document")
    return data


def _enum(prop, name):
    return bpy.types.Keyframe.bl_rna.properties[prop].enum_items[name].value


def _fcurve(action, spec):
    """An F-curve with the keys, handles and interpolation the data gives, handles left as given (FREE)."""
    fc = action.fcurves.new(spec["data_path"], index=spec["index"], action_group=spec["group"])
    n = len(spec["co"]) // 2
    points = fc.keyframe_points
    points.add(n)
    points.foreach_set("co", spec["co"])
    points.foreach_set("interpolation", [_enum("interpolation", m) for m in spec["interpolation"]])
    if "handle_left" in spec:
        for k in points:  # foreach_set leaves handle types as they are (Blender 3.4)
            k.handle_left_type = k.handle_right_type = "FREE"
        points.foreach_set("handle_left", spec["handle_left"])
        points.foreach_set("handle_right", spec["handle_right"])
    fc.update()
    return fc


def _action(obj, name, fcurves):
    obj.animation_data_create()
    action = bpy.data.actions.new(name)
    action.id_root = "OBJECT"
    obj.animation_data.action = action
    for spec in fcurves:
        _fcurve(action, spec)
    return action


def _armature(scene, char, shapes):
    arm = bpy.data.armatures.new(char["name"])
    obj = bpy.data.objects.new(char["name"], arm)
    scene.collection.objects.link(obj)
    obj.location = (char["location"][0], 0.0, char["location"][1])
    obj["rig"] = char["rig"]
    bpy.context.view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="EDIT")
    edit = {}
    for b in char["bones"]:
        eb = arm.edit_bones.new(b["name"])
        eb.head = (b["head"][0], 0.0, b["head"][1])
        eb.tail = (b["tail"][0], 0.0, b["tail"][1])
        eb.align_roll(TOWARD_VIEWER)
        edit[b["name"]] = eb
    for b in char["bones"]:
        if b["parent"]:
            edit[b["name"]].parent = edit[b["parent"]]
            edit[b["name"]].use_connect = False
    bpy.ops.object.mode_set(mode="OBJECT")
    for pb in obj.pose.bones:
        pb.rotation_mode = "XYZ"
    fcurves = list(char["fcurves"])
    if char["mouth"] is not None:
        obj["mouth"] = shapes.index("X")
        obj.id_properties_ui("mouth").update(
            min=0, max=len(shapes) - 1,
            description="Mouth shape: index into mouth_shapes (" + ", ".join(f"{i} {s}" for i, s in enumerate(shapes))
                        + "; Rhubarb Lip Sync's shapes, X at rest)")
        obj["mouth_shapes"] = shapes
        fcurves.append({"data_path": '["mouth"]', "index": 0, "group": "mouth", **char["mouth"]})
    _action(obj, f"{char['name']} dance", fcurves)
    return obj


def _camera(scene, spec):
    cam = bpy.data.cameras.new("camera")
    cam.type = "ORTHO"
    cam.ortho_scale = spec["ortho_width"]
    cam.clip_end = 10 * spec["distance"]
    obj = bpy.data.objects.new("camera", cam)
    scene.collection.objects.link(obj)
    obj.location = (0.0, -spec["distance"], 0.0)
    obj.rotation_euler = (math.pi / 2, 0.0, 0.0)  # looks along +Y, up is +Z
    obj["zoom"] = 1.0
    driver = cam.driver_add("ortho_scale").driver
    driver.type = "SCRIPTED"
    var = driver.variables.new()
    var.name, var.type = "zoom", "SINGLE_PROP"
    var.targets[0].id = obj
    var.targets[0].data_path = '["zoom"]'
    driver.expression = f"{spec['ortho_width']!r} / max(zoom, {spec['min_zoom']!r})"
    _action(obj, "camera moves", spec["fcurves"])
    scene.camera = obj
    scene.render.resolution_x, scene.render.resolution_y = spec["resolution"]
    scene.render.resolution_percentage = 100
    return obj


def _sound(scene, spec, folder, blend):
    path = spec["path"] if os.path.isabs(spec["path"]) else os.path.normpath(os.path.join(folder, spec["path"]))
    scene.sequence_editor_create()
    strip = scene.sequence_editor.sequences.new_sound(spec["name"], path, 1, 0)
    try:
        strip.sound.filepath = "//" + os.path.relpath(path, os.path.dirname(blend)).replace(os.sep, "/")
    except ValueError:  # another drive: the absolute path stays
        pass
    scene.sync_mode = "AUDIO_SYNC"
    return strip


def build(data, folder, blend):
    """Make the scene the data describes in an empty file and save it.

    Parameters
    ----------
    data : dict
        The ``choreo.blender/1`` document.
    folder : str
        The data file's folder (the song's path is relative to it).
    blend : str
        The ``.blend`` to write (the song's path is made relative to its folder).
    """
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.context.preferences.filepaths.save_version = 0  # no .blend1 backup of a file being replaced
    scene = bpy.context.scene
    scene.name = data["name"]
    scene.render.fps = data["fps_int"]
    scene.render.fps_base = data["fps_base"]
    scene.frame_start, scene.frame_end = data["frame_start"], data["frame_end"]
    for char in data["characters"]:
        _armature(scene, char, data["mouth_shapes"])
    cam = _camera(scene, data["camera"])
    for m in data["markers"]:
        marker = scene.timeline_markers.new(m["name"], frame=m["frame"])
        if m["camera"]:
            marker.camera = cam
    if data["sound"] is not None:
        _sound(scene, data["sound"], folder, blend)
    scene.frame_set(data["frame_start"])
    bpy.ops.wm.save_as_mainfile(filepath=blend, check_existing=False, relative_remap=False)


def main():
    """Read the data beside this script and save the scene."""
    data_path, blend = _paths()
    build(_load(data_path), os.path.dirname(data_path), blend)
    print(f"choreo: saved {blend}")


main()
