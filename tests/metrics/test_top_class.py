"""The blocked top-class kernel and the blocked probability checks against numpy itself."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assay.errors import InvalidInputError
from assay.metrics import top_class as kernel
from assay.metrics._checks import check_probabilities
from assay.metrics.calibration import top_label


def tied_probabilities(seed: int, n_rows: int, n_classes: int, dtype: type) -> np.ndarray:
    """Rows drawn from a few levels, so many rows tie for the top (and some are all equal)."""
    rng = np.random.default_rng(seed)
    levels = rng.integers(0, 4, size=(n_rows, n_classes)).astype(dtype)
    levels[rng.random(n_rows) < 0.05] = 1.0
    return levels / levels.sum(axis=1, keepdims=True, dtype=dtype).clip(min=1)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_rows=st.integers(1, 700),
    n_classes=st.sampled_from([1, 2, 3, 10, 64, 65, 200]),
    dtype=st.sampled_from([np.float32, np.float64]),
    block=st.sampled_from([1, 7, 256]),
)
def test_top_class_is_argmax_and_max(
    seed: int, n_rows: int, n_classes: int, dtype: type, block: int
) -> None:
    probs = tied_probabilities(seed, n_rows, n_classes, dtype)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kernel, "BLOCK_ROWS", block)
        classes, top = kernel.top_class(probs)
    np.testing.assert_array_equal(classes, probs.argmax(axis=1))
    np.testing.assert_array_equal(top, probs.max(axis=1))
    assert classes.dtype == np.int64 and top.dtype == probs.dtype


def test_nan_rows_get_what_argmax_gives() -> None:
    probs = np.array([[np.nan, 0.5, np.nan], [0.2, np.nan, 0.9], [0.3, 0.3, 0.4]])
    classes, top = kernel.top_class(probs)
    np.testing.assert_array_equal(classes, probs.argmax(axis=1))
    np.testing.assert_array_equal(top, probs.max(axis=1))


def test_strided_input() -> None:
    probs = tied_probabilities(3, 500, 12, np.float64)[::3, ::2]
    classes, top = kernel.top_class(probs)
    np.testing.assert_array_equal(classes, probs.argmax(axis=1))
    np.testing.assert_array_equal(top, probs.max(axis=1))


def test_top_label_matches_the_whole_array_definition(monkeypatch) -> None:
    monkeypatch.setattr(kernel, "BLOCK_ROWS", 64)
    probs = tied_probabilities(5, 1000, 5, np.float32)
    labels = np.random.default_rng(5).integers(0, 5, 1000)
    confidence, outcome = top_label(labels, probs)
    predicted = probs.argmax(axis=1)
    np.testing.assert_array_equal(confidence, probs.max(axis=1).astype(np.float64))
    np.testing.assert_array_equal(outcome, (predicted == labels).astype(np.float64))


@pytest.mark.parametrize(
    ("bad", "message"),
    [(np.nan, "NaN"), (np.inf, "NaN or infinite"), (-0.5, "outside"), (1.5, "outside")],
)
def test_a_bad_value_in_a_late_block_is_found(bad: float, message: str, monkeypatch) -> None:
    monkeypatch.setattr(kernel, "BLOCK_ROWS", 16)
    probs = np.full((100, 2), 0.5)
    probs[97, 0] = bad
    with pytest.raises(InvalidInputError, match=message):
        check_probabilities(probs, 100)


def test_row_sum_error_names_the_worst_row_anywhere(monkeypatch) -> None:
    monkeypatch.setattr(kernel, "BLOCK_ROWS", 16)
    probs = np.full((100, 2), 0.5)
    probs[3] = [0.5, 0.49]  # off by 0.01
    probs[90] = [0.5, 0.3]  # off by 0.2: the one reported
    with pytest.raises(InvalidInputError, match=r"off by ") as caught:
        check_probabilities(probs, 100)
    assert float(str(caught.value).rsplit(" ", 1)[-1]) == pytest.approx(0.2)  # in full
