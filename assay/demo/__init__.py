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
    "digits": ("digits.yaml", "torch MLP and logistic regression: clean, noisy, FGSM, OOD"),
    "adult": ("adult.yaml", "UCI Adult income, bias by sex and race"),
    "sentiment": ("sentiment.yaml", "a transformers text classifier: held-out, typos, FGSM, IMDB"),
    "release-v1": ("release_v1.yaml", "the released digits MLP (a gate baseline)"),
    "release-v2": ("release_v2.yaml", "its next version, which silently lost noise robustness"),
}


def demo_suite_path(name: str = "digits") -> Path:
    """Path of a shipped demo suite file."""
    if name not in DEMO_SUITES:
        raise UnknownNameError("demo suite", name, DEMO_SUITES)
    return Path(str(resources.files("assay.demo").joinpath(DEMO_SUITES[name][0])))


def demo_help() -> str:
    """One line per demo suite, for ``assay demo --help``.

    Example:
        >>> demo_help().splitlines()[0]
        'digits: torch MLP and logistic regression: clean, noisy, FGSM, OOD'
    """
    return "\n".join(f"{name}: {about}" for name, (_, about) in DEMO_SUITES.items())
