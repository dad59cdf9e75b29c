"""Lip-sync speed without changing results: the phrase groups aligned in a pool of processes give what one
process gives (audio.transcribe), and an alignment whose text does not fit stops at once when no prefix of it
is wanted (audio.speech)."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import shutil
import sys

import pytest
import soundfile as sf

from audio import transcribe as T
from audio.params import LipsyncParams
from tests.lipsync_accuracy import make_case

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")

_ALIGN = T._speech_align
PID_LOG = "CHOREO_TEST_PID_LOG"


def _logged_align(*args):
    """``_speech_align`` that notes which process ran it (the pool pickles it by name; forked workers have it)."""
    with open(os.environ[PID_LOG], "a", encoding="utf-8") as fh:
        fh.write(f"{os.getpid()}\n")
    return _ALIGN(*args)


def _pids(path) -> set[int]:
    return {int(x) for x in path.read_text(encoding="utf-8").split()}


@pytest.fixture(scope="module")
def sung(tmp_path_factory):
    """espeak-ng's slow, sung-like delivery of three lines with pauses between them: three phrase groups."""
    d = tmp_path_factory.mktemp("pool")
    audio, lyrics, _spoken = make_case("sunglike_road", d)
    return audio, lyrics


def _transcribe(sung, log, threads: str, monkeypatch):
    monkeypatch.setenv("CHOREO_THREADS", threads)
    log.write_text("", encoding="utf-8")
    return T.transcribe(sung[0], lyrics=sung[1], params=LipsyncParams(aligner="speech"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the pool forks on Linux only")
def test_pool_gives_the_alignment_of_one_process(sung, tmp_path, monkeypatch):
    log = tmp_path / "pids"
    monkeypatch.setenv(PID_LOG, str(log))
    monkeypatch.setattr(T, "_speech_align", _logged_align)
    one = _transcribe(sung, log, "1", monkeypatch)
    assert _pids(log) == {os.getpid()}
    assert "3 of 3 phrase groups" in one.method and len(one.words) == 22
    two = _transcribe(sung, log, "2", monkeypatch)
    workers = _pids(log)
    assert os.getpid() not in workers and 1 <= len(workers) <= 2
    assert two == one  # words, phones, confidences, warnings: all of it


def _in_daemon(audio, lyrics, log, out):
    os.environ.update({"CHOREO_THREADS": "2", PID_LOG: str(log)})
    T._speech_align = _logged_align
    tr = T.transcribe(audio, lyrics=lyrics, params=LipsyncParams(aligner="speech"))
    out.write_text(json.dumps([[w.start, w.end, w.text, w.confidence] for w in tr.words]), encoding="utf-8")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the pool forks on Linux only")
def test_a_daemonic_process_aligns_by_itself(sung, tmp_path, monkeypatch):
    # A batch worker is daemonic and may not start processes of its own: it aligns every group itself.
    log, out = tmp_path / "pids", tmp_path / "words.json"
    log.write_text("", encoding="utf-8")
    proc = mp.get_context("fork").Process(target=_in_daemon, args=(*sung, log, out), daemon=True)
    proc.start()
    proc.join(120)
    assert proc.exitcode == 0
    assert _pids(log) == {proc.pid}
    monkeypatch.setenv("CHOREO_THREADS", "1")
    one = T.transcribe(sung[0], lyrics=sung[1], params=LipsyncParams(aligner="speech"))
    assert json.loads(out.read_text(encoding="utf-8")) == [[w.start, w.end, w.text, w.confidence] for w in one.words]


def test_a_text_that_does_not_fit_is_not_searched_for_a_prefix_when_none_is_wanted(sung, monkeypatch):
    from audio import speech as S

    y, sr = sf.read(str(sung[0]), dtype="float32")
    seg = y[: int(0.6 * sr)]  # too short for the 22 words (a phone takes at least 3 frames of 10 ms)
    words = sung[1].read_text(encoding="utf-8").split()
    calls = []
    align_once = S._align_once
    monkeypatch.setattr(S, "_align_once", lambda *a: calls.append(1) or align_once(*a))
    part = S.force_align(seg, sr, words)
    searched = len(calls)
    assert not part.complete and 0 < len(part.words) < len(words) and searched > 2
    calls.clear()
    none = S.force_align(seg, sr, words, longest_prefix=False)
    assert len(calls) == 1 and not none.complete and none.words == () and none.phones == ()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the pool forks on Linux only")
def test_the_pool_finishes_while_another_thread_holds_stdout(sung):
    # A spinner thread may be writing to stdout when the workers are forked: each worker then holds a copy
    # of that stream whose lock nobody will release, and must not flush it on its way out.
    import signal
    import subprocess

    script = os.path.join(os.path.dirname(__file__), "_pool_blocked_stdout.py")
    proc = subprocess.Popen([sys.executable, script, str(sung[0]), str(sung[1])], stderr=subprocess.PIPE, text=True,
                            cwd=os.path.dirname(os.path.dirname(__file__)), start_new_session=True)
    try:
        _out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the workers too
        proc.communicate()
        pytest.fail("the speech pool never finished: its workers hung on the inherited stdout")
    assert proc.returncode == 0, err
    assert "aligned 22 words" in err
