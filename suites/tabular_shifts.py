"""Tabular shifts that change feature values: unit changes, missing values, and categorical
swaps or unseen categories. Each draw of example i comes from (suite seed, example id) alone,
so the shifted set pairs with the clean set by id on every machine and row order.

Numeric ones act on the columns named by ``columns`` (default: every numeric feature); a
suite names them, the function receives their positions in the numeric matrix. Categorical
ones act on string feature columns, one ``column`` or every one, like the text shifts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from assay.errors import InvalidInputError
from assay.params import Param
from assay.suites.randomness import per_example_uniform
from assay.suites.row_chunks import RowChunks
from assay.suites.shifts import register_shift

COLUMNS = Param(
    "columns", default=None, nullable=True, description="feature columns (default: every one)"
)
RATE = Param("number", default=0.1, low=0, high=1, description="share of values changed")
TEXT = frozenset({"text"})
CATEGORY_COLUMN = Param(
    "str", default=None, nullable=True, description="the string column (default: every one)"
)


def _positions(features: np.ndarray, columns: Sequence[int] | int | None) -> np.ndarray:
    if columns is None:
        return np.arange(features.shape[1])
    return np.atleast_1d(np.asarray(columns, dtype=np.int64))


@register_shift(
    "scaling",
    description="a unit change: x·factor + offset on the chosen columns",
    params={
        "factor": Param("number", default=1000.0, description="e.g. 1000 for km to m"),
        "offset": Param("number", default=0.0, description="e.g. 32 with factor 1.8, °C to °F"),
        "columns": COLUMNS,
    },
    column_params=("columns",),
    row_local=True,
)
def scaling(
    features: np.ndarray,
    *,
    example_keys: np.ndarray,
    seed: int,
    factor: float = 1000.0,
    offset: float = 0.0,
    columns: Sequence[int] | int | None = None,
) -> np.ndarray:
    """x·factor + offset on the chosen columns (a pipeline fed metres where it was trained
    on kilometres); deterministic, so ``example_keys`` and ``seed`` are unused.

    Example:
        >>> x = np.array([[1.0, 2.0], [3.0, 4.0]])
        >>> scaling(x, example_keys=np.arange(2), seed=0, factor=1.8, offset=32, columns=[1])
        array([[ 1. , 35.6],
               [ 3. , 39.2]])
    """
    out = np.array(features, dtype=np.float64, copy=True)
    chosen = _positions(out, columns)
    out[:, chosen] = out[:, chosen] * float(factor) + float(offset)
    return out


def measure_given(
    rows: RowChunks, *, given: Sequence[int] | int | None = None, **_: Any
) -> np.ndarray | None:
    """The sorted values of ``given`` (the column missingness rises with), or None.

    Example:
        >>> measure_given(RowChunks.whole(np.array([[3.0, 1.0], [2.0, 0.0]])), given=[0])
        array([2., 3.])
    """
    if given is None:
        return None
    position = np.atleast_1d(np.asarray(given, dtype=np.int64))
    if len(position) != 1:
        raise InvalidInputError("missing_values: 'given' names one column")
    column = np.concatenate(
        [np.asarray(chunk[:, position[0]], dtype=np.float64) for chunk in rows] or [np.zeros(0)]
    )
    if np.isnan(column).any():
        raise InvalidInputError("missing_values: the 'given' column has missing values")
    return np.sort(column)


def _rank_share(values: np.ndarray, ordered: np.ndarray, where: str) -> np.ndarray:
    """Each value's average rank among ``ordered`` (the whole column, sorted; from the top
    with ``where: low``) as a share of its length: scipy's ``rankdata`` over the column."""
    below = np.searchsorted(ordered, values, side="left")
    up_to = np.searchsorted(ordered, values, side="right")
    n = len(ordered)
    if where == "low":
        below, up_to = n - up_to, n - below
    return (below + up_to + 1) / 2.0 / n


@register_shift(
    "missing_values",
    description="values blanked (NaN) at a rate: completely at random, or rising with a column",
    params={
        "rate": RATE,
        "columns": COLUMNS,
        "given": Param(
            "columns",
            default=None,
            nullable=True,
            description="missing at random given this column (default: completely at random)",
        ),
        "where": Param("str", default="high", choices=("high", "low"), description="of `given`"),
    },
    column_params=("columns", "given"),
    measure=measure_given,
)
def missing_values(
    features: np.ndarray,
    *,
    example_keys: np.ndarray,
    seed: int,
    rate: float = 0.1,
    columns: Sequence[int] | int | None = None,
    given: Sequence[int] | int | None = None,
    where: Literal["high", "low"] = "high",
    measured: np.ndarray | None = None,
) -> np.ndarray:
    """Blank values of the chosen columns with NaN.

    MCAR (no ``given``): each value independently with probability ``rate``. MAR: row i's
    values with probability min(1, 2·rate·r_i), r_i the rank of its ``given`` value as a
    share of n (average ranks; from the top with ``where: low``), so the rate is ``rate``
    on average (for rate ≤ 0.5) and the missingness depends only on an observed column.
    The models see NaN: a pipeline that cannot take missing values fails, by design.
    ``measured``: the whole set's :func:`measure_given`, where these are some of its rows.

    Example:
        >>> x = np.ones((1000, 2))
        >>> y = missing_values(x, example_keys=np.arange(1000), seed=0, rate=0.2, columns=0)
        >>> round(float(np.isnan(y[:, 0]).mean()), 1), int(np.isnan(y[:, 1]).sum())
        (0.2, 0)
    """
    out = np.array(features, dtype=np.float64, copy=True)
    chosen = _positions(out, columns)
    # one draw per (example, matrix column): a column's draws do not depend on the others chosen
    u = per_example_uniform(np.asarray(example_keys, dtype=np.uint64), seed, out.shape[1])
    if given is None:
        chance = np.full((len(out), 1), float(rate))
    else:
        ordered = (
            measured if measured is not None else measure_given(RowChunks.whole(out), given=given)
        )
        assert ordered is not None
        values = np.asarray(features[:, int(np.atleast_1d(given)[0])], dtype=np.float64)
        share = _rank_share(values, ordered, where)
        chance = np.minimum(1.0, 2.0 * float(rate) * share)[:, None]
    blank = u[:, chosen] < chance
    block = out[:, chosen]
    block[blank] = np.nan
    out[:, chosen] = block
    return out


def _category_draws(example_keys: np.ndarray, seed: int) -> np.ndarray:
    return per_example_uniform(np.asarray(example_keys, dtype=np.uint64), seed, 2)


def measure_categories(rows: RowChunks, **_: Any) -> np.ndarray:
    """The sorted categories of a string column.

    Example:
        >>> measure_categories(RowChunks.whole(np.array(["b", "a", "b"], dtype=object)))
        array(['a', 'b'], dtype='<U1')
    """
    seen = [np.unique(np.asarray(chunk, dtype=object).astype(str)) for chunk in rows]
    return np.unique(np.concatenate(seen)) if seen else np.zeros(0, dtype=str)


@register_shift(
    "category_swap",
    description="categorical values swapped for another observed category at a rate",
    params={"rate": RATE, "column": CATEGORY_COLUMN},
    column_kinds=TEXT,
    measure=measure_categories,
)
def category_swap(
    values: np.ndarray,
    *,
    example_keys: np.ndarray,
    seed: int,
    rate: float = 0.1,
    column: str | None = None,
    measured: np.ndarray | None = None,
) -> np.ndarray:
    """With probability ``rate`` a value becomes another of the column's categories, each
    of the others equally likely (a mislabelled form field, a recoded category).
    ``measured``: the whole column's :func:`measure_categories`, where these are some rows.

    Example:
        >>> v = np.array(["a", "b", "c"] * 100, dtype=object)
        >>> out = category_swap(v, example_keys=np.arange(300), seed=0, rate=1.0)
        >>> bool((out != v).all()), sorted(set(out))
        (True, ['a', 'b', 'c'])
    """
    texts = np.asarray(values, dtype=object)
    categories = measured if measured is not None else measure_categories(RowChunks.whole(texts))
    codes = np.searchsorted(categories, texts.astype(str))
    if len(categories) < 2:
        return texts.copy()
    u = _category_draws(example_keys, seed)
    step = 1 + np.minimum((u[:, 1] * (len(categories) - 1)).astype(np.int64), len(categories) - 2)
    swapped = categories[(codes + step) % len(categories)].astype(object)
    return np.where(u[:, 0] < float(rate), swapped, texts)


@register_shift(
    "unseen_category",
    description="categorical values replaced by a category the model never saw, at a rate",
    params={
        "rate": RATE,
        "column": CATEGORY_COLUMN,
        "value": Param("str", default="__unseen__", description="the new category"),
    },
    column_kinds=TEXT,
    row_local=True,
)
def unseen_category(
    values: np.ndarray,
    *,
    example_keys: np.ndarray,
    seed: int,
    rate: float = 0.1,
    column: str | None = None,
    value: str = "__unseen__",
) -> np.ndarray:
    """With probability ``rate`` a value becomes ``value`` (a new product code, a country
    added after training): does the pipeline ignore it, or fail?

    Example:
        >>> v = np.array(["a", "b"] * 500, dtype=object)
        >>> out = unseen_category(v, example_keys=np.arange(1000), seed=0, rate=0.3)
        >>> round(float((out == "__unseen__").mean()), 1)
        0.3
    """
    texts = np.asarray(values, dtype=object)
    u = _category_draws(example_keys, seed)
    return np.where(u[:, 0] < float(rate), value, texts).astype(object)
