"""choreo batch over a matrix of good and bad inputs: one batch run (and one rerun) for every case.

One module-scoped fixture builds a folder of songs, stems, lyrics and MIDI files plus a YAML manifest,
runs :func:`engine.batch.run_batch` once in-process (2 Dask workers, librosa backend, no render) with
``CHOREO_CACHE`` in a temp folder, then runs it again. Each case is one parametrized test: its status,
the reason words in the error, no partial files left behind, and the rerun.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audio.files import PARTIAL_MARK


@dataclass(frozen=True)
class Case:
    name: str                 # the manifest name (= output folder)
    status: str               # "ok" or "failed"
    reasons: tuple[str, ...] = ()  # words the error must contain (case-insensitive)


BAD = [
    Case("corrupt_wav", "failed", ("corrupt",)),
    Case("corrupt_mp3", "failed", ("corrupt",)),
    Case("text_as_wav", "failed", ("corrupt",)),
    Case("empty_wav", "failed", ("empty",)),
    Case("empty_flac", "failed", ("empty",)),
    Case("header_only_wav", "failed", ("no audio samples",)),
    Case("nan_wav", "failed", ("nan",)),
    Case("silent_wav", "failed", ("silent",)),
    Case("one_second_wav", "failed", ("at least 2 s",)),
    Case("long_31min_wav", "failed", ("30 minutes",)),
    Case("missing_audio", "failed", ("not found",)),
    Case("unreadable_dir", "failed", ("directory",)),
    Case("blocked_output", "failed", ("output folder cannot be created",)),
    Case("lyrics_missing", "failed", ("not found",)),
    Case("lyrics_not_utf8", "failed", ("not utf-8",)),
    Case("lyrics_empty", "failed", ("no words",)),
    Case("lyrics_is_dir", "failed", ("cannot be read",)),
    Case("vocals_missing", "failed", ("not found",)),
    Case("vocals_corrupt", "failed", ("corrupt",)),
    Case("vocals_empty", "failed", ("empty",)),
    Case("midi_mismatch", "failed", ("does not match",)),
    Case("midi_missing", "failed", ("not found",)),
    Case("midi_corrupt", "failed", ("corrupt or not a midi",)),
    Case("midi_empty", "failed", ("empty",)),
    Case("unknown_rig", "failed", ("unknown rig",)),
    Case("moves_missing", "failed", ("not found",)),
    Case("pins_missing", "failed", ("not found",)),
]
GOOD = [
    Case("wav", "ok"),
    Case("flac", "ok"),
    Case("ogg", "ok"),
    Case("mp3", "ok"),
    Case("m4a", "ok"),
    Case("mono", "ok"),
    Case("stereo", "ok"),
    Case("six_channels", "ok"),
    Case("sr_8k", "ok"),
    Case("sr_192k", "ok"),
    Case("name with spaces", "ok"),
    Case("chanson_été_ü", "ok"),
    Case("lyrics_good", "ok"),
    Case("lyrics_mismatched", "ok"),
    Case("lyrics_french", "ok"),
    Case("lyrics_french_voice_fr", "ok"),
    Case("midi_good", "ok"),
]
CASES = BAD + GOOD

ENGLISH = "the quick brown fox jumps over the lazy dog and sings a happy song tonight"
OTHER = "twinkle twinkle little star how I wonder what you are up above the world so high"
FRENCH = "bonjour mes amis je chante une belle chanson pour vous ce soir"


def _song(seed: int, bpm: int = 120):
    from tests.material.synth import SongSpec, synthesize

    return synthesize(SongSpec(form=(("verse", 4), ("chorus", 4)), bpm=bpm, seed=seed))


def _resample(y: np.ndarray, sr: int, to: int) -> np.ndarray:
    from scipy.signal import resample_poly

    g = np.gcd(sr, to)
    return resample_poly(y, to // g, sr // g).astype(np.float32)


def _ffmpeg(src: Path, dst: Path, codec: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(src), "-c:a", codec, str(dst)], check=True,
                   timeout=60)


def _build(d: Path, out: Path) -> Path:
    from tests.material.espeak_speech import synthesize as speak
    from tests.material.synth import write_midi

    d.mkdir(parents=True, exist_ok=True)
    songs = []  # manifest entries

    def add(name: str, audio: str, **extra) -> None:
        songs.append({"name": name, "audio": audio, **extra})

    base = _song(1)
    y, sr = base.y, base.sr
    stereo = np.stack([y, np.roll(y, 7) * 0.8], axis=1)

    # --- good audio in every format / layout / rate
    sf.write(d / "wav.wav", y, sr)
    add("wav", "wav.wav")
    sf.write(d / "flac.flac", _song(2).y, sr)
    add("flac", "flac.flac")
    with sf.SoundFile(str(d / "ogg.ogg"), "w", sr, 1, format="OGG", subtype="VORBIS") as fh:
        yo = _song(3).y
        for i in range(0, len(yo), 8192):  # one big write segfaults libvorbis here: write in blocks
            fh.write(yo[i:i + 8192])
    add("ogg", "ogg.ogg")
    sf.write(d / "mp3_src.wav", _song(4).y, sr)
    _ffmpeg(d / "mp3_src.wav", d / "mp3.mp3", "libmp3lame")
    add("mp3", "mp3.mp3")
    sf.write(d / "m4a_src.wav", _song(5).y, sr)
    _ffmpeg(d / "m4a_src.wav", d / "m4a.m4a", "aac")
    add("m4a", "m4a.m4a")
    sf.write(d / "mono.wav", _song(6).y, sr, subtype="PCM_16")
    add("mono", "mono.wav")
    sf.write(d / "stereo.wav", stereo, sr)
    add("stereo", "stereo.wav")
    y6 = _song(7).y
    sf.write(d / "six.wav", np.stack([y6 * g for g in (1.0, 0.9, 0.5, 0.3, 0.7, 0.6)], axis=1), sr)
    add("six_channels", "six.wav")
    s8 = _song(8)
    sf.write(d / "sr8k.wav", _resample(s8.y, s8.sr, 8000), 8000, subtype="PCM_16")
    add("sr_8k", "sr8k.wav")
    s192 = _song(9)
    sf.write(d / "sr192k.wav", _resample(s192.y[:12 * s192.sr], s192.sr, 192000), 192000)
    add("sr_192k", "sr192k.wav")
    sf.write(d / "name with spaces.wav", _song(10).y, sr)
    add("name with spaces", "name with spaces.wav")
    sf.write(d / "chanson_été_ü.wav", _song(11).y, sr)
    songs.append({"audio": "chanson_été_ü.wav"})  # the name comes from the file
    midi_song = _song(12)
    sf.write(d / "midi_song.wav", midi_song.y, midi_song.sr)
    write_midi(midi_song, d / "midi_good.mid")
    add("midi_good", "midi_song.wav", midi="midi_good.mid")

    # --- vocal stems (espeak speech) and lyrics
    for stem, text, voice in (("en", ENGLISH, "en-us"), ("fr", FRENCH, "fr")):
        spoken = speak(text, voice=voice)
        pad = np.zeros(spoken.sr // 2, np.float32)
        sf.write(d / f"vocals_{stem}.wav", np.concatenate([pad, spoken.y, pad]), spoken.sr)
    (d / "good.lyrics.txt").write_text(ENGLISH + "\n", encoding="utf-8")
    (d / "other.lyrics.txt").write_text(OTHER + "\n", encoding="utf-8")
    (d / "french.lyrics.txt").write_text(FRENCH + "\n", encoding="utf-8")
    (d / "latin1.lyrics.txt").write_bytes("la chanson d'été, très belle\n".encode("latin-1"))
    (d / "empty.lyrics.txt").write_bytes(b"")
    (d / "lyrics_dir.txt").mkdir()
    vocal = {"ada": "vocals_en.wav"}
    add("lyrics_good", "wav.wav", vocals=vocal, lyrics="good.lyrics.txt")
    add("lyrics_mismatched", "wav.wav", vocals=vocal, lyrics="other.lyrics.txt")
    add("lyrics_french", "wav.wav", vocals={"ada": "vocals_fr.wav"}, lyrics="french.lyrics.txt")
    add("lyrics_french_voice_fr", "wav.wav", vocals={"ada": "vocals_fr.wav"}, lyrics="french.lyrics.txt", voice="fr")
    add("lyrics_missing", "wav.wav", vocals=vocal, lyrics="nowhere.lyrics.txt")
    add("lyrics_not_utf8", "wav.wav", vocals=vocal, lyrics="latin1.lyrics.txt")
    add("lyrics_empty", "wav.wav", vocals=vocal, lyrics="empty.lyrics.txt")
    add("lyrics_is_dir", "wav.wav", vocals=vocal, lyrics="lyrics_dir.txt")
    (d / "vocals_corrupt.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt garbage" * 40)
    (d / "vocals_empty.wav").write_bytes(b"")
    add("vocals_missing", "wav.wav", vocals={"ada": "no_such_stem.wav"})
    add("vocals_corrupt", "wav.wav", vocals={"ada": "vocals_corrupt.wav"})
    add("vocals_empty", "wav.wav", vocals={"ada": "vocals_empty.wav"})

    # --- bad audio
    (d / "corrupt.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" * 50)
    (d / "corrupt.mp3").write_bytes(np.random.default_rng(0).integers(0, 256, 20000, dtype=np.uint8).tobytes())
    (d / "text.wav").write_text("this is not audio at all\n" * 20)
    (d / "empty.wav").write_bytes(b"")
    (d / "empty.flac").write_bytes(b"")
    sf.write(d / "header_only.wav", np.zeros((0,), np.float32), sr)
    nan = y.copy()
    nan[1000:2000] = np.nan
    sf.write(d / "nan.wav", nan, sr, subtype="FLOAT")
    sf.write(d / "silent.wav", np.zeros(10 * sr, np.float32), sr)
    sf.write(d / "one_second.wav", y[:sr], sr)
    with sf.SoundFile(str(d / "long.wav"), "w", 8000, 1, subtype="PCM_16") as fh:
        block = np.zeros(8000 * 60, np.int16)
        for _ in range(31):
            fh.write(block)
    (d / "x.wav").mkdir()
    add("corrupt_wav", "corrupt.wav")
    add("corrupt_mp3", "corrupt.mp3")
    add("text_as_wav", "text.wav")
    add("empty_wav", "empty.wav")
    add("empty_flac", "empty.flac")
    add("header_only_wav", "header_only.wav")
    add("nan_wav", "nan.wav")
    add("silent_wav", "silent.wav")
    add("one_second_wav", "one_second.wav")
    add("long_31min_wav", "long.wav")
    add("missing_audio", "no_such_song.wav")
    add("unreadable_dir", "x.wav")
    add("blocked_output", "wav.wav")
    out.mkdir(parents=True, exist_ok=True)
    (out / "blocked_output").write_text("a file where the song's folder should go\n")

    # --- MIDI, rigs, moves, pins
    bad_tempo = _song(13)
    sf.write(d / "midi_bad_song.wav", bad_tempo.y, bad_tempo.sr)
    write_midi(bad_tempo, d / "mismatch.mid", tempo_scale=1.06)
    (d / "corrupt.mid").write_bytes(b"MThd\x00\x00\x00\x06garbage-not-midi" * 10)
    (d / "empty.mid").write_bytes(b"")
    add("midi_mismatch", "midi_bad_song.wav", midi="mismatch.mid")
    add("midi_missing", "wav.wav", midi="nowhere.mid")
    add("midi_corrupt", "wav.wav", midi="corrupt.mid")
    add("midi_empty", "wav.wav", midi="empty.mid")
    add("unknown_rig", "wav.wav", rigs=["no_such_rig_zz"])
    add("moves_missing", "wav.wav", moves="nowhere.moves.yaml")
    add("pins_missing", "wav.wav", pins="nowhere.pins.yaml")

    import yaml

    manifest = d / "episode.yaml"
    manifest.write_text(yaml.safe_dump({"songs": songs}, allow_unicode=True), encoding="utf-8")
    return manifest


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    from audio.params import AnalysisParams
    from engine.batch import discover, run_batch
    from engine.run import RunParams

    root = tmp_path_factory.mktemp("batch_matrix")
    out = root / "out"
    manifest = _build(root / "songs", out)
    old = os.environ.get("CHOREO_CACHE")
    os.environ["CHOREO_CACHE"] = str(root / "cache")
    try:
        jobs = discover(manifest)
        params = RunParams(analysis=AnalysisParams(backend="librosa"), render=False)
        first = run_batch(jobs, out, params, workers=2)
        leftovers = sorted(str(p.relative_to(out)) for p in out.rglob(f"*{PARTIAL_MARK}*"))
        artefacts = {c.name: sorted(p.name for p in (out / c.name).glob("*.json")) if (out / c.name).is_dir()
                     else [] for c in CASES}
        second = run_batch(discover(manifest), out, params, workers=2)
        leftovers += sorted(str(p.relative_to(out)) for p in out.rglob(f"*{PARTIAL_MARK}*"))
    finally:
        if old is None:
            os.environ.pop("CHOREO_CACHE", None)
        else:
            os.environ["CHOREO_CACHE"] = old
    yield {"jobs": jobs, "out": out, "first": first, "second": second, "leftovers": leftovers,
           "artefacts": artefacts}
    shutil.rmtree(root, ignore_errors=True)


def _by_name(report):
    return {s["name"]: s for s in report["songs"]}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(batch, case):
    res = _by_name(batch["first"])[case.name]
    assert res["status"] == case.status, res["error"]
    if case.status == "failed":
        err = (res["error"] or "").lower()
        assert "internal error" not in err, res["error"]
        for word in case.reasons:
            assert word.lower() in err, res["error"]
        assert res["outputs"] == {}
    else:
        assert res["error"] is None
        assert set(res["outputs"]) >= {"analysis", "choreography"}
        for path in res["outputs"].values():
            assert Path(path).is_file() and Path(path).parent == batch["out"] / case.name
    again = _by_name(batch["second"])[case.name]
    assert again["status"] == case.status
    if case.status == "ok":
        assert again["stages"] and all(st["cached"] for st in again["stages"]), again["stages"]
    else:
        assert again["error"] == res["error"]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in BAD])
def test_failed_song_leaves_no_artefacts(batch, case):
    res = _by_name(batch["first"])[case.name]
    assert batch["artefacts"][case.name] == [], f"artefacts left for a failed song: {res['error']}"


def test_no_tmp_files_left(batch):
    assert batch["leftovers"] == []
    assert not list(batch["out"].rglob(f"*{PARTIAL_MARK}*"))


def test_report_lists_every_song_once(batch):
    names = sorted(c.name for c in CASES)
    assert sorted(j.name for j in batch["jobs"]) == names
    for rep in (batch["first"], batch["second"]):
        assert sorted(s["name"] for s in rep["songs"]) == names
        assert rep["ok"] == len(GOOD) and rep["failed"] == len(BAD)
    on_disk = json.loads((batch["out"] / "batch-report.json").read_text())
    assert sorted(s["name"] for s in on_disk["songs"]) == names


def test_blocked_output_stays_a_file(batch):
    assert (batch["out"] / "blocked_output").is_file()


def _mouth_warnings(batch, name):
    doc = json.loads((batch["out"] / name / "ada.mouth.json").read_text())
    return " ".join(doc.get("warnings", [])).lower()


def test_mismatched_lyrics_warn(batch):
    w = _mouth_warnings(batch, "lyrics_mismatched")
    assert "could not confirm" in w or "do not match" in w, w


def test_matching_lyrics_do_not_warn(batch):
    w = _mouth_warnings(batch, "lyrics_good")
    assert "do not match" not in w and "could not confirm" not in w, w


def test_lyrics_in_another_language_get_their_voice(batch):
    assert "look like 'fr': pronounced with the espeak-ng voice 'fr'" in _mouth_warnings(batch, "lyrics_french")
    assert "look like" not in _mouth_warnings(batch, "lyrics_french_voice_fr")
    assert "look like" not in _mouth_warnings(batch, "lyrics_good")
