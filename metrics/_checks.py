"""Input checks shared by the metric functions; each raises with one message template."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from assay.errors import InvalidInputError
from assay.metrics.top_class import row_blocks

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
    """N×C probabilities (float32 stays float32); a binary N vector becomes N×2 as [1 − p, p].

    One pass each for min, max and row sums: NaN fails the range check, as does ±inf.
    """
    probs = np.asarray(y_prob)
    if probs.dtype not in (np.float32, np.float64):
        probs = probs.astype(np.float64)
    if probs.ndim == 1:
        probs = np.stack([1.0 - probs, probs], axis=1)
    if probs.ndim != 2 or probs.shape[0] != n_examples:
        raise InvalidInputError(
            f"y_prob must be N or N×C with N = {n_examples}; got shape {probs.shape}"
        )
    ones = np.ones(probs.shape[1], dtype=probs.dtype)
    low, high, worst = np.inf, -np.inf, 0.0
    for rows in row_blocks(len(probs)):  # temporaries stay small and in cache
        block = probs[rows]
        block_low, block_high = float(block.min()), float(block.max())
        if not (np.isfinite(block_low) and np.isfinite(block_high)):  # NaN propagates
            raise InvalidInputError("y_prob holds NaN or infinite values")
        low, high = min(low, block_low), max(high, block_high)
        # a matrix-vector product sums short rows ~5x faster than sum(axis=1); the largest
        # |sum - 1| is at the largest or the smallest sum (subtracting 1 keeps the order)
        row_sums = block @ ones
        worst = max(worst, float(row_sums.max()) - 1.0, 1.0 - float(row_sums.min()))
    if low < 0.0 or high > 1.0:
        raise InvalidInputError(
            "y_prob holds values outside [0, 1]; pass probabilities, not logits"
        )
    if worst > ROW_SUM_TOLERANCE:
        raise InvalidInputError(f"y_prob rows must sum to 1; one is off by {worst!r}")
    return probs


def check_labels_within(labels: np.ndarray, n_classes: int, *, name: str = "y_true") -> None:
    """Every label must index a probability column."""
    if labels.max() >= n_classes:
        raise InvalidInputError(
            f"{name} holds class index {labels.max()} but y_prob has only {n_classes} columns"
        )


def labels_and_predictions(y_true: object, y_pred: object) -> tuple[np.ndarray, np.ndarray]:
    """Checked true and predicted class indices of the same length."""
    labels = check_labels(y_true)
    predicted = check_labels(y_pred, name="y_pred")
    check_same_length(labels, predicted)
    return labels, predicted


def labels_and_probabilities(y_true: object, y_prob: object) -> tuple[np.ndarray, np.ndarray]:
    """Checked class indices and N×C probabilities (float32 stays float32), every label a
    column of ``y_prob``."""
    labels = check_labels(y_true)
    probs = check_probabilities(y_prob, len(labels))
    check_labels_within(labels, probs.shape[1])
    return labels, probs


def check_same_length(*arrays: np.ndarray) -> None:
    lengths = {len(a) for a in arrays}
    if len(lengths) != 1:
        raise InvalidInputError(f"inputs differ in length: {sorted(lengths)}")


@dataclass(frozen=True)
class GroupCodes:
    """Sensitive features already encoded: ``codes[i]`` indexes ``names``.

    Pass one to several group metrics to encode the column only once.
    """

    codes: np.ndarray
    names: list[str]

    def __len__(self) -> int:
        return len(self.codes)


def encode_groups(sensitive_features: object, n_examples: int) -> tuple[np.ndarray, list[str]]:
    """Integer group codes and their sorted group names (values compared as strings).

    Hash-based factorisation first (pandas), then only the few distinct values are turned
    into strings and sorted: ~10x faster than sorting a million strings.

    Example:
        >>> codes, names = encode_groups(["b", "a", "b", 3], 4)
        >>> codes.tolist(), names
        ([2, 1, 2, 0], ['3', 'a', 'b'])
    """
    if isinstance(sensitive_features, GroupCodes):
        if len(sensitive_features) != n_examples:
            raise InvalidInputError(
                f"sensitive_features must have {n_examples} entries; got {len(sensitive_features)}"
            )
        return sensitive_features.codes, sensitive_features.names
    values = np.asarray(sensitive_features)
    if values.ndim != 1 or len(values) != n_examples:
        raise InvalidInputError(
            f"sensitive_features must be 1-D with {n_examples} entries; got shape {values.shape}"
        )
    if values.dtype.kind in "US":
        codes, uniques = _factorize_fixed_width(values)
    else:
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
    names, remap = np.unique(np.array([str(u) for u in uniques], dtype=str), return_inverse=True)
    return remap.reshape(-1)[codes].astype(np.int64), [str(n) for n in names]


_HASH_MULTIPLIERS = np.random.default_rng(20261126).integers(
    1, 2**63, size=(64, 2), dtype=np.uint64
) | np.uint64(1)


def _factorize_fixed_width(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Factorise a fixed-width string array through its bytes, ~5x faster than through
    Python objects.

    Each row's 8-byte words are combined into two 64-bit keys with random odd multipliers;
    rows are grouped by the first key and every row's second key must equal its group's, so
    a wrong grouping needs both keys to collide at once (else the object path is taken).
    """
    n_rows, width = len(values), values.dtype.itemsize
    raw = np.ascontiguousarray(values).view(np.uint8).reshape(n_rows, width)
    if width % 8:
        raw = np.concatenate([raw, np.zeros((n_rows, 8 - width % 8), np.uint8)], axis=1)
    words = np.ascontiguousarray(raw).view(np.uint64)
    if words.shape[1] > len(_HASH_MULTIPLIERS):
        return pd.factorize(values.astype(object), use_na_sentinel=False)
    keys = words @ _HASH_MULTIPLIERS[: words.shape[1]]
    codes, _ = pd.factorize(keys[:, 0])
    first = np.zeros(int(codes.max()) + 1 if n_rows else 0, dtype=np.int64)
    first[codes[::-1]] = np.arange(n_rows)[::-1]
    if not np.array_equal(keys[:, 1], keys[first[codes], 1]):
        return pd.factorize(values.astype(object), use_na_sentinel=False)
    return codes, values[first]


def group_codes(sensitive_features: object) -> GroupCodes:
    """Encode a sensitive-feature column once for several group metrics.

    Example:
        >>> group_codes(["x", "y", "x"]).names
        ['x', 'y']
    """
    if isinstance(sensitive_features, GroupCodes):
        return sensitive_features
    values = np.asarray(sensitive_features)
    codes, names = encode_groups(values, len(values))
    return GroupCodes(codes, names)
