"""``python -m assay``: the same command line as ``assay``."""

from assay.runners.cli import main

main()
