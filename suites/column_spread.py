"""Per-column standard deviation, minimum and maximum of a large feature matrix, in row
blocks: the same bits as numpy's ``x.astype(float64).std(axis=0)``, ``min`` and ``max``,
without the two N × D float64 temporaries numpy makes (fresh memory costs more than the
arithmetic: ~0.3 s per 160 MB on a 2-core VM).

numpy reduces over the first axis of a C-contiguous matrix row after row (each column's sum
is sequential, not pairwise), so carrying the running sums from one block into the next
gives the same sums, and so the same mean and deviations. A single column, or another
layout (which numpy sums pairwise down each column), takes numpy's own path.

A set read a chunk at a time (:class:`~assay.suites.row_chunks.RowChunks`) gets the same bits:
the running sums cross chunks as they cross blocks, and the spread of all values together
follows the tree of numpy's pairwise sum over the flattened matrix, reading its leaves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from assay.suites.row_chunks import RowChunks

BLOCK_ROWS = 8_192
LEAF_VALUES = 1 << 22  # values summed by numpy at once in the pairwise tree (32 MB of float64)
PAIRWISE_BLOCK = 128  # numpy splits a sum in two above this many values (PW_BLOCKSIZE)


@dataclass(frozen=True)
class ColumnSpread:
    """Each column's standard deviation (ddof 0), minimum and maximum, as float64."""

    std: np.ndarray
    low: np.ndarray
    high: np.ndarray


def column_spread(features: np.ndarray) -> ColumnSpread:
    """Per-column spread of an N×D matrix (N ≥ 1), equal bit for bit to numpy's axis-0
    reductions of its float64 copy.

    Example:
        >>> spread = column_spread(np.array([[0.0, 1.0], [2.0, 5.0]], dtype=np.float32))
        >>> spread.std.tolist(), spread.low.tolist(), spread.high.tolist()
        ([1.0, 2.0], [0.0, 1.0], [2.0, 5.0])
    """
    matrix = np.asarray(features)
    n_rows, width = matrix.shape
    if width < 2 or not matrix.flags.c_contiguous:  # numpy sums these pairwise
        clean = matrix.astype(np.float64)
        return ColumnSpread(clean.std(axis=0), clean.min(axis=0), clean.max(axis=0))
    # row 0 of the buffer carries the running sums into the next block
    buffer = np.empty((min(n_rows, BLOCK_ROWS) + 1, width))
    total = _sequential_sum(matrix, buffer, None)
    mean = np.true_divide(total, n_rows)
    squares = _sequential_sum(matrix, buffer, mean)
    std = np.sqrt(np.true_divide(squares, n_rows))
    low, high = np.empty(width), np.empty(width)
    low[...], high[...] = matrix[:1].min(axis=0), matrix[:1].max(axis=0)
    for start in range(0, n_rows, BLOCK_ROWS):
        block = matrix[start : start + BLOCK_ROWS]
        np.minimum(low, block.min(axis=0), out=low)
        np.maximum(high, block.max(axis=0), out=high)
    return ColumnSpread(std, low, high)


def chunked_column_spread(rows: RowChunks) -> ColumnSpread:
    """:func:`column_spread` of the matrix ``rows`` reads, bit for bit, in two passes.

    Example:
        >>> m = np.array([[0.0, 1.0], [2.0, 5.0], [4.0, 0.0]])
        >>> halves = RowChunks(lambda r: m[r], (slice(0, 1), slice(1, 3)))
        >>> chunked_column_spread(halves).std.tolist() == column_spread(m).std.tolist()
        True
    """
    if rows.is_whole:
        return column_spread(rows.gathered())
    first = rows.read(rows.chunks[0])
    if first.shape[1] < 2:  # numpy sums one column pairwise: it is small, take it whole
        return column_spread(rows.gathered())
    width = first.shape[1]
    buffer = np.empty((BLOCK_ROWS + 1, width))
    total: np.ndarray | None = None
    low, high = first[:1].min(axis=0).astype(np.float64), first[:1].max(axis=0).astype(np.float64)
    for chunk in rows:
        matrix = np.ascontiguousarray(chunk)
        total = _sequential_sum(matrix, buffer, None, total)
        for start in range(0, len(matrix), BLOCK_ROWS):
            block = matrix[start : start + BLOCK_ROWS]
            np.minimum(low, block.min(axis=0), out=low)
            np.maximum(high, block.max(axis=0), out=high)
    assert total is not None  # rows has a chunk: its first was read above
    mean = np.true_divide(total, rows.n_rows)
    squares: np.ndarray | None = None
    for chunk in rows:
        squares = _sequential_sum(np.ascontiguousarray(chunk), buffer, mean, squares)
    assert squares is not None
    return ColumnSpread(np.sqrt(np.true_divide(squares, rows.n_rows)), low, high)


def global_spread(rows: RowChunks) -> tuple[float, float, float]:
    """The standard deviation, minimum and maximum of every value of the matrix ``rows``
    reads, bit for bit numpy's ``x.astype(float64).std()``, ``min()`` and ``max()``.

    Example:
        >>> m = np.array([[0.0, 1.0], [2.0, 5.0]])
        >>> global_spread(RowChunks(lambda r: m[r], (slice(0, 1), slice(1, 2))))
        (1.8708286933869707, 0.0, 5.0)
    """
    if rows.is_whole:
        clean = np.asarray(rows.gathered(), dtype=np.float64)
        return float(clean.std()), float(clean.min()), float(clean.max())
    width = rows.read(rows.chunks[0]).shape[1]
    size = rows.n_rows * width

    def values(start: int, count: int) -> np.ndarray:
        first, last = start // width, (start + count - 1) // width + 1
        flat = np.asarray(rows.read(slice(first, last)), dtype=np.float64).reshape(-1)
        return flat[start - first * width : start - first * width + count]

    mean = np.true_divide(_pairwise_sum(values, 0, size), size)
    squares = _pairwise_sum(lambda s, n: np.square(values(s, n) - mean), 0, size)
    low, high = np.inf, -np.inf
    for chunk in rows:
        low, high = min(low, float(chunk.min())), max(high, float(chunk.max()))
    return float(np.sqrt(np.true_divide(squares, size))), low, high


def _pairwise_sum(values: Callable[[int, int], np.ndarray], start: int, count: int) -> float:
    """numpy's pairwise sum of ``count`` values from ``start`` of a flattened array that
    ``values(start, count)`` reads: the same split (halves, rounded down to a multiple of 8)
    down to leaves small enough to read, which numpy then sums as it would inside the tree."""
    if count <= max(LEAF_VALUES, PAIRWISE_BLOCK):
        return float(np.add.reduce(values(start, count), initial=0.0)) if count else 0.0
    half = count // 2
    half -= half % 8
    return _pairwise_sum(values, start, half) + _pairwise_sum(values, start + half, count - half)


def _sequential_sum(
    matrix: np.ndarray,
    buffer: np.ndarray,
    mean: np.ndarray | None,
    total: np.ndarray | None = None,
) -> np.ndarray:
    """Column sums of the float64 rows (or of their squared deviations from ``mean``),
    accumulated row after row as numpy does along axis 0 (onto ``total``, the sums of the
    rows before, when given)."""
    for start in range(0, len(matrix), BLOCK_ROWS):
        block = matrix[start : start + BLOCK_ROWS]
        rows = buffer[1 : len(block) + 1]
        rows[...] = block
        if mean is not None:
            np.subtract(rows, mean, out=rows)
            np.square(rows, out=rows)
        if total is None:
            total = np.add.reduce(rows, axis=0)
        else:
            buffer[0] = total
            total = np.add.reduce(buffer[: len(block) + 1], axis=0)
    assert total is not None
    return total
