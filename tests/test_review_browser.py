"""The review page in a real headless browser (Playwright driving Debian's chromium, no browser download):
the lanes as the session describes them, playback, a move pinned by clicking, the lane updated and pins.json
written, undo, and no console errors.

Set ``CHOREO_REVIEW_SCREENSHOT=docs/review.png`` to save the page's screenshot there (the README's picture).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.test_review_api import make_run

CHROMIUM = Path("/usr/bin/chromium")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright for Python is not installed")
if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed (apt-get install chromium; make test does it)",
                allow_module_level=True)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from engine.review import ReviewSession, create_app, listen, make_server, url_of

    folder = tmp_path_factory.mktemp("browser") / "song"
    shutil.copytree(make_run(tmp_path_factory.getbasetemp() / "review"), folder)
    sock = listen("127.0.0.1", 0)
    server = make_server(create_app(ReviewSession.open(folder)))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    yield url_of(sock), folder
    server.should_exit = True
    thread.join(timeout=10)


def session_of(url: str) -> dict:
    import httpx

    return httpx.get(f"{url}api/session", timeout=10).json()


def clock_seconds(text: str) -> float:
    m = re.match(r"(\d+):(\d+\.\d)", text)
    assert m, text
    return 60 * int(m.group(1)) + float(m.group(2))


def test_the_page_lays_out_plays_and_pins(served, tmp_path):
    url, folder = served
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                    args=["--autoplay-policy=no-user-gesture-required"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        page.wait_for_selector("body[data-ready='1']", timeout=20000)
        s = session_of(url)

        # the lanes, block for block as the session describes them
        lanes = page.eval_on_selector_all(".lane", "els => els.map(e => e.dataset.lane)")
        assert lanes == ["grid", "waveform", "sections", "lyrics:ada", "lyrics:bo", "moves:ada", "moves:bo", "camera",
                         "lighting"]
        for ch in s["characters"]:
            blocks = page.locator(f".lane[data-lane='moves:{ch}'] .block.move")
            assert blocks.count() == len([m for m in s["moves"] if m["character"] == ch])
        assert page.locator(".lane[data-lane='sections'] .block").count() == len(s["sections"])
        assert page.locator(".lane[data-lane='camera'] .block").count() == len(s["shots"])
        assert page.locator(".lane[data-lane='lighting'] .flash").count() == len(s["lighting"]["flashes"])
        for ch, lyrics in s["lyrics"].items():
            assert page.locator(f".lane[data-lane='lyrics:{ch}'] .block.lyric").count() == len(lyrics["lines"])
        # bo's mouth-track warning: on bo's lyric lane and in the list
        bo_warning = next(w["text"] for w in s["warnings"] if w["lane"] == "lyrics:bo")
        assert "warn" in page.get_attribute("#labels div:nth-child(5)", "class")
        assert bo_warning in page.get_attribute("#labels div:nth-child(5)", "title")
        assert bo_warning in page.text_content("#warnings")
        page.wait_for_function("document.getElementById('frame').naturalWidth === 640")

        # play: the playhead follows the song
        page.click("#play")
        page.wait_for_function("document.getElementById('clock').textContent.startsWith('0:01')", timeout=10000)
        page.click("#play")
        assert clock_seconds(page.text_content("#clock")) >= 1.0
        assert page.evaluate("parseFloat(document.getElementById('playhead').style.left)") > 0

        # pin a move at bar 9 of ada's lane by clicking there and choosing it in the picker
        at_9 = {m["move"] for m in s["moves"] if m["character"] == "ada" and m["bar"] == 9}
        move = next(m for m in ("star_jump", "clap", "jazz_hands") if m not in at_9)
        t9 = next(b["t"] for b in s["beats"] if b["bar"] == 9 and b["beat"] == 1)
        box = page.locator(".lane[data-lane='moves:ada']").bounding_box()
        left = page.evaluate("document.getElementById('lanes').getBoundingClientRect().left")
        zoom = float(page.input_value("#zoom"))
        page.mouse.click(left + (t9 + 0.2) * zoom, box["y"] + box["height"] / 2)
        page.wait_for_selector("#picker:not([hidden])")
        assert "bar 9" in page.text_content("#picker-title")
        page.fill("#picker-search", move)
        page.click(f"#picker-list li[data-move='{move}']")
        page.wait_for_selector("body[data-version='2']", timeout=20000)
        s2 = session_of(url)
        pinned = page.locator(".lane[data-lane='moves:ada'] .block.move.pinned")
        assert pinned.count() == 1 and pinned.first.text_content() == move
        assert page.locator(".lane[data-lane='moves:ada'] .block.move").count() == \
            len([m for m in s2["moves"] if m["character"] == "ada"])
        written = json.loads((folder / "pins.json").read_text(encoding="utf-8"))
        assert written == {"schema": "choreo.pins/1", "pins": [{"type": "move", "move": move, "bar": 9,
                                                                "character": "ada"}]}
        assert move in page.text_content("#pins")
        page.wait_for_function("document.getElementById('status').classList.contains('ok')")
        shot = Path(os.environ.get("CHOREO_REVIEW_SCREENSHOT") or tmp_path / "review.png")
        if not shot.is_absolute():
            shot = ROOT / shot
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot))
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

        # undo takes the pin away again
        page.click("#undo")
        page.wait_for_selector("body[data-version='3']", timeout=20000)
        assert json.loads((folder / "pins.json").read_text(encoding="utf-8"))["pins"] == []
        assert page.locator(".block.move.pinned").count() == 0
        browser.close()
    assert errors == []


def _pin_by_click(page, s: dict, character: str, bar: int, move: str) -> None:
    t = next(b["t"] for b in s["beats"] if b["bar"] == bar and b["beat"] == 1)
    box = page.locator(f".lane[data-lane='moves:{character}']").bounding_box()
    left = page.evaluate("document.getElementById('lanes').getBoundingClientRect().left")
    page.mouse.click(left + (t + 0.2) * float(page.input_value("#zoom")), box["y"] + box["height"] / 2)
    page.wait_for_selector("#picker:not([hidden])")
    page.fill("#picker-search", move)
    page.click(f"#picker-list li[data-move='{move}']")


def test_two_tabs_the_stale_one_is_told_and_catches_up(served):
    url, folder = served
    s = session_of(url)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM))
        tabs = [browser.new_page(viewport={"width": 1400, "height": 900}) for _ in range(2)]
        errors: list[str] = []
        for tab in tabs:
            tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            tab.on("pageerror", lambda e: errors.append(str(e)))
            tab.goto(url)
            tab.wait_for_selector("body[data-ready='1']", timeout=20000)
        first, second = tabs
        _pin_by_click(first, s, "ada", 9, "clap")
        first.wait_for_selector(f"body[data-version='{s['version'] + 1}']", timeout=20000)
        saved = json.loads((folder / "pins.json").read_text(encoding="utf-8"))
        _pin_by_click(second, s, "bo", 13, "clap")  # made against the version before the first tab's pin
        second.wait_for_selector(f"body[data-version='{s['version'] + 1}']", timeout=20000)
        assert "another tab" in second.text_content("#status")
        assert "clap at bar 9 (ada)" in second.text_content("#pins")
        assert json.loads((folder / "pins.json").read_text(encoding="utf-8")) == saved
        browser.close()
    # the refused PUT is the one error the browser logs (a 409 answer)
    assert [e for e in errors if "409" not in e] == [] and len(errors) == 1
