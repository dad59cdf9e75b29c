"""A song's artefacts for the song formats: loading them, the markers they share, timecode, writing them all.

Conventions
-----------
- A :class:`Song` is what ``choreo export`` reads: one analysis (sections, beats, bars, the song file), at
  most one choreography (the frame rate and the camera's shot plan) and any number of mouth tracks (the
  words, for lyric markers). A ``choreo run`` folder holds exactly that.
- Markers (:func:`song_markers`) are the same in every format: a section is named ``"<label> <kind>"``
  (``"C chorus"``) and coloured by its kind (:data:`SECTION_COLOURS`), a bar ``"bar <n>"`` on its
  downbeat (yellow), a lyric line by its words (purple). Their times are the analysis' and the mouth
  tracks' seconds; the timeline formats put them on frame ``round(t * fps)`` at the choreography's fps
  (:func:`choreography.model.seconds_to_frame`).
- Lyric lines: a mouth track made from a lyrics file (its provenance names it) whose words are the
  track's words, in order, gives one marker per lyric line; otherwise every word is a marker.
- Timecode (:func:`timecode`) is SMPTE: whole-frame rates count their own frames; 24000/1001 counts as 24
  non-drop; 30000/1001 and 60000/1001 are drop-frame (2 and 4 frame numbers skipped each minute but every
  tenth), written with ``;`` before the frames. Timelines start at 01:00:00:00 (:data:`RECORD_START_TC`),
  the broadcast convention Avid and Resolve default to: frame ``f`` of the song is at 01:00:00:00 + f.
- The colours are names both OpenTimelineIO (``MarkerColor``) and Avid locators know, except the lyrics'
  purple (OpenTimelineIO only; the EDL carries no lyrics).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from audio.errors import ChoreoError
from audio.model import Analysis
from choreography.model import Choreography, MouthTrack, fps_str, seconds_to_frame

if TYPE_CHECKING:
    from engine.exporters import Exporter

SECTION_COLOURS = {"intro": "CYAN", "verse": "BLUE", "chorus": "RED", "bridge": "MAGENTA", "outro": "GREEN",
                   "other": "WHITE"}
BAR_COLOUR = "YELLOW"
LYRIC_COLOUR = "PURPLE"
RECORD_START_TC = "01:00:00:00"
ARTEFACT_SUFFIXES = (".analysis.json", ".choreography.json", ".mouth.json")
NEEDS_CHOREOGRAPHY = ("needs the choreography (its frame rate and shot plan): give SONG.choreography.json or a "
                      "choreo run folder")


@dataclass(frozen=True)
class Song:
    """The artefacts of one song, as the song formats read them.

    Attributes
    ----------
    name : str
        File-name stem for the outputs (the analysis file's name without ``.analysis.json``).
    analysis : Analysis
    choreography : Choreography or None
    mouths : tuple of MouthTrack
    folder : Path
        Where the artefacts were found (the default output folder).
    """

    name: str
    analysis: Analysis
    choreography: Choreography | None = None
    mouths: tuple[MouthTrack, ...] = ()
    folder: Path = Path(".")

    @property
    def fps(self) -> Fraction:
        """The project frame rate: the choreography's.

        Raises
        ------
        ChoreoError
            When there is no choreography.
        """
        if self.choreography is None:
            raise ChoreoError(f"this format {NEEDS_CHOREOGRAPHY}")
        return self.choreography.fps


@dataclass(frozen=True)
class SongMarker:
    """A named point or span of the song.

    Attributes
    ----------
    start, end : float, seconds
        ``end == start`` for a point (a bar line).
    name : str
    kind : {"section", "bar", "lyric"}
    colour : str
        An OpenTimelineIO ``MarkerColor`` name.
    comment : str
        More about it (a section's energy, a lyric line's singer).
    """

    start: float
    end: float
    name: str
    kind: str
    colour: str
    comment: str = ""

    def frames(self, fps: Fraction) -> tuple[int, int]:
        """First and end frame (exclusive) at ``fps``.

        Parameters
        ----------
        fps : Fraction

        Returns
        -------
        tuple of int
        """
        return seconds_to_frame(self.start, fps), seconds_to_frame(self.end, fps)


def file_writer(render):
    """A format's write function from the function that renders its file: ``write(song, path)``, atomically.

    Parameters
    ----------
    render : callable
        ``render(song) -> str or bytes``, the file's content.

    Returns
    -------
    callable
        ``write(song, path) -> Path``.
    """
    from engine.artifacts import write_atomic

    def write(song: Song, path: str | Path) -> Path:
        return write_atomic(path, render(song))

    write.__doc__ = f"Write {render.__name__}'s output atomically to ``path``."
    return write


def export_noting(song: Song, exporters: list[Exporter], output: Path | None = None,
                  **options) -> tuple[list[Path], list[str]]:
    """:func:`export_song`, with what the formats could not carry (their warnings) as lines.

    Parameters
    ----------
    song : Song
    exporters : list of Exporter
    output : Path, optional
    **options
        As :func:`export_song`.

    Returns
    -------
    paths : list of Path
    notes : list of str
        One line per warning a format raised, each one kept (none folded into an earlier one).
    """
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        paths = export_song(song, exporters, output, **options)
    return paths, [str(w.message) for w in caught]


def run_song_artefacts(written: dict[str, Path]) -> Song:
    """The :class:`Song` of what a ``choreo run`` just wrote (:func:`engine.run.run_song`'s outputs).

    Parameters
    ----------
    written : dict of str to Path
        Output name to file: ``analysis``, ``choreography``, ``mouth:<character>`` and others (ignored).

    Returns
    -------
    Song
    """
    return load_song([p for k, p in written.items() if k in ("analysis", "choreography") or k.startswith("mouth:")])


def load_song(paths: list[Path]) -> Song:
    """Read a ``choreo run`` folder or individual artefacts into a :class:`Song`.

    Parameters
    ----------
    paths : list of Path
        Folders (every ``*.analysis.json``, ``*.choreography.json`` and ``*.mouth.json`` in them) and
        artefact files of those kinds.

    Returns
    -------
    Song

    Raises
    ------
    ChoreoError
        No paths, a missing path, a document of another kind, no analysis or more than one analysis or
        choreography.
    """
    from engine import artifacts

    if not paths:
        raise ChoreoError("no artefacts given: name a choreo run folder or *.analysis.json, *.choreography.json "
                          "and *.mouth.json files")
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(f for f in p.iterdir() if f.name.endswith(ARTEFACT_SUFFIXES))
            if not found:
                raise ChoreoError("holds no choreo artefacts (*.analysis.json, *.choreography.json, *.mouth.json)",
                                  path=p)
            files.extend(found)
        elif p.exists():
            files.append(p)
        else:
            raise ChoreoError("not found", path=p)
    by_kind: dict[str, list[tuple[Path, object]]] = {"analysis": [], "choreography": [], "mouth": []}
    for f in files:
        kind, obj = artifacts.load_kind(f)
        if kind.name not in by_kind:
            raise ChoreoError(f"is a choreo.{kind.name} document; export reads analysis, choreography and mouth "
                              "artefacts", path=f)
        by_kind[kind.name].append((f, obj))
    for kind in ("analysis", "choreography"):
        if len(by_kind[kind]) > 1:
            raise ChoreoError(f"{len(by_kind[kind])} {kind} artefacts ({', '.join(str(f) for f, _ in by_kind[kind])}); "
                              "export takes one song at a time")
    if not by_kind["analysis"]:
        raise ChoreoError("no analysis among the artefacts: every export format needs SONG.analysis.json")
    a_path, analysis = by_kind["analysis"][0]
    name = a_path.name[: -len(".analysis.json")] if a_path.name.endswith(".analysis.json") else a_path.stem
    chor = by_kind["choreography"][0][1] if by_kind["choreography"] else None
    return Song(name=name, analysis=analysis, choreography=chor, mouths=tuple(m for _, m in by_kind["mouth"]),
                folder=paths[0] if paths[0].is_dir() else a_path.parent)


def lyric_line_spans(track: MouthTrack) -> list[tuple[float, float, str]]:
    """The sung lines of a mouth track, ``(start, end, text)``: its lyric lines (:func:`engine.exporters.lyric_lines`).

    Parameters
    ----------
    track : MouthTrack

    Returns
    -------
    list of tuple
        Seconds and text, in order; none for a track without words.
    """
    from engine.exporters import lyric_lines

    return [(line[0].start, max(w.end for w in line), " ".join(w.text for w in line)) for line in lyric_lines(track)]


def song_markers(song: Song, kinds: tuple[str, ...] = ("section", "bar", "lyric")) -> list[SongMarker]:
    """The song's markers: sections, bar lines (downbeats) and lyric lines, sorted by time.

    Parameters
    ----------
    song : Song
    kinds : tuple of str
        Which of ``"section"``, ``"bar"``, ``"lyric"`` to include.

    Returns
    -------
    list of SongMarker
    """
    out: list[SongMarker] = []
    a = song.analysis
    if "section" in kinds:
        out += [SongMarker(s.start, s.end, f"{s.label} {s.kind}", "section", SECTION_COLOURS.get(s.kind, "WHITE"),
                           f"section {s.label} ({s.kind}), energy {s.energy:.2f}") for s in a.sections]
    if "bar" in kinds:
        out += [SongMarker(b.t, b.t, f"bar {b.bar}", "bar", BAR_COLOUR) for b in a.beats if b.beat == 1]
    if "lyric" in kinds:
        for track in song.mouths:
            out += [SongMarker(s, e, text, "lyric", LYRIC_COLOUR, f"sung by {track.character}")
                    for s, e, text in lyric_line_spans(track)]
    order = {"section": 0, "bar": 1, "lyric": 2}
    return sorted(out, key=lambda m: (m.start, order[m.kind]))


def shot_clips(song: Song) -> list[tuple[int, int, str]]:
    """The shot plan as clips: ``(start_frame, end_frame, name)``, a new clip at every cut.

    Parameters
    ----------
    song : Song

    Returns
    -------
    list of tuple
        The name is the shot kind (``"wide"``), or the kinds joined by ``" > "`` when shots continue
        without a cut.
    """
    clips: list[list] = []
    for s in song.choreography.shots:
        if s.cut or not clips:
            clips.append([s.start_frame, s.end_frame, [s.kind]])
        else:
            clips[-1][1] = s.end_frame
            clips[-1][2].append(s.kind)
    return [(a, b, " > ".join(kinds)) for a, b, kinds in clips]


def timecode_rate(fps: Fraction) -> tuple[int, bool]:
    """The SMPTE counting of a frame rate: frames per timecode second and whether it drops frame numbers.

    Parameters
    ----------
    fps : Fraction

    Returns
    -------
    nominal : int
        24 for 24 and 24000/1001, 30 for 30000/1001, ...
    drop : bool
        True for 30000/1001 and 60000/1001.

    Raises
    ------
    ChoreoError
        For rates timecode cannot count (12.5, 23.5, ...).
    """
    if fps.denominator == 1:
        return int(fps), False
    if fps.denominator == 1001 and fps.numerator % 1000 == 0:
        nominal = fps.numerator // 1000
        return nominal, nominal % 30 == 0
    raise ChoreoError(f"timecode needs whole frames per second or an NTSC rate (24000/1001, 30000/1001, ...); "
                      f"the choreography is at {fps_str(fps)} fps")


def _dropped_per_minute(nominal: int) -> int:
    return nominal // 15  # 2 at 29.97, 4 at 59.94


def timecode(frame: int, fps: Fraction) -> str:
    """The SMPTE timecode of a frame count (drop-frame at 30000/1001 and 60000/1001, with ``;``).

    Parameters
    ----------
    frame : int
        Frames since 00:00:00:00.
    fps : Fraction

    Returns
    -------
    str
        E.g. ``"01:00:00:00"``, or ``"00:01:00;02"`` for frame 1800 at 30000/1001.
    """
    nominal, drop = timecode_rate(fps)
    if drop:
        d = _dropped_per_minute(nominal)
        per_10min, per_min = nominal * 600 - 9 * d, nominal * 60 - d
        tens, rest = divmod(frame, per_10min)
        frame += 9 * d * tens + (d * ((rest - d) // per_min) if rest > d else 0)
    f = frame % nominal
    s = frame // nominal
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}{';' if drop else ':'}{f:02d}"


def timecode_frames(tc: str, fps: Fraction) -> int:
    """The frame count of a timecode written by :func:`timecode` (the inverse).

    Parameters
    ----------
    tc : str
        ``HH:MM:SS:FF`` (``;`` before the frames when drop-frame).
    fps : Fraction

    Returns
    -------
    int
    """
    nominal, drop = timecode_rate(fps)
    h, m, s, f = (int(x) for x in tc.replace(";", ":").split(":"))
    minutes = 60 * h + m
    frames = (minutes * 60 + s) * nominal + f
    if drop:
        frames -= _dropped_per_minute(nominal) * (minutes - minutes // 10)
    return frames


def output_paths(song: Song, exporters: list[Exporter], output: Path | None) -> list[tuple[Exporter, object, Path]]:
    """Where each format's file goes: ``(exporter, what it writes from, path)``.

    Song formats write ``SONG<suffix>``, mouth formats ``CHARACTER<suffix>`` per mouth track, dancer formats
    ``SONG.CHARACTER<suffix>`` per character of the choreography, into ``output`` (default: the song's folder).
    ``output`` is the file itself when it has a suffix and one file is written.

    Parameters
    ----------
    song : Song
    exporters : list of Exporter
    output : Path, optional

    Returns
    -------
    list of tuple

    Raises
    ------
    ChoreoError
        A format that needs an artefact the song lacks (or words a mouth track lacks), or a file name for several
        files.
    """
    jobs: list[tuple[Exporter, object, str]] = []
    for exp in exporters:
        if exp.scope == "mouth":
            if not song.mouths:
                exp.refuse("mouths", "none was given (NAME.mouth.json)")
            wordless = [track.character for track in song.mouths if not track.words]
            if wordless:
                exp.refuse("words", f"the mouth track of {wordless[0]!r} has none (lip-sync without lyrics)")
            jobs += [(exp, track, f"{track.character}{exp.suffix}") for track in song.mouths]
            continue
        if "choreography" in exp.needs and song.choreography is None:
            raise ChoreoError(f"the {exp.name} format {NEEDS_CHOREOGRAPHY}")
        if exp.scope == "dancer":
            jobs += [(exp, (song, ch), f"{song.name}.{ch}{exp.suffix}") for ch in song.choreography.characters]
            continue
        jobs.append((exp, song, f"{song.name}{exp.suffix}"))
    folder = song.folder if output is None else output
    if output is not None and output.suffix and not output.is_dir():
        if len(jobs) != 1:
            raise ChoreoError(f"{len(jobs)} files to write: -o must be a folder", path=output)
        return [(jobs[0][0], jobs[0][1], output)]
    return [(exp, src, folder / name) for exp, src, name in jobs]


def export_song(song: Song, exporters: list[Exporter], output: Path | None = None, **options) -> list[Path]:
    """Write a song in every format given.

    Parameters
    ----------
    song : Song
    exporters : list of Exporter
        From :func:`engine.exporters.parse_formats`.
    output : Path, optional
        Folder (default: the song's folder), or the file when one file is written.
    **options
        Format options such as ``size="1920x1080"``; each format gets those its ``options`` name.

    Returns
    -------
    list of Path
        The written files.

    Raises
    ------
    ChoreoError
        As :func:`output_paths`, or a file that cannot be written.
    """
    return [exp.write(src, path, **{k: v for k, v in options.items() if k in exp.options})
            for exp, src, path in output_paths(song, exporters, output)]
