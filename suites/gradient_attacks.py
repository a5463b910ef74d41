"""Iterative white-box attacks: projected gradient descent (Madry et al. 2018) in L∞ and L2,
with random starts drawn per example id and restarts that keep the first success.

The budget is exact: every returned example lies within ``eps`` of its clean point in the
chosen norm (up to the rounding of the features' float type, which the arithmetic keeps:
float32 features as a suite holds them, float64 otherwise) and inside
``[clip_min, clip_max]``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from assay.errors import InvalidInputError
from assay.hashing import seed_from
from assay.params import Param
from assay.suites.attacks import GradientFunction, PredictFunction, register_attack
from assay.suites.perturbations import TINY, check_clip, project, row_norms, unit_rows, working_copy
from assay.suites.randomness import per_example_normal, per_example_uniform


def _random_start(
    clean: np.ndarray, norm: str, eps: float, keys: np.ndarray, seed: int
) -> np.ndarray:
    """A uniform point of the L∞ ball, or a uniform direction at a uniform radius in the L2
    ball (as torchattacks draws them), from each example's own draws."""
    width = clean.shape[1]
    if norm == "linf":
        return (2.0 * per_example_uniform(keys, seed, width) - 1.0) * eps
    direction = per_example_normal(keys, seed, width)
    direction = unit_rows(direction)
    radius = per_example_uniform(keys, seed_from(seed, "radius"), 1)
    return direction * radius * eps


@register_attack(
    "pgd",
    description="projected gradient descent (white-box, L∞ or L2, random starts, restarts)",
    params={
        "eps": Param("number", low=0, low_open=True, description="budget, in feature units"),
        "norm": Param("str", default="linf", choices=("linf", "l2")),
        "steps": Param("int", default=10, low=1),
        "step_size": Param(
            "number",
            default=None,
            nullable=True,
            low=0,
            low_open=True,
            description="default 2.5·eps/steps (Madry et al.)",
        ),
        "restarts": Param("int", default=1, low=1, description="random starts per example"),
        "random_start": Param("bool", default=True),
        "clip_min": Param("number", default=None, nullable=True),
        "clip_max": Param("number", default=None, nullable=True),
    },
)
def pgd(
    features: np.ndarray,
    labels: np.ndarray,
    *,
    gradient: GradientFunction,
    example_keys: np.ndarray,
    seed: int,
    eps: float,
    norm: Literal["linf", "l2"] = "linf",
    steps: int = 10,
    step_size: float | None = None,
    restarts: int = 1,
    random_start: bool = True,
    clip_min: float | None = None,
    clip_max: float | None = None,
    predict: PredictFunction | None = None,
) -> np.ndarray:
    """Projected gradient ascent on the loss: from a random point of the eps-ball, ``steps``
    steps of ``step_size`` along sign(∇) (L∞) or ∇/‖∇‖₂ (L2), each projected back into the
    ball and the bounds. With ``restarts`` > 1 an example keeps the first restart that
    fools the model (``predict``), else the last.

    Example:
        >>> grad = lambda x, y: np.ones_like(x)
        >>> keys = np.arange(2, dtype=np.uint64)
        >>> pgd(np.zeros((2, 2)), np.zeros(2, int), gradient=grad, predict=None,
        ...     example_keys=keys, seed=0, eps=0.5, random_start=False).tolist()
        [[0.5, 0.5], [0.5, 0.5]]
    """
    check_clip("pgd", clip_min, clip_max)
    if restarts > 1 and predict is None:
        raise InvalidInputError("pgd with restarts needs the model's predictions")
    clean = working_copy(features)
    keys = np.asarray(example_keys, dtype=np.uint64)
    alpha = 2.5 * float(eps) / steps if step_size is None else float(step_size)
    best = clean.copy()
    pending = np.arange(len(clean))  # examples no restart has fooled yet
    for restart in range(restarts):
        origin = clean[pending]
        start = origin
        if random_start:
            start = origin + _random_start(
                origin, norm, float(eps), keys[pending], seed_from(seed, "pgd start", restart)
            ).astype(clean.dtype)
        adversarial = project(origin, start, norm, float(eps), clip_min, clip_max)
        for _ in range(steps):
            grad = np.asarray(gradient(adversarial, labels[pending]), dtype=clean.dtype)
            if norm == "linf":
                moved = adversarial + alpha * np.sign(grad)
            else:
                moved = adversarial + alpha * grad / np.maximum(row_norms(grad), TINY)[:, None]
            adversarial = project(origin, moved, norm, float(eps), clip_min, clip_max)
        best[pending] = adversarial
        if restart == restarts - 1:
            break
        assert predict is not None
        pending = pending[np.asarray(predict(adversarial)) == labels[pending]]
        if not len(pending):
            break
    return best
