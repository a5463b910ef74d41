"""What a comparison is made of: the policy that judges it, compared cells, churn."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Literal

import pandas as pd

from assay.metrics.groups import AGGREGATES
from assay.metrics.registry import METRICS

Verdict = Literal["regression", "improvement", "no_change", "inconclusive"]
DEFAULT_TOLERANCE = 0.01


def split_aggregate(name: str) -> tuple[str, str | None]:
    """``accuracy_difference`` → (``accuracy``, ``difference``); other names → (name, None).

    Example:
        >>> split_aggregate("ece_worst_group"), split_aggregate("ece")
        (('ece', 'worst_group'), ('ece', None))
    """
    for aggregate in AGGREGATES:
        base = name.removesuffix(f"_{aggregate}")
        if base != name and base in METRICS:
            return base, aggregate
    return name, None


def higher_is_better(name: str) -> bool:
    """A cell metric's direction: the registry's, or for a bias aggregate, lower gaps,
    higher ratios and the metric's own direction for the worst group.

    Example:
        >>> higher_is_better("accuracy_difference"), higher_is_better("accuracy_worst_group")
        (False, True)
    """
    if name.startswith("ood_"):  # OOD detection: AUROC and AUPR up, FPR@95%TPR down
        return not name.startswith("ood_fpr")
    base, aggregate = split_aggregate(name)
    if aggregate == "difference":
        return False
    if aggregate == "ratio":
        return True
    return METRICS.get(base).higher_is_better


@dataclass(frozen=True)
class ComparePolicy:
    """How cells are judged: tolerance per metric (absolute), alpha and the correction."""

    alpha: float = 0.05
    correction: Literal["holm", "bh"] = "holm"
    tolerance: dict[str, float] = field(default_factory=dict)
    relative_tolerance: dict[str, float] = field(default_factory=dict)
    default_tolerance: float = DEFAULT_TOLERANCE
    n_resamples: int = 1000
    seed: int = 0
    min_examples: int = 30
    headline: tuple[str, str] | None = None
    registry_defaults: bool = True  # False: default_tolerance for every unlisted metric

    def tolerance_for(self, metric: str, baseline: float) -> float:
        """Absolute tolerance for ``metric``: the policy's own for it, else the metric's
        registered default (absolute, or relative to the baseline value), else the policy
        default. A relative tolerance scales the baseline value."""
        if metric in self.relative_tolerance:
            return self.relative_tolerance[metric] * abs(baseline)
        if metric in self.tolerance:
            return self.tolerance[metric]
        if self.registry_defaults and metric in METRICS:
            info = METRICS.get(metric)
            return info.tolerance * abs(baseline) if info.tolerance_is_relative else info.tolerance
        base, aggregate = split_aggregate(metric)
        if self.registry_defaults and aggregate in ("difference", "worst_group"):
            info = METRICS.get(base)  # a gap is in the metric's own units
            return self.default_tolerance if info.tolerance_is_relative else info.tolerance
        return self.default_tolerance


@dataclass(frozen=True)
class CellComparison:
    """One compared cell; ``harm`` is the delta signed so that positive means worse."""

    dataset: str
    metric: str
    slice: str | None
    group: str | None
    n: int
    baseline: float
    candidate: float
    delta: float
    ci_low: float
    ci_high: float
    p_value: float
    p_adjusted: float = float("nan")
    verdict: Verdict = "inconclusive"
    silent: bool = False
    method: str = "paired bootstrap"


@dataclass(frozen=True)
class Churn:
    """Prediction flips between checkpoints on one dataset (or one slice group of it),
    each rate with a percentile bootstrap interval over example ids."""

    dataset: str
    n: int
    negative_flip_rate: float
    positive_flip_rate: float
    churn: float
    regressed_ids: list[str]
    slice: str | None = None
    group: str | None = None
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class Comparison:
    baseline: str
    candidate: str
    cells: list[CellComparison]
    churn: list[Churn]
    headline: tuple[str, str]

    @property
    def silent_regressions(self) -> list[CellComparison]:
        return [c for c in self.cells if c.silent]

    @property
    def regressions(self) -> list[CellComparison]:
        return [c for c in self.cells if c.verdict == "regression"]

    def to_pandas(self) -> pd.DataFrame:
        """One row per compared cell: dataset, metric, slice, group, n, both values, the
        delta with its interval, p-values, verdict and whether it is a silent regression."""
        from assay.reports.frames import records_frame

        return records_frame(self.cells, [f.name for f in fields(CellComparison)])

    def churn_frame(self) -> pd.DataFrame:
        """One row per dataset (and slice group): flip rates with their intervals and the
        number of regressed examples."""
        rows = [
            {
                "dataset": c.dataset,
                "slice": c.slice,
                "group": c.group,
                "n": c.n,
                "negative_flip_rate": c.negative_flip_rate,
                "positive_flip_rate": c.positive_flip_rate,
                "churn": c.churn,
                **{
                    f"{name}_{side}": bound
                    for name, bounds in c.intervals.items()
                    for side, bound in zip(("low", "high"), bounds, strict=True)
                },
                "regressed": len(c.regressed_ids),
            }
            for c in self.churn
        ]
        return pd.DataFrame(rows)

    def _repr_html_(self) -> str:
        from assay.reports.frames import frame_html

        silent = len(self.silent_regressions)
        return frame_html(self.to_pandas(), f"comparison: {silent} silent regression(s)")
