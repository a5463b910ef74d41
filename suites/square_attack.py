"""The Square attack (Andriushchenko et al. 2020): a score-based random search that needs
only the model's probabilities, for any model type.

Each step changes one random window of the current best point — an s×s square of an image
(all its channels), or for other features a random subset of the mutable columns — to the
edge of the eps-ball, and keeps the change if the margin of the true class fell. The window
shrinks on the paper's schedule. Every query goes through the :class:`Oracle`, which counts
it for its example and refuses any past the budget; an example stops when it is fooled or
its budget is spent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np

from assay.hashing import seed_from
from assay.params import Param
from assay.suites.attack_domain import BLACK_BOX_PARAMS, Columns, Domain, FeatureLayout
from assay.suites.attacks import register_attack
from assay.suites.perturbations import TINY, row_norms, unit_rows, working_copy
from assay.suites.queries import Oracle, margin
from assay.suites.randomness import per_example_uniform

# the paper's window schedule: (fraction of a 10,000-query run it ends at, divisor of p_init)
SCHEDULE = ((0.001, 1), (0.005, 2), (0.02, 4), (0.05, 8), (0.1, 16), (0.2, 32), (0.4, 64),
            (0.6, 128), (0.8, 256), (1.0, 512))  # fmt: skip


def window_fraction(p_init: float, step: int, max_queries: int) -> float:
    """The share of the features a window covers at ``step`` of a ``max_queries`` run.

    Example:
        >>> [window_fraction(0.8, i, 1000) for i in (0, 2, 100, 999)]
        [0.8, 0.4, 0.05, 0.0015625]
    """
    progress = step / max_queries
    divisor = next((d for end, d in SCHEDULE if progress <= end), SCHEDULE[-1][1])
    return p_init / divisor


def _windows(
    layout: FeatureLayout, domain: Domain, keys: np.ndarray, seed: int, share: float
) -> np.ndarray:
    """N × D: each example's window, an image square (all channels) or ``share`` of the
    mutable columns, drawn from the example's own draws."""
    n, width = len(keys), len(domain.mutable)
    pixels = layout.pixel_index()
    mask = np.zeros((n, width), bool)
    if pixels is None:
        count = max(round(float(share * domain.mutable.sum())), 1)
        draws = per_example_uniform(keys, seed, width)
        draws[:, ~domain.mutable] = 2.0  # never chosen
        chosen = np.argpartition(draws, count - 1, axis=1)[:, :count]
        np.put_along_axis(mask, chosen, True, axis=1)
        return mask
    h, w, _ = pixels.shape
    side = min(max(round(float(np.sqrt(share * h * w))), 1), h - 1, w - 1)
    corner = per_example_uniform(keys, seed, 2)
    top = (corner[:, 0] * (h - side)).astype(np.int64)[:, None, None]
    left = (corner[:, 1] * (w - side)).astype(np.int64)[:, None, None]
    rows, cols = np.arange(h)[None, :, None], np.arange(w)[None, None, :]
    inside = (rows >= top) & (rows < top + side) & (cols >= left) & (cols < left + side)
    for channel in range(pixels.shape[2]):
        mask[:, pixels[:, :, channel].ravel()] = inside.reshape(n, h * w)
    return mask & domain.mutable


def _signs(layout: FeatureLayout, keys: np.ndarray, seed: int, width: int) -> np.ndarray:
    """N × D of ±1: one per channel for images (a window moves as one colour), else one
    per column."""
    pixels = layout.pixel_index()
    if pixels is None:
        return np.where(per_example_uniform(keys, seed, width) < 0.5, -1.0, 1.0)
    per_channel = np.where(per_example_uniform(keys, seed, pixels.shape[2]) < 0.5, -1.0, 1.0)
    signs = np.ones((len(keys), width))
    for channel in range(pixels.shape[2]):
        signs[:, pixels[:, :, channel].ravel()] = per_channel[:, channel : channel + 1]
    return signs


def _linf_step(
    clean: np.ndarray,
    best: np.ndarray,
    window: np.ndarray,
    signs: np.ndarray,
    eps: float,
    domain: Domain,
) -> np.ndarray:
    """The window set to the ball's edge with ``signs``; where that changes nothing (the
    window is already there), the opposite signs."""
    candidate = domain.project(clean, np.where(window, clean + eps * signs, best))
    unchanged = ~np.any(window & (np.abs(candidate - best) > 1e-7), axis=1)
    if unchanged.any():
        again = clean[unchanged]
        flipped = np.where(window[unchanged], again - eps * signs[unchanged], best[unchanged])
        candidate[unchanged] = domain.project(again, flipped)
    return candidate


def _l2_step(
    clean: np.ndarray,
    best: np.ndarray,
    first: np.ndarray,
    second: np.ndarray,
    signs: np.ndarray,
    eps: float,
    domain: Domain,
) -> np.ndarray:
    """The paper's L2 update: the perturbation's mass in both windows, plus what the
    budget has left, goes into the first window (a random-sign pattern plus its old
    direction); the second is emptied; the whole is rescaled to norm eps."""
    delta = best - clean
    both = first | second
    in_both = np.einsum("ij,ij->i", delta * both, delta)
    spare = np.maximum(eps**2 - row_norms(delta) ** 2, 0.0)
    old = np.where(first, delta, 0.0)
    pattern = np.where(first, signs, 0.0)
    new = unit_rows(pattern) + unit_rows(old)
    new *= (np.sqrt(spare + in_both) / np.maximum(row_norms(new), TINY))[:, None]
    moved = np.where(both, 0.0, delta) + new
    moved *= (eps / np.maximum(row_norms(moved), TINY))[:, None]
    return domain.project(clean, clean + moved)


def _start(
    clean: np.ndarray,
    layout: FeatureLayout,
    domain: Domain,
    keys: np.ndarray,
    seed: int,
    norm: str,
    eps: float,
) -> np.ndarray:
    """Vertical stripes of ±eps for images (one sign per column and channel), random
    signs per feature otherwise; in L2 scaled to norm eps."""
    pixels = layout.pixel_index()
    signs = np.where(per_example_uniform(keys, seed, clean.shape[1]) < 0.5, -1.0, 1.0)
    if pixels is not None:  # a column's pixels share the sign of its top pixel
        top = pixels[0]  # W × C
        for row in pixels[1:]:
            signs[:, row.ravel()] = signs[:, top.ravel()]
    signs = np.where(domain.mutable, signs, 0.0)
    if norm == "l2":
        signs *= 1.0 / np.maximum(row_norms(signs), TINY)[:, None]
    return domain.project(clean, clean + eps * signs)


@register_attack(
    "square",
    description="Square attack (black-box, score-based random search; L∞ or L2)",
    needs="scores",
    budget="max_queries",
    params={
        "eps": Param("number", low=0, low_open=True, description="budget, in feature units"),
        "norm": Param("str", default="linf", choices=("linf", "l2")),
        "p_init": Param("number", default=0.8, low=0, high=1, low_open=True),
        **BLACK_BOX_PARAMS,
    },
)
def square(
    features: np.ndarray,
    labels: np.ndarray,
    *,
    oracle: Oracle,
    layout: FeatureLayout,
    example_keys: np.ndarray,
    seed: int,
    eps: float,
    norm: Literal["linf", "l2"] = "linf",
    p_init: float = 0.8,
    max_queries: int = 1000,
    mutable: Columns = None,
    integer_features: Columns = None,
    bounds: Mapping[str, Sequence[float]] | None = None,
    clip_min: float | None = None,
    clip_max: float | None = None,
) -> np.ndarray:
    """Square attack: one query at the clean point (an example already misclassified is
    left alone), one at the start (stripes), then up to ``max_queries`` − 2 window changes;
    the start and each change are kept when they lower the true class's margin (so a model
    whose scores never move gets its clean inputs back).

    Example:
        >>> from assay.suites.attack_domain import FeatureLayout
        >>> from assay.suites.queries import Oracle, margin
        >>> def answer(x, rows):  # class 1 once the first feature passes 0.3
        ...     p1 = (x[:, 0] > 0.3) * 0.8 + 0.1
        ...     return np.stack([1 - p1, p1], axis=1)
        >>> oracle = Oracle(answer, 2, budget=50)
        >>> out = square(np.zeros((2, 3)), np.zeros(2, int), oracle=oracle,
        ...              layout=FeatureLayout({"x": range(0, 3)}), max_queries=50,
        ...              example_keys=np.arange(2, dtype=np.uint64), seed=0, eps=0.5)
        >>> (out[:, 0] > 0.3).tolist(), bool(oracle.queries.max() <= 50)
        ([True, True], True)
    """
    clean = working_copy(features)
    domain = Domain.of(
        layout,
        clean.shape[1],
        mutable=mutable,
        integer_features=integer_features,
        bounds=bounds,
        clip_min=clip_min,
        clip_max=clip_max,
    )
    keys = np.asarray(example_keys, dtype=np.uint64)
    labels = np.asarray(labels)
    everyone = np.arange(len(clean))
    best_margin = margin(oracle.scores(clean, everyone), labels)
    best = clean.copy()
    pending = everyone[(best_margin > 0) & (oracle.remaining > 0)]
    if len(pending):
        origin = seed_from(seed, "square")
        start = _start(clean[pending], layout, domain, keys[pending], origin, norm, eps)
        found = margin(oracle.scores(start, pending), labels[pending])
        better = found < best_margin[pending]
        best[pending[better]], best_margin[pending[better]] = start[better], found[better]
    for step in range(max_queries - 2):
        pending = pending[(best_margin[pending] > 0) & (oracle.remaining[pending] > 0)]
        if not len(pending):
            break
        share = window_fraction(p_init, step, max_queries)
        at = keys[pending]
        window = _windows(layout, domain, at, seed_from(seed, "square", step), share)
        signs = _signs(layout, at, seed_from(seed, "square signs", step), clean.shape[1])
        if norm == "linf":
            candidate = _linf_step(clean[pending], best[pending], window, signs, eps, domain)
        else:
            second = _windows(layout, domain, at, seed_from(seed, "square second", step), share)
            candidate = _l2_step(clean[pending], best[pending], window, second, signs, eps, domain)
        found = margin(oracle.scores(candidate, pending), labels[pending])
        better = found < best_margin[pending]
        best[pending[better]], best_margin[pending[better]] = candidate[better], found[better]
    return best
