"""assay's classwise_ece as an evaluate module (generated; see metric_card)."""

from assay.metrics.evaluate_module import metric_module

ClasswiseEce = metric_module("classwise_ece")
