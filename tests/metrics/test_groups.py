"""by_group against fairlearn's MetricFrame; its decomposition against by_group."""

from __future__ import annotations

import numpy as np
import pytest
from fairlearn.metrics import MetricFrame
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, log_loss

from assay.metrics import GroupCodes, by_group, intersect_groups
from assay.metrics.calibration import expected_calibration_error
from assay.metrics.groups import AGGREGATES, by_group_decomposition


def sample(seed: int, n: int, n_groups: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.ones(3), size=n)
    labels = np.where(rng.random(n) < 0.7, probs.argmax(axis=1), rng.integers(0, 3, n))
    groups = rng.choice([f"g{i}" for i in range(n_groups)], size=n)
    return labels, probs, groups


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(30, 300), st.integers(1, 5))
def test_by_group_matches_metric_frame(seed: int, n: int, n_groups: int) -> None:
    labels, probs, groups = sample(seed, n, n_groups)
    ours = by_group("accuracy", labels, probs, sensitive_features=groups)
    frame = MetricFrame(
        metrics=accuracy_score,
        y_true=labels,
        y_pred=probs.argmax(axis=1),
        sensitive_features=groups,
    )
    assert ours.values == pytest.approx({str(k): v for k, v in frame.by_group.items()})
    assert ours.difference() == pytest.approx(frame.difference(), abs=1e-12)
    if frame.group_max() > 0:
        assert ours.ratio() == pytest.approx(frame.ratio(), abs=1e-12)
    assert ours.worst_group() == pytest.approx(frame.group_min(), abs=1e-12)
    nll = by_group("nll", labels, probs, sensitive_features=groups)
    nll_frame = MetricFrame(
        metrics=lambda y, p: log_loss(y, p, labels=[0, 1, 2]),
        y_true=labels,
        y_pred=probs,
        sensitive_features=groups,
    )
    assert nll.worst_group() == pytest.approx(nll_frame.group_max(), rel=1e-9)  # lower is better


def test_small_groups_are_listed_not_scored() -> None:
    labels, probs, groups = sample(0, 100, 2)
    groups = groups.astype(object)
    groups[:3] = "tiny"
    result = by_group("ece", labels, probs, sensitive_features=groups, min_group_size=5)
    assert result.too_small == ("tiny",)
    assert "tiny" not in result.values and result.sizes["tiny"] == 3
    big = groups == "g0"
    assert result.values["g0"] == pytest.approx(expected_calibration_error(labels[big], probs[big]))


@pytest.mark.parametrize("metric", ["accuracy", "ece", "nll", "f1_macro", "debiased_ece"])
def test_decomposition_reproduces_by_group(metric: str) -> None:
    labels, probs, groups = sample(4, 240, 3)
    encoded_names = sorted(set(groups))
    codes = np.array([encoded_names.index(g) for g in groups])
    result = by_group(metric, labels, probs, sensitive_features=GroupCodes(codes, encoded_names))
    decomposition = by_group_decomposition(
        metric, labels, probs, codes=codes, names=encoded_names, scored=range(3)
    )
    assert decomposition is not None
    assert decomposition.outputs == (*encoded_names, *AGGREGATES)
    expected = [*result.values.values(), result.difference(), result.ratio(), result.worst_group()]
    assert decomposition.value() == pytest.approx(expected, abs=1e-12)


def test_intersections_cross_every_column() -> None:
    crossed = intersect_groups({"a": np.array([1, 1, 2]), "b": np.array(["x", "y", "x"])})
    assert crossed.tolist() == ["a=1 & b=x", "a=1 & b=y", "a=2 & b=x"]
