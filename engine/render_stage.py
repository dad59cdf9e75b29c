"""The render stage as the CLI and ``choreo run`` use it: rigs, spec, progress bar and a re-render guard."""

from __future__ import annotations

from pathlib import Path

from audio.errors import ChoreoError

STAGE_VERSION = "2"  # bump when the preview or the passes change for the same inputs (2: faster H.264 settings)


def render_spec(size: str, passes: str):
    """A :class:`render.spec.RenderSpec` from CLI-style options.

    Parameters
    ----------
    size : str
        ``WIDTHxHEIGHT``.
    passes : str
        Comma-separated pass names written as PNG sequences (the composite always goes to the preview).

    Returns
    -------
    RenderSpec
    """
    from render.spec import RenderSpec, parse_size

    w, h = parse_size(size)
    if w % 2 or h % 2:
        raise ChoreoError(f"size {size}: H.264 previews need an even width and height")
    extra = tuple(p.strip() for p in passes.split(",") if p.strip())
    return RenderSpec(width=w, height=h, passes=("composite", *[p for p in extra if p != "composite"]))


def rigs_for(c, rig_names: list[str] | None) -> dict:
    """The rig of every character: given names/files in order, else the ones the choreography records.

    A crowd's dancers (:mod:`choreography.crowd`) always get the rigs their choreography records; the names
    or files given are for the leads.

    Parameters
    ----------
    c : Choreography
    rig_names : list of str or None

    Returns
    -------
    dict of str to Rig
    """
    from choreography.crowd import crowd_rigs
    from choreography.rig import load_rig

    crowd = crowd_rigs(c)
    leads = [ch for ch in c.characters if ch not in crowd]
    if rig_names and len(rig_names) != len(leads):
        raise ChoreoError(f"{len(leads)} characters but {len(rig_names)} --rig options")
    recorded = c.provenance.get("rigs", {})
    names = dict(zip(leads, rig_names, strict=True)) if rig_names else recorded
    return {ch: crowd[ch] if ch in crowd else load_rig(names.get(ch, ch)) for ch in c.characters}


def render_outputs(c, out: Path, *, size: str = "1280x720", passes: str = "", audio=None, analysis=None,
                   mouths=None, rig_names=None, rigs: dict | None = None, prores: bool = False, console=None):
    """Render with a progress bar (``choreo run`` runs it as a :meth:`engine.pipeline.Pipeline.files_stage`).

    Parameters
    ----------
    c : Choreography
    out : Path
    size, passes : str
        See :func:`render_spec`.
    audio : Path, optional
    analysis : Analysis, optional
    mouths : dict, optional
    rig_names : list of str, optional
    rigs : dict of str to Rig, optional
        Loaded rigs (take precedence over ``rig_names``).
    prores : bool
    console : rich.console.Console, optional
        Where the progress bar goes (on a terminal); none without it.

    Returns
    -------
    dict of str to Path
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from render.render import render

    spec = render_spec(size, passes)
    rigs = rigs if rigs is not None else rigs_for(c, rig_names)
    with Progress(TextColumn("rendering"), BarColumn(), TextColumn("{task.completed}/{task.total} frames"),
                  TimeRemainingColumn(), console=console, transient=True,
                  disable=console is None or not console.is_interactive) as progress:
        task = progress.add_task("render", total=c.duration_frames)
        written = render(c, spec, rigs=rigs, out_dir=out, audio=audio, mouths=mouths, analysis=analysis,
                         prores=prores, on_progress=lambda done, total: progress.update(task, completed=done))
    return written
