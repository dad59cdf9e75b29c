"""Mouth shapes from timed phones: the phoneme-to-shape mapping and the timing rules that make cues.

Conventions
-----------
- Shapes are the Rhubarb Lip Sync set: ``A`` closed (P B M), ``B`` clenched teeth (most consonants, EE),
  ``C`` open (EH AE), ``D`` wide open (AA AH AY), ``E`` slightly rounded (AO ER), ``F`` puckered (UW OW W),
  ``G`` teeth on lip (F V), ``H`` tongue raised (L), ``X`` rest. Each has a Preston Blair name (``MBP``,
  ``etc``, ``E``, ``AI``, ``O``, ``U``, ``FV``, ``L``, ``rest``) for Moho and Papagayo.
- The phone-to-shape mapping is data (``choreography/data/mouth_shapes.json``); a user's JSON file of the
  same layout overrides single entries (:func:`load_mapping`).
- Phones are ARPAbet without stress digits (``"AA1"`` is read as ``"AA"``); ``SIL`` is silence, and so are
  recogniser fillers such as ``+NSN+``, ``<sil>``, ``SP``.
- Phone times are float seconds. Cues are integer frames at a rational fps; seconds become frames only
  through :func:`choreography.model.seconds_to_frame`. Cues are contiguous from frame 0 to the frame of
  ``duration_s`` and never zero-length.

The timing rules of :func:`mouth_cues`, in the order they run:

1. Each phone becomes one segment (a diphthong two: the end shape takes the last 40 % of a short
   diphthong, and of a sustained one only the last 30 % or 0.12 s, whichever is shorter).
2. Silences and gaps longer than ``rest_gap_s`` (and any before the first or after the last phone) become
   the rest shape ``X``; shorter ones inside a phrase hold the previous shape, since a singer does not
   close the mouth between two syllables of a line.
3. Vowels start ``anticipation_s`` early (at most half-way into the preceding segment): the mouth opens
   before the sound does.
4. Boundaries go to the frame grid (even frames only when animating on twos); same shapes merge.
5. A short interruption (shorter than ``sustain_s``, not a lip closure) between two parts of one shape
   where a sustained vowel is involved is dropped: held notes do not chatter.
6. Cues shorter than ``min_hold_frames`` grow by taking spare frames from a neighbour of lower or equal
   rank (rest < consonant < vowel < lip closure), or else are absorbed into the higher-ranked neighbour,
   so lips still close on P, B, M and vowels survive. Only a final rest may stay short.
7. ``open`` is the shape's base openness times the mean loudness over the cue (the base itself without
   loudness).
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from audio.errors import ChoreoError
from audio.files import read_json_object
from audio.model import Phone, Word
from choreography.model import (
    SHAPES,
    TIERS,
    MouthCue,
    MouthTrack,
    frame_to_seconds,
    parse_fps,
    seconds_to_frame,
)

MAPPING_SCHEMA = "choreo.mouth-shapes/1"
ARPABET = ("AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G", "HH", "IH",
           "IY", "JH", "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T", "TH", "UH", "UW", "V",
           "W", "Y", "Z", "ZH")
PHONES = (*ARPABET, "SIL")
VOWELS = frozenset(("AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"))
_SILENCE_ALIASES = frozenset(("SIL", "SP", "SPN", "NSN", "PAU", "H#", "SILENCE", ""))
_MAPPING_KEYS = frozenset(("schema", "about", "shapes", "phones", "preston_blair_phones"))
_SHAPE_KEYS = frozenset(("preston_blair", "open", "description"))

# Ranks decide who gives way when a cue is too short to hold.
_REST, _CONSONANT, _VOWEL, _CLOSED = 0, 1, 2, 3


@dataclass(frozen=True)
class ShapeInfo:
    """One mouth shape: Rhubarb letter, Preston Blair name, a one-line description and base openness (0..1)."""

    letter: str
    preston_blair: str
    description: str
    open: float


@dataclass(frozen=True)
class MouthMapping:
    """Which shape(s) each phone gets, and what each shape is called and how open it is.

    ``phones`` maps an ARPAbet phone (or ``SIL``) to one shape, or to two (start, end) for a diphthong.
    ``preston_blair_phones`` names single phones differently from their shape's Preston Blair name
    (``W`` is ``WQ`` in Papagayo's set although its shape ``F`` is ``U``). ``source`` is where the
    mapping came from: ``"default"`` or the user file's path.
    """

    shapes: Mapping[str, ShapeInfo]
    phones: Mapping[str, tuple[str, ...]]
    preston_blair_phones: Mapping[str, str]
    source: str = "default"

    def shapes_for(self, phone: str) -> tuple[str, ...]:
        """Shape(s) of a phone (stress digits and silence aliases allowed).

        Parameters
        ----------
        phone : str
            ARPAbet symbol such as ``"AA1"``, ``"ay"`` or ``"SIL"``.

        Returns
        -------
        tuple of str
            One shape letter, or two (start, end) for a diphthong.

        Raises
        ------
        ChoreoError
            When the phone is not in the mapping.
        """
        name = normalise_phone(phone)
        try:
            return self.phones[name]
        except KeyError:
            raise ChoreoError(f"phone {phone!r} is not in the mouth mapping ({self.source}); expected ARPAbet "
                              f"({' '.join(PHONES)})") from None

    def base_open(self, shape: str) -> float:
        """Base openness of a shape, 0 (closed) .. 1 (wide open).

        Parameters
        ----------
        shape : str
            A letter of ``SHAPES``.

        Returns
        -------
        float
        """
        return self.shapes[shape].open

    def preston_blair_for(self, phone: str) -> str:
        """Preston Blair name of a phone (Papagayo's phoneme set): a per-phone name or its first shape's.

        Parameters
        ----------
        phone : str
            ARPAbet symbol.

        Returns
        -------
        str
        """
        name = normalise_phone(phone)
        if name in self.preston_blair_phones:
            return self.preston_blair_phones[name]
        return self.shapes[self.shapes_for(name)[0]].preston_blair


def normalise_phone(phone: str) -> str:
    """Canonical phone symbol: upper case, stress digits dropped, silences and fillers as ``SIL``.

    Parameters
    ----------
    phone : str
        As a recogniser or dictionary writes it (``"ay1"``, ``"+NSN+"``, ``"<sil>"``).

    Returns
    -------
    str
    """
    name = str(phone).strip().upper().rstrip("012")
    if name in _SILENCE_ALIASES or name[:1] in "+<[":
        return "SIL"
    return name


def _default_doc() -> dict[str, Any]:
    ref = resources.files("choreography") / "data" / "mouth_shapes.json"
    return json.loads(ref.read_text(encoding="utf-8"))


def _read_doc(path: Path) -> dict[str, Any]:
    try:
        return read_json_object(path, what="mouth mapping")
    except ChoreoError as exc:
        if "not a JSON object" in exc.message:
            raise ChoreoError("mouth mapping must be a JSON object with 'phones' and/or 'shapes'", path=path) from None
        raise


def _merge_doc(base: dict[str, Any], doc: dict[str, Any], where: str | Path) -> None:
    """Validate ``doc`` entry by entry and apply it onto ``base`` (shapes, phones, Preston Blair names)."""

    def fail(entry: str, why: str) -> ChoreoError:
        return ChoreoError(f"entry {entry}: {why}", path=where)

    for key in doc:
        if key not in _MAPPING_KEYS:
            raise fail(key, f"unknown key (expected {', '.join(sorted(_MAPPING_KEYS))})")
    if "schema" in doc and doc["schema"] != MAPPING_SCHEMA:
        raise fail("schema", f"is {doc['schema']!r}, expected {MAPPING_SCHEMA!r}")
    letters = " ".join(SHAPES)
    shapes = doc.get("shapes", {})
    if not isinstance(shapes, dict):
        raise fail("shapes", "must be an object of shape letter -> {preston_blair, open, description}")
    for letter, info in shapes.items():
        if letter not in SHAPES:
            raise fail(f"shapes.{letter}", f"unknown shape letter {letter!r} (expected one of {letters})")
        if not isinstance(info, dict):
            raise fail(f"shapes.{letter}", "must be an object with preston_blair, open, description")
        for k, v in info.items():
            entry = f"shapes.{letter}.{k}"
            if k not in _SHAPE_KEYS:
                raise fail(entry, f"unknown field (expected {', '.join(sorted(_SHAPE_KEYS))})")
            if k == "open" and (isinstance(v, bool) or not isinstance(v, (int, float))
                                or not math.isfinite(v) or not 0.0 <= v <= 1.0):
                raise fail(entry, f"open = {v!r} must be a number in 0..1")
            if k == "preston_blair" and (not isinstance(v, str) or not v or any(c.isspace() for c in v)):
                raise fail(entry, f"{v!r} must be a non-empty name without spaces (it becomes a switch layer)")
            if k == "description" and not isinstance(v, str):
                raise fail(entry, "must be a string")
        base["shapes"].setdefault(letter, {}).update(info)
    phones = doc.get("phones", {})
    if not isinstance(phones, dict):
        raise fail("phones", "must be an object of ARPAbet phone -> shape letter (or [start, end] letters)")
    for phone, value in phones.items():
        entry = f"phones.{phone}"
        if phone not in PHONES:
            raise fail(entry, f"unknown phone {phone!r} (expected ARPAbet without stress digits: {' '.join(PHONES)})")
        seq = [value] if isinstance(value, str) else value
        if not isinstance(seq, list) or not 1 <= len(seq) <= 2:
            raise fail(entry, f"{value!r} must be a shape letter or a list of two (start, end)")
        for s in seq:
            if s not in SHAPES:
                raise fail(entry, f"unknown shape {s!r} (expected one of {letters})")
        base["phones"][phone] = tuple(seq)
    names = doc.get("preston_blair_phones", {})
    if not isinstance(names, dict):
        raise fail("preston_blair_phones", "must be an object of ARPAbet phone -> Preston Blair name")
    for phone, name in names.items():
        entry = f"preston_blair_phones.{phone}"
        if phone not in PHONES:
            raise fail(entry, f"unknown phone {phone!r} (expected ARPAbet without stress digits)")
        if not isinstance(name, str) or not name or any(c.isspace() for c in name):
            raise fail(entry, f"{name!r} must be a non-empty name without spaces")
        base["preston_blair_phones"][phone] = name


def _build(base: dict[str, Any], source: str, where: str | Path) -> MouthMapping:
    for letter in SHAPES:
        info = base["shapes"].get(letter, {})
        missing = _SHAPE_KEYS - set(info)
        if missing:
            raise ChoreoError(f"entry shapes.{letter}: missing {', '.join(sorted(missing))}", path=where)
    missing_phones = [p for p in PHONES if p not in base["phones"]]
    if missing_phones:
        raise ChoreoError(f"entry phones: no shape for {' '.join(missing_phones)}", path=where)
    shapes = {k: ShapeInfo(k, str(v["preston_blair"]), str(v["description"]), float(v["open"]))
              for k, v in sorted(base["shapes"].items())}
    return MouthMapping(shapes=MappingProxyType(shapes),
                        phones=MappingProxyType(dict(base["phones"])),
                        preston_blair_phones=MappingProxyType(dict(base["preston_blair_phones"])),
                        source=source)


@functools.lru_cache(maxsize=1)
def _default_mapping() -> MouthMapping:
    base: dict[str, Any] = {"shapes": {}, "phones": {}, "preston_blair_phones": {}}
    _merge_doc(base, _default_doc(), "choreography/data/mouth_shapes.json")
    return _build(base, "default", "choreography/data/mouth_shapes.json")


def load_mapping(path: str | Path | None = None) -> MouthMapping:
    """Load the phone-to-mouth-shape mapping: the bundled default, with a user's JSON file applied on top.

    Parameters
    ----------
    path : str or Path, optional
        A JSON file laid out like ``choreography/data/mouth_shapes.json``: ``"phones"`` (phone -> letter or
        [start, end] letters), ``"shapes"`` (letter -> any of ``preston_blair``, ``open`` 0..1,
        ``description``) and ``"preston_blair_phones"`` (phone -> name). Any entry may be left out; those
        given replace the default's. ``None`` gives the default.

    Returns
    -------
    MouthMapping

    Raises
    ------
    ChoreoError
        Naming the file and the entry: unknown phone or shape letter, ``open`` outside 0..1, unknown key,
        unreadable or invalid JSON.

    Examples
    --------
    >>> load_mapping().shapes_for("AY1")
    ('D', 'B')
    """
    if path is None:
        return _default_mapping()
    p = Path(path)
    default = _default_mapping()
    base: dict[str, Any] = {
        "shapes": {k: {"preston_blair": v.preston_blair, "open": v.open, "description": v.description}
                   for k, v in default.shapes.items()},
        "phones": dict(default.phones),
        "preston_blair_phones": dict(default.preston_blair_phones),
    }
    _merge_doc(base, _read_doc(p), p)
    return _build(base, str(p), p)


def preston_blair(shape: str, mapping: MouthMapping | None = None) -> str:
    """Preston Blair name of a Rhubarb shape (``A`` -> ``MBP`` ... ``X`` -> ``rest``).

    Parameters
    ----------
    shape : str
        A letter of ``SHAPES``.
    mapping : MouthMapping, optional
        Default: :func:`load_mapping` ``()``.

    Returns
    -------
    str

    Raises
    ------
    ChoreoError
        When ``shape`` is not a Rhubarb shape letter.
    """
    m = mapping or _default_mapping()
    if shape not in m.shapes:
        raise ChoreoError(f"mouth shape {shape!r} is not one of {' '.join(SHAPES)}")
    return m.shapes[shape].preston_blair


def describe_shapes(mapping: MouthMapping | None = None) -> list[tuple[str, str, str]]:
    """The shape table for documentation and the command line.

    Parameters
    ----------
    mapping : MouthMapping, optional
        Default: :func:`load_mapping` ``()``.

    Returns
    -------
    list of (letter, Preston Blair name, description)
        In the order ``A`` .. ``H``, ``X``.
    """
    m = mapping or _default_mapping()
    return [(k, m.shapes[k].preston_blair, m.shapes[k].description) for k in SHAPES]


@dataclass
class _Seg:
    """A span being shaped; times are seconds until quantised, then frames."""

    start: float
    end: float
    shape: str
    rank: int
    sustained: bool = False
    anticipate: bool = False

    @property
    def length(self) -> float:
        return self.end - self.start


def _rank(phone: str, shape: str) -> int:
    if shape == "X":
        return _REST
    if shape == "A":
        return _CLOSED
    return _VOWEL if phone in VOWELS else _CONSONANT


def _phone_segments(phones: Sequence[Phone], mapping: MouthMapping, duration_s: float,
                    sustain_s: float) -> list[_Seg]:
    """Rule 1: a contiguous list of segments from 0 to ``duration_s`` (gaps as rest)."""
    timed = []
    for k, p in enumerate(phones):
        start, end = float(p.start), float(p.end)
        if not (math.isfinite(start) and math.isfinite(end)):
            raise ChoreoError(f"phones[{k}] ({p.phone!r}) has a time that is not a finite number of seconds")
        if start > 10.0 * duration_s + 1.0:
            raise ChoreoError(f"phones[{k}] ({p.phone!r}) starts at {start:g} s, far after the song ends "
                              f"({duration_s:g} s); did you pass frames or milliseconds instead of seconds?")
        name = normalise_phone(p.phone)
        shapes = mapping.shapes_for(name)
        timed.append((max(0.0, start), min(duration_s, end), name, shapes))
    timed.sort(key=lambda x: (x[0], x[1]))
    segs: list[_Seg] = []
    t = 0.0
    for start, end, name, shapes in timed:
        start = max(start, t)
        if end <= start:
            continue
        if start > t:
            segs.append(_Seg(t, start, "X", _REST))
        dur = end - start
        sustained = name in VOWELS and dur > sustain_s
        if len(shapes) == 2 and shapes[0] != shapes[1]:
            if name in VOWELS:
                tail = min(0.3 * dur, 0.12) if sustained else 0.4 * dur
            else:
                tail = 0.5 * dur
            split = end - tail
            segs.append(_Seg(start, split, shapes[0], _rank(name, shapes[0]), sustained, name in VOWELS))
            segs.append(_Seg(split, end, shapes[1], _rank(name, shapes[1]), sustained))
        else:
            segs.append(_Seg(start, end, shapes[0], _rank(name, shapes[0]), sustained, name in VOWELS))
        t = end
    if t < duration_s or not segs:
        segs.append(_Seg(t, duration_s, "X", _REST))
    return segs


def _bridge_short_rests(segs: list[_Seg], rest_gap_s: float) -> list[_Seg]:
    """Rule 2: merge neighbouring rests; a short rest inside a phrase holds the previous shape."""
    merged: list[_Seg] = []
    for s in segs:
        if merged and s.rank == _REST and merged[-1].rank == _REST:
            merged[-1].end = s.end
        else:
            merged.append(s)
    out: list[_Seg] = []
    for i, s in enumerate(merged):
        inside = 0 < i < len(merged) - 1
        if s.rank == _REST and inside and s.length <= rest_gap_s:
            out[-1].end = s.end
        else:
            out.append(s)
    return out


def _anticipate(segs: list[_Seg], anticipation_s: float) -> None:
    """Rule 3: vowels start early, taking at most half of the segment before them.

    Not after a lip closure: the lips part when P, B or M releases, which is when the vowel sounds.
    """
    if anticipation_s <= 0:
        return
    for i in range(1, len(segs)):
        s, prev = segs[i], segs[i - 1]
        if s.anticipate and prev.rank != _CLOSED:
            new_start = max(s.start - anticipation_s, 0.5 * (prev.start + s.start))
            prev.end = s.start = new_start


def _quantise(segs: list[_Seg], fps: Fraction, end_frame: int, twos: bool) -> list[_Seg]:
    """Rule 4: boundaries to frames (even frames on twos), empty spans dropped."""
    bounds = [0] + [seconds_to_frame(s.end, fps) for s in segs[:-1]] + [end_frame]
    bounds = [min(max(b, 0), end_frame) for b in bounds]
    step = 2 if twos else 1
    if twos:
        bounds = bounds[:1] + [b - b % 2 for b in bounds[1:-1]] + bounds[-1:]
    for k, s in enumerate(segs):
        # A lip closure shorter than half a frame would vanish; the lips must still close on screen.
        if s.rank == _CLOSED and bounds[k + 1] == bounds[k]:
            if k + 2 < len(bounds) and bounds[k + 2] - bounds[k + 1] >= step:
                bounds[k + 1] += step
            elif k > 0 and bounds[k] - bounds[k - 1] >= step:
                bounds[k] -= step
    out = []
    for s, a, b in zip(segs, bounds[:-1], bounds[1:], strict=True):
        if b > a:
            out.append(_Seg(a, b, s.shape, s.rank, s.sustained))
    return out


def _merge_same(cues: list[_Seg]) -> None:
    i = 1
    while i < len(cues):
        a, b = cues[i - 1], cues[i]
        if a.shape == b.shape:
            a.end, a.rank, a.sustained = b.end, max(a.rank, b.rank), a.sustained or b.sustained
            del cues[i]
        else:
            i += 1


def _drop_chatter(cues: list[_Seg], max_frames: int) -> None:
    """Rule 5: inside a held note, short non-closing interruptions between the same shape go."""
    i = 1
    while i < len(cues) - 1:
        a, m, b = cues[i - 1], cues[i], cues[i + 1]
        if (a.shape == b.shape and (a.sustained or b.sustained) and m.rank in (_CONSONANT, _VOWEL)
                and not m.sustained and m.length < max_frames):
            a.end, a.rank, a.sustained = b.end, max(a.rank, b.rank), True
            del cues[i:i + 2]
        else:
            i += 1


def _grow(cues: list[_Seg], i: int, min_len: int, step: int) -> bool:
    """Take spare frames from neighbours of lower or equal rank so cue ``i`` reaches ``min_len``."""
    need = -(-(min_len - cues[i].length) // step) * step
    spare = {}
    for j in (i - 1, i + 1):
        if 0 <= j < len(cues) and cues[j].rank <= cues[i].rank:
            s = int(cues[j].length - min_len)
            if s >= step:
                spare[j] = s - s % step
    if sum(spare.values()) < need:
        return False
    for j in sorted(spare, key=lambda j: (cues[j].rank, -spare[j], j)):
        take = min(spare[j], need)
        if j < i:
            cues[j].end -= take
            cues[i].start -= take
        else:
            cues[j].start += take
            cues[i].end += take
        need -= take
        if need <= 0:
            break
    return True


def _absorb(cues: list[_Seg], i: int) -> None:
    """Give cue ``i``'s frames to its higher-ranked neighbour (the next one on a tie: mouths lead sound)."""
    nbrs = [j for j in (i + 1, i - 1) if 0 <= j < len(cues)]
    j = max(nbrs, key=lambda j: (cues[j].rank, j > i))
    if j > i:
        cues[j].start = cues[i].start
    else:
        cues[j].end = cues[i].end
    del cues[i]


def _enforce_min_hold(cues: list[_Seg], min_len: int, step: int) -> None:
    """Rule 6: no cue shorter than ``min_len`` frames, except a final rest."""
    while True:
        _merge_same(cues)
        n = len(cues)
        short = [i for i, c in enumerate(cues)
                 if n > 1 and c.length < min_len and not (i == n - 1 and c.rank == _REST)]
        if not short:
            return
        i = min(short, key=lambda i: (cues[i].length, i))
        if not _grow(cues, i, min_len, step):
            _absorb(cues, i)


def _loudness_level(loudness: tuple[float, Any] | None) -> tuple[float, np.ndarray] | None:
    if loudness is None:
        return None
    try:
        rate_hz, values = float(loudness[0]), np.asarray(loudness[1], dtype=np.float64)
    except (TypeError, ValueError, IndexError) as exc:
        raise ChoreoError(f"loudness must be (rate_hz, values 0..1) ({exc})") from None
    if not math.isfinite(rate_hz) or rate_hz <= 0:
        raise ChoreoError(f"loudness rate_hz = {rate_hz!r} must be a positive number of samples per second")
    if values.ndim != 1:
        raise ChoreoError(f"loudness values must be one-dimensional (got shape {values.shape})")
    if not np.all(np.isfinite(values)):
        raise ChoreoError("loudness values contain NaN or infinity")
    if values.size == 0:
        return None  # no curve measured: base openness, as without loudness
    return rate_hz, np.clip(values, 0.0, 1.0)


def mouth_cues(phones: Sequence[Phone], *, fps: Fraction, duration_s: float,
               loudness: tuple[float, np.ndarray] | None = None, mapping: MouthMapping | None = None,
               twos: bool = False, anticipation_s: float = 0.04, min_hold_frames: int = 2,
               rest_gap_s: float = 0.25, sustain_s: float = 0.35) -> list[MouthCue]:
    """Turn timed phones into mouth cues on the frame grid (the timing rules in the module docstring).

    Parameters
    ----------
    phones : sequence of Phone
        ARPAbet phones with ``start``/``end`` in seconds (stress digits, ``SIL`` and fillers allowed);
        they may be unsorted, overlap slightly or run past the song's end (they are clipped).
    fps : Fraction
        Frame rate, e.g. ``Fraction(24)`` or ``Fraction(30000, 1001)`` (anything :func:`parse_fps` reads).
    duration_s : float, seconds
        Length of the song; the cues end on ``seconds_to_frame(duration_s, fps)``.
    loudness : (float, np.ndarray [shape=(n,), 0..1]), optional
        ``(rate_hz, values)``: vocal loudness sampled at ``rate_hz`` from t = 0. Each cue's ``open`` is the
        shape's base openness times the mean loudness over the cue (past the curve's end, its last value);
        without it, or with no values, the base openness.
    mapping : MouthMapping, optional
        Phone-to-shape mapping; default :func:`load_mapping` ``()``.
    twos : bool
        Animate on twos: every cue boundary on an even frame (the song's last frame excepted).
    anticipation_s : float, seconds
        How early vowels open before they sound (0.04 s is about one frame at 24 fps).
    min_hold_frames : int, frames
        Shortest cue; shorter ones grow or are absorbed (a final rest may stay shorter).
    rest_gap_s : float, seconds
        Silences and gaps longer than this show the rest shape ``X``; shorter ones hold the shape before.
    sustain_s : float, seconds
        Vowels longer than this are held notes: one shape, no chatter, diphthongs turn late.

    Returns
    -------
    list of MouthCue
        Contiguous from frame 0 to ``seconds_to_frame(duration_s, fps)``; empty when that is frame 0.

    Raises
    ------
    ChoreoError
        On a phone the mapping lacks, non-finite times, times that look like frames or milliseconds, a
        bad loudness pair or out-of-range options.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from audio.model import Phone
    >>> cues = mouth_cues([Phone(0.5, 1.5, "AA")], fps=Fraction(24), duration_s=2.0)
    >>> [(c.start_frame, c.end_frame, c.shape) for c in cues]
    [(0, 11, 'X'), (11, 36, 'D'), (36, 48, 'X')]
    """
    fps = parse_fps(fps)
    mapping = mapping or _default_mapping()
    duration_s = float(duration_s)
    if not math.isfinite(duration_s) or duration_s < 0:
        raise ChoreoError(f"duration_s = {duration_s!r} must be a non-negative number of seconds")
    if int(min_hold_frames) != min_hold_frames or min_hold_frames < 1:
        raise ChoreoError(f"min_hold_frames = {min_hold_frames!r} must be a whole number of frames >= 1")
    for name, value in (("anticipation_s", anticipation_s), ("rest_gap_s", rest_gap_s), ("sustain_s", sustain_s)):
        if not math.isfinite(float(value)) or value < 0:
            raise ChoreoError(f"{name} = {value!r} must be a non-negative number of seconds")
    level = _loudness_level(loudness)
    end_frame = seconds_to_frame(duration_s, fps)
    if end_frame <= 0:
        return []

    segs = _phone_segments(phones, mapping, duration_s, float(sustain_s))
    segs = _bridge_short_rests(segs, float(rest_gap_s))
    _anticipate(segs, float(anticipation_s))
    cues = _quantise(segs, fps, end_frame, twos)
    _merge_same(cues)
    _drop_chatter(cues, max(1, seconds_to_frame(sustain_s, fps)))
    step = 2 if twos else 1
    _enforce_min_hold(cues, -(-int(min_hold_frames) // step) * step, step)

    out = []
    for c in cues:
        opening = mapping.base_open(c.shape)
        if level is not None and opening > 0:
            rate_hz, values = level
            # Loudness samples, not video frames: the window of the curve under this cue.
            i0 = int(math.floor(frame_to_seconds(int(c.start), fps) * rate_hz))
            i1 = max(i0 + 1, int(math.ceil(frame_to_seconds(int(c.end), fps) * rate_hz)))
            opening *= float(values[min(i0, values.size - 1):i1].mean())
        out.append(MouthCue(int(c.start), int(c.end), c.shape, round(min(max(opening, 0.0), 1.0), 4)))
    return out


def build_mouth_track(phones: Sequence[Phone], words: Sequence[Word], *, character: str, fps: Any,
                      duration_s: float, tier: str, confidence: float,
                      loudness: tuple[float, np.ndarray] | None = None, mapping: MouthMapping | None = None,
                      twos: bool = False, provenance: dict[str, Any] | None = None,
                      warnings: Sequence[str] = (), anticipation_s: float = 0.04, min_hold_frames: int = 2,
                      rest_gap_s: float = 0.25, sustain_s: float = 0.35) -> MouthTrack:
    """Build a character's mouth track (``choreo.mouth/1``) from timed phones and words.

    Parameters
    ----------
    phones : sequence of Phone
        Seconds; see :func:`mouth_cues`.
    words : sequence of Word
        Seconds; kept in the track for exporters (Papagayo) and editors.
    character : str
        Character name.
    fps : Fraction, int or str
        Frame rate (``24``, ``"30000/1001"``, ...).
    duration_s : float, seconds
        Song length.
    tier : str
        Which input produced the phones: one of ``TIERS``.
    confidence : float, 0..1
        How sure the timing is.
    loudness, mapping, twos, anticipation_s, min_hold_frames, rest_gap_s, sustain_s
        As for :func:`mouth_cues`.
    provenance : dict, optional
        Recorded in the track; the mouth parameters are added under ``"mouth_cues"``.
    warnings : sequence of str
        Carried into the track.

    Returns
    -------
    MouthTrack

    Raises
    ------
    ChoreoError
        Unknown tier, confidence outside 0..1, empty character name, or anything :func:`mouth_cues` raises.
    """
    if tier not in TIERS:
        raise ChoreoError(f"tier {tier!r} is not one of {', '.join(TIERS)}")
    if not 0.0 <= float(confidence) <= 1.0:
        raise ChoreoError(f"confidence = {confidence!r} must be in 0..1")
    if not str(character).strip():
        raise ChoreoError("character name is empty")
    fps = parse_fps(fps)
    mapping = mapping or _default_mapping()
    cues = mouth_cues(phones, fps=fps, duration_s=duration_s, loudness=loudness, mapping=mapping, twos=twos,
                      anticipation_s=anticipation_s, min_hold_frames=min_hold_frames, rest_gap_s=rest_gap_s,
                      sustain_s=sustain_s)
    prov = dict(provenance or {})
    prov["mouth_cues"] = {"mapping": mapping.source, "twos": bool(twos), "anticipation_s": float(anticipation_s),
                          "min_hold_frames": int(min_hold_frames), "rest_gap_s": float(rest_gap_s),
                          "sustain_s": float(sustain_s), "loudness": loudness is not None}
    return MouthTrack(fps=fps, character=str(character), cues=tuple(cues),
                      words=tuple(sorted(words, key=lambda w: (w.start, w.end))),
                      phonemes=tuple(sorted(phones, key=lambda p: (p.start, p.end))),
                      tier=tier, confidence=float(confidence), provenance=prov, warnings=tuple(warnings))
