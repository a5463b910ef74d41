"""Resolve ``module:attribute`` import paths named in a suite."""

from __future__ import annotations

import importlib
from typing import Any

from assay.errors import UserError


def import_object(path: str) -> Any:
    """Import ``module:attr.sub`` and return the object.

    Example:
        >>> import_object("math:sqrt")(9.0)
        3.0
    """
    module_name, _, attribute = path.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as error:
        raise UserError(f"cannot import module {module_name!r} (from {path!r}): {error}") from error
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise UserError(f"module {module_name!r} has no attribute {attribute!r}")
        target = getattr(target, part)
    return target
