"""A normalised hash of each example's model inputs, so the same example is recognised
wherever it appears: numbers rounded to a declared precision (−0 and 0 alike), text
lowercased with punctuation and runs of whitespace made single spaces, images (and other
list columns) by their values. Vectorised with pandas' row hashing (64 bits per row)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from assay.suites.features import FeatureBlock
from assay.suites.randomness import splitmix64

DEFAULT_PRECISION = 6  # decimal places numbers are compared at
_PUNCTUATION = r"[^\w\s]"


def normalised_text(values: pd.Series) -> pd.Series:
    """Lowercased, punctuation dropped, whitespace runs as one space, trimmed.

    Example:
        >>> normalised_text(pd.Series(["  A  good, film!", "a good film"])).tolist()
        ['a good film', 'a good film']
    """
    text = values.astype(str).str.lower().str.replace(_PUNCTUATION, "", regex=True)
    return text.str.replace(r"\s+", " ", regex=True).str.strip()


def row_hashes(features: FeatureBlock, precision: int = DEFAULT_PRECISION) -> np.ndarray:
    """A uint64 per row of ``features``, equal for rows whose normalised inputs are equal.

    Example:
        >>> block = FeatureBlock(np.array([[0.1000001], [0.1], [-0.0], [0.0]], np.float32),
        ...                      (("x", 1),), pd.DataFrame(index=range(4)), ("x",))
        >>> h = row_hashes(block, precision=4)
        >>> bool(h[0] == h[1]), bool(h[2] == h[3]), bool(h[0] == h[2])
        (True, True, False)
    """
    rounded = np.round(np.asarray(features.numeric, np.float64), precision) + 0.0  # -0 → 0
    columns: dict[str, Any] = {}
    if rounded.shape[1]:  # the numeric matrix as one hash per row (one column of the frame)
        columns["numeric"] = matrix_row_hashes(rounded)
    other = features.other
    for name in features.other_columns:
        values = other[name].reset_index(drop=True)
        is_text = pd.api.types.infer_dtype(values, skipna=False) == "string"
        columns[f"o{name}"] = normalised_text(values) if is_text else values.astype(str)
    if not columns:
        return np.zeros(len(rounded), np.uint64)
    frame = pd.DataFrame(columns)
    return np.asarray(pd.util.hash_pandas_object(frame, index=False), dtype=np.uint64)


def matrix_row_hashes(values: np.ndarray) -> np.ndarray:
    """A uint64 per row of an N × w numeric matrix, from its bytes exactly (no rounding):
    each 8-byte word mixed with its position, summed, mixed again. Vectorised, for the
    fingerprint of list columns (images, embeddings), which per-row text would make slow.

    Example:
        >>> m = np.array([[1.0, 2.0], [2.0, 1.0], [1.0, 2.0]], np.float32)
        >>> h = matrix_row_hashes(m)
        >>> bool(h[0] == h[2]), bool(h[0] == h[1])
        (True, False)
    """
    rows = np.ascontiguousarray(values)
    raw = rows.view(np.uint8).reshape(len(rows), -1)
    width = raw.shape[1]
    padded = np.zeros((len(rows), -(-width // 8) * 8), np.uint8)
    padded[:, :width] = raw
    words = padded.view(np.uint64)
    positions = np.arange(words.shape[1], dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    mixed = splitmix64(words ^ positions)
    return splitmix64(mixed.sum(axis=1, dtype=np.uint64) ^ np.uint64(width))
