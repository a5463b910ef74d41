"""Metrics of the class counts, each defined once: per class k its support t_k (true
count), predicted count p_k and true positives c_k, summed from three one-hot blocks per
example, and a map from those 3·C sums to the value. 3·C columns rather than the C² cells
of the confusion matrix keep a 1,000-class bootstrap at 3,000 columns per resample.

Adding a metric of the counts is a ``from_counts`` function and a :class:`MetricInfo` in
``DEFINITIONS`` below:

- ``balanced_accuracy``: mean recall over the classes present in the labels.
- ``f1_macro``: unweighted mean of per-class F1 over classes in the labels or predictions.
- ``per_class_recall``: recall of each class present in the labels.
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

from assay.metrics._checks import labels_and_predictions
from assay.metrics.decomposition import Decomposition, onehot, safe_divide
from assay.metrics.info import MetricInfo

# (support, predicted, true positives), each m × C, and the classes the full sample shows
FromCounts = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]
_UNIT = (0.0, 1.0)


def class_counts(
    y_true: object, y_pred: object, from_counts: FromCounts, *, keyed: bool = False
) -> Decomposition:
    """Support, predicted count and true positives of every class, and ``from_counts``
    applied to their sums. ``keyed``: one output per class present in the labels."""
    labels, predicted = labels_and_predictions(y_true, y_pred)
    c = int(max(labels.max(), predicted.max())) + 1
    correct = (labels == predicted).astype(np.float64)
    support = np.bincount(labels, minlength=c)
    present = np.flatnonzero(support + np.bincount(predicted, minlength=c))

    def finish(s: np.ndarray) -> np.ndarray:
        return from_counts(s[:, :c], s[:, c : 2 * c], s[:, 2 * c :], present)

    blocks = (onehot(labels, c), onehot(predicted, c), onehot(labels, c, correct))
    if not keyed:
        return Decomposition(blocks, finish)
    in_labels = np.flatnonzero(support)
    return Decomposition(
        blocks,
        lambda s: finish(s)[:, in_labels],
        outputs=tuple(str(k) for k in in_labels),
    )


def recall_by_class(
    support: np.ndarray, predicted: np.ndarray, correct: np.ndarray, present: np.ndarray
) -> np.ndarray:
    """c_k / t_k for every class (NaN where a resample holds none of class k)."""
    return safe_divide(correct, support)


def balanced_accuracy_from_counts(
    support: np.ndarray, predicted: np.ndarray, correct: np.ndarray, present: np.ndarray
) -> np.ndarray:
    """Mean of c_k / t_k over the classes with t_k > 0."""
    return np.nanmean(safe_divide(correct, support), axis=1)[:, None]


def macro_f1_from_counts(
    support: np.ndarray, predicted: np.ndarray, correct: np.ndarray, present: np.ndarray
) -> np.ndarray:
    """Mean of 2c_k / (t_k + p_k) over the classes with t_k + p_k > 0."""
    return np.nanmean(safe_divide(2 * correct, support + predicted), axis=1)[:, None]


def mcc_from_counts(
    support: np.ndarray, predicted: np.ndarray, correct: np.ndarray, present: np.ndarray
) -> np.ndarray:
    """(c·s − Σ_k p_k t_k) / √((s² − Σ p_k²)(s² − Σ t_k²)) with c = Σ c_k, s = Σ t_k; 0
    where either factor is 0."""
    n, right = support.sum(axis=1), correct.sum(axis=1)
    covariance = right * n - np.einsum("mk,mk->m", support, predicted)
    spread_predicted = n**2 - np.einsum("mk,mk->m", predicted, predicted)
    spread_true = n**2 - np.einsum("mk,mk->m", support, support)
    denominator = spread_true * spread_predicted
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, covariance / np.sqrt(denominator), 0.0)[:, None]


def macro_precision_from_counts(
    support: np.ndarray, predicted: np.ndarray, correct: np.ndarray, present: np.ndarray
) -> np.ndarray:
    """Mean over the ``present`` classes of c_k / p_k (0 where never predicted)."""
    precision = np.nan_to_num(safe_divide(correct, predicted)[:, present], nan=0.0)
    return np.mean(precision, axis=1)[:, None]


def macro_recall_from_counts(
    support: np.ndarray, predicted: np.ndarray, correct: np.ndarray, present: np.ndarray
) -> np.ndarray:
    """Mean over the ``present`` classes of c_k / t_k (0 where never in the labels)."""
    recall = np.nan_to_num(safe_divide(correct, support)[:, present], nan=0.0)
    return np.mean(recall, axis=1)[:, None]


def balanced_accuracy_score(y_true: object, y_pred: object) -> float:
    """Mean per-class recall over the classes present in ``y_true`` (Brodersen et al. 2010).

    Example:
        >>> balanced_accuracy_score([0, 0, 0, 1], [0, 0, 0, 0])
        0.5
    """
    return BALANCED_ACCURACY.scalar(y_true, y_pred)


def macro_f1_score(y_true: object, y_pred: object) -> float:
    """Unweighted mean of per-class F1 = 2·TP / (2·TP + FP + FN) over the classes that occur
    in ``y_true`` or ``y_pred`` (scikit-learn's ``average="macro"``).

    Example:
        >>> round(macro_f1_score([0, 0, 1, 1], [0, 1, 1, 1]), 6)
        0.733333
    """
    return F1_MACRO.scalar(y_true, y_pred)


def per_class_recall(y_true: object, y_pred: object) -> dict[str, float]:
    """Recall of each class, TP_k / (TP_k + FN_k), keyed by class index; absent classes are
    left out (their recall is undefined).

    Example:
        >>> per_class_recall([0, 0, 1, 1], [0, 1, 1, 1])
        {'0': 0.5, '1': 1.0}
    """
    return PER_CLASS_RECALL.keyed_values(y_true, y_pred)


def matthews_corrcoef(y_true: object, y_pred: object) -> float:
    """Matthews correlation coefficient (multiclass, Gorodkin 2004): (c·s − Σ_k p_k t_k) /
    √((s² − Σ p_k²)(s² − Σ t_k²)), with c correct, s examples, t_k and p_k the true and
    predicted counts of class k; 0 when either side predicts or holds one class only.

    Example:
        >>> round(matthews_corrcoef([0, 0, 1, 1], [0, 1, 1, 1]), 6)
        0.57735
    """
    return MCC.scalar(y_true, y_pred)


def macro_precision(y_true: object, y_pred: object) -> float:
    """Unweighted mean precision over the classes in the labels or predictions.

    Example:
        >>> macro_precision([0, 0, 1, 1], [0, 1, 1, 1])
        0.8333333333333333
    """
    return PRECISION_MACRO.scalar(y_true, y_pred)


def macro_recall(y_true: object, y_pred: object) -> float:
    """Unweighted mean recall over the classes in the labels or predictions.

    Example:
        >>> macro_recall([0, 0, 1, 1], [0, 1, 1, 1])
        0.75
    """
    return RECALL_MACRO.scalar(y_true, y_pred)


def _counts_metric(
    name: str,
    from_counts: FromCounts,
    function: Callable[..., object],
    description: str,
    *,
    value_range: tuple[float, float] = _UNIT,
    per_class: bool = False,
) -> MetricInfo:
    return MetricInfo(
        name,
        partial(class_counts, from_counts=from_counts, keyed=per_class),
        "labels",
        higher_is_better=True,
        value_range=value_range,
        per_class=per_class,
        description=description,
        function=function,
    )


BALANCED_ACCURACY = _counts_metric(
    "balanced_accuracy",
    balanced_accuracy_from_counts,
    balanced_accuracy_score,
    "mean recall over the classes present",
)
F1_MACRO = _counts_metric(
    "f1_macro", macro_f1_from_counts, macro_f1_score, "unweighted mean of per-class F1"
)
PER_CLASS_RECALL = _counts_metric(
    "per_class_recall", recall_by_class, per_class_recall, "recall of each class", per_class=True
)
MCC = _counts_metric(
    "mcc", mcc_from_counts, matthews_corrcoef, "Matthews correlation", value_range=(-1.0, 1.0)
)
PRECISION_MACRO = _counts_metric(
    "precision_macro",
    macro_precision_from_counts,
    macro_precision,
    "unweighted mean precision over classes",
)
RECALL_MACRO = _counts_metric(
    "recall_macro", macro_recall_from_counts, macro_recall, "unweighted mean recall over classes"
)

DEFINITIONS = (BALANCED_ACCURACY, F1_MACRO, PER_CLASS_RECALL, MCC, PRECISION_MACRO, RECALL_MACRO)
