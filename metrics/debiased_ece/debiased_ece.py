"""assay's debiased_ece as an evaluate module (generated; see metric_card)."""

from assay.metrics.evaluate_module import metric_module

DebiasedEce = metric_module("debiased_ece")
