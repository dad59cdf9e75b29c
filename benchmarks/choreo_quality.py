"""What a viewer sees in the dances choreo makes for real songs: variety, phrasing, energy, and a contact sheet.

Usage: ``python benchmarks/choreo_quality.py [--dev DIR] [--real DIR] [--only NAME] [--out DIR] [--json FILE]``
(run by ``make bench``). For every music recording in ``../shared/data/real`` and every full song in
``../shared/data/dev/sections``: analyse it (madmom backend; analyses are cached like ``choreo run``'s),
choreograph it for ``ada`` with the shipped library, and print the quality report's figures
(:mod:`choreography.quality`): the most used move's share of the dance time (overall and in the worst
section, leaving out sections that repeat an earlier one), distinct moves per minute, the longest run of
one move back to back and the runs longer than 2, phrase alignment, the correlation of move energy with
the music's, repeat agreement, starts on beats, beat alignment, and the solve time (warm). A contact sheet
per song (a frame in the middle of each of the first 16 moves, labelled with the move) goes to ``--out``
(default ``out/choreo_quality``) for a person to look at.

Neither folder is distributed; without them the script says so and exits 0.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.dev_set import dev_parser  # noqa: E402

REAL = ROOT.parent / "shared" / "data" / "real"
COLUMNS = ("song", "minutes", "bpm", "moves", "top_move_share", "worst_section_top_share", "distinct_per_minute",
           "longest_run", "runs_over_2", "phrase_alignment", "metric_alignment", "phrase_end_hits", "hook_returns",
           "style_fit", "energy_correlation", "repeat_agreement", "starts_on_beats", "beat_alignment", "solve_ms")


def songs(dev: Path, real: Path, only: list[str]) -> list[Path]:
    """The music recordings to report on (the speech recordings of the real folder are left out)."""
    found = [p for p in sorted(real.glob("*.ogg")) if not p.name.startswith("speech_")] if real.is_dir() else []
    found += sorted((dev / "sections").glob("*.flac")) if (dev / "sections").is_dir() else []
    return [p for p in found if not only or any(o in p.stem for o in only)]


def evaluate(song: Path, out: Path) -> dict:
    """Analyse (cached), choreograph and report one song; write its contact sheet."""
    from audio.analysis import STAGE_VERSION, analyze
    from audio.params import AnalysisParams
    from choreography.moves import load_moves
    from choreography.params import SolveParams
    from choreography.quality import report
    from choreography.rig import load_rig
    from choreography.solver import solve
    from engine.pipeline import Pipeline, file_digest

    params = AnalysisParams()
    a = Pipeline().stage("analyze", STAGE_VERSION, {"song": file_digest(song)}, params,
                         lambda: analyze(song, params)).obj
    rigs, lib = {"ada": load_rig("ada")}, load_moves()
    solve(a, rigs, lib, params=SolveParams())  # warm (numba compiled, caches filled)
    t0 = time.perf_counter()
    c = solve(a, rigs, lib, params=SolveParams())
    solve_ms = (time.perf_counter() - t0) * 1000
    r = report(c, a, rigs, lib)["ada"]
    _contact(c, a, rigs, out / f"{song.stem}.png")
    return {"song": song.stem[:28], "minutes": a.source.duration_s / 60, "bpm": a.tempo.bpm, "moves": r["placements"],
            **{k: r[k] for k in COLUMNS if k in r}, "solve_ms": solve_ms}


def _contact(c, a, rigs: dict, path: Path) -> None:
    from render.contact import contact_sheet
    from render.frames import FrameRenderer
    from render.spec import RenderSpec

    renderer = FrameRenderer(c, rigs, RenderSpec(width=480, height=270, passes=("composite",)), analysis=a)
    buffers = renderer.new_buffers(["composite"])
    frames, labels = [], []
    for m in c.moves[:16]:
        renderer.render((m.start_frame + m.end_frame) // 2, buffers)
        frames.append(buffers["composite"].copy())
        labels.append(f"bar {m.bar}: {m.move}")
    path.parent.mkdir(parents=True, exist_ok=True)
    contact_sheet(frames, labels, path)


def _cell(v) -> str:
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def main(argv: list[str] | None = None) -> int:
    """Print the table; return the exit code."""
    ap = dev_parser(__doc__.split("\n\n")[0], "song name, or part of it (repeatable)")
    ap.add_argument("--real", type=Path, default=REAL, help="folder of real recordings (default ../shared/data/real)")
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "choreo_quality", help="where the contact sheets go")
    args = ap.parse_args(argv)
    todo = songs(args.dev, args.real, args.only)
    if not todo:
        print(f"choreo_quality: no songs in {args.real} or {args.dev / 'sections'}; nothing to measure")
        return 0
    rows = [evaluate(s, args.out) for s in todo]
    print("== what a viewer sees (ada, shipped library, madmom analysis); contact sheets in", args.out)
    print("  ".join(f"{c[:14]:>14s}" if i else f"{c:28s}" for i, c in enumerate(COLUMNS)))
    for r in rows:
        print("  ".join(f"{_cell(r.get(c, '')):>14s}" if i else f"{r[c]:28s}" for i, c in enumerate(COLUMNS)))
    if args.json:
        import json

        args.json.write_text(json.dumps(rows, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
