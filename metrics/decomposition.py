"""Per-example sufficient statistics: a metric as an n × k sparse matrix of contributions and
a ``finish`` from column sums to values, so B bootstrap resamples cost one sparse product.

A :class:`Decomposition` holds the matrix S, as blocks of columns, and ``finish``. Its value
is ``finish`` of the column sums, each block summed the cheapest exact way (a one-hot block by
one ``bincount``, a dense column by numpy's pairwise sum); the matrix itself is built only
when resampling needs it. Resample r, given as a count vector w_r, has column sums w_r · S,
so B resamples are one (B × n) @ (n × k) product, and the n leave-one-out (jackknife) values
are ``finish(totals − S_i)``. The helpers build such matrices in O(nnz) without scipy's COO
round trips.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TypeAlias

import numpy as np
from scipy import sparse

Finish = Callable[[np.ndarray], np.ndarray]
# (sums, harm) -> the sums of the same examples with the measured quantity worse by about harm
Worsen = Callable[[np.ndarray, float], np.ndarray]


@dataclass(frozen=True)
class OneHot:
    """A block of ``size`` columns with one entry per row: row i holds ``weights[i]`` (1 when
    None) in column ``index[i]``.

    Example:
        >>> OneHot(np.array([0, 2, 2]), 3, np.array([0.5, 1.0, 2.0])).sums().tolist()
        [0.5, 0.0, 3.0]
    """

    index: np.ndarray
    size: int
    weights: np.ndarray | None = None

    def sums(self) -> np.ndarray:
        sums = np.bincount(self.index, weights=self.weights, minlength=self.size)
        return sums.astype(np.float64, copy=False)

    def matrix(self) -> sparse.csr_matrix:
        """The block as CSR, built directly (no COO sort)."""
        n_rows = len(self.index)
        data = np.ones(n_rows) if self.weights is None else np.asarray(self.weights, np.float64)
        indptr = np.arange(n_rows + 1, dtype=np.int64)
        indices = np.asarray(self.index, dtype=np.int64)
        return sparse.csr_matrix((data, indices, indptr), (n_rows, self.size))


# a one-hot block, dense columns (an n-vector or n × w array) or any sparse matrix
Block: TypeAlias = OneHot | np.ndarray | sparse.csr_matrix


def block_sums(block: Block) -> np.ndarray:
    """Column sums of one block; dense columns use numpy's pairwise sum, as ``np.mean`` does."""
    if isinstance(block, OneHot):
        return block.sums()
    if sparse.issparse(block):
        return np.asarray(block.sum(axis=0), dtype=np.float64).ravel()
    columns = np.asarray(block, dtype=np.float64).reshape(len(block), -1)
    return np.array([np.sum(columns[:, j]) for j in range(columns.shape[1])])


def block_matrix(block: Block) -> sparse.csr_matrix:
    if isinstance(block, OneHot):
        return block.matrix()
    if sparse.issparse(block):
        return sparse.csr_matrix(block)
    return dense_csr(block)


def _block_rows(block: Block) -> int:
    return len(block.index) if isinstance(block, OneHot) else int(block.shape[0])


@dataclass(frozen=True)
class Decomposition:
    """Per-example statistics (n × k, as column blocks) and the map from their sums (m × k)
    to values (m × j).

    Example:
        >>> hits = np.array([1.0, 0.0, 1.0])
        >>> d = Decomposition((hits, np.ones(3)), lambda s: s[:, :1] / s[:, 1:])
        >>> d.value().tolist(), d.statistics.shape
        ([0.6666666666666666], (3, 2))
    """

    blocks: tuple[Block, ...]
    finish: Finish
    outputs: tuple[str, ...] = ("",)
    proportion: bool = False  # value = column 0 / column 1: a Wilson interval applies
    row_local: bool = False  # row i's statistics depend on example i alone (no data-fitted bins)
    # for statistics whose spread changes with their value (binned calibration errors): how
    # the sums move under a true harm, so a power analysis can see the spread it would have
    worsen: Worsen | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.blocks, tuple):
            raise TypeError("Decomposition takes a tuple of blocks (wrap one matrix: (matrix,))")

    @cached_property
    def statistics(self) -> sparse.csr_matrix:
        """The n × k matrix of every block side by side (built on first use)."""
        if len(self.blocks) == 1 and sparse.issparse(self.blocks[0]):
            return sparse.csr_matrix(self.blocks[0])
        return hstack_csr([block_matrix(block) for block in self.blocks])

    @property
    def n_examples(self) -> int:
        return _block_rows(self.blocks[0])

    def totals(self) -> np.ndarray:
        return np.concatenate([block_sums(block) for block in self.blocks]).reshape(1, -1)

    def value(self) -> np.ndarray:
        """The metric on the full sample, shape (j,)."""
        return self.finish(self.totals())[0]

    def resampled(self, counts: np.ndarray) -> np.ndarray:
        """Values for each row of a (b × n) count matrix, shape (b × j)."""
        return self.resampled_columns(np.ascontiguousarray(counts.T))

    def resampled_columns(self, counts_by_column: np.ndarray) -> np.ndarray:
        """Like :meth:`resampled` for a C-contiguous (n × b) matrix, one resample per column
        (the layout scipy's sparse product takes without copying)."""
        sums = np.asarray(self.statistics.T @ counts_by_column).T
        return self.finish(sums)

    def take(self, rows: np.ndarray) -> Decomposition:
        """The decomposition of a subset of the examples (only for ``row_local`` ones):
        each block's rows, so it sums exactly as one built from those examples would.

        Example:
            >>> d = mean_of(np.array([1.0, 2.0, 6.0]))
            >>> d.take(np.array([0, 2])).value().tolist()
            [3.5]
        """
        if not self.row_local:
            raise ValueError("only a row-local decomposition can be restricted to rows")
        return replace(self, blocks=tuple(_take_block(block, rows) for block in self.blocks))

    def leave_one_out(self, chunk: int = 20_000) -> np.ndarray:
        """Jackknife values, shape (n × j)."""
        totals = self.totals()
        parts = [
            self.finish(totals - self.statistics[start : start + chunk].toarray())
            for start in range(0, self.n_examples, chunk)
        ]
        return np.vstack(parts)


def _take_block(block: Block, rows: np.ndarray) -> Block:
    if isinstance(block, OneHot):
        weights = None if block.weights is None else np.asarray(block.weights)[rows]
        return OneHot(block.index[rows], block.size, weights)
    if sparse.issparse(block):
        return take_rows(sparse.csr_matrix(block), rows)
    return np.asarray(block)[rows]


def onehot(index: np.ndarray, size: int, weights: np.ndarray | None = None) -> OneHot:
    """A one-hot block: one entry per row, in column ``index``."""
    return OneHot(np.asarray(index, dtype=np.int64), size, weights)


def dense_csr(values: np.ndarray) -> sparse.csr_matrix:
    """An (n × w) array as CSR storing every entry (zeros too), without a scan for zeros."""
    block = np.asarray(values, dtype=np.float64).reshape(len(values), -1)
    n_rows, width = block.shape
    indices = np.tile(np.arange(width, dtype=np.int64), n_rows)
    indptr = np.arange(0, n_rows * width + 1, width, dtype=np.int64)
    return sparse.csr_matrix((block.ravel(), indices, indptr), (n_rows, width))


def row_width(matrix: sparse.csr_matrix) -> int | None:
    """The number of stored entries of every row, if all rows store the same number."""
    counts = np.diff(matrix.indptr)
    if len(counts) == 0 or np.any(counts != counts[0]):
        return None
    return int(counts[0])


def take_rows(matrix: sparse.csr_matrix, rows: np.ndarray) -> sparse.csr_matrix:
    """Rows of a CSR matrix; a reshape and a gather when every row stores r entries.

    Example:
        >>> take_rows(sparse.csr_matrix(np.eye(3)), np.array([2, 0])).toarray().tolist()
        [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    width = row_width(matrix)
    if width is None:
        return sparse.csr_matrix(matrix[rows])
    data = matrix.data.reshape(-1, width)[rows].ravel()
    indices = matrix.indices.reshape(-1, width)[rows].ravel()
    indptr = np.arange(len(rows) + 1, dtype=np.int64) * width
    return sparse.csr_matrix((data, indices, indptr), (len(rows), matrix.shape[1]))


def hstack_csr(blocks: Sequence[sparse.spmatrix]) -> sparse.csr_matrix:
    """Sparse blocks side by side in O(nnz) numpy passes (scipy's hstack goes through COO).

    Example:
        >>> a, b = sparse.csr_matrix([[1.0, 0], [0, 2]]), sparse.csr_matrix([[3.0], [0]])
        >>> hstack_csr([a, b]).toarray().tolist()
        [[1.0, 0.0, 3.0], [0.0, 2.0, 0.0]]
    """
    parts = [sparse.csr_matrix(b) for b in blocks]
    widths = [row_width(part) for part in parts]
    if all(w is not None for w in widths):
        return _hstack_regular(parts, [int(w or 0) for w in widths])
    n_rows = parts[0].shape[0]
    counts = [np.diff(part.indptr) for part in parts]
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.sum(counts, axis=0), out=indptr[1:])
    data, indices = np.empty(indptr[-1]), np.empty(indptr[-1], dtype=np.int64)
    start, offset = indptr[:-1].copy(), 0
    for part, count in zip(parts, counts, strict=True):
        positions = np.repeat(start - part.indptr[:-1], count) + np.arange(part.nnz)
        data[positions] = part.data
        indices[positions] = part.indices + offset
        start += count
        offset += part.shape[1]
    return sparse.csr_matrix((data, indices, indptr), (n_rows, offset))


def _hstack_regular(parts: list[sparse.csr_matrix], widths: list[int]) -> sparse.csr_matrix:
    """Blocks whose rows each store a fixed number of entries: column slices of one array."""
    n_rows, total = parts[0].shape[0], sum(widths)
    n_columns = sum(part.shape[1] for part in parts)
    index_type = np.int32 if max(n_columns, n_rows * total) < 2**31 else np.int64
    data = np.empty((n_rows, total))
    indices = np.empty((n_rows, total), dtype=index_type)
    start, offset = 0, 0
    for part, width in zip(parts, widths, strict=True):
        data[:, start : start + width] = part.data.reshape(n_rows, width)
        np.add(part.indices.reshape(n_rows, width), offset, out=indices[:, start : start + width])
        start += width
        offset += part.shape[1]
    indptr = np.arange(n_rows + 1, dtype=index_type) * total
    return sparse.csr_matrix((data.ravel(), indices.ravel(), indptr), (n_rows, offset))


def mean_of(numerator: np.ndarray, *, proportion: bool = False) -> Decomposition:
    """A mean of per-example values: sums of [value, 1] (``proportion``: values are 0 or 1).

    Example:
        >>> mean_of(np.array([1.0, 2.0, 6.0])).value().tolist()
        [3.0]
    """
    values = np.asarray(numerator, dtype=np.float64)
    return Decomposition(
        (values, np.ones(len(values))),
        lambda s: (s[:, 0] / s[:, 1])[:, None],
        proportion=proportion,
        row_local=True,
    )


def safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(
            denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan
        )
