"""Demo suites shipped with assay, runnable offline: ``assay demo`` (digits) and
``assay demo adult``.

Example:
    >>> demo_suite_path("digits").name
    'digits.yaml'
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from assay.errors import UnknownNameError

DEMO_SUITES = {
    "digits": "digits.yaml",
    "adult": "adult.yaml",
    "release-v1": "release_v1.yaml",
    "release-v2": "release_v2.yaml",
}


def demo_suite_path(name: str = "digits") -> Path:
    """Path of a shipped demo suite file."""
    if name not in DEMO_SUITES:
        raise UnknownNameError("demo suite", name, DEMO_SUITES)
    return Path(str(resources.files("assay.demo").joinpath(DEMO_SUITES[name])))
