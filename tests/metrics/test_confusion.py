"""Matthews correlation and macro precision/recall: scikit-learn as the oracle, on random
and edge-case inputs; the decomposition (intervals, comparisons) gives the same values."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import matthews_corrcoef, precision_score, recall_score

from assay.metrics.confusion import macro_precision, macro_recall
from assay.metrics.confusion import matthews_corrcoef as assay_mcc
from assay.metrics.registry import METRICS, compute_metric, decompose

ORACLES = {
    "mcc": (assay_mcc, matthews_corrcoef),
    "precision_macro": (
        macro_precision,
        lambda y, p: precision_score(y, p, average="macro", zero_division=0),
    ),
    "recall_macro": (
        macro_recall,
        lambda y, p: recall_score(y, p, average="macro", zero_division=0),
    ),
}

pairs = st.integers(2, 5).flatmap(
    lambda c: st.integers(1, 60).flatmap(
        lambda n: st.tuples(
            st.lists(st.integers(0, c - 1), min_size=n, max_size=n),
            st.lists(st.integers(0, c - 1), min_size=n, max_size=n),
        )
    )
)


@pytest.mark.parametrize("name", sorted(ORACLES))
@settings(max_examples=150, deadline=None)
@given(pair=pairs)
def test_matches_scikit_learn(name: str, pair: tuple[list[int], list[int]]) -> None:
    ours, oracle = ORACLES[name]
    y_true, y_pred = np.array(pair[0]), np.array(pair[1])
    assert ours(y_true, y_pred) == pytest.approx(oracle(y_true, y_pred), abs=1e-12)


@pytest.mark.parametrize("name", sorted(ORACLES))
@pytest.mark.parametrize(
    ("y_true", "y_pred"),
    [
        ([0, 0, 0], [0, 0, 0]),  # one class everywhere: MCC 0 by convention
        ([0, 1, 0, 1], [1, 0, 1, 0]),  # all wrong
        ([0, 1, 2, 2], [0, 1, 2, 2]),  # perfect
        ([0, 0, 1], [2, 2, 2]),  # a class only predicted, never present
    ],
)
def test_edge_cases(name: str, y_true: list[int], y_pred: list[int]) -> None:
    ours, oracle = ORACLES[name]
    assert ours(np.array(y_true), np.array(y_pred)) == pytest.approx(
        oracle(y_true, y_pred), abs=1e-12
    )


@pytest.mark.parametrize("name", sorted(ORACLES))
def test_registry_and_decomposition_agree(name: str) -> None:
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 4, 300)
    probs = rng.dirichlet(np.ones(4), 300)
    value = compute_metric(name, labels, probs)
    assert decompose(name, labels, probs).value()[0] == pytest.approx(value, abs=1e-12)
    info = METRICS.get(name)
    assert info.input == "labels" and info.higher_is_better and info.decomposition is not None
