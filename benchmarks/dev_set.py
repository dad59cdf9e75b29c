"""What the reports on the annotated dev set share: where it is, and their common command-line options."""

from __future__ import annotations

import argparse
from pathlib import Path

DEV = Path(__file__).resolve().parents[2] / "shared" / "data" / "dev"


def dev_parser(description: str, only_help: str) -> argparse.ArgumentParser:
    """A parser with ``--dev``, ``--only`` and ``--json``; each report adds its own options.

    Parameters
    ----------
    description : str
    only_help : str
        What ``--only`` matches in this report.

    Returns
    -------
    argparse.ArgumentParser
    """
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--dev", type=Path, default=DEV, help="the annotated dev folder (default ../shared/data/dev)")
    ap.add_argument("--only", action="append", default=[], help=only_help)
    ap.add_argument("--json", type=Path, help="also write the rows as JSON")
    return ap


def dev_missing(name: str, folder: Path) -> bool:
    """True (and says so) when ``folder`` of the dev set is absent: the dev set is not distributed."""
    if folder.is_dir():
        return False
    print(f"{name}: {folder.parent} is not present; nothing to measure (the dev set is not distributed)")
    return True
