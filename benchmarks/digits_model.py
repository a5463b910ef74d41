"""The digits MLP the benchmarks time: random weights (seeded), saved as safetensors and
loaded through assay's torch adapter, as a suite would."""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import save_model

from assay.demo.models import digits_mlp
from assay.runners.adapters import ModelAdapter, load_model
from assay.suites.schema import TorchModelSpec


def saved_digits_mlp(hidden: int, folder: Path) -> ModelAdapter:
    """The MLP with ``hidden`` units (seed 0), written to ``folder`` and loaded back."""
    torch.manual_seed(0)
    folder.mkdir(exist_ok=True)
    save_model(digits_mlp(hidden=hidden), str(folder / "mlp.safetensors"))
    spec = TorchModelSpec(
        type="torch",
        name="mlp",
        factory="assay.demo.models:digits_mlp",
        params={"hidden": hidden},
        checkpoint=str(folder / "mlp.safetensors"),
        device="cpu",
    )
    return load_model(spec, folder)
