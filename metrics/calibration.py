"""Binned calibration errors over predicted class probabilities, each defined once as
per-bin sums (count, confidence, outcome) of one-hot blocks and a finish from those sums
(see :mod:`assay.metrics.info`). Brier score and NLL live in :mod:`scoring_rules`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any, Literal

import numpy as np

from assay.metrics._checks import labels_and_probabilities
from assay.metrics.binning import BINNINGS, Binning, bin_index, upper_edges
from assay.metrics.decomposition import Block, Decomposition, Worsen, onehot
from assay.metrics.info import MetricInfo
from assay.metrics.top_class import top_class_blocks
from assay.params import Param

Norm = Literal["l1", "l2", "max"]
Mode = Literal["top_label", "classwise"]
NORMS = ("l1", "l2", "max")
MODES = ("top_label", "classwise")
_UNIT = (0.0, 1.0)


def uniform_bin_index(confidence: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin of each confidence for equal-width bins (i/M, (i+1)/M]; 0.0 goes to the first.

    Example:
        >>> uniform_bin_index(np.array([0.0, 0.2, 0.21, 1.0]), 5).tolist()
        [0, 0, 1, 4]
    """
    return bin_index(confidence, upper_edges(confidence, n_bins, "uniform"), uniform=True)


def top_label(labels: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's top-label probability (ties go to the lowest class index) and whether that
    label is right, as float64, filled block by block (see :mod:`top_class`)."""
    confidence = np.empty(len(labels))
    outcome = np.empty(len(labels))
    for rows, predicted, top in top_class_blocks(probs):
        confidence[rows] = top
        np.equal(predicted, labels[rows], out=outcome[rows], casting="unsafe")
    return confidence, outcome


def one_vs_rest(
    labels: np.ndarray, probs: np.ndarray, mode: str
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(confidence, outcome) pairs: the top label, or every class one-vs-rest."""
    if mode == "top_label":
        return [top_label(labels, probs)]
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


# --- the statistics ----------------------------------------------------------------------


def _binned_views(
    y_true: object, y_prob: object, n_bins: int, binning: str, mode: str
) -> tuple[tuple[Block, ...], list[int]]:
    """Per view (top label, or each class), three one-hot blocks over its bins: count,
    confidence and outcome; and each view's number of bins."""
    labels, probs = labels_and_probabilities(y_true, y_prob)
    blocks: list[Block] = []
    sizes = []
    for confidence, outcome in one_vs_rest(labels, probs, mode):
        edges = upper_edges(confidence, n_bins, binning)
        index = bin_index(confidence, edges, uniform=binning == "uniform")
        blocks += [
            onehot(index, len(edges)),
            onehot(index, len(edges), confidence),
            onehot(index, len(edges), outcome),
        ]
        sizes.append(len(edges))
    return tuple(blocks), sizes


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


def binned_calibration(
    y_true: object,
    y_prob: object,
    *,
    n_bins: int = 15,
    binning: str = "uniform",
    norm: str = "l1",
    mode: str = "top_label",
) -> Decomposition:
    """Per-bin sums of every view; the finish is :func:`binned_errors` combined over views.
    Equal-width bins are row-local; equal-mass edges are fitted to the sample and kept."""
    blocks, sizes = _binned_views(y_true, y_prob, n_bins, binning, mode)

    def finish(s: np.ndarray) -> np.ndarray:
        errors = [binned_errors(*view, norm) for view in _split_views(s, sizes)]
        return combine_errors(np.stack(errors, axis=1), norm)[:, None]

    worsen = lean_further(sizes[0]) if mode == "top_label" else None
    return Decomposition(blocks, finish, row_local=binning == "uniform", worsen=worsen)


def lean_further(size: int) -> Worsen:
    """For one view's per-bin sums: every bin's accuracy moved ``harm`` further from its
    confidence, the way the sums lean as a whole (below it, overconfidence, when they do not
    lean), kept within [0, 1]. A model miscalibrated by ``harm`` more in every bin: its
    binned error rises by about ``harm`` once the gaps clear their noise.

    Example:
        >>> sums = np.array([[2.0, 4.0, 1.6, 3.6, 1.0, 3.0]])  # 2 bins: count, conf, outcome
        >>> lean_further(2)(sums, 0.1)[0, 4:].tolist()  # accuracy 0.5, 0.75 -> 0.4, 0.65
        [0.8, 2.6]
    """

    def worsen(sums: np.ndarray, harm: float) -> np.ndarray:
        count, confidence = sums[:, :size], sums[:, size : 2 * size]
        outcome = sums[:, 2 * size : 3 * size]
        lean = 1.0 if np.sum(outcome) > np.sum(confidence) else -1.0
        moved = sums.copy()
        moved[:, 2 * size : 3 * size] = np.clip(outcome + lean * harm * count, 0.0, count)
        return moved

    return worsen


def debiased_calibration(
    y_true: object,
    y_prob: object,
    *,
    n_bins: int = 15,
    binning: str = "quantile",
    mode: str = "top_label",
) -> Decomposition:
    """Per-bin sums of every view; the finish is √(mean over views of the debiased squares)."""
    blocks, sizes = _binned_views(y_true, y_prob, n_bins, binning, mode)

    def finish(s: np.ndarray) -> np.ndarray:
        squares = [debiased_squares(*view) for view in _split_views(s, sizes)]
        return np.sqrt(np.mean(np.stack(squares, axis=1), axis=1))[:, None]

    return Decomposition(blocks, finish, row_local=binning == "uniform")


# --- the plain functions -------------------------------------------------------------------


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
    return ECE.scalar(y_true, y_prob, n_bins=n_bins, binning=binning, norm=norm, mode=mode)


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
    return MCE.scalar(y_true, y_prob, n_bins=n_bins, binning=binning, mode=mode)


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
    return DEBIASED_ECE.scalar(y_true, y_prob, n_bins=n_bins, binning=binning, mode=mode)


def adaptive_calibration_error(
    y_true: object, y_prob: object, *, n_bins: int = 15, mode: Mode = "top_label"
) -> float:
    """ECE with equal-mass bins ("adaptive ECE", Nixon et al. 2019; Kumar et al. 2019).

    Example:
        >>> round(adaptive_calibration_error([0, 1, 1, 0], [0.2, 0.7, 0.9, 0.6], n_bins=2), 6)
        0.15
    """
    return ADAPTIVE_ECE.scalar(y_true, y_prob, n_bins=n_bins, mode=mode)


def classwise_calibration_error(
    y_true: object, y_prob: object, *, n_bins: int = 15, binning: Binning = "uniform"
) -> float:
    """Class-wise ECE: the mean over classes of each class's one-vs-rest binned error
    (Kull et al. 2019; "static calibration error", Nixon et al. 2019).

    Example:
        >>> round(classwise_calibration_error([0, 1], [[0.8, 0.2], [0.3, 0.7]], n_bins=5), 6)
        0.25
    """
    return CLASSWISE_ECE.scalar(y_true, y_prob, n_bins=n_bins, binning=binning)


# --- the definitions -----------------------------------------------------------------------

N_BINS = Param("int", default=15, low=1, description="number of bins")
BINNING = Param("str", default="uniform", choices=BINNINGS, description="bin edges")
NORM = Param("str", default="l1", choices=NORMS, description="how bin gaps combine")
MODE = Param("str", default="top_label", choices=MODES, description="which probabilities")


def _binned_metric(
    name: str,
    decomposition: Callable[..., Decomposition],
    function: Callable[..., float],
    description: str,
    citation: str,
    params: dict[str, Param],
    **extra: Any,
) -> MetricInfo:
    """A binned calibration error: lower is better, in [0, 1]."""
    return MetricInfo(
        name,
        decomposition,
        "probabilities",
        higher_is_better=False,
        value_range=_UNIT,
        description=description,
        citation=citation,
        params=params,
        function=function,
        **extra,
    )


ECE = _binned_metric(
    "ece",
    binned_calibration,
    expected_calibration_error,
    "top-label expected calibration error, 15 equal-width bins",
    "Naeini et al. 2015; Guo et al. 2017",
    {"n_bins": N_BINS, "binning": BINNING, "norm": NORM, "mode": MODE},
    aliases=("expected_calibration_error",),
)
ADAPTIVE_ECE = _binned_metric(
    "adaptive_ece",
    partial(binned_calibration, binning="quantile"),
    adaptive_calibration_error,
    "ECE with equal-mass bins",
    "Nixon et al. 2019",
    {"n_bins": N_BINS, "mode": MODE},
)
CLASSWISE_ECE = _binned_metric(
    "classwise_ece",
    partial(binned_calibration, mode="classwise"),
    classwise_calibration_error,
    "mean one-vs-rest ECE over classes",
    "Kull et al. 2019",
    {"n_bins": N_BINS, "binning": BINNING},
)
MCE = _binned_metric(
    "mce",
    partial(binned_calibration, norm="max"),
    maximum_calibration_error,
    "largest calibration gap over bins",
    "Naeini et al. 2015",
    {"n_bins": N_BINS, "binning": BINNING, "mode": MODE},
    aliases=("maximum_calibration_error",),
    tolerance=0.05,
)
DEBIASED_ECE = _binned_metric(
    "debiased_ece",
    debiased_calibration,
    debiased_calibration_error,
    "debiased L2 calibration error (Kumar et al. 2019)",
    "Kumar, Liang & Ma 2019",
    {"n_bins": N_BINS, "binning": replace(BINNING, default="quantile"), "mode": MODE},
    aliases=("debiased_calibration_error",),
)
DEFINITIONS = (ECE, ADAPTIVE_ECE, CLASSWISE_ECE, MCE, DEBIASED_ECE)
