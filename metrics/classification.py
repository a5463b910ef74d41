"""Classification metrics over class indices."""

from __future__ import annotations

import numpy as np

from assay.metrics._checks import (
    check_int_param,
    check_labels,
    check_labels_within,
    check_probabilities,
    check_same_length,
    param_error,
)


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
    labels = check_labels(y_true)
    predicted = check_labels(y_pred, name="y_pred")
    check_same_length(labels, predicted)
    return float(np.mean(labels == predicted))


def _class_count(labels: np.ndarray, predicted: np.ndarray, n_classes: int | None) -> int:
    seen = int(max(labels.max(), predicted.max())) + 1
    if n_classes is None:
        return seen
    if n_classes < seen:
        raise param_error("classification metrics", "n_classes", f"an int >= {seen}", n_classes)
    return n_classes


def confusion_matrix(y_true: object, y_pred: object, *, n_classes: int | None = None) -> np.ndarray:
    """Counts C[i, j] of examples of true class i predicted as class j.

    Example:
        >>> confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2]).tolist()
        [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    """
    labels = check_labels(y_true)
    predicted = check_labels(y_pred, name="y_pred")
    check_same_length(labels, predicted)
    size = _class_count(labels, predicted, n_classes)
    return np.bincount(labels * size + predicted, minlength=size * size).reshape(size, size)


def per_class_recall(
    y_true: object, y_pred: object, *, n_classes: int | None = None
) -> dict[str, float]:
    """Recall of each class, TP_k / (TP_k + FN_k), keyed by class index; absent classes are
    left out (their recall is undefined).

    Example:
        >>> per_class_recall([0, 0, 1, 1], [0, 1, 1, 1])
        {'0': 0.5, '1': 1.0}
    """
    matrix = confusion_matrix(y_true, y_pred, n_classes=n_classes)
    support = matrix.sum(axis=1)
    return {str(k): float(matrix[k, k] / support[k]) for k in range(len(matrix)) if support[k]}


def balanced_accuracy_score(y_true: object, y_pred: object) -> float:
    """Mean per-class recall over the classes present in ``y_true`` (Brodersen et al. 2010).

    Example:
        >>> balanced_accuracy_score([0, 0, 0, 1], [0, 0, 0, 0])
        0.5
    """
    return float(np.mean(list(per_class_recall(y_true, y_pred).values())))


def f1_score(y_true: object, y_pred: object, *, average: str = "macro") -> float:
    """F1 = 2·TP / (2·TP + FP + FN), averaged over classes.

    ``average="macro"``: unweighted mean of per-class F1 over the classes that occur in
    ``y_true`` or ``y_pred`` (scikit-learn's convention; a class with no true or predicted
    example has F1 0 there and is not counted here since it never occurs).
    ``average="micro"``: global counts, which equals accuracy for single-label tasks.

    Example:
        >>> round(f1_score([0, 0, 1, 1], [0, 1, 1, 1]), 6)
        0.733333
    """
    if average not in ("macro", "micro"):
        raise param_error("f1_score", "average", "'macro' or 'micro'", average)
    matrix = confusion_matrix(y_true, y_pred)
    true_positive = np.diag(matrix).astype(np.float64)
    false_positive = matrix.sum(axis=0) - true_positive
    false_negative = matrix.sum(axis=1) - true_positive
    if average == "micro":
        return float(
            2
            * true_positive.sum()
            / (2 * true_positive.sum() + false_positive.sum() + false_negative.sum())
        )
    denominator = 2 * true_positive + false_positive + false_negative
    occurs = denominator > 0
    return float(np.mean(2 * true_positive[occurs] / denominator[occurs]))


def macro_f1_score(y_true: object, y_pred: object) -> float:
    """:func:`f1_score` with ``average="macro"``.

    Example:
        >>> round(macro_f1_score([0, 0, 1, 1], [0, 1, 1, 1]), 6)
        0.733333
    """
    return f1_score(y_true, y_pred, average="macro")


def micro_f1_score(y_true: object, y_pred: object) -> float:
    """:func:`f1_score` with ``average="micro"``.

    Example:
        >>> micro_f1_score([0, 0, 1, 1], [0, 1, 1, 1])
        0.75
    """
    return f1_score(y_true, y_pred, average="micro")


def top_k_accuracy_score(y_true: object, y_prob: object, *, k: int = 5) -> float:
    """Fraction of examples whose true class is among the ``k`` most probable.

    An example counts when fewer than ``k`` classes have a strictly larger probability than
    its true class, so ties at the k-th place count in its favour.

    Example:
        >>> top_k_accuracy_score([1, 0], [[0.5, 0.3, 0.2], [0.1, 0.6, 0.3]], k=2)
        0.5
    """
    top = check_int_param("top_k_accuracy_score", "k", k, minimum=1)
    labels = check_labels(y_true)
    probs = check_probabilities(y_prob, len(labels))
    check_labels_within(labels, probs.shape[1])
    true_prob = probs[np.arange(len(labels)), labels]
    rank = np.sum(probs > true_prob[:, None], axis=1)
    return float(np.mean(rank < top))
