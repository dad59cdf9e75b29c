"""Artist pins: what the solver must keep (schema ``choreo.pins/1``).

A pins file is ``{"schema": "choreo.pins/1", "pins": [...]}``; each pin has a ``type``:

- ``move``: ``{"type": "move", "move": NAME, "bar": N, "character": NAME?}``: this move starts on beat 1 of
  bar N;
- ``hold``: ``{"type": "hold", "section": I, "move": NAME?, "character": NAME?}``: only hold moves (or the
  named move) during section I (0-based, in analysis order);
- ``energy``: ``{"type": "energy", "section": I, "energy": 0..1}``: dance this section at this energy;
- ``style``: ``{"type": "style", "section": I, "tags": [TAG, ...]}``: prefer moves with these tags there;
- ``lock``: ``{"type": "lock", "character": NAME, "from_frame": A, "to_frame": B}``: keep that character's
  keyframes from the previous choreography (given to the solver) between frames A and B inclusive.

A pin without ``character`` applies to every character. Pins are honoured exactly: they turn costs
infinite where they forbid something (a move pin gives its move an overwhelming bonus at its beat, so no
plan without it can win), and a set of pins that leaves no plan is an error naming the pins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from audio.errors import ChoreoError, did_you_mean
from audio.files import read_json_object
from choreography.music import BeatFeatures
from choreography.plan import MoveArrays

PINS_SCHEMA = "choreo.pins/1"
PIN_TYPES = ("move", "hold", "energy", "style", "lock")
FORCE_BONUS = 1.0e6
STYLE_COST = 2.0


@dataclass(frozen=True)
class Pin:
    """One validated pin (fields unused by its type are None)."""

    type: str
    character: str | None = None
    move: str | None = None
    bar: int | None = None
    section: int | None = None
    energy: float | None = None
    tags: tuple[str, ...] = ()
    from_frame: int | None = None
    to_frame: int | None = None
    index: int = 0


@dataclass(frozen=True)
class Pins:
    """A validated set of pins and where it came from."""

    pins: tuple[Pin, ...] = ()
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def for_character(self, character: str) -> list[Pin]:
        """The pins that apply to a character."""
        return [p for p in self.pins if p.character in (None, character)]


def load_pins(path: str | Path) -> Pins:
    """Read and validate a pins file (structure only; :func:`check_pins` checks it against a song).

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    Pins

    Raises
    ------
    ChoreoError
        Naming the file and the pin (its index and type) for every problem.
    """
    return pins_from_dict(read_json_object(path, what="pins"), path=path)


def pins_from_dict(doc: dict[str, Any], *, path: str | Path) -> Pins:
    """Validate a parsed pins document (what :func:`load_pins` does after reading the file).

    Parameters
    ----------
    doc : dict
        A ``choreo.pins/1`` document.
    path : str or Path
        The file it is (or will be) kept in, named in messages and recorded as the pins' source.

    Returns
    -------
    Pins

    Raises
    ------
    ChoreoError
        Naming the file and the pin (its index and type) for every problem.
    """
    if doc.get("schema") != PINS_SCHEMA:
        raise ChoreoError(f"pins schema is {doc.get('schema')!r}, expected {PINS_SCHEMA!r}", path=path)
    raw = doc.get("pins")
    if not isinstance(raw, list):
        raise ChoreoError("field 'pins' must be a list", path=path)
    out = []
    for i, d in enumerate(raw):
        where = f"pins[{i}]"
        if not isinstance(d, dict) or d.get("type") not in PIN_TYPES:
            raise ChoreoError(f"{where}: 'type' must be one of {', '.join(PIN_TYPES)}", path=path)
        t = d["type"]
        need = {"move": ("move", "bar"), "hold": ("section",), "energy": ("section", "energy"),
                "style": ("section", "tags"), "lock": ("character", "from_frame", "to_frame")}[t]
        for k in need:
            if d.get(k) is None:
                raise ChoreoError(f"{where} ({t}): field '{k}' is missing", path=path)
        for k in ("move", "character"):
            if k in d and (not isinstance(d[k], str) or not d[k]):
                raise ChoreoError(f"{where} ({t}): '{k}' must be a name, not {d[k]!r}", path=path)
        bar, section, energy = d.get("bar"), d.get("section"), d.get("energy")
        if bar is not None and (not _whole(bar) or bar < 0):
            raise ChoreoError(f"{where} ({t}): 'bar' must be a whole bar number >= 0", path=path)
        if section is not None and (not _whole(section) or section < 0):
            raise ChoreoError(f"{where} ({t}): 'section' must be a section index >= 0", path=path)
        if energy is not None and (isinstance(energy, bool) or not isinstance(energy, int | float)
                                   or not 0 <= energy <= 1):
            raise ChoreoError(f"{where} ({t}): 'energy' must be a number in 0..1", path=path)
        fa, fb = d.get("from_frame"), d.get("to_frame")
        if t == "lock" and not (_whole(fa) and _whole(fb) and 0 <= fa <= fb):
            raise ChoreoError(f"{where} ({t}): 'from_frame' and 'to_frame' must be frames with from <= to", path=path)
        tags = d.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(x, str) for x in tags):
            raise ChoreoError(f"{where} ({t}): 'tags' must be a list of tag names", path=path)
        out.append(Pin(type=t, character=d.get("character"), move=d.get("move"), bar=bar, section=section,
                       energy=None if energy is None else float(energy), tags=tuple(tags), from_frame=fa,
                       to_frame=fb, index=i))
    return Pins(tuple(out), source=str(path))


def _whole(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def honoured(pins: list[Pin], bf: BeatFeatures, plan: list) -> None:
    """Raise when a decoded plan misses a move pin (other pins constrain costs and cannot be missed).

    Parameters
    ----------
    pins : list of Pin
    bf : BeatFeatures
    plan : list of choreography.plan.Placement

    Raises
    ------
    ChoreoError
    """
    starts = {(pl.start_beat, pl.move) for pl in plan}
    for p in pins:
        if p.type == "move":
            b = int(np.flatnonzero((bf.bar == p.bar) & bf.downbeat)[0])
            if (b, p.move) not in starts:
                raise ChoreoError(f"pins[{p.index}] (move): {p.move!r} at bar {p.bar} contradicts the other pins "
                                  "(e.g. a hold or another move across that bar)")


def check_pins(pins: Pins, bf: BeatFeatures, moves: MoveArrays, tags: dict[str, np.ndarray],
               n_sections: int) -> None:
    """Check pins against a song and a move library; raise naming the pin when one cannot be honoured.

    Parameters
    ----------
    pins : Pins
    bf : BeatFeatures
    moves : MoveArrays
    tags : dict of str to np.ndarray [shape=(n_moves,), bool]
        Which moves carry each tag.
    n_sections : int

    Raises
    ------
    ChoreoError
    """
    last_bar = int(bf.bar.max(initial=0))
    seen: dict[tuple[str | None, int], str] = {}
    for p in pins.pins:
        where = f"pins[{p.index}] ({p.type})"
        if p.move is not None and p.move not in moves.names:
            raise ChoreoError(f"{where}: unknown move {p.move!r}{did_you_mean(p.move, moves.names)}",
                              path=pins.source or None)
        if p.bar is not None:
            if not np.any((bf.bar == p.bar) & bf.downbeat):
                raise ChoreoError(f"{where}: bar {p.bar} is not in the song (bars 1..{last_bar})",
                                  path=pins.source or None)
            key = (p.character, p.bar)
            if key in seen and seen[key] != p.move:
                raise ChoreoError(f"{where}: bar {p.bar} is already pinned to {seen[key]!r}", path=pins.source or None)
            seen[key] = p.move
        if p.section is not None and p.section >= n_sections:
            raise ChoreoError(f"{where}: section {p.section} does not exist (the song has {n_sections})",
                              path=pins.source or None)
        for t in p.tags:
            if t not in tags:
                raise ChoreoError(f"{where}: unknown tag {t!r} (known: {', '.join(sorted(tags))})",
                                  path=pins.source or None)


def apply_locks(pins: list[Pin], tracks: dict, previous, character: str, duration_frames: int) -> dict:
    """Replace a character's keys inside locked frame ranges by the previous choreography's.

    Inside ``[from_frame, to_frame]`` every frame gets a key with the previous choreography's value there,
    so the locked stretch is exactly what it was; outside it the new keys stay.

    Parameters
    ----------
    pins : list of Pin
    tracks : dict of str to Track
        The new keyframes.
    previous : Choreography or None
    character : str
    duration_frames : int

    Returns
    -------
    dict of str to Track

    Raises
    ------
    ChoreoError
        A lock pin without a previous choreography, or one beyond the song's frames.
    """
    from choreography.model import Track
    from choreography.sampling import sample_track

    locks = [p for p in pins if p.type == "lock"]
    if not locks:
        return tracks
    if previous is None:
        raise ChoreoError(f"pins[{locks[0].index}] (lock) needs the previous choreography to keep "
                          "(choreo choreograph --previous OLD.choreography.json)")
    out = dict(tracks)
    for p in locks:
        if p.to_frame >= duration_frames:
            raise ChoreoError(f"pins[{p.index}] (lock): frame {p.to_frame} is past the song's last frame "
                              f"({duration_frames - 1})")
        for name in sorted(k for k in set(tracks) | set(previous.tracks) if k.startswith(f"{character}/")):
            old = previous.tracks.get(name)
            new = out.get(name)
            if old is None:
                continue
            a, b = p.from_frame, p.to_frame
            old_vals = sample_track(old, b + 1)
            keep = [(f, v, e) for f, v, e in zip(new.frames, new.values, new.interp, strict=True)
                    if f < a or f > b] if new is not None else []
            # Every locked frame gets the previous value as a key: exact at every frame, whatever the eases.
            inside = [(f, float(old_vals[f]), "linear") for f in range(a, b + 1)]
            keys = sorted(keep + inside)
            out[name] = Track(tuple(k[0] for k in keys), tuple(k[1] for k in keys), tuple(k[2] for k in keys))
    return out


def pinned_energy(pins: list[Pin], bf: BeatFeatures, target: np.ndarray) -> np.ndarray:
    """The energy target with the energy pins applied.

    Parameters
    ----------
    pins : list of Pin
    bf : BeatFeatures
    target : np.ndarray [shape=(n_beats,), 0..1]

    Returns
    -------
    np.ndarray [shape=(n_beats,), 0..1]
    """
    out = np.array(target, dtype=np.float64)
    for p in pins:
        if p.type == "energy":
            out[bf.section == p.section] = p.energy
    return out


def apply_pins(pins: list[Pin], bf: BeatFeatures, moves: MoveArrays, tags: dict[str, np.ndarray],
               emit: np.ndarray, start: np.ndarray) -> None:
    """Apply a character's move, hold and style pins to its cost arrays, in place.

    Parameters
    ----------
    pins : list of Pin
        Already checked with :func:`check_pins`.
    bf : BeatFeatures
    moves : MoveArrays
    tags : dict of str to np.ndarray
    emit, start : np.ndarray [shape=(n_moves, n_beats)]
    """
    index = {n: i for i, n in enumerate(moves.names)}
    for p in pins:
        in_section = bf.section == p.section if p.section is not None else None
        if p.type == "move":
            b = int(np.flatnonzero((bf.bar == p.bar) & bf.downbeat)[0])
            start[index[p.move], b] -= FORCE_BONUS
        elif p.type == "hold":
            allowed = np.zeros(len(moves.names), dtype=bool)
            if p.move is not None:
                allowed[index[p.move]] = True
            else:
                allowed = moves.hold.copy()
            emit[np.ix_(~allowed, in_section)] = np.inf
        elif p.type == "style":
            has = np.zeros(len(moves.names), dtype=bool)
            for t in p.tags:
                has |= tags[t]
            emit[np.ix_(~has, in_section)] += STYLE_COST
