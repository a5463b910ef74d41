"""Model types beyond the built-in ``torch``, ``sklearn`` and ``python``: a registry that
plugins extend (entry-point group ``assay.models``).

A model type declares its parameters (checked when a suite loads) and a ``build`` function
from the suite entry to an object satisfying :class:`assay.runners.adapters.ModelAdapter`
(name, fingerprint, input kind, classes, ``predict_proba``; optionally the batched, logit
and gradient capabilities). Its fingerprint must cover everything that can change its
outputs: it keys the prediction cache.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from assay.params import DeclaresParams, Param
from assay.registry import Registry

BUILT_IN_MODEL_TYPES = ("torch", "sklearn", "python")
Builder = Callable[[Any, Path], Any]
HardLabels = Callable[[Mapping[str, Any]], bool]


def _gives_scores(params: Mapping[str, Any]) -> bool:
    return False


@dataclass(frozen=True)
class ModelType(DeclaresParams):
    """A registered model type: how to build its adapter and the params it takes."""

    kind: ClassVar[str] = "model type"

    name: str
    build: Builder
    description: str
    params: Mapping[str, Param] = field(default_factory=dict)
    # whether a model of these params gives hard labels only (its rows are one-hot): a
    # suite that asks such a model for metrics of probabilities is refused when it loads
    hard_labels: HardLabels = _gives_scores


MODEL_TYPES: Registry[ModelType] = Registry("model type", entry_points="assay.models")


def register_model_type(
    name: str,
    *,
    description: str,
    params: Mapping[str, Param],
    hard_labels: HardLabels = _gives_scores,
) -> Callable[[Builder], Builder]:
    """Register ``build(spec, base_dir) -> adapter`` as model type ``name`` (see
    ``tests/plugin_package`` for a complete plugin).

    Example:
        >>> register_model_type("torch", description="", params={})
        Traceback (most recent call last):
        ...
        ValueError: model type 'torch' is built in
    """
    if name in BUILT_IN_MODEL_TYPES:
        raise ValueError(f"model type {name!r} is built in")

    def decorate(build: Builder) -> Builder:
        earlier = MODEL_TYPES.added(name)
        if earlier is not None and same_definition(earlier.build, build):
            return build  # one module imported under a second name (a doctest run, say)
        MODEL_TYPES.add(name, ModelType(name, build, description, params, hard_labels))
        return build

    return decorate


def same_definition(first: Builder, second: Builder) -> bool:
    """Whether two builders are one function of one source file."""
    return first.__qualname__ == second.__qualname__ and inspect.getsourcefile(
        first
    ) == inspect.getsourcefile(second)
