"""Pure, vectorised metric functions over arrays, and the registry that names them."""

from assay.metrics.calibration import (
    brier_score_loss,
    expected_calibration_error,
    negative_log_likelihood,
)
from assay.metrics.classification import accuracy_score
from assay.metrics.fairness import (
    demographic_parity_difference,
    equalized_odds_difference,
    group_accuracy,
    worst_group_accuracy,
)
from assay.metrics.registry import METRICS, MetricInfo, check_metric_params, compute_metric

__all__ = [
    "METRICS",
    "MetricInfo",
    "accuracy_score",
    "brier_score_loss",
    "check_metric_params",
    "compute_metric",
    "demographic_parity_difference",
    "equalized_odds_difference",
    "expected_calibration_error",
    "group_accuracy",
    "negative_log_likelihood",
    "worst_group_accuracy",
]
