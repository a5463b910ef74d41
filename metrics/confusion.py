"""Metrics of the confusion matrix, each defined once: a map from confusion counts to the
value. The plain function counts the confusion matrix of labels and predictions; the
decomposition's per-example statistics are one-hot confusion cells whose sums are that same
matrix, so point value, intervals and comparison cells all come from one definition.

Adding a metric family is this one file plus its name in ``registry.FAMILIES``:

- ``mcc``: Matthews correlation coefficient, multiclass form (Gorodkin 2004), as
  scikit-learn's ``matthews_corrcoef``: 0 when either marginal is constant.
- ``precision_macro`` / ``recall_macro``: unweighted means over the classes present in the
  labels or the predictions (scikit-learn's ``average="macro"``); a class never predicted
  has precision 0, a class never present has recall 0 (``zero_division=0``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

from assay.metrics.classification import confusion_matrix
from assay.metrics.decomposition import Decomposition, onehot
from assay.metrics.registry import MetricInfo
from assay.metrics.sufficient import labels_and_predictions
from assay.registry import Registry

FromConfusion = Callable[[np.ndarray, np.ndarray], np.ndarray]


def mcc_from_confusion(matrices: np.ndarray, present: np.ndarray) -> np.ndarray:
    """MCC of each (m × c × c) confusion matrix (``present`` is unused: MCC needs no
    class subset).

    Example:
        >>> mcc_from_confusion(np.array([[[2, 0], [0, 2]]]), np.array([0, 1])).tolist()
        [1.0]
    """
    matrices = matrices.astype(np.float64)
    true_counts, predicted_counts = matrices.sum(axis=2), matrices.sum(axis=1)
    n = matrices.sum(axis=(1, 2))
    correct = np.trace(matrices, axis1=1, axis2=2)
    covariance = correct * n - np.einsum("mk,mk->m", true_counts, predicted_counts)
    spread_predicted = n**2 - np.einsum("mk,mk->m", predicted_counts, predicted_counts)
    spread_true = n**2 - np.einsum("mk,mk->m", true_counts, true_counts)
    denominator = spread_true * spread_predicted
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, covariance / np.sqrt(denominator), 0.0)


def precision_from_confusion(matrices: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Mean over the ``present`` classes of TP_k / predicted_k (0 where never predicted)."""
    true_positive = np.diagonal(matrices, axis1=1, axis2=2)[:, present].astype(np.float64)
    predicted = matrices.sum(axis=1)[:, present]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.mean(np.where(predicted > 0, true_positive / predicted, 0.0), axis=1)


def recall_from_confusion(matrices: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Mean over the ``present`` classes of TP_k / support_k (0 where never present)."""
    true_positive = np.diagonal(matrices, axis1=1, axis2=2)[:, present].astype(np.float64)
    support = matrices.sum(axis=2)[:, present]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.mean(np.where(support > 0, true_positive / support, 0.0), axis=1)


def _present(matrix: np.ndarray) -> np.ndarray:
    """Classes that occur in the labels or the predictions of one confusion matrix."""
    return np.flatnonzero(matrix.sum(axis=0) + matrix.sum(axis=1))


def _value(from_confusion: FromConfusion, y_true: object, y_pred: object) -> float:
    matrix = confusion_matrix(y_true, y_pred)
    return float(from_confusion(matrix[None], _present(matrix))[0])


def _statistics(from_confusion: FromConfusion, y_true: object, y_prob: object) -> Decomposition:
    labels, probs, predicted = labels_and_predictions(y_true, y_prob)
    c = probs.shape[1]
    cells = onehot(labels * c + predicted, c * c)
    present = _present(np.bincount(labels * c + predicted, minlength=c * c).reshape(c, c))

    def finish(sums: np.ndarray) -> np.ndarray:
        return from_confusion(sums.reshape(len(sums), c, c), present)[:, None]

    return Decomposition(cells, finish)


def matthews_corrcoef(y_true: object, y_pred: object) -> float:
    """Matthews correlation coefficient (multiclass, Gorodkin 2004): (c·s − Σ_k p_k t_k) /
    √((s² − Σ p_k²)(s² − Σ t_k²)), with c correct, s examples, t_k and p_k the true and
    predicted counts of class k; 0 when either side predicts or holds one class only.

    Example:
        >>> round(matthews_corrcoef([0, 0, 1, 1], [0, 1, 1, 1]), 6)
        0.57735
    """
    return _value(mcc_from_confusion, y_true, y_pred)


def macro_precision(y_true: object, y_pred: object) -> float:
    """Unweighted mean precision over the classes in the labels or predictions.

    Example:
        >>> macro_precision([0, 0, 1, 1], [0, 1, 1, 1])
        0.8333333333333333
    """
    return _value(precision_from_confusion, y_true, y_pred)


def macro_recall(y_true: object, y_pred: object) -> float:
    """Unweighted mean recall over the classes in the labels or predictions.

    Example:
        >>> macro_recall([0, 0, 1, 1], [0, 1, 1, 1])
        0.75
    """
    return _value(recall_from_confusion, y_true, y_pred)


def register(metrics: Registry[MetricInfo]) -> None:
    """Enter this family's metrics in ``metrics`` (the registry calls it once)."""
    for name, function, from_confusion, value_range, description in (
        ("mcc", matthews_corrcoef, mcc_from_confusion, (-1.0, 1.0), "Matthews correlation"),
        ("precision_macro", macro_precision, precision_from_confusion, (0.0, 1.0),
         "unweighted mean precision over classes"),
        ("recall_macro", macro_recall, recall_from_confusion, (0.0, 1.0),
         "unweighted mean recall over classes"),
    ):  # fmt: skip
        metrics.add(
            name,
            MetricInfo(
                name,
                function,
                "labels",
                True,
                value_range,
                description=description,
                decomposition=partial(_statistics, from_confusion),
            ),
        )
