"""A plugin package for the tests: adds a metric, a shift and a model type to assay through
entry points, without touching assay's source (see ``../assay_example_plugin-0.1.dist-info``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from assay.metrics.decomposition import Decomposition, mean_of
from assay.metrics.registry import METRICS, MetricInfo
from assay.params import Param
from assay.suites.model_types import register_model_type
from assay.suites.shifts import register_shift


def true_class_probability_statistics(y_true: Any, y_prob: Any) -> Decomposition:
    """Mean probability the model gives the true class: the metric's one definition."""
    labels = np.asarray(y_true, dtype=np.int64)
    probs = np.asarray(y_prob, dtype=np.float64)
    return mean_of(probs[np.arange(len(labels)), labels])


METRICS.add(
    "true_class_probability",
    MetricInfo(
        "true_class_probability",
        true_class_probability_statistics,
        "probabilities",
        higher_is_better=True,
        value_range=(0.0, 1.0),
        description="mean probability of the true class (example plugin)",
        citation="assay's plugin example",
    ),
)


@register_shift(
    "feature_scale",
    description="multiply every feature by a factor (example plugin)",
    params={"factor": Param("number", default=2.0, low=0, low_open=True)},
)
def feature_scale(
    features: np.ndarray, *, example_keys: np.ndarray, seed: int, factor: float = 2.0
) -> np.ndarray:
    return np.asarray(features, dtype=np.float64) * factor


class ConstantModel:
    """Always predicts the same distribution: the smallest possible model type."""

    input_kind = "array"
    classes = None

    def __init__(self, name: str, first_class: float) -> None:
        self.name = name
        self.first_class = first_class
        self.fingerprint = f"constant-{first_class!r}"

    def predict_proba(self, batch: Any) -> np.ndarray:
        rows = len(batch)
        return np.column_stack(
            [np.full(rows, self.first_class), np.full(rows, 1 - self.first_class)]
        )


@register_model_type(
    "constant",
    description="predicts one fixed binary distribution (example plugin)",
    params={"first_class": Param("number", default=0.5, low=0, high=1)},
)
def build_constant(spec: Any, base_dir: Any) -> ConstantModel:
    return ConstantModel(spec.name, float(spec.params.get("first_class", 0.5)))
