"""The lip-sync's words as timed lyrics (enhanced LRC, ASS karaoke, SubRip, WebVTT): read back by ffmpeg, pysubs2,
Chromium's WebVTT parser and choreo's own lyrics reader, each word within the format's precision of the track's."""

from __future__ import annotations

import re
import subprocess
from fractions import Fraction
from pathlib import Path

import pysubs2
import pytest

from audio.errors import ChoreoError
from audio.lyrics import split_lines
from audio.model import Phone, Word
from choreography.mouth import build_mouth_track
from engine.exporters import FORMATS, LINE_GAP_S, export, lyric_lines
from engine.exporters.karaoke import to_ass, to_lrc, to_srt, to_vtt
from engine.exporters.song import Song, output_paths

# Three lyric lines; a gap inside the second; an apostrophe, and brackets a reader would take for markup.
WORDS = [Word(0.213, 0.5, "Hello", 0.9, 0), Word(0.62, 1.104, "there", 0.8, 0), Word(2.0, 2.3, "my", 0.9, 1),
         Word(2.9, 3.4, "friend's", 0.7, 1), Word(4.5, 5.2, "[la]", 0.5, 2)]
TEXTS = [["Hello", "there"], ["my", "friend's"], ["la"]]
PHONES = [Phone(w.start, w.end, "AA") for w in WORDS]


def _track(words=WORDS):
    return build_mouth_track(PHONES, words, character="ada", fps=Fraction(24), duration_s=6.0,
                             tier="lyrics-aligned", confidence=0.8)


def _ffmpeg_srt(path) -> list[tuple[float, float, str]]:
    """The cues ffmpeg reads from a subtitle or LRC file, converted to SubRip: (start, end, text)."""
    out = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", str(path), "-f", "srt", "-"],
                         capture_output=True, text=True, check=True).stdout
    cues = []
    for block in out.strip().split("\n\n"):
        _, times, *text = block.splitlines()
        a, b = (sum(float(x) * 60 ** k for k, x in enumerate(reversed(t.strip().replace(",", ".").split(":"))))
                for t in times.split("-->"))
        cues.append((a, b, re.sub(r"</?font[^>]*>", "", " ".join(text))))
    return cues


def _stamped(text: str) -> list[tuple[float, str]]:
    """The (time, word) pairs of enhanced-LRC word stamps in ``text``."""
    return [(int(m) * 60 + float(s), w) for m, s, w in re.findall(r"<(\d+):(\d+\.\d+)>([^<\s]+)", text)]


def test_lrc_is_read_back_by_ffmpeg_and_by_the_lyrics_reader(tmp_path):
    path = export(_track(), tmp_path / "ada.lrc")
    assert path.read_text(encoding="utf-8").startswith("[re:choreo]\n")
    cues = _ffmpeg_srt(path)
    assert [round(a, 3) for a, _, _ in cues] == [0.213, 2.0, 4.5]  # each line at its first word
    words = [pair for _, _, text in cues for pair in _stamped(text)]
    assert [w for _, w in words] == ["Hello", "there", "my", "friend's", "la"]
    assert max(abs(t - w.start) for (t, _), w in zip(words, WORDS, strict=True)) < 1e-6
    stamps: list = []
    assert split_lines(path.read_text(encoding="utf-8"), None, stamps) == TEXTS
    own = [s for s in stamps if s.exact and s.line is not None]
    assert [(s.line, s.at) for s in own] == [(0, (0, 0)), (0, (1, 0)), (1, (0, 0)), (1, (1, 0)), (2, (0, 0))]
    assert max(abs(s.t - w.start) for s, w in zip(own, WORDS, strict=True)) < 1e-6
    ends = [s.t for s in stamps if s.line is None]  # each line's last word's end, where the singing stops
    assert ends == pytest.approx([1.104, 3.4, 5.2])


def test_ass_karaoke_is_read_back_by_ffmpeg_pysubs2_and_the_lyrics_reader(tmp_path):
    path = export(_track(), tmp_path / "ada.ass")
    cues = _ffmpeg_srt(path)
    assert [(a, b) for a, b, _ in cues] == [(0.21, 1.1), (2.0, 3.4), (4.5, 5.2)]  # centiseconds
    assert [text for _, _, text in cues] == ["Hello there", "my friend's", "la"]
    subs = pysubs2.load(str(path))
    starts = []
    for event in subs.events:  # each karaoke tag: the syllable after it lasts that many centiseconds
        t = event.start / 1000
        for length, text in re.findall(r"\{\\k(\d+)\}([^{]*)", event.text):
            if text.strip():
                starts.append((t, text.strip()))
            t += int(length) / 100
        assert event.name == "ada"
    assert [w for _, w in starts] == ["Hello", "there", "my", "friend's", "la"]
    assert max(abs(t - w.start) for (t, _), w in zip(starts, WORDS, strict=True)) <= 0.005 + 1e-9
    stamps: list = []
    assert split_lines(path.read_text(encoding="utf-8"), None, stamps) == TEXTS
    own = [s for s in stamps if s.exact and s.line is not None]
    assert max(abs(s.t - w.start) for s, w in zip(own, WORDS, strict=True)) <= 0.005 + 1e-9


def test_ass_karaoke_is_drawn_by_libass_at_the_bottom_centre_of_a_1080p_frame(tmp_path):
    """libass (ffmpeg's subtitles filter) draws the first line on a black 1080p frame at 0.4 s, "Hello" sung and
    "there" to come: in the bottom fifth, centred, as tall as the font size says, the first word white and the
    second grey."""
    import numpy as np

    from engine.exporters.karaoke import ASS_FONT_SIZE

    path = export(_track(), tmp_path / "ada.ass")
    frame = tmp_path / "frame.gray"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=black:s=1920x1080:d=1", "-vf",
                    f"subtitles={path}", "-ss", "0.4", "-frames:v", "1", "-pix_fmt", "gray", "-f", "rawvideo",
                    str(frame)], check=True)
    img = np.fromfile(frame, dtype=np.uint8).reshape(1080, 1920)
    rows, cols = np.nonzero(img > 100)
    assert rows.size and rows.min() > 1080 * 4 // 5  # the bottom fifth
    assert abs((cols.min() + cols.max()) / 2 - 960) < 40  # centred
    assert 0.5 * ASS_FONT_SIZE < rows.max() - rows.min() < 1.5 * ASS_FONT_SIZE
    middle = (cols.min() + cols.max()) // 2  # "Hello" left of it, "there" right
    assert img[:, :middle].max() > 240 and 120 < img[:, middle:].max() < 200


def test_words_without_lines_are_cut_at_gaps_and_a_track_without_words_is_refused(tmp_path):
    unlined = [Word(w.start, w.end, w.text) for w in WORDS]
    lines = lyric_lines(_track(unlined))
    # the 0.6 s gap inside the second line cuts it: the lyric lines themselves are kept where known
    assert [[w.text for w in line] for line in lines] == [["Hello", "there"], ["my"], ["friend's"], ["[la]"]]
    assert all(b.start - a.end <= LINE_GAP_S for line in lines for a, b in zip(line, line[1:], strict=False))
    silent = _track(())
    for write in (to_lrc, to_ass, to_srt, to_vtt):
        with pytest.raises(ChoreoError, match="'ada' has no words"):
            write(silent)
    # refused before anything is written, whatever else the export holds
    with pytest.raises(ChoreoError, match="the lrc format writes the lip-sync's words, and the mouth track of 'ada'"):
        output_paths(Song(name="song", analysis=None, folder=tmp_path, mouths=(_track(), silent)),
                     [FORMATS["tsv"], FORMATS["lrc"]], tmp_path)
    assert not list(tmp_path.iterdir())
    assert "[la]" not in to_ass(_track()) and "<la>" not in to_lrc(_track())
    assert "[la]" not in to_srt(_track()) and "[la]" not in to_vtt(_track())


def test_srt_is_read_back_by_ffmpeg_pysubs2_and_the_lyrics_reader(tmp_path):
    path = export(_track(), tmp_path / "ada.srt")
    lines = [(0.213, 1.104, "Hello there"), (2.0, 3.4, "my friend's"), (4.5, 5.2, "la")]  # the first word to the last
    assert _ffmpeg_srt(path) == lines
    assert [(e.start / 1000, e.end / 1000, e.plaintext) for e in pysubs2.load(str(path)).events] == lines
    stamps: list = []
    assert split_lines(path.read_text(encoding="utf-8"), None, stamps) == TEXTS
    # timed lines, not words: each line from its cue's start, a stop where it ends
    assert [(s.t, s.line, s.exact) for s in stamps] == [(0.213, 0, False), (1.104, None, False), (2.0, 1, False),
                                                        (3.4, None, False), (4.5, 2, False), (5.2, None, False)]


def test_vtt_is_read_back_by_chromium_ffmpeg_and_the_lyrics_reader(tmp_path):
    """Chromium parses the file as a <track> of an <audio> element (served through Playwright's routing):
    each cue's times and words, and a cue timestamp before each word after the first at that word's start."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright for Python is not installed")
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium; make test does it)")
    words = [*WORDS[:4], Word(4.5, 5.2, "rock&roll", 0.5, 2), Word(4.5, 5.0, "<twice>", 0.5, 2)]
    path = export(_track(words), tmp_path / "ada.vtt")
    page_html = "<audio><track id=t kind=subtitles src=lyrics.vtt default></audio>"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium))
        page = browser.new_page()
        served = {"lyrics.vtt": (path.read_bytes(), "text/vtt"), "": (page_html, "text/html")}
        page.route("http://choreo.test/**", lambda route: route.fulfill(
            status=200, body=served[route.request.url.rsplit("/", 1)[1]][0],
            content_type=served[route.request.url.rsplit("/", 1)[1]][1]))
        page.goto("http://choreo.test/")
        page.wait_for_function("document.getElementById('t').readyState === 2", timeout=20000)
        cues = page.evaluate("""() => Array.from(document.getElementById('t').track.cues, c => ({
            start: c.startTime, end: c.endTime,
            parts: Array.from(c.getCueAsHTML().childNodes, n =>
                n.nodeType === Node.PROCESSING_INSTRUCTION_NODE ? ["at", n.target, n.data] : ["text", n.textContent])
        }))""")
        browser.close()
    assert [(c["start"], c["end"]) for c in cues] == [(0.213, 1.104), (2.0, 3.4), (4.5, 5.2)]
    assert cues[0]["parts"] == [["text", "Hello "], ["at", "timestamp", "00:00:00.620"], ["text", "there"]]
    assert cues[1]["parts"] == [["text", "my "], ["at", "timestamp", "00:00:02.900"], ["text", "friend's"]]
    # the third line's two words start together: the second gets no timestamp of its own (one must come later)
    assert cues[2]["parts"] == [["text", "twice rock&roll"]]  # in time order (the shorter first), "&" unescaped
    assert _ffmpeg_srt(path)[:2] == [(0.213, 1.104, "Hello there"), (2.0, 3.4, "my friend's")]
    stamps: list = []
    # "&amp;" read as "&" (a word break), not as the word "amp"
    assert split_lines(path.read_text(encoding="utf-8"), None, stamps) == [*TEXTS[:2], ["twice", "rock", "roll"]]
    own = [s for s in stamps if s.exact and s.line is not None]  # each word of the first two lines at its start
    assert [(s.t, s.line, s.at) for s in own[:4]] == [(w.start, w.line, (k % 2, 0)) for k, w in enumerate(WORDS[:4])]
