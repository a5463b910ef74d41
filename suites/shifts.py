"""Distribution shifts, deterministic per example id: the registry and the numeric noise.

Each shift is ``f(features, *, example_keys, seed, **params) -> features`` over an N×D float
matrix (image, text and categorical shifts take their own columns; resampling shifts take
:class:`~assay.suites.resampling_shifts.Rows` and return row indices); ``example_keys`` are
the uint64 hashes of the example ids, so shifted example i is always derived from clean
example i the same way. Its registry entry declares its parameters (checked when a suite
loads), which one is the severity (for the mean corruption error), the kinds of feature
column it acts on, which parameters name columns, and whether it redraws rows.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import wraps
from typing import Any, ClassVar, Literal

import numpy as np

from assay.params import DeclaresParams, Param
from assay.registry import Registry
from assay.suites.column_spread import chunked_column_spread, global_spread
from assay.suites.features import MATRIX_KINDS, check_column_kinds
from assay.suites.model_types import same_definition
from assay.suites.randomness import for_each_block, per_example_normal
from assay.suites.row_chunks import RowChunks

ShiftFunction = Callable[..., np.ndarray]


@dataclass(frozen=True)
class ShiftInfo(DeclaresParams):
    """A registered shift: the function and what the rest of assay needs to know of it."""

    kind: ClassVar[str] = "shift"

    name: str
    function: ShiftFunction
    description: str
    params: Mapping[str, Param] = field(default_factory=dict)
    severity: str | None = None  # the parameter that orders severity levels, if any
    column_kinds: frozenset[str] = MATRIX_KINDS
    # parameters naming feature columns: a suite gives names, the function gets positions
    # in the numeric matrix
    column_params: tuple[str, ...] = ()
    # draws rows (with repeats) instead of changing features: ``function(rows, ...)`` over
    # a :class:`~assay.suites.resampling_shifts.Rows` returns the parent's row indices
    resamples: bool = False
    # whether blocks of rows may run on several threads: work that takes the GIL back many
    # times per row (Pillow's JPEG round trip per image) runs faster on one
    parallel: bool = True
    # whether each row's output depends on that row alone (its values, its example key, the
    # params), never on the other rows (a column's spread, a rank, the categories seen): a
    # shifted set is then made some rows at a time, so a set larger than memory streams
    row_local: bool = False
    # a shift that needs statistics of the whole set (a column's spread, a rank, the
    # categories seen) declares ``measure(rows: RowChunks, **params)``, which finds them in
    # passes over chunks of rows; the function, given them as ``measured=``, acts on each row
    # alone, so such a shifted set streams too (and without them measures its own input)
    measure: Callable[..., Any] | None = None

    @property
    def streams(self) -> bool:
        """Whether a shifted set can be made some rows at a time."""
        return self.row_local or self.measure is not None

    def severity_of(self, params: Mapping[str, Any]) -> int:
        """The severity level ``params`` ask for (1 for a shift without levels)."""
        if self.severity is None:
            return 1
        return int(params.get(self.severity, self.params[self.severity].default))


def register_shift(
    name: str,
    *,
    description: str,
    params: Mapping[str, Param],
    severity: str | None = None,
    column_kinds: frozenset[str] = MATRIX_KINDS,
    column_params: tuple[str, ...] = (),
    resamples: bool = False,
    parallel: bool = True,
    row_local: bool = False,
    measure: Callable[..., Any] | None = None,
) -> Callable[[ShiftFunction], ShiftFunction]:
    """Declare and register a shift: the decorated function checks its params on every
    call (from a suite or from Python) and is entered in :data:`SHIFTS` under ``name``."""
    kinds = check_column_kinds(f"shift {name!r}", column_kinds)

    def decorate(function: ShiftFunction) -> ShiftFunction:
        earlier = SHIFTS.added(name)
        if earlier is not None and same_definition(inspect.unwrap(earlier.function), function):
            return function  # one module imported under a second name (a doctest run: its
            # examples call the function as written, and the registry keeps the first)
        info = ShiftInfo(
            name,
            function,
            description,
            params,
            severity,
            kinds,
            column_params,
            resamples,
            parallel,
            row_local,
            measure,
        )

        @wraps(function)
        def checked(
            features: Any,
            *,
            example_keys: np.ndarray,
            seed: int,
            measured: Any = None,
            **given: Any,
        ) -> np.ndarray:
            info.check(given)
            if measured is not None:
                given["measured"] = measured
            return function(features, example_keys=example_keys, seed=seed, **given)

        SHIFTS.add(name, replace(info, function=checked))
        return checked

    return decorate


SHIFTS: Registry[ShiftInfo] = Registry("shift", entry_points="assay.shifts")

# Noise standard deviation per severity, as a multiple of the feature's standard deviation
# (the ladder of Hendrycks & Dietterich 2019, rescaled from [0, 1] pixels to feature spread).
GAUSSIAN_NOISE_SCALES = (0.2, 0.35, 0.5, 0.7, 1.0)


def measure_spread(
    rows: RowChunks, *, scale: Literal["column", "global"] = "column", **_: Any
) -> tuple[Any, Any, Any]:
    """The spread Gaussian noise scales by: each column's (or every value's) standard
    deviation, minimum and maximum.

    Example:
        >>> measure_spread(RowChunks.whole(np.array([[0.0], [2.0]])), scale="global")
        (1.0, 0.0, 2.0)
    """
    if scale == "global":
        return global_spread(rows)
    spread = chunked_column_spread(rows)
    return spread.std, spread.low, spread.high


@register_shift(
    "gaussian_noise",
    description="additive Gaussian noise, severity 1-5",
    params={
        "severity": Param("int", default=1, low=1, high=5, description="1 (mild) to 5"),
        "scale": Param("str", default="column", choices=("column", "global")),
        "clip": Param("bool", default=True, description="stay in the clean data's range"),
    },
    severity="severity",
    measure=measure_spread,
)
def gaussian_noise(
    features: np.ndarray,
    *,
    example_keys: np.ndarray,
    seed: int,
    severity: int = 1,
    scale: Literal["column", "global"] = "column",
    clip: bool = True,
    measured: tuple[Any, Any, Any] | None = None,
) -> np.ndarray:
    """Add Gaussian noise of standard deviation ``c[severity] × spread`` to every feature.

    ``spread`` is each column's standard deviation (``scale="column"``, for tabular data) or
    that of all values (``"global"``, for pixels). With ``clip`` the result stays inside the
    clean data's observed range (per column or global). c = 0.2, 0.35, 0.5, 0.7, 1.0.
    ``measured``: the whole set's :func:`measure_spread`, where these are some of its rows.

    Example:
        >>> x = np.array([[0.0, 1.0], [2.0, 3.0]])
        >>> keys = np.array([1, 2], dtype=np.uint64)
        >>> y = gaussian_noise(x, example_keys=keys, seed=0, severity=3)
        >>> y.shape, bool(np.all((y >= 0) & (y <= 3)))
        ((2, 2), True)
    """
    values = np.asarray(features)
    std, low, high = measured or measure_spread(RowChunks.whole(values), scale=scale)
    step = GAUSSIAN_NOISE_SCALES[severity - 1] * std
    keys = np.asarray(example_keys)
    # float32 features stay float32: the sums are float64 and rounded once, on the way out
    noisy = np.empty(values.shape, np.float32 if values.dtype == np.float32 else np.float64)

    def add_noise(rows: slice) -> None:
        block = values[rows].astype(np.float64) + step * per_example_normal(
            keys[rows], seed, values.shape[1]
        )
        noisy[rows] = np.clip(block, low, high) if clip else block

    # in blocks of rows, so the noise and the sum stay in cache (same arithmetic as whole)
    for_each_block(len(values), add_noise)
    return noisy


# the image, resampling, tabular and text shifts register themselves on import (they use
# register_shift above)
from assay.suites import image_corruptions as _image_corruptions  # noqa: E402, F401
from assay.suites import resampling_shifts as _resampling_shifts  # noqa: E402, F401
from assay.suites import tabular_shifts as _tabular_shifts  # noqa: E402, F401
from assay.suites import text_shifts as _text_shifts  # noqa: E402, F401
