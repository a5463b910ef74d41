"""assay's recall_macro as an evaluate module (generated; see metric_card)."""

from assay.metrics.evaluate_module import metric_module

RecallMacro = metric_module("recall_macro")
