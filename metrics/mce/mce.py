"""assay's mce as an evaluate module (generated; see metric_card)."""

from assay.metrics.evaluate_module import metric_module

Mce = metric_module("mce")
