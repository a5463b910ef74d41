"""A demo suite as a dict that works from any folder (its model files made absolute), for
tests that change a copy of it."""

from __future__ import annotations

from typing import Any

import yaml

from assay.demo import demo_suite_path


def portable_demo(name: str) -> dict[str, Any]:
    """The demo suite ``name``, its model paths absolute.

    Example:
        >>> portable_demo("digits")["models"][1]["path"].endswith("digits_logreg.skops")
        True
    """
    demo = demo_suite_path(name)
    suite: dict[str, Any] = yaml.safe_load(demo.read_text())
    for model in suite["models"]:
        for key in ("checkpoint", "path"):
            if key in model:
                model[key] = str(demo.parent / model[key])
    return suite
