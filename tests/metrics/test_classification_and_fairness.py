"""Accuracy against scikit-learn; group metrics against fairlearn (one-vs-rest for multiclass)."""

from __future__ import annotations

import numpy as np
import pytest
from fairlearn.metrics import MetricFrame
from fairlearn.metrics import demographic_parity_difference as fl_dpd
from fairlearn.metrics import equalized_odds_difference as fl_eod
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score as sk_accuracy

from assay.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equalized_odds_difference,
    group_accuracy,
    group_codes,
    macro_f1_score,
    micro_f1_score,
    per_class_recall,
    top_k_accuracy_score,
    worst_group_accuracy,
)


def random_groups(seed: int, n: int, n_classes: int, n_groups: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_classes, size=n)
    predicted = np.where(rng.random(n) < 0.7, labels, rng.integers(0, n_classes, size=n))
    groups = rng.choice([f"g{i}" for i in range(n_groups)], size=n)
    return labels, predicted, groups


# fairlearn cannot take a single row, so N = 1 is checked by hand below
cases = st.tuples(st.integers(0, 10_000), st.integers(2, 300), st.integers(2, 5), st.integers(1, 6))


@settings(max_examples=60, deadline=None)
@given(cases)
def test_accuracy_and_group_accuracy_match_references(case: tuple[int, int, int, int]) -> None:
    labels, predicted, groups = random_groups(*case)
    assert accuracy_score(labels, predicted) == pytest.approx(sk_accuracy(labels, predicted))
    frame = MetricFrame(
        metrics=sk_accuracy, y_true=labels, y_pred=predicted, sensitive_features=groups
    )
    expected = {str(k): float(v) for k, v in frame.by_group.items()}
    assert group_accuracy(labels, predicted, sensitive_features=groups) == pytest.approx(expected)
    assert worst_group_accuracy(labels, predicted, sensitive_features=groups) == pytest.approx(
        frame.group_min()
    )


@settings(max_examples=60, deadline=None)
@given(st.tuples(st.integers(0, 10_000), st.integers(2, 300), st.integers(1, 6)))
def test_binary_parity_matches_fairlearn(case: tuple[int, int, int]) -> None:
    seed, n, n_groups = case
    labels, predicted, groups = random_groups(seed, n, 2, n_groups)
    assert demographic_parity_difference(
        labels, predicted, sensitive_features=groups
    ) == pytest.approx(fl_dpd(labels, predicted, sensitive_features=groups), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.tuples(st.integers(0, 10_000), st.integers(40, 300), st.integers(1, 4)))
def test_binary_equalized_odds_matches_fairlearn(case: tuple[int, int, int]) -> None:
    seed, n, n_groups = case
    labels, predicted, groups = random_groups(seed, n, 2, n_groups)
    # fairlearn needs every group to hold both classes for its rates to be defined
    for g in np.unique(groups):
        labels[np.flatnonzero(groups == g)[:2]] = [0, 1]
    assert equalized_odds_difference(labels, predicted, sensitive_features=groups) == pytest.approx(
        fl_eod(labels, predicted, sensitive_features=groups), abs=1e-12
    )


@settings(max_examples=30, deadline=None)
@given(st.tuples(st.integers(0, 10_000), st.integers(60, 300), st.integers(3, 5)))
def test_multiclass_parity_is_max_over_one_vs_rest(case: tuple[int, int, int]) -> None:
    seed, n, n_classes = case
    labels, predicted, groups = random_groups(seed, n, n_classes, 3)
    for g in np.unique(groups):
        labels[np.flatnonzero(groups == g)[:n_classes]] = np.arange(n_classes)
    dpd = max(
        fl_dpd(labels == k, predicted == k, sensitive_features=groups) for k in range(n_classes)
    )
    eod = max(
        fl_eod(labels == k, predicted == k, sensitive_features=groups) for k in range(n_classes)
    )
    assert demographic_parity_difference(labels, predicted, sensitive_features=groups) == (
        pytest.approx(dpd, abs=1e-12)
    )
    assert equalized_odds_difference(labels, predicted, sensitive_features=groups) == (
        pytest.approx(eod, abs=1e-12)
    )


def test_single_group_has_no_gap() -> None:
    labels, predicted, _ = random_groups(0, 50, 2, 1)
    groups = np.array(["all"] * 50)
    assert demographic_parity_difference(labels, predicted, sensitive_features=groups) == 0.0
    assert equalized_odds_difference(labels, predicted, sensitive_features=groups) == 0.0


def test_singleton_groups() -> None:
    labels, predicted = np.array([1, 0, 1]), np.array([1, 1, 0])
    groups = np.array(["a", "b", "c"])
    assert group_accuracy(labels, predicted, sensitive_features=groups) == {
        "a": 1.0,
        "b": 0.0,
        "c": 0.0,
    }
    assert demographic_parity_difference(labels, predicted, sensitive_features=groups) == 1.0


def test_single_example() -> None:
    assert accuracy_score([2], [2]) == 1.0
    assert worst_group_accuracy([1], [0], sensitive_features=["a"]) == 0.0
    assert equalized_odds_difference([1], [1], sensitive_features=["a"]) == 0.0


def test_group_names_are_strings_and_sorted() -> None:
    result = group_accuracy([0, 0, 1], [0, 1, 1], sensitive_features=[2, 10, 2])
    assert list(result) == ["10", "2"]


@settings(max_examples=60, deadline=None)
@given(cases)
def test_classification_family_matches_sklearn(case: tuple[int, int, int, int]) -> None:
    from sklearn import metrics as sk

    labels, predicted, _ = random_groups(*case)
    assert balanced_accuracy_score(labels, predicted) == pytest.approx(
        sk.balanced_accuracy_score(labels, predicted), abs=1e-12
    )
    for average, ours in (("macro", macro_f1_score), ("micro", micro_f1_score)):
        assert ours(labels, predicted) == pytest.approx(
            sk.f1_score(labels, predicted, average=average), abs=1e-12
        )
    size = int(max(labels.max(), predicted.max())) + 1
    assert np.array_equal(
        confusion_matrix(labels, predicted),
        sk.confusion_matrix(labels, predicted, labels=list(range(size))),
    )
    present = np.unique(labels)
    recall = sk.recall_score(labels, predicted, labels=present, average=None)
    assert per_class_recall(labels, predicted) == pytest.approx(
        {str(k): r for k, r in zip(present, recall, strict=True)}
    )


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 300), st.integers(3, 10), st.integers(1, 4))
def test_top_k_matches_sklearn(seed: int, n: int, n_classes: int, k: int) -> None:
    from sklearn.metrics import top_k_accuracy_score as sk_top_k

    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.ones(n_classes), size=n)
    labels = rng.integers(0, n_classes, size=n)
    assert top_k_accuracy_score(labels, probs, k=k) == pytest.approx(
        sk_top_k(labels, probs, k=k, labels=list(range(n_classes))), abs=1e-12
    )


@settings(max_examples=60, deadline=None)
@given(st.tuples(st.integers(0, 10_000), st.integers(40, 300), st.integers(1, 5)))
def test_ratio_and_opportunity_match_fairlearn(case: tuple[int, int, int]) -> None:
    from fairlearn.metrics import demographic_parity_ratio as fl_dpr
    from fairlearn.metrics import equal_opportunity_difference as fl_eopd

    seed, n, n_groups = case
    labels, predicted, groups = random_groups(seed, n, 2, n_groups)
    # every group holds a negative and a positive (a random draw can leave a group of one)
    groups[: 2 * n_groups] = np.repeat([f"g{i}" for i in range(n_groups)], 2)
    for g in np.unique(groups):
        labels[np.flatnonzero(groups == g)[:2]] = [0, 1]
    assert demographic_parity_ratio(labels, predicted, sensitive_features=groups) == (
        pytest.approx(fl_dpr(labels, predicted, sensitive_features=groups), abs=1e-12)
    )
    assert equal_opportunity_difference(labels, predicted, sensitive_features=groups) == (
        pytest.approx(fl_eopd(labels, predicted, sensitive_features=groups), abs=1e-12)
    )


def test_encoded_groups_give_the_same_numbers() -> None:
    labels, predicted, groups = random_groups(3, 200, 3, 4)
    encoded = group_codes(groups)
    for metric in (
        demographic_parity_difference,
        demographic_parity_ratio,
        equal_opportunity_difference,
        equalized_odds_difference,
        worst_group_accuracy,
    ):
        assert metric(labels, predicted, sensitive_features=encoded) == metric(
            labels, predicted, sensitive_features=groups
        )


@settings(max_examples=80, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=60))
def test_fixed_width_group_encoding_equals_the_object_path(texts: list[str]) -> None:
    from assay.metrics._checks import encode_groups

    fixed = np.array(texts)  # numpy '<U' array, encoded through its bytes
    as_objects = np.array(texts, dtype=object)
    codes, names = encode_groups(fixed, len(texts))
    expected_codes, expected_names = encode_groups(as_objects, len(texts))
    assert names == expected_names
    assert codes.tolist() == expected_codes.tolist()
