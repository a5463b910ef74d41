"""Input checks shared by the metric functions; each raises with one message template."""

from __future__ import annotations

import numpy as np

from assay.errors import InvalidInputError

ROW_SUM_TOLERANCE = 1e-3


def param_error(function: str, name: str, requirement: str, value: object) -> InvalidInputError:
    """The house message: "The 'n_bins' parameter of f must be an int >= 1. Got 0 instead."."""
    return InvalidInputError(
        f"The {name!r} parameter of {function} must be {requirement}. Got {value!r} instead."
    )


def check_int_param(function: str, name: str, value: object, *, minimum: int) -> int:
    """Return ``value`` if it is an int >= ``minimum``, else raise the template error."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise param_error(function, name, f"an int >= {minimum}", value)
    return int(value)


def check_labels(y_true: object, *, name: str = "y_true") -> np.ndarray:
    """1-D array of non-negative integer class indices."""
    labels = np.asarray(y_true)
    if labels.ndim != 1:
        raise InvalidInputError(f"{name} must be 1-D class indices; got shape {labels.shape}")
    if labels.size == 0:
        raise InvalidInputError(f"{name} is empty; metrics need at least one example")
    if not np.issubdtype(labels.dtype, np.integer):
        if np.issubdtype(labels.dtype, np.floating) and np.all(np.mod(labels, 1) == 0):
            labels = labels.astype(np.int64)
        else:
            raise InvalidInputError(f"{name} must hold integer class indices; got {labels.dtype}")
    if labels.min() < 0:
        raise InvalidInputError(f"{name} holds a negative class index ({labels.min()})")
    return labels.astype(np.int64, copy=False)


def check_probabilities(y_prob: object, n_examples: int) -> np.ndarray:
    """N×C float64 probabilities; a binary N vector becomes N×2 as [1 - p, p]."""
    probs = np.asarray(y_prob, dtype=np.float64)
    if probs.ndim == 1:
        probs = np.stack([1.0 - probs, probs], axis=1)
    if probs.ndim != 2 or probs.shape[0] != n_examples:
        raise InvalidInputError(
            f"y_prob must be N or N×C with N = {n_examples}; got shape {probs.shape}"
        )
    if not np.all(np.isfinite(probs)):
        raise InvalidInputError("y_prob holds NaN or infinite values")
    if probs.min() < 0.0 or probs.max() > 1.0:
        raise InvalidInputError(
            "y_prob holds values outside [0, 1]; pass probabilities, not logits"
        )
    worst = float(np.max(np.abs(probs.sum(axis=1) - 1.0)))
    if worst > ROW_SUM_TOLERANCE:
        raise InvalidInputError(f"y_prob rows must sum to 1; one is off by {worst:.3g}")
    return probs


def check_labels_within(labels: np.ndarray, n_classes: int, *, name: str = "y_true") -> None:
    """Every label must index a probability column."""
    if labels.max() >= n_classes:
        raise InvalidInputError(
            f"{name} holds class index {labels.max()} but y_prob has only {n_classes} columns"
        )


def check_same_length(*arrays: np.ndarray) -> None:
    lengths = {len(a) for a in arrays}
    if len(lengths) != 1:
        raise InvalidInputError(f"inputs differ in length: {sorted(lengths)}")


def encode_groups(sensitive_features: object, n_examples: int) -> tuple[np.ndarray, list[str]]:
    """Integer group codes and their sorted group names (as strings)."""
    values = np.asarray(sensitive_features, dtype=object)
    if values.ndim != 1 or len(values) != n_examples:
        raise InvalidInputError(
            f"sensitive_features must be 1-D with {n_examples} entries; got shape {values.shape}"
        )
    names, codes = np.unique(values.astype(str), return_inverse=True)
    return codes.astype(np.int64), [str(n) for n in names]
