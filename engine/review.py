"""``choreo review``: a local web page where the artist pins moves and the engine re-solves at once.

A :class:`ReviewSession` holds one ``choreo run`` output folder: its analysis, choreography and mouth
tracks, loaded once, with the rigs, move library and solver parameters that made the choreography (read
from its provenance). :func:`create_app` puts it behind a small HTTP API (FastAPI) and the page in
``engine/review_static/`` (plain JavaScript, nothing fetched from elsewhere); :func:`serve` runs it on
uvicorn.

HTTP API (``/api/openapi.json`` describes it):

- ``GET /api/session``: the song laid out for the page (sections, beats, moves, shots, lighting, lyrics,
  warnings, pins, the version); ``PUT /api/pins`` with a ``choreo.pins/1`` document re-solves, saves
  ``pins.json`` and the choreography, and answers like ``GET /api/session`` plus ``changed``, the frame
  ranges whose picture changed; ``GET /api/library``: the move library;
- ``GET /api/frame/{n}``: frame ``n`` of the animatic as a JPEG, drawn on demand from the current
  choreography; ``GET /api/audio``: the song; ``GET /api/waveform``: its peaks;
- ``GET /api/files``: the files in the folder (artefacts, exports, preview); ``GET /api/files/{name}``: one
  of them, as a download.

Conventions
-----------
- Time: seconds for what comes from the analysis and the mouth tracks (``start``, ``end``, ``t``), integer
  frames at the choreography's rational ``fps`` for what comes from the choreography (``start_frame``,
  ``end_frame``; end exclusive), as in the artefacts. Sections are numbered from 0 in analysis order, as
  pins number them.
- One lock: a pin change validates the pins, re-solves, writes the choreography and then ``pins.json``
  (each atomically, the first restored if the second cannot be written) and bumps ``version``; frames are
  drawn under the same lock, so a frame is always of one version.
- Two tabs: every session answer carries ``version`` (also as the ``ETag``). A ``PUT /api/pins`` whose
  ``If-Match`` names another version is refused with 409 and changes nothing (the page always sends it);
  without ``If-Match`` the last write wins, whole (never a mix of two writes).
- Errors are ``{"error": LINE}`` with the line the CLI would print: 400 for pins the solver cannot honour
  (unknown move, with a suggestion; a bar outside the song; contradicting pins) and for malformed JSON,
  404 for anything not served, 409 for a stale version, 413 for a body over :data:`MAX_BODY_BYTES`. No
  error changes a file.
- Only regular files inside the folder are served: no ``..``, no absolute paths, no symlink that leads
  out of it, no hidden or partial files. The one file from outside is the song the analysis names, and
  only when its decoded samples are the analysed ones (same sha256).
- On a loopback address the server answers only requests addressed to its own names (``127.0.0.1``,
  ``localhost``): another site's page cannot reach it by pointing its own name there (DNS rebinding).
  Listening anywhere else is the user's choice, and :func:`serve` says what it exposes.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from audio.errors import ChoreoError
from choreography.params import PlanParams, SolveParams

FRAME_SIZE = (640, 360)
JPEG_QUALITY = 85
MAX_BODY_BYTES = 1 << 20
PEAKS_PER_S = 100
PINS_FILE = "pins.json"
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
STATIC = "review_static"
_STATIC_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                 ".css": "text/css; charset=utf-8"}
_AUDIO_TYPES = {".ogg": "audio/ogg", ".oga": "audio/ogg", ".mp3": "audio/mpeg", ".wav": "audio/wav",
                ".flac": "audio/flac", ".m4a": "audio/mp4", ".aac": "audio/aac", ".opus": "audio/ogg"}


class VersionConflict(Exception):
    """A pin change made against a version of the pins that is no longer the current one."""


def solve_params(provenance: dict[str, Any]) -> tuple[SolveParams, list[str]]:
    """The solver parameters a choreography records in its provenance.

    Parameters
    ----------
    provenance : dict
        A choreography's ``provenance`` (``seed`` and ``params``, as :func:`choreography.solver.solve`
        writes them).

    Returns
    -------
    params : SolveParams
    ignored : list of str
        Recorded parameters this version of choreo does not know (they are left at their defaults).
    """
    raw = dict(provenance.get("params") or {})
    plan_raw = dict(raw.pop("plan", None) or {})
    known = {f.name for f in fields(SolveParams)} - {"plan"}
    plan_known = {f.name for f in fields(PlanParams)}
    kwargs = {k: v for k, v in raw.items() if k in known}
    if "seed" in provenance:
        kwargs["seed"] = provenance["seed"]
    ignored = sorted({k for k in raw if k not in known} | {f"plan.{k}" for k in plan_raw if k not in plan_known})
    plan = PlanParams(**{k: v for k, v in plan_raw.items() if k in plan_known})
    return SolveParams(**kwargs, plan=plan), ignored


def changed_frames(old, new) -> list[list[int]]:
    """The frame ranges where two choreographies of one song draw differently.

    A frame differs when any channel's sampled value differs there, or when a character dances another
    move there (the overlay names the move).

    Parameters
    ----------
    old, new : Choreography
        Of the same song and frame rate.

    Returns
    -------
    list of [start_frame, end_frame]
        Increasing, disjoint, end exclusive.
    """
    from choreography.sampling import sample_track

    n = int(new.duration_frames)
    diff = np.zeros(n, dtype=bool)
    if old.duration_frames != n or old.characters != new.characters:
        diff[:] = True
    for name in sorted(set(old.tracks) | set(new.tracks)):
        a, b = old.tracks.get(name), new.tracks.get(name)
        if a == b or diff.all():
            continue
        if a is None or b is None:
            diff[:] = True
        else:
            diff |= sample_track(a, n) != sample_track(b, n)
    diff |= (_move_ids(old, n) != _move_ids(new, n)).any(axis=0)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], diff.astype(np.int8), [0]])))
    return [[int(a), int(b)] for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _move_ids(c, n: int) -> np.ndarray:
    """Per character and frame, an id of the move danced there (shared by equal placements)."""
    out = np.full((max(len(c.characters), 1), n), -1, dtype=np.int64)
    row = {ch: i for i, ch in enumerate(c.characters)}
    ids: dict[str, int] = {}
    for m in c.moves:
        if m.character in row:
            out[row[m.character], max(0, m.start_frame):min(n, m.end_frame)] = ids.setdefault(m.move, len(ids))
    return out


@dataclass
class ReviewSession:
    """A ``choreo run`` output folder opened for review: its artefacts, and what re-solves them.

    Build it with :meth:`open`. Every method is safe to call from several threads.

    Attributes
    ----------
    folder : Path
    song : str
        The song's name (its artefacts' stem).
    analysis : Analysis
    choreography : Choreography
        The current one (what the folder holds).
    mouths : dict of str to MouthTrack
    rigs : dict of str to Rig
    lib : MoveLibrary
    params : SolveParams
    pins_doc : dict
        The current ``choreo.pins/1`` document.
    version : int
        Bumped by every saved pin change.
    audio : Path or None
        The song file, when it is found and is the analysed one.
    notes : list of (str, str)
        What the review itself is unsure of (no audio, parameters it does not know): the page lane it
        concerns and the text.
    """

    folder: Path
    song: str
    analysis: Any
    choreography: Any
    mouths: dict[str, Any]
    rigs: dict[str, Any]
    lib: Any
    params: SolveParams
    pins_doc: dict[str, Any]
    version: int = 1
    audio: Path | None = None
    notes: list[tuple[str, str]] = field(default_factory=list)
    _peaks: list[float] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _renderer: Any = field(default=None, repr=False)
    _buffers: Any = field(default=None, repr=False)

    # ---------------------------------------------------------------------------------------------- opening

    @classmethod
    def open(cls, folder: str | Path, *, rig_names: list[str] | None = None,
             moves: str | Path | None = None) -> ReviewSession:
        """Load a ``choreo run`` output folder.

        Parameters
        ----------
        folder : str or Path
            Holds one ``SONG.analysis.json`` and its ``SONG.choreography.json``; ``*.mouth.json`` and
            ``pins.json`` when present.
        rig_names : list of str, optional
            A rig per character (shipped names or files) [default: the rigs the choreography names].
        moves : str or Path, optional
            The move library the choreography was made with [default: the shipped library].

        Returns
        -------
        ReviewSession

        Raises
        ------
        ChoreoError
            Not a run folder, artefacts that do not validate, rigs or library other than the ones the
            choreography was made with, pins that do not validate.
        """
        from choreography.moves import load_moves
        from engine import artifacts
        from engine.render_stage import rigs_for

        root = Path(folder)
        if not root.is_dir():
            raise ChoreoError("is not a folder (give a choreo run output folder or a song)", path=root)
        analyses = sorted(root.glob("*.analysis.json"))
        if len(analyses) != 1:
            raise ChoreoError(f"holds {len(analyses)} *.analysis.json files; a choreo run output folder holds one",
                              path=root)
        song = analyses[0].name[: -len(".analysis.json")]
        chor_path = root / f"{song}.choreography.json"
        if not chor_path.is_file():
            raise ChoreoError(f"has no {chor_path.name}; run choreo run (or choreo choreograph) first", path=root)
        analysis = artifacts.load(analyses[0])
        chor = artifacts.load(chor_path)
        mouths = {}
        for p in sorted(root.glob("*.mouth.json")):
            track = artifacts.load(p)
            mouths[track.character] = track
        try:
            rigs = rigs_for(chor, rig_names)
        except ChoreoError as exc:
            raise ChoreoError(f"{exc}; give the rigs the choreography was made with (--rig, one per character)",
                              path=chor_path) from exc
        lib = load_moves(moves)
        made_with = chor.provenance.get("moves")
        if made_with and made_with != lib.name:
            raise ChoreoError(f"was made with the move library {made_with!r}, not {lib.name!r}; give it with --moves",
                              path=chor_path)
        params, ignored = solve_params(chor.provenance)
        notes = [("moves", f"the choreography records parameters this choreo does not know ({', '.join(ignored)}); "
                           "a re-solve uses their defaults")] if ignored else []
        session = cls(folder=root, song=song, analysis=analysis, choreography=chor, mouths=mouths, rigs=rigs,
                      lib=lib, params=params, pins_doc=_initial_pins(root, chor), notes=notes)
        session._load_audio()
        return session

    def _load_audio(self) -> None:
        """Find the analysed song, check it is the one analysed, and take its waveform peaks."""
        from audio.decode import load_audio

        named = Path(self.analysis.source.path)
        found = next((p for p in (named, self.folder / named.name) if p.is_file()), None)
        if found is None:
            self.notes.append(("waveform", f"the song {named} is not found: the page plays no audio"))
            return
        try:
            decoded = load_audio(found, allow_silence=True)
        except ChoreoError as exc:
            self.notes.append(("waveform", f"the song cannot be played: {exc}"))
            return
        if decoded.sha256 != self.analysis.source.sha256:
            self.notes.append(("waveform", f"{found} is not the analysed song (its samples differ): the page "
                                           "plays no audio"))
            return
        self.audio = found
        mono = np.abs(decoded.mono())
        hop = max(1, decoded.sr // PEAKS_PER_S)
        n = mono.size // hop
        self._peaks = np.round(mono[: n * hop].reshape(n, hop).max(axis=1), 3).tolist()

    # ------------------------------------------------------------------------------------------------ reading

    @property
    def pins_path(self) -> Path:
        """Where the pins are kept: ``FOLDER/pins.json``."""
        return self.folder / PINS_FILE

    @property
    def choreography_path(self) -> Path:
        """``FOLDER/SONG.choreography.json``."""
        return self.folder / f"{self.song}.choreography.json"

    def session(self) -> dict[str, Any]:
        """The song laid out for the page (``GET /api/session``).

        Returns
        -------
        dict
            ``version``, ``song``, ``duration_s``, ``fps``, ``duration_frames``, ``characters``, ``ensemble``,
            ``tempo``, ``meter``, ``beats``, ``sections``, ``moves``, ``shots``, ``lighting``, ``lyrics``,
            ``pins``, ``warnings``, ``preview`` and ``audio`` (whether the song plays).
        """
        with self._lock:
            return self._session()

    def _session(self) -> dict[str, Any]:
        from choreography.model import fps_str, seconds_to_frame

        a, c = self.analysis, self.choreography
        fps = c.fps

        def frame(t_s: float) -> int:
            return seconds_to_frame(t_s, fps)

        pinned = {(p.get("character"), p.get("bar"), p.get("move")) for p in self.pins_doc.get("pins", [])
                  if isinstance(p, dict) and p.get("type") == "move"}
        return {
            "version": self.version,
            "song": self.song,
            "folder": str(self.folder),
            "duration_s": a.source.duration_s,
            "fps": fps_str(fps),
            "fps_value": float(fps),
            "duration_frames": c.duration_frames,
            "characters": list(c.characters),
            "ensemble": self.params.ensemble,
            "tempo": {"bpm": a.tempo.bpm, "confidence": a.tempo.confidence, "curve": [list(x) for x in a.tempo.curve]},
            "meter": {"time_signature": a.meter.time_signature, "beats_per_bar": a.meter.beats_per_bar,
                      "confidence": a.meter.confidence},
            "beats": [{"t": b.t, "bar": b.bar, "beat": b.beat, "frame": frame(b.t)} for b in a.beats],
            "sections": [{"index": i, "start": s.start, "end": s.end, "label": s.label, "kind": s.kind,
                          "energy": s.energy, "confidence": s.confidence, "start_frame": frame(s.start),
                          "end_frame": frame(s.end)} for i, s in enumerate(a.sections)],
            "moves": [{"character": m.character, "move": m.move, "start_frame": m.start_frame,
                       "end_frame": m.end_frame, "bar": m.bar, "beat": m.beat, "start_beat": m.start_beat,
                       "pinned": m.beat == 1 and bool({(None, m.bar, m.move), (m.character, m.bar, m.move)}
                                                      & pinned)} for m in c.moves],
            "shots": [{"start_frame": s.start_frame, "end_frame": s.end_frame, "kind": s.kind, "cut": s.cut}
                      for s in c.shots],
            "lighting": self._lighting(),
            "lyrics": {ch: self._lyrics(m) for ch, m in self.mouths.items()},
            "pins": self.pins_doc,
            "warnings": self._warnings(),
            "preview": self._preview(),
            "audio": self.audio is not None,
        }

    def _lighting(self) -> dict[str, Any]:
        """The palette as spans of one hue and saturation, and the flash frames."""
        from choreography.lighting import flash_frames_of
        from choreography.sampling import sample_track

        c, n = self.choreography, self.choreography.duration_frames
        hue, sat, inten = (c.tracks.get(f"light/{k}") for k in ("hue", "saturation", "intensity"))
        spans = []
        if hue is not None and sat is not None and n:
            h, s = sample_track(hue, n), sample_track(sat, n)
            cut = np.flatnonzero((np.diff(h) != 0) | (np.diff(s) != 0)) + 1
            bounds = [0, *cut.tolist(), n]
            spans = [{"start_frame": a, "end_frame": b, "hue": round(float(h[a]), 1),
                      "saturation": round(float(s[a]), 3)} for a, b in zip(bounds, bounds[1:], strict=False)]
        return {"palette": spans, "flashes": flash_frames_of(inten) if inten is not None else []}

    @staticmethod
    def _lyrics(track) -> dict[str, Any]:
        """A mouth track's lyric lines (with their mean word confidence, and whether to check them first) and words.

        On a full mix every word is capped below the stems' low confidence: there the lines to check first are
        those lip-sync listed, at half the cap (:func:`audio.transcribe.check_first`).
        """
        from audio.transcribe import check_first
        from engine.exporters.song import lyric_line_spans

        mix = bool(track.provenance.get("inputs", {}).get("mix"))
        lines = []
        for start, end, text in lyric_line_spans(track):
            conf = [w.confidence for w in track.words if w.start >= start - 1e-6 and w.end <= end + 1e-6]
            mean = float(np.mean(conf)) if conf else float(track.confidence)
            lines.append({"start": start, "end": end, "text": text, "confidence": round(mean, 3),
                          "low": check_first(mean, mix)})
        return {"tier": track.tier, "confidence": track.confidence, "lines": lines,
                "words": [{"start": w.start, "end": w.end, "text": w.text, "confidence": w.confidence}
                          for w in track.words]}

    def _warnings(self) -> list[dict[str, Any]]:
        """Every warning of the artefacts, with the page lane and the time spans it applies to.

        The analysis' warnings go to the bar grid, or to the sections when they are about sections; a mouth
        track's to its lyric lane, over its low-confidence lines when it has any; the choreography's to the
        moves.
        """
        whole = [[0.0, self.analysis.source.duration_s]]
        out = [{"source": "analysis", "text": w, "lane": "sections" if "section" in w else "grid", "spans": whole}
               for w in self.analysis.warnings]
        for ch, m in self.mouths.items():
            low = [[ln["start"], ln["end"]] for ln in self._lyrics(m)["lines"] if ln["low"]]
            out += [{"source": f"mouth:{ch}", "text": w, "lane": f"lyrics:{ch}", "spans": low or whole}
                    for w in m.warnings]
        out += [{"source": "choreography", "text": w, "lane": "moves", "spans": whole}
                for w in self.choreography.warnings]
        out += [{"source": "review", "text": w, "lane": lane, "spans": whole} for lane, w in self.notes]
        return out

    def _preview(self) -> dict[str, Any]:
        """Whether the folder has a preview video, and whether it predates the choreography (stale)."""
        p = self.folder / "preview.mp4"
        if not p.is_file():
            return {"present": False, "stale": False}
        return {"present": True, "stale": p.stat().st_mtime < self.choreography_path.stat().st_mtime}

    def library(self) -> dict[str, Any]:
        """The move library with its mirror images (``GET /api/library``).

        Returns
        -------
        dict
            ``name``, ``tags``, ``styles`` and ``moves``: ``[{name, beats, energy, tags, styles, hold,
            mirror_of, description}]``.
        """
        from choreography.moves import STYLES, TAGS

        full = self.lib.with_mirrors()
        return {"name": self.lib.name, "tags": list(TAGS), "styles": list(STYLES),
                "moves": [{"name": m.name, "beats": m.beats, "energy": m.energy, "tags": list(m.tags),
                           "styles": list(m.styles), "hold": "hold" in m.tags,
                           "mirror_of": full.mirror_name(m.name) if m.is_mirrored else None,
                           "description": m.description} for m in full]}

    def waveform(self) -> dict[str, Any]:
        """The song's peaks (``GET /api/waveform``).

        Returns
        -------
        dict
            ``rate_hz`` and ``peaks``: the largest absolute sample of each ``1 / rate_hz`` seconds (0..1);
            empty when the song is not found.
        """
        return {"rate_hz": PEAKS_PER_S, "peaks": self._peaks}

    # ------------------------------------------------------------------------------------------------ changing

    def _solve(self, pins):
        """The choreography for these pins (the previous one being the current one, for lock pins)."""
        from choreography.solver import singing_per_beat, solve

        singing = {ch: singing_per_beat(m, self.analysis) for ch, m in self.mouths.items() if ch in self.rigs}
        return solve(self.analysis, self.rigs, self.lib, pins, self.params, singing=singing,
                     previous=self.choreography)

    def warm(self) -> None:
        """Solve once with the current pins and keep nothing.

        The first pin change then does not wait for the solver's compiled kernels to load and the library's
        arrays to be built (about 0.5 s).
        """
        from choreography.pins import pins_from_dict

        # Without the lock (it changes nothing), so the page's first requests do not wait for it.
        try:
            self._solve(pins_from_dict(self.pins_doc, path=self.pins_path))
        except ChoreoError:
            pass  # pins that no longer fit: the first pin change says so

    def put_pins(self, doc: Any, *, if_match: int | None = None) -> dict[str, Any]:
        """Re-solve with new pins and save them with the choreography (``PUT /api/pins``).

        Parameters
        ----------
        doc : dict
            A ``choreo.pins/1`` document.
        if_match : int, optional
            The version the change was made against; another current version refuses it.

        Returns
        -------
        dict
            :meth:`session`'s answer for the new version, plus ``changed``: the frame ranges
            ``[start_frame, end_frame]`` (end exclusive) whose picture changed.

        Raises
        ------
        VersionConflict
            ``if_match`` is not the current version.
        ChoreoError
            Pins that do not validate or cannot be honoured, files that cannot be written; nothing is
            changed then.
        """
        from choreography.model import Track
        from choreography.pins import pins_from_dict
        from engine import artifacts

        if not isinstance(doc, dict):
            raise ChoreoError("the pins must be a JSON object (a choreo.pins/1 document)", path=self.pins_path)
        with self._lock:
            if if_match is not None and if_match != self.version:
                raise VersionConflict(f"the pins changed since version {if_match} (now {self.version}): another "
                                      "tab saved first; reload to see its pins")
            pins = pins_from_dict(doc, path=self.pins_path)
            try:
                new = self._solve(pins)
            except ChoreoError as exc:  # the solver names no file when the pins contradict each other
                if exc.path:
                    raise
                raise ChoreoError(exc.message, path=self.pins_path) from exc
            text = artifacts.dumps(new)
            # Keyframe values as the file holds them (rounded), so frames drawn now are the ones choreo render
            # draws from the file; the document is ours, so it is not validated again.
            tracks = json.loads(text)["tracks"]
            new = replace(new, tracks={k: Track(tuple(t["frames"]), tuple(t["values"]), tuple(t["interp"]))
                                       for k, t in tracks.items()})
            self._save(text, json.dumps(doc, ensure_ascii=False, indent=1, allow_nan=False) + "\n")
            changed = changed_frames(self.choreography, new)
            self.choreography, self.pins_doc = new, doc
            self.version += 1
            self._renderer = None
            out = self._session()
        out["changed"] = changed
        return out

    def _save(self, choreography_text: str, pins_text: str) -> None:
        """Write the choreography, then the pins; restore the choreography if the pins cannot be written."""
        from engine.artifacts import write_atomic

        old = self.choreography_path.read_bytes()
        write_atomic(self.choreography_path, choreography_text)
        try:
            write_atomic(self.pins_path, pins_text)
        except BaseException:
            write_atomic(self.choreography_path, old)
            raise

    # ------------------------------------------------------------------------------------------------ frames

    def frame_jpeg(self, frame: int) -> tuple[bytes, int]:
        """Draw one frame of the current choreography (``GET /api/frame/{n}``).

        Parameters
        ----------
        frame : int

        Returns
        -------
        jpeg : bytes
            :data:`FRAME_SIZE`, with the overlay (bar:beat, section, move names).
        version : int
            The version it shows.

        Raises
        ------
        ChoreoError
            A frame outside the song.
        """
        import skia

        with self._lock:
            if self._renderer is None:
                from render.frames import FrameRenderer
                from render.spec import RenderSpec

                self._renderer = FrameRenderer(self.choreography, self.rigs, RenderSpec(*FRAME_SIZE),
                                               mouths=self.mouths, analysis=self.analysis)
                self._buffers = self._buffers or self._renderer.new_buffers()
            self._renderer.render(frame, self._buffers)
            image = skia.Image.fromarray(self._buffers["composite"], colorType=skia.kRGBA_8888_ColorType)
            return bytes(image.encodeToData(skia.kJPEG, JPEG_QUALITY)), self.version

    # ------------------------------------------------------------------------------------------------ files

    def files(self) -> list[dict[str, Any]]:
        """The files in the folder a user may download (``GET /api/files``).

        Returns
        -------
        list of dict
            ``{name, bytes, what}``, by name; ``stale`` for a preview older than the choreography.
        """
        out = []
        for p in sorted(self.folder.iterdir()):
            if p.name.startswith(".") or p.is_symlink() or not p.is_file():
                continue
            entry = {"name": p.name, "bytes": p.stat().st_size, "what": self._what(p.name)}
            if p.name == "preview.mp4":
                entry["stale"] = self._preview()["stale"]
            out.append(entry)
        return out

    def _what(self, name: str) -> str:
        from engine.exporters import FORMATS

        if name == PINS_FILE:
            return "the artist's pins (choreo.pins/1)"
        for suffix, what in ((".analysis.json", "analysis"), (".choreography.json", "choreography"),
                             (".mouth.json", "mouth track"), (".mp4", "preview video"), (".png", "picture")):
            if name.endswith(suffix):
                return what
        fmt = max((e for e in FORMATS.values() if name.endswith(e.suffix)), key=lambda e: len(e.suffix), default=None)
        return f"{fmt.name}: {fmt.description}" if fmt is not None else "file"

    def file_path(self, name: str) -> Path:
        """A file of the folder by its name relative to it, or an error when it is not one to serve.

        Parameters
        ----------
        name : str

        Returns
        -------
        Path

        Raises
        ------
        FileNotFoundError
            Not a regular file inside the folder: ``..``, an absolute path, a hidden or partial file, or a
            symlink that leads out of the folder.
        """
        rel = Path(name)
        if not name or rel.is_absolute() or any(part in ("..", "") or part.startswith(".") for part in rel.parts):
            raise FileNotFoundError(name)
        root = self.folder.resolve()
        target = (root / rel).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            raise FileNotFoundError(name)
        return target


def _initial_pins(folder: Path, chor) -> dict[str, Any]:
    """The pins to start from: ``FOLDER/pins.json``, else the pins file the choreography was made with."""
    from audio.files import read_json_object
    from choreography.pins import PINS_SCHEMA, pins_from_dict

    recorded = chor.provenance.get("pins")
    for p in (folder / PINS_FILE, Path(recorded) if recorded else None):
        if p is not None and p.is_file():
            doc = read_json_object(p, what="pins")
            pins_from_dict(doc, path=p)
            return doc
    return {"schema": PINS_SCHEMA, "pins": []}


# ---------------------------------------------------------------------------------------------------- the app


def create_app(session: ReviewSession, *, hosts: set[str] | None = None):
    """The review page and its HTTP API over a session.

    Parameters
    ----------
    session : ReviewSession
    hosts : set of str, optional
        The host names requests may be addressed to (their ``Host`` header); others get 400. A server on
        the loopback address answers only its own names, so a web page on another site that makes its own
        name point at 127.0.0.1 (DNS rebinding) cannot read the folder or change the pins. None: any.

    Returns
    -------
    fastapi.FastAPI
    """
    from importlib import resources

    static = {f"/{p.name}": (p.read_bytes(), _STATIC_TYPES[Path(p.name).suffix])
              for p in resources.files("engine").joinpath(STATIC).iterdir() if Path(p.name).suffix in _STATIC_TYPES}
    app = FastAPI(title="choreo review", description=__doc__.split("Conventions")[0], docs_url=None,
                  redoc_url=None, openapi_url="/api/openapi.json")

    def error(status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    @app.middleware("http")
    async def own_names_only(request: Request, call_next):
        if hosts is not None and request.url.hostname not in hosts:
            return error(400, f"this server answers requests to {', '.join(sorted(hosts))}, not "
                              f"{request.url.hostname!r}")
        return await call_next(request)

    @app.exception_handler(HTTPException)
    async def http_error(_request, exc: HTTPException):
        return error(exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def bad_request(_request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ()))
        return error(422, f"{where}: {first.get('msg', 'invalid request')}")

    def with_version(doc: dict[str, Any]) -> JSONResponse:
        return JSONResponse(doc, headers={"ETag": f'"{doc["version"]}"', "Cache-Control": "no-store"})

    @app.get("/", include_in_schema=False)
    def index() -> Response:
        body, kind = static["/index.html"]
        return Response(body, media_type=kind, headers={"Cache-Control": "no-store"})

    @app.get("/static/{name}", include_in_schema=False)
    def static_file(name: str) -> Response:
        if f"/{name}" not in static:
            return error(404, f"no static file {name!r}")
        body, kind = static[f"/{name}"]
        return Response(body, media_type=kind, headers={"Cache-Control": "no-store"})

    @app.get("/api/session", summary="The song laid out for the page, with the pins and the version")
    def get_session() -> JSONResponse:
        return with_version(session.session())

    @app.put("/api/pins", summary="Re-solve with a choreo.pins/1 document; save pins.json and the choreography",
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {
                 "type": "object", "required": ["schema", "pins"],
                 "properties": {"schema": {"const": "choreo.pins/1"}, "pins": {"type": "array"}}}}}}})
    async def put_pins(request: Request) -> Response:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            return error(413, f"the pins document is over {MAX_BODY_BYTES} bytes")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                return error(413, f"the pins document is over {MAX_BODY_BYTES} bytes")
        try:
            doc = json.loads(bytes(body).decode("utf-8"), parse_constant=_reject_constant)
        except (UnicodeDecodeError, ValueError) as exc:
            return error(400, f"{session.pins_path}: the body is not valid JSON ({exc})")
        match = request.headers.get("if-match")
        version = None
        if match is not None:
            digits = match.strip().removeprefix("W/").strip('"')
            if not digits.isdigit():
                return error(400, f"If-Match {match!r} is not a version (send the ETag of GET /api/session)")
            version = int(digits)
        try:
            out = await run_in_threadpool(session.put_pins, doc, if_match=version)
        except VersionConflict as exc:
            return error(409, str(exc))
        except ChoreoError as exc:
            return error(400, str(exc))
        return with_version(out)

    @app.get("/api/library", summary="The move library: names, tags, styles, energy, duration in beats")
    def get_library() -> dict[str, Any]:
        return session.library()

    @app.get("/api/frame/{frame}", summary="One frame of the animatic (JPEG), drawn from the current choreography",
             response_class=Response)
    def get_frame(frame: int) -> Response:
        try:
            jpeg, version = session.frame_jpeg(frame)
        except ChoreoError as exc:
            return error(404, str(exc))
        return Response(jpeg, media_type="image/jpeg",
                        headers={"Cache-Control": "no-store", "X-Choreo-Version": str(version)})

    @app.get("/api/audio", summary="The analysed song", response_class=FileResponse)
    def get_audio() -> Response:
        if session.audio is None:
            return error(404, "the analysed song is not available (see the warnings)")
        return FileResponse(session.audio, media_type=_AUDIO_TYPES.get(session.audio.suffix.lower(),
                                                                        "application/octet-stream"))

    @app.get("/api/waveform", summary="The song's peaks per 1/rate_hz seconds")
    def get_waveform() -> dict[str, Any]:
        return session.waveform()

    @app.get("/api/files", summary="The files of the folder a user may download")
    def get_files() -> list[dict[str, Any]]:
        return session.files()

    @app.get("/api/files/{name:path}", summary="Download one file of the folder", response_class=FileResponse)
    def get_file(name: str) -> Response:
        try:
            path = session.file_path(name)
        except FileNotFoundError:
            return error(404, f"{name}: no such file in {session.folder}")
        return FileResponse(path, filename=path.name)

    return app


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


# ---------------------------------------------------------------------------------------------------- serving


def is_loopback(host: str) -> bool:
    """Whether a host name or address only reaches this machine.

    Parameters
    ----------
    host : str

    Returns
    -------
    bool
    """
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0].split("%")[0]).is_loopback for i in infos)


def listen(host: str, port: int) -> socket.socket:
    """A listening socket for the server (port 0: any free port).

    Parameters
    ----------
    host : str
    port : int

    Returns
    -------
    socket.socket

    Raises
    ------
    ChoreoError
        The port is in use, or the host is not an address of this machine.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except OSError as exc:
        raise ChoreoError(f"--host {host}: not a host name or address of this machine ({exc.strerror})") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == 98:  # EADDRINUSE
            raise ChoreoError(f"port {port} on {host} is in use (another choreo review?); choose another with "
                              "--port") from None
        raise ChoreoError(f"cannot listen on {host}:{port} ({exc.strerror})") from None
    return sock


def make_server(app):
    """A uvicorn server for the app, quiet but for errors.

    Parameters
    ----------
    app : fastapi.FastAPI

    Returns
    -------
    uvicorn.Server
        Run it with ``server.run(sockets=[listen(host, port)])``; set ``server.should_exit`` to stop it.
    """
    import uvicorn

    return uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))


def url_of(sock: socket.socket) -> str:
    """The page's address for a listening socket.

    Parameters
    ----------
    sock : socket.socket

    Returns
    -------
    str
    """
    host, port = sock.getsockname()[:2]
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/"


def serve(session: ReviewSession, host: str, port: int, *, open_browser: bool, echo) -> None:
    """Serve the page until Ctrl-C.

    Parameters
    ----------
    session : ReviewSession
    host : str
        Where to listen; anything but a loopback address is reported, with what it exposes.
    port : int
    open_browser : bool
        Open the page in the default browser once the server listens.
    echo : callable
        Prints a line for the user (stderr).

    Raises
    ------
    ChoreoError
        The port is in use or the host is not one of this machine's.
    """
    import webbrowser

    local = is_loopback(host)
    if not local:
        echo(f"warning: --host {host} exposes {session.folder}/ to the network: anyone who reaches port {port} "
             "can read its files and change its pins")
    sock = listen(host, port)
    server = make_server(create_app(session, hosts=LOOPBACK_NAMES | {host} if local else None))
    threading.Thread(target=session.warm, daemon=True).start()
    url = url_of(sock)
    echo(f"choreo review: {url} (Ctrl-C to stop)")
    if open_browser:
        def opener():
            while not server.started and not server.should_exit:
                threading.Event().wait(0.05)
            if server.started:
                webbrowser.open(url)

        threading.Thread(target=opener, daemon=True).start()
    server.run(sockets=[sock])

