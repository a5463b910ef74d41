"""HopSkipJump (Chen, Jordan & Wainwright 2020): a decision-based attack in L2 that sees
only the model's predicted labels, for any model type.

It starts from a point the model already gets wrong (uniform draws within the declared
bounds), walks it to the decision boundary by binary search toward the clean input, then
repeats: estimate the boundary's normal from the labels at random points around the
boundary point, step along it (halving the step until the point is still wrong) and search
back to the boundary. Every query goes through the :class:`Oracle`; an example stops when
its budget is spent (or, with ``eps``, as soon as it is fooled within eps). The point
returned is always one the model was asked about and got wrong, or the clean input when no
start was found or the smallest found lies beyond ``eps``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from assay.hashing import seed_from
from assay.params import Param
from assay.suites.attack_domain import BLACK_BOX_PARAMS, Columns, Domain, FeatureLayout
from assay.suites.attacks import register_attack
from assay.suites.perturbations import TINY, perturbation_sizes, row_norms, working_copy
from assay.suites.queries import Oracle
from assay.suites.randomness import per_example_normal, per_example_uniform

MIN_PROBES = 10  # fewer labels than this say too little about the boundary's normal
PROBE_VALUES = 1 << 20  # feature values per query batch of the normal estimate


def _wrong(oracle: Oracle, points: np.ndarray, rows: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Whether the model's label at each point differs from its example's true label."""
    return np.asarray(oracle.labels(points, rows) != labels[rows])


def _blend(clean: np.ndarray, far: np.ndarray, alpha: np.ndarray, domain: Domain) -> np.ndarray:
    """The point ``alpha`` of the way from ``clean`` to ``far`` (kept in the domain)."""
    return domain.project(clean, clean + alpha[:, None] * (far - clean))


def _to_boundary(
    clean: np.ndarray,
    wrong_point: np.ndarray,
    rows: np.ndarray,
    labels: np.ndarray,
    oracle: Oracle,
    domain: Domain,
    tolerance: float,
) -> np.ndarray:
    """Binary search on the segment from each clean point to its wrong point: the
    wrong-side end once the two ends are within ``tolerance`` of the segment (or the
    budget is spent), a point the model was asked about and got wrong."""
    near = np.zeros(len(rows))  # right side
    far = np.ones(len(rows))  # wrong side
    while True:
        active = np.flatnonzero((far - near > tolerance) & (oracle.remaining[rows] > 0))
        if not len(active):
            break
        middle = (near[active] + far[active]) / 2
        point = _blend(clean[active], wrong_point[active], middle, domain)
        wrong = _wrong(oracle, point, rows[active], labels)
        far[active[wrong]] = middle[wrong]
        near[active[~wrong]] = middle[~wrong]
    moved = far < 1.0  # the end never moved is the wrong point itself, not a recomputation
    found = wrong_point.copy()
    found[moved] = _blend(clean[moved], wrong_point[moved], far[moved], domain)
    return found


def _start(
    clean: np.ndarray,
    labels: np.ndarray,
    pending: np.ndarray,
    oracle: Oracle,
    domain: Domain,
    keys: np.ndarray,
    seed: int,
    tries: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The rows of ``pending`` that found a wrong point among ``tries`` uniform draws in
    the bounds, and for each its first such draw. Draws are asked in rounds of 1, 2, 4, …
    (one model call a round, at most twice the queries one at a time would take)."""
    span = np.where(domain.mutable, domain.high - domain.low, 0.0)
    low = np.where(domain.mutable, domain.low, 0.0)
    found_rows, found_points = [], []
    tried = 0
    while tried < tries:
        pending = pending[oracle.remaining[pending] > 0]
        if not len(pending):
            break
        count = np.minimum(min(max(tried, 1), tries - tried), oracle.remaining[pending])
        draws = [  # draw `tried + j` of each row still trying: the same whatever the rounds
            (
                at,
                per_example_uniform(
                    keys[pending[at]], seed_from(seed, "hsj start", tried + j), span.size
                ),
            )
            for j in range(int(count.max()))
            for at in [np.flatnonzero(count > j)]
        ]
        at = np.concatenate([a for a, _ in draws])
        points = domain.project(
            clean[pending[at]], low + np.concatenate([d for _, d in draws]) * span
        )
        wrong = _wrong(oracle, points, pending[at], labels)
        first = np.full(len(pending), len(at))  # per row, its first wrong draw (in draw order)
        np.minimum.at(first, at[wrong], np.flatnonzero(wrong))
        hit = first < len(at)
        found_rows.append(pending[hit])
        found_points.append(points[first[hit]])
        pending = pending[~hit]
        tried += int(count.max())
    if not found_rows:
        return np.zeros(0, np.int64), clean[:0]
    return np.concatenate(found_rows), np.concatenate(found_points)


def _boundary_normal(
    clean: np.ndarray,
    boundary: np.ndarray,
    rows: np.ndarray,
    labels: np.ndarray,
    probes: np.ndarray,
    radius: np.ndarray,
    oracle: Oracle,
    domain: Domain,
    keys: np.ndarray,
    seed: int,
) -> np.ndarray:
    """The unit direction, per row, in which the model turns wrong: labels at ``probes``
    random points on a sphere of ``radius`` around each boundary point, weighted ±1 by
    whether the model got them wrong, less their mean (the paper's baseline), summed."""
    n, width = boundary.shape
    signed = np.zeros((n, width))  # Σ φ·u
    directions = np.zeros((n, width))  # Σ u
    wrongs = np.zeros(n)  # Σ φ
    per_pass = max(1, PROBE_VALUES // max(n * width, 1))
    for first in range(0, int(probes.max(initial=0)), per_pass):
        who, points, steps = [], [], []
        for probe in range(first, min(first + per_pass, int(probes.max()))):
            at = np.flatnonzero(probes > probe)
            u = per_example_normal(keys[rows[at]], seed_from(seed, "hsj probe", probe), width)
            u = np.where(domain.mutable, u, 0.0)
            u /= np.maximum(row_norms(u), TINY)[:, None]
            point = domain.project(clean[at], boundary[at] + radius[at, None] * u)
            who.append(at)
            points.append(point)
            steps.append((point - boundary[at]) / np.maximum(radius[at], TINY)[:, None])
        at, step = np.concatenate(who), np.concatenate(steps)
        phi = np.where(_wrong(oracle, np.concatenate(points), rows[at], labels), 1.0, -1.0)
        np.add.at(signed, at, phi[:, None] * step)
        np.add.at(directions, at, step)
        np.add.at(wrongs, at, phi)
    mean = wrongs / np.maximum(probes, 1)
    # all probes on one side: the baseline would cancel everything, so keep the signs
    normal = np.where((np.abs(mean) < 1)[:, None], signed - mean[:, None] * directions, signed)
    return np.asarray(normal / np.maximum(row_norms(normal), TINY)[:, None])


def _step_along(
    clean: np.ndarray,
    boundary: np.ndarray,
    normal: np.ndarray,
    size: np.ndarray,
    smallest: np.ndarray,
    rows: np.ndarray,
    labels: np.ndarray,
    oracle: Oracle,
    domain: Domain,
) -> tuple[np.ndarray, np.ndarray]:
    """Geometric search: from each boundary point along its normal, halving the step until
    the model is wrong there (or the step is below ``smallest``, the boundary search's
    resolution); the rows (of ``rows``' positions) that got there, and where."""
    size = size.copy()
    pending = np.flatnonzero(row_norms(normal) > 0)
    found_at, found_points = [], []
    while True:
        pending = pending[
            (oracle.remaining[rows[pending]] > 0) & (size[pending] >= smallest[pending])
        ]
        if not len(pending):
            break
        point = domain.project(
            clean[pending], boundary[pending] + size[pending, None] * normal[pending]
        )
        wrong = _wrong(oracle, point, rows[pending], labels)
        found_at.append(pending[wrong])
        found_points.append(point[wrong])
        pending = pending[~wrong]
        size[pending] /= 2
    if not found_at:
        return np.zeros(0, np.int64), clean[:0]
    return np.concatenate(found_at), np.concatenate(found_points)


@register_attack(
    "hop_skip_jump",
    description="HopSkipJump (black-box, decision-based: predicted labels only; L2)",
    needs="labels",
    budget="max_queries",
    params={
        "eps": Param(
            "number",
            default=None,
            nullable=True,
            low=0,
            low_open=True,
            description="counts a point as adversarial only within this L2 distance",
        ),
        "norm": Param("str", default="l2", choices=("l2",)),
        "start_tries": Param("int", default=100, low=1, description="uniform draws for a start"),
        "probes": Param("int", default=100, low=2, description="first normal estimate's queries"),
        "gamma": Param("number", default=1.0, low=0, low_open=True),
        **BLACK_BOX_PARAMS,
    },
)
def hop_skip_jump(
    features: np.ndarray,
    labels: np.ndarray,
    *,
    oracle: Oracle,
    layout: FeatureLayout,
    example_keys: np.ndarray,
    seed: int,
    eps: float | None = None,
    norm: str = "l2",
    start_tries: int = 100,
    probes: int = 100,
    gamma: float = 1.0,
    max_queries: int = 1000,
    mutable: Columns = None,
    integer_features: Columns = None,
    bounds: Mapping[str, Sequence[float]] | None = None,
    clip_min: float | None = None,
    clip_max: float | None = None,
) -> np.ndarray:
    """HopSkipJump: one query at the clean point (an example already misclassified is left
    alone), up to ``start_tries`` for a wrong start, then boundary searches and steps until
    the budget is spent. Iteration t spends ``probes``·√t queries on the normal (half of
    what is left at most); the binary search stops within ``gamma``/d^1.5 of the segment
    (the paper's; with few features a smaller ``gamma`` searches finer).

    Example:
        >>> from assay.suites.attack_domain import FeatureLayout
        >>> from assay.suites.queries import Oracle
        >>> def answer(x, rows):  # class 1 once the features sum past 1
        ...     p1 = (x.sum(axis=1) > 1) * 0.8 + 0.1
        ...     return np.stack([1 - p1, p1], axis=1)
        >>> oracle = Oracle(answer, 1, budget=300, labels_only=True)
        >>> out = hop_skip_jump(np.zeros((1, 2)), np.zeros(1, int), oracle=oracle,
        ...                     layout=FeatureLayout({"x": range(0, 2)}), max_queries=300,
        ...                     example_keys=np.zeros(1, np.uint64), seed=0,
        ...                     clip_min=-2, clip_max=2, gamma=0.1)
        >>> bool(out.sum() > 1), round(float(np.linalg.norm(out)), 1)  # optimum 1/√2
        (True, 0.7)
    """
    del norm  # declared so reports name the threat model; L2 is the only one
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
    domain.check_bounded(layout, "hop_skip_jump")
    keys = np.asarray(example_keys, dtype=np.uint64)
    labels = np.asarray(labels)
    dimension = int(domain.mutable.sum())
    tolerance = gamma / dimension**1.5
    everyone = np.arange(len(clean))
    already = _wrong(oracle, clean, everyone, labels)
    rows, points = _start(
        clean, labels, everyone[~already], oracle, domain, keys, seed, start_tries
    )
    best = clean.copy()
    best[rows] = _to_boundary(clean[rows], points, rows, labels, oracle, domain, tolerance)
    fooled = np.zeros(len(clean), bool)
    fooled[rows] = True

    def distance(at: np.ndarray) -> np.ndarray:
        return perturbation_sizes(clean[at], best[at], "l2")

    iteration = 0
    while True:
        iteration += 1
        rows = rows[oracle.remaining[rows] // 2 >= MIN_PROBES]
        if eps is not None:
            rows = rows[distance(rows) > eps]
        if not len(rows):
            break
        dist = distance(rows)
        count = np.minimum(int(probes * np.sqrt(iteration)), oracle.remaining[rows] // 2)
        normal = _boundary_normal(
            clean[rows],
            best[rows],
            rows,
            labels,
            count,
            np.sqrt(dimension) * tolerance * dist,
            oracle,
            domain,
            keys,
            seed_from(seed, "hsj", iteration),
        )
        at, stepped = _step_along(
            clean[rows],
            best[rows],
            normal,
            dist / np.sqrt(iteration),
            tolerance * dist,
            rows,
            labels,
            oracle,
            domain,
        )
        moved = rows[at]
        found = _to_boundary(clean[moved], stepped, moved, labels, oracle, domain, tolerance)
        closer = perturbation_sizes(clean[moved], found, "l2") < dist[at]
        best[moved[closer]] = found[closer]
    if eps is not None:
        fooled &= perturbation_sizes(clean, best, "l2") <= eps
    return np.where(fooled[:, None], best, clean).astype(clean.dtype, copy=False)
