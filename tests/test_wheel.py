"""The wheel holds what users run and nothing else: no test material, no tests, the package data included."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

from tests.conftest import ROOT

PACKAGES = ("audio", "choreography", "render", "engine")


def test_wheel_contents(tmp_path):
    # Built from a copy of the checkout, so no stale build/ folder of the working tree can leak into it.
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info", "__pycache__",
                                                             "out", ".bench", ".*_cache", ".hypothesis"))
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation",
                           "-q", "-w", str(tmp_path)], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    (wheel,) = tmp_path.glob("choreo_engine-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    print("\n".join(sorted(names)))  # the listing, for the record (pytest -s)
    shipped = {p.relative_to(ROOT).as_posix() for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    assert shipped <= names, f"missing from the wheel: {sorted(shipped - names)}"
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/", "examples/"))]
    assert not [n for n in names if n.endswith(("synth.py", "espeak_speech.py", "espeak_worker.py"))]
    for data in ("choreography/data/rigs/ada.json", "choreography/data/moves/default.json",
                 "engine/review_static/index.html", "engine/review_static/app.js", "engine/review_static/app.css"):
        assert data in names
    top = {n.split("/", 1)[0] for n in names if not n.startswith("choreo_engine-")}
    assert top == set(PACKAGES)
