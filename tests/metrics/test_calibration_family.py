"""The ECE family against torchmetrics, scikit-learn and Kumar et al.'s reference code."""

from __future__ import annotations

import calibration as kumar  # uncertainty-calibration, Kumar et al. 2019's library
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.calibration import calibration_curve

from assay.metrics.binning import upper_edges
from assay.metrics.calibration import (
    adaptive_calibration_error,
    binned_errors,
    classwise_calibration_error,
    debiased_calibration_error,
    expected_calibration_error,
    lean_further,
    maximum_calibration_error,
)
from assay.metrics.reliability import reliability_diagram
from tests.metrics.test_calibration import random_case, torchmetrics_ece

cases = st.tuples(
    st.integers(0, 10_000), st.integers(2, 400), st.integers(2, 8), st.integers(1, 20)
)


@settings(max_examples=40, deadline=None)
@given(cases, st.sampled_from(["l2", "max"]))
def test_l2_and_max_norms_match_torchmetrics(case: tuple[int, int, int, int], norm: str) -> None:
    seed, n, n_classes, n_bins = case
    labels, probs = random_case(seed, n, n_classes)
    expected = torchmetrics_ece(labels, probs, n_bins, norm)
    ours = expected_calibration_error(labels, probs, n_bins=n_bins, norm=norm)
    assert ours == pytest.approx(expected, abs=1e-6)
    if norm == "max":
        assert maximum_calibration_error(labels, probs, n_bins=n_bins) == ours


# (our binning, our mode, Kumar et al.'s binning scheme, their mode, our shortcut function)
KUMAR_CASES = [
    ("quantile", "top_label", kumar.get_equal_bins, "top-label", adaptive_calibration_error),
    ("uniform", "classwise", kumar.get_equal_prob_bins, "marginal", classwise_calibration_error),
]


@settings(max_examples=40, deadline=None)
@given(cases, st.sampled_from(["l1", "l2"]), st.sampled_from(KUMAR_CASES))
def test_binned_errors_match_kumar(
    case: tuple[int, int, int, int], norm: str, variant: tuple
) -> None:
    seed, n, n_classes, n_bins = case
    binning, mode, scheme, their_mode, shortcut = variant
    labels, probs = random_case(seed, n, n_classes)
    expected = kumar.lower_bound_scaling_ce(
        probs,
        labels,
        p=1 if norm == "l1" else 2,
        debias=False,
        num_bins=n_bins,
        binning_scheme=scheme,
        mode=their_mode,
    )
    ours = expected_calibration_error(
        labels, probs, n_bins=n_bins, binning=binning, norm=norm, mode=mode
    )
    assert ours == pytest.approx(expected, abs=1e-9)
    if norm == "l1":
        assert shortcut(labels, probs, n_bins=n_bins) == ours


@settings(max_examples=40, deadline=None)
@given(cases, st.sampled_from(["top_label", "classwise"]), st.sampled_from(["uniform", "quantile"]))
def test_debiased_matches_kumar(case: tuple[int, int, int, int], mode: str, binning: str) -> None:
    seed, n, n_classes, n_bins = case
    labels, probs = random_case(seed, n, n_classes)
    scheme = kumar.get_equal_bins if binning == "quantile" else kumar.get_equal_prob_bins
    expected = kumar.lower_bound_scaling_ce(
        probs,
        labels,
        p=2,
        debias=True,
        num_bins=n_bins,
        binning_scheme=scheme,
        mode="top-label" if mode == "top_label" else "marginal",
    )
    ours = debiased_calibration_error(labels, probs, n_bins=n_bins, binning=binning, mode=mode)
    assert ours == pytest.approx(expected, abs=1e-9)


def test_debiased_removes_most_of_the_small_sample_bias() -> None:
    rng = np.random.default_rng(0)
    plugin, debiased = [], []
    for _ in range(200):  # a perfectly calibrated binary model: the true L2 error is 0
        p = rng.uniform(0, 1, size=200)
        y = (rng.uniform(size=200) < p).astype(int)
        plugin.append(
            expected_calibration_error(
                y, p, n_bins=10, binning="quantile", norm="l2", mode="classwise"
            )
            ** 2
        )
        debiased.append(debiased_calibration_error(y, p, n_bins=10, mode="classwise") ** 2)
    assert np.mean(debiased) < 0.25 * np.mean(plugin)


@settings(max_examples=40, deadline=None)
@given(cases)
def test_reliability_diagram_matches_sklearn(case: tuple[int, int, int, int]) -> None:
    seed, n, n_classes, n_bins = case
    labels, probs = random_case(seed, n, n_classes)
    confidence = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == labels).astype(int)
    diagram = reliability_diagram(labels, probs, n_bins=n_bins)
    filled = diagram.count > 0
    if correct.min() == correct.max():
        return  # scikit-learn needs both outcomes
    prob_true, prob_pred = calibration_curve(correct, confidence, n_bins=n_bins)
    assert diagram.accuracy[filled] == pytest.approx(prob_true, abs=1e-9)
    assert diagram.mean_confidence[filled] == pytest.approx(prob_pred, abs=1e-9)
    assert diagram.count.sum() == n
    ece = np.sum(
        diagram.count[filled]
        / n
        * np.abs(diagram.accuracy[filled] - diagram.mean_confidence[filled])
    )
    assert ece == pytest.approx(expected_calibration_error(labels, probs, n_bins=n_bins))


def test_equal_mass_ties_share_a_bin() -> None:
    edges = upper_edges(np.array([0.5, 0.5, 0.5, 0.5, 0.9, 0.9]), 3, "quantile")
    assert edges.tolist() == [0.5, 0.7, 1.0]


def test_max_norm_ignores_empty_bins_and_confidence_one() -> None:
    labels = np.array([0, 0])
    probs = np.array([[1.0, 0.0], [1.0, 0.0]])
    assert maximum_calibration_error(labels, probs) == 0.0
    assert expected_calibration_error(labels, probs, norm="l2") == 0.0


@pytest.mark.parametrize("n_bins", [1, 3, 7, 10, 15, 100])
def test_fast_uniform_bin_index_equals_exact_search(n_bins: int) -> None:
    from assay.metrics.binning import bin_index

    edges = np.arange(1, n_bins + 1) / n_bins
    on_edges = np.concatenate([[0.0], edges])
    values = np.concatenate(
        [
            on_edges,
            np.nextafter(on_edges, 2.0),
            np.nextafter(on_edges, -1.0),
            np.random.default_rng(n_bins).random(1000),
        ]
    )
    values = values[(values >= 0) & (values <= 1)]
    exact = np.minimum(np.searchsorted(edges, values, side="left"), n_bins - 1)
    assert np.array_equal(bin_index(values, edges, uniform=True), exact)


@settings(max_examples=60, deadline=None)
@given(
    bins=st.lists(
        st.tuples(st.integers(1, 50), st.floats(0.35, 0.65), st.floats(0.05, 0.3)),
        min_size=1,
        max_size=15,
    ),
    harm=st.floats(0.0, 0.05),
    under=st.booleans(),
    norm=st.sampled_from(["l1", "max"]),
)
def test_a_worsened_binned_error_rises_by_the_harm_when_every_gap_leans_one_way(
    bins: list[tuple[int, float, float]], harm: float, under: bool, norm: str
) -> None:
    count = np.array([c for c, _, _ in bins], dtype=float)
    accuracy = np.array([a for _, a, _ in bins])
    gap = np.array([g for _, _, g in bins])  # confidence minus accuracy, or back
    confidence = accuracy - gap if under else accuracy + gap
    outcome = accuracy * count
    sums = np.concatenate([count, confidence * count, outcome])[None, :]
    worse = lean_further(len(bins))(sums, harm)[0, 2 * len(bins) :]
    # each bin's accuracy moves by the harm, the way the bins lean (no bin leaves [0, 1])
    np.testing.assert_allclose(worse - outcome, (1 if under else -1) * harm * count, atol=1e-9)
    before = binned_errors(count, confidence * count, outcome, norm)
    after = binned_errors(count, confidence * count, worse, norm)
    assert after - before == pytest.approx(harm, abs=1e-9)
