"""assay's accuracy as an evaluate module (generated; see metric_card)."""

from assay.metrics.evaluate_module import metric_module

Accuracy = metric_module("accuracy")
