"""assay's balanced_accuracy as an evaluate module (generated; see metric_card)."""

from assay.metrics.evaluate_module import metric_module

BalancedAccuracy = metric_module("balanced_accuracy")
