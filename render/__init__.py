"""Render: per-frame sampling of keyframe tracks, drawing passes, compositing and video sinks.

Arrives with issue 5; this package holds the shared layout until then.
"""
