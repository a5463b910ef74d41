"""assay's ece as an evaluate module (generated; see metric_card)."""

from assay.metrics.evaluate_module import metric_module

Ece = metric_module("ece")
