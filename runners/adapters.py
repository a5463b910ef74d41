"""Model adapters: one Protocol, three backends (torch, scikit-learn, any Python object).

Every adapter returns float32 N×C probabilities from ``predict_proba`` and carries a
fingerprint: a hash of its weights or file bytes plus its configuration.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from assay.errors import ConfigError, UnsafeArtifactError, UserError, located
from assay.hashing import hash_file, hash_value
from assay.suites.imports import call_with_params, import_object
from assay.suites.schema import PythonModelSpec, SklearnModelSpec, TorchModelSpec
from assay.suites.sources import resolve_path

InputKind = Literal["array", "dataframe"]
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")


@runtime_checkable
class ModelAdapter(Protocol):
    """What the runner needs from a model."""

    name: str
    fingerprint: str
    input_kind: InputKind
    classes: tuple[str, ...] | None

    def predict_proba(self, batch: Any) -> np.ndarray:
        """Class probabilities for a batch of inputs, shape N×C."""
        ...


@runtime_checkable
class GradientModel(Protocol):
    """A model that can give d loss / d input, which white-box attacks need."""

    def loss_gradient(self, features: np.ndarray, labels: np.ndarray) -> np.ndarray: ...


def load_model(
    spec: TorchModelSpec | SklearnModelSpec | PythonModelSpec, base_dir: Path
) -> ModelAdapter:
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
    return PythonAdapter(spec)


class SklearnAdapter:
    """A scikit-learn estimator from ``.skops`` (type-checked, no pickle) or trusted pickle."""

    def __init__(self, spec: SklearnModelSpec, base_dir: Path) -> None:
        path = resolve_path(spec.path, base_dir)
        self.name = spec.name
        self.input_kind: InputKind = spec.input
        with located(None, ("path",), f"cannot load {str(path)!r}"):
            self.estimator = load_estimator(
                path, trusted=spec.trusted, trusted_types=spec.trusted_types
            )
        if not hasattr(self.estimator, "predict_proba"):
            raise ConfigError(
                f"{str(path)!r} holds a {type(self.estimator).__name__}, which has no "
                "predict_proba",
                key_path=("path",),
                show_value=False,
            )
        known = getattr(self.estimator, "classes_", None)
        self.classes = tuple(str(c) for c in known) if known is not None else None
        self.fingerprint = hash_value(
            {"type": "sklearn", "file": hash_file(path), "input": spec.input}
        )

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

    def __init__(self, spec: PythonModelSpec) -> None:
        with located(None, ("object",), "cannot import"):
            target = import_object(spec.object)
        if inspect.isclass(target) or (callable(target) and not hasattr(target, "predict_proba")):
            target = call_with_params(target, spec.params)
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
                "source": _source_hash(target),
                "input": spec.input,
            }
        )
        if hasattr(target, "loss_gradient"):
            self.loss_gradient = target.loss_gradient

    def predict_proba(self, batch: Any) -> Any:
        """What the object returns, unconverted: the runner checks it is an N×C real
        array (a cast here would hide strings, complex numbers or ragged rows)."""
        return self.model.predict_proba(batch)


def _source_hash(target: object) -> str | None:
    try:
        source_file = inspect.getsourcefile(type(target) if not inspect.isclass(target) else target)
    except TypeError:
        return None
    return hash_file(source_file) if source_file and Path(source_file).is_file() else None
