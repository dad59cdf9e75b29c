"""Run inside Blender: open a .blend and dump what choreo's Blender export put in it, as JSON.

    blender -b --factory-startup --python tests/material/blender_dump.py -- SCENE.blend OUT.json FRAME,FRAME,...

Every F-curve of every action is evaluated at every frame of the scene (``fcurve.evaluate``); at the frames
given, the scene is set to the frame (the depsgraph evaluates actions and drivers) and the bones' world
positions, the objects' locations, the mouth properties and the camera's evaluated ``ortho_scale`` are read.
"""

import json
import sys

import bpy

blend, out, frames = sys.argv[sys.argv.index("--") + 1:]
frames = [int(f) for f in frames.split(",") if f]
bpy.ops.wm.open_mainfile(filepath=blend)
scene = bpy.context.scene
span = range(scene.frame_start, scene.frame_end + 1)


def curves(obj):
    action = obj.animation_data.action if obj.animation_data else None
    if action is None:
        return {}
    return {f"{fc.data_path}[{fc.array_index}]": {
        "values": [fc.evaluate(f) for f in span],
        "keys": [[k.co[0], k.interpolation] for k in fc.keyframe_points],
        "group": fc.group.name if fc.group else None}
        for fc in action.fcurves}


doc = {"scene": scene.name, "fps": scene.render.fps, "fps_base": scene.render.fps_base,
       "frame_start": scene.frame_start, "frame_end": scene.frame_end,
       "resolution": [scene.render.resolution_x, scene.render.resolution_y],
       "camera": scene.camera.name if scene.camera else None,
       "markers": sorted([m.name, m.frame, m.camera.name if m.camera else None] for m in scene.timeline_markers),
       "sounds": [], "armatures": {}, "cameras": {}, "at": {}}
if scene.sequence_editor:
    doc["sounds"] = [{"name": s.name, "type": s.type, "channel": s.channel, "frame_start": s.frame_start,
                      "duration": s.frame_final_duration, "filepath": s.sound.filepath,
                      "abspath": bpy.path.abspath(s.sound.filepath)} for s in scene.sequence_editor.sequences_all]
for obj in scene.objects:
    if obj.type == "ARMATURE":
        doc["armatures"][obj.name] = {
            "rig": obj.get("rig"), "mouth_shapes": obj.get("mouth_shapes"),
            "bones": {b.name: {"parent": b.parent.name if b.parent else None, "connected": b.use_connect}
                      for b in obj.data.bones},
            "rotation_modes": sorted({pb.rotation_mode for pb in obj.pose.bones}), "curves": curves(obj)}
    elif obj.type == "CAMERA":
        drivers = obj.data.animation_data.drivers if obj.data.animation_data else []
        doc["cameras"][obj.name] = {"type": obj.data.type, "curves": curves(obj),
                                    "drivers": [{"path": d.data_path, "expression": d.driver.expression,
                                                 "simple": d.driver.is_simple_expression,
                                                 "valid": d.driver.is_valid} for d in drivers]}
for f in frames:
    scene.frame_set(f)
    deps = bpy.context.evaluated_depsgraph_get()
    at = {"armatures": {}, "cameras": {}}
    for obj in scene.objects:
        ev = obj.evaluated_get(deps)
        if obj.type == "ARMATURE":
            mw = ev.matrix_world
            at["armatures"][obj.name] = {
                "location": list(ev.location), "mouth": ev.get("mouth"),
                "bones": {pb.name: [list(mw @ pb.head), list(mw @ pb.tail)] for pb in ev.pose.bones}}
        elif obj.type == "CAMERA":
            at["cameras"][obj.name] = {"location": list(ev.location), "zoom": ev.get("zoom"),
                                       "ortho_scale": ev.data.ortho_scale}
    doc["at"][str(f)] = at
with open(out, "w", encoding="utf-8") as fh:
    json.dump(doc, fh)
