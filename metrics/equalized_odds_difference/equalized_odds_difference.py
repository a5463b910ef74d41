"""assay's equalized_odds_difference as an evaluate module (generated; see metric_card)."""

from assay.metrics.evaluate_module import metric_module

EqualizedOddsDifference = metric_module("equalized_odds_difference")
