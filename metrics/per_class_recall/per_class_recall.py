"""assay's per_class_recall as an evaluate module (generated; see metric_card)."""

from assay.metrics.evaluate_module import metric_module

PerClassRecall = metric_module("per_class_recall")
