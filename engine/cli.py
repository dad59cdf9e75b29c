"""The ``choreo`` command line (typer + rich).

Heavy modules (numpy, librosa, madmom, numba) are imported inside the commands so that
``choreo --help`` answers at once. User-facing errors (:class:`audio.errors.ChoreoError`) become one
line on stderr and exit code 2; set ``CHOREO_DEBUG=1`` for the full traceback.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from audio.errors import ChoreoError
from audio.params import BACKENDS, AnalysisParams, LipsyncParams
from choreography.params import SolveParams
from engine.run import RunParams

# The defaults live in the stages' params classes; each option shared by several commands is declared once.
_D = AnalysisParams()
_L = LipsyncParams()
_S = SolveParams()
_R = RunParams()
FpsOpt = Annotated[str, typer.Option(help="Frame rate, e.g. 24, 25, 30000/1001.")]
SeedOpt = Annotated[int, typer.Option(help="Seed of the random choices.")]
VariationOpt = Annotated[float, typer.Option(help="Share of a repeated section's moves that may change.")]
MirrorOpt = Annotated[bool, typer.Option("--mirror-repeats", help="Dance repeated sections mirrored.")]
EnsembleOpt = Annotated[str, typer.Option(help="Several characters: unison, mirror, canon or independent.")]
CanonOpt = Annotated[int, typer.Option(help="Canon offset between characters, in beats.")]
StyleOpt = Annotated[str, typer.Option(help="Styles to lean to, comma-separated: bouncy, smooth, sharp, playful, "
                                            "elegant, hip_hop, jazz, classical, kids \\[default: what the music "
                                            "suggests].")]
RigOpt = Annotated[list[str] | None, typer.Option(help="Rig per character: a shipped name (ada, bo, pip) or a rig "
                                                       "JSON; repeat for several characters \\[default: ada].")]
LyricsOpt = Annotated[Path | None, typer.Option(help="Lyrics: UTF-8 text, one sung line per line (keep the blank "
                                                       "lines between stanzas), or timed: an "
                                                       "LRC file (\\[mm:ss.xx] before each line; <mm:ss.xx> before a "
                                                       "word times it) or subtitles (SRT, WebVTT, ASS; karaoke "
                                                       "tags time words). A duet names its singers (ADA: before "
                                                       "a line, or \\[Verse: Ada]): each character named after "
                                                       "one sings only that singer's lines.")]
MovesOpt = Annotated[Path | None, typer.Option(help="Move library JSON \\[default: the shipped library].")]
PinsOpt = Annotated[Path | None, typer.Option(help="Artist pins (choreo.pins/1).")]
BackendOpt = Annotated[str, typer.Option(help=f"Beat tracker: {' or '.join(BACKENDS)}.")]
SizeOpt = Annotated[str, typer.Option(help="Preview size WIDTHxHEIGHT.")]
VoiceOpt = Annotated[str, typer.Option(help="espeak-ng voice for words outside the English dictionary (fr, es, de, "
                                            "...); auto: the lyrics' language when they are clearly not English.")]
RenderOpt = Annotated[bool, typer.Option("--render/--no-render", help="Render previews too (the preview, passes and "
                                                                   "contact sheet).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]
app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode="rich",
                  help="choreo: music-to-animation choreography. Beat, bar and section maps, lip-sync, keyframes "
                       "and previews.")


def _version_cb(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"choreo {version('choreo-engine')}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version_cb, is_eager=True,
                                                help="Show the version and exit.")] = False) -> None:
    """Choreo command line."""


def default_output(song: Path, suffix: str) -> Path:
    """Default artefact path in the current folder: the song's stem plus ``suffix``.

    Parameters
    ----------
    song : Path
    suffix : str
        For example ".analysis.json".

    Returns
    -------
    Path
    """
    return Path(song.stem + suffix)


@app.command()
def analyze(
    song: Annotated[Path, typer.Argument(help="Audio file: wav, flac, ogg, mp3, m4a/aac.")],
    output: Annotated[Path | None, typer.Option("-o", "--output",
                                                help="Where to write the analysis JSON "
                                                     "\\[default: SONG-NAME.analysis.json here].")] = None,
    backend: Annotated[str, typer.Option(help=f"Beat tracker: {' or '.join(BACKENDS)}. madmom's neural models are "
                                              "licensed CC BY-NC-SA; librosa uses none.")] = _D.backend,
    midi: Annotated[Path | None, typer.Option(help="The song's MIDI: its tempo map, time signatures and "
                                                   "markers define beats, bars and sections.")] = None,
    beats_per_bar: Annotated[int | None, typer.Option(help="Force the meter instead of detecting it.")] = None,
    min_bpm: Annotated[float, typer.Option(help="Slowest beat reported (danceable pulse rule).")] = _D.min_bpm,
    max_bpm: Annotated[float, typer.Option(help="Fastest beat reported (danceable pulse rule).")] = _D.max_bpm,
    min_section_bars: Annotated[int, typer.Option(help="Shortest section, in bars.")] = _D.min_section_bars,
    quiet: QuietOpt = False,
) -> None:
    """Analyse a song: tempo map, beats, bars, meter, onsets, energy and sections → *.analysis.json."""
    from rich.console import Console

    params = AnalysisParams(backend=backend, min_bpm=min_bpm, max_bpm=max_bpm, beats_per_bar=beats_per_bar,
                            min_section_bars=min_section_bars)
    params.validate()
    out = output or default_output(song, ".analysis.json")
    console = Console(stderr=True, quiet=quiet)
    analysis = run_with_progress(console, f"analysing {song.name}",
                                 lambda step: _analyze(song, params, midi, step))
    from engine import artifacts

    artifacts.save(analysis, out)
    if not quiet:
        from engine.summary import analysis_renderables

        show = Console()
        for r in analysis_renderables(analysis):
            show.print(r)
        show.print(f"wrote {out}")


def _analyze(song: Path, params: AnalysisParams, midi: Path | None, step):
    from audio.analysis import analyze as run_analyze

    return run_analyze(song, params, midi=midi, on_step=step)


def run_with_progress(console, title: str, work):
    """Run ``work(step)`` under a rich spinner that shows the current step and elapsed time.

    Parameters
    ----------
    console : rich.console.Console
    title : str
    work : callable
        Called with a ``step(name)`` callback; its return value is returned.

    Returns
    -------
    Whatever ``work`` returns.
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                  transient=True, disable=not console.is_interactive) as progress:
        task = progress.add_task(title, total=None)
        return work(lambda name: progress.update(task, description=f"{title}: {name}"))


@app.command()
def lipsync(
    vocals: Annotated[list[Path], typer.Argument(help="Vocal stem(s), one per character (or a dialog recording; "
                                                      "with --mix, the full mix).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output file; a folder when several stems "
                                                                "are given (one file per character).")],
    lyrics: LyricsOpt = None,
    midi: Annotated[Path | None, typer.Option(help="MIDI with lyric events: exact syllable timing.")] = None,
    analysis: Annotated[Path | None, typer.Option(help="The song's *.analysis.json: syllables prefer its beat "
                                                       "subdivisions.")] = None,
    character: Annotated[list[str] | None, typer.Option(help="Character name per stem, in order; in a duet, "
                                                             "the name the lyrics give its singer \\[default: "
                                                             "the stem's file name].")] = None,
    fps: FpsOpt = _L.fps,
    twos: Annotated[bool, typer.Option("--twos", help="Animate on twos.")] = _L.twos,
    fmt: Annotated[str | None, typer.Option("--format", help="json (choreo.mouth/1), tsv, xml, rhubarb-json "
                                                             "(Rhubarb), dat (Moho switch), pgo (Papagayo), lrc, "
                                                             "ass, srt, vtt (the words as timed lyrics) \\[default: "
                                                             "from the output suffix, else json].")] = None,
    mix: Annotated[bool, typer.Option("--mix", help="VOCALS is the full mix (low-confidence fallback).")] = False,
    voice: VoiceOpt = _L.voice,
    mapping: Annotated[Path | None, typer.Option(help="JSON overriding the phoneme-to-mouth-shape mapping.")] = None,
    aligner: Annotated[str, typer.Option(help="auto (pocketsphinx where the delivery is speech-like), speech, "
                                              "or sung (the sung-syllable aligner).")] = _L.aligner,
    quiet: QuietOpt = False,
) -> None:
    """Lip-sync: vocals (+ lyrics or MIDI lyrics) → phonemes → mouth shapes, per character."""
    from rich.console import Console

    from choreography.model import parse_fps
    from engine.exporters import exporter_for, get_exporter
    from engine.lipsync import make_track

    params = LipsyncParams(fps=fps, twos=twos, voice=voice, aligner=aligner)
    fps_q = parse_fps(fps)
    names = list(character or [])
    if names and len(names) != len(vocals):
        raise ChoreoError(f"{len(vocals)} vocal stems but {len(names)} --character names; give one name per stem")
    names = names or [v.stem for v in vocals]
    several = len(vocals) > 1
    if several and output.suffix:
        raise ChoreoError("several stems need an output folder (-o OUT/), not a file", path=output)
    # The format is settled before the work: a file name no exporter writes is refused at once, not after the
    # alignment (a minute for a full mix).
    exporter = get_exporter(fmt or "json") if several else exporter_for(output, fmt)
    if lyrics is None and midi is None:
        exporter.refuse("words", "without --lyrics (or --midi with lyric events) lip-sync has none", path=output)
    beats_s = None
    if analysis is not None:
        from engine import artifacts

        a = artifacts.load(analysis)
        beats_s = [b.t for b in a.beats]
    console = Console(stderr=True, quiet=quiet)
    for stem, name in zip(vocals, names, strict=True):
        shared = sum(v.resolve() == stem.resolve() for v in vocals) > 1  # one recording of several singers
        track = run_with_progress(console, f"lip-sync {name}", lambda step, stem=stem, name=name, shared=shared:
                                  make_track(stem, character=name, lyrics=lyrics, midi=midi, beats_s=beats_s, mix=mix,
                                             fps=fps_q, params=params, mapping=mapping, on_step=step, shared=shared))
        dest = output / f"{name}{exporter.suffix}" if several else output
        exporter.write(track, dest)
        if not quiet:
            from engine.summary import mouth_renderables

            show = Console()
            for r in mouth_renderables(track):
                show.print(r)
            show.print(f"wrote {dest}")


@app.command()
def choreograph(
    analysis: Annotated[Path, typer.Argument(help="The song's *.analysis.json.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the *.choreography.json.")],
    rig: RigOpt = None,
    moves: MovesOpt = None,
    pins: PinsOpt = None,
    mouth: Annotated[list[Path] | None, typer.Option(help="Mouth tracks (*.mouth.json): their characters dance "
                                                          "calmer while singing.")] = None,
    previous: Annotated[Path | None, typer.Option(help="The choreography that lock pins keep parts of "
                                                       "\\[default: OUTPUT when it exists].")] = None,
    seed: SeedOpt = _S.seed,
    fps: FpsOpt = _S.fps,
    variation: VariationOpt = _S.variation,
    mirror_repeats: MirrorOpt = _S.mirror_repeats,
    ensemble: EnsembleOpt = _S.ensemble,
    canon_beats: CanonOpt = _S.canon_beats,
    style: StyleOpt = _S.style,
    csv: Annotated[bool, typer.Option("--csv", help="Also write OUT.<character>.csv per character (every frame's "
                                                    "channel values with bar, beat and move).")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Choreograph: analysis (+ mouths, pins) → pose keyframes per character → *.choreography.json."""
    from rich.console import Console

    from choreography.moves import load_moves
    from choreography.pins import Pins, load_pins
    from choreography.rig import dancers
    from choreography.solver import singing_per_beat, solve
    from engine import artifacts

    a = artifacts.load(analysis)
    rigs = dancers(rig or ["ada"])
    lib = load_moves(moves)
    pin_set = load_pins(pins) if pins is not None else Pins()
    singing = {}
    for m in mouth or []:
        track = artifacts.load(m)
        singing[track.character] = singing_per_beat(track, a)
    params = SolveParams(fps=fps, seed=seed, variation=variation, mirror_repeats=mirror_repeats, ensemble=ensemble,
                         canon_beats=canon_beats, style=style)
    console = Console(stderr=True, quiet=quiet)
    prev_path = previous or (output if output.exists() else None)
    prev = artifacts.load(prev_path) if prev_path is not None and any(q.type == "lock" for q in pin_set.pins) \
        else None
    result = run_with_progress(console, "choreographing", lambda step: solve(a, rigs, lib, pin_set, params,
                                                                               singing=singing, previous=prev))
    artifacts.save(result, output)
    written = []
    if csv:
        from engine.exporters.choreo_csv import write_csvs

        base = str(output)[: -len(".choreography.json")] if str(output).endswith(".choreography.json") else \
            str(output.with_suffix(""))
        written = write_csvs(result, base, a)
    if not quiet:
        show = Console()
        for pth in written:
            show.print(f"wrote {pth}")
        show.print(f"{len(result.moves)} moves for {', '.join(result.characters)} over {result.duration_frames} "
                   f"frames at {fps}; {len(result.tracks)} keyframe channels")
        for w in result.warnings:
            show.print(f"[yellow]warning: {w}[/yellow]")
        show.print(f"wrote {output}")


QUALITY_FIGURES = ("beat_alignment", "starts_on_beats", "repeat_agreement", "distinct_moves", "placements",
                   "usage_entropy_bits", "top_move_share", "worst_section_top_share", "distinct_per_minute",
                   "longest_run", "runs_over_2", "phrase_alignment", "metric_alignment", "phrase_end_hits",
                   "hook_returns", "style_fit", "energy_correlation")


@app.command()
def quality(
    choreography_file: Annotated[Path, typer.Argument(help="A *.choreography.json.")],
    analysis: Annotated[Path, typer.Option(help="The song's *.analysis.json.")],
    rig: Annotated[list[str] | None, typer.Option(help="Rig per character, in order \\[default: the rigs named in "
                                                       "the choreography's provenance].")] = None,
    moves: MovesOpt = None,
) -> None:
    """Print the quality report of a choreography: beat alignment, starts on beats, repeats, variety, cuts."""
    from rich.console import Console
    from rich.table import Table

    from choreography.moves import load_moves
    from choreography.quality import report
    from engine import artifacts
    from engine.render_stage import rigs_for

    c = artifacts.load(choreography_file)
    a = artifacts.load(analysis)
    rigs = rigs_for(c, rig)
    r = report(c, a, rigs, load_moves(moves))
    table = Table(title="choreography quality")
    table.add_column("figure")
    for ch in c.characters:
        table.add_column(ch, justify="right")
    for key in QUALITY_FIGURES:
        table.add_row(key, *[_fmt(r[ch].get(key, "n/a")) for ch in c.characters])
    console = Console()
    console.print(table)
    console.print(f"cuts on downbeats or section boundaries: {_fmt(r['cuts_on_downbeats_or_boundaries'])}")
    console.print(f"light flashes: {_fmt(r['flashes'])}, at most {_fmt(r['max_flashes_in_any_second'])} in any "
                  "second (limit 3)")


def _fmt(v) -> str:
    return f"{v:.3f}" if isinstance(v, float) else str(v)


@app.command("render")
def render_cmd(
    choreography_file: Annotated[Path, typer.Argument(help="A *.choreography.json.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output folder.")],
    audio: Annotated[Path | None, typer.Option(help="The song, muxed into the preview.")] = None,
    analysis: Annotated[Path | None, typer.Option(help="The song's *.analysis.json (overlay, contact sheet).")] = None,
    mouth: Annotated[list[Path] | None, typer.Option(help="Mouth tracks (*.mouth.json), one per singer.")] = None,
    rig: Annotated[list[str] | None, typer.Option(help="Rig per character \\[default: from the choreography].")] = None,
    size: SizeOpt = _R.size,
    passes: Annotated[str, typer.Option(help="Comma-separated passes written as PNG sequences besides the "
                                             "preview: background, characters, mouth, lighting, overlay, "
                                             "composite, or a character's name.")] = "",
    prores: Annotated[bool, typer.Option("--prores", help="Also write composite.mov (ProRes 4444, alpha).")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Render a choreography: H.264 preview with the song, PNG passes (straight alpha), contact sheet."""
    from rich.console import Console

    from engine import artifacts
    from engine.render_stage import render_outputs

    c = artifacts.load(choreography_file)
    a = artifacts.load(analysis) if analysis is not None else None
    mouths = {}
    for m in mouth or []:
        track = artifacts.load(m)
        mouths[track.character] = track
    console = Console(stderr=True, quiet=quiet)
    written = render_outputs(c, output, size=size, passes=passes, audio=audio, analysis=a, mouths=mouths,
                             rig_names=rig, prores=prores, console=console)
    if not quiet:
        show = Console()
        for name, path in written.items():
            show.print(f"{name:16s} {path}")


@app.command()
def run(
    song: Annotated[Path, typer.Argument(help="The song (full mix).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output folder for every artefact.")],
    vocals: Annotated[list[Path] | None, typer.Option(help="A vocal stem; repeat, one per character. The song "
                                                          "itself lip-syncs from the full mix (its voice separated "
                                                          "first; less exact than a stem).")] = None,
    character: Annotated[list[str] | None, typer.Option(help="Character name per --vocals, in order; in a duet, "
                                                             "the name the lyrics give its singer.")] = None,
    lyrics: LyricsOpt = None,
    midi: Annotated[Path | None, typer.Option(help="The song's MIDI (tempo map, bars, markers).")] = None,
    rig: RigOpt = None,
    moves: MovesOpt = None,
    pins: Annotated[Path | None, typer.Option(help="Artist pins (choreo.pins/1); lock pins keep parts of the "
                                                   "choreography this output folder holds.")] = None,
    backend: BackendOpt = _D.backend,
    fps: FpsOpt = _S.fps,
    seed: SeedOpt = _S.seed,
    variation: VariationOpt = _S.variation,
    mirror_repeats: MirrorOpt = _S.mirror_repeats,
    ensemble: EnsembleOpt = _S.ensemble,
    canon_beats: CanonOpt = _S.canon_beats,
    style: StyleOpt = _S.style,
    size: SizeOpt = _R.size,
    passes: Annotated[str, typer.Option(help="Comma-separated passes to write as PNG sequences "
                                             "(background, characters, mouth, lighting, overlay, a character).")] = "",
    voice: VoiceOpt = _L.voice,
    export: Annotated[str, typer.Option("--export", help="Also write these formats into OUT/ at the end, "
                                                         "comma-separated (choreo export --list); the names are "
                                                         "checked before the run starts.")] = "",
    crowd: Annotated[int, typer.Option(help="Crowd dancers behind the leads, made from the --rig rigs with the "
                                            "crowd defaults; with --crowd-spec, its count.")] = _R.crowd,
    crowd_spec: Annotated[Path | None, typer.Option(help="Crowd spec (choreo.crowd/1): base characters, ranges, "
                                                         "formation, count, seed, unison.")] = None,
    render: RenderOpt = True,
    quiet: QuietOpt = False,
) -> None:
    """Run every stage on a song (analyze, lipsync, choreograph, render), each cached by content hash."""
    from engine.batch import export_formats
    from engine.run import RunInputs

    formats = export_formats(export, vocals=bool(vocals), lyrics=bool(lyrics or midi)) if export else []

    vocals, character = vocals or [], character or []
    if character and len(character) != len(vocals):
        raise ChoreoError(f"{len(vocals)} --vocals but {len(character)} --character names; give one per stem")
    names = character or [v.stem for v in vocals]
    inputs = RunInputs(song=song, vocals=tuple(zip(vocals, names, strict=True)), lyrics=lyrics, midi=midi,
                       rigs=tuple(rig or ["ada"]), moves=moves, pins=pins, crowd=crowd_spec)
    params = RunParams(analysis=AnalysisParams(backend=backend), lipsync=LipsyncParams(voice=voice),
                       solve=SolveParams(fps=fps, seed=seed, variation=variation, mirror_repeats=mirror_repeats,
                                         ensemble=ensemble, canon_beats=canon_beats, style=style),
                       size=size, passes=passes, crowd=crowd, render=render)
    written = _run_pipeline(inputs, output, params, quiet)
    if formats:
        from engine.exporters.song import run_song_artefacts

        _export(run_song_artefacts(written), formats, None, quiet, size=size)


@app.command("export")
def export_cmd(
    artefacts: Annotated[list[Path] | None, typer.Argument(help="A choreo run folder, or *.analysis.json, "
                                                                "*.choreography.json and *.mouth.json files.",
                                                           show_default=False)] = None,
    to: Annotated[str, typer.Option("--to", help="Formats, comma-separated: song formats (otio, edl, midi, xdts, "
                                                 "...) or mouth-track formats (tsv, dat, ...); --list names them "
                                                 "all.")] = "",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Output folder (by default the run "
                                                                       "folder, else the analysis' folder), or the "
                                                                       "file when one file is written.")] = None,
    list_formats: Annotated[bool, typer.Option("--list", help="List the formats: what each carries and the "
                                                              "reader its tests check it with.")] = False,
    size: Annotated[str, typer.Option(help="Canvas WIDTHxHEIGHT of the formats that draw (lottie).")] = _R.size,
    quiet: QuietOpt = False,
) -> None:
    """Export a song for editors, DAWs and animators' tools (choreo export --list names every format)."""
    from engine.exporters import FORMATS, parse_formats
    from engine.exporters.song import load_song

    if list_formats:
        for e in sorted(FORMATS.values(), key=lambda e: (e.scope != "song", e.scope, e.name)):
            needs = "the analysis" + "".join(f" + {n}" for n in e.needs) if e.scope != "mouth" else "each mouth track"
            name = {"song": "SONG", "mouth": "CHARACTER", "dancer": "SONG.CHARACTER"}[e.scope]
            typer.echo(f"{e.name:13s}{name}{e.suffix}, from {needs}\n"
                       f"{'':13s}{e.description}\n{'':13s}reader: {e.reader}")
        return
    if not to:
        raise ChoreoError("give the formats with --to (choreo export --list shows them)")
    _export(load_song(list(artefacts or [])), parse_formats(to), output, quiet, size=size)


def _export(song, exporters, output: Path | None, quiet: bool, **options) -> None:

    from engine.exporters.song import export_noting

    paths, notes = export_noting(song, exporters, output, **options)
    for note in notes:  # what a format could not carry: one line each
        typer.echo(f"warning: {note}", err=True)
    for path in paths:
        if not quiet:
            typer.echo(f"wrote {path}")


@app.command()
def batch(
    source: Annotated[Path, typer.Argument(help="A folder of songs (NAME.lrc, .srt, .vtt, .ass or "
                                                ".lyrics.txt, and NAME.mid, paired) or a YAML/JSON manifest.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output folder (one subfolder per song).")],
    workers: Annotated[int, typer.Option(help="Worker processes of the embedded Dask cluster.")] = 2,
    scheduler: Annotated[str | None, typer.Option(help="An existing Dask scheduler, tcp://HOST:PORT.")] = None,
    backend: BackendOpt = _D.backend,
    render: RenderOpt = True,
    export: Annotated[str, typer.Option("--export", help="Also write these formats into each song's folder, "
                                                         "comma-separated (choreo export --list), for every song "
                                                         "whose manifest entry names none.")] = "",
    quiet: QuietOpt = False,
) -> None:
    """Sync every song of an episode or season on Dask; OUT/batch-report.json says what happened."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from engine.batch import discover, run_batch
    from engine.run import RunParams

    jobs = discover(source)
    if export:  # checked for every song before any runs
        from dataclasses import replace

        from engine.batch import export_formats

        jobs = [job if job.export else replace(job, export=tuple(
            e.name for e in export_formats(export, vocals=bool(job.vocals), lyrics=bool(job.lyrics or job.midi))))
            for job in jobs]
    params = RunParams(analysis=AnalysisParams(backend=backend), render=render)
    params.analysis.validate()
    console = Console(stderr=True, quiet=quiet)
    live = console.is_interactive
    with Progress(TextColumn("batch"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                  TimeElapsedColumn(), console=console, transient=True, disable=not live) as progress:
        task = progress.add_task("", total=len(jobs))

        def done(res):
            progress.update(task, advance=1, description=f"{res['name']}: {res['status']}")
            if not live:  # a log file or a farm's job output gets a line per song instead of a bar
                n = int(progress.tasks[0].completed)
                console.print(f"[{n}/{len(jobs)}] {res['name']}: {res['status']} ({res['seconds']:.1f} s)",
                              markup=False, highlight=False)

        report = run_batch(jobs, output, params, workers=workers, scheduler=scheduler, on_result=done)
    if not quiet:
        show = Console()
        for r in report["songs"]:
            line = f"{r['status']:6s} {r['name']:30s} {r['seconds']:7.1f} s"
            show.print(line + (f"  {r['error']}" if r["error"] else ""))
        show.print(f"{report['ok']} ok, {report['failed']} failed in {report['seconds']:.1f} s; "
                   f"report: {output / 'batch-report.json'}")
    if report["failed"]:
        raise typer.Exit(1)


@app.command()
def demo(
    output: Annotated[Path, typer.Option("-o", "--output", help="Output folder.")] = Path("out/demo"),
    backend: BackendOpt = _D.backend,
    quiet: QuietOpt = False,
) -> None:
    """Run everything on the bundled example song (two stick figures and the drawn Pip, in canon)."""
    from engine.run import RunInputs

    examples = Path(__file__).resolve().parents[1] / "examples"
    song = examples / "example_song.ogg"
    if not song.exists():
        raise ChoreoError("the bundled example song is missing (run from a checkout of choreo)", path=song)
    inputs = RunInputs(song=song, midi=examples / "example_song.mid", rigs=("ada", "bo", "pip"))
    params = RunParams(analysis=AnalysisParams(backend=backend), solve=SolveParams(ensemble="canon"),
                       passes="characters,overlay")
    _run_pipeline(inputs, output, params, quiet)


def _run_pipeline(inputs, output: Path, params: RunParams, quiet: bool) -> dict[str, Path]:
    from rich.console import Console
    from rich.table import Table

    from engine.pipeline import Pipeline
    from engine.run import run_song

    params.analysis.validate()
    pipe = Pipeline()
    console = Console(stderr=True, quiet=quiet)
    song = inputs.song
    written = run_with_progress(console, f"choreo run {song.name}",
                                lambda step: run_song(inputs, output, params, pipeline=pipe, on_step=step))
    if not quiet:
        table = Table(title=f"choreo run: {song.name}")
        for col in ("stage", "from cache", "seconds"):
            table.add_column(col)
        for name, cached, secs in pipe.log:
            table.add_row(name, "yes" if cached else "no", f"{secs:.2f}")
        show = Console()
        show.print(table)
        for name, path in written.items():
            show.print(f"{name:14s} {path}")
        show.print(f"all outputs are in {output}/")
    return written


@app.command()
def inspect(file: Annotated[Path, typer.Argument(help="A choreo document: an artefact (*.analysis.json, "
                                                    "*.mouth.json, *.choreography.json, a pass sidecar) or a "
                                                    "rig, move library, pins or mouth-shapes file.")]) -> None:
    """Validate a document against its schema and summarise it."""
    from rich.console import Console

    from engine import artifacts
    from engine.summary import document_renderables

    kind, obj = artifacts.load_kind(file)
    console = Console()
    console.print(f"{file}: valid choreo.{kind.name}/{kind.version}, {kind.what}")
    for r in document_renderables(kind.name, obj):
        console.print(r)


@app.command()
def review(
    path: Annotated[Path, typer.Argument(help="A choreo run output folder, or a song (run first, without the "
                                              "preview, into -o).")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Where a song is run (default: "
                                                                       "out/SONG-NAME/).")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on; anything but 127.0.0.1 exposes the folder to "
                                           "the network.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8765,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Do not open the page in a browser.")] = False,
    rig: RigOpt = None,
    moves: MovesOpt = None,
    backend: BackendOpt = _D.backend,
    quiet: QuietOpt = False,
) -> None:
    """Review page: the song in musical time beside the animatic; click to pin moves, the engine re-solves."""
    from engine.review import ReviewSession, serve
    from engine.run import RunInputs

    if path.is_file():
        folder = output or Path("out") / path.stem
        pins = folder / "pins.json"
        inputs = RunInputs(song=path, rigs=tuple(rig or ["ada"]), moves=moves,
                           pins=pins if pins.is_file() else None)
        _run_pipeline(inputs, folder, RunParams(analysis=AnalysisParams(backend=backend), render=False), quiet)
        path = folder
    elif not path.exists():
        raise ChoreoError("not found (give a choreo run output folder or a song)", path=path)
    session = ReviewSession.open(path, rig_names=rig, moves=moves)
    serve(session, host, port, open_browser=not no_browser, echo=lambda line: typer.echo(line, err=True))


rig_app = typer.Typer(no_args_is_help=True, help="Character rigs: import a drawn cut-out character.")
app.add_typer(rig_app, name="rig")


@rig_app.command("import")
def rig_import(
    art: Annotated[Path, typer.Argument(help="The layered drawing: OpenRaster .ora (Krita, GIMP, MyPaint) or "
                                             "Photoshop .psd, in the skeleton's rest pose.")],
    skeleton: Annotated[str, typer.Option(help="The skeleton: a shipped rig (ada, bo, pip) or a rig JSON; its bones, "
                                               "limits and rest pose.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The rig to write (.json); its part images go "
                                                                "to a folder of the same name beside it.")],
    map_file: Annotated[Path | None, typer.Option("--map", help="A choreo.rig-map/1 JSON: layer names to bones, "
                                                                "pivots in art pixels.")] = None,
    name: Annotated[str | None, typer.Option(help="The rig's name (by default the output file's name).")] = None,
    scale_mouth: Annotated[bool, typer.Option("--scale-mouth", help="Squeeze the mouth drawings by the open "
                                                                    "amount of each cue.")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Import a cut-out character: layers named after bones become parts, the group 'mouth' the mouth set."""
    from choreography.rig_import import import_rig, load_map, write_rig

    mapping = load_map(map_file) if map_file is not None else None
    imported = import_rig(art, skeleton, mapping=mapping, name=name or output.stem, image_dir=output.stem,
                          scale_open=scale_mouth)
    for w in imported.warnings:
        typer.echo(f"warning: {w}", err=True)
    write_rig(imported, output)
    if not quiet:
        shapes = imported.doc["mouth"].get("shapes", {})
        typer.echo(f"wrote {output}: {len(imported.doc['parts'])} parts on the skeleton {skeleton}, mouth shapes "
                   f"{' '.join(shapes) or 'none (drawn mouth)'}, images in {output.parent / output.stem}/")


INTERRUPTED = 130  # the exit code of a command stopped by Ctrl-C, as shells report SIGINT


def main() -> None:
    """Console-script entry point: run the app, turning user errors into one line and exit code 2."""
    try:
        code = app(standalone_mode=False)
        if code == INTERRUPTED:  # typer turns Ctrl-C into this return value
            print("choreo: interrupted", file=sys.stderr)
        if isinstance(code, int) and code:  # typer.Exit(n) comes back as a return value in this mode
            sys.exit(code)
    except ChoreoError as exc:
        if os.environ.get("CHOREO_DEBUG") == "1":
            raise
        print(f"choreo: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:  # Ctrl-C outside a command (while typer parses the command line)
        print("choreo: interrupted", file=sys.stderr)
        sys.exit(INTERRUPTED)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(1)
    except Exception as exc:  # usage errors of typer's click arrive here in non-standalone mode
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):
            exc.show()
            sys.exit(exc.exit_code)
        raise
