"""audio.files: atomic writes name their temporaries so that what a killed writer leaves can be swept."""

from __future__ import annotations

import pytest

from audio.errors import ChoreoError
from audio.files import PARTIAL_MARK, partial_prefix, remove_partials, write_atomic


def test_write_atomic_replaces_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "a" / "song.analysis.json"
    write_atomic(target, "one")
    write_atomic(target, b"two")
    assert target.read_text() == "two"
    assert sorted(p.name for p in target.parent.iterdir()) == ["song.analysis.json"]


def test_write_atomic_into_a_file_is_one_clear_error(tmp_path):
    (tmp_path / "blocker").write_text("x")
    with pytest.raises(ChoreoError, match="output folder cannot be created"):
        write_atomic(tmp_path / "blocker" / "out.json", "{}")


def test_remove_partials_takes_only_partials(tmp_path):
    keep = [tmp_path / "preview.mp4", tmp_path / ".render.json", tmp_path / "song.partial.json"]
    for p in keep:
        p.write_text("done")
    (tmp_path / f"{partial_prefix(tmp_path / 'preview.mp4')}x1.mp4").write_text("half")
    frames = tmp_path / f"{partial_prefix(tmp_path / 'ada_color')}x2"
    frames.mkdir()
    (frames / "000000.png").write_bytes(b"png")
    removed = remove_partials(tmp_path)
    assert len(removed) == 2 and all(PARTIAL_MARK in p.name for p in removed)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in keep)
    assert remove_partials(tmp_path / "missing") == []


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077])
def test_written_files_follow_the_umask(tmp_path, mask):
    import os
    import stat
    import tempfile
    from pathlib import Path

    from audio.files import follow_umask

    old = os.umask(mask)
    try:
        out = write_atomic(tmp_path / "a" / "doc.json", "{}\n")
        folder = Path(tempfile.mkdtemp(dir=tmp_path))
        follow_umask(folder)
    finally:
        os.umask(old)
    # As open() and mkdir() would make them, not the 0600 / 0700 of tempfile.
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~mask
    assert stat.S_IMODE(folder.stat().st_mode) == 0o777 & ~mask
