"""Adversarial attacks run against a model through its input gradient.

An attack is ``f(features, labels, *, gradient, **params) -> features``; ``gradient(x, y)``
returns d loss / d x for a batch (the torch adapter provides it), so this module needs no
deep-learning framework. An attack that also takes ``predict`` (x -> predicted class
indices), ``example_keys`` (uint64 per example id) or ``seed`` gets them: random starts are
drawn per example id, so an attacked set is the same whatever the batch or row order.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import wraps
from typing import Any, ClassVar

import numpy as np

from assay.errors import InvalidInputError
from assay.params import DeclaresParams, Param
from assay.registry import Registry
from assay.suites.features import MATRIX_KINDS, check_column_kinds
from assay.suites.model_types import same_definition

GradientFunction = Callable[[np.ndarray, np.ndarray], np.ndarray]
PredictFunction = Callable[[np.ndarray], np.ndarray]
OPTIONAL_INPUTS = ("predict", "example_keys", "seed")  # given to attacks that take them


@dataclass(frozen=True)
class AttackInfo(DeclaresParams):
    """A registered attack: the function, its declared parameters and the feature column
    kinds it perturbs. Every attack here needs the model's input gradient.

    ``embeddings`` says the attack also runs in a text model's input-embedding space (it
    only needs vectors and their gradient): a text column is then attacked through the
    embeddings of its tokens, for models that offer them.
    """

    kind: ClassVar[str] = "attack"

    name: str
    function: Callable[..., np.ndarray]
    description: str
    params: Mapping[str, Param] = field(default_factory=dict)
    column_kinds: frozenset[str] = MATRIX_KINDS
    embeddings: bool = False


AttackFunction = Callable[..., np.ndarray]


def register_attack(
    name: str,
    *,
    description: str,
    params: Mapping[str, Param],
    column_kinds: frozenset[str] = MATRIX_KINDS,
    embeddings: bool = False,
) -> Callable[[AttackFunction], AttackFunction]:
    """Declare and register an attack: the decorated function checks its params on every
    call and is entered in :data:`ATTACKS` under ``name``."""
    kinds = check_column_kinds(f"attack {name!r}", column_kinds)

    def decorate(function: AttackFunction) -> AttackFunction:
        earlier = ATTACKS.added(name)
        if earlier is not None and same_definition(inspect.unwrap(earlier.function), function):
            return earlier.function  # one module imported under a second name (a doctest run)
        info = AttackInfo(name, function, description, params, kinds, embeddings)
        takes = [k for k in OPTIONAL_INPUTS if k in inspect.signature(function).parameters]

        @wraps(function)
        def checked(
            features: np.ndarray,
            labels: np.ndarray,
            *,
            gradient: GradientFunction,
            predict: PredictFunction | None = None,
            example_keys: np.ndarray | None = None,
            seed: int = 0,
            **given: Any,
        ) -> np.ndarray:
            info.check(given)
            inputs = {"predict": predict, "example_keys": example_keys, "seed": seed}
            extra = {k: inputs[k] for k in takes}
            if "example_keys" in extra and example_keys is None:
                raise InvalidInputError(f"attack {name!r} draws per example: give example_keys")
            return function(features, labels, gradient=gradient, **extra, **given)

        ATTACKS.add(name, replace(info, function=checked))
        return checked

    return decorate


ATTACKS: Registry[AttackInfo] = Registry("attack", entry_points="assay.attacks")


@register_attack(
    "fgsm",
    description="fast gradient sign method (white-box, L∞)",
    params={
        "eps": Param("number", low=0, low_open=True, description="step, in feature units"),
        "clip_min": Param("number", default=None, nullable=True),
        "clip_max": Param("number", default=None, nullable=True),
    },
    embeddings=True,
)
def fgsm(
    features: np.ndarray,
    labels: np.ndarray,
    *,
    gradient: GradientFunction,
    eps: float,
    clip_min: float | None = None,
    clip_max: float | None = None,
) -> np.ndarray:
    """Fast gradient sign method (Goodfellow et al. 2015): x' = clip(x + ε·sign(∇ₓ L(x, y))).

    ``eps`` is in the units of the features; ``clip_min``/``clip_max`` bound the result (for
    example the valid pixel range).

    Example:
        >>> grad = lambda x, y: np.array([[0.3, -2.0]])
        >>> fgsm(np.array([[0.5, 0.5]]), np.array([0]), gradient=grad, eps=0.1).tolist()
        [[0.6, 0.4]]
    """
    if clip_min is not None and clip_max is not None and clip_min >= clip_max:
        raise InvalidInputError(
            f"The 'clip_min' parameter of fgsm must be below clip_max. Got {clip_min!r} instead."
        )
    clean = np.asarray(features, dtype=np.float64)
    grad = np.asarray(gradient(clean, labels), dtype=np.float64)
    adversarial = clean + float(eps) * np.sign(grad)
    if clip_min is not None or clip_max is not None:
        adversarial = np.clip(adversarial, clip_min, clip_max)
    return adversarial


# the attacks beyond FGSM register themselves on import (they use register_attack above)
from assay.suites import gradient_attacks as _gradient_attacks  # noqa: E402, F401
