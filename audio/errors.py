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
