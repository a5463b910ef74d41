"""assay's adaptive_ece as an evaluate module (generated; see metric_card)."""

from assay.metrics.evaluate_module import metric_module

AdaptiveEce = metric_module("adaptive_ece")
