"""Slices of results that assay makes itself, not from a column of the data (so a suite
cannot slice by a column of the same name)."""

from __future__ import annotations

TRAINING_DATA_SLICE = "training_data"  # metrics on examples clean of / found in training data
