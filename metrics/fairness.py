"""Group (bias) metrics: disaggregate by a sensitive feature, then aggregate.

All work is one ``np.bincount`` over integer group codes, so a million rows cost
milliseconds. Multiclass inputs are handled one-vs-rest: a parity gap is the largest gap
over classes (for two classes this equals the usual positive-class gap).
"""

from __future__ import annotations

import numpy as np

from assay.metrics._checks import check_labels, check_same_length, encode_groups


def _grouped(
    y_true: object, y_pred: object, sensitive_features: object
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    labels = check_labels(y_true)
    predicted = check_labels(y_pred, name="y_pred")
    check_same_length(labels, predicted)
    codes, names = encode_groups(sensitive_features, len(labels))
    return labels, predicted, codes, names


def _rate_by_group(hits: np.ndarray, members: np.ndarray, codes: np.ndarray, n: int) -> np.ndarray:
    """Per-group hits/members for boolean masks; NaN where a group has no members."""
    numerator = np.bincount(codes, weights=hits & members, minlength=n)
    denominator = np.bincount(codes, weights=members, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.maximum(denominator, 1), np.nan)


def _spread(rates: np.ndarray) -> float:
    defined = rates[~np.isnan(rates)]
    return float(defined.max() - defined.min()) if defined.size else 0.0


def _scored_classes(labels: np.ndarray, predicted: np.ndarray) -> list[int]:
    """Binary tasks score the positive class (as fairlearn does); multiclass every class."""
    n_classes = int(max(labels.max(), predicted.max())) + 1
    return [1] if n_classes <= 2 else list(range(n_classes))


def group_accuracy(
    y_true: object, y_pred: object, *, sensitive_features: object
) -> dict[str, float]:
    """Accuracy within each group of ``sensitive_features``, keyed by group name.

    Example:
        >>> group_accuracy([1, 0, 1, 1], [1, 1, 1, 0], sensitive_features=["a", "a", "b", "b"])
        {'a': 0.5, 'b': 0.5}
    """
    labels, predicted, codes, names = _grouped(y_true, y_pred, sensitive_features)
    correct = np.bincount(codes, weights=labels == predicted, minlength=len(names))
    size = np.bincount(codes, minlength=len(names))
    return {name: float(c / s) for name, c, s in zip(names, correct, size, strict=True)}


def worst_group_accuracy(y_true: object, y_pred: object, *, sensitive_features: object) -> float:
    """The lowest per-group accuracy (Sagawa et al. 2020, "worst-group accuracy").

    Example:
        >>> groups = ["a", "a", "b", "b"]
        >>> worst_group_accuracy([1, 0, 1, 1], [1, 0, 1, 0], sensitive_features=groups)
        0.5
    """
    return min(group_accuracy(y_true, y_pred, sensitive_features=sensitive_features).values())


def demographic_parity_difference(
    y_true: object, y_pred: object, *, sensitive_features: object
) -> float:
    """Largest gap between groups in the rate of predicting a class.

    DPD = max_k [max_g P(ŷ = k | g) − min_g P(ŷ = k | g)]; for binary tasks this is
    fairlearn's ``demographic_parity_difference`` (between groups).

    Example:
        >>> groups = ["a", "a", "b", "b"]
        >>> demographic_parity_difference([0, 0, 0, 0], [1, 1, 1, 0], sensitive_features=groups)
        0.5
    """
    labels, predicted, codes, names = _grouped(y_true, y_pred, sensitive_features)
    everyone = np.ones(len(labels), dtype=bool)
    n_classes = int(max(labels.max(), predicted.max())) + 1
    gaps = [
        _spread(_rate_by_group(predicted == k, everyone, codes, len(names)))
        for k in range(n_classes)
    ]
    return max(gaps)


def demographic_parity_ratio(
    y_true: object, y_pred: object, *, sensitive_features: object
) -> float:
    """Smallest between-group ratio of prediction rates (1 = parity; the "80% rule").

    DPR = min_k [min_g P(ŷ = k | g) / max_g P(ŷ = k | g)] over classes k one-vs-rest; binary
    tasks use the positive class only, which is fairlearn's ``demographic_parity_ratio``.
    A class no group predicts has ratio 1.

    Example:
        >>> groups = ["a", "a", "b", "b"]
        >>> demographic_parity_ratio([0, 0, 0, 0], [1, 1, 1, 0], sensitive_features=groups)
        0.5
    """
    labels, predicted, codes, names = _grouped(y_true, y_pred, sensitive_features)
    everyone = np.ones(len(labels), dtype=bool)
    ratios = []
    for k in _scored_classes(labels, predicted):
        rates = _rate_by_group(predicted == k, everyone, codes, len(names))
        defined = rates[~np.isnan(rates)]
        ratios.append(float(defined.min() / defined.max()) if defined.max() > 0 else 1.0)
    return min(ratios)


def equal_opportunity_difference(
    y_true: object, y_pred: object, *, sensitive_features: object
) -> float:
    """Largest between-group gap in true-positive rate (Hardt et al. 2016).

    EOpD = max_k ΔTPR_k, class k one-vs-rest, over groups where the rate is defined.

    Example:
        >>> groups = ["a", "a", "b", "b"]
        >>> equal_opportunity_difference([1, 0, 1, 0], [1, 0, 0, 0], sensitive_features=groups)
        1.0
    """
    labels, predicted, codes, names = _grouped(y_true, y_pred, sensitive_features)
    return max(
        _spread(_rate_by_group(predicted == k, labels == k, codes, len(names)))
        for k in _scored_classes(labels, predicted)
    )


def equalized_odds_difference(
    y_true: object, y_pred: object, *, sensitive_features: object
) -> float:
    """Largest between-group gap in true- or false-positive rate (Hardt et al. 2016).

    EOD = max_k max(ΔTPR_k, ΔFPR_k), with class k one-vs-rest and Δ the max−min over groups;
    groups where a rate is undefined (no positives / negatives) are left out of that gap. For
    binary tasks this is fairlearn's ``equalized_odds_difference``.

    Example:
        >>> groups = ["a", "a", "b", "b"]
        >>> equalized_odds_difference([1, 0, 1, 0], [1, 0, 0, 0], sensitive_features=groups)
        1.0
    """
    labels, predicted, codes, names = _grouped(y_true, y_pred, sensitive_features)
    n_classes = int(max(labels.max(), predicted.max())) + 1
    gaps = []
    for k in range(n_classes):
        positive, predicted_k = labels == k, predicted == k
        tpr = _rate_by_group(predicted_k, positive, codes, len(names))
        fpr = _rate_by_group(predicted_k, ~positive, codes, len(names))
        gaps.append(max(_spread(tpr), _spread(fpr)))
    return max(gaps)
