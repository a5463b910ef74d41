"""Group (bias) metrics, each defined once: disaggregate by a sensitive feature, then
aggregate. The statistics are per-group one-hot blocks (size, correct, and per class:
support, predicted, true positives), so a million rows cost a few bincounts and the bootstrap
resamples every group at once.

Multiclass inputs are handled one-vs-rest: a parity gap is the largest gap over classes
(for two classes the positive class only, as fairlearn scores it).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

from assay.metrics._checks import encode_groups, labels_and_predictions
from assay.metrics.decomposition import Block, Decomposition, onehot, safe_divide
from assay.metrics.info import MetricInfo

_UNIT = (0.0, 1.0)


def _grouped(
    y_true: object, y_pred: object, sensitive_features: object
) -> tuple[tuple[Block, ...], int, int, list[str]]:
    """The blocks [size | correct | support | predicted | true positives] per group (the
    last three per group and class), the group and class counts and the group names."""
    labels, predicted = labels_and_predictions(y_true, y_pred)
    codes, names = encode_groups(sensitive_features, len(labels))
    g, c = len(names), int(max(labels.max(), predicted.max())) + 1
    correct = (labels == predicted).astype(float)
    blocks = (
        onehot(codes, g),
        onehot(codes, g, correct),
        onehot(codes * c + labels, g * c),
        onehot(codes * c + predicted, g * c),
        onehot(codes * c + labels, g * c, correct),
    )
    return blocks, g, c, names


class GroupCounts:
    """Column sums (m rows) split into per-group sizes and correct counts, and per group and
    class the support, predicted count and true positives (m × g × c)."""

    def __init__(self, s: np.ndarray, g: int, c: int) -> None:
        self.size, self.correct = s[:, :g], s[:, g : 2 * g]
        rest = s[:, 2 * g :].reshape(len(s), 3, g, c)
        self.support, self.predicted, self.true_positive = rest[:, 0], rest[:, 1], rest[:, 2]
        self.n_classes = c

    def accuracy(self) -> np.ndarray:
        return safe_divide(self.correct, self.size)

    def scored(self, rates: np.ndarray) -> np.ndarray:
        """Binary tasks score the positive class only (as fairlearn does); multiclass all."""
        return rates[:, :, 1:2] if self.n_classes <= 2 else rates


Finish = Callable[[GroupCounts], np.ndarray]


def group_statistics(
    y_true: object, y_pred: object, finish: Finish, *, sensitive_features: object
) -> Decomposition:
    blocks, g, c, _ = _grouped(y_true, y_pred, sensitive_features)
    return Decomposition(blocks, lambda s: finish(GroupCounts(s, g, c)))


def spread(rates: np.ndarray) -> np.ndarray:
    """max − min over groups (axis 1) of the defined rates; 0 where none is defined."""
    defined = ~np.isnan(rates)
    high = np.max(np.where(defined, rates, -np.inf), axis=1)
    low = np.min(np.where(defined, rates, np.inf), axis=1)
    return np.where(defined.any(axis=1), high - low, 0.0)


def accuracy_by_group(
    y_true: object, y_pred: object, *, sensitive_features: object
) -> Decomposition:
    blocks, g, c, names = _grouped(y_true, y_pred, sensitive_features)
    return Decomposition(
        blocks,
        lambda s: GroupCounts(s, g, c).accuracy(),
        outputs=tuple(names),
    )


def worst_accuracy(counts: GroupCounts) -> np.ndarray:
    return np.nanmin(counts.accuracy(), axis=1)[:, None]


def parity_difference(counts: GroupCounts) -> np.ndarray:
    rates = safe_divide(counts.predicted, counts.size[:, :, None])
    return np.max(spread(rates), axis=1)[:, None]


def parity_ratio(counts: GroupCounts) -> np.ndarray:
    rates = counts.scored(safe_divide(counts.predicted, counts.size[:, :, None]))
    high, low = np.nanmax(rates, axis=1), np.nanmin(rates, axis=1)
    ratio = np.where(high > 0, low / np.where(high > 0, high, 1.0), 1.0)
    return np.min(ratio, axis=1)[:, None]


def opportunity_difference(counts: GroupCounts) -> np.ndarray:
    tpr = counts.scored(safe_divide(counts.true_positive, counts.support))
    return np.max(spread(tpr), axis=1)[:, None]


def odds_difference(counts: GroupCounts) -> np.ndarray:
    tpr = safe_divide(counts.true_positive, counts.support)
    negatives = counts.size[:, :, None] - counts.support
    fpr = safe_divide(counts.predicted - counts.true_positive, negatives)
    return np.max(np.maximum(spread(tpr), spread(fpr)), axis=1)[:, None]


def group_accuracy(
    y_true: object, y_pred: object, *, sensitive_features: object
) -> dict[str, float]:
    """Accuracy within each group of ``sensitive_features``, keyed by group name.

    Example:
        >>> group_accuracy([1, 0, 1, 1], [1, 1, 1, 0], sensitive_features=["a", "a", "b", "b"])
        {'a': 0.5, 'b': 0.5}
    """
    return GROUP_ACCURACY.keyed_values(y_true, y_pred, sensitive_features=sensitive_features)


def worst_group_accuracy(y_true: object, y_pred: object, *, sensitive_features: object) -> float:
    """The lowest per-group accuracy (Sagawa et al. 2020, "worst-group accuracy").

    Example:
        >>> groups = ["a", "a", "b", "b"]
        >>> worst_group_accuracy([1, 0, 1, 1], [1, 0, 1, 0], sensitive_features=groups)
        0.5
    """
    return WORST_GROUP_ACCURACY.scalar(y_true, y_pred, sensitive_features=sensitive_features)


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
    return DEMOGRAPHIC_PARITY_DIFFERENCE.scalar(
        y_true, y_pred, sensitive_features=sensitive_features
    )


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
    return DEMOGRAPHIC_PARITY_RATIO.scalar(y_true, y_pred, sensitive_features=sensitive_features)


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
    return EQUAL_OPPORTUNITY_DIFFERENCE.scalar(
        y_true, y_pred, sensitive_features=sensitive_features
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
    return EQUALIZED_ODDS_DIFFERENCE.scalar(y_true, y_pred, sensitive_features=sensitive_features)


def _group_metric(
    name: str,
    finish: Finish | None,
    function: Callable[..., object],
    description: str,
    *,
    higher_is_better: bool = False,
    default_for_groups: bool = False,
    citation: str = "",
) -> MetricInfo:
    return MetricInfo(
        name,
        accuracy_by_group if finish is None else partial(group_statistics, finish=finish),
        "labels",
        higher_is_better=higher_is_better,
        value_range=_UNIT,
        needs_groups=True,
        per_group=finish is None,
        description=description,
        citation=citation,
        default_for_groups=default_for_groups,
        function=function,
    )


GROUP_ACCURACY = _group_metric(
    "group_accuracy", None, group_accuracy, "accuracy within each group", higher_is_better=True
)
WORST_GROUP_ACCURACY = _group_metric(
    "worst_group_accuracy",
    worst_accuracy,
    worst_group_accuracy,
    "lowest per-group accuracy",
    higher_is_better=True,
    default_for_groups=True,
    citation="Sagawa et al. 2020",
)
DEMOGRAPHIC_PARITY_DIFFERENCE = _group_metric(
    "demographic_parity_difference",
    parity_difference,
    demographic_parity_difference,
    "largest between-group gap in prediction rates",
    default_for_groups=True,
)
DEMOGRAPHIC_PARITY_RATIO = _group_metric(
    "demographic_parity_ratio",
    parity_ratio,
    demographic_parity_ratio,
    "smallest between-group ratio of prediction rates",
    higher_is_better=True,
)
EQUAL_OPPORTUNITY_DIFFERENCE = _group_metric(
    "equal_opportunity_difference",
    opportunity_difference,
    equal_opportunity_difference,
    "largest between-group gap in true-positive rate",
    citation="Hardt et al. 2016",
)
EQUALIZED_ODDS_DIFFERENCE = _group_metric(
    "equalized_odds_difference",
    odds_difference,
    equalized_odds_difference,
    "largest between-group gap in TPR or FPR",
    default_for_groups=True,
    citation="Hardt et al. 2016",
)

DEFINITIONS = (
    GROUP_ACCURACY,
    WORST_GROUP_ACCURACY,
    DEMOGRAPHIC_PARITY_DIFFERENCE,
    DEMOGRAPHIC_PARITY_RATIO,
    EQUAL_OPPORTUNITY_DIFFERENCE,
    EQUALIZED_ODDS_DIFFERENCE,
)
