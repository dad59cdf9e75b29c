"""choreo batch: folder and manifest discovery, bad songs do not stop the batch, reruns reuse the cache."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from pathlib import Path

import pytest
import soundfile as sf

from audio.errors import ChoreoError
from engine.batch import discover
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    from tests.material.synth import SongSpec, synthesize, write_midi

    d = tmp_path_factory.mktemp("songs")
    for name, seed in (("song one", 1), ("sông_two", 2)):  # a space and non-ASCII in names
        song = synthesize(SongSpec(form=(("verse", 4), ("chorus", 4)), bpm=118, seed=seed))
        sf.write(str(d / f"{name}.wav"), song.y, song.sr)
        write_midi(song, d / f"{name}.mid")
    (d / "corrupt.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" * 50)
    (d / "empty.mp3").write_bytes(b"")
    (d / "notes.txt").write_text("not audio")
    return d


def test_discover_pairs_midi_and_skips_non_audio(folder):
    jobs = discover(folder)
    assert [j.name for j in jobs] == ["corrupt", "empty", "song one", "sông_two"]
    assert jobs[2].midi and jobs[2].midi.endswith("song one.mid") and jobs[0].midi is None


def test_discover_pairs_lyrics_the_timed_ones_first(tmp_path):
    """Timed lyrics (NAME.lrc, or subtitles: named as media players look for them) are paired before
    NAME.lyrics.txt."""
    for name in ("a", "b", "c", "d"):
        (tmp_path / f"{name}.wav").write_bytes(b"")
    for name in ("a", "b", "d"):
        (tmp_path / f"{name}.lyrics.txt").write_text("la la\n")
    (tmp_path / "b.lrc").write_text("[00:01.00]la la\n")
    (tmp_path / "d.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nla la\n")
    jobs = {j.name: j.lyrics for j in discover(tmp_path)}
    assert jobs["a"].endswith("a.lyrics.txt") and jobs["b"].endswith("b.lrc") and jobs["c"] is None
    assert jobs["d"].endswith("d.srt")


def test_manifest_yaml_and_errors(folder, tmp_path):
    m = tmp_path / "episode.yaml"
    m.write_text(f"songs:\n  - audio: {folder}/song one.wav\n    midi: {folder}/song one.mid\n    rigs: [ada, bo]\n")
    jobs = discover(m)
    assert jobs[0].rigs == ("ada", "bo") and jobs[0].midi.endswith(".mid")
    m.write_text("songs: [{name: x}]")
    with pytest.raises(ChoreoError, match=r"songs\[0\] has no 'audio'"):
        discover(m)
    with pytest.raises(ChoreoError, match="not found"):
        discover(tmp_path / "nope")


def test_batch_carries_on_and_reports(folder, tmp_path, monkeypatch):
    monkeypatch.setenv("CHOREO_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "out"
    args = ("batch", str(folder), "-o", str(out), "--backend", "librosa", "--no-render", "--workers", "2")
    res = run_cli(*args)
    assert res.returncode == 1, res.stderr  # some songs failed
    report = json.loads((out / "batch-report.json").read_text())
    status = {s["name"]: s for s in report["songs"]}
    assert status["song one"]["status"] == "ok" and status["sông_two"]["status"] == "ok"
    assert status["corrupt"]["status"] == "failed" and "corrupt" in status["corrupt"]["error"]
    assert status["empty"]["status"] == "failed" and "empty" in status["empty"]["error"]
    assert (out / "song one" / "song one.choreography.json").exists()
    assert not (out / "corrupt").exists() or not any((out / "corrupt").iterdir())
    again = run_cli(*args)
    report = json.loads((out / "batch-report.json").read_text())
    ok = [s for s in report["songs"] if s["status"] == "ok"]
    assert again.returncode == 1 and all(all(st["cached"] for st in s["stages"]) for s in ok)


@contextlib.contextmanager
def _read_only(folder):
    """Make ``folder`` read-only for this user, root included (chattr +i), or skip where that cannot be done."""
    folder.mkdir(parents=True, exist_ok=True)
    root = os.geteuid() == 0
    if root:
        done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0
    else:
        folder.chmod(0o555)
        done = True
    try:
        if not done:
            pytest.skip("this machine cannot make a folder read-only (chattr +i refused)")
        yield folder
    finally:
        if root:
            subprocess.run(["chattr", "-i", str(folder)], capture_output=True)
        else:
            folder.chmod(0o755)


def test_read_only_output_folder_is_one_clear_line(folder, tmp_path, monkeypatch):
    monkeypatch.setenv("CHOREO_CACHE", str(tmp_path / "cache"))
    with _read_only(tmp_path / "out") as out:
        res = run_cli("batch", str(folder), "-o", str(out), "--backend", "librosa", "--no-render")
        assert res.returncode == 2 and not list(out.iterdir())
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "not writable" in lines[0] and str(out) in lines[0], res.stderr


def test_read_only_song_folder_fails_that_song_only(folder, tmp_path, monkeypatch):
    from audio.params import AnalysisParams
    from engine.batch import run_batch
    from engine.run import RunParams

    monkeypatch.setenv("CHOREO_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "out"
    jobs = [j for j in discover(folder) if j.name in ("song one", "sông_two")]
    with _read_only(out / "song one"):
        report = run_batch(jobs, out, RunParams(analysis=AnalysisParams(backend="librosa"), render=False), workers=1)
        assert not list((out / "song one").iterdir())
    status = {s["name"]: s for s in report["songs"]}
    err = status["song one"]["error"]
    assert status["song one"]["status"] == "failed" and "song one" in err and "cannot write" in err, err
    assert status["sông_two"]["status"] == "ok"
    again = run_batch(jobs, out, RunParams(analysis=AnalysisParams(backend="librosa"), render=False), workers=1)
    assert again["failed"] == 0


def test_batch_log_has_a_line_per_song_when_not_on_a_terminal(folder, tmp_path, monkeypatch):
    monkeypatch.setenv("CHOREO_CACHE", str(tmp_path / "cache"))
    res = run_cli("batch", str(folder), "-o", str(tmp_path / "out"), "--backend", "librosa", "--no-render")
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("[")]
    assert len(lines) == 4 and lines[-1].startswith("[4/4] "), res.stderr
    assert sum(": failed (" in ln for ln in lines) == 2 and sum(": ok (" in ln for ln in lines) == 2


def test_manifest_takes_choreograph_options(folder, tmp_path):
    m = tmp_path / "episode.yaml"
    m.write_text(f"songs:\n  - audio: {folder}/song one.wav\n    choreography: {{seed: 7, fps: 25, variation: 1,"
                 " mirror_repeats: true, ensemble: canon, canon_beats: 1}\n")
    opts = dict(discover(m)[0].choreography)
    assert opts == {"seed": 7, "fps": "25", "variation": 1.0, "mirror_repeats": True, "ensemble": "canon",
                    "canon_beats": 1}
    m.write_text(f"songs:\n  - audio: {folder}/song one.wav\n    choreography: {{sed: 7}}\n")
    with pytest.raises(ChoreoError, match=r"songs\[0\].choreography: unknown option 'sed' \(did you mean 'seed'\?\)"):
        discover(m)
    m.write_text(f"songs:\n  - audio: {folder}/song one.wav\n    choreography: {{seed: lots}}\n")
    with pytest.raises(ChoreoError, match=r"songs\[0\].choreography.seed: 'lots' should be a whole number"):
        discover(m)


def test_batch_song_runs_with_its_choreograph_options(folder, tmp_path, monkeypatch):
    from audio.params import AnalysisParams
    from engine.batch import process_song
    from engine.run import RunParams

    monkeypatch.setenv("CHOREO_CACHE", str(tmp_path / "cache"))
    m = tmp_path / "episode.yaml"
    m.write_text(f"songs:\n  - audio: {folder}/song one.wav\n    rigs: [ada, bo]\n"
                 "    choreography: {seed: 5, ensemble: mirror}\n")
    res = process_song(discover(m)[0], str(tmp_path / "out"), RunParams(analysis=AnalysisParams(backend="librosa"),
                                                                        render=False))
    assert res["status"] == "ok", res["error"]
    prov = json.loads(Path(res["outputs"]["choreography"]).read_text())["provenance"]
    assert prov["seed"] == 5 and prov["params"]["ensemble"] == "mirror"
