"""The suite schema: frozen, strict pydantic models parsed from YAML.

A suite pairs models with datasets of three kinds and names the metrics to compute.
Registry names (metrics, shifts, attacks, loaders) are checked in :mod:`assay.suites.loading`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, PrivateAttr, Tag, field_validator, model_validator

from assay.suites.model_types import BUILT_IN_MODEL_TYPES, MODEL_TYPES
from assay.suites.policy_schema import (
    BiasSpec,
    DataCheckSpec,
    ExecutorSpec,
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
    """A local CSV, JSON (lines), Parquet or NumPy ``.npz`` file (one array per column, the
    first axis the rows); relative paths start at the suite file."""

    type: Literal["file"]
    path: str
    format: Literal["csv", "json", "parquet", "npz"] | None = Field(
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


class ImageSpec(Spec):
    """Where a dataset's images are and how they are laid out, for image corruptions.

    ``column`` is a list (array) feature column holding each image flattened in ``layout``
    order; without it the images are all the numeric features together (scikit-learn's
    digits: 64 pixel columns). ``shape`` gives the sizes in ``layout`` order; ``range`` is
    the value of black and of full intensity (``[0, 255]`` for uint8, ``[0, 1]`` for floats).
    """

    column: str | None = None
    layout: Literal["HW", "HWC", "CHW"] = "HW"
    shape: list[int] = Field(min_length=2, max_length=3)
    range: list[float] = Field(default_factory=lambda: [0.0, 255.0], min_length=2, max_length=2)

    @model_validator(mode="after")
    def _check_layout(self) -> ImageSpec:
        if len(self.shape) != len(self.layout):
            raise ValueError(f"layout {self.layout} needs {len(self.layout)} sizes in 'shape'")
        sizes = dict(zip(self.layout, self.shape, strict=True))
        if sizes["H"] < 8 or sizes["W"] < 8:
            raise ValueError("images must be at least 8x8 pixels")
        if sizes.get("C", 1) not in (1, 3):
            raise ValueError("images have 1 (grayscale) or 3 (RGB) channels")
        if not self.range[0] < self.range[1]:
            raise ValueError("'range' is [black, full intensity], the first below the second")
        return self

    @property
    def height(self) -> int:
        return self.shape[self.layout.index("H")]

    @property
    def width(self) -> int:
        return self.shape[self.layout.index("W")]

    @property
    def channels(self) -> int:
        return self.shape[self.layout.index("C")] if "C" in self.layout else 1

    @property
    def size(self) -> int:
        return self.height * self.width * self.channels


class DatasetSpec(Spec):
    """One evaluation set: loaded from a source, or derived ``from`` another by a transform."""

    name: Name
    kind: DatasetKind = "in_distribution"
    source: Source | None = None
    from_: str | None = Field(None, alias="from")
    shift: Transform | None = None
    attack: Attack | None = None
    worst_of: list[str] | None = Field(
        None,
        min_length=2,
        description="adversarial sets of the same 'from' set: an example counts as robust "
        "only if every one fails on it (AutoAttack's worst case); no attack is run",
    )
    pairs_with: str | None = Field(
        None,
        description="a sourced adversarial or shifted set: the clean set its examples pair "
        "with by id (a clean example's second and later versions as id#2, id#3…)",
    )
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
    image: ImageSpec | None = Field(
        None, description="the image layout, for image corruptions (derived sets inherit it)"
    )
    license: str | None = Field(
        None, description="the data's license (e.g. CC-BY-4.0), recorded in reports and cards"
    )
    citation: str | None = Field(None, description="how to cite the data, recorded in reports")
    homepage: str | None = Field(None, description="where the data is described")
    card: str | None = Field(None, description="a link to the dataset card")
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
        if self.pairs_with is not None and self.kind not in ("adversarial", "shifted"):
            raise ValueError(f"'pairs_with' is for adversarial or shifted sets, not {self.kind!r}")
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
        if self.pairs_with is not None:
            raise ValueError("a set derived with 'from' pairs with it already; drop 'pairs_with'")
        if self.kind in ("in_distribution", "ood"):
            raise ValueError("a dataset derived with 'from' is 'shifted' or 'adversarial'")
        if self.kind == "shifted" and self.shift is None:
            raise ValueError("a shifted dataset derived with 'from' needs a 'shift'")
        if self.worst_of is not None and (self.kind != "adversarial" or self.attack):
            raise ValueError("'worst_of' makes an adversarial set of others, with no 'attack'")
        if self.kind == "adversarial" and self.attack is None and self.worst_of is None:
            raise ValueError(
                "an adversarial dataset derived with 'from' needs an 'attack' (or 'worst_of')"
            )
        inherited = (
            "label", "id", "features", "classes", "partition", "limit", "license", "image",
            "citation", "homepage", "card",
        )  # fmt: skip
        given = [k for k in inherited if getattr(self, k) is not None] + (
            ["sensitive"] if self.sensitive else []
        )
        if given:
            raise ValueError(f"a derived dataset inherits {', '.join(given)} from its 'from'")
        return self

    # the position of the YAML entry this set comes from (one entry with ``severity: all``
    # becomes a set per severity), for error messages that point at the file
    _entry: int | None = PrivateAttr(None)

    @property
    def transform(self) -> Transform | None:
        return self.shift or self.attack

    def entry(self, default: int) -> int:
        """The index of the suite's YAML entry this set was declared by."""
        return default if self._entry is None else self._entry

    def by_severity(self) -> list[DatasetSpec]:
        """This set, or one set per severity when its shift's severity is ``all`` or a list:
        ``name_s1`` … ``name_s5`` (the shift's declared levels), otherwise the same.

        Example:
            >>> spec = DatasetSpec.model_validate({"name": "c", "kind": "shifted", "from": "d",
            ...     "shift": {"name": "image.contrast", "params": {"severity": [1, 3]}}})
            >>> [(d.name, d.shift.params) for d in spec.by_severity()]
            [('c_s1', {'severity': 1}), ('c_s3', {'severity': 3})]
        """
        from assay.suites.shifts import SHIFTS

        if self.shift is None or self.shift.name not in SHIFTS:
            return [self]
        info = SHIFTS.get(self.shift.name)
        levels = self.shift.params.get(info.severity) if info.severity else None
        if levels == "all":
            declared = info.params[info.severity]  # type: ignore[index]
            levels = list(range(int(declared.low or 1), int(declared.high or 1) + 1))
        if not isinstance(levels, list) or not levels or len(set(map(repr, levels))) < len(levels):
            return [self]  # a single level (checked with the params), or a bad list (too)
        return [
            self.model_copy(
                update={
                    "name": f"{self.name}_s{level}",
                    "shift": self.shift.model_copy(
                        update={"params": {**self.shift.params, info.severity: level}}
                    ),
                }
            )
            for level in levels
        ]


# --- models ---------------------------------------------------------------------------------


class TrainingData(Spec):
    """Data a model was trained on; every evaluation set is checked against it for
    contamination (its examples' inputs found in the training data)."""

    source: Source
    columns: dict[str, str] = Field(
        default_factory=dict,
        description="evaluation feature column: its name in this data, where they differ",
    )
    partition: Partition | None = Field(None, description="keep one side of a seeded split")
    limit: int | None = Field(None, ge=1, description="keep the first N rows")


class Resources(Spec):
    """What one of a model's workers reserves on a Ray cluster (the local executor ignores
    it): GPU models go to GPU nodes, the others stay off them."""

    cpus: float = Field(1.0, gt=0.0)
    gpus: float = Field(0.0, ge=0.0, description="fractions share a GPU between workers")
    memory_mb: int | None = Field(None, ge=1, description="memory to reserve, in MiB")


class _ModelBase(Spec):
    name: Name
    license: str | None = Field(None, description="the model's license, recorded in reports")
    card: str | None = Field(None, description="a link to the model card")
    resources: Resources = Field(default_factory=Resources)
    training_data: list[TrainingData] = Field(
        default_factory=list,
        description="what the model was trained on (one source or a list), checked for "
        "contamination against every evaluation set",
    )
    batch_size: int | None = Field(
        None,
        ge=1,
        description="default: the suite's batch_size if it sets one, else the model type's "
        "(scikit-learn: 65,536 rows), else 256",
    )

    @field_validator("training_data", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value


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
    data_checks: DataCheckSpec = Field(default_factory=DataCheckSpec)
    executor: ExecutorSpec = Field(default_factory=ExecutorSpec)
    require_license: bool = Field(
        False, description="refuse a sourced dataset that declares no license"
    )

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        return (
            str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
        )

    @field_validator("datasets", mode="after")
    @classmethod
    def _one_set_per_severity(cls, value: list[DatasetSpec]) -> list[DatasetSpec]:
        expanded = []
        for index, spec in enumerate(value):
            for one in spec.by_severity():
                one._entry = index
                expanded.append(one)
        return expanded

    @field_validator("metrics", mode="before")
    @classmethod
    def _metrics_shorthand(cls, value: Any) -> Any:
        return metric_shorthand(value)

    def dataset(self, name: str) -> DatasetSpec:
        return next(d for d in self.datasets if d.name == name)

    def model(self, name: str) -> AnyModelSpec:
        return next(m for m in self.models if m.name == name)

    def models_for(self, name: str) -> set[str]:
        """The models a worker running ``name``'s cells needs: it, and every surrogate an
        attack of the suite crafts its examples on."""
        return {name} | {
            d.attack.surrogate for d in self.datasets if d.attack and d.attack.surrogate
        }
