"""Reliability-diagram data: per bin, how confident the model was and how often it was right."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assay.metrics._checks import check_int_param, labels_and_probabilities
from assay.metrics.binning import Binning, bin_statistics, check_binning
from assay.metrics.calibration import one_vs_rest


@dataclass(frozen=True)
class ReliabilityDiagram:
    """One row per bin (lower, upper]; empty bins have NaN confidence and accuracy."""

    lower: np.ndarray
    upper: np.ndarray
    count: np.ndarray
    mean_confidence: np.ndarray
    accuracy: np.ndarray

    def rows(self) -> list[dict[str, float]]:
        """The bins as records, e.g. for a report or a plot."""
        return [
            {
                "lower": float(lo),
                "upper": float(up),
                "count": int(n),
                "mean_confidence": float(c),
                "accuracy": float(a),
            }
            for lo, up, n, c, a in zip(
                self.lower, self.upper, self.count, self.mean_confidence, self.accuracy, strict=True
            )
        ]


def reliability_diagram(
    y_true: object, y_prob: object, *, n_bins: int = 15, binning: Binning = "uniform"
) -> ReliabilityDiagram:
    """Top-label reliability diagram (DeGroot & Fienberg 1983; Guo et al. 2017).

    Bins follow :mod:`assay.metrics.binning`; the top-label ECE is
    Σ_b (count_b / N) |accuracy_b − mean_confidence_b| over these rows.

    Example:
        >>> diagram = reliability_diagram([0, 1, 1], [[0.9, 0.1], [0.4, 0.6], [0.8, 0.2]], n_bins=2)
        >>> diagram.count.tolist(), diagram.accuracy.round(4).tolist()
        ([0, 3], [nan, 0.6667])
    """
    bins = check_int_param("reliability_diagram", "n_bins", n_bins, minimum=1)
    check_binning("reliability_diagram", binning)
    labels, probs = labels_and_probabilities(y_true, y_prob)
    ((confidence, outcome),) = one_vs_rest(labels, probs, "top_label")
    stats = bin_statistics(confidence, outcome, bins, binning)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_confidence = np.where(stats.count > 0, stats.confidence_sum / stats.count, np.nan)
        accuracy = np.where(stats.count > 0, stats.outcome_sum / stats.count, np.nan)
    return ReliabilityDiagram(
        stats.lower_edges, stats.upper_edges, stats.count, mean_confidence, accuracy
    )
