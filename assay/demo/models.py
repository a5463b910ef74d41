"""Model code for the demo suites (the weights ship beside this file)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn


class DigitsMLP(nn.Module):
    """An MLP over 8×8 digit images given as 64 pixel values in [0, 16]."""

    def __init__(self, hidden: int = 64, n_classes: int = 10) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(64, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, n_classes),
        )

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.layers(pixels / 16.0)


def digits_mlp(hidden: int = 64) -> DigitsMLP:
    """Factory named by the digits demo suite."""
    return DigitsMLP(hidden=hidden)


class UniformModel:
    """Predicts the uniform distribution: a baseline and a test double.

    Example:
        >>> UniformModel(n_classes=2).predict_proba(np.zeros((1, 5))).tolist()
        [[0.5, 0.5]]
    """

    def __init__(self, n_classes: int) -> None:
        self.n_classes = n_classes

    def predict_proba(self, batch: Any) -> np.ndarray:
        return np.full((len(batch), self.n_classes), 1.0 / self.n_classes, dtype=np.float32)
