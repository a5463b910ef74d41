"""Fixtures the suites tests share."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assay.demo import demo_suite_path
from assay.suites.loading import load_suite
from tests.suites.digits_mlp import load_digits_mlp


@pytest.fixture(scope="module")
def digits_mlp() -> tuple[object, np.ndarray, np.ndarray, np.ndarray]:
    """The demo's torch MLP and its held-out digits (see :func:`load_digits_mlp`)."""
    return load_digits_mlp()


@pytest.fixture(scope="module")
def digits_logreg() -> tuple[object, object, np.ndarray, np.ndarray]:
    """The demo's scikit-learn logistic regression, its held-out digits as loaded, their
    features and labels."""
    from assay.runners.adapters import load_model
    from assay.suites.data import load_datasets

    path = demo_suite_path("digits")
    loaded = load_suite(path)
    spec = next(m for m in loaded.suite.models if m.name == "logreg")
    model = load_model(spec, Path(path).parent)
    test = load_datasets(loaded.suite, path)["digits_test"]
    return model, test, test.features.numeric, test.labels
