"""The digits demo's torch MLP and its held-out digits, as the attack tests use them."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assay.demo import demo_suite_path
from assay.suites.loading import load_suite


def load_digits_mlp() -> tuple[object, np.ndarray, np.ndarray, np.ndarray]:
    """The MLP's adapter (features 0-16, logits), the test features as float64, labels
    and example keys."""
    from assay.runners.torch_adapter import TorchAdapter
    from assay.suites.data import load_datasets

    path = demo_suite_path("digits")
    loaded = load_suite(path)
    spec = next(m for m in loaded.suite.models if m.name == "mlp")
    adapter = TorchAdapter(spec, Path(path).parent)  # type: ignore[arg-type]
    test = load_datasets(loaded.suite, path)["digits_test"]
    return adapter, test.features.numeric.astype(np.float64), test.labels, test.keys


def robust_accuracy(adapter: object, x: np.ndarray, y: np.ndarray) -> float:
    """The share of ``x`` the adapter classifies as ``y``."""
    return float((adapter.predict_proba(x).argmax(axis=1) == y).mean())  # type: ignore[attr-defined]
