"""``choreo batch``: every song of an episode or season, one task per song, on Dask.

Songs come from a folder (every audio file; timed lyrics, ``NAME.lrc`` or subtitles (``NAME.srt``, ``.vtt``,
``.ass``, ``.ssa``), or else ``NAME.lyrics.txt``, and ``NAME.mid``, beside it are paired with ``NAME.*``) or a
manifest (YAML or JSON: ``songs: [{audio, vocals: {character: stem}, lyrics, midi, rigs, moves, pins, voice,
choreography, export}], export}``, paths relative to the manifest; ``choreography`` takes the options of ``choreo
choreograph``: ``{seed, fps, variation, mirror_repeats, ensemble, canon_beats}``; ``export`` lists formats of
``choreo export`` (``[otio, xdts]`` or ``"otio,xdts"``) written into the song's folder after its run: at the top
level for every song, in a song for that song (replacing the top level's; ``[]`` for none); format names are
checked when the manifest is read, before any song runs).
Each song runs :func:`engine.run.run_song` in a worker process of a Dask LocalCluster (or on an existing
scheduler), with the shared content-addressed cache, so a rerun skips songs whose outputs are current.
A song that fails is reported and the batch carries on; ``OUT/batch-report.json`` is written atomically
at the end.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audio.decode import SUPPORTED_SUFFIXES
from audio.errors import ChoreoError
from audio.files import remove_partials, write_atomic

if TYPE_CHECKING:
    from engine.exporters import Exporter

REPORT = "batch-report.json"
CONNECT_TIMEOUT = "20s"  # how long to try reaching an external scheduler, and to wait for its first worker


@dataclass(frozen=True)
class SongJob:
    """One song of a batch (paths absolute)."""

    audio: str
    name: str
    vocals: tuple[tuple[str, str], ...] = ()
    lyrics: str | None = None
    midi: str | None = None
    rigs: tuple[str, ...] = ("ada",)
    moves: str | None = None
    pins: str | None = None
    voice: str | None = None
    choreography: tuple[tuple[str, Any], ...] = ()
    export: tuple[str, ...] = ()


# The lyrics paired with NAME.* in a folder, the first found: timed lyrics (LRC, subtitles), then plain text.
LYRICS_SUFFIXES = (".lrc", ".srt", ".vtt", ".ass", ".ssa", ".lyrics.txt")


def discover(source: str | Path) -> list[SongJob]:
    """The songs of a folder or a manifest.

    Parameters
    ----------
    source : str or Path
        A folder of audio files, or a ``.yaml``/``.yml``/``.json`` manifest.

    Returns
    -------
    list of SongJob, sorted by name

    Raises
    ------
    ChoreoError
        Missing source, unreadable manifest, or a manifest entry without audio (named).
    """
    src = Path(source)
    if not src.exists():
        raise ChoreoError("batch source not found", path=src)
    if src.is_dir():
        jobs = []
        for p in sorted(src.iterdir()):
            if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES:
                # timed lyrics (NAME.lrc or subtitles, named as media players look for them) before plain ones
                lyr = next((q for q in (p.with_name(f"{p.stem}{suffix}") for suffix in LYRICS_SUFFIXES)
                            if q.exists()), None)
                mid = p.with_name(f"{p.stem}.mid")
                jobs.append(SongJob(audio=str(p.resolve()), name=p.stem,
                                    lyrics=str(lyr.resolve()) if lyr is not None else None,
                                    midi=str(mid.resolve()) if mid.exists() else None))
        if not jobs:
            raise ChoreoError("no audio files in this folder", path=src)
        return jobs
    return _manifest(src)


def _manifest(path: Path) -> list[SongJob]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ChoreoError(f"manifest cannot be read ({exc})", path=path) from exc
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            doc = yaml.safe_load(text)
        else:
            doc = json.loads(text)
    except Exception as exc:  # noqa: BLE001 - yaml and json raise different types; both mean "bad manifest"
        raise ChoreoError(f"manifest is not valid {path.suffix[1:].upper()} ({exc})", path=path) from exc
    songs = doc.get("songs") if isinstance(doc, dict) else None
    if not isinstance(songs, list) or not songs:
        raise ChoreoError("manifest needs a non-empty 'songs' list", path=path)
    base = path.parent
    default_export = doc.get("export")

    def rel(v: Any) -> str | None:
        return None if v is None else str((base / str(v)).resolve())

    jobs, names = [], set()
    for i, s in enumerate(songs):
        if not isinstance(s, dict) or "audio" not in s:
            raise ChoreoError(f"songs[{i}] has no 'audio'", path=path)
        name = str(s.get("name") or Path(str(s["audio"])).stem)
        if name in names:
            raise ChoreoError(f"songs[{i}]: the name {name!r} is used twice (set 'name')", path=path)
        names.add(name)
        vocals = tuple((rel(v), str(c)) for c, v in (s.get("vocals") or {}).items())
        rigs = s.get("rigs") or ["ada"]
        where = f"songs[{i}].export" if "export" in s else f"export (for songs[{i}])"
        jobs.append(SongJob(audio=rel(s["audio"]), name=name, vocals=vocals, lyrics=rel(s.get("lyrics")),
                            midi=rel(s.get("midi")), rigs=tuple(str(r) for r in rigs), moves=rel(s.get("moves")),
                            pins=rel(s.get("pins")), voice=str(s["voice"]) if s.get("voice") else None,
                            choreography=_choreography_options(s.get("choreography"), f"songs[{i}]", path),
                            export=_manifest_export(s.get("export", default_export), bool(vocals),
                                                    bool(s.get("lyrics") or s.get("midi")), where, path)))
    return jobs


def export_formats(spec: str, *, vocals: bool, lyrics: bool) -> list[Exporter]:
    """The exporters of a run's format list (``choreo run --export``, a manifest's ``export``), checked up front.

    Parameters
    ----------
    spec : str
        Comma-separated format names (``"otio,xdts"``).
    vocals : bool
        Whether the song has vocal stems, which the mouth-track formats need.
    lyrics : bool
        Whether it has lyrics (or a MIDI file, which may hold them), which the formats of the words need.

    Returns
    -------
    list of Exporter

    Raises
    ------
    ChoreoError
        An unknown name (with the closest known one), an empty list, a mouth-track format for a song
        without vocals, or a format of the words for one without lyrics: before the run, not after it.
    """
    from engine.exporters import parse_formats

    exporters = parse_formats(spec)
    for e in exporters:
        if not vocals:
            e.refuse("mouths", "this song has no vocals")
        if not lyrics:
            e.refuse("words", "this song has no lyrics")
    return exporters


def _manifest_export(value: Any, vocals: bool, lyrics: bool, where: str, path: Path) -> tuple[str, ...]:
    """A manifest's ``export`` entry (a list of names or a comma-separated string) as checked format names."""
    if value is None or value == []:
        return ()
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = ",".join(value)
    if not isinstance(value, str):
        raise ChoreoError(f"{where} must be a list of format names (choreo export --list), not {value!r}", path=path)
    try:
        return tuple(e.name for e in export_formats(value, vocals=vocals, lyrics=lyrics))
    except ChoreoError as exc:
        raise ChoreoError(f"{where}: {exc.message}", path=path) from None


def _choreography_options(value: Any, where: str, path: Path) -> tuple[tuple[str, Any], ...]:
    """A manifest song's ``choreography`` options, checked against :class:`choreography.params.SolveParams`."""
    from dataclasses import fields

    from audio.errors import did_you_mean
    from choreography.params import SolveParams

    if value is None:
        return ()
    if not isinstance(value, dict):
        raise ChoreoError(f"{where}.choreography must be a mapping of options, not {value!r}", path=path)
    defaults = {f.name: getattr(SolveParams(), f.name) for f in fields(SolveParams) if f.name != "plan"}
    out = []
    for key, v in value.items():
        if key not in defaults:
            raise ChoreoError(f"{where}.choreography: unknown option {key!r}{did_you_mean(str(key), defaults)} "
                              f"(options: {', '.join(defaults)})", path=path)
        kind = type(defaults[key])
        # What YAML gives for each kind: a bool only for bool; any number for float; a number for a str (fps: 24)
        accepted = {bool: (bool,), int: (int,), float: (int, float), str: (str, int, float)}[kind]
        if isinstance(v, bool) != (kind is bool) or not isinstance(v, accepted):
            wanted = {bool: "true or false", int: "a whole number", float: "a number", str: "a string"}[kind]
            raise ChoreoError(f"{where}.choreography.{key}: {v!r} should be {wanted}", path=path)
        out.append((str(key), kind(v)))
    return tuple(out)


def process_song(job: SongJob, out_root: str, params: Any) -> dict[str, Any]:
    """Run one song (in a worker); never raises for a bad song: the failure goes into the result.

    Parameters
    ----------
    job : SongJob
    out_root : str
        The batch output folder; the song goes to ``out_root/NAME/``.
    params : RunParams

    Returns
    -------
    dict
        ``{input, name, status: ok|failed, error, outputs, seconds, stages, warnings}``; ``warnings`` are
        what the song's export formats could not carry.
    """
    from engine.pipeline import Pipeline
    from engine.run import run_song

    t0 = time.perf_counter()
    result = _entry(job)
    try:
        remove_partials(Path(out_root) / job.name)  # what a killed or interrupted earlier run left
        inputs = _inputs(job)
        if job.voice:
            params = replace(params, lipsync=replace(params.lipsync, voice=job.voice))
        if job.choreography:
            params = replace(params, solve=replace(params.solve, **dict(job.choreography)))
        pipe = Pipeline()
        written = run_song(inputs, Path(out_root) / job.name, params, pipeline=pipe)
        result["outputs"] = {k: str(v) for k, v in written.items()}
        result["stages"] = [{"stage": n, "cached": c, "seconds": round(s, 3)} for n, c, s in pipe.log]
        if job.export:
            paths, notes = _export(job, written)  # notes: what a format could not carry
            result["outputs"].update({f"export:{p.name}": str(p) for p in paths})
            result["warnings"] = [f"{job.name}: {n}" for n in notes]
    except ChoreoError as exc:
        result.update(status="failed", error=str(exc))
    except Exception as exc:  # noqa: BLE001 - a crash in one song must not stop the batch
        result.update(status="failed", error=f"internal error: {type(exc).__name__}: {exc}")
    result["seconds"] = round(time.perf_counter() - t0, 3)
    return result


def _export(job: SongJob, written: dict[str, Path]) -> tuple[list[Path], list[str]]:
    """Write the song's export formats from the artefacts its run wrote, into the same folder."""
    from engine.exporters import get_format
    from engine.exporters.song import export_noting, run_song_artefacts

    return export_noting(run_song_artefacts(written), [get_format(n) for n in job.export])


def worker_env(workers: int) -> dict[str, str]:
    """Environment for batch workers: each gets its share of the cores for every threaded library.

    Without this, every song would start as many BLAS, numba, onnxruntime and x264 threads as the machine
    has cores, and songs running side by side would fight over them.

    Parameters
    ----------
    workers : int

    Returns
    -------
    dict of str to str
    """
    import os

    share = str(max(1, (os.cpu_count() or 1) // max(1, workers)))
    return {k: share for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS",
                               "CHOREO_THREADS")}


def run_batch(jobs: list[SongJob], out: Path, params: Any, *, workers: int = 2, scheduler: str | None = None,
              on_result=None) -> dict[str, Any]:
    """Run every job on Dask and write ``out/batch-report.json``.

    Parameters
    ----------
    jobs : list of SongJob
    out : Path
    params : RunParams
    workers : int
        Worker processes of the embedded LocalCluster (ignored with ``scheduler``).
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://HOST:PORT``).
    on_result : callable, optional
        Called with each song's result as it finishes.

    Returns
    -------
    dict
        The report.

    Raises
    ------
    ChoreoError
        The output folder cannot be made or written, or the scheduler cannot be reached or has no workers.

    Notes
    -----
    The report is written however the batch ends: songs that had not finished when it was interrupted
    (Ctrl-C) are listed as failed, and what the stopped workers were writing is removed. Dask retries a song
    whose worker died (``distributed.scheduler.allowed-failures``); one that keeps killing its workers fails.
    """
    from distributed import Client, LocalCluster, as_completed

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ChoreoError(f"output folder cannot be created ({exc.strerror})", path=out) from exc
    try:  # before any song runs: the report has to go here
        tempfile.TemporaryFile(dir=out).close()
    except OSError as exc:
        raise ChoreoError(f"output folder is not writable ({exc.strerror})", path=out) from exc
    t0 = time.perf_counter()
    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except OSError as exc:
            raise ChoreoError(f"cannot reach the Dask scheduler ({exc})", path=scheduler) from exc
        try:
            client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
        except TimeoutError:
            client.close()
            raise ChoreoError(f"the Dask scheduler has no workers (waited {CONNECT_TIMEOUT}); start some with "
                              f"'dask worker {scheduler}'", path=scheduler) from None
    else:
        cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=50, env=worker_env(workers))
        client = Client(cluster)
    results: dict[str, dict[str, Any]] = {}
    finished = False
    waiting = list(enumerate(jobs))[::-1]
    futures: dict[Any, SongJob] = {}
    running = as_completed()

    def top_up() -> None:
        # No more songs in flight than the workers have threads: nothing waits in a worker's queue, so a
        # killed worker takes only the song it was running, and a worker that joins gets the next song.
        slots = max(1, sum(client.nthreads().values()))
        while waiting and len(futures) - len(results) < slots:
            i, job = waiting.pop()
            fut = client.submit(process_song, job, str(out), params, key=f"song-{i}-{job.name}", pure=False)
            futures[fut] = job
            running.add(fut)

    try:
        top_up()
        for fut in running:
            job = futures[fut]
            try:
                res = fut.result()
            except Exception as exc:  # noqa: BLE001 - a killed worker or a lost task fails this song only
                res = _entry(job, f"worker failed ({type(exc).__name__}: {exc}); rerun to retry")
                _clear_song(job, out)
            results[job.name] = res
            if on_result is not None:
                on_result(res)
            top_up()
        finished = True
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
        if not finished and cluster is not None:  # interrupted: the stopped workers wrote these songs last
            for job in jobs:
                if job.name not in results:
                    remove_partials(out / job.name)
        songs = [results.get(job.name) or _entry(job, "interrupted before it finished; rerun to complete")
                 for job in jobs]
        report = _write_report(out, songs, time.perf_counter() - t0)
    return report


def _clear_song(job: SongJob, out: Path) -> None:
    """Take out what a song whose worker was lost had written: finished artefacts and partial files."""
    from engine.run import remove_song_outputs

    remove_song_outputs(_inputs(job), out / job.name)
    remove_partials(out / job.name)


def _inputs(job: SongJob):
    """The song's :class:`engine.run.RunInputs` (paths only; nothing is read)."""
    from engine.run import RunInputs

    def path(v: str | None) -> Path | None:
        return Path(v) if v else None

    return RunInputs(song=Path(job.audio), vocals=tuple((Path(v), c) for v, c in job.vocals), lyrics=path(job.lyrics),
                     midi=path(job.midi), rigs=job.rigs, moves=path(job.moves), pins=path(job.pins))


def _entry(job: SongJob, error: str | None = None) -> dict[str, Any]:
    """A song's line in the report: ok until an error is given."""
    return {"input": job.audio, "name": job.name, "status": "ok" if error is None else "failed", "error": error,
            "outputs": {}, "seconds": 0.0, "stages": [], "warnings": []}


def _write_report(out: Path, songs: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    songs = sorted(songs, key=lambda r: r["name"])
    failed = sum(r["status"] != "ok" for r in songs)
    report = {"schema": "choreo.batch/1", "songs": songs, "ok": len(songs) - failed, "failed": failed,
              "seconds": round(seconds, 3)}
    write_atomic(out / REPORT, json.dumps(report, indent=1) + "\n")
    return report
