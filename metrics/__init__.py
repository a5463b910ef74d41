"""Pure, vectorised metric functions over arrays, and the registry that names them."""

from assay.metrics._checks import GroupCodes, group_codes
from assay.metrics.calibration import (
    adaptive_calibration_error,
    brier_score_loss,
    classwise_calibration_error,
    debiased_calibration_error,
    expected_calibration_error,
    maximum_calibration_error,
    negative_log_likelihood,
)
from assay.metrics.classification import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    macro_f1_score,
    micro_f1_score,
    per_class_recall,
    top_k_accuracy_score,
)
from assay.metrics.fairness import (
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equalized_odds_difference,
    group_accuracy,
    worst_group_accuracy,
)
from assay.metrics.groups import GroupResult, by_group, intersect_groups
from assay.metrics.registry import METRICS, MetricInfo, check_metric_params, compute_metric
from assay.metrics.reliability import ReliabilityDiagram, reliability_diagram

__all__ = [
    "METRICS",
    "GroupCodes",
    "GroupResult",
    "MetricInfo",
    "ReliabilityDiagram",
    "accuracy_score",
    "adaptive_calibration_error",
    "balanced_accuracy_score",
    "brier_score_loss",
    "by_group",
    "check_metric_params",
    "classwise_calibration_error",
    "compute_metric",
    "confusion_matrix",
    "debiased_calibration_error",
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equal_opportunity_difference",
    "equalized_odds_difference",
    "expected_calibration_error",
    "f1_score",
    "group_accuracy",
    "group_codes",
    "intersect_groups",
    "macro_f1_score",
    "maximum_calibration_error",
    "micro_f1_score",
    "negative_log_likelihood",
    "per_class_recall",
    "reliability_diagram",
    "top_k_accuracy_score",
    "worst_group_accuracy",
]
