"""The suite's policy sections: metrics, intervals, bias, robustness and the release gate."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from assay.suites.spec_base import Params, Spec

MAX_RESAMPLES = 100_000


class MetricSpec(Spec):
    """A registered metric and its keyword options, or an ``evaluate`` module."""

    name: str
    params: Params = Field(default_factory=dict)
    evaluate: str | None = Field(
        None, description="an evaluate module: a local folder (relative to the suite) or a Hub id"
    )
    input: Literal["labels", "probabilities"] = Field(
        "labels", description="what an evaluate module takes as predictions"
    )
    higher_is_better: bool | None = Field(None, description="direction of an evaluate module")


class IntervalSpec(Spec):
    """Confidence intervals for every scalar result."""

    method: Literal["bca", "percentile", "none"] = "bca"
    n_resamples: int = Field(
        1000,
        ge=100,
        le=MAX_RESAMPLES,
        description="bootstrap resamples; at most 100,000, which keeps each resampled "
        "statistic under 1 MB and the count chunks at 32 MB",
    )
    level: float = Field(0.95, gt=0.0, lt=1.0)
    closed_form: bool = Field(True, description="Wilson intervals for accuracy-like proportions")


def metric_shorthand(value: Any) -> Any:
    """Allow ``metrics: [accuracy, {name: ece, params: {n_bins: 10}}]``."""
    if isinstance(value, list):
        return [{"name": v} if isinstance(v, str) else v for v in value]
    return value


class BiasSpec(Spec):
    """How results are disaggregated by each sensitive column (and intersections of them)."""

    metrics: list[MetricSpec] = Field(
        default_factory=lambda: [MetricSpec(name="accuracy"), MetricSpec(name="ece")],
        description="scalar metrics per group, with their difference, ratio and worst group",
    )
    min_group_size: int = Field(
        30, ge=1, description="smaller groups are reported as too small and left out of gaps"
    )
    intersections: list[list[str]] = Field(
        default_factory=list, description="lists of two or more sensitive columns to cross"
    )

    _shorthand = field_validator("metrics", mode="before")(
        classmethod(lambda cls, value: metric_shorthand(value))
    )

    @field_validator("intersections")
    @classmethod
    def _at_least_two(cls, value: list[list[str]]) -> list[list[str]]:
        for columns in value:
            if len(columns) < 2 or len(set(columns)) != len(columns):
                raise ValueError("each intersection names two or more different columns")
        return value


class BaselineFit(Spec):
    """A declared fit of shifted accuracy on clean accuracy (Taori et al. 2020)."""

    slope: float
    intercept: float
    scale: Literal["logit", "linear"] = "logit"


class RobustnessSpec(Spec):
    """Summaries of clean → shifted/adversarial loss, paired by example id."""

    reference_model: str | None = Field(
        None, description="model whose corruption errors normalise the mCE (unnormalised if unset)"
    )
    baseline_fit: BaselineFit | None = Field(
        None, description="fit for effective robustness; off when unset"
    )


class NearDuplicateSpec(Spec):
    """Near-duplicate text: examples whose word n-gram sets overlap by at least
    ``threshold`` (Jaccard), estimated by MinHash and found by LSH."""

    ngram: int = Field(
        13, ge=1, le=64, description="words per n-gram (13 as in GPT-3's decontamination)"
    )
    threshold: float = Field(0.8, gt=0.0, le=1.0, description="least Jaccard overlap counted")
    num_perm: int = Field(128, ge=16, le=1024, description="MinHash permutations")
    seed: int = Field(1, ge=0, description="seeds the MinHash permutations")
    columns: list[str] | None = Field(
        None,
        min_length=1,
        description="text feature columns to compare; default: every text feature of a set "
        "whose features are all text (in a tabular set, strings are categories, and rows "
        "sharing them are not near duplicates)",
    )


class DataCheckSpec(Spec):
    """How examples are compared, for leakage inside the suite and contamination with the
    models' declared training data."""

    precision: int = Field(6, ge=0, le=12, description="decimal places numbers are compared at")
    near_duplicates: NearDuplicateSpec | None = Field(
        default_factory=NearDuplicateSpec,
        description="near-duplicate text against training data; null turns it off",
    )


class ExecutorSpec(Spec):
    """Where the cells run: ``local`` (this process) or ``ray`` (a Ray cluster's workers;
    the ``assay[ray]`` extra). ``assay run --executor/--address`` override it."""

    type: Literal["local", "ray"] = "local"
    address: str | None = Field(
        None,
        description="ray: a cluster's address (ray start --head prints it); unset: a "
        "private local instance listening on loopback only",
    )
    workers: int | None = Field(None, ge=1, description="ray: actors (default: one per CPU)")


class RelativeTolerance(Spec):
    """A tolerance as a share of the baseline value."""

    relative: float = Field(gt=0.0)


class CellFilter(Spec):
    """Which cells fail the gate when they regress (unset: all)."""

    datasets: list[str] | None = None
    metrics: list[str] | None = None
    slices: list[str] | None = Field(None, description="slice columns; 'overall' for no slice")


class HeadlineSpec(Spec):
    dataset: str
    metric: str = "accuracy"


class GateSpec(Spec):
    """The release gate: how a candidate run is judged against a baseline report."""

    model: str | None = Field(None, description="the candidate model (default: the first)")
    baseline_model: str | None = Field(None, description="its name in the baseline report")
    headline: HeadlineSpec | None = Field(
        None, description="default: accuracy on the first in_distribution dataset"
    )
    alpha: float = Field(0.05, gt=0.0, lt=1.0)
    correction: Literal["holm", "bh"] = "holm"
    default_tolerance: float = Field(
        0.01, ge=0.0, description="for every metric not listed; unset: each metric's own default"
    )
    tolerance: dict[str, float | RelativeTolerance] = Field(
        default_factory=dict, description="per metric: absolute, or {relative: share}"
    )
    min_examples: int = Field(30, ge=1, description="smaller slices are reported, not tested")
    negative_flip_budget: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="most share of a dataset's examples the baseline got right and the "
        "candidate gets wrong",
    )
    must_not_regress: CellFilter = Field(default_factory=CellFilter)
    strict: bool = Field(False, description="inconclusive cells fail the gate too")
    max_contamination: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="most share of any evaluation set found in the candidate's declared "
        "training data (exactly or near); unset: not checked",
    )
    fail_on_label_conflicts: bool = Field(
        False, description="fail when an evaluation set holds one input with two labels"
    )
    unpaired: bool = Field(
        False, description="compare datasets that differ from the baseline with unpaired intervals"
    )
    n_resamples: int = Field(1000, ge=100, le=MAX_RESAMPLES)
    power: float = Field(
        0.8, gt=0.0, lt=1.0, description="the chance of flagging a regression of a cell's MDE"
    )
    blind_factor: float = Field(
        2.0, gt=0.0, description="a cell whose MDE exceeds this many tolerances is underpowered"
    )
    fail_on_underpowered: list[str] = Field(
        default_factory=list,
        description="slice columns ('overall' for whole sets) whose gated cells fail the gate "
        "when underpowered: demand enough data where it matters",
    )
