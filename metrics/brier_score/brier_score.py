"""assay's brier_score as an evaluate module (generated; see metric_card)."""

from assay.metrics.evaluate_module import metric_module

BrierScore = metric_module("brier_score")
