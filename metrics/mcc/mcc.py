"""assay's mcc as an evaluate module (generated; see metric_card)."""

from assay.metrics.evaluate_module import metric_module

Mcc = metric_module("mcc")
