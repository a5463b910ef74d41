"""assay: evaluate classifiers before they ship.

The package's subsystems are ``assay.suites`` (what to evaluate), ``assay.runners`` (running
it), ``assay.metrics`` (the numbers) and ``assay.reports`` (versioned results).
"""

from assay._version import __version__

__all__ = ["__version__"]
