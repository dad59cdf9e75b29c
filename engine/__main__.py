"""``python -m engine`` runs the ``choreo`` command line."""

from engine.cli import main

main()
