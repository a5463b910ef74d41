"""Adversarial attacks run against a model through its input gradient.

An attack is ``f(features, labels, *, gradient, **params) -> features``; ``gradient(x, y)``
returns d loss / d x for a batch (the torch adapter provides it), so this module needs no
deep-learning framework.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from assay.errors import InvalidInputError
from assay.registry import Registry

GradientFunction = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class AttackInfo:
    name: str
    function: Callable[..., np.ndarray]
    description: str


ATTACKS: Registry[AttackInfo] = Registry("attack")


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
    if isinstance(eps, bool) or not isinstance(eps, int | float) or eps <= 0:
        raise InvalidInputError(
            f"The 'eps' parameter of fgsm must be a number > 0. Got {eps!r} instead."
        )
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


ATTACKS.add("fgsm", AttackInfo("fgsm", fgsm, "fast gradient sign method (white-box, L∞)"))
