"""Every example runs (README: Conventions)."""

from __future__ import annotations

import subprocess
import sys

import soundfile as sf

from tests.conftest import ROOT, run_cli


def _run(*args):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT, timeout=600, check=False)


def test_make_example_song_reproduces_the_bundled_song(tmp_path):
    out = tmp_path / "song.ogg"
    res = _run("examples/make_example_song.py", "-o", str(out))
    assert res.returncode == 0, res.stderr
    made, bundled = sf.info(str(out)), sf.info(str(ROOT / "examples" / "example_song.ogg"))
    assert made.frames == bundled.frames and made.samplerate == bundled.samplerate
    assert (tmp_path / "song.mid").exists()


def test_analyze_example_prints_sections():
    res = _run("examples/analyze_example.py", "--midi")
    assert res.returncode == 0, res.stderr
    assert "112.0 BPM, 4/4, 52 bars" in res.stdout
    assert res.stdout.count("chorus") == 3


def test_cli_demo_job(tmp_path):
    out = tmp_path / "demo.analysis.json"
    res = run_cli("analyze", str(ROOT / "examples" / "example_song.ogg"), "-o", str(out))
    assert res.returncode == 0, res.stderr
    assert out.exists() and "sections" in res.stdout and "4/4" in res.stdout
    res = run_cli("inspect", str(out))
    assert res.returncode == 0 and "valid choreo.analysis/1" in res.stdout


def test_lipsync_example(tmp_path):
    res = _run("examples/lipsync_example.py", "-o", str(tmp_path))
    assert res.returncode == 0, res.stderr
    assert "tier lyrics-aligned" in res.stdout and (tmp_path / "singer.tsv").exists()
    assert (tmp_path / "singer.mouth.json").exists()
