"""assay's demographic_parity_difference as an evaluate module (generated; see metric_card)."""

from assay.metrics.evaluate_module import metric_module

DemographicParityDifference = metric_module("demographic_parity_difference")
