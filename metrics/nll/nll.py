"""assay's nll as an evaluate module (generated; see metric_card)."""

from assay.metrics.evaluate_module import metric_module

Nll = metric_module("nll")
