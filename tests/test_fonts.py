"""render.fonts: one typeface, and fontconfig's version warning kept off the user's terminal."""

from __future__ import annotations

import os

from render.fonts import _without_fontconfig_warnings, typeface


def test_fontconfig_warnings_are_dropped_and_the_rest_kept_byte_for_byte(capfd):
    with _without_fontconfig_warnings():
        os.write(2, b'Fontconfig warning: "x.conf", line 6: unknown element "reset-dirs"\nreal problem\n\rbar 50%')
    assert capfd.readouterr().err == "real problem\n\rbar 50%"


def test_typeface_is_loaded_once():
    assert typeface() is typeface()
    assert typeface().getFamilyName()
