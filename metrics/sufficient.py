"""Metrics as sums of per-example statistics, so bootstrap resamples cost one sparse product.

A :class:`Decomposition` holds an n × k matrix S of per-example contributions and a
``finish`` function from column sums to metric values. Resample r of the data, given as a
count vector w_r, has column sums w_r · S, so B resamples are one (B × n) @ (n × k) product,
and the n leave-one-out (jackknife) values are ``finish(totals − S_i)``. Binned metrics keep
the bin edges of the original sample (equal-mass edges are not re-estimated per resample).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse

from assay.metrics._checks import check_labels, check_labels_within, check_probabilities
from assay.metrics._checks import encode_groups as _encode_groups
from assay.metrics.binning import bin_index, upper_edges
from assay.metrics.calibration import (
    _one_vs_rest,
    binned_errors,
    combine_errors,
    debiased_squares,
)
from assay.metrics.smooth_calibration import DEFAULT_GRID, fixed_point, residual_cells

Finish = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Decomposition:
    """Per-example statistics (n × k) and the map from their sums (m × k) to values (m × j)."""

    statistics: sparse.csr_matrix
    finish: Finish
    outputs: tuple[str, ...] = ("",)
    proportion: bool = False  # value = column 0 / column 1: a Wilson interval applies
    row_local: bool = False  # row i's statistics depend on example i alone (no data-fitted bins)

    @property
    def n_examples(self) -> int:
        return int(self.statistics.shape[0])

    def totals(self) -> np.ndarray:
        return np.asarray(self.statistics.sum(axis=0)).reshape(1, -1)

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
        """The decomposition of a subset of the examples (only for ``row_local`` ones)."""
        if not self.row_local:
            raise ValueError("only a row-local decomposition can be restricted to rows")
        return replace(self, statistics=take_rows(self.statistics, rows))

    def leave_one_out(self, chunk: int = 20_000) -> np.ndarray:
        """Jackknife values, shape (n × j)."""
        totals = self.totals()
        parts = [
            self.finish(totals - self.statistics[start : start + chunk].toarray())
            for start in range(0, self.n_examples, chunk)
        ]
        return np.vstack(parts)


def _onehot(index: np.ndarray, size: int, weights: np.ndarray | None = None) -> sparse.csr_matrix:
    """One entry per row, in column ``index`` (built as CSR directly: no COO sort)."""
    n_rows = len(index)
    data = np.ones(n_rows) if weights is None else np.asarray(weights, dtype=np.float64)
    indptr = np.arange(n_rows + 1, dtype=np.int64)
    return sparse.csr_matrix((data, np.asarray(index, dtype=np.int64), indptr), (n_rows, size))


def _dense_csr(values: np.ndarray) -> sparse.csr_matrix:
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


def _stack(*blocks: sparse.spmatrix | np.ndarray) -> sparse.csr_matrix:
    return hstack_csr([b if sparse.issparse(b) else _dense_csr(b) for b in blocks])


def _ratio(numerator: np.ndarray) -> Decomposition:
    """A mean of per-example values: sums of [value, 1]."""
    statistics = _stack(numerator, np.ones(len(numerator)))
    return Decomposition(statistics, lambda s: (s[:, 0] / s[:, 1])[:, None], row_local=True)


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(
            denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan
        )


# --- classification ------------------------------------------------------------------------


def _labels_and_predictions(
    y_true: object, y_prob: object
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    labels = check_labels(y_true)
    probs = check_probabilities(y_prob, len(labels)).astype(np.float64, copy=False)
    check_labels_within(labels, probs.shape[1])
    return labels, probs, np.argmax(probs, axis=1)


def accuracy(y_true: object, y_prob: object) -> Decomposition:
    labels, _, predicted = _labels_and_predictions(y_true, y_prob)
    return Decomposition(
        _ratio((predicted == labels).astype(float)).statistics,
        lambda s: (s[:, 0] / s[:, 1])[:, None],
        proportion=True,
        row_local=True,
    )


def top_k_accuracy(y_true: object, y_prob: object, *, k: int = 5) -> Decomposition:
    labels, probs, _ = _labels_and_predictions(y_true, y_prob)
    true_prob = probs[np.arange(len(labels)), labels]
    hit = (np.sum(probs > true_prob[:, None], axis=1) < k).astype(float)
    return Decomposition(
        _ratio(hit).statistics,
        lambda s: (s[:, 0] / s[:, 1])[:, None],
        proportion=True,
        row_local=True,
    )


def _class_counts(labels: np.ndarray, predicted: np.ndarray, n_classes: int) -> sparse.csr_matrix:
    correct = (labels == predicted).astype(float)
    return _stack(
        _onehot(labels, n_classes),
        _onehot(predicted, n_classes),
        _onehot(labels, n_classes, correct),
    )


def balanced_accuracy(y_true: object, y_prob: object) -> Decomposition:
    labels, probs, predicted = _labels_and_predictions(y_true, y_prob)
    c = probs.shape[1]

    def finish(s: np.ndarray) -> np.ndarray:
        support, true_positive = s[:, :c], s[:, 2 * c :]
        return np.nanmean(_safe_divide(true_positive, support), axis=1)[:, None]

    return Decomposition(_class_counts(labels, predicted, c), finish)


def macro_f1(y_true: object, y_prob: object) -> Decomposition:
    labels, probs, predicted = _labels_and_predictions(y_true, y_prob)
    c = probs.shape[1]

    def finish(s: np.ndarray) -> np.ndarray:
        support, predicted_count, true_positive = s[:, :c], s[:, c : 2 * c], s[:, 2 * c :]
        return np.nanmean(_safe_divide(2 * true_positive, support + predicted_count), axis=1)[
            :, None
        ]

    return Decomposition(_class_counts(labels, predicted, c), finish)


def per_class_recall(y_true: object, y_prob: object) -> Decomposition:
    labels, probs, predicted = _labels_and_predictions(y_true, y_prob)
    c = probs.shape[1]
    present = np.flatnonzero(np.bincount(labels, minlength=c))

    def finish(s: np.ndarray) -> np.ndarray:
        return _safe_divide(s[:, 2 * c :], s[:, :c])[:, present]

    return Decomposition(
        _class_counts(labels, predicted, c), finish, outputs=tuple(str(k) for k in present)
    )


# --- calibration ---------------------------------------------------------------------------


def _binned_views(
    labels: np.ndarray, probs: np.ndarray, n_bins: int, binning: str, mode: str
) -> tuple[sparse.csr_matrix, list[int]]:
    blocks, sizes = [], []
    for confidence, outcome in _one_vs_rest(labels, probs, mode):
        edges = upper_edges(confidence, n_bins, binning)
        index = bin_index(confidence, edges, uniform=binning == "uniform")
        blocks += [
            _onehot(index, len(edges)),
            _onehot(index, len(edges), confidence),
            _onehot(index, len(edges), outcome),
        ]
        sizes.append(len(edges))
    return _stack(*blocks), sizes


def _split_views(
    s: np.ndarray, sizes: list[int]
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    views: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    start = 0
    for size in sizes:
        count, conf, outcome = (s[:, start + i * size : start + (i + 1) * size] for i in range(3))
        views.append((count, conf, outcome))
        start += 3 * size
    return views


def calibration_error(
    y_true: object,
    y_prob: object,
    *,
    n_bins: int = 15,
    binning: str = "uniform",
    norm: str = "l1",
    mode: str = "top_label",
) -> Decomposition:
    labels, probs, _ = _labels_and_predictions(y_true, y_prob)
    statistics, sizes = _binned_views(labels, probs, n_bins, binning, mode)

    def finish(s: np.ndarray) -> np.ndarray:
        errors = [binned_errors(*view, norm) for view in _split_views(s, sizes)]
        return combine_errors(np.stack(errors, axis=1), norm)[:, None]

    return Decomposition(statistics, finish, row_local=binning == "uniform")


def debiased_calibration_error(
    y_true: object,
    y_prob: object,
    *,
    n_bins: int = 15,
    binning: str = "quantile",
    mode: str = "top_label",
) -> Decomposition:
    labels, probs, _ = _labels_and_predictions(y_true, y_prob)
    statistics, sizes = _binned_views(labels, probs, n_bins, binning, mode)

    def finish(s: np.ndarray) -> np.ndarray:
        squares = [debiased_squares(*view) for view in _split_views(s, sizes)]
        return np.sqrt(np.mean(np.stack(squares, axis=1), axis=1))[:, None]

    return Decomposition(statistics, finish)


def smooth_ece(y_true: object, y_prob: object, *, grid: int = DEFAULT_GRID) -> Decomposition:
    labels, probs, _ = _labels_and_predictions(y_true, y_prob)
    ((confidence, outcome),) = _one_vs_rest(labels, probs, "top_label")
    statistics = _stack(residual_cells(confidence, outcome, grid), np.ones(len(labels)))
    return Decomposition(
        statistics, lambda s: fixed_point(s[:, :grid] / s[:, grid : grid + 1])[:, None]
    )


def brier_score(y_true: object, y_prob: object) -> Decomposition:
    labels, probs, _ = _labels_and_predictions(y_true, y_prob)
    # Σ_k (p_k − 1[k = y])² = Σ_k p_k² − 2 p_y + 1, without a one-hot N × C copy
    true_prob = probs[np.arange(len(labels)), labels]
    per_example = np.einsum("ij,ij->i", probs, probs) - 2.0 * true_prob + 1.0
    np.maximum(per_example, 0.0, out=per_example)  # rounding can leave -1e-16 near p_y = 1
    return _ratio(per_example / (2.0 if probs.shape[1] == 2 else 1.0))


def nll(y_true: object, y_prob: object) -> Decomposition:
    labels, probs, _ = _labels_and_predictions(y_true, y_prob)
    eps = np.finfo(np.float64).eps
    true_prob = np.clip(probs[np.arange(len(labels)), labels], eps, 1.0 - eps)
    return _ratio(-np.log(true_prob))


# --- groups --------------------------------------------------------------------------------


def _group_counts(
    y_true: object, y_prob: object, sensitive_features: object
) -> tuple[sparse.csr_matrix, int, int, list[str]]:
    labels, _, predicted = _labels_and_predictions(y_true, y_prob)
    codes, names = _encode_groups(sensitive_features, len(labels))
    g, c = len(names), int(max(labels.max(), predicted.max())) + 1
    correct = (labels == predicted).astype(float)
    statistics = _stack(
        _onehot(codes, g),
        _onehot(codes, g, correct),
        _onehot(codes * c + labels, g * c),
        _onehot(codes * c + predicted, g * c),
        _onehot(codes * c + labels, g * c, correct),
    )
    return statistics, g, c, names


def _group_blocks(s: np.ndarray, g: int, c: int) -> tuple[np.ndarray, ...]:
    size, correct = s[:, :g], s[:, g : 2 * g]
    rest = s[:, 2 * g :].reshape(len(s), 3, g, c)
    return size, correct, rest[:, 0], rest[:, 1], rest[:, 2]


def _spread(rates: np.ndarray) -> np.ndarray:
    """max − min over groups (axis 1) of the defined rates; 0 where fewer than one is defined."""
    defined = ~np.isnan(rates)
    high = np.max(np.where(defined, rates, -np.inf), axis=1)
    low = np.min(np.where(defined, rates, np.inf), axis=1)
    return np.where(defined.any(axis=1), high - low, 0.0)


def group_accuracy(y_true: object, y_prob: object, *, sensitive_features: object) -> Decomposition:
    statistics, g, _, names = _group_counts(y_true, y_prob, sensitive_features)
    return Decomposition(
        statistics, lambda s: _safe_divide(s[:, g : 2 * g], s[:, :g]), outputs=tuple(names)
    )


def worst_group_accuracy(
    y_true: object, y_prob: object, *, sensitive_features: object
) -> Decomposition:
    statistics, g, _, _ = _group_counts(y_true, y_prob, sensitive_features)
    return Decomposition(
        statistics, lambda s: np.nanmin(_safe_divide(s[:, g : 2 * g], s[:, :g]), axis=1)[:, None]
    )


def demographic_parity_difference(
    y_true: object, y_prob: object, *, sensitive_features: object
) -> Decomposition:
    statistics, g, c, _ = _group_counts(y_true, y_prob, sensitive_features)

    def finish(s: np.ndarray) -> np.ndarray:
        size, _, _, predicted, _ = _group_blocks(s, g, c)
        rates = _safe_divide(predicted, size[:, :, None])
        return np.max(_spread(rates), axis=1)[:, None]

    return Decomposition(statistics, finish)


def _scored(c: int) -> slice:
    """Binary tasks score the positive class only (see fairness._scored_classes)."""
    return slice(1, 2) if c <= 2 else slice(0, c)


def demographic_parity_ratio(
    y_true: object, y_prob: object, *, sensitive_features: object
) -> Decomposition:
    statistics, g, c, _ = _group_counts(y_true, y_prob, sensitive_features)

    def finish(s: np.ndarray) -> np.ndarray:
        size, _, _, predicted, _ = _group_blocks(s, g, c)
        rates = _safe_divide(predicted, size[:, :, None])[:, :, _scored(c)]
        high = np.nanmax(rates, axis=1)
        low = np.nanmin(rates, axis=1)
        ratio = np.where(high > 0, low / np.where(high > 0, high, 1.0), 1.0)
        return np.min(ratio, axis=1)[:, None]

    return Decomposition(statistics, finish)


def equal_opportunity_difference(
    y_true: object, y_prob: object, *, sensitive_features: object
) -> Decomposition:
    statistics, g, c, _ = _group_counts(y_true, y_prob, sensitive_features)

    def finish(s: np.ndarray) -> np.ndarray:
        _, _, positive, _, true_positive = _group_blocks(s, g, c)
        tpr = _safe_divide(true_positive, positive)[:, :, _scored(c)]
        return np.max(_spread(tpr), axis=1)[:, None]

    return Decomposition(statistics, finish)


def equalized_odds_difference(
    y_true: object, y_prob: object, *, sensitive_features: object
) -> Decomposition:
    statistics, g, c, _ = _group_counts(y_true, y_prob, sensitive_features)

    def finish(s: np.ndarray) -> np.ndarray:
        size, _, positive, predicted, true_positive = _group_blocks(s, g, c)
        tpr = _safe_divide(true_positive, positive)
        fpr = _safe_divide(predicted - true_positive, size[:, :, None] - positive)
        return np.max(np.maximum(_spread(tpr), _spread(fpr)), axis=1)[:, None]

    return Decomposition(statistics, finish)
