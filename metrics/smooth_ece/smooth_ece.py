"""assay's smooth_ece as an evaluate module (generated; see metric_card)."""

from assay.metrics.evaluate_module import metric_module

SmoothEce = metric_module("smooth_ece")
