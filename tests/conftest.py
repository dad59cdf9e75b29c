"""Shared fixtures: a synthesized song cache and helpers to run the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = ROOT.parent / "shared" / "data" / "real"


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``choreo`` in a subprocess (as a user would) and capture its output."""
    env = {**os.environ, "CHOREO_DEBUG": "0", "COLUMNS": "120"}
    return subprocess.run([sys.executable, "-m", "engine", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=600, check=False)


def run_per_fps(inputs, base: Path, fps_keys) -> dict[str, Path]:
    """``choreo run`` output folders, one per frame rate (librosa, canon, no render).

    Parameters
    ----------
    inputs : engine.run.RunInputs, or dict of str to RunInputs
        The same inputs for every frame rate, or the inputs of each.
    base : Path
        Where the folders (``run_24``, ``run_30000_1001``, ...) and their stage cache go.
    fps_keys : iterable of str
        Frame rates such as ``"24"`` and ``"30000/1001"``.
    """
    from audio.params import AnalysisParams
    from choreography.params import SolveParams
    from engine.pipeline import Pipeline
    from engine.run import RunParams, run_song

    out = {}
    for key in fps_keys:
        folder = base / f"run_{key.replace('/', '_')}"
        params = RunParams(analysis=AnalysisParams(backend="librosa"), solve=SolveParams(fps=key, ensemble="canon"),
                           render=False)
        run_song(inputs[key] if isinstance(inputs, dict) else inputs, folder, params,
                 pipeline=Pipeline(cache=base / "cache"))
        out[key] = folder
    return out


def load_benchmark(name: str):
    """Import ``benchmarks/<name>.py`` (the reports are scripts, not a package) and return the module."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def dev_set(folder: str) -> Path:
    """``../shared/data/dev/<folder>``, or skip the test: the annotated dev set is not distributed."""
    from benchmarks.dev_set import DEV

    if not (DEV / folder).is_dir():
        pytest.skip("../shared/data/dev is not present (the annotated dev set is not distributed)")
    return DEV / folder


@pytest.fixture(scope="session")
def real_data() -> Path:
    if not REAL_DATA.is_dir():
        pytest.skip("../shared/data/real is not present (real recordings are for smoke tests only)")
    return REAL_DATA
