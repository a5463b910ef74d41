"""Robustness summaries: how much a model loses from a clean set to its shifted versions.

Clean and shifted predictions are paired by example id, so the drop is measured on the same
examples and its interval comes from resampling pairs jointly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from assay.metrics._checks import check_labels, check_same_length
from assay.metrics.decomposition import Decomposition
from assay.registry import Registry


@dataclass(frozen=True)
class RobustnessMeasure:
    """A summary of how a model fares from clean to shifted data (a result of its own,
    reported next to the per-dataset metrics rather than among them)."""

    name: str
    higher_is_better: bool
    description: str
    counts: bool = False  # its values are counts (queries), shown as whole numbers
    # the change a gate forgives (None: the policy's default); relative: a share of the
    # baseline value
    tolerance: float | None = None
    tolerance_is_relative: bool = False


ACCURACY_DROP = RobustnessMeasure(
    "accuracy_drop", False, "clean minus shifted accuracy on the same examples"
)
RELATIVE_ROBUSTNESS = RobustnessMeasure(
    "relative_robustness", True, "shifted over clean accuracy on the same examples"
)
MEAN_CORRUPTION_ERROR = RobustnessMeasure(
    "mean_corruption_error", False, "top-1 error over corruptions and severities (Hendrycks)"
)
EFFECTIVE_ROBUSTNESS = RobustnessMeasure(
    "effective_robustness", True, "shifted accuracy above the baseline fit (Taori et al.)"
)
ATTACK_SUCCESS_RATE = RobustnessMeasure(
    "attack_success_rate", False, "share of the examples right when clean that the attack flips"
)
MEDIAN_PERTURBATION = RobustnessMeasure(
    "median_perturbation",
    True,
    "median size, in the attack's norm, of the perturbations that flipped a right answer",
    tolerance=0.05,  # what flipping an answer took: 5% of the baseline's is noise
    tolerance_is_relative=True,
)
MEDIAN_QUERIES = RobustnessMeasure(
    "median_queries",
    True,
    "median model queries a black-box attack took to flip an answer",
    counts=True,
    tolerance=0.05,
    tolerance_is_relative=True,
)
MAX_QUERIES_USED = RobustnessMeasure(
    "max_queries_used",
    True,
    "the most model queries a black-box attack took to flip one",
    counts=True,
)
ROBUSTNESS_MEASURES: Registry[RobustnessMeasure] = Registry("robustness measure")
for _measure in (
    ACCURACY_DROP,
    RELATIVE_ROBUSTNESS,
    MEAN_CORRUPTION_ERROR,
    EFFECTIVE_ROBUSTNESS,
    ATTACK_SUCCESS_RATE,
    MEDIAN_PERTURBATION,
    MEDIAN_QUERIES,
    MAX_QUERIES_USED,
):
    ROBUSTNESS_MEASURES.add(_measure.name, _measure)


def accuracy_drop(clean_correct: object, shifted_correct: object) -> float:
    """Clean accuracy minus shifted accuracy on the same examples (higher = less robust).

    Example:
        >>> accuracy_drop([1, 1, 1, 0], [1, 0, 0, 0])
        0.5
    """
    clean, shifted = _paired(clean_correct, shifted_correct)
    return float(clean.mean() - shifted.mean())


def relative_robustness(clean_correct: object, shifted_correct: object) -> float:
    """Shifted accuracy over clean accuracy on the same examples (1 = no loss); NaN when the
    clean accuracy is 0 (Taori et al. 2020 call 1 − this the relative drop).

    Example:
        >>> relative_robustness([1, 1, 1, 0], [1, 0, 0, 0])
        0.3333333333333333
    """
    clean, shifted = _paired(clean_correct, shifted_correct)
    return float(shifted.mean() / clean.mean()) if clean.mean() > 0 else float("nan")


def paired_decomposition(
    clean_correct: np.ndarray, shifted_correct: np.ndarray, *, attacked: bool = False
) -> Decomposition:
    """Sufficient statistics [clean, shifted, 1] per example pair; outputs the accuracy drop
    and the relative robustness, so both intervals resample pairs jointly. ``attacked``
    adds [clean and not shifted] and the attack success rate (flipped over clean-correct).

    Example:
        >>> d = paired_decomposition(np.array([1, 1, 0, 1]), np.array([0, 1, 0, 0]), attacked=True)
        >>> d.outputs[-1], d.value().round(3).tolist()
        ('attack_success_rate', [0.5, 0.333, 0.667])
    """
    clean, shifted = _paired(clean_correct, shifted_correct)
    # dense columns: summed directly; the sparse matrix is built only if resampled
    statistics: tuple[np.ndarray, ...] = (clean, shifted, np.ones(len(clean)))
    if attacked:
        statistics += (clean * (1.0 - shifted),)

    def finish(s: np.ndarray) -> np.ndarray:
        columns = _drop_and_relative(s[:, 0] / s[:, 2], s[:, 1] / s[:, 2])
        if attacked:
            with np.errstate(invalid="ignore", divide="ignore"):
                columns.append(np.where(s[:, 0] > 0, s[:, 3] / s[:, 0], np.nan))
        return np.column_stack(columns)

    outputs = (ACCURACY_DROP.name, RELATIVE_ROBUSTNESS.name)
    return Decomposition(
        statistics, finish, outputs=(*outputs, ATTACK_SUCCESS_RATE.name) if attacked else outputs
    )


def _drop_and_relative(clean_rate: np.ndarray, shifted_rate: np.ndarray) -> list[np.ndarray]:
    """The accuracy drop and the relative robustness (NaN where the clean rate is 0)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        relative = np.where(clean_rate > 0, shifted_rate / clean_rate, np.nan)
    return [clean_rate - shifted_rate, relative]


def resampled_decomposition(
    clean_correct: np.ndarray, parent_rows: np.ndarray, shifted_correct: np.ndarray
) -> Decomposition:
    """:func:`paired_decomposition` for a set resampled from the clean one (row j of it is
    clean row ``parent_rows[j]``): statistics per clean row [clean, correct draws, draws, 1],
    so the shifted accuracy is Σ correct draws / Σ draws and a bootstrap over clean rows
    carries each row's draws with it.

    Example:
        >>> d = resampled_decomposition(np.array([1, 0]), np.array([1, 1, 0]), np.array([0, 0, 1]))
        >>> d.value().round(3).tolist()  # clean 1/2, resampled 1/3
        [0.167, 0.667]
    """
    clean = check_labels(np.asarray(clean_correct, dtype=np.int64), name="clean_correct")
    shifted = check_labels(np.asarray(shifted_correct, dtype=np.int64), name="shifted_correct")
    rows = np.asarray(parent_rows, dtype=np.int64)
    check_same_length(rows, shifted)
    n = len(clean)
    statistics = (
        clean.astype(np.float64),
        np.bincount(rows, weights=shifted, minlength=n).astype(np.float64),
        np.bincount(rows, minlength=n).astype(np.float64),
        np.ones(n),
    )

    def finish(s: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            shifted_rate = s[:, 1] / s[:, 2]
        return np.column_stack(_drop_and_relative(s[:, 0] / s[:, 3], shifted_rate))

    return Decomposition(statistics, finish, outputs=(ACCURACY_DROP.name, RELATIVE_ROBUSTNESS.name))


@dataclass(frozen=True)
class CorruptionErrors:
    """Top-1 error of one model on one corruption at each severity."""

    corruption: str
    errors_by_severity: Mapping[int, float]


def mean_corruption_error(
    model: Sequence[CorruptionErrors], reference: Sequence[CorruptionErrors] | None = None
) -> float:
    """Mean corruption error (Hendrycks & Dietterich 2019).

    With a reference model: CE_c = Σ_s E_{c,s} / Σ_s E^ref_{c,s}, and mCE = mean_c CE_c
    (AlexNet is the paper's reference). Without one, the unnormalised mean of the errors
    over corruptions and severities. Severities must match between the two.

    Example:
        >>> ours = [CorruptionErrors("noise", {1: 0.2, 2: 0.4})]
        >>> ref = [CorruptionErrors("noise", {1: 0.4, 2: 0.8})]
        >>> mean_corruption_error(ours, ref), round(mean_corruption_error(ours), 6)
        (0.5, 0.3)
    """
    if not model:
        raise ValueError("mean_corruption_error needs at least one corruption")
    if reference is None:
        return float(np.mean([np.mean(list(c.errors_by_severity.values())) for c in model]))
    by_name = {c.corruption: c for c in reference}
    ratios = []
    for corruption in model:
        ref = by_name.get(corruption.corruption)
        if ref is None or set(ref.errors_by_severity) != set(corruption.errors_by_severity):
            raise ValueError(
                f"the reference model lacks corruption {corruption.corruption!r} "
                "at the same severities"
            )
        ratios.append(
            sum(corruption.errors_by_severity.values()) / sum(ref.errors_by_severity.values())
        )
    return float(np.mean(ratios))


def effective_robustness(
    clean_accuracy: float,
    shifted_accuracy: float,
    *,
    slope: float,
    intercept: float,
    scale: str = "logit",
) -> float:
    """Shifted accuracy above what a baseline fit predicts from clean accuracy (Taori et al.
    2020): ER = acc_shift − g⁻¹(slope · g(acc_clean) + intercept), g = logit or identity.

    Example:
        >>> round(effective_robustness(0.8, 0.7, slope=1.0, intercept=-1.0), 4)
        0.1046
    """
    if scale not in ("logit", "linear"):
        raise ValueError(f"scale must be 'logit' or 'linear', not {scale!r}")
    if scale == "linear":
        return float(shifted_accuracy - (slope * clean_accuracy + intercept))
    clipped = min(max(clean_accuracy, 1e-12), 1 - 1e-12)
    predicted_logit = slope * np.log(clipped / (1 - clipped)) + intercept
    return float(shifted_accuracy - 1.0 / (1.0 + np.exp(-predicted_logit)))


def _paired(clean_correct: object, shifted_correct: object) -> tuple[np.ndarray, np.ndarray]:
    clean = check_labels(np.asarray(clean_correct, dtype=np.int64), name="clean_correct")
    shifted = check_labels(np.asarray(shifted_correct, dtype=np.int64), name="shifted_correct")
    check_same_length(clean, shifted)
    return clean.astype(np.float64), shifted.astype(np.float64)
