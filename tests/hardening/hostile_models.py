"""Models and data sources that misbehave on purpose, for the bad-input tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn


class HostileModel:
    """``predict_proba`` answers in the way ``mode`` names, all of them wrong."""

    def __init__(self, mode: str, n_classes: int = 2) -> None:
        self.mode = mode
        self.n_classes = n_classes

    def predict_proba(self, batch: Any) -> Any:
        n, k = len(batch), self.n_classes
        uniform = np.full((n, k), 1.0 / k)
        answers = {
            "nan": lambda: np.full((n, k), np.nan),
            "inf": lambda: np.full((n, k), np.inf),
            "negative": lambda: uniform - 1.0,
            "above_one": lambda: uniform * 3,
            "unnormalised": lambda: uniform * 0.5,
            "too_many_classes": lambda: np.full((n, k + 1), 1.0 / (k + 1)),
            "too_few_rows": lambda: uniform[:-1],
            "one_dimensional": lambda: uniform[:, 0],
            "strings": lambda: np.full((n, k), "x"),
            "ragged": lambda: [[0.5, 0.5]] + [[1.0]] * (n - 1),
            "none": lambda: None,
            "dict": lambda: {"a": 1},
            "object_rows": lambda: np.array([object()] * n),
            "three_dimensional": lambda: np.ones((n, k, 1)) / k,
            "complex": lambda: uniform.astype(complex),
        }
        if self.mode == "raises":
            raise ValueError("X has 2 features, but this model is expecting 7 features as input")
        return answers[self.mode]()


class WideInput:
    """Expects exactly seven features, like a model trained on other data."""

    def predict_proba(self, batch: Any) -> np.ndarray:
        array = np.asarray(batch, dtype=float)
        if array.shape[1] != 7:
            raise ValueError(f"X has {array.shape[1]} features, but expects 7")
        return np.full((len(array), 2), 0.5)


class FiniteOnly:
    """Refuses infinite or NaN inputs, as scikit-learn estimators do."""

    def predict_proba(self, batch: Any) -> np.ndarray:
        array = np.asarray(batch, dtype=float)
        if not np.isfinite(array).all():
            raise ValueError("Input X contains infinity or a value too large for dtype('float64').")
        return np.full((len(array), 2), 0.5)


def not_a_module() -> str:
    return "a string"


def needs_width(width: int) -> nn.Module:
    return nn.Linear(width, 2)


def small_net() -> nn.Module:
    return nn.Linear(2, 2)


def net_of_width_seven() -> nn.Module:
    return nn.Linear(7, 2)


def frame_source(rows: int = 4) -> pd.DataFrame:
    return pd.DataFrame({"x1": np.arange(rows, dtype=float), "label": ["a", "b"] * (rows // 2)})


def int_source() -> int:
    return 3


def failing_source() -> pd.DataFrame:
    raise RuntimeError("the warehouse is down")


def empty_source() -> pd.DataFrame:
    return pd.DataFrame({"x1": pd.Series([], dtype=float), "label": pd.Series([], dtype=str)})


def save_small_net(path: str) -> None:
    torch.save(small_net().state_dict(), path)


class RandomConfidence:
    """Confident-looking random probabilities (seeded by the inputs): a model whose plug-in
    calibration errors are mostly small-sample noise."""

    def predict_proba(self, batch: Any) -> np.ndarray:
        array = np.asarray(batch, dtype=float)
        seeds = np.abs(array[:, 0] * 1e6).astype(np.int64)
        first = np.array([np.random.default_rng(s).uniform(0.5, 1.0) for s in seeds])
        return np.column_stack([first, 1 - first])
