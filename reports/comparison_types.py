"""What a comparison is made of: the policy that judges it, compared cells, churn."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Literal

import pandas as pd

from assay.metrics.groups import AGGREGATES
from assay.metrics.registry import METRICS
from assay.metrics.robustness import ROBUSTNESS_MEASURES
from assay.reports.power import ErrorCurve

Verdict = Literal["regression", "improvement", "no_change", "inconclusive"]
DEFAULT_TOLERANCE = 0.01


@dataclass(frozen=True)
class CellMetric:
    """What a compared cell measures and how to judge it, decided where the cell is made
    (no rule reads a metric's name): its direction and its default tolerance (None: the
    policy's default; relative: a share of the baseline value)."""

    name: str
    higher_is_better: bool
    tolerance: float | None = None
    tolerance_is_relative: bool = False
    top1_rate: bool = False  # a rate of correct top-1 predictions: McNemar's exact test

    @classmethod
    def registered(cls, name: str) -> CellMetric:
        """A registered metric as its registry entry describes it.

        Example:
            >>> CellMetric.registered("nll").tolerance_is_relative
            True
        """
        info = METRICS.get(name)
        return cls(
            name, info.higher_is_better, info.tolerance, info.tolerance_is_relative, info.top1_rate
        )

    @classmethod
    def robustness(cls, name: str) -> CellMetric:
        """A robustness measure (accuracy drop, median queries, ...) as it describes itself.

        Example:
            >>> CellMetric.robustness("median_queries").tolerance_is_relative
            True
        """
        measure = ROBUSTNESS_MEASURES.get(name)
        return cls(name, measure.higher_is_better, measure.tolerance, measure.tolerance_is_relative)

    @classmethod
    def named(cls, name: str) -> CellMetric | None:
        """What a report result's metric name measures, judged as its compared cell is: a
        registered metric, a robustness measure or a bias aggregate (``ece_difference``);
        None for a name none of them knows (the policy's defaults apply).

        Example:
            >>> CellMetric.named("mce_worst_group") == CellMetric.aggregate("mce", "worst_group")
            True
        """
        if name in METRICS:
            return cls.registered(name)
        if name in ROBUSTNESS_MEASURES:
            return cls.robustness(name)
        for aggregate in AGGREGATES:
            metric = name.removesuffix(f"_{aggregate}")
            if metric != name and metric in METRICS:
                return cls.aggregate(metric, aggregate)
        return None

    @classmethod
    def aggregate(cls, metric: str, aggregate: str) -> CellMetric:
        """A bias aggregate of a registered metric: gaps lower is better (in the metric's
        own units), ratios higher, the worst group in the metric's own direction.

        Example:
            >>> gap = CellMetric.aggregate("accuracy", "difference")
            >>> gap.name, gap.higher_is_better, gap.tolerance
            ('accuracy_difference', False, 0.01)
        """
        info = METRICS.get(metric)
        name = f"{metric}_{aggregate}"
        if aggregate == "ratio":
            return cls(name, True)
        own_units = None if info.tolerance_is_relative else info.tolerance
        return cls(name, aggregate == "worst_group" and info.higher_is_better, own_units)


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
    power: float = 0.8  # the chance of flagging a regression of a cell's reported MDE
    blind_factor: float = 2.0  # MDE above this many tolerances: the cell is underpowered

    def tolerance_for(self, metric: CellMetric | str, baseline: float) -> float:
        """Absolute tolerance for a cell's metric: the policy's own for its name, else the
        metric's default (absolute, or relative to the baseline value), else the policy
        default. A relative tolerance scales the baseline value."""
        name = metric.name if isinstance(metric, CellMetric) else metric
        if name in self.relative_tolerance:
            return self.relative_tolerance[name] * abs(baseline)
        if name in self.tolerance:
            return self.tolerance[name]
        measure = metric if isinstance(metric, CellMetric) else CellMetric.named(name)
        if self.registry_defaults and measure is not None and measure.tolerance is not None:
            if measure.tolerance_is_relative:
                return measure.tolerance * abs(baseline)
            return measure.tolerance
        return self.default_tolerance


INTERNAL_FIELDS = ("measure", "error_curve")  # how a cell was judged, not what it found


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
    standard_error: float = float("nan")  # of the delta (bootstrap, or DeLong's)
    discordance: float | None = None  # McNemar cells: share of examples that changed correctness
    tolerance: float = float("nan")  # the harm the gate forgives, in the metric's units
    mde: float = float("nan")  # minimum detectable effect (assay.reports.power)
    underpowered: bool = False  # the MDE exceeds the tolerance by more than the blind factor
    n_needed: int | None = None  # examples that would resolve a change of the tolerance's size
    # what the cell measures (direction, default tolerance); left out of JSON and frames
    measure: CellMetric | None = field(default=None, repr=False, compare=False)
    # the delta's standard error at planted harms, where its spread grows with the harm
    # (assay.reports.power.error_curve); what the MDE was read from, left out of JSON and frames
    error_curve: ErrorCurve = field(default=(), repr=False, compare=False)


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
    notes: list[str] = field(default_factory=list)  # what the numbers cannot show

    @property
    def silent_regressions(self) -> list[CellComparison]:
        return [c for c in self.cells if c.silent]

    @property
    def regressions(self) -> list[CellComparison]:
        return [c for c in self.cells if c.verdict == "regression"]

    @property
    def underpowered(self) -> list[CellComparison]:
        """Cells that could not have seen a regression of a few tolerances (blind)."""
        return [c for c in self.cells if c.underpowered]

    def to_pandas(self) -> pd.DataFrame:
        """One row per compared cell: dataset, metric, slice, group, n, both values, the
        delta with its interval, p-values, verdict and whether it is a silent regression."""
        from assay.reports.frames import records_frame

        columns = [f.name for f in fields(CellComparison) if f.name not in INTERNAL_FIELDS]
        return records_frame(self.cells, columns)

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
