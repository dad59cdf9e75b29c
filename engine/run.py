"""``choreo run``: every stage on one song, each cached by content hash, into one output folder."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from audio.errors import ChoreoError
from audio.params import AnalysisParams, LipsyncParams
from choreography.params import SolveParams
from engine.pipeline import Pipeline, artefact_digest, file_digest, publish


@dataclass(frozen=True)
class RunInputs:
    """What ``choreo run`` works from.

    Attributes
    ----------
    song : Path
    vocals : tuple of (Path, str)
        Vocal stems with their character names.
    lyrics, midi, moves, pins : Path or None
    rigs : tuple of str
        Rig names or files, one per character (characters without a rig get the first rig).
    crowd : Path or None
        A crowd spec (``choreo.crowd/1``): dancers behind the leads (see :mod:`choreography.crowd`).
    """

    song: Path
    vocals: tuple[tuple[Path, str], ...] = ()
    lyrics: Path | None = None
    midi: Path | None = None
    rigs: tuple[str, ...] = ("ada",)
    moves: Path | None = None
    pins: Path | None = None
    crowd: Path | None = None


@dataclass(frozen=True)
class RunParams:
    """Parameters of every stage of a run: each stage's own params class, where its defaults live.

    Attributes
    ----------
    analysis : AnalysisParams
    lipsync : LipsyncParams
        Its ``fps`` is replaced by ``solve.fps``: a run has one frame rate.
    solve : SolveParams
        Every option of ``choreo choreograph`` (frame rate, seed, variation, mirrored repeats, ensemble,
        canon offset).
    render : bool
        Write the preview (and passes).
    size : str
        Preview size, WIDTHxHEIGHT.
    passes : str
        Comma-separated passes to write as PNG sequences.
    crowd : int
        Crowd dancers: with a crowd spec, its count instead of the spec's; without one, a crowd of the
        spec defaults (:class:`choreography.crowd.CrowdSpec`) made from the leads' rigs; 0 for the spec's
        count, or no crowd.
    """

    analysis: AnalysisParams = field(default_factory=AnalysisParams)
    lipsync: LipsyncParams = field(default_factory=LipsyncParams)
    solve: SolveParams = field(default_factory=SolveParams)
    render: bool = True
    size: str = "1280x720"
    passes: str = ""
    crowd: int = 0


def _json_digest(obj) -> str:
    return hashlib.sha256(json.dumps(obj.to_dict(), sort_keys=True, default=str).encode()).hexdigest()


def _look_digest(rig) -> str:
    """What a rig looks like: its document and the bytes of every drawing it names.

    A part re-drawn under the same file name must render again.
    """
    drawings = [p.drawing.path for p in rig.parts] + [d.path for d in rig.mouth.shapes.values()]
    return hashlib.sha256((_json_digest(rig) + "".join(file_digest(f) for f in drawings)).encode()).hexdigest()


def run_song(inputs: RunInputs, out: Path, params: RunParams | None = None, *, pipeline: Pipeline | None = None,
             on_step: Callable[[str], None] | None = None) -> dict[str, Path]:
    """Analyse, lip-sync, choreograph a song into ``out``; unchanged stages come from the cache.

    Parameters
    ----------
    inputs : RunInputs
    out : Path
        Output folder (created).
    params : RunParams, optional
    pipeline : Pipeline, optional
        Holds the cache and the log of what ran.
    on_step : callable, optional
        Called with a step name as each stage starts.

    Returns
    -------
    dict of str to Path
        The artefacts written, by name.

    Raises
    ------
    ChoreoError
        Bad inputs (named) from any stage.
    """
    p = params or RunParams()
    pipe = pipeline or Pipeline()
    step = on_step or (lambda _name: None)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ChoreoError(f"output folder cannot be created ({exc.strerror})", path=out) from exc
    written: dict[str, Path] = {}
    try:
        _stages(inputs, out, p, pipe, step, written)
    except BaseException:
        remove_song_outputs(inputs, out)
        raise
    return written


def remove_song_outputs(inputs: RunInputs, out: Path) -> None:
    """Delete the artefacts a run of this song writes into ``out``: a failed song leaves none.

    Neither this run's nor stale ones from an earlier run survive; PNG pass folders are left (each is
    complete: it is renamed into place only when finished).

    Parameters
    ----------
    inputs : RunInputs
    out : Path
    """
    stem = inputs.song.stem
    for name in (f"{stem}.analysis.json", f"{stem}.choreography.json", "preview.mp4", "contact_sheet.png",
                 ".render.json", *[f"{c}.mouth.json" for _, c in inputs.vocals]):
        (out / name).unlink(missing_ok=True)


def _stages(inputs: RunInputs, out: Path, p: RunParams, pipe: Pipeline, step, written: dict[str, Path]) -> None:
    """The stages of :func:`run_song`; what they write is listed in :func:`remove_song_outputs`."""
    from audio.analysis import STAGE_VERSION as ANALYSIS_VERSION
    from audio.analysis import analyze
    from audio.lyrics import read_lyrics
    from choreography.model import parse_fps
    from choreography.moves import load_moves
    from choreography.pins import Pins, load_pins
    from choreography.rig import dancers, load_rig
    from choreography.solver import STAGE_VERSION as SOLVER_VERSION
    from choreography.solver import singing_per_beat, solve
    from engine.lipsync import STAGE_VERSION as LIPSYNC_VERSION
    from engine.lipsync import make_track

    stem = inputs.song.stem
    # Cheap inputs are checked before the expensive stages, so a bad lyrics file or rig fails in a moment.
    lib = load_moves(inputs.moves)
    pins = load_pins(inputs.pins) if inputs.pins is not None else Pins()
    rigs = {}
    if inputs.vocals:
        for i, (_, name) in enumerate(inputs.vocals):
            rigs[name] = load_rig(inputs.rigs[i] if i < len(inputs.rigs) else inputs.rigs[0])
    else:  # no singers: one dancer per rig, named after it
        rigs = dancers(inputs.rigs)
    if inputs.lyrics is not None:
        read_lyrics(inputs.lyrics)
    crowd = _crowd_spec(inputs, p)
    vocal_digests = {character: file_digest(vocal) for vocal, character in inputs.vocals}
    step("analyze")
    song_inputs = {"song": file_digest(inputs.song)}
    if inputs.midi is not None:
        song_inputs["midi"] = file_digest(inputs.midi)
    analysis = pipe.stage("analyze", ANALYSIS_VERSION, song_inputs, p.analysis,
                          lambda: analyze(inputs.song, p.analysis, midi=inputs.midi))
    beats_s = [b.t for b in analysis.obj.beats]
    lipsync = replace(p.lipsync, fps=p.solve.fps)
    mouths = {}
    for vocal, character in inputs.vocals:
        step(f"lipsync {character}")
        vin = {"vocals": vocal_digests[character], "analysis": artefact_digest(analysis)}
        if inputs.lyrics is not None:
            vin["lyrics"] = file_digest(inputs.lyrics)
        shared = sum(vocal_digests[c] == vocal_digests[character] for _, c in inputs.vocals) > 1  # several singers
        mix = vocal_digests[character] == song_inputs["song"]  # the song itself: its full mix, the voice separated
        mouths[character] = pipe.stage("lipsync", LIPSYNC_VERSION, vin,
                                       {"params": lipsync, "character": character, "shared": shared},
                                       lambda vocal=vocal, character=character, shared=shared, mix=mix: make_track(
                                           vocal, character=character, fps=parse_fps(lipsync.fps),
                                           lyrics=inputs.lyrics, beats_s=beats_s, params=lipsync, shared=shared,
                                           mix=mix))
    step("choreograph")
    cin = {"analysis": artefact_digest(analysis), "moves": _json_digest(lib),
           **{f"rig:{k}": _json_digest(r) for k, r in rigs.items()},
           **{f"mouth:{k}": artefact_digest(m) for k, m in mouths.items()}}
    if inputs.pins is not None:
        cin["pins"] = file_digest(inputs.pins)
    if crowd is not None:
        from choreography.crowd import STAGE_VERSION as CROWD_VERSION

        cin.update({"crowd": _json_digest(crowd), "crowd_version": CROWD_VERSION,
                    **{f"crowd_rig:{i}": _json_digest(load_rig(b)) for i, b in enumerate(crowd.bases)}})
    previous = None
    if any(q.type == "lock" for q in pins.pins):  # lock pins keep parts of the run's last choreography
        previous = _previous_choreography(out / f"{stem}.choreography.json")
        cin["previous"] = file_digest(out / f"{stem}.choreography.json")
    singing = {k: singing_per_beat(m.obj, analysis.obj) for k, m in mouths.items()}

    def choreograph():
        from choreography.crowd import dance_crowd

        leads = solve(analysis.obj, rigs, lib, pins, p.solve, singing=singing, previous=previous)
        return leads if crowd is None else dance_crowd(analysis.obj, leads, lib, crowd)

    chor = pipe.stage("choreograph", SOLVER_VERSION, cin, p.solve, choreograph)
    written["analysis"] = publish(analysis, out / f"{stem}.analysis.json")
    for character, res in mouths.items():
        written[f"mouth:{character}"] = publish(res, out / f"{character}.mouth.json")
    written["choreography"] = publish(chor, out / f"{stem}.choreography.json")
    if p.render:
        from choreography.crowd import crowd_rigs
        from engine.render_stage import STAGE_VERSION as RENDER_VERSION
        from engine.render_stage import render_outputs

        step("render")
        drawn = {**rigs, **crowd_rigs(chor.obj)}
        rin = {"choreography": artefact_digest(chor), "song": song_inputs["song"],
               "analysis": artefact_digest(analysis), **{f"mouth:{k}": artefact_digest(m) for k, m in mouths.items()},
               **{f"look:{k}": _look_digest(r) for k, r in drawn.items()}}
        files, _ = pipe.files_stage("render", RENDER_VERSION, rin, {"size": p.size, "passes": p.passes}, out,
                                    lambda: render_outputs(chor.obj, out, size=p.size, passes=p.passes,
                                                           audio=inputs.song, analysis=analysis.obj,
                                                           mouths={k: m.obj for k, m in mouths.items()},
                                                           rigs=drawn))
        written.update(files)


def _crowd_spec(inputs: RunInputs, p: RunParams):
    """The run's crowd spec (its file, the count option, or the defaults made from the leads' rigs), or None.

    The dancers are drawn once here, so a formation they do not fit in fails before the expensive stages.
    """
    from choreography.crowd import MAX_COUNT, CrowdSpec, generate_crowd, load_crowd_spec

    if not 0 <= p.crowd <= MAX_COUNT:
        raise ChoreoError(f"--crowd {p.crowd}: a crowd has 0..{MAX_COUNT} dancers")
    if inputs.crowd is not None:
        spec = load_crowd_spec(inputs.crowd)
        spec = replace(spec, count=p.crowd) if p.crowd else spec
    elif p.crowd:
        spec = CrowdSpec(bases=inputs.rigs, count=p.crowd)
    else:
        return None
    generate_crowd(spec)
    return spec


def _previous_choreography(path: Path):
    """The choreography a run wrote before, which lock pins keep parts of."""
    from engine import artifacts

    if not path.exists():
        raise ChoreoError("the pins lock parts of an earlier choreography, but this output folder has none yet: "
                          "run once without the lock pins first", path=path)
    return artifacts.load(path)
