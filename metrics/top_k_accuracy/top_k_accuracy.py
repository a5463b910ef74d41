"""assay's top_k_accuracy as an evaluate module (generated; see metric_card)."""

from assay.metrics.evaluate_module import metric_module

TopKAccuracy = metric_module("top_k_accuracy")
