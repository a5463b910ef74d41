"""Distribution shifts applied to numeric features, deterministic per example id.

Each shift is ``f(features, *, example_keys, seed, **params) -> features`` over an N×D float
matrix; ``example_keys`` are the uint64 hashes of the example ids, so shifted example i is
always derived from clean example i the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from assay.errors import InvalidInputError
from assay.registry import Registry
from assay.suites.randomness import per_example_normal

ShiftFunction = Callable[..., np.ndarray]


@dataclass(frozen=True)
class ShiftInfo:
    name: str
    function: ShiftFunction
    description: str


SHIFTS: Registry[ShiftInfo] = Registry("shift")

# Noise standard deviation per severity, as a multiple of the feature's standard deviation
# (the ladder of Hendrycks & Dietterich 2019, rescaled from [0, 1] pixels to feature spread).
GAUSSIAN_NOISE_SCALES = (0.2, 0.35, 0.5, 0.7, 1.0)


def gaussian_noise(
    features: np.ndarray,
    *,
    example_keys: np.ndarray,
    seed: int,
    severity: int = 1,
    scale: Literal["column", "global"] = "column",
    clip: bool = True,
) -> np.ndarray:
    """Add Gaussian noise of standard deviation ``c[severity] × spread`` to every feature.

    ``spread`` is each column's standard deviation (``scale="column"``, for tabular data) or
    that of all values (``"global"``, for pixels). With ``clip`` the result stays inside the
    clean data's observed range (per column or global). c = 0.2, 0.35, 0.5, 0.7, 1.0.

    Example:
        >>> x = np.array([[0.0, 1.0], [2.0, 3.0]])
        >>> keys = np.array([1, 2], dtype=np.uint64)
        >>> y = gaussian_noise(x, example_keys=keys, seed=0, severity=3)
        >>> y.shape, bool(np.all((y >= 0) & (y <= 3)))
        ((2, 2), True)
    """
    if isinstance(severity, bool) or not isinstance(severity, int) or not 1 <= severity <= 5:
        raise InvalidInputError(
            f"The 'severity' parameter of gaussian_noise must be an int in [1, 5]. "
            f"Got {severity!r} instead."
        )
    if scale not in ("column", "global"):
        raise InvalidInputError(
            f"The 'scale' parameter of gaussian_noise must be 'column' or 'global'. "
            f"Got {scale!r} instead."
        )
    clean = np.asarray(features, dtype=np.float64)
    axis = 0 if scale == "column" else None
    spread = clean.std(axis=axis)
    noise = per_example_normal(example_keys, seed, clean.shape[1])
    noisy = clean + GAUSSIAN_NOISE_SCALES[severity - 1] * spread * noise
    if clip:
        noisy = np.clip(noisy, clean.min(axis=axis), clean.max(axis=axis))
    return noisy


SHIFTS.add(
    "gaussian_noise",
    ShiftInfo("gaussian_noise", gaussian_noise, "additive Gaussian noise, severity 1-5"),
)
