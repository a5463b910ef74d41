"""The metric registry: each name maps to its one :class:`MetricInfo` definition.

Each family module defines its metrics next to their statistics and lists them in
``DEFINITIONS``; ``FAMILIES`` below is the one place a new family module is named. Plugins add
theirs through the ``assay.metrics`` entry-point group.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from assay.metrics import (
    calibration,
    classification,
    confusion,
    fairness,
    scoring_rules,
    smooth_calibration,
)
from assay.metrics._checks import GroupCodes, labels_and_probabilities
from assay.metrics.decomposition import Decomposition
from assay.metrics.info import MetricInfo, MetricInput
from assay.metrics.top_class import predicted_classes
from assay.registry import Registry

__all__ = ["METRICS", "MetricInfo", "MetricInput", "compute_metric", "decompose"]

METRICS: Registry[MetricInfo] = Registry("metric", entry_points="assay.metrics")

FAMILIES = (classification, confusion, calibration, smooth_calibration, scoring_rules, fairness)
for _family in FAMILIES:
    for _info in _family.DEFINITIONS:
        METRICS.add(_info.name, _info, aliases=_info.aliases)

DEFAULT_METRICS: tuple[str, ...] = ("accuracy", "ece", "brier_score", "nll")


def decompose(
    name: str,
    y_true: object,
    y_prob: object,
    *,
    sensitive_features: object = None,
    params: Mapping[str, Any] | None = None,
) -> Decomposition | None:
    """The decomposition of registered metric ``name`` from N×C probabilities (label metrics
    get their top-1 predictions); None for a name the registry does not hold, such as an
    evaluate module.

    Example:
        >>> decompose("accuracy", np.array([0, 1]), np.array([[0.9, 0.1], [0.8, 0.2]])).value()
        array([0.5])
    """
    if name not in METRICS:
        return None
    info = METRICS.get(name)
    kwargs = dict(params or {})
    if sensitive_features is not None:
        kwargs["sensitive_features"] = sensitive_features
    if info.input == "labels":
        labels, probs = labels_and_probabilities(y_true, y_prob)
        return info.decomposition(labels, predicted_classes(probs), **kwargs)
    return info.decomposition(y_true, y_prob, **kwargs)


def compute_metric(
    name: str,
    y_true: np.ndarray,
    y_prob: np.ndarray,
    *,
    sensitive_features: np.ndarray | GroupCodes | None = None,
    params: Mapping[str, Any] | None = None,
) -> float | dict[str, float]:
    """Compute registered metric ``name`` from class indices and N×C probabilities.

    Example:
        >>> compute_metric("accuracy", np.array([0, 1]), np.array([[0.9, 0.1], [0.8, 0.2]]))
        0.5
    """
    info = METRICS.get(name)
    second = predicted_classes(y_prob) if info.input == "labels" else y_prob
    return info.value(y_true, second, sensitive_features=sensitive_features, **dict(params or {}))


def check_metric_params(name: str, params: Mapping[str, Any]) -> None:
    """Raise if ``params`` do not fit metric ``name``: an option it does not declare, or a
    value outside its declared constraints (the house message names both).

    Example:
        >>> from assay.errors import InvalidInputError
        >>> try:
        ...     check_metric_params("ece", {"n_bins": 0})
        ... except InvalidInputError as error:
        ...     print(error)
        The 'n_bins' parameter of metric 'ece' must be an int >= 1. Got 0 instead.
    """
    METRICS.get(name).check(params)
