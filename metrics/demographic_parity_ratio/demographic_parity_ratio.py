"""assay's demographic_parity_ratio as an evaluate module (generated; see metric_card)."""

from assay.metrics.evaluate_module import metric_module

DemographicParityRatio = metric_module("demographic_parity_ratio")
