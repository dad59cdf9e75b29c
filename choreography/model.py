"""Choreography-side data model: mouth tracks (schema ``choreo.mouth/1``).

Conventions
-----------
- ``fps`` is a rational frame rate, serialised as ``"24/1"`` or ``"30000/1001"``.
- Cue times are seconds on the frame grid: ``start = start_frame / fps``; the frame numbers are stored
  beside them so that every tool reads the same frame.
- Shapes are the Rhubarb Lip Sync set ``A``-``H`` plus ``X`` (rest); see :mod:`choreography.mouth`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from audio.errors import SchemaError
from audio.model import DocValidator, Phone, Word

MOUTH_SCHEMA = "choreo.mouth/1"
SHAPES = ("A", "B", "C", "D", "E", "F", "G", "H", "X")
TIERS = ("midi-lyrics", "lyrics-aligned", "phone-recognition", "loudness-fallback")


def parse_fps(value: Any) -> Fraction:
    """Parse a frame rate: ``24``, ``"24"``, ``"24/1"``, ``"30000/1001"``, ``29.97`` (read as 30000/1001).

    Parameters
    ----------
    value : int, float, str or Fraction

    Returns
    -------
    Fraction

    Raises
    ------
    SchemaError
        When the value is not a positive frame rate.
    """
    try:
        if isinstance(value, Fraction):
            fps = value
        elif isinstance(value, float) and not float(value).is_integer():
            fps = Fraction(value).limit_denominator(1001)
        else:
            fps = Fraction(str(value).strip())
    except (ValueError, ZeroDivisionError):
        raise SchemaError(f"fps {value!r} is not a frame rate (write 24, 25, 30000/1001, ...)") from None
    if fps <= 0 or fps > 1000:
        raise SchemaError(f"fps {value!r} is out of range")
    return fps


def fps_str(fps: Fraction) -> str:
    """Serialise a frame rate as ``"num/den"``.

    Parameters
    ----------
    fps : Fraction

    Returns
    -------
    str
    """
    return f"{fps.numerator}/{fps.denominator}"


def seconds_to_frame(t_s: float, fps: Fraction) -> int:
    """The frame a time falls on, rounding to nearest (the one place seconds become frames).

    Parameters
    ----------
    t_s : float, seconds
    fps : Fraction

    Returns
    -------
    int
    """
    return int(math.floor(float(t_s) * fps.numerator / fps.denominator + 0.5))


def frame_to_seconds(frame: int, fps: Fraction) -> float:
    """Start time of a frame in seconds.

    Parameters
    ----------
    frame : int
    fps : Fraction

    Returns
    -------
    float
    """
    return float(Fraction(int(frame)) / fps)


@dataclass(frozen=True)
class MouthCue:
    """One mouth shape held from ``start_frame`` to ``end_frame`` (exclusive), with an open amount 0..1."""

    start_frame: int
    end_frame: int
    shape: str
    open: float


@dataclass(frozen=True)
class MouthTrack:
    """A character's mouth track: cues on the frame grid, plus the words and phonemes they came from."""

    fps: Fraction
    character: str
    cues: tuple[MouthCue, ...]
    words: tuple[Word, ...] = ()
    phonemes: tuple[Phone, ...] = ()
    tier: str = "lyrics-aligned"
    confidence: float = 1.0
    provenance: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Serialise to the ``choreo.mouth/1`` contract dict (deterministic key order, rounded floats)."""
        return {
            "schema": MOUTH_SCHEMA,
            "fps": fps_str(self.fps),
            "character": self.character,
            "tier": self.tier,
            "confidence": round(float(self.confidence), 4),
            "cues": [{"start": round(frame_to_seconds(c.start_frame, self.fps), 4),
                      "end": round(frame_to_seconds(c.end_frame, self.fps), 4),
                      "start_frame": int(c.start_frame), "end_frame": int(c.end_frame),
                      "shape": c.shape, "open": round(float(c.open), 3)} for c in self.cues],
            "words": [{"start": round(w.start, 4), "end": round(w.end, 4), "text": w.text,
                       "confidence": round(float(w.confidence), 3), **({} if w.line is None else {"line": w.line})}
                      for w in self.words],
            "phonemes": [{"start": round(p.start, 4), "end": round(p.end, 4), "phone": p.phone} for p in self.phonemes],
            "provenance": self.provenance,
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> MouthTrack:
        """Validate a ``choreo.mouth/1`` dict and build a MouthTrack.

        Raises
        ------
        SchemaError
            Naming the first field that is missing or wrong.
        """
        v = DocValidator(doc)
        if doc.get("schema") != MOUTH_SCHEMA:
            raise SchemaError(f"schema is {doc.get('schema')!r}, expected {MOUTH_SCHEMA!r}")
        fps = parse_fps(v.typed(doc, "fps", str))
        character = v.typed(doc, "character", str)
        cues = []
        prev_end = None
        for name, c in v.items(doc, "cues"):
            start = v.whole(c, f"{name}.start_frame") if "start_frame" in c else \
                seconds_to_frame(v.num(c, f"{name}.start"), fps)
            end = v.whole(c, f"{name}.end_frame") if "end_frame" in c else \
                seconds_to_frame(v.num(c, f"{name}.end"), fps)
            shape, opening = v.typed(c, f"{name}.shape", str), v.num(c, f"{name}.open", default=0.0)
            if shape not in SHAPES:
                raise SchemaError(f"{name}.shape is {shape!r}; expected one of {' '.join(SHAPES)}")
            if end <= start:
                raise SchemaError(f"{name} ends (frame {end}) before it starts (frame {start})")
            if prev_end is not None and start < prev_end:
                raise SchemaError(f"{name} starts at frame {start}, before the previous cue ends ({prev_end})")
            if not 0.0 <= opening <= 1.0:
                raise SchemaError(f"{name}.open = {opening} is outside 0..1")
            cues.append(MouthCue(start, end, shape, opening))
            prev_end = end
        words = tuple(Word(v.num(w, f"{n}.start"), v.num(w, f"{n}.end"), v.typed(w, f"{n}.text", str),
                           v.num(w, f"{n}.confidence", default=1.0),
                           v.whole(w, f"{n}.line", lo=0) if "line" in w else None)
                      for n, w in v.items(doc, "words", False))
        phones = tuple(Phone(v.num(q, f"{n}.start"), v.num(q, f"{n}.end"), v.typed(q, f"{n}.phone", str))
                       for n, q in v.items(doc, "phonemes", False))
        return cls(fps=fps, character=character, cues=tuple(cues), words=words, phonemes=phones,
                   tier=v.typed(doc, "tier", str, "lyrics-aligned"), confidence=v.num(doc, "confidence", default=1.0),
                   provenance=v.typed(doc, "provenance", dict, {}), warnings=v.texts(doc, "warnings", False))


CHOREOGRAPHY_SCHEMA = "choreo.choreography/1"


@dataclass(frozen=True)
class Track:
    """A keyframed channel: strictly increasing frames, one value and one interpolation per key.

    ``interp[i]`` shapes the segment arriving at key ``i`` (linear, in, out, in_out, hold, overshoot,
    anticipate).
    """

    frames: tuple[int, ...]
    values: tuple[float, ...]
    interp: tuple[str, ...]


@dataclass(frozen=True)
class MovePlacement:
    """A move danced by a character: frames (end exclusive) and the musical time it starts on."""

    character: str
    move: str
    start_frame: int
    end_frame: int
    start_beat: int
    bar: int
    beat: int


@dataclass(frozen=True)
class Shot:
    """A camera shot: frames (end exclusive), kind (wide, medium, close, two_shot) and whether it starts on a cut."""

    start_frame: int
    end_frame: int
    kind: str
    cut: bool


@dataclass(frozen=True)
class Choreography:
    """Keyframes for characters (and later camera and lighting) on a rational frame grid."""

    fps: Fraction
    duration_frames: int
    characters: tuple[str, ...]
    tracks: dict[str, Track]
    moves: tuple[MovePlacement, ...] = ()
    shots: tuple[Shot, ...] = ()
    provenance: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Serialise to the ``choreo.choreography/1`` contract dict (channels sorted, values rounded)."""
        return {
            "schema": CHOREOGRAPHY_SCHEMA,
            "fps": fps_str(self.fps),
            "duration_frames": int(self.duration_frames),
            "characters": list(self.characters),
            "tracks": {name: {"frames": [int(f) for f in t.frames], "values": [round(float(v), 3) for v in t.values],
                              "interp": list(t.interp)} for name, t in sorted(self.tracks.items())},
            "moves": [{"character": m.character, "move": m.move, "start_frame": m.start_frame,
                       "end_frame": m.end_frame, "start_beat": m.start_beat, "bar": m.bar, "beat": m.beat}
                      for m in self.moves],
            "shots": [{"start_frame": s.start_frame, "end_frame": s.end_frame, "kind": s.kind, "cut": s.cut}
                      for s in self.shots],
            "provenance": self.provenance,
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Choreography:
        """Validate a ``choreo.choreography/1`` dict.

        Raises
        ------
        SchemaError
            Naming the channel or item that is wrong.
        """
        v = DocValidator(doc)
        if doc.get("schema") != CHOREOGRAPHY_SCHEMA:
            raise SchemaError(f"schema is {doc.get('schema')!r}, expected {CHOREOGRAPHY_SCHEMA!r}")
        fps = parse_fps(v.typed(doc, "fps", str))
        n = v.whole(doc, "duration_frames", lo=1)
        characters = v.texts(doc, "characters")
        tracks = {}
        for name, t in v.typed(doc, "tracks", dict).items():
            where = f"tracks.{name}"
            if not isinstance(t, dict):
                raise SchemaError(f"field {where} should be an object, got {type(t).__name__}")
            frames, values = v.numbers(t, f"{where}.frames", whole=True), v.numbers(t, f"{where}.values")
            interp = v.texts(t, f"{where}.interp")
            if not len(frames) == len(values) == len(interp):
                raise SchemaError(f"track {name!r}: frames, values and interp differ in length")
            if any(b <= a for a, b in zip(frames, frames[1:], strict=False)):
                raise SchemaError(f"track {name!r}: frames must strictly increase")
            if frames and (frames[0] < 0 or frames[-1] >= n):
                raise SchemaError(f"track {name!r}: frames must lie in 0..{n - 1}")
            tracks[name] = Track(frames, values, interp)
        moves = tuple(MovePlacement(v.typed(m, f"{k}.character", str), v.typed(m, f"{k}.move", str),
                                    v.whole(m, f"{k}.start_frame"), v.whole(m, f"{k}.end_frame"),
                                    v.whole(m, f"{k}.start_beat", lo=0), v.whole(m, f"{k}.bar", default=0),
                                    v.whole(m, f"{k}.beat", default=1)) for k, m in v.items(doc, "moves", False))
        shots = tuple(Shot(v.whole(q, f"{k}.start_frame"), v.whole(q, f"{k}.end_frame"),
                           v.typed(q, f"{k}.kind", str), v.typed(q, f"{k}.cut", bool))
                      for k, q in v.items(doc, "shots", False))
        return cls(fps=fps, duration_frames=n, characters=characters, tracks=tracks, moves=moves,
                   shots=shots, provenance=v.typed(doc, "provenance", dict, {}),
                   warnings=v.texts(doc, "warnings", False))
