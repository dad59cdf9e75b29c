"""Print the lip-sync accuracy and speed table on espeak-ng ground truth (speech and sung-like)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.lipsync_accuracy import evaluate, format_table  # noqa: E402

if __name__ == "__main__":
    print(format_table(evaluate(sys.argv[1:] or None)))
