"""The stage pipeline: analyze, lipsync, choreograph and render, each keyed by content hash.

A stage's cache key is the sha256 of its name and version, the artefact schema, the content hashes of
its input files and artefacts, and its parameters. Artefacts live in ``<cache>/<stage>/<key>.json``
(``$CHOREO_CACHE`` or ``~/.cache/choreo``), are written atomically and validated when read back, so an
unchanged stage is never redone and a crash never leaves a half-written entry. Changing only the pins
re-runs the choreography (and what follows), nothing before it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path
from typing import Any

from audio.errors import ChoreoError


def cache_root() -> Path:
    """The cache folder: ``$CHOREO_CACHE`` or ``~/.cache/choreo``.

    Returns
    -------
    Path
    """
    return Path(os.environ.get("CHOREO_CACHE") or Path.home() / ".cache" / "choreo")


def file_digest(path: str | Path) -> str:
    """sha256 of a file's bytes (inputs are hashed by content, not by name or date).

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    str

    Raises
    ------
    ChoreoError
        When the file cannot be read.
    """
    h = hashlib.sha256()
    try:
        with Path(path).open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except FileNotFoundError:
        raise ChoreoError("file not found", path=path) from None
    except OSError as exc:
        raise ChoreoError(f"cannot be read ({exc.strerror})", path=path) from exc
    return h.hexdigest()


def _plain(obj: Any) -> Any:
    if is_dataclass(obj):
        return _plain(asdict(obj))
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in sorted(obj.items())}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    return obj


def cache_key(stage: str, version: str, inputs: dict[str, str], params: Any) -> str:
    """The content-addressed key of a stage run.

    Parameters
    ----------
    stage : str
    version : str
        The stage's version (bumped when its output for the same input changes).
    inputs : dict of str to str
        Name to content hash of every input file or upstream artefact.
    params : Any
        The stage's parameters (dataclasses and dicts are serialised canonically).

    Returns
    -------
    str
    """
    doc = {"stage": stage, "version": version, "inputs": dict(sorted(inputs.items())), "params": _plain(params)}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class StageResult:
    """What a stage produced: the model object, where its artefact is, and whether it came from the cache."""

    obj: Any
    path: Path
    cached: bool
    key: str


@dataclass
class Pipeline:
    """Runs stages with caching and records what happened (for the run summary).

    Attributes
    ----------
    cache : Path
    log : list of (stage, cached, seconds)
    """

    cache: Path = field(default_factory=cache_root)
    log: list[tuple[str, bool, float]] = field(default_factory=list)

    def stage(self, name: str, version: str, inputs: dict[str, str], params: Any,
              compute: Callable[[], Any]) -> StageResult:
        """Return a stage's artefact from the cache, or compute, cache and return it (as read back from the cache).

        Parameters
        ----------
        name : str
        version : str
        inputs : dict of str to str
            Content hashes of the inputs.
        params : Any
        compute : callable
            Makes the model object (with ``to_dict``) when the cache has no entry.

        Returns
        -------
        StageResult
        """
        import time

        from engine import artifacts

        key = cache_key(name, version, inputs, params)
        path = self.cache / name / f"{key}.json"
        t0 = time.perf_counter()
        if path.exists():
            try:
                obj = artifacts.load(path)
                self.log.append((name, True, time.perf_counter() - t0))
                return StageResult(obj, path, True, key)
            except ChoreoError:
                path.unlink(missing_ok=True)  # a damaged entry is recomputed, not trusted
        artifacts.save(compute(), path)
        # What the next stage gets is what the file holds (rounded as saved), as it is on a cached run or when
        # a user runs the next stage on the published file: the same inputs give the same result either way.
        obj = artifacts.load(path)
        self.log.append((name, False, time.perf_counter() - t0))
        return StageResult(obj, path, False, key)


    def files_stage(self, name: str, version: str, inputs: dict[str, str], params: Any, out: Path,
                    produce: Callable[[], dict[str, Path]]) -> tuple[dict[str, Path], bool]:
        """A stage whose products are files in the output folder (previews, passes), not a cached artefact.

        Its key is :func:`cache_key` of the same ingredients as any stage's; ``out/.<name>.json`` records
        the key and the files of the last run, and the stage is skipped when both still match.

        Parameters
        ----------
        name, version : str
        inputs : dict of str to str
            Content hashes of the inputs.
        params : Any
        out : Path
            The output folder.
        produce : callable
            Writes the files and returns them by name.

        Returns
        -------
        files : dict of str to Path
        reused : bool
        """
        import time

        from audio.files import write_atomic

        key = cache_key(name, version, inputs, params)
        stamp = Path(out) / f".{name}.json"
        t0 = time.perf_counter()
        try:
            last = json.loads(stamp.read_text()) if stamp.exists() else {}
        except (OSError, ValueError):
            last = {}
        outputs = last.get("outputs") if isinstance(last, dict) else None
        if last.get("key") == key and isinstance(outputs, dict) and all(Path(p).exists() for p in outputs.values()):
            self.log.append((name, True, time.perf_counter() - t0))
            return {k: Path(v) for k, v in outputs.items()}, True
        files = produce()
        write_atomic(stamp, json.dumps({"key": key, "outputs": {k: str(v) for k, v in files.items()}}))
        self.log.append((name, False, time.perf_counter() - t0))
        return files, False


def artefact_digest(result: StageResult) -> str:
    """Content identity of a stage's artefact, for the stages after it.

    The artefact is a deterministic function of what its cache key hashes (inputs, parameters, stage
    version), so the key identifies its content without reading and hashing the file again.

    Parameters
    ----------
    result : StageResult

    Returns
    -------
    str
    """
    return result.key


def publish(result: StageResult, dest: Path) -> Path:
    """Copy a cached artefact into the output folder (atomically).

    Parameters
    ----------
    result : StageResult
    dest : Path

    Returns
    -------
    Path
    """
    from engine.artifacts import write_atomic

    return write_atomic(dest, result.path.read_bytes())


def clear_cache() -> None:
    """Delete the whole cache folder."""
    shutil.rmtree(cache_root(), ignore_errors=True)
