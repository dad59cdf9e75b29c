"""Benchmark the choreography solver: warm solve time for 3- and 10-minute songs, a 200-move library,
with pins, a crowd of 50 dancers, and the decoder kernel against its plain reference on the same input.

Usage: python benchmarks/bench_choreography.py
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _song(minutes: float, tmp: Path):
    """An analysis of a synthesized song of about this length (beats and bars from its MIDI: fast, exact)."""
    import soundfile as sf

    from audio.analysis import analyze
    from audio.params import AnalysisParams
    from tests.material.synth import SongSpec, synthesize, write_midi

    bars = int(minutes * 60 * 120 / 60 / 4)
    form = tuple((k, 8) for k in (["intro"] + ["verse", "chorus"] * (bars // 16 + 1))[: max(2, bars // 8)])
    song = synthesize(SongSpec(form=form, bpm=120, seed=1))
    wav, mid = tmp / f"s{minutes}.wav", tmp / f"s{minutes}.mid"
    sf.write(str(wav), song.y, song.sr)
    write_midi(song, mid)
    return analyze(wav, AnalysisParams(backend="librosa"), midi=mid)


def _big_library(lib, n: int):
    """A library of ``n`` moves: the default one plus renamed copies with shifted energies."""
    from choreography.moves import moves_from_dict

    doc = lib.to_dict()
    base = list(doc["moves"])
    out = []
    for i in range(n):
        m = dict(base[i % len(base)])
        m["name"] = f"{m['name']}_{i}"
        m["energy"] = float(np.clip(m["energy"] + 0.05 * ((i // len(base)) % 3 - 1), 0, 1))
        m.pop("twin", None)
        out.append(m)
    doc["moves"] = out
    return moves_from_dict(doc)


def _time(fn, repeat=5):
    fn()
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    from choreography import _kernels
    from choreography.moves import load_moves
    from choreography.pins import load_pins
    from choreography.rig import load_rig
    from choreography.solver import solve
    from tests.reference import choreography_kernels as ref

    lib = load_moves()
    rigs = {"ada": load_rig("ada")}
    print("== choreography solver (warm: best of 5 after one run; 2-core machine)")
    print(f"{'case':40s} {'beats':>6s} {'moves':>6s} {'solve ms':>9s}")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        three = _song(3.0, tmp)
        pins = tmp / "pins.json"
        pins.write_text(json.dumps({"schema": "choreo.pins/1", "pins": [
            {"type": "move", "move": "star_jump", "bar": 9}, {"type": "hold", "section": 0},
            {"type": "energy", "section": 2, "energy": 0.9}]}))
        pin_set = load_pins(pins)
        ten = _song(10.0, tmp)
        big = _big_library(lib, 200)
        rows = [("3-minute song, default library", three, lib, None),
                ("3-minute song, default library, pins", three, lib, pin_set),
                ("10-minute song, default library", ten, lib, None),
                ("3-minute song, 200-move library", three, big, None)]
        for name, song, library, p in rows:
            secs = _time(lambda song=song, library=library, p=p: solve(song, rigs, library, p))
            n_moves = len(library.with_mirrors())
            print(f"{name:40s} {len(song.beats):6d} {n_moves:6d} {1000 * secs:9.1f}")
        print("targets: 3-minute song with pins <= 60 ms, 10-minute song <= 300 ms")
        # The beat fit is cached per tempo, so the warm times above reuse it; a new song pays it once.
        from choreography.quality import _beat_fit, _kinetic_profiles, move_beat_fit
        from choreography.solver import _prepared

        full = _prepared(lib)[0]
        _kinetic_profiles.cache_clear()
        _beat_fit.cache_clear()
        t0 = time.perf_counter()
        _kinetic_profiles(full, rigs["ada"])
        t1 = time.perf_counter()
        move_beat_fit(full, rigs["ada"], 0.5, 24.0)
        t2 = time.perf_counter()
        print(f"beat fit of the library ({len(full)} moves), paid once: kinetic profiles {1000 * (t1 - t0):.1f} ms "
              f"per library and rig, then {1000 * (t2 - t1):.1f} ms per tempo")
        from choreography.crowd import CrowdSpec, dance_crowd

        leads = solve(three, rigs, lib)
        secs = _time(lambda: dance_crowd(three, leads, lib, CrowdSpec(count=50)), repeat=3)
        print(f"\ncrowd of 50 dancers behind the lead, 3-minute song ({len(three.beats)} beats): {secs:.2f} s "
              f"(target <= 2 s: {'PASS' if secs <= 2 else 'MISS'})")
        from choreography.music import beat_features
        from choreography.plan import cost_arrays
        from choreography.solver import move_arrays

        arrays, _ = move_arrays(lib.with_mirrors())
        emit, start, t = cost_arrays(beat_features(three), arrays)
        args = (emit, start, t.group_trans, t.group_of, t.family, t.repeat_penalty, arrays.beats.astype(np.int64))
        k = _time(lambda: _kernels.move_dp_forward(*args))
        r = _time(lambda: ref.move_dp_forward(*args), repeat=1)
        print("\n== decoder kernel vs plain reference (same input: 3-minute song, default library with mirrors)")
        print(f"kernel {1000 * k:.2f} ms, reference {1000 * r:.1f} ms, ratio {r / k:.0f}x (target >= 50x)")


if __name__ == "__main__":
    main()
