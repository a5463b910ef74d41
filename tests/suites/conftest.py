"""Fixtures the suites tests share."""

from __future__ import annotations

import numpy as np
import pytest

from tests.suites.digits_mlp import load_digits_mlp


@pytest.fixture(scope="module")
def digits_mlp() -> tuple[object, np.ndarray, np.ndarray, np.ndarray]:
    """The demo's torch MLP and its held-out digits (see :func:`load_digits_mlp`)."""
    return load_digits_mlp()
