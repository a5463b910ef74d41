"""The metric registry: each name knows its function, input kind, direction and range."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, ClassVar, Literal

import numpy as np

from assay.errors import InvalidInputError
from assay.metrics import calibration, classification, fairness, smooth_calibration, sufficient
from assay.metrics._checks import GroupCodes
from assay.metrics.binning import BINNINGS
from assay.metrics.calibration import MODES, NORMS
from assay.metrics.decomposition import Decomposition
from assay.metrics.smooth_calibration import DEFAULT_GRID
from assay.params import DeclaresParams, Param
from assay.registry import Registry

MetricInput = Literal["labels", "probabilities"]


@dataclass(frozen=True)
class MetricInfo(DeclaresParams):
    """What the runner and the report need to know about one metric."""

    kind: ClassVar[str] = "metric"

    name: str
    function: Callable[..., Any]
    input: MetricInput
    higher_is_better: bool
    value_range: tuple[float, float]
    needs_groups: bool = False
    per_group: bool = False
    per_class: bool = False
    description: str = ""
    aliases: tuple[str, ...] = field(default=())
    # the change a release gate tolerates by default: absolute, or relative to the baseline
    tolerance: float = 0.01
    tolerance_is_relative: bool = False
    # per-example statistics and the map from their sums to the value (sufficient.py):
    # intervals, paired comparison cells and slices all come from it
    decomposition: Callable[..., Decomposition] | None = None
    # the value is the rate of correct top-1 predictions: paired changes get McNemar's test
    top1_rate: bool = False
    # computed for every sensitive column even when the suite's bias section names none
    default_for_groups: bool = False
    # the keyword options a suite may set, with their constraints (checked at load time)
    params: Mapping[str, Param] = field(default_factory=dict)


METRICS: Registry[MetricInfo] = Registry("metric", entry_points="assay.metrics")

N_BINS = Param("int", default=15, low=1, description="number of bins")
BINNING = Param("str", default="uniform", choices=BINNINGS, description="bin edges")
NORM = Param("str", default="l1", choices=NORMS, description="how bin gaps combine")
MODE = Param("str", default="top_label", choices=MODES, description="which probabilities")


_UNIT = (0.0, 1.0)
for _info in (
    MetricInfo(
        "accuracy",
        classification.accuracy_score,
        "labels",
        True,
        _UNIT,
        description="fraction of correct top-1 predictions",
        decomposition=sufficient.accuracy,
        top1_rate=True,
    ),
    MetricInfo(
        "balanced_accuracy",
        classification.balanced_accuracy_score,
        "labels",
        True,
        _UNIT,
        description="mean recall over the classes present",
        decomposition=sufficient.balanced_accuracy,
    ),
    MetricInfo(
        "f1_macro",
        classification.macro_f1_score,
        "labels",
        True,
        _UNIT,
        description="unweighted mean of per-class F1",
        decomposition=sufficient.macro_f1,
    ),
    MetricInfo(
        "f1_micro",
        classification.micro_f1_score,
        "labels",
        True,
        _UNIT,
        description="F1 from global counts (equals accuracy for single-label tasks)",
        decomposition=sufficient.accuracy,
        top1_rate=True,
    ),
    MetricInfo(
        "top_k_accuracy",
        classification.top_k_accuracy_score,
        "probabilities",
        True,
        _UNIT,
        description="true class among the k most probable (k=5)",
        decomposition=sufficient.top_k_accuracy,
        params={"k": Param("int", default=5, low=1, description="how many top classes")},
    ),
    MetricInfo(
        "per_class_recall",
        classification.per_class_recall,
        "labels",
        True,
        _UNIT,
        per_class=True,
        description="recall of each class",
        decomposition=sufficient.per_class_recall,
        params={"n_classes": Param("int", default=None, low=1, nullable=True)},
    ),
    MetricInfo(
        "ece",
        calibration.expected_calibration_error,
        "probabilities",
        False,
        _UNIT,
        aliases=("expected_calibration_error",),
        description="top-label expected calibration error, 15 equal-width bins",
        decomposition=sufficient.calibration_error,
        params={"n_bins": N_BINS, "binning": BINNING, "norm": NORM, "mode": MODE},
    ),
    MetricInfo(
        "adaptive_ece",
        calibration.adaptive_calibration_error,
        "probabilities",
        False,
        _UNIT,
        description="ECE with equal-mass bins",
        decomposition=partial(sufficient.calibration_error, binning="quantile"),
        params={"n_bins": N_BINS, "mode": MODE},
    ),
    MetricInfo(
        "classwise_ece",
        calibration.classwise_calibration_error,
        "probabilities",
        False,
        _UNIT,
        description="mean one-vs-rest ECE over classes",
        decomposition=partial(sufficient.calibration_error, mode="classwise"),
        params={"n_bins": N_BINS, "binning": BINNING},
    ),
    MetricInfo(
        "mce",
        calibration.maximum_calibration_error,
        "probabilities",
        False,
        _UNIT,
        aliases=("maximum_calibration_error",),
        tolerance=0.05,
        description="largest calibration gap over bins",
        decomposition=partial(sufficient.calibration_error, norm="max"),
        params={"n_bins": N_BINS, "binning": BINNING, "mode": MODE},
    ),
    MetricInfo(
        "debiased_ece",
        calibration.debiased_calibration_error,
        "probabilities",
        False,
        _UNIT,
        aliases=("debiased_calibration_error",),
        description="debiased L2 calibration error (Kumar et al. 2019)",
        decomposition=sufficient.debiased_calibration_error,
        params={"n_bins": N_BINS, "binning": replace(BINNING, default="quantile"), "mode": MODE},
    ),
    MetricInfo(
        "smooth_ece",
        smooth_calibration.smooth_expected_calibration_error,
        "probabilities",
        False,
        _UNIT,
        aliases=("smooth_expected_calibration_error",),
        description="kernel-smoothed ECE at its fixed-point bandwidth (Błasiok & Nakkiran 2023)",
        decomposition=sufficient.smooth_ece,
        params={"grid": Param("int", default=DEFAULT_GRID, low=64, description="grid cells")},
    ),
    MetricInfo(
        "brier_score",
        calibration.brier_score_loss,
        "probabilities",
        False,
        (0.0, 2.0),
        description="mean squared error of the probabilities",
        decomposition=sufficient.brier_score,
    ),
    MetricInfo(
        "nll",
        calibration.negative_log_likelihood,
        "probabilities",
        False,
        (0.0, float("inf")),
        aliases=("negative_log_likelihood", "log_loss"),
        tolerance=0.05,
        tolerance_is_relative=True,
        description="mean negative log-likelihood of the true class",
        decomposition=sufficient.nll,
    ),
    MetricInfo(
        "group_accuracy",
        fairness.group_accuracy,
        "labels",
        True,
        _UNIT,
        needs_groups=True,
        per_group=True,
        description="accuracy within each group",
        decomposition=sufficient.group_accuracy,
    ),
    MetricInfo(
        "worst_group_accuracy",
        fairness.worst_group_accuracy,
        "labels",
        True,
        _UNIT,
        needs_groups=True,
        description="lowest per-group accuracy",
        decomposition=sufficient.worst_group_accuracy,
        default_for_groups=True,
    ),
    MetricInfo(
        "demographic_parity_difference",
        fairness.demographic_parity_difference,
        "labels",
        False,
        _UNIT,
        needs_groups=True,
        description="largest between-group gap in prediction rates",
        decomposition=sufficient.demographic_parity_difference,
        default_for_groups=True,
    ),
    MetricInfo(
        "demographic_parity_ratio",
        fairness.demographic_parity_ratio,
        "labels",
        True,
        _UNIT,
        needs_groups=True,
        description="smallest between-group ratio of prediction rates",
        decomposition=sufficient.demographic_parity_ratio,
    ),
    MetricInfo(
        "equal_opportunity_difference",
        fairness.equal_opportunity_difference,
        "labels",
        False,
        _UNIT,
        needs_groups=True,
        description="largest between-group gap in true-positive rate",
        decomposition=sufficient.equal_opportunity_difference,
    ),
    MetricInfo(
        "equalized_odds_difference",
        fairness.equalized_odds_difference,
        "labels",
        False,
        _UNIT,
        needs_groups=True,
        description="largest between-group gap in TPR or FPR",
        decomposition=sufficient.equalized_odds_difference,
        default_for_groups=True,
    ),
):
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
    """The decomposition of registered metric ``name`` (None for a name the registry does
    not hold, such as an evaluate module, or a metric without one).

    Example:
        >>> decompose("accuracy", np.array([0, 1]), np.array([[0.9, 0.1], [0.8, 0.2]])).value()
        array([0.5])
    """
    if name not in METRICS:
        return None
    builder = METRICS.get(name).decomposition
    if builder is None:
        return None
    kwargs = dict(params or {})
    if sensitive_features is not None:
        kwargs["sensitive_features"] = sensitive_features
    return builder(y_true, y_prob, **kwargs)


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
    kwargs: dict[str, Any] = dict(params or {})
    if info.needs_groups:
        if sensitive_features is None:
            raise InvalidInputError(f"metric {info.name!r} needs sensitive_features")
        kwargs["sensitive_features"] = sensitive_features
    if info.input == "labels":
        return info.function(y_true, np.argmax(y_prob, axis=1), **kwargs)
    return info.function(y_true, y_prob, **kwargs)


def check_metric_params(name: str, params: Mapping[str, Any]) -> None:
    """Raise if ``params`` do not fit metric ``name``: an option it does not declare, or a
    value outside its declared constraints (the house message names both).

    Example:
        >>> try:
        ...     check_metric_params("ece", {"n_bins": 0})
        ... except InvalidInputError as error:
        ...     print(error)
        The 'n_bins' parameter of metric 'ece' must be an int >= 1. Got 0 instead.
    """
    METRICS.get(name).check(params)


# metric families defined in a module of their own, each entering its metrics through its
# register() (imported last: they build on the registry defined above)
from assay.metrics import confusion  # noqa: E402

FAMILIES = (confusion,)
for _family in FAMILIES:
    _family.register(METRICS)
