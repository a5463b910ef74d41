"""assay's group_accuracy as an evaluate module (generated; see metric_card)."""

from assay.metrics.evaluate_module import metric_module

GroupAccuracy = metric_module("group_accuracy")
