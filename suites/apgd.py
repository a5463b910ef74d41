"""Auto-PGD (Croce & Hein 2020): PGD with momentum and a step size that halves, from the
best point so far, when the loss stops rising — with the cross-entropy or the
difference-of-logits-ratio (DLR) loss, as the AutoAttack ensemble runs it.

The budget is exact, as for :func:`~assay.suites.gradient_attacks.pgd`: every returned
example lies within ``eps`` of its clean point and inside ``[clip_min, clip_max]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from assay.hashing import seed_from
from assay.params import Param
from assay.suites.attacks import LOSSES, LossAt, LossFunction, register_attack
from assay.suites.perturbations import TINY, check_clip, project, row_norms, unit_rows, working_copy
from assay.suites.randomness import per_example_normal, per_example_uniform

MOMENTUM = 0.75  # weight of the new step against the last one (Croce & Hein, eq. 2)


@dataclass(frozen=True)
class Checkpoints:
    """The iterations after which the step size may halve: the first after 22% of the
    steps, then ever closer (by 3% of the steps) down to 6% apart."""

    first: int
    shrink: int
    closest: int

    @classmethod
    def of(cls, steps: int) -> Checkpoints:
        return cls(max(int(0.22 * steps), 1), max(int(0.03 * steps), 1), max(int(0.06 * steps), 1))


def _start(clean: np.ndarray, norm: str, eps: float, keys: np.ndarray, seed: int) -> np.ndarray:
    """A random point on the boundary of the eps-ball (AutoAttack's start): a uniform draw
    scaled to L∞ norm eps, or a normal draw scaled to L2 norm eps."""
    width = clean.shape[1]
    if norm == "linf":
        draw = 2.0 * per_example_uniform(keys, seed, width) - 1.0
        size = np.abs(draw).max(axis=1)
    else:
        draw = per_example_normal(keys, seed, width)
        size = row_norms(draw)
    return clean + (eps * draw / np.maximum(size, TINY)[:, None]).astype(clean.dtype)


def _step(gradient: np.ndarray, norm: str) -> np.ndarray:
    if norm == "linf":
        return np.sign(gradient)
    return unit_rows(gradient)


def _oscillating(history: np.ndarray, i: int, window: int, rho: float) -> np.ndarray:
    """Per example: whether the loss rose in at most ``rho`` of the last ``window`` steps
    (``history[j]`` is the loss after step j; row 0 is the start)."""
    rises = (history[i + 2 - window : i + 2] > history[i + 1 - window : i + 1]).sum(axis=0)
    return rises <= window * rho


def _single_run(
    clean: np.ndarray,
    labels: np.ndarray,
    loss_at: LossFunction,
    start: np.ndarray,
    *,
    norm: str,
    eps: float,
    steps: int,
    loss: str,
    rho: float,
    bounds: tuple[float | None, float | None],
) -> tuple[np.ndarray, np.ndarray]:
    """One APGD run from ``start``: per example, the first point that fooled the model
    (else the one of highest loss), and whether any did."""
    x = project(clean, start, norm, eps, *bounds)
    at: LossAt = loss_at(x, labels, loss)
    gradient = np.asarray(at.gradient, dtype=clean.dtype)
    fooled = np.asarray(at.predicted) != labels
    best_adversarial = x.copy()
    best, best_gradient, best_loss = x.copy(), gradient.copy(), np.asarray(at.loss, np.float64)
    history = np.empty((steps + 1, len(x)))
    history[0] = best_loss
    step_size = np.full((len(x), 1), 2.0 * eps, dtype=clean.dtype)
    previous = x.copy()
    checkpoints = Checkpoints.of(steps)
    window, since_check = checkpoints.first, 0
    loss_at_check, reduced_at_check = best_loss.copy(), np.ones(len(x), bool)
    for i in range(steps):
        weight = MOMENTUM if i > 0 else 1.0
        moved = project(clean, x + step_size * _step(gradient, norm), norm, eps, *bounds)
        candidate = x + weight * (moved - x) + (1.0 - weight) * (x - previous)
        previous, x = x, project(clean, candidate, norm, eps, *bounds)
        at = loss_at(x, labels, loss)
        gradient = np.asarray(at.gradient, dtype=clean.dtype)
        now_fooled = np.asarray(at.predicted) != labels
        best_adversarial[now_fooled & ~fooled] = x[now_fooled & ~fooled]
        fooled |= now_fooled
        history[i + 1] = at.loss
        better = history[i + 1] > best_loss
        best[better], best_gradient[better] = x[better], gradient[better]
        best_loss[better] = history[i + 1][better]
        since_check += 1
        if since_check == window:
            stalled = ~reduced_at_check & (loss_at_check >= best_loss)
            reduce = _oscillating(history, i, window, rho) | stalled
            reduced_at_check, loss_at_check = reduce, best_loss.copy()
            step_size[reduce] /= 2.0
            x[reduce], gradient[reduce] = best[reduce], best_gradient[reduce]
            since_check, window = 0, max(window - checkpoints.shrink, checkpoints.closest)
    return np.where(fooled[:, None], best_adversarial, best), fooled


@register_attack(
    "apgd",
    description="Auto-PGD with cross-entropy or DLR loss (white-box, L∞ or L2; AutoAttack's)",
    params={
        "eps": Param("number", low=0, low_open=True, description="budget, in feature units"),
        "norm": Param("str", default="linf", choices=("linf", "l2")),
        "loss": Param("str", default="cross_entropy", choices=LOSSES),
        "steps": Param("int", default=100, low=1),
        "restarts": Param("int", default=1, low=1, description="random starts per example"),
        "rho": Param("number", default=0.75, low=0, high=1, description="halving threshold"),
        "clip_min": Param("number", default=None, nullable=True),
        "clip_max": Param("number", default=None, nullable=True),
    },
)
def apgd(
    features: np.ndarray,
    labels: np.ndarray,
    *,
    loss_at: LossFunction,
    example_keys: np.ndarray,
    seed: int,
    eps: float,
    norm: Literal["linf", "l2"] = "linf",
    loss: Literal["cross_entropy", "dlr"] = "cross_entropy",
    steps: int = 100,
    restarts: int = 1,
    rho: float = 0.75,
    clip_min: float | None = None,
    clip_max: float | None = None,
) -> np.ndarray:
    """Auto-PGD: from a random point on the eps-sphere, ``steps`` momentum steps on the
    loss (``cross_entropy``, or ``dlr`` — the difference-of-logits ratio, invariant to the
    logits' scale, which needs three or more classes). The step starts at 2·eps and halves
    at a checkpoint where the loss rose in at most ``rho`` of the steps since the last one,
    or where the best loss did not improve; the run then resumes from its best point. Each
    of ``restarts`` runs attacks only the examples no earlier run fooled.

    Example:
        >>> from assay.suites.attacks import LossAt
        >>> def loss_at(x, y, loss):  # the loss rises with the first feature
        ...     return LossAt(x[:, 0], np.tile([1.0, 0.0], (len(x), 1)), (x[:, 0] > 0.4) * 1)
        >>> keys = np.arange(2, dtype=np.uint64)
        >>> out = apgd(np.zeros((2, 2)), np.zeros(2, int), loss_at=loss_at,
        ...            example_keys=keys, seed=0, eps=0.5, steps=5)
        >>> out[:, 0].round(6).tolist()
        [0.5, 0.5]
    """
    check_clip("apgd", clip_min, clip_max)
    clean = working_copy(features)
    keys = np.asarray(example_keys, dtype=np.uint64)
    labels = np.asarray(labels)
    crafted = clean.copy()
    pending = np.arange(len(clean))  # examples no run has fooled yet
    for restart in range(restarts):
        origin = clean[pending]
        start = _start(origin, norm, float(eps), keys[pending], seed_from(seed, "apgd", restart))
        found, fooled = _single_run(
            origin,
            labels[pending],
            loss_at,
            start,
            norm=norm,
            eps=float(eps),
            steps=steps,
            loss=loss,
            rho=rho,
            bounds=(clip_min, clip_max),
        )
        crafted[pending] = found
        pending = pending[~fooled]
        if not len(pending):
            break
    return crafted
