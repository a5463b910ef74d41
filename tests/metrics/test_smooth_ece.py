"""Smooth ECE against relplot, the paper authors' implementation (Błasiok & Nakkiran 2023).

relplot evaluates on its own grid with a small density floor, so the two agree to the
discretisation (≈1e-3), not to 1e-6; the properties below pin down our own estimator.
"""

from __future__ import annotations

import numpy as np
import pytest
import relplot
from hypothesis import given, settings
from hypothesis import strategies as st

from assay.metrics.smooth_calibration import smooth_ece_at, smooth_expected_calibration_error


def binary_case(seed: int, n: int, power: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    confidence = rng.uniform(0.5, 1.0, n)
    correct = (rng.random(n) < confidence**power).astype(float)
    return confidence, correct


def as_top_label(confidence: np.ndarray, correct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two-class inputs whose top label is class 0 with the given confidence."""
    probs = np.stack([confidence, 1 - confidence], axis=1)
    labels = np.where(correct == 1, 0, 1)
    return labels, probs


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(200, 3000), st.floats(0.3, 3.0))
def test_matches_relplot(seed: int, n: int, power: float) -> None:
    confidence, correct = binary_case(seed, n, power)
    labels, probs = as_top_label(confidence, correct)
    ours = smooth_expected_calibration_error(labels, probs)
    assert ours == pytest.approx(relplot.smECE(confidence, correct), abs=2e-3)
    assert smooth_ece_at(confidence, correct, 0.1) == pytest.approx(
        relplot.smECE_sigma(confidence, correct, 0.1), abs=2e-3
    )


def test_constant_sign_residual_is_the_mean_gap() -> None:
    confidence = np.full(40, 0.8)
    correct = np.zeros(40)
    correct[:20] = 1  # accuracy 0.5 at confidence 0.8 everywhere
    for sigma in (0.01, 0.1, 0.5):
        assert smooth_ece_at(confidence, correct, sigma) == pytest.approx(0.3, abs=1e-9)


def test_calibrated_model_scores_near_zero_and_fixed_point_holds() -> None:
    confidence, correct = binary_case(1, 200_000, 1.0)
    labels, probs = as_top_label(confidence, correct)
    value = smooth_expected_calibration_error(labels, probs)
    assert value < 0.01
    assert smooth_ece_at(confidence, correct, value) == pytest.approx(value, abs=1e-4)
