"""Smooth ECE (Błasiok & Nakkiran 2023, "Smooth ECE: Principled Reliability Diagrams via
Kernel Smoothing").

smECE_σ = ∫₀¹ |(1/N) Σ_i K_σ(t, f_i)(y_i − f_i)| dt, with K_σ the Gaussian kernel reflected
at 0 and 1, f the top-label confidence and y whether the top label is right. smECE is
smECE_σ* at the σ* where smECE_σ* = σ* (smECE_σ does not grow with σ).

Computation: residuals are spread onto G equal cells by linear interpolation (so the cell
sums are sums over examples, which the bootstrap reuses); reflection at 0 and 1 makes the
problem periodic with period 2, so one FFT convolution with the wrapped Gaussian applies
every reflection; σ* is found by bisection, for many resamples at once.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from assay.metrics._checks import labels_and_probabilities
from assay.metrics.calibration import one_vs_rest
from assay.metrics.decomposition import Decomposition
from assay.metrics.info import MetricInfo
from assay.params import Param

DEFAULT_GRID = 2048
BISECTION_STEPS = 24


def smooth_ece_at(
    confidence: np.ndarray, outcome: np.ndarray, sigma: float, grid: int = DEFAULT_GRID
) -> float:
    """smECE_σ for binary (confidence, outcome) pairs at a fixed bandwidth ``sigma``.

    Example:
        >>> f = np.array([0.9, 0.9, 0.9, 0.9])
        >>> round(smooth_ece_at(f, np.array([1.0, 1.0, 1.0, 1.0]), 0.05), 4)
        0.1
    """
    cells = residual_cells(confidence, outcome, grid).sum(axis=0).reshape(1, -1)
    return float(_smece(cells / len(confidence), np.array([sigma]))[0])


def smooth_expected_calibration_error(
    y_true: object, y_prob: object, *, grid: int = DEFAULT_GRID
) -> float:
    """Top-label smooth ECE with the bandwidth at its fixed point (Błasiok & Nakkiran 2023).

    Unlike binned ECE it has no bin edges to choose and is continuous in the predictions.

    Example:
        >>> y_prob = np.array([[0.9, 0.1]] * 4 + [[0.3, 0.7]] * 4)
        >>> round(smooth_expected_calibration_error([0, 0, 0, 1, 1, 1, 0, 0], y_prob), 4)
        0.175
    """
    return SMOOTH_ECE.scalar(y_true, y_prob, grid=grid)


def smooth_calibration(
    y_true: object, y_prob: object, *, grid: int = DEFAULT_GRID
) -> Decomposition:
    """Per example its top-label residual spread on ``grid`` cells, and a 1; the finish is
    :func:`fixed_point` of the mean cells."""
    labels, probs = labels_and_probabilities(y_true, y_prob)
    ((confidence, outcome),) = one_vs_rest(labels, probs, "top_label")
    return Decomposition(
        (residual_cells(confidence, outcome, grid), np.ones(len(labels))),
        lambda s: fixed_point(s[:, :grid] / s[:, grid : grid + 1])[:, None],
        row_local=True,
    )


def residual_cells(confidence: np.ndarray, outcome: np.ndarray, grid: int) -> sparse.csr_matrix:
    """Per example, its residual y − f spread on the two nearest of ``grid`` cell centres."""
    scaled = np.clip(confidence * grid - 0.5, 0.0, grid - 1.0)
    left = np.minimum(np.floor(scaled).astype(np.int64), grid - 2)
    fraction = scaled - left
    residual = outcome - confidence
    rows = np.repeat(np.arange(len(confidence)), 2)
    columns = np.column_stack([left, left + 1]).ravel()
    weights = np.column_stack([residual * (1 - fraction), residual * fraction]).ravel()
    return sparse.csr_matrix((weights, (rows, columns)), shape=(len(confidence), grid))


def fixed_point(mean_cells: np.ndarray) -> np.ndarray:
    """smECE at σ* for each row of mean residual cells (m × G), by bisection on σ."""
    rows = len(mean_cells)
    low, high = np.full(rows, 1e-4), np.ones(rows)
    at_one = _smece(mean_cells, high)
    for _ in range(BISECTION_STEPS):
        middle = (low + high) / 2
        above = _smece(mean_cells, middle) > middle
        low = np.where(above, middle, low)
        high = np.where(above, high, middle)
    return np.where(at_one >= 1.0, at_one, _smece(mean_cells, high))


def _smece(mean_cells: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """∫|smoothed residual| for each row, each with its own bandwidth."""
    grid = mean_cells.shape[1]
    periodic = np.concatenate([mean_cells, mean_cells[:, ::-1]], axis=1)  # mirror: period 2
    offsets = np.arange(2 * grid) / grid
    distance = (
        np.minimum(offsets, 2.0 - offsets)[None, None, :]
        + np.array([-4, -2, 0, 2, 4])[None, :, None]
    )
    scale = sigma[:, None, None]
    kernel = np.exp(-0.5 * (distance / scale) ** 2).sum(axis=1) / (
        sigma[:, None] * np.sqrt(2 * np.pi)
    )
    kernel /= grid  # the integral over a cell
    convolved = np.fft.irfft(
        np.fft.rfft(periodic, axis=1) * np.fft.rfft(kernel, axis=1), n=2 * grid, axis=1
    )
    return np.abs(convolved[:, :grid]).sum(axis=1)


SMOOTH_ECE = MetricInfo(
    "smooth_ece",
    smooth_calibration,
    "probabilities",
    higher_is_better=False,
    value_range=(0.0, 1.0),
    aliases=("smooth_expected_calibration_error",),
    description="kernel-smoothed ECE at its fixed-point bandwidth (Błasiok & Nakkiran 2023)",
    citation="Błasiok & Nakkiran 2023",
    params={"grid": Param("int", default=DEFAULT_GRID, low=64, description="grid cells")},
    function=smooth_expected_calibration_error,
)

DEFINITIONS = (SMOOTH_ECE,)
