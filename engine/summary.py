"""Human-readable summaries of artefacts for the terminal (rich)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def fmt_time(t_s: float) -> str:
    """Format seconds as ``m:ss.s``.

    Parameters
    ----------
    t_s : float, seconds

    Returns
    -------
    str
    """
    m, s = divmod(max(0.0, float(t_s)), 60.0)
    return f"{int(m)}:{s:04.1f}"


def analysis_renderables(a: Any) -> list[Any]:
    """Rich renderables that summarise an :class:`audio.model.Analysis`.

    Parameters
    ----------
    a : Analysis

    Returns
    -------
    list
        A header text, a sections table and any warnings.
    """
    from rich.table import Table
    from rich.text import Text

    curve = [b for _, b in a.tempo.curve]
    tempo_range = f" (local {min(curve):.0f}-{max(curve):.0f})" if curve and max(curve) - min(curve) > 4 else ""
    pickup = sum(1 for b in a.beats if b.bar == 0)
    head = Text()
    head.append(f"{a.source.path}\n", style="bold")
    head.append(f"  duration  {fmt_time(a.source.duration_s)}  ({a.source.sample_rate} Hz, "
                f"{a.source.channels} ch)\n")
    head.append(f"  tempo     {a.tempo.bpm:.1f} BPM{tempo_range}, confidence {a.tempo.confidence:.2f}\n")
    head.append(f"  meter     {a.meter.time_signature}  ({a.meter.beats_per_bar} beats per bar, "
                f"confidence {a.meter.confidence:.2f})\n")
    head.append(f"  beats     {len(a.beats)} in {a.n_bars} bars" + (f", {pickup}-beat pickup" if pickup else "") + "\n")
    head.append(f"  onsets    {len(a.onsets)}\n")
    head.append(f"  backend   {a.provenance.get('beats_from', a.provenance.get('backend', '?'))}")
    table = Table(title="sections", show_edge=False, pad_edge=False)
    for col in ("#", "start", "end", "bars", "label", "kind", "energy"):
        table.add_column(col, justify="right" if col in ("#", "bars", "energy") else "left")
    downbeats = a.downbeats
    for i, s in enumerate(a.sections):
        bars = sum(1 for t in downbeats if s.start - 1e-3 <= t < s.end - 1e-3)
        table.add_row(str(i + 1), fmt_time(s.start), fmt_time(s.end), str(bars), s.label, s.kind, f"{s.energy:.2f}")
    out: list[Any] = [head, table]
    for w in a.warnings:
        out.append(Text(f"warning: {w}", style="yellow"))
    return out


def mouth_renderables(track: Any) -> list[Any]:
    """Rich renderables that summarise a :class:`choreography.model.MouthTrack`.

    Parameters
    ----------
    track : MouthTrack

    Returns
    -------
    list
    """
    from collections import Counter

    from rich.text import Text

    shapes = Counter(c.shape for c in track.cues)
    frames = track.cues[-1].end_frame if track.cues else 0
    head = Text()
    head.append(f"{track.character}: ", style="bold")
    head.append(f"tier {track.tier} ({track.provenance.get('method', '?')}), confidence {track.confidence:.2f}\n")
    head.append(f"  {len(track.words)} words, {len(track.phonemes)} phonemes, {len(track.cues)} mouth cues over "
                f"{frames} frames at {track.fps.numerator}/{track.fps.denominator} fps\n")
    head.append("  shapes   " + "  ".join(f"{k}:{v}" for k, v in sorted(shapes.items())))
    if track.words:
        low = [w.text for w in track.words if w.confidence < 0.4]
        more = " ..." if len(track.words) > 12 else ""
        head.append(f"\n  words    {' '.join(w.text for w in track.words[:12])}{more}")
        if low:
            head.append(f"\n  unsure   {len(low)} words below confidence 0.4: {' '.join(low[:10])}")
    out: list[Any] = [head]
    for w in track.warnings:
        out.append(Text(f"warning: {w}", style="yellow"))
    return out


def choreography_renderables(c: Any) -> list[Any]:
    """Rich renderables that summarise a :class:`choreography.model.Choreography`.

    Parameters
    ----------
    c : Choreography

    Returns
    -------
    list
    """
    from collections import Counter

    from rich.text import Text

    head = Text()
    head.append(f"{len(c.characters)} character(s): {', '.join(c.characters)}\n", style="bold")
    head.append(f"  {c.duration_frames} frames at {c.fps.numerator}/{c.fps.denominator} fps, {len(c.tracks)} "
                f"keyframe channels, {len(c.moves)} moves, {len(c.shots)} shots\n")
    for ch in c.characters:
        used = Counter(m.move for m in c.moves if m.character == ch)
        head.append(f"  {ch}: {len(used)} different moves; most used "
                    + ", ".join(f"{k} x{v}" for k, v in used.most_common(5)) + "\n")
    if c.shots:
        kinds = Counter(s.kind for s in c.shots)
        head.append("  shots: " + ", ".join(f"{k} x{v}" for k, v in sorted(kinds.items())) + "\n")
    out: list[Any] = [head]
    for w in c.warnings:
        out.append(Text(f"warning: {w}", style="yellow"))
    return out


def document_renderables(kind: str, obj: Any) -> list:
    """What ``choreo inspect`` prints for a validated document of a registered kind.

    Parameters
    ----------
    kind : str
        The kind's name (see :data:`engine.artifacts.KINDS`).
    obj : object
        What :func:`engine.artifacts.load` returned for it.

    Returns
    -------
    list of rich renderables or str
    """
    if kind == "analysis":
        return analysis_renderables(obj)
    if kind == "mouth":
        return mouth_renderables(obj)
    if kind == "choreography":
        return choreography_renderables(obj)
    if kind == "rig":
        drawn = (f"; cut-out: {len(obj.parts)} parts, mouth shapes {' '.join(obj.mouth.shapes) or 'none'}"
                 if obj.parts else "")
        return [f"rig {obj.name!r}: {len(obj.bones)} bones ({', '.join(b.name for b in obj.bones)}){drawn}"]
    if kind == "rig-map":
        return [f"rig map: {len(obj.layers)} layer names, {len(obj.pivots)} pivots"]
    if kind == "moves":
        return [f"move library {obj.name!r}: {len(obj.moves)} moves ({', '.join(obj.names[:12])}"
                f"{', ...' if len(obj.moves) > 12 else ''})"]
    if kind == "pins":
        counts: dict[str, int] = {}
        for p in obj.pins:
            counts[p.type] = counts.get(p.type, 0) + 1
        return [f"{len(obj.pins)} pins" + (f": {', '.join(f'{n} {t}' for t, n in counts.items())}" if counts else "")]
    if kind == "mouth-shapes":
        return [f"mouth shapes {', '.join(sorted(obj.shapes))}; {len(obj.phones)} phones mapped"]
    if kind == "crowd":
        return [f"crowd of {obj.count} dancers from {', '.join(Path(b).name for b in obj.bases)} in "
                f"{obj.formation.kind}, seed {obj.seed}{', in unison' if obj.unison else ''}"]
    if kind == "render":
        return [f"pass {obj['pass']!r}: {obj['frame_count']} frames of {obj['width']}x{obj['height']} at "
                f"{obj['fps']} fps, {obj['pattern']}"]
    raise ValueError(f"no summary for kind {kind!r}")
