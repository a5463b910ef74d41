"""Calibration metrics over predicted class probabilities."""

from __future__ import annotations

import numpy as np

from assay.metrics._checks import (
    check_int_param,
    check_labels,
    check_labels_within,
    check_probabilities,
)


def _inputs(y_true: object, y_prob: object) -> tuple[np.ndarray, np.ndarray]:
    labels = check_labels(y_true)
    probs = check_probabilities(y_prob, len(labels))
    check_labels_within(labels, probs.shape[1])
    return labels, probs


def uniform_bin_index(confidence: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin of each confidence for bins (i/M, (i+1)/M]; 0.0 goes to the first bin.

    Example:
        >>> uniform_bin_index(np.array([0.0, 0.2, 0.21, 1.0]), 5).tolist()
        [0, 0, 1, 4]
    """
    # i / M, correctly rounded; linspace's 0 + i·(1/M) puts 0.6 above the edge 3/5
    inner_edges = np.arange(1, n_bins) / n_bins
    return np.searchsorted(inner_edges, confidence, side="left")


def expected_calibration_error(y_true: object, y_prob: object, *, n_bins: int = 15) -> float:
    """Top-label expected calibration error with equal-width bins.

    ECE = Σ_b (n_b / N) · |acc_b − conf_b| (Naeini et al. 2015; Guo et al. 2017), where
    conf is the top-label probability, acc whether the top label is right, and bin b holds
    confidences in (b/M, (b+1)/M]; confidence 0.0 lands in the first bin and exactly 1.0 in
    the last. Ties in the top label go to the lowest class index.

    Args:
        y_true: true class indices, shape (N,).
        y_prob: probabilities, shape (N, C), or (N,) for the positive class of a binary task.
        n_bins: number of equal-width bins M (>= 1).

    Returns:
        A float in [0, 1]; lower is better.

    Example:
        >>> y_prob = [[0.9, 0.1], [0.4, 0.6], [0.8, 0.2]]
        >>> round(expected_calibration_error([0, 1, 1], y_prob, n_bins=10), 6)
        0.433333
    """
    bins = check_int_param("expected_calibration_error", "n_bins", n_bins, minimum=1)
    labels, probs = _inputs(y_true, y_prob)
    predicted = np.argmax(probs, axis=1)
    confidence = probs[np.arange(len(labels)), predicted]
    correct = (predicted == labels).astype(np.float64)
    index = uniform_bin_index(confidence, bins)
    count = np.bincount(index, minlength=bins)
    gap = np.bincount(index, weights=correct - confidence, minlength=bins)
    return float(np.sum(np.abs(gap)) / count.sum())


def brier_score_loss(y_true: object, y_prob: object) -> float:
    """Brier score: mean squared distance between probabilities and the one-hot label.

    Multiclass (C > 2): (1/N) Σ_i Σ_k (p_ik − 1[y_i = k])², in [0, 2] (Brier 1950).
    Binary (C = 2): (1/N) Σ_i (p_i1 − y_i)², in [0, 1] — half the multiclass sum, the usual
    binary convention (scikit-learn's ``brier_score_loss`` with ``scale_by_half="auto"``).

    Example:
        >>> round(brier_score_loss([1, 0], [0.8, 0.4]), 6)
        0.1
    """
    labels, probs = _inputs(y_true, y_prob)
    one_hot = np.zeros_like(probs)
    one_hot[np.arange(len(labels)), labels] = 1.0
    total = float(np.mean(np.sum((probs - one_hot) ** 2, axis=1)))
    return total / 2.0 if probs.shape[1] == 2 else total


def negative_log_likelihood(y_true: object, y_prob: object) -> float:
    """Mean negative log-probability of the true class (log loss, natural log).

    NLL = −(1/N) Σ_i log(max(p_{i,y_i}, ε)), ε = float64 machine epsilon (as scikit-learn's
    ``log_loss`` clips), so a zero probability on the true class costs about 36, not ∞.

    Example:
        >>> round(negative_log_likelihood([0, 1], [[0.5, 0.5], [0.2, 0.8]]), 6)
        0.458145
    """
    labels, probs = _inputs(y_true, y_prob)
    eps = np.finfo(np.float64).eps
    true_prob = np.clip(probs[np.arange(len(labels)), labels], eps, 1.0 - eps)
    return float(-np.mean(np.log(true_prob)))
