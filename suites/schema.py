"""The suite schema: frozen, strict pydantic models parsed from YAML.

A suite pairs models with datasets of three kinds and names the metrics to compute.
Registry names (metrics, shifts, attacks, loaders) are checked in :mod:`assay.suites.loading`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
Name = Annotated[str, Field(pattern=NAME_PATTERN, max_length=100)]
ImportPath = Annotated[str, Field(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")]
Params = dict[str, Any]
MAX_RESAMPLES = 100_000
DatasetKind = Literal["in_distribution", "shifted", "adversarial", "ood"]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)


# --- data sources -------------------------------------------------------------------------


class HubSource(_Spec):
    """A dataset on the Hugging Face Hub (needs network unless already cached)."""

    type: Literal["hub"]
    path: str = Field(description="Hub dataset id, e.g. 'ylecun/mnist'")
    name: str | None = Field(None, description="configuration name")
    split: str = "test"
    revision: str | None = Field(None, description="git revision; pin it for reproducibility")


class FileSource(_Spec):
    """A local CSV, JSON (lines) or Parquet file; relative paths start at the suite file."""

    type: Literal["file"]
    path: str
    format: Literal["csv", "json", "parquet"] | None = Field(
        None, description="inferred from the file extension when omitted"
    )


class SklearnSource(_Spec):
    """One of scikit-learn's bundled datasets (offline), e.g. ``load_digits``."""

    type: Literal["sklearn"]
    loader: str
    params: Params = Field(default_factory=dict)


class PythonSource(_Spec):
    """``module:function`` returning a ``datasets.Dataset`` or a ``pandas.DataFrame``."""

    type: Literal["python"]
    callable: ImportPath
    params: Params = Field(default_factory=dict)


Source = Annotated[
    HubSource | FileSource | SklearnSource | PythonSource, Field(discriminator="type")
]


class Partition(_Spec):
    """Keep one side of a seeded random split (the other side is for training)."""

    test_fraction: float = Field(gt=0.0, lt=1.0)
    seed: int = 0
    use: Literal["train", "test"] = "test"


class Transform(_Spec):
    """A registered shift or attack with its parameters."""

    name: str
    params: Params = Field(default_factory=dict)


class Attack(Transform):
    """An attack; with ``surrogate`` the examples are crafted on that model for all models."""

    surrogate: str | None = None


class DatasetSpec(_Spec):
    """One evaluation set: loaded from a source, or derived ``from`` another by a transform."""

    name: Name
    kind: DatasetKind = "in_distribution"
    source: Source | None = None
    from_: str | None = Field(None, alias="from")
    shift: Transform | None = None
    attack: Attack | None = None
    label: str | None = None
    id: str | None = None
    features: list[str] | None = Field(
        None,
        min_length=1,
        description="model inputs; default: every column but id, label and sensitive ones",
    )
    sensitive: list[str] = Field(default_factory=list)
    classes: list[str] | list[int] | None = Field(
        None,
        min_length=1,
        description="all label values in model-output order; default: sorted labels",
    )
    partition: Partition | None = None
    limit: int | None = Field(None, ge=1, description="keep the first N rows")
    reference: str | None = Field(
        None, description="ood only: the in-distribution set to tell apart (default: the first)"
    )
    allow_leakage: bool = Field(
        False,
        description="let the label or id column be a model input (it leaks the answer or the "
        "row's identity); refused unless set",
    )

    @field_validator("classes")
    @classmethod
    def _distinct_classes(cls, value: list[str] | list[int] | None) -> Any:
        if value is not None:
            seen: set[str] = set()
            for item in value:
                if str(item) in seen:
                    raise ValueError(f"classes must be distinct; {item!r} is listed twice")
                seen.add(str(item))
        return value

    @field_validator("features", "sensitive")
    @classmethod
    def _distinct_columns(cls, value: list[str] | None) -> Any:
        if value is not None and len(set(value)) != len(value):
            repeated = next(c for c in value if value.count(c) > 1)
            raise ValueError(f"column {repeated!r} is listed twice")
        return value

    @model_validator(mode="after")
    def _check_leakage(self) -> DatasetSpec:
        features = self.features or []
        for role, column in (("label", self.label), ("id", self.id)):
            if column is not None and column in features and not self.allow_leakage:
                raise ValueError(
                    f"feature {column!r} is the dataset's {role} column, so the model would "
                    "see it; remove it or set allow_leakage: true"
                )
        return self

    @model_validator(mode="after")
    def _check_origin(self) -> DatasetSpec:
        if (self.source is None) == (self.from_ is None):
            raise ValueError("give exactly one of 'source' or 'from'")
        if self.shift is not None and self.kind != "shifted":
            raise ValueError(f"'shift' needs kind 'shifted', not {self.kind!r}")
        if self.attack is not None and self.kind != "adversarial":
            raise ValueError(f"'attack' needs kind 'adversarial', not {self.kind!r}")
        if self.source is not None:
            return self._check_sourced()
        return self._check_derived()

    def _check_sourced(self) -> DatasetSpec:
        if self.shift is not None or self.attack is not None:
            raise ValueError("a dataset with a 'source' is used as is; derive with 'from'")
        if self.kind == "ood":
            if self.label is not None or self.classes is not None or self.sensitive:
                raise ValueError("an 'ood' dataset has no labels, classes or sensitive columns")
            return self
        if self.reference is not None:
            raise ValueError("'reference' is for 'ood' datasets")
        if self.label is None:
            raise ValueError("'label' (the label column) is required")
        return self

    def _check_derived(self) -> DatasetSpec:
        if self.kind in ("in_distribution", "ood"):
            raise ValueError("a dataset derived with 'from' is 'shifted' or 'adversarial'")
        if self.kind == "shifted" and self.shift is None:
            raise ValueError("a shifted dataset derived with 'from' needs a 'shift'")
        if self.kind == "adversarial" and self.attack is None:
            raise ValueError("an adversarial dataset derived with 'from' needs an 'attack'")
        inherited = ("label", "id", "features", "classes", "partition", "limit")
        given = [k for k in inherited if getattr(self, k) is not None] + (
            ["sensitive"] if self.sensitive else []
        )
        if given:
            raise ValueError(f"a derived dataset inherits {', '.join(given)} from its 'from'")
        return self

    @property
    def transform(self) -> Transform | None:
        return self.shift or self.attack


# --- models ---------------------------------------------------------------------------------


class _ModelBase(_Spec):
    name: Name
    batch_size: int | None = Field(None, ge=1, description="default: the suite's batch_size")


class TorchModelSpec(_ModelBase):
    """A torch ``nn.Module`` built by ``factory`` and loaded from a weights-only checkpoint."""

    type: Literal["torch"]
    factory: ImportPath
    params: Params = Field(default_factory=dict)
    checkpoint: str = Field(description=".safetensors, or a state_dict .pt/.pth (weights only)")
    output: Literal["logits", "probabilities"] = "logits"
    device: Literal["cpu", "cuda", "auto"] = "auto"


class SklearnModelSpec(_ModelBase):
    """A scikit-learn estimator: ``.skops`` (safe), or joblib/pickle only when ``trusted``."""

    type: Literal["sklearn"]
    path: str
    trusted: bool = Field(False, description="allow pickle/joblib files, which can run code")
    trusted_types: list[str] = Field(
        default_factory=list, description="extra types a .skops file may contain"
    )
    input: Literal["array", "dataframe"] = "array"


class PythonModelSpec(_ModelBase):
    """``module:object`` with ``predict_proba``; a class or function is called with params."""

    type: Literal["python"]
    object: ImportPath
    params: Params = Field(default_factory=dict)
    input: Literal["array", "dataframe"] = "array"


ModelSpec = Annotated[
    TorchModelSpec | SklearnModelSpec | PythonModelSpec, Field(discriminator="type")
]


class MetricSpec(_Spec):
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


class IntervalSpec(_Spec):
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


def _metric_shorthand(value: Any) -> Any:
    """Allow ``metrics: [accuracy, {name: ece, params: {n_bins: 10}}]``."""
    if isinstance(value, list):
        return [{"name": v} if isinstance(v, str) else v for v in value]
    return value


class BiasSpec(_Spec):
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
        classmethod(lambda cls, value: _metric_shorthand(value))
    )

    @field_validator("intersections")
    @classmethod
    def _at_least_two(cls, value: list[list[str]]) -> list[list[str]]:
        for columns in value:
            if len(columns) < 2 or len(set(columns)) != len(columns):
                raise ValueError("each intersection names two or more different columns")
        return value


class BaselineFit(_Spec):
    """A declared fit of shifted accuracy on clean accuracy (Taori et al. 2020)."""

    slope: float
    intercept: float
    scale: Literal["logit", "linear"] = "logit"


class RobustnessSpec(_Spec):
    """Summaries of clean → shifted/adversarial loss, paired by example id."""

    reference_model: str | None = Field(
        None, description="model whose corruption errors normalise the mCE (unnormalised if unset)"
    )
    baseline_fit: BaselineFit | None = Field(
        None, description="fit for effective robustness; off when unset"
    )


class RelativeTolerance(_Spec):
    """A tolerance as a share of the baseline value."""

    relative: float = Field(gt=0.0)


class CellFilter(_Spec):
    """Which cells fail the gate when they regress (unset: all)."""

    datasets: list[str] | None = None
    metrics: list[str] | None = None
    slices: list[str] | None = Field(None, description="slice columns; 'overall' for no slice")


class HeadlineSpec(_Spec):
    dataset: str
    metric: str = "accuracy"


class GateSpec(_Spec):
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
    unpaired: bool = Field(
        False, description="compare datasets that differ from the baseline with unpaired intervals"
    )
    n_resamples: int = Field(1000, ge=100, le=MAX_RESAMPLES)


def _default_metrics() -> list[MetricSpec]:
    return [MetricSpec(name=n) for n in ("accuracy", "ece", "brier_score", "nll")]


class Suite(_Spec):
    """A whole evaluation: models × datasets → metrics."""

    name: Name
    version: str
    description: str = ""
    seed: int = 0
    batch_size: int = Field(256, ge=1)
    models: list[ModelSpec] = Field(min_length=1)
    datasets: list[DatasetSpec] = Field(min_length=1)
    metrics: list[MetricSpec] = Field(default_factory=_default_metrics)
    slices: list[str] = Field(default_factory=list, description="columns to disaggregate by")
    intervals: IntervalSpec = Field(default_factory=IntervalSpec)
    bias: BiasSpec = Field(default_factory=BiasSpec)
    robustness: RobustnessSpec = Field(default_factory=RobustnessSpec)
    gate: GateSpec = Field(default_factory=GateSpec)

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        return (
            str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
        )

    @field_validator("metrics", mode="before")
    @classmethod
    def _metrics_shorthand(cls, value: Any) -> Any:
        return _metric_shorthand(value)

    def dataset(self, name: str) -> DatasetSpec:
        return next(d for d in self.datasets if d.name == name)

    def model(self, name: str) -> TorchModelSpec | SklearnModelSpec | PythonModelSpec:
        return next(m for m in self.models if m.name == name)
