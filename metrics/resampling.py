"""Bootstrap resamples as count matrices: row r says how often each example is drawn.

Resampling within strata (classes, or group × class) keeps each stratum's size fixed, so no
class or group vanishes from a resample. Counts come in chunks of rows to bound memory.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from assay.metrics._checks import encode_groups

DEFAULT_CHUNK_ELEMENTS = 4_000_000


def strata_codes(*columns: np.ndarray) -> np.ndarray:
    """One integer code per distinct combination of the given columns, numbered in the
    order of the columns' values compared as strings (then lexicographically).

    Columns of non-negative integers (class indices, group codes) take an O(n) path with
    bincounts instead of sorting every row; the codes are the same.

    Example:
        >>> strata_codes(np.array([0, 1, 0]), np.array(["a", "a", "b"])).tolist()
        [0, 2, 1]
        >>> strata_codes(np.array([10, 2, 10, 1])).tolist()  # "1" < "10" < "2"
        [1, 2, 1, 0]
    """
    if not columns:
        raise ValueError("strata_codes needs at least one column")
    n_rows = len(columns[0])
    arrays = [np.asarray(c) for c in columns]
    if all(_small_counts(a) for a in arrays):
        return _integer_strata(arrays)
    keys = np.stack([encode_groups(c, n_rows)[0] for c in columns], axis=1)
    return np.unique(keys, axis=0, return_inverse=True)[1].reshape(-1)


def compact_codes(values: np.ndarray) -> np.ndarray:
    """0..H-1 numbering the distinct values in increasing order (``np.unique``'s inverse),
    in O(n) by a bincount for non-negative integers not much larger than their count.

    Example:
        >>> compact_codes(np.array([7, 2, 7, 5])).tolist()
        [2, 0, 2, 1]
    """
    if (
        np.issubdtype(values.dtype, np.integer)
        and len(values)
        and values.min() >= 0
        and values.max() < 10 * len(values) + 1024
    ):
        present = np.bincount(values) > 0
        return (np.cumsum(present) - 1)[values]
    return np.unique(values, return_inverse=True)[1].reshape(-1)


def _small_counts(values: np.ndarray) -> bool:
    return (
        values.ndim == 1
        and np.issubdtype(values.dtype, np.integer)
        and len(values) > 0
        and values.min() >= 0
        and values.max() < 1_000_000
    )


def _integer_strata(columns: list[np.ndarray]) -> np.ndarray:
    """Each column's values ranked as strings (as encode_groups names them), combined in
    mixed radix, and the combinations that occur numbered in order."""
    combined = np.zeros(len(columns[0]), dtype=np.int64)
    for values in columns:
        present = np.flatnonzero(np.bincount(values))
        rank = np.zeros(int(present[-1]) + 1, dtype=np.int64)
        rank[sorted(present.tolist(), key=str)] = np.arange(len(present))
        combined = combined * len(present) + rank[values]
    return compact_codes(combined)  # a sparse product of many values falls back to a sort


def chunk_plan(
    n_examples: int,
    n_resamples: int,
    seed: int,
    chunk_elements: int = DEFAULT_CHUNK_ELEMENTS,
) -> list[tuple[int, np.random.SeedSequence]]:
    """Split B resamples into chunks, each with its own seed sequence, so chunks can be
    drawn in any order or in parallel and still give the same counts.

    Example:
        >>> [rows for rows, _ in chunk_plan(100_000, 100, seed=0)]
        [40, 40, 20]
    """
    rows_per_chunk = max(1, chunk_elements // max(n_examples, 1))
    sizes = [
        min(rows_per_chunk, n_resamples - first) for first in range(0, n_resamples, rows_per_chunk)
    ]
    return list(zip(sizes, np.random.SeedSequence(seed).spawn(len(sizes)), strict=True))


def draw_counts(
    n_examples: int, rows: int, rng: np.random.Generator, strata: np.ndarray | None = None
) -> np.ndarray:
    """A (rows × n) float64 count matrix: each row draws ``n_examples`` examples with
    replacement (within each stratum, as many as the stratum holds)."""
    drawn = np.empty((rows, n_examples), dtype=np.int64)
    start = 0
    for indices in _stratum_members(n_examples, strata):
        # uint32 draws with a scalar bound are the fastest numpy offers
        draws = rng.integers(0, len(indices), size=(rows, len(indices)), dtype=np.uint32)
        drawn[:, start : start + len(indices)] = indices[draws] if strata is not None else draws
        start += len(indices)
    drawn += (np.arange(rows) * n_examples)[:, None]
    counts = np.bincount(drawn.ravel(), minlength=rows * n_examples)
    return counts.reshape(rows, n_examples).astype(np.float64)


def resample_counts(
    n_examples: int,
    n_resamples: int,
    seed: int,
    *,
    strata: np.ndarray | None = None,
    chunk_elements: int = DEFAULT_CHUNK_ELEMENTS,
) -> Iterator[np.ndarray]:
    """Yield the count matrices of :func:`chunk_plan`, in order.

    Example:
        >>> counts = np.vstack(list(resample_counts(5, 3, seed=0)))
        >>> counts.shape, counts.sum(axis=1).tolist()
        ((3, 5), [5.0, 5.0, 5.0])
    """
    for rows, sequence in chunk_plan(n_examples, n_resamples, seed, chunk_elements):
        yield draw_counts(n_examples, rows, np.random.default_rng(sequence), strata)


def stable_order(codes: np.ndarray) -> np.ndarray:
    """``np.argsort(codes, kind="stable")`` for integer codes; codes that fit in 16 bits
    are sorted as int16, which numpy sorts by radix (O(n), ~4x faster at 1M rows than the
    merge sort of int64; the same order).

    Example:
        >>> stable_order(np.array([2, 0, 2, 1])).tolist()
        [1, 3, 0, 2]
    """
    values = np.asarray(codes)
    small = (
        values.size > 0
        and np.issubdtype(values.dtype, np.integer)
        and values.min() >= -(2**15)
        and values.max() < 2**15
    )
    return np.argsort(values.astype(np.int16) if small else values, kind="stable")


def _stratum_members(n_examples: int, strata: np.ndarray | None) -> list[np.ndarray]:
    if strata is None:
        return [np.arange(n_examples)]
    order = stable_order(strata)
    boundaries = np.flatnonzero(np.diff(strata[order])) + 1
    return np.split(order, boundaries)
