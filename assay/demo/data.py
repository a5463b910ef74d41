"""Data helpers for the demo suites."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.datasets import load_digits


def inverted_digits(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Digits with inverted contrast (16 − pixel): an out-of-distribution set for models
    trained on ordinary digits, with the same 64 pixel columns.

    Example:
        >>> frame = inverted_digits(n=5)
        >>> frame.shape, float(frame.to_numpy().max())
        ((5, 64), 16.0)
    """
    pixels = load_digits(as_frame=True).frame.drop(columns="target")
    rows = np.sort(np.random.default_rng(seed).choice(len(pixels), size=n, replace=False))
    return (16.0 - pixels.iloc[rows].astype(float)).reset_index(drop=True)
