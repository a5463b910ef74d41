"""The Square attack (issue 14, item 2): a black-box attack through the model's scores
only, for any model type. It lowers the scikit-learn digits model's accuracy within its
budget (L∞ and L2), every query is counted per example and none passes the budget, the
threat model and declared bounds hold exactly, tabular attacks move only the declared
mutable columns by whole steps where declared integer, and a model whose outputs never
change leaves the attack with nothing to follow: it ends, cleanly, with nothing fooled."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assay.suites.attack_domain import Domain, FeatureLayout
from assay.suites.attacks import ATTACKS
from assay.suites.queries import Oracle, QueryBudgetError, margin
from assay.suites.square_attack import window_fraction
from tests.suites.budget import sizes

square = ATTACKS.get("square").function


def _accuracy(model: object, x: np.ndarray, y: np.ndarray) -> float:
    return float((np.asarray(model.predict_proba(x)).argmax(axis=1) == y).mean())  # type: ignore[attr-defined]


@pytest.mark.parametrize(("norm", "eps", "budget"), [("linf", 1.5, 150), ("l2", 8.0, 150)])
def test_square_lowers_a_scikit_learn_models_accuracy_within_budget(
    digits_logreg: tuple, norm: str, eps: float, budget: int
) -> None:
    from assay.runners.inference import feature_layout

    model, test, x, y = digits_logreg
    asked: list[int] = []

    def answer(points: np.ndarray, rows: np.ndarray) -> np.ndarray:
        asked.append(len(points))
        return np.asarray(model.predict_proba(points))

    oracle = Oracle(answer, len(x), budget=budget)
    out = square(
        x, y, oracle=oracle, layout=feature_layout(test), example_keys=test.keys, seed=0,
        eps=eps, norm=norm, max_queries=budget, clip_min=0, clip_max=16,
    )  # fmt: skip
    assert _accuracy(model, out, y) < _accuracy(model, x, y) - 0.3
    assert oracle.queries.max() <= budget
    assert oracle.queries.sum() == sum(asked)  # every point the model saw was counted
    assert oracle.queries.min() >= 1  # the clean query
    assert np.all(sizes(out, x, norm) <= eps * (1 + 1e-6))
    assert out.min() >= 0 and out.max() <= 16


def test_the_oracle_refuses_a_query_past_the_budget() -> None:
    oracle = Oracle(lambda x, rows: np.full((len(x), 2), 0.5), 3, budget=2)
    oracle.scores(np.zeros((2, 1)), np.array([1, 1]))
    with pytest.raises(QueryBudgetError, match="3 queries for batch row 1; its budget is 2"):
        oracle.scores(np.zeros((1, 1)), np.array([1]))
    assert oracle.queries.tolist() == [0, 2, 0]  # the refused query was not counted
    labels_only = Oracle(lambda x, rows: np.full((len(x), 2), 0.5), 1, budget=5, labels_only=True)
    with pytest.raises(QueryBudgetError, match="labels only"):
        labels_only.scores(np.zeros((1, 1)), np.array([0]))


@given(
    norm=st.sampled_from(["linf", "l2"]),
    eps=st.floats(0.05, 3.0),
    budget=st.integers(2, 40),
    seed=st.integers(0, 2**31),
)
@settings(max_examples=30, deadline=None)
def test_budget_bounds_and_immutable_columns_hold(
    norm: str, eps: float, budget: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    x = np.round(rng.uniform(0, 10, size=(25, 5)))
    y = rng.integers(0, 3, 25)
    w = rng.normal(size=(5, 3))

    def answer(points: np.ndarray, rows: np.ndarray) -> np.ndarray:
        z = points @ w
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    oracle = Oracle(answer, 25, budget=budget)
    layout = FeatureLayout({"a": range(0, 1), "b": range(1, 2), "c": range(2, 5)})
    out = square(
        x, y, oracle=oracle, layout=layout, example_keys=np.arange(25, dtype=np.uint64),
        seed=seed, eps=eps, norm=norm, max_queries=budget, mutable=["a", "c"],
        integer_features="a", bounds={"c": [0, 10]}, clip_min=-1,
    )  # fmt: skip
    assert oracle.queries.max() <= budget
    assert np.array_equal(out[:, 1], x[:, 1])  # "b" is not mutable
    assert np.array_equal(out[:, 0], np.round(out[:, 0]))  # "a" moves by whole steps
    assert out[:, 2:].min() >= 0 and out[:, 2:].max() <= 10 and out[:, 0].min() >= -1
    assert np.all(sizes(out, x, norm) <= eps * (1 + 1e-9) + 1e-12)


def test_same_keys_and_seed_give_the_same_attack_in_any_order(digits_logreg: tuple) -> None:
    from assay.runners.inference import feature_layout

    _, test, x, y = digits_logreg
    w = np.random.default_rng(0).normal(size=(64, 10)) / 16

    def answer(points: np.ndarray, rows: np.ndarray) -> np.ndarray:
        # row by row (no BLAS): a batch's makeup cannot change a row's last bits
        z = (points[:, :, None] * w[None]).sum(axis=1)
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    rows = np.arange(60)
    order = rows[::-1].copy()

    def run(picked: np.ndarray) -> np.ndarray:
        oracle = Oracle(answer, len(picked), budget=40)
        return square(
            x[picked], y[picked], oracle=oracle, layout=feature_layout(test), max_queries=40,
            example_keys=test.keys[picked], seed=5, eps=1.0, clip_min=0, clip_max=16,
        )  # fmt: skip

    assert np.array_equal(run(order), run(rows)[order])
    assert not np.array_equal(run(rows), x[rows])


def test_a_model_with_constant_outputs_leaves_the_attack_nothing_to_follow() -> None:
    x = np.random.default_rng(0).uniform(0, 1, size=(12, 4))
    y = np.zeros(12, int)
    oracle = Oracle(lambda p, r: np.tile([0.7, 0.3], (len(p), 1)), 12, budget=30)
    out = square(
        x, y, oracle=oracle, layout=FeatureLayout({"x": range(0, 4)}), max_queries=30,
        example_keys=np.arange(12, dtype=np.uint64), seed=0, eps=0.5,
    )  # fmt: skip
    assert np.array_equal(out, x)  # no change lowered the margin, so none was kept
    assert oracle.queries.tolist() == [30] * 12  # it tried its whole budget, and stopped


def test_the_window_schedule_and_margin() -> None:
    assert window_fraction(0.8, 0, 10_000) == 0.8
    assert window_fraction(0.8, 11, 10_000) == 0.4
    assert window_fraction(0.8, 9_999, 10_000) == 0.8 / 512
    p = np.array([[0.7, 0.2, 0.1], [0.3, 0.6, 0.1]])
    assert np.allclose(margin(p, np.array([0, 0])), np.log([0.7 / 0.2, 0.3 / 0.6]))


def test_domain_refuses_an_unknown_column() -> None:
    from assay.errors import UserError

    with pytest.raises(UserError, match="names 'wage', which is not a numeric feature"):
        Domain.of(FeatureLayout({"age": range(0, 1)}), 1, mutable=["wage"])
