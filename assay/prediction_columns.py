"""The columns assay itself writes into every predictions file, and the pseudo-slice it
makes of one: a suite cannot slice by, or name a sensitive column, any of them."""

from __future__ import annotations

TRAINING_DATA_SLICE = "training_data"  # metrics on examples clean of / found in training data
EFFORT_COLUMNS = ("attack_queries", "perturbation_size")
FIXED_COLUMNS = (
    "example_id", "dataset", "model", "label", "probs", *EFFORT_COLUMNS, TRAINING_DATA_SLICE
)  # fmt: skip
