"""Classification metrics of each example's own outcome (top-1 and top-k hits), each defined
once as a mean of per-example hits (see :mod:`assay.metrics.info`); metrics of the confusion
matrix live in :mod:`assay.metrics.confusion`."""

from __future__ import annotations

import numpy as np

from assay.metrics._checks import (
    labels_and_predictions,
    labels_and_probabilities,
    param_error,
)
from assay.metrics.decomposition import Decomposition, mean_of
from assay.metrics.info import MetricInfo
from assay.params import Param

_UNIT = (0.0, 1.0)


def _rate(hits: np.ndarray) -> Decomposition:
    """A proportion: hits and 1 per example (a Wilson interval applies)."""
    return mean_of(hits.astype(np.float64), proportion=True)


def top1_hits(y_true: object, y_pred: object) -> Decomposition:
    """1 where the predicted class is the true class."""
    labels, predicted = labels_and_predictions(y_true, y_pred)
    return _rate(labels == predicted)


def top_k_hits(y_true: object, y_prob: object, *, k: int = 5) -> Decomposition:
    """1 where fewer than ``k`` classes are strictly more probable than the true class, so
    ties at the k-th place count in the example's favour."""
    labels, probs = labels_and_probabilities(y_true, y_prob)
    true_prob = probs[np.arange(len(labels)), labels]
    return _rate(np.sum(probs > true_prob[:, None], axis=1) < k)


def accuracy_score(y_true: object, y_pred: object) -> float:
    """Fraction of examples whose predicted class equals the true class.

    accuracy = (1/N) Σ_i 1[ŷ_i = y_i]

    Args:
        y_true: true class indices, shape (N,).
        y_pred: predicted class indices, shape (N,).

    Returns:
        A float in [0, 1].

    Example:
        >>> accuracy_score([0, 1, 2, 1], [0, 2, 2, 1])
        0.75
    """
    return ACCURACY.scalar(y_true, y_pred)


def micro_f1_score(y_true: object, y_pred: object) -> float:
    """F1 from global counts, 2·ΣTP / (2·ΣTP + ΣFP + ΣFN): for single-label tasks every
    error is one false positive and one false negative, so this is the accuracy.

    Example:
        >>> micro_f1_score([0, 0, 1, 1], [0, 1, 1, 1])
        0.75
    """
    return F1_MICRO.scalar(y_true, y_pred)


def top_k_accuracy_score(y_true: object, y_prob: object, *, k: int = 5) -> float:
    """Fraction of examples whose true class is among the ``k`` most probable.

    An example counts when fewer than ``k`` classes have a strictly larger probability than
    its true class, so ties at the k-th place count in its favour.

    Example:
        >>> top_k_accuracy_score([1, 0], [[0.5, 0.3, 0.2], [0.1, 0.6, 0.3]], k=2)
        0.5
    """
    return TOP_K_ACCURACY.scalar(y_true, y_prob, k=k)


def confusion_matrix(y_true: object, y_pred: object, *, n_classes: int | None = None) -> np.ndarray:
    """Counts C[i, j] of examples of true class i predicted as class j.

    Example:
        >>> confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2]).tolist()
        [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    """
    labels, predicted = labels_and_predictions(y_true, y_pred)
    seen = int(max(labels.max(), predicted.max())) + 1
    size = seen if n_classes is None else n_classes
    if size < seen:
        raise param_error("confusion_matrix", "n_classes", f"an int >= {seen}", n_classes)
    return np.bincount(labels * size + predicted, minlength=size * size).reshape(size, size)


ACCURACY = MetricInfo(
    "accuracy",
    top1_hits,
    "labels",
    higher_is_better=True,
    value_range=_UNIT,
    description="fraction of correct top-1 predictions",
    top1_rate=True,
    function=accuracy_score,
)
F1_MICRO = MetricInfo(
    "f1_micro",
    top1_hits,
    "labels",
    higher_is_better=True,
    value_range=_UNIT,
    description="F1 from global counts (equals accuracy for single-label tasks)",
    top1_rate=True,
    function=micro_f1_score,
)
TOP_K_ACCURACY = MetricInfo(
    "top_k_accuracy",
    top_k_hits,
    "probabilities",
    higher_is_better=True,
    value_range=_UNIT,
    description="true class among the k most probable (k=5)",
    params={"k": Param("int", default=5, low=1, description="how many top classes")},
    function=top_k_accuracy_score,
)


DEFINITIONS = (ACCURACY, F1_MICRO, TOP_K_ACCURACY)
