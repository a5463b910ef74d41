"""Proper scoring rules over predicted class probabilities, each defined once as the mean
of a per-example term (see :mod:`assay.metrics.info`): Brier score and negative
log-likelihood."""

from __future__ import annotations

import numpy as np

from assay.metrics._checks import labels_and_probabilities
from assay.metrics.decomposition import Decomposition, mean_of
from assay.metrics.info import MetricInfo


def squared_residuals(labels: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Σ_k (p_k − 1[k = y])² of each row, in steps of 65,536 rows (no N × C float64 copy)."""
    terms = np.empty(len(labels))
    for start in range(0, len(labels), 65_536):
        rows = slice(start, start + 65_536)
        residual = probs[rows].astype(np.float64)
        residual[np.arange(len(residual)), labels[rows]] -= 1.0
        terms[rows] = np.sum(np.square(residual, out=residual), axis=1)
    return terms


def brier_terms(y_true: object, y_prob: object) -> Decomposition:
    """Mean of Σ_k (p_k − 1[k = y])² per example (halved for two classes)."""
    labels, probs = labels_and_probabilities(y_true, y_prob)
    terms = squared_residuals(labels, probs)
    return mean_of(terms / 2.0 if probs.shape[1] == 2 else terms)


def nll_terms(y_true: object, y_prob: object) -> Decomposition:
    """Mean of −log p_y per example, p_y clipped to [ε, 1 − ε]."""
    labels, probs = labels_and_probabilities(y_true, y_prob)
    eps = np.finfo(np.float64).eps
    true_prob = probs[np.arange(len(labels)), labels].astype(np.float64)
    return mean_of(-np.log(np.clip(true_prob, eps, 1.0 - eps)))


def brier_score_loss(y_true: object, y_prob: object) -> float:
    """Brier score: mean squared distance between probabilities and the one-hot label.

    Multiclass (C > 2): (1/N) Σ_i Σ_k (p_ik − 1[y_i = k])², in [0, 2] (Brier 1950).
    Binary (C = 2): (1/N) Σ_i (p_i1 − y_i)², in [0, 1] — half the multiclass sum, the usual
    binary convention (scikit-learn's ``brier_score_loss`` with ``scale_by_half="auto"``).

    Example:
        >>> round(brier_score_loss([1, 0], [0.8, 0.4]), 6)
        0.1
    """
    return BRIER_SCORE.scalar(y_true, y_prob)


def negative_log_likelihood(y_true: object, y_prob: object) -> float:
    """Mean negative log-probability of the true class (log loss, natural log).

    NLL = −(1/N) Σ_i log(max(p_{i,y_i}, ε)), ε = float64 machine epsilon (as scikit-learn's
    ``log_loss`` clips), so a zero probability on the true class costs about 36, not ∞.

    Example:
        >>> round(negative_log_likelihood([0, 1], [[0.5, 0.5], [0.2, 0.8]]), 6)
        0.458145
    """
    return NLL.scalar(y_true, y_prob)


BRIER_SCORE = MetricInfo(
    "brier_score",
    brier_terms,
    "probabilities",
    higher_is_better=False,
    value_range=(0.0, 2.0),
    description="mean squared error of the probabilities",
    citation="Brier 1950",
    function=brier_score_loss,
)
NLL = MetricInfo(
    "nll",
    nll_terms,
    "probabilities",
    higher_is_better=False,
    value_range=(0.0, float("inf")),
    aliases=("negative_log_likelihood", "log_loss"),
    tolerance=0.05,
    tolerance_is_relative=True,
    description="mean negative log-likelihood of the true class",
    function=negative_log_likelihood,
)

DEFINITIONS = (BRIER_SCORE, NLL)
