"""Check shift and attack parameters before any data loads, by running on a tiny probe."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from assay.errors import InvalidInputError
from assay.suites.attacks import ATTACKS
from assay.suites.shifts import SHIFTS

_FIXED = {"features", "labels", "example_keys", "seed", "gradient"}


def check_transform_params(kind: str, name: str, params: dict[str, Any]) -> None:
    """Raise :class:`InvalidInputError` if ``params`` do not fit shift/attack ``name``."""
    function = SHIFTS.get(name).function if kind == "shift" else ATTACKS.get(name).function
    signature = inspect.signature(function)
    allowed = [p for p in signature.parameters if p not in _FIXED]
    for key in params:
        if key not in allowed:
            raise InvalidInputError(
                f"{kind} {name!r} has no parameter {key!r} (its parameters: {', '.join(allowed)})"
            )
    missing = [
        p.name
        for p in signature.parameters.values()
        if p.name not in _FIXED and p.default is inspect.Parameter.empty and p.name not in params
    ]
    if missing:
        raise InvalidInputError(f"{kind} {name!r} needs parameter(s) {', '.join(missing)}")
    probe = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]])
    keys = np.arange(3, dtype=np.uint64)
    try:
        if kind == "shift":
            function(probe, example_keys=keys, seed=0, **params)
        else:
            function(probe, np.array([0, 1, 0]), gradient=lambda x, y: np.ones_like(x), **params)
    except TypeError as error:
        raise InvalidInputError(f"{kind} {name!r}: {error}") from None
