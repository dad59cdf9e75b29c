"""The one typeface the render stage draws text with, loaded once per process."""

from __future__ import annotations

import functools
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import skia

FAMILY = "DejaVu Sans"


@contextmanager
def _without_fontconfig_warnings() -> Iterator[None]:
    """Drop the "Fontconfig warning" lines the C library prints on file descriptor 2; pass the rest on.

    skia-python bundles a fontconfig older than Debian's configuration, so the first font lookup prints
    ``Fontconfig warning: ... unknown element "reset-dirs"`` on every run. It is harmless (the element is
    ignored) and would bury real messages, most of all from batch workers, which share one terminal.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            kept = b"".join(line for line in caught.read().splitlines(keepends=True)
                            if not line.startswith(b"Fontconfig warning"))
            if kept:  # byte for byte, so a progress bar drawn meanwhile comes back intact
                os.write(2, kept)


@functools.lru_cache(maxsize=1)
def typeface() -> skia.Typeface:
    """DejaVu Sans when installed, else the platform's default typeface.

    Returns
    -------
    skia.Typeface
    """
    with _without_fontconfig_warnings():
        return skia.Typeface(FAMILY)
