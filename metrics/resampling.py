"""Bootstrap resamples as count matrices: row r says how often each example is drawn.

Resampling within strata (classes, or group × class) keeps each stratum's size fixed, so no
class or group vanishes from a resample. Counts come in chunks of rows to bound memory.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

DEFAULT_CHUNK_ELEMENTS = 4_000_000


def strata_codes(*columns: np.ndarray) -> np.ndarray:
    """One integer code per distinct combination of the given columns.

    Example:
        >>> strata_codes(np.array([0, 1, 0]), np.array(["a", "a", "b"])).tolist()
        [0, 2, 1]
    """
    if not columns:
        raise ValueError("strata_codes needs at least one column")
    keys = np.stack(
        [np.unique(np.asarray(c).astype(str), return_inverse=True)[1] for c in columns], axis=1
    )
    return np.unique(keys, axis=0, return_inverse=True)[1].reshape(-1)


def resample_counts(
    n_examples: int,
    n_resamples: int,
    rng: np.random.Generator,
    *,
    strata: np.ndarray | None = None,
    chunk_elements: int = DEFAULT_CHUNK_ELEMENTS,
) -> Iterator[np.ndarray]:
    """Yield (b × n) float64 count matrices, b rows at a time, ``n_resamples`` rows in all.

    Each row draws ``n_examples`` examples with replacement (within each stratum, as many as
    the stratum holds).

    Example:
        >>> counts = np.vstack(list(resample_counts(5, 3, np.random.default_rng(0))))
        >>> counts.shape, counts.sum(axis=1).tolist()
        ((3, 5), [5.0, 5.0, 5.0])
    """
    members = _stratum_members(n_examples, strata)
    rows_per_chunk = max(1, chunk_elements // max(n_examples, 1))
    for first in range(0, n_resamples, rows_per_chunk):
        rows = min(rows_per_chunk, n_resamples - first)
        flat = np.concatenate(
            [
                indices[rng.integers(0, len(indices), size=(rows, len(indices)))]
                for indices in members
            ],
            axis=1,
        )
        offsets = (np.arange(rows) * n_examples)[:, None]
        counts = np.bincount((flat + offsets).ravel(), minlength=rows * n_examples)
        yield counts.reshape(rows, n_examples).astype(np.float64)


def _stratum_members(n_examples: int, strata: np.ndarray | None) -> list[np.ndarray]:
    if strata is None:
        return [np.arange(n_examples)]
    order = np.argsort(strata, kind="stable")
    boundaries = np.flatnonzero(np.diff(strata[order])) + 1
    return np.split(order, boundaries)
