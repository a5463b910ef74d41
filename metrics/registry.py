"""The metric registry: each name knows its function, input kind, direction and range."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from assay.errors import InvalidInputError
from assay.metrics import calibration, classification, fairness
from assay.registry import Registry

MetricInput = Literal["labels", "probabilities"]


@dataclass(frozen=True)
class MetricInfo:
    """What the runner and the report need to know about one metric."""

    name: str
    function: Callable[..., Any]
    input: MetricInput
    higher_is_better: bool
    value_range: tuple[float, float]
    needs_groups: bool = False
    per_group: bool = False
    description: str = ""
    aliases: tuple[str, ...] = field(default=())

    def parameters(self) -> dict[str, inspect.Parameter]:
        """The keyword options a suite may set (everything after the inputs)."""
        fixed = {"y_true", "y_pred", "y_prob", "sensitive_features"}
        signature = inspect.signature(self.function)
        return {n: p for n, p in signature.parameters.items() if n not in fixed}


METRICS: Registry[MetricInfo] = Registry("metric")


def _register(info: MetricInfo) -> None:
    METRICS.add(info.name, info, aliases=info.aliases)


_register(
    MetricInfo(
        "accuracy",
        classification.accuracy_score,
        "labels",
        True,
        (0.0, 1.0),
        description="fraction of correct top-1 predictions",
    )
)
_register(
    MetricInfo(
        "ece",
        calibration.expected_calibration_error,
        "probabilities",
        False,
        (0.0, 1.0),
        aliases=("expected_calibration_error",),
        description="top-label expected calibration error, equal-width bins",
    )
)
_register(
    MetricInfo(
        "brier_score",
        calibration.brier_score_loss,
        "probabilities",
        False,
        (0.0, 2.0),
        description="mean squared error of the probabilities",
    )
)
_register(
    MetricInfo(
        "nll",
        calibration.negative_log_likelihood,
        "probabilities",
        False,
        (0.0, float("inf")),
        aliases=("negative_log_likelihood", "log_loss"),
        description="mean negative log-likelihood of the true class",
    )
)
_register(
    MetricInfo(
        "group_accuracy",
        fairness.group_accuracy,
        "labels",
        True,
        (0.0, 1.0),
        needs_groups=True,
        per_group=True,
        description="accuracy within each group",
    )
)
_register(
    MetricInfo(
        "worst_group_accuracy",
        fairness.worst_group_accuracy,
        "labels",
        True,
        (0.0, 1.0),
        needs_groups=True,
        description="lowest per-group accuracy",
    )
)
_register(
    MetricInfo(
        "demographic_parity_difference",
        fairness.demographic_parity_difference,
        "labels",
        False,
        (0.0, 1.0),
        needs_groups=True,
        description="largest between-group gap in prediction rates",
    )
)
_register(
    MetricInfo(
        "equalized_odds_difference",
        fairness.equalized_odds_difference,
        "labels",
        False,
        (0.0, 1.0),
        needs_groups=True,
        description="largest between-group gap in TPR or FPR",
    )
)

DEFAULT_METRICS: tuple[str, ...] = ("accuracy", "ece", "brier_score", "nll")
DEFAULT_GROUP_METRICS: tuple[str, ...] = (
    "group_accuracy",
    "worst_group_accuracy",
    "demographic_parity_difference",
    "equalized_odds_difference",
)


def compute_metric(
    name: str,
    y_true: np.ndarray,
    y_prob: np.ndarray,
    *,
    sensitive_features: np.ndarray | None = None,
    params: Mapping[str, Any] | None = None,
) -> float | dict[str, float]:
    """Compute registered metric ``name`` from class indices and N×C probabilities.

    Example:
        >>> compute_metric("accuracy", np.array([0, 1]), np.array([[0.9, 0.1], [0.8, 0.2]]))
        0.5
    """
    info = METRICS.get(name)
    kwargs: dict[str, Any] = dict(params or {})
    if info.needs_groups:
        if sensitive_features is None:
            raise InvalidInputError(f"metric {info.name!r} needs sensitive_features")
        kwargs["sensitive_features"] = sensitive_features
    if info.input == "labels":
        return info.function(y_true, np.argmax(y_prob, axis=1), **kwargs)
    return info.function(y_true, y_prob, **kwargs)


def check_metric_params(name: str, params: Mapping[str, Any]) -> None:
    """Raise if ``params`` do not fit metric ``name`` (unknown option or bad value).

    The metric runs once on a tiny valid input, so its own checks speak.
    """
    info = METRICS.get(name)
    allowed = info.parameters()
    for key in params:
        if key not in allowed:
            options = ", ".join(allowed) or "none"
            raise InvalidInputError(
                f"metric {info.name!r} has no parameter {key!r} (its parameters: {options})"
            )
    probe_true = np.array([0, 1, 1, 0])
    probe_prob = np.array([[0.7, 0.3], [0.4, 0.6], [0.2, 0.8], [0.5, 0.5]])
    groups = np.array(["a", "a", "b", "b"]) if info.needs_groups else None
    compute_metric(name, probe_true, probe_prob, sensitive_features=groups, params=params)
