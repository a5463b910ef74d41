"""Calibration metrics against torchmetrics and scikit-learn, plus hand-computed edges."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn.metrics import brier_score_loss as sk_brier
from sklearn.metrics import log_loss
from torchmetrics.functional.classification import multiclass_calibration_error

from assay.errors import InvalidInputError
from assay.metrics.calibration import expected_calibration_error, uniform_bin_index
from assay.metrics.scoring_rules import brier_score_loss, negative_log_likelihood


def random_case(seed: int, n: int, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=rng.uniform(0.5, 4.0), size=(n, n_classes))
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    labels = rng.integers(0, n_classes, size=n)
    return labels, probs


cases = st.tuples(
    st.integers(0, 10_000), st.integers(1, 400), st.integers(2, 12), st.integers(1, 30)
)


def torchmetrics_ece(labels: np.ndarray, probs: np.ndarray, n_bins: int, norm: str) -> float:
    """torchmetrics' calibration error, skipping inputs its conventions treat differently."""
    # torchmetrics puts confidence 1.0 in a bin of its own (its issue #3510), and it works in
    # float32, where confidences within 6e-8 of 1 become exactly 1.0
    assume(probs.max() < 1.0 - 1e-6)
    return float(
        multiclass_calibration_error(
            torch.from_numpy(probs),
            torch.from_numpy(labels),
            num_classes=probs.shape[1],
            n_bins=n_bins,
            norm=norm,
        ).item()
    )


@settings(max_examples=60, deadline=None)
@given(cases)
def test_ece_matches_torchmetrics(case: tuple[int, int, int, int]) -> None:
    seed, n, n_classes, n_bins = case
    labels, probs = random_case(seed, n, n_classes)
    expected = torchmetrics_ece(labels, probs, n_bins, "l1")
    # torchmetrics sums in float32 and closes bins on the left; random confidences never sit
    # on an edge, so the two conventions agree here.
    assert expected_calibration_error(labels, probs, n_bins=n_bins) == pytest.approx(
        expected, abs=1e-6
    )


def hand_ece(labels: np.ndarray, probs: np.ndarray, n_bins: int) -> float:
    """A loop over bins (i/M, (i+1)/M], written independently of the vectorised code."""
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels
    total = 0.0
    for b in range(n_bins):
        low, high = b / n_bins, (b + 1) / n_bins
        in_bin = (confidence > low) & (confidence <= high)
        if b == 0:
            in_bin |= confidence == 0.0
        if in_bin.any():
            total += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return total


def test_ece_confidence_one_lands_in_last_bin() -> None:
    labels = np.array([0, 1, 0])
    probs = np.array([[1.0, 0.0], [1.0, 0.0], [0.55, 0.45]])
    # last bin (14/15, 1]: two examples at 1.0, one right → |0.5 - 1.0| · 2/3; 0.55 alone.
    expected = (2 / 3) * 0.5 + (1 / 3) * abs(1.0 - 0.55)
    assert expected_calibration_error(labels, probs) == pytest.approx(expected, abs=1e-12)
    assert expected_calibration_error(labels, probs) == pytest.approx(hand_ece(labels, probs, 15))


def test_bin_edges_are_closed_on_the_right() -> None:
    # 0.6 is exactly on the edge 3/5 and belongs to bin 2 (np.linspace puts the edge higher)
    assert uniform_bin_index(np.array([0.6, 0.6000000000000001]), 5).tolist() == [2, 3]
    assert uniform_bin_index(np.array([0.0, 0.1, 0.1 + 1e-12, 0.5, 1.0]), 10).tolist() == [
        0,
        0,
        1,
        4,
        9,
    ]


@settings(max_examples=40, deadline=None)
@given(cases)
def test_ece_matches_loop_oracle(case: tuple[int, int, int, int]) -> None:
    seed, n, n_classes, n_bins = case
    labels, probs = random_case(seed, n, n_classes)
    probs = np.round(probs, 1)  # many confidences exactly on bin edges
    probs[:, 0] += 1.0 - probs.sum(axis=1)
    probs = np.clip(probs, 0, 1)
    probs /= probs.sum(axis=1, keepdims=True)
    assert expected_calibration_error(labels, probs, n_bins=n_bins) == pytest.approx(
        hand_ece(labels, probs, n_bins), abs=1e-9
    )


def test_ece_single_example_and_one_class() -> None:
    assert expected_calibration_error([0], [[0.8, 0.2]]) == pytest.approx(0.2)
    assert expected_calibration_error([1, 1], [[0.1, 0.9], [0.3, 0.7]]) == pytest.approx(0.2)


def test_binary_vector_equals_two_columns() -> None:
    labels, probs = random_case(3, 50, 2)
    assert expected_calibration_error(labels, probs[:, 1]) == pytest.approx(
        expected_calibration_error(labels, probs)
    )


@settings(max_examples=60, deadline=None)
@given(cases)
def test_brier_matches_sklearn(case: tuple[int, int, int, int]) -> None:
    seed, n, n_classes, _ = case
    labels, probs = random_case(seed, n, n_classes)
    expected = sk_brier(labels, probs, labels=list(range(n_classes)))
    assert brier_score_loss(labels, probs) == pytest.approx(expected, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(cases)
def test_nll_matches_sklearn(case: tuple[int, int, int, int]) -> None:
    seed, n, n_classes, _ = case
    labels, probs = random_case(seed, n, n_classes)
    expected = log_loss(labels, probs, labels=list(range(n_classes)))
    assert negative_log_likelihood(labels, probs) == pytest.approx(expected, rel=1e-9)


def test_nll_of_zero_probability_is_finite() -> None:
    value = negative_log_likelihood([1], [[1.0, 0.0]])
    assert value == pytest.approx(-np.log(np.finfo(np.float64).eps))


@pytest.mark.parametrize(
    ("labels", "probs", "message"),
    [
        ([0, 1], [[0.5, np.nan], [0.5, 0.5]], "NaN"),
        ([0, 1], [[2.0, -1.0], [0.5, 0.5]], "outside"),
        ([0, 1], [[0.7, 0.7], [0.5, 0.5]], "sum to 1"),
        ([0, 2], [[0.5, 0.5], [0.5, 0.5]], "class index 2"),
        ([0], [[0.5, 0.5], [0.5, 0.5]], "shape"),
        ([], np.zeros((0, 2)), "empty"),
    ],
)
def test_bad_inputs_are_refused(labels: list, probs: list, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        expected_calibration_error(labels, probs)


def test_bad_n_bins_uses_the_template() -> None:
    with pytest.raises(InvalidInputError) as error:
        expected_calibration_error([0], [[0.5, 0.5]], n_bins=0)
    assert str(error.value) == (
        "The 'n_bins' parameter of metric 'ece' must be an int >= 1. Got 0 instead."
    )


def test_large_inputs_give_the_same_result() -> None:
    labels, probs = random_case(4, 300_001, 5)
    large = expected_calibration_error(labels, probs)
    assert large == pytest.approx(hand_ece(labels, probs, 15), abs=1e-12)
    assert large == expected_calibration_error(labels, probs)  # deterministic
    with pytest.raises(InvalidInputError, match="NaN"):
        broken = probs.copy()
        broken[-1, 0] = np.nan
        expected_calibration_error(labels, broken)


def test_large_inputs_of_every_kind_agree_with_one_pass() -> None:
    """Row-local metrics sum row chunks built in threads; the others (equal-mass bins) are
    built in one pass: both agree with the whole sample's decomposition."""
    from assay.metrics.registry import METRICS
    from assay.metrics.rowwise import PARALLEL_ROWS

    labels, probs = random_case(9, PARALLEL_ROWS + 17, 4)
    for name in ("ece", "adaptive_ece", "brier_score", "nll", "accuracy"):
        info = METRICS.get(name)
        second = probs.argmax(axis=1) if info.input == "labels" else probs
        whole = info.decomposition(labels, second).value()[0]
        assert info.value(labels, second) == pytest.approx(whole, rel=1e-12, abs=1e-15)


def test_numpy_scalars_are_valid_params() -> None:
    labels, probs = random_case(2, 200, 3)
    assert expected_calibration_error(labels, probs, n_bins=np.int64(10)) == (
        expected_calibration_error(labels, probs, n_bins=10)
    )
    with pytest.raises(InvalidInputError, match="must be an int >= 1"):
        expected_calibration_error(labels, probs, n_bins=np.float64(10.0))


def test_a_built_decomposition_gives_the_value_exactly_unless_summed_in_chunks() -> None:
    """The runner reads a value off the decomposition it built for the interval whenever
    that is the computation info.value would do: bit for bit the same number."""
    from assay.metrics.registry import METRICS, decompose
    from assay.metrics.rowwise import PARALLEL_ROWS

    for n in (5_000, PARALLEL_ROWS + 5):
        labels, probs = random_case(12, n, 4)
        for name in ("ece", "adaptive_ece", "balanced_accuracy", "nll"):
            info = METRICS.get(name)
            decomposition = decompose(name, labels, probs)
            assert decomposition is not None
            second = probs.argmax(axis=1) if info.input == "labels" else probs
            if not info.sums_by_chunks(decomposition):
                assert info.value_of(decomposition) == info.value(labels, second), (name, n)
            else:
                assert n >= PARALLEL_ROWS and decomposition.row_local
