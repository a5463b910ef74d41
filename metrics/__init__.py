"""Pure, vectorised metric functions over arrays, and the registry that names them."""

from assay.metrics._checks import GroupCodes, group_codes
from assay.metrics.calibration import (
    adaptive_calibration_error,
    classwise_calibration_error,
    debiased_calibration_error,
    expected_calibration_error,
    maximum_calibration_error,
)
from assay.metrics.classification import (
    accuracy_score,
    confusion_matrix,
    micro_f1_score,
    top_k_accuracy_score,
)
from assay.metrics.confusion import (
    balanced_accuracy_score,
    macro_f1_score,
    macro_precision,
    macro_recall,
    matthews_corrcoef,
    per_class_recall,
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
from assay.metrics.scoring_rules import brier_score_loss, negative_log_likelihood
from assay.metrics.smooth_calibration import smooth_expected_calibration_error

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
    "group_accuracy",
    "group_codes",
    "intersect_groups",
    "macro_f1_score",
    "macro_precision",
    "macro_recall",
    "matthews_corrcoef",
    "maximum_calibration_error",
    "micro_f1_score",
    "negative_log_likelihood",
    "per_class_recall",
    "reliability_diagram",
    "smooth_expected_calibration_error",
    "top_k_accuracy_score",
    "worst_group_accuracy",
]
