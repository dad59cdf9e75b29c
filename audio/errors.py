"""The one user-facing exception family.

It lives in the lowest layer (``audio`` imports no other package of the project) so that every
stage can raise it; ``engine`` re-uses it and the CLI turns it into one clear line.
"""

from __future__ import annotations

from pathlib import Path


class ChoreoError(Exception):
    """A problem the user can fix: bad input, a bad option, an artefact that does not validate.

    Parameters
    ----------
    message : str
        What is wrong, phrased for the user.
    path : str or Path, optional
        The file the problem is about; it is named first in the message.
    """

    def __init__(self, message: str, *, path: str | Path | None = None):
        self.path = None if path is None else str(path)
        self.message = message
        super().__init__(f"{self.path}: {message}" if self.path else message)


class InputError(ChoreoError):
    """An input file is missing, unreadable, of an unsupported kind or unusable for analysis."""


class SchemaError(ChoreoError):
    """An artefact is not a valid document of the schema it claims."""


class MidiMismatchError(InputError):
    """A MIDI file does not agree with the audio it is meant to describe."""


def did_you_mean(name: str, choices, *, cutoff: float = 0.6) -> str:
    """A hint naming the closest of ``choices`` to a misspelt ``name``, or an empty string.

    Parameters
    ----------
    name : str
    choices : iterable
    cutoff : float
        Least similarity (0..1, :func:`difflib.get_close_matches`) for a suggestion.

    Returns
    -------
    str
        `` (did you mean 'x'?)`` or ``""``.
    """
    import difflib

    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=cutoff)
    return f" (did you mean {close[0]!r}?)" if close else ""


def finite_number(value) -> float | None:
    """``value`` as a float when it is a finite JSON number (not a boolean), else None.

    Parameters
    ----------
    value : object

    Returns
    -------
    float or None
    """
    import math

    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)
