"""The arithmetic every attack shares: the float type it works in, row norms, the
projection into the eps-ball and the bounds, and the size of a perturbation."""

from __future__ import annotations

import re

import numpy as np

from assay.errors import InvalidInputError

_LETTERS = re.compile(r"[^A-Za-z]+")  # what separates words, for sizes in words
TINY = 1e-12  # keeps a zero gradient or perturbation from dividing by zero


def working_copy(features: np.ndarray) -> np.ndarray:
    """The clean features in the float type an attack computes in: float32 kept as a suite
    holds it (the budget then holds to float32 rounding), float64 otherwise."""
    given = np.asarray(features)
    return given.astype(np.float32 if given.dtype == np.float32 else np.float64)


def check_clip(attack: str, clip_min: float | None, clip_max: float | None) -> None:
    """Refuse bounds whose low end is not below the high end."""
    if clip_min is not None and clip_max is not None and clip_min >= clip_max:
        raise InvalidInputError(
            f"The 'clip_min' parameter of {attack} must be below clip_max. "
            f"Got {clip_min!r} instead."
        )


def row_norms(values: np.ndarray) -> np.ndarray:
    """Each row's L2 norm.

    Example:
        >>> row_norms(np.array([[3.0, 4.0]])).tolist()
        [5.0]
    """
    return np.sqrt(np.einsum("ij,ij->i", values, values))


def unit_rows(values: np.ndarray) -> np.ndarray:
    """Each row scaled to L2 norm 1 (a zero row stays zero)."""
    return values / np.maximum(row_norms(values), TINY)[:, None]


def project(
    clean: np.ndarray,
    moved: np.ndarray,
    norm: str,
    eps: float,
    low: float | None,
    high: float | None,
) -> np.ndarray:
    """``moved`` brought back into the eps-ball around ``clean``, then into the bounds."""
    delta = moved - clean
    if norm == "linf":
        delta = np.clip(delta, -eps, eps)
    else:
        delta *= np.minimum(1.0, eps / np.maximum(row_norms(delta), TINY))[:, None]
    projected = clean + delta
    return projected if low is None and high is None else np.clip(projected, low, high)


def perturbation_sizes(clean: np.ndarray, crafted: np.ndarray, norm: str) -> np.ndarray:
    """Each row's distance from its clean point in ``norm``: ``linf`` or ``l2`` for
    features, ``words`` (words changed) for texts.

    Example:
        >>> perturbation_sizes(np.zeros((1, 2)), np.array([[3.0, -4.0]]), "l2").tolist()
        [5.0]
        >>> perturbation_sizes(np.array(["a good film"]), np.array(["a godo flim"]), "words")
        array([2.])
    """
    if norm == "words":  # an edit changes letters only: the runs of letters stay aligned
        return np.array(
            [
                sum(a != b for a, b in zip(_LETTERS.split(x), _LETTERS.split(y), strict=True))
                for x, y in zip(map(str, clean), map(str, crafted), strict=True)
            ],
            dtype=np.float64,
        )
    delta = np.asarray(crafted, np.float64) - np.asarray(clean, np.float64)
    if norm == "l2":
        return row_norms(delta)
    return np.abs(delta).max(axis=1) if delta.shape[1] else np.zeros(len(delta))
