"""Adversarial attacks: registered functions that craft inputs against a model.

An attack is ``f(features, labels, *, <model inputs>, **params) -> features`` and declares
what it needs from the model (``needs``): ``gradients`` (white-box: ``gradient(x, y)`` gives
d loss / d x, ``loss_at(x, y, loss)`` the per-example loss, its gradient and the predicted
classes; the torch adapter provides both), ``scores`` or only ``labels`` (black-box, through
an ``oracle`` that counts every query per example against the attack's budget). So this
module needs no deep-learning framework. The runner gives each attack the inputs its
signature names, of :data:`MODEL_INPUTS`: also ``predict`` (x -> predicted class indices),
``layout`` (the feature matrix's columns and images), ``example_keys`` (uint64 per
example id) and ``seed``. Random draws are made per example id, so an attacked set is the
same whatever the batch or row order.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import wraps
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np

from assay.errors import InvalidInputError
from assay.params import DeclaresParams, Param
from assay.registry import Registry
from assay.suites.features import MATRIX_KINDS, check_column_kinds
from assay.suites.model_types import same_definition
from assay.suites.perturbations import check_clip

if TYPE_CHECKING:
    from assay.suites.schema import Transform

GradientFunction = Callable[[np.ndarray, np.ndarray], np.ndarray]
PredictFunction = Callable[[np.ndarray], np.ndarray]
Needs = Literal["gradients", "scores", "labels"]
# what the runner can give an attack; each gets those its signature names
MODEL_INPUTS = ("gradient", "loss_at", "predict", "oracle", "layout", "example_keys", "seed")
LOSSES = ("cross_entropy", "dlr")


@dataclass(frozen=True)
class LossAt:
    """A model's per-example loss at a batch of points, d loss / d x, and its predicted
    classes there (one forward and backward pass gives all three)."""

    loss: np.ndarray
    gradient: np.ndarray
    predicted: np.ndarray


LossFunction = Callable[[np.ndarray, np.ndarray, str], LossAt]


@dataclass(frozen=True)
class AttackInfo(DeclaresParams):
    """A registered attack: the function, its declared parameters, the feature column
    kinds it perturbs and what it needs from the model it attacks (``needs``).

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
    needs: Needs = "gradients"
    budget: str | None = None  # the param holding a black-box attack's queries per example
    inputs: frozenset[str] = frozenset()  # the MODEL_INPUTS its function takes

    def norm(self, params: Mapping[str, Any]) -> str:
        """The norm its budget is in for ``params``: the ``norm`` given, else the declared
        default, else L∞ (FGSM's).

        Example:
            >>> ATTACKS.get("fgsm").norm({})
            'linf'
        """
        declared = self.params.get("norm")
        return str(params.get("norm", declared.default if declared is not None else "linf"))


AttackFunction = Callable[..., np.ndarray]


def register_attack(
    name: str,
    *,
    description: str,
    params: Mapping[str, Param],
    column_kinds: frozenset[str] = MATRIX_KINDS,
    embeddings: bool = False,
    needs: Needs = "gradients",
    budget: str | None = None,
) -> Callable[[AttackFunction], AttackFunction]:
    """Declare and register an attack: the decorated function checks its params on every
    call, gets the model inputs its signature names, and is entered in :data:`ATTACKS`
    under ``name``."""
    kinds = check_column_kinds(f"attack {name!r}", column_kinds)
    if (needs != "gradients") != (budget is not None) or (budget and budget not in params):
        raise ValueError(f"attack {name!r}: a black-box attack declares its budget param")

    def decorate(function: AttackFunction) -> AttackFunction:
        earlier = ATTACKS.added(name)
        if earlier is not None and same_definition(inspect.unwrap(earlier.function), function):
            return function  # one module imported under a second name (a doctest run: its
            # examples call the function as written, and the registry keeps the first)
        signature = inspect.signature(function).parameters
        takes = [k for k in MODEL_INPUTS if k in signature]
        info = AttackInfo(
            name, function, description, params, kinds, embeddings, needs, budget, frozenset(takes)
        )
        required = {k for k in takes if signature[k].default is inspect.Parameter.empty}

        @wraps(function)
        def checked(features: np.ndarray, labels: np.ndarray, **given: Any) -> np.ndarray:
            inputs = {k: given.pop(k) for k in MODEL_INPUTS if k in given}
            info.check(given)
            missing = sorted(k for k in required - {"seed"} if inputs.get(k) is None)
            if missing:
                raise InvalidInputError(f"attack {name!r} needs {', '.join(missing)}")
            extra = {k: inputs[k] for k in takes if k in inputs}
            if "seed" in required:
                extra.setdefault("seed", 0)
            return function(features, labels, **extra, **given)

        ATTACKS.add(name, replace(info, function=checked))
        return checked

    return decorate


ATTACKS: Registry[AttackInfo] = Registry("attack", entry_points="assay.attacks")


def attack_norm(transform: Transform) -> str:
    """The norm the perturbations of the set ``transform`` attacks are measured in.

    Example:
        >>> from assay.suites.schema import Attack
        >>> attack_norm(Attack(name="fgsm", params={"eps": 0.1}))
        'linf'
    """
    return ATTACKS.get(transform.name).norm(transform.params)


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
    check_clip("fgsm", clip_min, clip_max)
    clean = np.asarray(features, dtype=np.float64)
    grad = np.asarray(gradient(clean, labels), dtype=np.float64)
    adversarial = clean + float(eps) * np.sign(grad)
    if clip_min is not None or clip_max is not None:
        adversarial = np.clip(adversarial, clip_min, clip_max)
    return adversarial


# the attacks beyond FGSM register themselves on import (they use register_attack above)
from assay.suites import apgd as _apgd  # noqa: E402, F401
from assay.suites import deep_word_bug as _deep_word_bug  # noqa: E402, F401
from assay.suites import gradient_attacks as _gradient_attacks  # noqa: E402, F401
from assay.suites import hop_skip_jump as _hop_skip_jump  # noqa: E402, F401
from assay.suites import square_attack as _square_attack  # noqa: E402, F401
