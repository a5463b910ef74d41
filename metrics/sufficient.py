"""Each registered metric's decomposition (see :mod:`assay.metrics.decomposition`).

A :class:`Decomposition` holds an n × k matrix S of per-example contributions and a
``finish`` function from column sums to metric values. Resample r of the data, given as a
count vector w_r, has column sums w_r · S, so B resamples are one (B × n) @ (n × k) product,
and the n leave-one-out (jackknife) values are ``finish(totals − S_i)``. Binned metrics keep
the bin edges of the original sample (equal-mass edges are not re-estimated per resample).
"""

from __future__ import annotations

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
from assay.metrics.decomposition import (
    Decomposition,
    mean_of,
    onehot,
    safe_divide,
    stack,
)
from assay.metrics.smooth_calibration import DEFAULT_GRID, fixed_point, residual_cells

# --- classification ------------------------------------------------------------------------


def labels_and_predictions(
    y_true: object, y_prob: object
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    labels = check_labels(y_true)
    probs = check_probabilities(y_prob, len(labels)).astype(np.float64, copy=False)
    check_labels_within(labels, probs.shape[1])
    return labels, probs, np.argmax(probs, axis=1)


def accuracy(y_true: object, y_prob: object) -> Decomposition:
    labels, _, predicted = labels_and_predictions(y_true, y_prob)
    return Decomposition(
        mean_of((predicted == labels).astype(float)).statistics,
        lambda s: (s[:, 0] / s[:, 1])[:, None],
        proportion=True,
        row_local=True,
    )


def top_k_accuracy(y_true: object, y_prob: object, *, k: int = 5) -> Decomposition:
    labels, probs, _ = labels_and_predictions(y_true, y_prob)
    true_prob = probs[np.arange(len(labels)), labels]
    hit = (np.sum(probs > true_prob[:, None], axis=1) < k).astype(float)
    return Decomposition(
        mean_of(hit).statistics,
        lambda s: (s[:, 0] / s[:, 1])[:, None],
        proportion=True,
        row_local=True,
    )


def _class_counts(labels: np.ndarray, predicted: np.ndarray, n_classes: int) -> sparse.csr_matrix:
    correct = (labels == predicted).astype(float)
    return stack(
        onehot(labels, n_classes),
        onehot(predicted, n_classes),
        onehot(labels, n_classes, correct),
    )


def balanced_accuracy(y_true: object, y_prob: object) -> Decomposition:
    labels, probs, predicted = labels_and_predictions(y_true, y_prob)
    c = probs.shape[1]

    def finish(s: np.ndarray) -> np.ndarray:
        support, true_positive = s[:, :c], s[:, 2 * c :]
        return np.nanmean(safe_divide(true_positive, support), axis=1)[:, None]

    return Decomposition(_class_counts(labels, predicted, c), finish)


def macro_f1(y_true: object, y_prob: object) -> Decomposition:
    labels, probs, predicted = labels_and_predictions(y_true, y_prob)
    c = probs.shape[1]

    def finish(s: np.ndarray) -> np.ndarray:
        support, predicted_count, true_positive = s[:, :c], s[:, c : 2 * c], s[:, 2 * c :]
        return np.nanmean(safe_divide(2 * true_positive, support + predicted_count), axis=1)[
            :, None
        ]

    return Decomposition(_class_counts(labels, predicted, c), finish)


def per_class_recall(y_true: object, y_prob: object) -> Decomposition:
    labels, probs, predicted = labels_and_predictions(y_true, y_prob)
    c = probs.shape[1]
    present = np.flatnonzero(np.bincount(labels, minlength=c))

    def finish(s: np.ndarray) -> np.ndarray:
        return safe_divide(s[:, 2 * c :], s[:, :c])[:, present]

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
            onehot(index, len(edges)),
            onehot(index, len(edges), confidence),
            onehot(index, len(edges), outcome),
        ]
        sizes.append(len(edges))
    return stack(*blocks), sizes


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
    labels, probs, _ = labels_and_predictions(y_true, y_prob)
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
    labels, probs, _ = labels_and_predictions(y_true, y_prob)
    statistics, sizes = _binned_views(labels, probs, n_bins, binning, mode)

    def finish(s: np.ndarray) -> np.ndarray:
        squares = [debiased_squares(*view) for view in _split_views(s, sizes)]
        return np.sqrt(np.mean(np.stack(squares, axis=1), axis=1))[:, None]

    return Decomposition(statistics, finish)


def smooth_ece(y_true: object, y_prob: object, *, grid: int = DEFAULT_GRID) -> Decomposition:
    labels, probs, _ = labels_and_predictions(y_true, y_prob)
    ((confidence, outcome),) = _one_vs_rest(labels, probs, "top_label")
    statistics = stack(residual_cells(confidence, outcome, grid), np.ones(len(labels)))
    return Decomposition(
        statistics, lambda s: fixed_point(s[:, :grid] / s[:, grid : grid + 1])[:, None]
    )


def brier_score(y_true: object, y_prob: object) -> Decomposition:
    labels, probs, _ = labels_and_predictions(y_true, y_prob)
    # Σ_k (p_k − 1[k = y])² = Σ_k p_k² − 2 p_y + 1, without a one-hot N × C copy
    true_prob = probs[np.arange(len(labels)), labels]
    per_example = np.einsum("ij,ij->i", probs, probs) - 2.0 * true_prob + 1.0
    np.maximum(per_example, 0.0, out=per_example)  # rounding can leave -1e-16 near p_y = 1
    return mean_of(per_example / (2.0 if probs.shape[1] == 2 else 1.0))


def nll(y_true: object, y_prob: object) -> Decomposition:
    labels, probs, _ = labels_and_predictions(y_true, y_prob)
    eps = np.finfo(np.float64).eps
    true_prob = np.clip(probs[np.arange(len(labels)), labels], eps, 1.0 - eps)
    return mean_of(-np.log(true_prob))


# --- groups --------------------------------------------------------------------------------


def _group_counts(
    y_true: object, y_prob: object, sensitive_features: object
) -> tuple[sparse.csr_matrix, int, int, list[str]]:
    labels, _, predicted = labels_and_predictions(y_true, y_prob)
    codes, names = _encode_groups(sensitive_features, len(labels))
    g, c = len(names), int(max(labels.max(), predicted.max())) + 1
    correct = (labels == predicted).astype(float)
    statistics = stack(
        onehot(codes, g),
        onehot(codes, g, correct),
        onehot(codes * c + labels, g * c),
        onehot(codes * c + predicted, g * c),
        onehot(codes * c + labels, g * c, correct),
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
        statistics, lambda s: safe_divide(s[:, g : 2 * g], s[:, :g]), outputs=tuple(names)
    )


def worst_group_accuracy(
    y_true: object, y_prob: object, *, sensitive_features: object
) -> Decomposition:
    statistics, g, _, _ = _group_counts(y_true, y_prob, sensitive_features)
    return Decomposition(
        statistics, lambda s: np.nanmin(safe_divide(s[:, g : 2 * g], s[:, :g]), axis=1)[:, None]
    )


def demographic_parity_difference(
    y_true: object, y_prob: object, *, sensitive_features: object
) -> Decomposition:
    statistics, g, c, _ = _group_counts(y_true, y_prob, sensitive_features)

    def finish(s: np.ndarray) -> np.ndarray:
        size, _, _, predicted, _ = _group_blocks(s, g, c)
        rates = safe_divide(predicted, size[:, :, None])
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
        rates = safe_divide(predicted, size[:, :, None])[:, :, _scored(c)]
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
        tpr = safe_divide(true_positive, positive)[:, :, _scored(c)]
        return np.max(_spread(tpr), axis=1)[:, None]

    return Decomposition(statistics, finish)


def equalized_odds_difference(
    y_true: object, y_prob: object, *, sensitive_features: object
) -> Decomposition:
    statistics, g, c, _ = _group_counts(y_true, y_prob, sensitive_features)

    def finish(s: np.ndarray) -> np.ndarray:
        size, _, positive, predicted, true_positive = _group_blocks(s, g, c)
        tpr = safe_divide(true_positive, positive)
        fpr = safe_divide(predicted - true_positive, size[:, :, None] - positive)
        return np.max(np.maximum(_spread(tpr), _spread(fpr)), axis=1)[:, None]

    return Decomposition(statistics, finish)
