"""A model over flat 64-value digits seen as torchattacks expects its inputs: N×1×8×8
images in [0, 1] (the features are 0-16)."""

from __future__ import annotations

import torch


class AsImages(torch.nn.Module):
    """``mlp`` applied to images in [0, 1], flattened and scaled back to 0-16.

    Example:
        >>> AsImages(torch.nn.Linear(64, 2))(torch.zeros(3, 1, 8, 8)).shape
        torch.Size([3, 2])
    """

    def __init__(self, mlp: torch.nn.Module) -> None:
        super().__init__()
        self.mlp = mlp

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.mlp(images.reshape(len(images), 64) * 16.0)
