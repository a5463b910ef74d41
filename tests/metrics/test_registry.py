"""Registry-wide checks that hold for every metric at once."""

from __future__ import annotations

import numpy as np
import pytest

from assay.errors import InvalidInputError, UnknownNameError
from assay.metrics.registry import METRICS, check_metric_params, compute_metric


def sample(seed: int = 0, n: int = 120, n_classes: int = 3) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.ones(n_classes), size=n)
    labels = rng.integers(0, n_classes, size=n)
    groups = rng.choice(["x", "y", "z"], size=n)
    return labels, probs, groups


@pytest.mark.parametrize("name", list(METRICS))
def test_metadata_present_and_value_in_range(name: str) -> None:
    info = METRICS.get(name)
    assert info.description
    low, high = info.value_range
    labels, probs, groups = sample()
    value = compute_metric(name, labels, probs, sensitive_features=groups)
    values = list(value.values()) if isinstance(value, dict) else [value]
    assert all(low <= v <= high for v in values)


@pytest.mark.parametrize("name", list(METRICS))
def test_order_invariant(name: str) -> None:
    labels, probs, groups = sample(1)
    order = np.random.default_rng(5).permutation(len(labels))
    first = compute_metric(name, labels, probs, sensitive_features=groups)
    second = compute_metric(name, labels[order], probs[order], sensitive_features=groups[order])
    assert first == pytest.approx(second, abs=1e-12)


@pytest.mark.parametrize("name", list(METRICS))
def test_unknown_parameter_is_refused(name: str) -> None:
    with pytest.raises(InvalidInputError, match="has no parameter 'bogus'"):
        check_metric_params(name, {"bogus": 1})


def test_unknown_name_suggests_the_closest() -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'accuracy'"):
        METRICS.get("acuracy")


def test_aliases_resolve_to_one_entry() -> None:
    assert METRICS.get("expected_calibration_error") is METRICS.get("ece")
    assert METRICS.canonical("log_loss") == "nll"


def test_group_metric_needs_groups() -> None:
    labels, probs, _ = sample()
    with pytest.raises(InvalidInputError, match="sensitive_features"):
        compute_metric("worst_group_accuracy", labels, probs)


@pytest.mark.parametrize("name", list(METRICS))
def test_declared_params_are_the_functions_options(name: str) -> None:
    """What a suite may set is declared on the entry; it must match what the function takes,
    defaults included."""
    import inspect

    info = METRICS.get(name)
    fixed = {"y_true", "y_pred", "y_prob", "sensitive_features"}
    options = {
        n: p.default
        for n, p in inspect.signature(info.function).parameters.items()
        if n not in fixed
    }
    assert {n: p.default for n, p in info.params.items()} == options


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("ece", {"n_bins": 0}, "The 'n_bins' parameter of metric 'ece' must be an int >= 1"),
        ("ece", {"norm": "l3"}, "The 'norm' parameter of metric 'ece' must be one of 'l1'"),
        ("top_k_accuracy", {"k": 1.5}, "The 'k' parameter of metric 'top_k_accuracy' must be"),
        ("smooth_ece", {"grid": 8}, "must be an int >= 64"),
    ],
)
def test_bad_values_get_the_template(name: str, params: dict, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        check_metric_params(name, params)
