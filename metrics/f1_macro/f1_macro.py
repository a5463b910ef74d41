"""assay's f1_macro as an evaluate module (generated; see metric_card)."""

from assay.metrics.evaluate_module import metric_module

F1Macro = metric_module("f1_macro")
