"""Pins: validation naming the pin, and pins honoured exactly by the plan."""

import json

import numpy as np
import pytest

from audio.errors import ChoreoError
from choreography.pins import apply_pins, check_pins, honoured, load_pins, pinned_energy
from choreography.plan import cost_arrays, decode, placements
from tests.test_plan import _beats, _moves


def _write(tmp_path, pins, schema="choreo.pins/1"):
    p = tmp_path / "pins.json"
    p.write_text(json.dumps({"schema": schema, "pins": pins}))
    return p


def _tags(mv):
    return {"accent": mv.accent, "hold": mv.hold, "calm": mv.calm, "arms": np.array([False, False, True, False])}


def _solve(pins, mv, bf):
    tags = _tags(mv)
    check_pins(pins, bf, mv, tags, n_sections=2)
    target = pinned_energy(pins.pins, bf, 0.5 * (bf.energy + bf.intensity))
    emit, start, trans = cost_arrays(bf, mv, energy_target=target)
    apply_pins(list(pins.pins), bf, mv, tags, emit, start)
    plan = placements(decode(emit, start, trans, mv.beats), mv, bf.n)
    honoured(list(pins.pins), bf, plan)
    return plan


def test_move_pins_are_honoured_exactly(tmp_path):
    mv = _moves()
    bf = _beats()
    pins = load_pins(_write(tmp_path, [{"type": "move", "move": "jump", "bar": 3},
                                       {"type": "move", "move": "clap", "bar": 6}]))
    plan = _solve(pins, mv, bf)
    assert any(p.move == "jump" and p.start_beat == 8 for p in plan)
    assert any(p.move == "clap" and p.start_beat == 20 for p in plan)


def test_hold_energy_and_style_pins(tmp_path):
    mv = _moves()
    bf = _beats()
    bf = bf.__class__(**{**bf.__dict__, "section": (np.arange(32) >= 16).astype(int)})
    pins = load_pins(_write(tmp_path, [{"type": "hold", "section": 1}, {"type": "energy", "section": 0,
                                                                         "energy": 0.95}]))
    plan = _solve(pins, mv, bf)
    assert all(p.move == "freeze" for p in plan if p.start_beat >= 16)
    assert "jump" in {p.move for p in plan if p.start_beat < 16}
    def clap_beats(pin_list):
        plan = _solve(load_pins(_write(tmp_path, pin_list)), mv, bf)
        return sum(p.n_beats for p in plan if p.start_beat < 16 and p.move == "clap")

    # a style pin is a preference, not a constraint: the arms move gains ground in its section
    assert clap_beats([{"type": "style", "section": 0, "tags": ["arms"]}]) > clap_beats([]) + 2


@pytest.mark.parametrize("pin,msg", [
    ({"type": "dance"}, "'type' must be one of"),
    ({"type": "move", "bar": 2}, "field 'move' is missing"),
    ({"type": "move", "move": "jump", "bar": -1}, "whole bar number"),
    ({"type": "energy", "section": 0, "energy": 3}, "in 0..1"),
])
def test_bad_pin_files_name_the_pin(tmp_path, pin, msg):
    with pytest.raises(ChoreoError, match=msg) as err:
        load_pins(_write(tmp_path, [pin]))
    assert "pins.json" in str(err.value) and "pins[0]" in str(err.value)


@pytest.mark.parametrize("pins,msg", [
    ([{"type": "move", "move": "moonwalk", "bar": 2}], "unknown move 'moonwalk'"),
    ([{"type": "move", "move": "jump", "bar": 99}], "bar 99 is not in the song"),
    ([{"type": "move", "move": "jump", "bar": 2}, {"type": "move", "move": "clap", "bar": 2}], "already pinned"),
    ([{"type": "hold", "section": 5}], "section 5 does not exist"),
    ([{"type": "style", "section": 0, "tags": ["tap"]}], "unknown tag 'tap'"),
])
def test_pins_that_do_not_fit_the_song(tmp_path, pins, msg):
    mv = _moves()
    with pytest.raises(ChoreoError, match=msg):
        check_pins(load_pins(_write(tmp_path, pins)), _beats(), mv, _tags(mv), n_sections=2)


def test_contradicting_pins_are_an_error(tmp_path):
    mv = _moves()
    bf = _beats()
    pins = load_pins(_write(tmp_path, [{"type": "hold", "section": 0, "move": "freeze"},
                                       {"type": "move", "move": "jump", "bar": 2}]))
    with pytest.raises(ChoreoError, match="no possible choreography|contradicts"):
        _solve(pins, mv, bf)
