"""assay's equal_opportunity_difference as an evaluate module (generated; see metric_card)."""

from assay.metrics.evaluate_module import metric_module

EqualOpportunityDifference = metric_module("equal_opportunity_difference")
