"""assay's precision_macro as an evaluate module (generated; see metric_card)."""

from assay.metrics.evaluate_module import metric_module

PrecisionMacro = metric_module("precision_macro")
