"""Shifts that redraw rows instead of changing them: subpopulation shift (a group's share
becomes p), label shift (target class priors) and covariate shift (importance weights rising
with a feature). The model sees the same examples; their mix changes.

Each returns the parent's row indices, sorted, repeats allowed. Rows are taken in the order
of a per-example uniform keyed by (seed, example id), so the resample does not depend on
row order or machine; within a stratum every row is used ⌊k/m⌋ times and the first k mod m
once more, so rows repeat only when the target needs more than the stratum holds. The
loaded set keeps the original ids, with ``#2``, ``#3``… on the second and later copies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from assay.errors import InvalidInputError
from assay.params import Param
from assay.suites.randomness import per_example_uniform
from assay.suites.shifts import register_shift

SIZE = Param(
    "int", default=None, nullable=True, low=1, description="rows drawn (default: the parent's)"
)


@dataclass(frozen=True)
class Rows:
    """What a resampling shift looks at: labels (class codes), the label names, the text of
    the group columns (slices, sensitive and string features) and numeric features by name.

    Example:
        >>> rows = Rows(np.array([0, 1]), ("no", "yes"), {"site": np.array(["a", "b"])})
        >>> rows.text("site").tolist()
        ['a', 'b']
    """

    labels: np.ndarray
    classes: tuple[str, ...]
    groups: Mapping[str, np.ndarray]
    numeric: Callable[[str], np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.labels)

    def text(self, column: str) -> np.ndarray:
        if column not in self.groups:
            raise InvalidInputError(
                f"column {column!r} is not a slice, sensitive or string feature column "
                f"(those here: {sorted(self.groups)})"
            )
        return np.asarray(self.groups[column]).astype(str)


def draw_order(example_keys: np.ndarray, seed: int) -> np.ndarray:
    """Row positions in the order of their per-example uniform (ties by key): the order rows
    are taken in, the same for a row wherever it sits.

    Example:
        >>> keys = np.array([5, 6, 7], dtype=np.uint64)
        >>> backwards = keys[::-1]
        >>> keys[draw_order(keys, 0)].tolist() == backwards[draw_order(backwards, 0)].tolist()
        True
    """
    keys = np.asarray(example_keys, dtype=np.uint64)
    u = per_example_uniform(keys, seed, 1)[:, 0]
    return np.lexsort((keys, u))


def take(members: np.ndarray, k: int) -> np.ndarray:
    """``k`` draws from ``members`` (positions, in draw order): each ⌊k/m⌋ times, the first
    k mod m once more.

    Example:
        >>> take(np.array([4, 2, 9]), 7).tolist()
        [4, 4, 4, 2, 2, 9, 9]
    """
    if k and not len(members):
        raise InvalidInputError("cannot draw rows from an empty group")
    if not k:
        return np.empty(0, dtype=np.int64)
    whole, extra = divmod(k, len(members))
    counts = np.full(len(members), whole, dtype=np.int64)
    counts[:extra] += 1
    return np.repeat(members, counts)


def apportion(size: int, shares: np.ndarray) -> np.ndarray:
    """Integer counts summing to ``size``, as near ``size·shares`` as can be (largest
    remainders; ties to the first).

    Example:
        >>> apportion(10, np.array([0.333, 0.333, 0.334])).tolist()
        [3, 3, 4]
    """
    target = size * np.asarray(shares, dtype=np.float64) / np.sum(shares)
    counts = np.floor(target).astype(np.int64)
    remainders = target - counts
    order = np.lexsort((np.arange(len(target)), -remainders))
    counts[order[: size - int(counts.sum())]] += 1
    return counts


def _stratified(order: np.ndarray, strata: np.ndarray, counts: np.ndarray) -> np.ndarray:
    picks = [take(order[strata[order] == s], int(k)) for s, k in enumerate(counts)]
    return np.sort(np.concatenate(picks)) if picks else np.empty(0, dtype=np.int64)


@register_shift(
    "subpopulation_shift",
    description="rows redrawn so that one group's share of the set becomes `share`",
    params={
        "column": Param("str", description="a slice, sensitive or string feature column"),
        "group": Param("str", description="the group whose share changes"),
        "share": Param("number", low=0, high=1, description="its share after the shift"),
        "size": SIZE,
    },
    resamples=True,
)
def subpopulation_shift(
    rows: Rows,
    *,
    example_keys: np.ndarray,
    seed: int,
    column: str,
    group: str,
    share: float,
    size: int | None = None,
) -> np.ndarray:
    """Rows redrawn so that ``group`` of ``column`` is ``share`` of the set (exactly, to
    1/size): round(size·share) rows from the group, the rest from outside it.

    Example:
        >>> rows = Rows(np.zeros(10, int), ("x",), {"g": np.array(list("aaaaaaaabb"))})
        >>> picked = subpopulation_shift(rows, example_keys=np.arange(10), seed=0,
        ...                              column="g", group="b", share=0.5)
        >>> (rows.groups["g"][picked] == "b").mean()
        np.float64(0.5)
    """
    values = rows.text(column)
    inside = values == str(group)
    if not inside.any() and share > 0:
        present = sorted(set(values.tolist()))[:10]
        raise InvalidInputError(
            f"subpopulation_shift: no row has {column!r} = {group!r} (values: {present})"
        )
    n = size or len(rows)
    chosen = round(n * float(share))
    if chosen < n and inside.all():
        raise InvalidInputError(f"subpopulation_shift: every row has {column!r} = {group!r}")
    counts = np.array([n - chosen, chosen])
    return _stratified(draw_order(example_keys, seed), inside.astype(np.int64), counts)


@register_shift(
    "label_shift",
    description="rows redrawn to target class priors (classes not listed get none)",
    params={
        "priors": Param("weights", description="class: weight (normalised to sum to 1)"),
        "size": SIZE,
    },
    resamples=True,
)
def label_shift(
    rows: Rows,
    *,
    example_keys: np.ndarray,
    seed: int,
    priors: Mapping[str, float],
    size: int | None = None,
) -> np.ndarray:
    """Rows redrawn so the classes have the shares ``priors`` gives (exactly, to 1/size, by
    largest remainders); the class-conditional distribution is unchanged.

    Example:
        >>> rows = Rows(np.array([0] * 8 + [1] * 2), ("no", "yes"), {})
        >>> picked = label_shift(rows, example_keys=np.arange(10), seed=0,
        ...                      priors={"no": 1, "yes": 1})
        >>> np.bincount(rows.labels[picked]).tolist()
        [5, 5]
    """
    index = {name: code for code, name in enumerate(rows.classes)}
    unknown = [str(c) for c in priors if str(c) not in index]
    if unknown:
        raise InvalidInputError(
            f"label_shift: priors name classes {unknown} that are not among {list(rows.classes)}"
        )
    weights = np.zeros(len(rows.classes))
    for name, weight in priors.items():
        weights[index[str(name)]] = float(weight)
    present = np.bincount(rows.labels, minlength=len(rows.classes))
    empty = [rows.classes[c] for c in np.flatnonzero((weights > 0) & (present == 0))]
    if empty:
        raise InvalidInputError(f"label_shift: no row has class {empty[0]!r} to draw from")
    counts = apportion(size or len(rows), weights)
    return _stratified(draw_order(example_keys, seed), np.asarray(rows.labels), counts)


@register_shift(
    "covariate_shift",
    description="rows redrawn with importance weights exp(strength·z) of a numeric feature",
    params={
        "column": Param("str", description="a numeric feature column"),
        "strength": Param("number", default=1.0, description="log-weight per standard deviation"),
        "size": SIZE,
    },
    resamples=True,
)
def covariate_shift(
    rows: Rows,
    *,
    example_keys: np.ndarray,
    seed: int,
    column: str,
    strength: float = 1.0,
    size: int | None = None,
) -> np.ndarray:
    """Rows redrawn with probability ∝ exp(strength·z), z the standardised ``column``: the
    feature's distribution tilts (for a normal feature its mean moves by ``strength``
    standard deviations) while p(label | features) stays. Systematic resampling in draw
    order, so each row is drawn within one of size·w_i/Σw times.

    Example:
        >>> x = np.linspace(-1, 1, 101)
        >>> rows = Rows(np.zeros(101, int), ("x",), {}, numeric=lambda name: x)
        >>> picked = covariate_shift(rows, example_keys=np.arange(101), seed=0,
        ...                          column="x", strength=2.0)
        >>> bool(x[picked].mean() > 0.3)
        True
    """
    if rows.numeric is None:
        raise InvalidInputError("covariate_shift needs the set's numeric features")
    values = np.asarray(rows.numeric(column), dtype=np.float64)
    if np.isnan(values).any():
        raise InvalidInputError(f"covariate_shift: column {column!r} has missing values")
    spread = values.std()
    if not spread > 0:
        raise InvalidInputError(f"covariate_shift: column {column!r} is constant")
    log_weights = float(strength) * (values - values.mean()) / spread
    weights = np.exp(log_weights - log_weights.max())
    order = draw_order(example_keys, seed)
    n = size or len(rows)
    cumulative = np.cumsum(weights[order])
    cumulative *= n / cumulative[-1]
    start = per_example_uniform(np.zeros(1, dtype=np.uint64), seed ^ 0x5EED, 1)[0, 0]
    positions = np.searchsorted(cumulative, start + np.arange(n), side="right")
    return np.sort(order[np.minimum(positions, len(order) - 1)])


def effective_size(picked: np.ndarray, n_parent: int) -> float:
    """Kish's effective sample size of a resample, (Σc)²/Σc² over the rows' copy counts c:
    the number of distinct rows it is worth.

    Example:
        >>> effective_size(np.array([0, 0, 1, 2]), 3)
        2.6666666666666665
    """
    counts = np.bincount(picked, minlength=n_parent).astype(np.float64)
    return float(counts.sum() ** 2 / np.sum(counts**2))
