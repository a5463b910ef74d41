"""assay's worst_group_accuracy as an evaluate module (generated; see metric_card)."""

from assay.metrics.evaluate_module import metric_module

WorstGroupAccuracy = metric_module("worst_group_accuracy")
