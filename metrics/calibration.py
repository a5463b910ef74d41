"""Calibration metrics over predicted class probabilities."""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

import numpy as np

from assay.errors import InvalidInputError
from assay.metrics._checks import (
    check_int_param,
    check_labels,
    check_labels_within,
    check_probabilities,
    param_error,
)
from assay.metrics.binning import (
    BinnedStatistics,
    Binning,
    bin_index,
    bin_statistics,
    check_binning,
    upper_edges,
)


def _inputs(y_true: object, y_prob: object) -> tuple[np.ndarray, np.ndarray]:
    labels = check_labels(y_true)
    probs = check_probabilities(y_prob, len(labels))
    check_labels_within(labels, probs.shape[1])
    return labels, probs


Norm = Literal["l1", "l2", "max"]
Mode = Literal["top_label", "classwise"]
NORMS = ("l1", "l2", "max")
MODES = ("top_label", "classwise")


def uniform_bin_index(confidence: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin of each confidence for equal-width bins (i/M, (i+1)/M]; 0.0 goes to the first.

    Example:
        >>> uniform_bin_index(np.array([0.0, 0.2, 0.21, 1.0]), 5).tolist()
        [0, 0, 1, 4]
    """
    return bin_index(confidence, upper_edges(confidence, n_bins, "uniform"), uniform=True)


def _check_options(function: str, n_bins: int, norm: str, mode: str) -> int:
    bins = check_int_param(function, "n_bins", n_bins, minimum=1)
    if norm not in NORMS:
        raise param_error(function, "norm", "'l1', 'l2' or 'max'", norm)
    if mode not in MODES:
        raise param_error(function, "mode", "'top_label' or 'classwise'", mode)
    return bins


def _one_vs_rest(
    labels: np.ndarray, probs: np.ndarray, mode: str
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(confidence, outcome) pairs: the top label, or every class one-vs-rest."""
    if mode == "top_label":
        predicted = np.argmax(probs, axis=1)
        confidence = probs.ravel()[np.arange(len(labels)) * probs.shape[1] + predicted]
        return [(confidence.astype(np.float64), (predicted == labels).astype(np.float64))]
    return [
        (probs[:, k].astype(np.float64), (labels == k).astype(np.float64))
        for k in range(probs.shape[1])
    ]


def binned_errors(
    count: np.ndarray, confidence_sum: np.ndarray, outcome_sum: np.ndarray, norm: str
) -> np.ndarray:
    """Calibration error of each row of per-bin sums (m × bins) under ``norm``.

    Shared by the metric (one row) and its bootstrap (one row per resample).
    """
    gap = np.abs(outcome_sum - confidence_sum) / np.maximum(count, 1)
    weight = count / count.sum(axis=-1, keepdims=True)
    if norm == "l1":
        return np.sum(weight * gap, axis=-1)
    if norm == "l2":
        return np.sqrt(np.sum(weight * gap**2, axis=-1))
    return np.max(np.where(count > 0, gap, 0.0), axis=-1)


def combine_errors(errors: np.ndarray, norm: str) -> np.ndarray:
    """Per-view errors (m × views) combine as (mean_k e_k^p)^(1/p), or their max
    (Kumar et al. 2019's "marginal" error)."""
    if norm == "max":
        return errors.max(axis=-1)
    power = 1.0 if norm == "l1" else 2.0
    return np.mean(errors**power, axis=-1) ** (1.0 / power)


def debiased_squares(
    count: np.ndarray, confidence_sum: np.ndarray, outcome_sum: np.ndarray
) -> np.ndarray:
    """Debiased squared L2 error of each row of per-bin sums, clipped at 0 (bins with fewer
    than 2 examples add nothing), as in Kumar et al.'s code."""
    usable = count >= 2
    safe = np.where(usable, count, 2.0)
    mean_outcome = outcome_sum / safe
    gap = mean_outcome - confidence_sum / safe
    variance = mean_outcome * (1 - mean_outcome) / (safe - 1)
    total = count.sum(axis=-1, keepdims=True)
    return np.maximum(
        np.sum(np.where(usable, count / total * (gap**2 - variance), 0.0), axis=-1), 0.0
    )


def _view_statistics(
    labels: np.ndarray, probs: np.ndarray, n_bins: int, binning: str, mode: str
) -> list[BinnedStatistics]:
    return [
        bin_statistics(confidence, outcome, n_bins, binning)
        for confidence, outcome in _one_vs_rest(labels, probs, mode)
    ]


def expected_calibration_error(
    y_true: object,
    y_prob: object,
    *,
    n_bins: int = 15,
    binning: Binning = "uniform",
    norm: Norm = "l1",
    mode: Mode = "top_label",
) -> float:
    """Expected calibration error: the binned gap between confidence and accuracy.

    ECE = Σ_b (n_b / N) · |acc_b − conf_b| (Naeini et al. 2015; Guo et al. 2017), where in
    ``mode="top_label"`` conf is the top-label probability and acc whether the top label is
    right (ties go to the lowest class index). ``mode="classwise"`` scores every class k
    one-vs-rest (conf = p_k, acc = 1[y = k]) and combines the per-class errors e_k as
    (mean_k e_k^p)^(1/p) (Kull et al. 2019; Kumar et al. 2019's "marginal" error).
    ``norm``: "l1" as above, "l2" = sqrt(Σ_b (n_b/N) gap_b²), "max" = max_b gap_b over
    non-empty bins (the MCE). ``binning``: see :mod:`assay.metrics.binning` — bins are
    (e_{b-1}, e_b], confidence 0.0 lands in the first bin and exactly 1.0 in the last.

    Args:
        y_true: true class indices, shape (N,).
        y_prob: probabilities, shape (N, C), or (N,) for the positive class of a binary task.
        n_bins: number of bins M (>= 1).
        binning: "uniform" (equal width) or "quantile" (equal mass, "adaptive ECE").
        norm: "l1", "l2" or "max".
        mode: "top_label" or "classwise".

    Returns:
        A float in [0, 1]; lower is better.

    Example:
        >>> y_prob = [[0.9, 0.1], [0.4, 0.6], [0.8, 0.2]]
        >>> round(expected_calibration_error([0, 1, 1], y_prob, n_bins=10), 6)
        0.433333
        >>> round(expected_calibration_error([0, 1, 1], y_prob, n_bins=10, norm="max"), 6)
        0.8
    """
    bins = _check_options("expected_calibration_error", n_bins, norm, mode)
    check_binning("expected_calibration_error", binning)
    raw = np.asarray(y_prob)
    if mode == "top_label" and binning == "uniform" and raw.ndim == 2 and len(raw) >= PARALLEL_ROWS:
        view = _top_label_in_chunks(check_labels(y_true), raw, bins)
        return float(
            binned_errors(view.count.astype(float), view.confidence_sum, view.outcome_sum, norm)
        )
    labels, probs = _inputs(y_true, y_prob)
    errors = [
        binned_errors(v.count.astype(float), v.confidence_sum, v.outcome_sum, norm)
        for v in _view_statistics(labels, probs, bins, binning, mode)
    ]
    return float(combine_errors(np.array(errors), norm))


PARALLEL_ROWS = 262_144
PARALLEL_CHUNKS = 4  # fixed, so the sums (and the result) do not depend on the core count


def _top_label_in_chunks(labels: np.ndarray, probs: np.ndarray, n_bins: int) -> BinnedStatistics:
    """Check, take the top label and bin row chunks in threads (numpy releases the GIL in
    these loops); equal-width edges need no global pass, so the chunks are independent."""
    if len(probs) != len(labels):
        raise InvalidInputError(f"y_prob has {len(probs)} rows for {len(labels)} labels")

    def chunk(rows: slice) -> BinnedStatistics:
        part_labels, part_probs = _inputs(labels[rows], probs[rows])
        ((confidence, outcome),) = _one_vs_rest(part_labels, part_probs, "top_label")
        return bin_statistics(confidence, outcome, n_bins, "uniform")

    bounds = np.linspace(0, len(labels), PARALLEL_CHUNKS + 1).astype(int)
    with ThreadPoolExecutor(max_workers=min(PARALLEL_CHUNKS, os.cpu_count() or 1)) as pool:
        parts = list(pool.map(chunk, [slice(a, b) for a, b in itertools.pairwise(bounds)]))
    return BinnedStatistics(
        upper_edges=parts[0].upper_edges,
        count=np.sum([p.count for p in parts], axis=0),
        confidence_sum=np.sum([p.confidence_sum for p in parts], axis=0),
        outcome_sum=np.sum([p.outcome_sum for p in parts], axis=0),
    )


def maximum_calibration_error(
    y_true: object,
    y_prob: object,
    *,
    n_bins: int = 15,
    binning: Binning = "uniform",
    mode: Mode = "top_label",
) -> float:
    """Maximum calibration error, max_b |acc_b − conf_b| over non-empty bins (Naeini et
    al. 2015): :func:`expected_calibration_error` with ``norm="max"``.

    Example:
        >>> round(maximum_calibration_error([0, 1], [[0.9, 0.1], [0.7, 0.3]], n_bins=10), 6)
        0.7
    """
    return expected_calibration_error(
        y_true, y_prob, n_bins=n_bins, binning=binning, norm="max", mode=mode
    )


def debiased_calibration_error(
    y_true: object,
    y_prob: object,
    *,
    n_bins: int = 15,
    binning: Binning = "quantile",
    mode: Mode = "top_label",
) -> float:
    """Debiased L2 calibration error (Kumar, Liang & Ma 2019, "Verified Uncertainty
    Calibration"; the estimator of Bröcker 2012 and Ferro & Fricker 2012).

    CE² ≈ Σ_b (n_b/N) [(ȳ_b − p̄_b)² − ȳ_b(1 − ȳ_b)/(n_b − 1)], bins with n_b < 2 adding 0;
    the result is sqrt(max(CE², 0)). The plug-in L2 error overestimates calibration error on
    small samples; this subtracts the sampling variance of each bin's accuracy.

    Example:
        >>> y_prob = np.array([0.95, 0.9, 0.85, 0.8, 0.3, 0.25, 0.2, 0.1])
        >>> round(debiased_calibration_error([0, 1, 0, 0, 1, 1, 0, 1], y_prob, n_bins=2), 6)
        0.529224
    """
    bins = _check_options("debiased_calibration_error", n_bins, "l2", mode)
    check_binning("debiased_calibration_error", binning)
    labels, probs = _inputs(y_true, y_prob)
    squares = [
        debiased_squares(v.count.astype(float), v.confidence_sum, v.outcome_sum)
        for v in _view_statistics(labels, probs, bins, binning, mode)
    ]
    return float(np.sqrt(np.mean(squares)))


def adaptive_calibration_error(
    y_true: object, y_prob: object, *, n_bins: int = 15, mode: Mode = "top_label"
) -> float:
    """ECE with equal-mass bins ("adaptive ECE", Nixon et al. 2019; Kumar et al. 2019).

    Example:
        >>> round(adaptive_calibration_error([0, 1, 1, 0], [0.2, 0.7, 0.9, 0.6], n_bins=2), 6)
        0.15
    """
    return expected_calibration_error(y_true, y_prob, n_bins=n_bins, binning="quantile", mode=mode)


def classwise_calibration_error(
    y_true: object, y_prob: object, *, n_bins: int = 15, binning: Binning = "uniform"
) -> float:
    """Class-wise ECE: the mean over classes of each class's one-vs-rest binned error
    (Kull et al. 2019; "static calibration error", Nixon et al. 2019).

    Example:
        >>> round(classwise_calibration_error([0, 1], [[0.8, 0.2], [0.3, 0.7]], n_bins=5), 6)
        0.25
    """
    return expected_calibration_error(
        y_true, y_prob, n_bins=n_bins, binning=binning, mode="classwise"
    )


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
    probs = probs.astype(np.float64, copy=False)
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
    probs = probs.astype(np.float64, copy=False)
    eps = np.finfo(np.float64).eps
    true_prob = np.clip(probs[np.arange(len(labels)), labels], eps, 1.0 - eps)
    return float(-np.mean(np.log(true_prob)))
