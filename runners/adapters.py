"""Model adapters: one Protocol, three backends (torch, scikit-learn, any Python object).

Every adapter returns float32 N×C probabilities from ``predict_proba`` and carries a
fingerprint: a hash of its weights or file bytes plus its configuration.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

import numpy as np

from assay.errors import ConfigError, UnsafeArtifactError, UserError, located
from assay.hashing import hash_file, hash_value, source_hash
from assay.suites.attacks import LossAt
from assay.suites.imports import call_with_params, import_object
from assay.suites.model_types import MODEL_TYPES
from assay.suites.schema import (
    AnyModelSpec,
    PluginModelSpec,
    PythonModelSpec,
    SklearnModelSpec,
    TorchModelSpec,
)
from assay.suites.sources import resolve_path

if TYPE_CHECKING:
    from assay.suites.data import LoadedDataset

InputKind = Literal["array", "dataframe"]
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")


@runtime_checkable
class ModelAdapter(Protocol):
    """Everything the runner needs from every model.

    ``fingerprint`` covers whatever can change the model's outputs (it keys the prediction
    cache); ``classes`` names the output columns when the model knows them (they are matched
    to the dataset's classes by name), else None. A model may also offer the optional
    capabilities below; the runner asks for them by these protocols and nothing else.
    A model type may also name a ``default_batch_size``, used when neither the model entry
    nor the suite sets one.
    """

    name: str
    fingerprint: str
    input_kind: InputKind

    @property
    def classes(self) -> tuple[str, ...] | None:
        """The output columns' class names, when the model knows them (may load it)."""
        ...

    def predict_proba(self, batch: Any) -> np.ndarray:
        """Class probabilities for a batch of inputs, shape N×C."""
        ...


@runtime_checkable
class BatchedModel(Protocol):
    """Optional: predicts a whole cell's inputs (N×D array, or data frame) in batches
    itself, into one preallocated output (faster than the runner's generic loop over
    ``predict_proba``, and free to choose which rows go together)."""

    def predict_batches(
        self, inputs: Any, batch_size: int, on_batch: Callable[[int], None]
    ) -> np.ndarray: ...


@runtime_checkable
class LogitModel(Protocol):
    """Optional: gives raw logits (for energy-based OOD scores) when ``gives_logits``."""

    @property
    def gives_logits(self) -> bool: ...

    def predict_logits(self, inputs: np.ndarray, batch_size: int) -> np.ndarray: ...


@runtime_checkable
class GradientModel(Protocol):
    """Optional: gives d loss / d input, which white-box attacks need."""

    def loss_gradient(self, features: np.ndarray, labels: np.ndarray) -> np.ndarray: ...


@runtime_checkable
class LossModel(Protocol):
    """Optional: per-example loss (``cross_entropy`` or ``dlr``), its input gradient and
    the predicted classes in one pass, which Auto-PGD needs."""

    def loss_at(self, features: np.ndarray, labels: np.ndarray, loss: str) -> LossAt: ...


EmbeddingAttack = Callable[[np.ndarray, np.ndarray, Callable[..., np.ndarray]], np.ndarray]


@runtime_checkable
class EmbeddingModel(Protocol):
    """Optional: a text model attacked in its input-embedding space, when
    ``attackable_in_embeddings``. ``attack(vectors, labels, gradient)`` perturbs a batch's
    token embeddings (flattened, B × L·H) given d loss / d embeddings; the model returns
    its probabilities on the perturbed embeddings. ``labels`` are in the model's own output
    order."""

    @property
    def attackable_in_embeddings(self) -> bool: ...

    def predict_attacked_embeddings(
        self,
        inputs: Any,
        labels: np.ndarray,
        attack: EmbeddingAttack,
        batch_size: int,
        on_batch: Callable[[int], None],
    ) -> np.ndarray: ...


@runtime_checkable
class PrecomputedModel(Protocol):
    """Optional: predictions made elsewhere, looked up by example id rather than computed
    from features. The runner hands such a model the dataset (ids, name, classes) instead
    of inputs; it cannot be attacked (no gradients, no queries)."""

    def predictions_for(self, dataset: LoadedDataset) -> np.ndarray:
        """N × C probabilities of the dataset's examples, in its row and class order."""
        ...

    def logits_for(self, dataset: LoadedDataset) -> np.ndarray:
        """N × C logits, when ``gives_logits`` (energy OOD scores)."""
        ...


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax in float64, returned as float32.

    Example:
        >>> softmax(np.array([[0.0, 0.0], [0.0, np.log(3.0)]])).tolist()
        [[0.5, 0.5], [0.25, 0.75]]
    """
    shifted = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
    exponentials = np.exp(shifted)
    return (exponentials / exponentials.sum(axis=1, keepdims=True)).astype(np.float32)


def load_model(spec: AnyModelSpec, base_dir: Path) -> ModelAdapter:
    """Build the adapter for a suite's model entry.

    Example:
        >>> from assay.suites.schema import PythonModelSpec
        >>> spec = PythonModelSpec(type="python", name="m", object="assay.demo.models:UniformModel",
        ...                        params={"n_classes": 2})
        >>> load_model(spec, Path(".")).predict_proba(np.zeros((1, 3))).tolist()
        [[0.5, 0.5]]
    """
    if isinstance(spec, TorchModelSpec):
        from assay.runners.torch_adapter import TorchAdapter

        return TorchAdapter(spec, base_dir)
    if isinstance(spec, SklearnModelSpec):
        return SklearnAdapter(spec, base_dir)
    if isinstance(spec, PluginModelSpec):
        return _plugin_adapter(spec, base_dir)
    return PythonAdapter(spec, base_dir)


def _plugin_adapter(spec: PluginModelSpec, base_dir: Path) -> ModelAdapter:
    """Build a plugin model type's adapter and check it offers what the runner uses."""
    model_type = MODEL_TYPES.get(spec.type)
    adapter = model_type.build(spec, base_dir)
    if not isinstance(adapter, ModelAdapter):
        raise ConfigError(
            f"model type {spec.type!r} built a {type(adapter).__name__}, which lacks what "
            "ModelAdapter declares (name, fingerprint, input_kind, classes, predict_proba)",
            key_path=("type",),
            value=spec.type,
        )
    return adapter


class SklearnAdapter:
    """A scikit-learn estimator from ``.skops`` (type-checked, no pickle) or trusted pickle.

    The fingerprint is the file's hash, so the estimator (and skops, ~2 s to import) is
    loaded only when predictions are needed: a run served from the prediction cache never
    loads it. ``assay validate`` always does (it runs every model).
    """

    # estimators are vectorised over rows: small batches only add per-call overhead
    # (~0.3 ms of input validation per predict_proba: 2.5 s for 1M rows in batches of 256)
    default_batch_size = 65_536

    def __init__(self, spec: SklearnModelSpec, base_dir: Path) -> None:
        self.path = resolve_path(spec.path, base_dir)
        self.spec = spec
        self.name = spec.name
        self.input_kind: InputKind = spec.input
        with located(None, ("path",), f"cannot load {str(self.path)!r}"):
            self.fingerprint = hash_value(
                {
                    "type": "sklearn",
                    "file": hash_file(self.path),
                    "input": spec.input,
                    "scikit-learn": package_version("scikit-learn"),
                }
            )

    @cached_property
    def estimator(self) -> Any:
        with located(None, ("path",), f"cannot load {str(self.path)!r}"):
            estimator = load_estimator(
                self.path, trusted=self.spec.trusted, trusted_types=self.spec.trusted_types
            )
        if not hasattr(estimator, "predict_proba"):
            raise ConfigError(
                f"{str(self.path)!r} holds a {type(estimator).__name__}, which has no "
                "predict_proba",
                key_path=("path",),
                show_value=False,
            )
        return estimator

    @property
    def classes(self) -> tuple[str, ...] | None:
        known = getattr(self.estimator, "classes_", None)
        return tuple(str(c) for c in known) if known is not None else None

    def predict_proba(self, batch: Any) -> np.ndarray:
        return np.asarray(self.estimator.predict_proba(batch), dtype=np.float32)


def load_estimator(path: Path, *, trusted: bool, trusted_types: list[str]) -> Any:
    """Load a scikit-learn model without running untrusted code.

    ``.skops`` files are loaded by skops, which refuses types outside its safe list unless
    named in ``trusted_types``. Pickle and joblib files can run arbitrary code, so they load
    only with ``trusted=True``.
    """
    suffix = path.suffix.lower()
    if suffix == ".skops":
        import skops.io

        untrusted = set(skops.io.get_untrusted_types(file=path))
        refused = sorted(untrusted - set(trusted_types))
        if refused:
            raise UnsafeArtifactError(
                f"{path} contains types skops does not trust: {', '.join(refused)}; "
                "list them under the model's trusted_types if you trust this file"
            )
        return skops.io.load(path, trusted=sorted(untrusted))
    if suffix in PICKLE_SUFFIXES:
        if not trusted:
            raise UnsafeArtifactError(
                f"{path} is a pickle/joblib file, which runs code when loaded; convert it to "
                ".skops (skops.io.dump) or set 'trusted: true' on the model if you trust it"
            )
        import joblib

        return joblib.load(path)
    raise UserError(f"{path}: unknown model file type {suffix!r} (use .skops, or trusted .joblib)")


class PythonAdapter:
    """Any object with ``predict_proba``; a class or factory is called with ``params``."""

    def __init__(self, spec: PythonModelSpec, base_dir: Path) -> None:
        with located(None, ("object",), "cannot import"):
            target = import_object(spec.object)
        if inspect.isclass(target) or (callable(target) and not hasattr(target, "predict_proba")):
            target = call_with_params(target, with_suite_paths(spec.params, base_dir))
        elif spec.params:
            raise ConfigError(
                f"params given, but {spec.object} is not callable",
                key_path=("params",),
                value=spec.params,
            )
        if not hasattr(target, "predict_proba"):
            raise ConfigError(
                f"{spec.object} gives a {type(target).__name__}, which has no predict_proba",
                key_path=("object",),
                show_value=False,
            )
        self.name = spec.name
        self.model = target
        self.input_kind: InputKind = spec.input
        known = getattr(target, "classes_", None)
        self.classes = tuple(str(c) for c in known) if known is not None else None
        self.fingerprint = hash_value(
            {
                "type": "python",
                "object": spec.object,
                "params": spec.params,
                "source": source_hash([target]),
                "files": param_files(spec.params, base_dir),
                "declared": declared_fingerprint(target),
                "input": spec.input,
            }
        )
        if hasattr(target, "loss_gradient"):
            self.loss_gradient = target.loss_gradient
        if hasattr(target, "loss_at"):
            self.loss_at = target.loss_at

    def predict_proba(self, batch: Any) -> Any:
        """What the object returns, unconverted: the runner checks it is an N×C real
        array (a cast here would hide strings, complex numbers or ragged rows)."""
        return self.model.predict_proba(batch)


def with_suite_paths(params: dict[str, Any], base_dir: Path) -> dict[str, Any]:
    """``params`` with each relative path string that names a file beside the suite made
    absolute, so a model reads the same file wherever assay is started from.

    Example:
        >>> with_suite_paths({"n_classes": 2, "vocab": "no-such-file.txt"}, Path("."))
        {'n_classes': 2, 'vocab': 'no-such-file.txt'}
    """
    files = _named_files(params, base_dir)

    def resolve(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return str(files[value].resolve()) if isinstance(value, str) and value in files else value

    return {key: resolve(value) for key, value in params.items()}


def param_files(params: dict[str, Any], base_dir: Path) -> dict[str, str]:
    """sha256 of every file a model's params name (paths relative to the suite), so that
    a model that reads a vocabulary or weights file is recomputed when that file changes.

    Example:
        >>> param_files({"n_classes": 2, "names": ["x"]}, Path("."))
        {}
    """
    return {value: hash_file(path) for value, path in _named_files(params, base_dir).items()}


def _named_files(params: Any, base_dir: Path) -> dict[str, Path]:
    """Every string in ``params`` (nested in lists and dicts) that names an existing file,
    absolute or relative to the suite's folder."""
    found: dict[str, Path] = {}
    values = list(params.values()) if isinstance(params, dict) else list(params)
    while values:
        value = values.pop()
        if isinstance(value, dict):
            values += list(value.values())
        elif isinstance(value, list):
            values += value
        elif isinstance(value, str) and value and len(value) < 4096:
            try:
                path = resolve_path(value, base_dir)
                if path.is_file():
                    found[value] = path
            except (OSError, ValueError):  # not a path at all (NUL byte, too long)
                continue
    return found


def declared_fingerprint(target: object) -> str | None:
    """A model object's own account of what its outputs depend on: an ``assay_fingerprint``
    attribute (a string, or a method returning one) covers what assay cannot see, such as
    files it reads by itself or a remote model's version."""
    declared = getattr(target, "assay_fingerprint", None)
    if callable(declared):
        declared = declared()
    return None if declared is None else str(declared)


def package_version(package: str) -> str:
    """An installed package's version ("absent" if it is not installed), for fingerprints."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"
