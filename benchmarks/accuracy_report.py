"""Print the analysis accuracy table on the synthesized ground-truth songs, for each backend.

Usage: python benchmarks/accuracy_report.py [madmom] [librosa]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.accuracy import evaluate, format_table  # noqa: E402

if __name__ == "__main__":
    for backend in sys.argv[1:] or ["madmom", "librosa"]:
        print(format_table(backend, evaluate(backend)))
        print()
