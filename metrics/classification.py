"""Classification metrics over class indices."""

from __future__ import annotations

import numpy as np

from assay.metrics._checks import check_labels, check_same_length


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
