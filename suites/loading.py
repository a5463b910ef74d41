"""Read a suite file: YAML → validated :class:`Suite`, with errors naming file and key path."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from assay.errors import ConfigError, InvalidInputError, UnknownNameError, UserError
from assay.hashing import canonical_json
from assay.metrics.groups import AGGREGATES
from assay.metrics.registry import METRICS, check_metric_params
from assay.prediction_columns import FIXED_COLUMNS, TRAINING_DATA_SLICE
from assay.registry import Registry
from assay.suites.attacks import ATTACKS, AttackInfo
from assay.suites.label_models import check_label_only_models
from assay.suites.model_types import MODEL_TYPES
from assay.suites.policy_schema import MetricSpec
from assay.suites.schema import (
    DatasetSpec,
    FileSource,
    HubSource,
    PluginModelSpec,
    SklearnModelSpec,
    SklearnSource,
    Suite,
    TorchModelSpec,
)
from assay.suites.shifts import SHIFTS, ShiftInfo
from assay.suites.sources import SKLEARN_LOADERS, resolve_path
from assay.suites.yaml_reading import load_suite_yaml


@dataclass(frozen=True)
class LoadedSuite:
    """A validated suite and where it came from."""

    suite: Suite
    path: Path
    content_hash: str

    @property
    def base_dir(self) -> Path:
        return self.path.parent


def load_suite(path: str | Path) -> LoadedSuite:
    """Parse and validate a suite file; raise :class:`ConfigError` naming file and key path.

    Example:
        >>> from assay.demo import demo_suite_path
        >>> load_suite(demo_suite_path("digits")).suite.name
        'digits-demo'
    """
    file = Path(path)
    if not file.is_file():
        raise ConfigError("suite file not found", file=file, show_value=False)
    raw_bytes = file.read_bytes()
    data = _parse_yaml(raw_bytes, file)
    try:
        suite = Suite.model_validate(data)
    except ValidationError as error:
        raise _config_error(error, data, file) from None
    try:
        check_references(suite, file.parent)
    except ConfigError as error:
        raise error.with_file(file) from None
    return LoadedSuite(
        _with_local_modules(suite, file.parent),
        file.resolve(),
        hashlib.sha256(raw_bytes).hexdigest(),
    )


def _with_local_modules(suite: Suite, base_dir: Path) -> Suite:
    """Evaluate modules given as folders next to the suite get absolute paths; anything
    else is a Hub id, loaded (online) when the suite runs."""
    metrics = []
    for metric in suite.metrics:
        local = resolve_path(metric.evaluate, base_dir) if metric.evaluate else None
        if local is not None and local.is_dir():
            metric = metric.model_copy(update={"evaluate": str(local.resolve())})
        metrics.append(metric)
    return suite.model_copy(update={"metrics": metrics})


def _parse_yaml(raw: bytes, file: Path) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"not UTF-8 text (byte 0x{raw[error.start]:02x} at offset {error.start})",
            file=file,
            show_value=False,
        ) from None
    try:
        data = load_suite_yaml(text.encode("utf-8"))
    except yaml.reader.ReaderError as error:
        raise ConfigError(
            f"invalid YAML: character #x{error.character:04x} is not allowed "
            f"(offset {error.position})",
            file=file,
            show_value=False,
        ) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(error, "problem", None) or " ".join(str(error).split())
        raise ConfigError(f"{where}invalid YAML: {problem}", file=file, show_value=False) from None
    if not isinstance(data, dict):
        raise ConfigError("a suite must be a YAML mapping", file=file, value=type(data).__name__)
    return data


def _config_error(error: ValidationError, data: Any, file: Path) -> ConfigError:
    first = error.errors()[0]
    key_path, value = _walk(data, first["loc"])
    more = error.error_count() - 1
    message = first["msg"].removeprefix("Value error, ") + (
        f" (+{more} more problem{'s' * (more > 1)})" if more else ""
    )
    if first["type"] == "missing":
        return ConfigError(
            f"required key is missing: {message}", file=file, key_path=key_path, show_value=False
        )
    return ConfigError(message, file=file, key_path=key_path, value=value)


def _walk(data: Any, loc: Sequence[str | int]) -> tuple[list[str | int], Any]:
    """Follow a pydantic error location through the raw data, dropping union tags."""
    path: list[str | int] = []
    current = data
    for part in loc:
        if isinstance(current, dict) and part not in current and part in _tags(current):
            continue
        if isinstance(current, dict) and isinstance(part, str) and part.startswith("function-"):
            continue
        path.append(part)
        if isinstance(current, dict | list):
            try:
                current = current[part]  # type: ignore[index]
            except (KeyError, IndexError, TypeError):
                current = None
    return path, current


def _tags(entry: dict) -> tuple[Any, ...]:
    """The union tags pydantic may put in an error location for this entry: its ``type``,
    or ``plugin`` for a model type a plugin registers."""
    return (entry.get("type"), "plugin")


def check_references(suite: Suite, base_dir: Path) -> None:
    """Cross-entry checks: unique names, references, registry names, params, files."""
    _check_unique("models", [m.name for m in suite.models])
    _check_unique(
        "datasets",
        [d.name for d in suite.datasets],
        [d.entry(i) for i, d in enumerate(suite.datasets)],
    )
    _check_distinct_derivations(suite)
    for index, model in enumerate(suite.models):
        _check_model(model, index, base_dir)
    check_label_only_models(suite)
    for index, dataset in enumerate(suite.datasets):
        _check_dataset(suite, dataset, index, base_dir)
    reference = suite.robustness.reference_model
    if reference is not None and reference not in {m.name for m in suite.models}:
        raise UnknownNameError(
            "model",
            reference,
            [m.name for m in suite.models],
            key_path=("robustness", "reference_model"),
        )
    _check_gate(suite)
    _check_listed_once(suite.metrics, "metrics")
    _check_listed_once(suite.bias.metrics, "bias", "metrics")
    _check_intersections(suite)
    for index, metric in enumerate(suite.bias.metrics):
        bias_key = ("bias", "metrics", index, "name")
        if metric.name not in METRICS:
            raise UnknownNameError("metric", metric.name, METRICS.names(), key_path=bias_key)
        info = METRICS.get(metric.name)
        if info.needs_groups or info.per_class or info.per_group:
            raise ConfigError(
                "bias metrics must be scalar metrics (computed per group)",
                key_path=bias_key,
                value=metric.name,
            )
    for index, metric in enumerate(suite.metrics):
        key = ("metrics", index)
        if metric.evaluate is not None:
            if metric.name in METRICS:
                raise ConfigError(
                    "an evaluate module needs a name of its own, not a built-in metric's",
                    key_path=(*key, "name"),
                    value=metric.name,
                )
            continue
        if metric.name not in METRICS:
            raise UnknownNameError("metric", metric.name, METRICS.names(), key_path=(*key, "name"))
        try:
            check_metric_params(metric.name, metric.params)
        except UserError as error:
            raise ConfigError(str(error), key_path=(*key, "params"), value=metric.params) from None


def _check_gate(suite: Suite) -> None:
    """Names in the gate section must be cells the comparison can produce."""
    gate = suite.gate
    for index, column in enumerate(suite.slices):
        if column in FIXED_COLUMNS:
            raise ConfigError(
                f"{column!r} is a column assay writes into every predictions file (and "
                f"{TRAINING_DATA_SLICE!r} its slice of training-data contamination); rename "
                "the column to slice by it",
                key_path=("slices", index),
                value=column,
            )
    datasets = [d.name for d in suite.datasets]
    models = [m.name for m in suite.models]
    metrics = gate_metric_names(suite)
    for name in gate.tolerance:
        if name not in metrics:
            raise UnknownNameError("metric", name, metrics, key_path=("gate", "tolerance", name))
    chosen = gate.must_not_regress
    for index, name in enumerate(chosen.metrics or []):
        if name not in metrics:
            at = ("gate", "must_not_regress", "metrics", index)
            raise UnknownNameError("metric", name, metrics, key_path=at)
    for index, name in enumerate(chosen.datasets or []):
        if name not in datasets:
            at = ("gate", "must_not_regress", "datasets", index)
            raise UnknownNameError("dataset", name, datasets, key_path=at)
    slices = ["overall", *suite.slices, TRAINING_DATA_SLICE]
    slices += [c for d in suite.datasets for c in d.sensitive if c not in slices]
    slices += [" & ".join(crossed) for crossed in suite.bias.intersections]
    for index, name in enumerate(gate.fail_on_underpowered):
        if name not in slices:
            where = ("gate", "fail_on_underpowered", index)
            raise UnknownNameError("slice column", name, slices, key_path=where)
    if gate.headline is not None:
        if gate.headline.dataset not in datasets:
            raise UnknownNameError(
                "dataset", gate.headline.dataset, datasets, key_path=("gate", "headline", "dataset")
            )
        if gate.headline.metric not in metrics:
            raise UnknownNameError(
                "metric", gate.headline.metric, metrics, key_path=("gate", "headline", "metric")
            )
    if gate.model is not None and gate.model not in models:
        raise UnknownNameError("model", gate.model, models, key_path=("gate", "model"))


def gate_metric_names(suite: Suite) -> list[str]:
    """Every metric name a comparison cell of this suite can carry: registered metrics,
    its evaluate modules, each bias metric's difference, ratio and worst group, and the
    OOD sets' AUROC."""
    names = set(METRICS.names()) | {m.name for m in suite.metrics} | {"ood_auroc_msp"}
    for metric in suite.bias.metrics:
        names |= {f"{metric.name}_{aggregate}" for aggregate in AGGREGATES}
    return sorted(names)


def _check_listed_once(metrics: Sequence[MetricSpec], *key: str) -> None:
    """A metric appears once: results are keyed by its name, so a second entry (or an
    alias of the first) would make two different numbers share one name."""
    seen: dict[str, int] = {}
    for index, metric in enumerate(metrics):
        canonical = METRICS.canonical(metric.name) if metric.name in METRICS else metric.name
        if canonical in seen:
            raise ConfigError(
                f"metric {canonical!r} is already listed at {key[-1]}[{seen[canonical]}]; "
                "list each metric once",
                key_path=(*key, index, "name"),
                value=metric.name,
            )
        seen[canonical] = index


def _check_intersections(suite: Suite) -> None:
    sensitive = {column for dataset in suite.datasets for column in dataset.sensitive}
    for index, columns in enumerate(suite.bias.intersections):
        for column in columns:
            if column not in sensitive:
                raise UnknownNameError(
                    "sensitive column",
                    column,
                    sensitive,
                    key_path=("bias", "intersections", index),
                )


def _check_distinct_derivations(suite: Suite) -> None:
    """Two sets derived from one parent by the same transform and params are one set twice
    (and would share one slot of the mean corruption error)."""
    seen: dict[str, int] = {}
    for index, spec in enumerate(suite.datasets):
        if spec.from_ is None or spec.transform is None:
            continue
        key = canonical_json([spec.from_, spec.kind, spec.transform.model_dump()])
        if key in seen:
            other = suite.datasets[seen[key]].name
            raise ConfigError(
                f"derives the same set as {other!r} (same 'from', transform and params)",
                key_path=("datasets", spec.entry(index), "name"),
                value=spec.name,
            )
        seen[key] = index


def _check_unique(key: str, names: list[str], entries: list[int] | None = None) -> None:
    """Refuse a repeated name (``entries``: the YAML entry of each name, if not its index)."""
    seen: set[str] = set()
    for index, name in enumerate(names):
        if name in seen:
            at = index if entries is None else entries[index]
            raise ConfigError("names must be unique", key_path=(key, at, "name"), value=name)
        seen.add(name)


def _check_model(model: Any, index: int, base_dir: Path) -> None:
    key = ("models", index)
    if isinstance(model, PluginModelSpec):
        try:
            MODEL_TYPES.get(model.type).check(model.params)
        except InvalidInputError as error:
            raise ConfigError(str(error), key_path=(*key, "params"), value=model.params) from None
        return
    file_key = "checkpoint" if isinstance(model, TorchModelSpec) else "path"
    if isinstance(model, TorchModelSpec | SklearnModelSpec):
        path = resolve_path(getattr(model, file_key), base_dir)
        if not path.is_file():
            raise ConfigError(
                "file not found", key_path=(*key, file_key), value=str(getattr(model, file_key))
            )


def _check_dataset(suite: Suite, spec: DatasetSpec, index: int, base_dir: Path) -> None:
    key = ("datasets", spec.entry(index))
    for position, column in enumerate(spec.sensitive):
        if column in FIXED_COLUMNS:
            raise ConfigError(
                f"{column!r} is a column assay writes into every predictions file; rename "
                "the sensitive column",
                key_path=(*key, "sensitive", position),
                value=column,
            )
    hub = isinstance(spec.source, HubSource)  # its card may say: checked once it is loaded
    if suite.require_license and spec.source is not None and not spec.license and not hub:
        raise ConfigError(
            "the suite sets require_license, and this dataset declares no license "
            "(e.g. license: CC-BY-4.0)",
            key_path=(*key, "license"),
            value=None,
        )
    if (
        isinstance(spec.source, FileSource)
        and not resolve_path(spec.source.path, base_dir).is_file()
    ):
        raise ConfigError(
            "file not found", key_path=(*key, "source", "path"), value=spec.source.path
        )
    if isinstance(spec.source, SklearnSource) and spec.source.loader not in SKLEARN_LOADERS:
        raise UnknownNameError(
            "scikit-learn loader",
            spec.source.loader,
            SKLEARN_LOADERS,
            key_path=(*key, "source", "loader"),
        )
    if spec.from_ is not None:
        _check_parent(suite, spec, key)
    if spec.kind == "ood":
        clean = [d.name for d in suite.datasets if d.kind == "in_distribution"]
        if spec.reference is not None and spec.reference not in clean:
            raise UnknownNameError(
                "in-distribution dataset", spec.reference, clean, key_path=(*key, "reference")
            )
        if not clean:
            raise ConfigError(
                "an 'ood' dataset needs an in_distribution dataset to compare with",
                key_path=(*key, "kind"),
                value=spec.kind,
            )
    if spec.worst_of is not None:
        _check_worst_of(suite, spec, key)
    if spec.pairs_with is not None:
        clean = [
            d.name for d in suite.datasets if d.source is not None and d.kind == "in_distribution"
        ]
        if spec.pairs_with not in clean:
            raise UnknownNameError(
                "in-distribution dataset with a source",
                spec.pairs_with,
                clean,
                key_path=(*key, "pairs_with"),
            )
    if spec.shift is not None:
        _check_transform("shift", spec.shift.name, spec.shift.params, (*key, "shift"))
    if spec.attack is not None:
        _check_transform("attack", spec.attack.name, spec.attack.params, (*key, "attack"))
        surrogate = spec.attack.surrogate
        if surrogate is not None and not any(
            m.name == surrogate and isinstance(m, TorchModelSpec) for m in suite.models
        ):
            raise ConfigError(
                "the surrogate must name a torch model of this suite",
                key_path=(*key, "attack", "surrogate"),
                value=surrogate,
            )


def _check_worst_of(suite: Suite, spec: DatasetSpec, key: tuple[str, int]) -> None:
    """Each set a worst case is taken over is an attacked set of the same parent."""
    assert spec.worst_of is not None
    attacked = [d.name for d in suite.datasets if d.attack is not None and d.from_ == spec.from_]
    for position, name in enumerate(spec.worst_of):
        if name not in attacked:
            raise UnknownNameError(
                f"attacked dataset from {spec.from_!r}",
                name,
                attacked,
                key_path=(*key, "worst_of", position),
            )
    if len(set(spec.worst_of)) < len(spec.worst_of):
        raise ConfigError(
            "each set is listed once", key_path=(*key, "worst_of"), value=spec.worst_of
        )


def _check_parent(suite: Suite, spec: DatasetSpec, key: tuple[str, int]) -> None:
    parents = [d for d in suite.datasets if d.name == spec.from_]
    if not parents:
        names = [d.name for d in suite.datasets if d.source is not None]
        raise UnknownNameError("dataset", str(spec.from_), names, key_path=(*key, "from"))
    if parents[0].source is None:
        raise ConfigError(
            "'from' must name a dataset that has a 'source'",
            key_path=(*key, "from"),
            value=spec.from_,
        )


def _check_transform(kind: str, name: str, params: dict[str, Any], key: tuple) -> None:
    """A registered shift or attack, and params its entry declares."""
    registry: Registry[ShiftInfo] | Registry[AttackInfo] = SHIFTS if kind == "shift" else ATTACKS
    if name not in registry:
        raise UnknownNameError(kind, name, registry.names(), key_path=(*key, "name"))
    try:
        registry.get(name).check(params)
    except InvalidInputError as error:
        raise ConfigError(str(error), key_path=(*key, "params"), value=params) from None
