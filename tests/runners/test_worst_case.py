"""The worst case over attacks: an example is robust only if every attack fails on it, so
its accuracy is never above any single attack's (property test)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from assay.metrics.top_class import predicted_classes
from assay.runners.worst_case import worst_case_probabilities


@given(
    n_attacks=st.integers(1, 4),
    n=st.integers(1, 60),
    classes=st.integers(2, 5),
    seed=st.integers(0, 2**32 - 1),
    ties=st.booleans(),
)
@settings(max_examples=200, deadline=None)
def test_robust_only_where_every_attack_fails(
    n_attacks: int, n: int, classes: int, seed: int, ties: bool
) -> None:
    rng = np.random.default_rng(seed)
    raw = rng.random((n_attacks, n, classes))
    if ties:  # coarse values: equal probabilities and argmax ties happen
        raw = np.round(raw * 2) + 1e-3
    attacked = list(raw / raw.sum(axis=2, keepdims=True))
    labels = rng.integers(0, classes, n)
    worst, chosen = worst_case_probabilities(attacked, labels)
    correct = [predicted_classes(p) == labels for p in attacked]
    robust = predicted_classes(worst) == labels
    assert np.array_equal(robust, np.logical_and.reduce(correct))
    assert robust.mean() <= min(c.mean() for c in correct)
    assert np.array_equal(worst, np.stack(attacked)[chosen, np.arange(n)])
    true_class = worst[np.arange(n), labels]
    for p, c in zip(attacked, correct, strict=True):  # the chosen one is the most damaging
        fooled = ~c & ~robust
        assert np.all(true_class[fooled] <= p[np.arange(n), labels][fooled] + 1e-12)
        assert np.all(true_class[robust] <= p[np.arange(n), labels][robust] + 1e-12)


@given(arrays(np.float64, (3, 2), elements=st.floats(0.01, 1)))
def test_one_attack_is_its_own_worst_case(values: np.ndarray) -> None:
    probs = values / values.sum(axis=1, keepdims=True)
    worst, chosen = worst_case_probabilities([probs], np.array([0, 1, 0]))
    assert np.array_equal(worst, probs) and not chosen.any()
