"""assay: evaluate classifiers before they ship.

The package's subsystems are ``assay.suites`` (what to evaluate), ``assay.runners`` (running
it), ``assay.metrics`` (the numbers) and ``assay.reports`` (versioned results). The Python
API below is imported on first use, so ``import assay`` stays light:

- ``assay.run(suite, store=..., cache_dir=...)`` → a run with ``.report``, ``.to_pandas()``
- ``assay.load_report(reference, store=...)`` → a report with ``.to_pandas()``
- ``assay.compare(baseline, candidate, ...)`` → a comparison with ``.to_pandas()``
- ``assay.gate(suite, baseline, ...)`` → a gate result with ``.passed``, ``.to_pandas()``

Example:
    >>> import assay
    >>> sorted(assay.__all__)
    ['__version__', 'compare', 'gate', 'load_report', 'run']
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from assay._version import __version__

__all__ = ["__version__", "compare", "gate", "load_report", "run"]
_API = "assay.runners.api"  # the one module the root package re-exports from


def __getattr__(name: str) -> Any:
    if name in ("compare", "gate", "load_report", "run"):
        return getattr(import_module(_API), name)
    raise AttributeError(f"module 'assay' has no attribute {name!r}")
