"""The threat-model check the attack tests share, computed here from scratch (not with
the package's own norm helpers, which it checks)."""

from __future__ import annotations

import numpy as np


def sizes(out: np.ndarray, clean: np.ndarray, norm: str) -> np.ndarray:
    """Each row's L∞ or L2 distance from its clean point, in float64.

    Example:
        >>> sizes(np.array([[3.0, 4.0]]), np.zeros((1, 2)), "l2").tolist()
        [5.0]
    """
    delta = np.asarray(out, np.float64) - np.asarray(clean, np.float64)
    return np.abs(delta).max(axis=1) if norm == "linf" else np.sqrt((delta**2).sum(axis=1))
