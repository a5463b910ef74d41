"""The suite schema: frozen, strict pydantic models parsed from YAML.

A suite pairs models with datasets of three kinds and names the metrics to compute.
Registry names (metrics, shifts, attacks, loaders) are checked in :mod:`assay.suites.loading`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from assay.suites.model_types import BUILT_IN_MODEL_TYPES, MODEL_TYPES
from assay.suites.policy_schema import (
    BiasSpec,
    GateSpec,
    IntervalSpec,
    MetricSpec,
    RobustnessSpec,
    metric_shorthand,
)
from assay.suites.spec_base import Params, Spec

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
Name = Annotated[str, Field(pattern=NAME_PATTERN, max_length=100)]
ImportPath = Annotated[str, Field(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")]
DatasetKind = Literal["in_distribution", "shifted", "adversarial", "ood"]


# --- data sources -------------------------------------------------------------------------


class HubSource(Spec):
    """A dataset on the Hugging Face Hub (needs network unless already cached)."""

    type: Literal["hub"]
    path: str = Field(description="Hub dataset id, e.g. 'ylecun/mnist'")
    name: str | None = Field(None, description="configuration name")
    split: str = "test"
    revision: str | None = Field(None, description="git revision; pin it for reproducibility")


class FileSource(Spec):
    """A local CSV, JSON (lines) or Parquet file; relative paths start at the suite file."""

    type: Literal["file"]
    path: str
    format: Literal["csv", "json", "parquet"] | None = Field(
        None, description="inferred from the file extension when omitted"
    )


class SklearnSource(Spec):
    """One of scikit-learn's bundled datasets (offline), e.g. ``load_digits``."""

    type: Literal["sklearn"]
    loader: str
    params: Params = Field(default_factory=dict)


class PythonSource(Spec):
    """``module:function`` returning a ``datasets.Dataset`` or a ``pandas.DataFrame``."""

    type: Literal["python"]
    callable: ImportPath
    params: Params = Field(default_factory=dict)


Source = Annotated[
    HubSource | FileSource | SklearnSource | PythonSource, Field(discriminator="type")
]


class Partition(Spec):
    """Keep one side of a seeded random split (the other side is for training)."""

    test_fraction: float = Field(gt=0.0, lt=1.0)
    seed: int = 0
    use: Literal["train", "test"] = "test"


class Transform(Spec):
    """A registered shift or attack with its parameters."""

    name: str
    params: Params = Field(default_factory=dict)


class Attack(Transform):
    """An attack; with ``surrogate`` the examples are crafted on that model for all models."""

    surrogate: str | None = None


class DatasetSpec(Spec):
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
    license: str | None = Field(
        None, description="the data's license (e.g. CC-BY-4.0), recorded in reports and cards"
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
        inherited = ("label", "id", "features", "classes", "partition", "limit", "license")
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


class _ModelBase(Spec):
    name: Name
    batch_size: int | None = Field(
        None,
        ge=1,
        description="default: the suite's batch_size if it sets one, else the model type's "
        "(scikit-learn: 65,536 rows), else 256",
    )


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


class PluginModelSpec(_ModelBase):
    """A model of a type a plugin registers (``assay plugins`` lists them)."""

    type: str
    params: Params = Field(default_factory=dict)
    input: Literal["array", "dataframe"] = "array"

    @model_validator(mode="before")
    @classmethod
    def _registered_type(cls, value: Any) -> Any:
        kind = value.get("type") if isinstance(value, dict) else None
        if isinstance(kind, str) and kind not in MODEL_TYPES:
            known = sorted([*BUILT_IN_MODEL_TYPES, *MODEL_TYPES.names()])
            raise ValueError(f"unknown model type {kind!r}; known: {', '.join(known)}")
        return value


def _model_tag(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return kind if kind in BUILT_IN_MODEL_TYPES else "plugin"


ModelSpec = Annotated[
    Annotated[TorchModelSpec, Tag("torch")]
    | Annotated[SklearnModelSpec, Tag("sklearn")]
    | Annotated[PythonModelSpec, Tag("python")]
    | Annotated[PluginModelSpec, Tag("plugin")],
    Discriminator(_model_tag),
]
AnyModelSpec = TorchModelSpec | SklearnModelSpec | PythonModelSpec | PluginModelSpec


def _default_metrics() -> list[MetricSpec]:
    return [MetricSpec(name=n) for n in ("accuracy", "ece", "brier_score", "nll")]


class Suite(Spec):
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
        return metric_shorthand(value)

    def dataset(self, name: str) -> DatasetSpec:
        return next(d for d in self.datasets if d.name == name)

    def model(self, name: str) -> AnyModelSpec:
        return next(m for m in self.models if m.name == name)
