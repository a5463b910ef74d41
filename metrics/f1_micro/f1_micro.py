"""assay's f1_micro as an evaluate module (generated; see metric_card)."""

from assay.metrics.evaluate_module import metric_module

F1Micro = metric_module("f1_micro")
