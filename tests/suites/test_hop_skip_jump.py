"""HopSkipJump (issue 14, item 2): a decision-based black-box attack that sees only the
model's labels. On a linear model, where the smallest L2 step to a wrong label is known in
closed form, it gets within a few percent of it and never below it; it lowers the
scikit-learn digits model's accuracy within its query budget, which is counted and never
exceeded; bounds, immutable and integer columns and eps hold; the same ids give the same
attack in any order; a model whose outputs never change gets its clean inputs back."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assay.errors import UserError
from assay.suites.attack_domain import FeatureLayout
from assay.suites.attacks import ATTACKS
from assay.suites.queries import Oracle, QueryBudgetError
from tests.suites.budget import sizes

hop_skip_jump = ATTACKS.get("hop_skip_jump").function


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _linear_model(seed: int, width: int, classes: int):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    w, b = rng.normal(size=(width, classes)), rng.normal(size=classes)
    return w, b, lambda points, rows=None: _softmax(points @ w + b)


def _closest_wrong_distance(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The exact L2 distance from each row to where a linear model's label changes: the
    nearest of the half-spaces z_j ≥ z_y."""
    z = x @ w + b
    y = z.argmax(axis=1)
    gaps = z[np.arange(len(x)), y][:, None] - z  # N × C, 0 at y
    normals = np.linalg.norm(w.T[y][:, None, :] - w.T[None, :, :], axis=2)  # N × C
    with np.errstate(invalid="ignore", divide="ignore"):
        distances = np.where(np.arange(w.shape[1]) == y[:, None], np.inf, gaps / normals)
    return distances.min(axis=1)


def test_it_nears_the_closest_wrong_point_of_a_linear_model() -> None:
    w, b, probabilities = _linear_model(1, width=10, classes=3)
    x = np.random.default_rng(2).uniform(-1, 1, size=(200, 10))
    y = probabilities(x).argmax(axis=1)
    oracle = Oracle(probabilities, len(x), budget=1000, labels_only=True)
    out = hop_skip_jump(
        x, y, oracle=oracle, layout=FeatureLayout({"x": range(0, 10)}), max_queries=1000,
        example_keys=np.arange(200, dtype=np.uint64), seed=0, clip_min=-10, clip_max=10,
    )  # fmt: skip
    assert np.all(probabilities(out).argmax(axis=1) != y)  # every example fooled
    ratio = sizes(out, x, "l2") / _closest_wrong_distance(x, w, b)
    assert ratio.min() >= 1 - 1e-9  # no point closer than the optimum: each is truly wrong
    assert np.median(ratio) < 1.06 and np.percentile(ratio, 90) < 1.15
    assert oracle.queries.max() <= 1000 and np.median(oracle.queries) > 950


def test_it_lowers_a_scikit_learn_models_accuracy_within_budget(digits_logreg: tuple) -> None:
    from assay.runners.inference import feature_layout

    model, test, x, y = digits_logreg
    asked: list[int] = []

    def answer(points: np.ndarray, rows: np.ndarray) -> np.ndarray:
        asked.append(len(points))
        return np.asarray(model.predict_proba(points))

    oracle = Oracle(answer, len(x), budget=300, labels_only=True)
    out = hop_skip_jump(
        x, y, oracle=oracle, layout=feature_layout(test), example_keys=test.keys, seed=0,
        eps=8.0, max_queries=300, clip_min=0, clip_max=16,
    )  # fmt: skip
    clean_accuracy = float((np.asarray(model.predict_proba(x)).argmax(axis=1) == y).mean())
    attacked = np.asarray(model.predict_proba(out)).argmax(axis=1)
    assert float((attacked == y).mean()) < clean_accuracy - 0.5
    assert oracle.queries.max() <= 300 and oracle.queries.min() >= 1
    assert oracle.queries.sum() == sum(asked)  # every point the model saw was counted
    moved = sizes(out, x, "l2") > 0
    assert np.all(sizes(out, x, "l2") <= 8.0) and np.all(attacked[moved] != y[moved])
    assert out.min() >= 0 and out.max() <= 16


@given(
    eps=st.one_of(st.none(), st.floats(0.1, 5.0)),
    budget=st.integers(2, 80),
    seed=st.integers(0, 2**31),
)
@settings(max_examples=30, deadline=None)
def test_budget_bounds_and_immutable_columns_hold(
    eps: float | None, budget: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    x = np.round(rng.uniform(0, 10, size=(25, 5)))
    y = rng.integers(0, 3, 25)
    w = rng.normal(size=(5, 3))
    oracle = Oracle(lambda p, r: _softmax(p @ w), 25, budget=budget, labels_only=True)
    layout = FeatureLayout({"a": range(0, 1), "b": range(1, 2), "c": range(2, 5)})
    out = hop_skip_jump(
        x, y, oracle=oracle, layout=layout, example_keys=np.arange(25, dtype=np.uint64),
        seed=seed, eps=eps, max_queries=budget, mutable=["a", "c"], integer_features="a",
        bounds={"a": [-5, 15], "c": [0, 10]}, start_tries=10,
    )  # fmt: skip
    assert oracle.queries.max() <= budget
    assert np.array_equal(out[:, 1], x[:, 1])  # "b" is not mutable
    assert np.array_equal(out[:, 0], np.round(out[:, 0]))  # "a" moves by whole steps
    assert out[:, 2:].min() >= 0 and out[:, 2:].max() <= 10
    assert out[:, 0].min() >= -5 and out[:, 0].max() <= 15
    if eps is not None:
        assert np.all(sizes(out, x, "l2") <= eps)
    moved = np.any(out != x, axis=1)  # a point given back is one the model got wrong
    assert np.all(_softmax(out[moved] @ w).argmax(axis=1) != y[moved])


def test_same_keys_and_seed_give_the_same_attack_in_any_order() -> None:
    w, _, _ = _linear_model(3, width=6, classes=4)

    def answer(points: np.ndarray, rows: np.ndarray) -> np.ndarray:
        # row by row (no BLAS): a batch's makeup cannot change a row's last bits
        return _softmax((points[:, :, None] * w[None]).sum(axis=1))

    x = np.random.default_rng(4).uniform(-1, 1, size=(40, 6))
    y = answer(x, np.arange(40)).argmax(axis=1)
    keys = np.arange(100, 140, dtype=np.uint64)
    order = np.random.default_rng(5).permutation(40)

    def run(picked: np.ndarray) -> np.ndarray:
        oracle = Oracle(answer, len(picked), budget=150, labels_only=True)
        return hop_skip_jump(
            x[picked], y[picked], oracle=oracle, layout=FeatureLayout({"x": range(0, 6)}),
            example_keys=keys[picked], seed=9, max_queries=150, clip_min=-3, clip_max=3,
        )  # fmt: skip

    everyone = np.arange(40)
    assert np.array_equal(run(order), run(everyone)[order])
    assert not np.array_equal(run(everyone), x)


def test_a_model_with_constant_outputs_gets_its_clean_inputs_back() -> None:
    x = np.random.default_rng(0).uniform(0, 1, size=(12, 4))
    y = np.zeros(12, int)
    oracle = Oracle(lambda p, r: np.tile([0.7, 0.3], (len(p), 1)), 12, budget=30, labels_only=True)
    out = hop_skip_jump(
        x, y, oracle=oracle, layout=FeatureLayout({"x": range(0, 4)}), max_queries=30,
        example_keys=np.arange(12, dtype=np.uint64), seed=0, clip_min=0, clip_max=1,
        start_tries=20,
    )  # fmt: skip
    assert np.array_equal(out, x)  # no start was found: nothing to walk from
    assert oracle.queries.tolist() == [21] * 12  # the clean query and every start tried


def test_it_sees_labels_only_and_needs_bounds_for_its_start() -> None:
    info = ATTACKS.get("hop_skip_jump")
    assert (info.needs, info.budget, info.norm({})) == ("labels", "max_queries", "l2")
    scores = Oracle(lambda p, r: _softmax(p), 2, budget=10, labels_only=True)
    with pytest.raises(QueryBudgetError, match="labels only"):
        scores.scores(np.zeros((1, 2)), np.array([0]))
    layout = FeatureLayout({"age": range(0, 1), "hours": range(1, 2)})
    with pytest.raises(UserError, match="mutable column 'hours' has none; give clip_min"):
        hop_skip_jump(
            np.zeros((2, 2)), np.zeros(2, int), oracle=scores, layout=layout,
            example_keys=np.arange(2, dtype=np.uint64), seed=0, bounds={"age": [0, 99]},
        )  # fmt: skip
