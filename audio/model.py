"""The analysis data model: ``Analysis`` and the types inside it (schema ``choreo.analysis/1``).

Conventions
-----------
- Times are float seconds from the start of the decoded audio (``t``, ``start``, ``end``).
- ``bar`` and ``beat`` are 1-based; ``beat == 1`` is the downbeat. Beats before the first full bar
  (a pickup) belong to bar 0 and count up to ``beats_per_bar`` so that the next downbeat is bar 1.
- Curves (``energy``, ``intensity``, ``brightness``) are sampled at ``rate_hz`` from t = 0 and are
  normalised per song to 0..1.
- Serialised floats are rounded (times to 0.1 ms, values to 1e-4) so that the same input gives
  byte-identical JSON.

``to_dict``/``from_dict`` are the only (de)serialisers; ``from_dict`` validates and raises
:class:`audio.errors.SchemaError` naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from audio.errors import SchemaError, finite_number

SCHEMA = "choreo.analysis/1"
SECTION_KINDS = ("intro", "verse", "chorus", "bridge", "outro", "other")
_T_DIGITS = 4
_V_DIGITS = 4


def _rt(x: float) -> float:
    return round(float(x), _T_DIGITS)


def _rv(x: float) -> float:
    return round(float(x), _V_DIGITS)


@dataclass(frozen=True)
class Source:
    """Where the audio came from: path, sha256 of the decoded samples, duration, rate, channels."""

    path: str
    sha256: str
    duration_s: float
    sample_rate: int
    channels: int


@dataclass(frozen=True)
class Beat:
    """One beat: time in seconds, 1-based bar and beat-in-bar (beat 1 is the downbeat)."""

    t: float
    bar: int
    beat: int


@dataclass(frozen=True)
class Section:
    """A section: start/end seconds (on bar lines), repeat label, kind and mean energy (0..1)."""

    start: float
    end: float
    label: str
    kind: str
    energy: float = 0.0
    confidence: float = 1.0


@dataclass(frozen=True)
class Onset:
    """A note onset: time in seconds and strength (0..1, normalised per song)."""

    t: float
    strength: float


@dataclass(frozen=True)
class Curve:
    """A curve sampled at ``rate_hz`` from t = 0 (values normalised per song to 0..1)."""

    rate_hz: float
    values: tuple[float, ...]


@dataclass(frozen=True)
class Tempo:
    """Tempo: representative BPM, smoothed local tempo per beat ``[[t_s, bpm], ...]`` and pulse clarity (0..1)."""

    bpm: float
    curve: tuple[tuple[float, float], ...]
    confidence: float = 1.0


@dataclass(frozen=True)
class Meter:
    """Meter: beats per bar, the time signature it implies, the beat subdivision and a confidence."""

    beats_per_bar: int
    time_signature: str
    subdivision: int = 2
    confidence: float = 1.0


@dataclass(frozen=True)
class Phone:
    """A phoneme with its time span: ARPAbet symbol without stress digits (``AA`` .. ``ZH``), ``SIL`` for silence."""

    start: float
    end: float
    phone: str


@dataclass(frozen=True)
class Word:
    """A word with its time span, a confidence (0..1) that the timing is right, and its lyric line if known."""

    start: float
    end: float
    text: str
    confidence: float = 1.0
    line: int | None = None
    """The lyric line it is sung in (0-based, in the order the lines are sung), where lyrics were given."""


@dataclass(frozen=True)
class Transcript:
    """What was sung or said, when: words and phones, the input tier that produced them, and how sure.

    ``tier`` is one of "midi-lyrics", "lyrics-aligned", "phone-recognition", "loudness-fallback";
    ``method`` says which aligner ran inside the tier (e.g. "sung-syllable DP", "pocketsphinx").
    """

    words: tuple[Word, ...]
    phones: tuple[Phone, ...]
    tier: str
    method: str
    confidence: float
    duration_s: float
    warnings: tuple[str, ...] = ()
    loudness: tuple[float, tuple[float, ...]] = (50.0, ())


@dataclass(frozen=True)
class Analysis:
    """The beat, bar and section map of one song (schema ``choreo.analysis/1``)."""

    source: Source
    tempo: Tempo
    meter: Meter
    beats: tuple[Beat, ...]
    sections: tuple[Section, ...]
    onsets: tuple[Onset, ...]
    energy: Curve
    intensity: Curve
    brightness: Curve
    provenance: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def downbeats(self) -> list[float]:
        """Times (s) of the beats that start a bar."""
        return [b.t for b in self.beats if b.beat == 1]

    @property
    def n_bars(self) -> int:
        """Number of bars that start inside the song (a pickup bar 0 is not counted)."""
        return len({b.bar for b in self.beats if b.bar >= 1})

    def to_dict(self) -> dict[str, Any]:
        """Serialise to the JSON-ready contract dict (rounded floats, fixed key order)."""
        return {
            "schema": SCHEMA,
            "source": {
                "path": self.source.path,
                "sha256": self.source.sha256,
                "duration_s": _rt(self.source.duration_s),
                "sample_rate": int(self.source.sample_rate),
                "channels": int(self.source.channels),
            },
            "tempo": {"bpm": round(float(self.tempo.bpm), 2),
                      "curve": [[_rt(t), round(float(b), 2)] for t, b in self.tempo.curve],
                      "confidence": _rv(self.tempo.confidence)},
            "meter": {"beats_per_bar": int(self.meter.beats_per_bar),
                      "time_signature": self.meter.time_signature,
                      "subdivision": int(self.meter.subdivision),
                      "confidence": _rv(self.meter.confidence)},
            "beats": [{"t": _rt(b.t), "bar": int(b.bar), "beat": int(b.beat)} for b in self.beats],
            "sections": [{"start": _rt(s.start), "end": _rt(s.end), "label": s.label, "kind": s.kind,
                          "energy": _rv(s.energy), "confidence": _rv(s.confidence)}
                         for s in self.sections],
            "onsets": [{"t": _rt(o.t), "strength": _rv(o.strength)} for o in self.onsets],
            "energy": _curve_dict(self.energy),
            "intensity": _curve_dict(self.intensity),
            "brightness": _curve_dict(self.brightness),
            "provenance": self.provenance,
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Analysis:
        """Validate a contract dict (already upgraded to the current schema) and build an Analysis.

        Raises
        ------
        SchemaError
            Naming the first field that is missing or wrong.
        """
        v = DocValidator(doc)
        if doc.get("schema") != SCHEMA:
            raise SchemaError(f"schema is {doc.get('schema')!r}, expected {SCHEMA!r}")
        src = v.obj("source")
        source = Source(path=v.typed(src, "source.path", str), sha256=v.typed(src, "source.sha256", str),
                        duration_s=v.num(src, "source.duration_s", lo=0.0),
                        sample_rate=v.whole(src, "source.sample_rate", lo=1),
                        channels=v.whole(src, "source.channels", lo=1))
        if source.duration_s <= 0:
            raise SchemaError("field source.duration_s should be above 0 (the song's length in seconds)")
        tempo_d = v.obj("tempo")
        curve = []
        for i, p in enumerate(v.typed(tempo_d, "tempo.curve", list)):
            if not (isinstance(p, list) and len(p) == 2 and all(finite_number(x) is not None for x in p)):
                raise SchemaError(f"field tempo.curve[{i}] should be [time_s, bpm], got {p!r}")
            curve.append((float(p[0]), float(p[1])))
        tempo = Tempo(bpm=v.num(tempo_d, "tempo.bpm", lo=0.0), curve=tuple(curve),
                      confidence=v.num(tempo_d, "tempo.confidence", default=1.0))
        meter_d = v.obj("meter")
        bpb = v.whole(meter_d, "meter.beats_per_bar", lo=1)
        meter = Meter(beats_per_bar=bpb, time_signature=v.typed(meter_d, "meter.time_signature", str, f"{bpb}/4"),
                      subdivision=v.whole(meter_d, "meter.subdivision", lo=1, default=2),
                      confidence=v.num(meter_d, "meter.confidence", default=1.0))
        beats = []
        for i, b in enumerate(v.typed(doc, "beats", list)):
            name = f"beats[{i}]"
            beats.append(Beat(t=v.num(b, f"{name}.t", lo=0.0), bar=v.whole(b, f"{name}.bar", lo=0),
                              beat=v.whole(b, f"{name}.beat", lo=1)))
            if beats[-1].t > source.duration_s + 1.0:
                raise SchemaError(f"{name}.t = {beats[-1].t} is after the end of the song "
                                  f"(source.duration_s = {source.duration_s})")
        for i in range(1, len(beats)):
            if beats[i].t <= beats[i - 1].t:
                raise SchemaError(f"beats[{i}].t = {beats[i].t} is not after beats[{i - 1}].t; "
                                  "beat times must increase")
        sections = []
        for i, s in enumerate(v.typed(doc, "sections", list)):
            name = f"sections[{i}]"
            kind = v.typed(s, f"{name}.kind", str)
            if kind not in SECTION_KINDS:
                raise SchemaError(f"{name}.kind is {kind!r}; expected one of {', '.join(SECTION_KINDS)}")
            sec = Section(start=v.num(s, f"{name}.start", lo=0.0), end=v.num(s, f"{name}.end", lo=0.0),
                          label=v.typed(s, f"{name}.label", str), kind=kind,
                          energy=v.num(s, f"{name}.energy", default=0.0),
                          confidence=v.num(s, f"{name}.confidence", default=1.0))
            if sec.end <= sec.start:
                raise SchemaError(f"{name} ends ({sec.end}) before it starts ({sec.start})")
            sections.append(sec)
        onsets = [Onset(t=v.num(o, f"onsets[{i}].t", lo=0.0), strength=v.num(o, f"onsets[{i}].strength"))
                  for i, o in enumerate(v.typed(doc, "onsets", list))]
        return cls(source=source, tempo=tempo, meter=meter, beats=tuple(beats), sections=tuple(sections),
                   onsets=tuple(onsets), energy=v.curve("energy"),
                   intensity=v.curve("intensity") if "intensity" in doc else Curve(1.0, ()),
                   brightness=v.curve("brightness") if "brightness" in doc else Curve(1.0, ()),
                   provenance=v.typed(doc, "provenance", dict, {}), warnings=v.texts(doc, "warnings", False))


def _curve_dict(c: Curve) -> dict[str, Any]:
    return {"rate_hz": float(c.rate_hz), "values": [_rv(x) for x in c.values]}


class DocValidator:
    """Checks for reading a JSON document: each raises :class:`SchemaError` naming the field that is wrong.

    Fields are named by their path in the document (``beats[3].t``); the last part of the path is the key
    looked up in the mapping given.

    Parameters
    ----------
    doc : object
        The parsed document; anything but a JSON object is refused.
    """

    def __init__(self, doc: Any):
        if not isinstance(doc, dict):
            raise SchemaError("the document is not a JSON object")
        self.doc = doc

    def obj(self, key: str) -> dict[str, Any]:
        """The top-level object ``key``."""
        return self.typed(self.doc, key, dict)

    @staticmethod
    def _get(d: Any, name: str, default: Any) -> Any:
        key = name.rsplit(".", 1)[-1]
        if not isinstance(d, dict):
            raise SchemaError(f"field {name.rsplit('.', 1)[0]} should be an object, got {type(d).__name__}")
        if key not in d:
            if default is _REQUIRED:
                raise SchemaError(f"field {name} is missing")
            return default
        return d[key]

    @classmethod
    def typed(cls, d: Any, name: str, typ: type, default: Any = None) -> Any:
        """``d[key]``, which must be of type ``typ`` (required unless a ``default`` is given)."""
        x = cls._get(d, name, _REQUIRED if default is None else default)
        if not isinstance(x, typ) or (typ is not bool and isinstance(x, bool)):
            raise SchemaError(f"field {name} should be {typ.__name__}, got {type(x).__name__}")
        return x

    @classmethod
    def num(cls, d: Any, name: str, lo: float | None = None, default: float | None = None) -> float:
        """``d[key]`` as a finite float, at least ``lo`` (required unless a ``default`` is given)."""
        raw = cls._get(d, name, _REQUIRED if default is None else default)
        x = finite_number(raw)
        if x is None:
            raise SchemaError(f"field {name} should be a finite number, got {raw!r}")
        if lo is not None and x < lo:
            raise SchemaError(f"field {name} = {x} is below {lo}")
        return x

    @classmethod
    def whole(cls, d: Any, name: str, lo: int | None = None, default: int | None = None) -> int:
        """``d[key]`` as an int: a finite number without a fractional part, at least ``lo``."""
        x = cls.num(d, name, lo=lo, default=default)
        if x != int(x):
            raise SchemaError(f"field {name} = {x} should be a whole number")
        return int(x)

    @classmethod
    def items(cls, d: Any, name: str, required: bool = True) -> list[tuple[str, dict[str, Any]]]:
        """The objects of the list ``d[key]``, each with its name (``name[i]``)."""
        xs = cls.typed(d, name, list, None if required else [])
        out = []
        for i, x in enumerate(xs):
            if not isinstance(x, dict):
                raise SchemaError(f"field {name}[{i}] should be an object, got {type(x).__name__}")
            out.append((f"{name}[{i}]", x))
        return out

    @classmethod
    def numbers(cls, d: Any, name: str, whole: bool = False) -> tuple[float, ...] | tuple[int, ...]:
        """The list of finite numbers ``d[key]`` (whole numbers, as ints, with ``whole``)."""
        xs = cls.typed(d, name, list)
        out = []
        for i, x in enumerate(xs):
            f = finite_number(x)
            if f is None or (whole and f != int(f)):
                raise SchemaError(f"field {name}[{i}] should be a finite {'whole ' if whole else ''}number, got {x!r}")
            out.append(int(f) if whole else f)
        return tuple(out)

    @classmethod
    def texts(cls, d: Any, name: str, required: bool = True) -> tuple[str, ...]:
        """The list of strings ``d[key]``."""
        xs = cls.typed(d, name, list, None if required else [])
        for i, x in enumerate(xs):
            if not isinstance(x, str):
                raise SchemaError(f"field {name}[{i}] should be str, got {type(x).__name__}")
        return tuple(xs)

    def curve(self, key: str) -> Curve:
        """The top-level curve ``key``: ``{rate_hz, values}``."""
        c = self.obj(key)
        return Curve(rate_hz=self.num(c, f"{key}.rate_hz", lo=0.0), values=self.numbers(c, f"{key}.values"))


_REQUIRED = object()
