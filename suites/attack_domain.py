"""Where a black-box attack may move an example: the feature columns it may change (the
declared mutable ones), each column's bounds, and which columns hold integers — and, for
images, the pixel grid its windows are drawn on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from assay.errors import InvalidInputError
from assay.params import Param
from assay.suites.schema import ImageSpec

Columns = str | Sequence[str] | None

# what every black-box attack declares: its query budget and where it may move an example
BLACK_BOX_PARAMS = {
    "max_queries": Param("int", default=1000, low=2, description="per example, all counted"),
    "mutable": Param(
        "columns", default=None, nullable=True, description="the columns it may change (all)"
    ),
    "integer_features": Param(
        "columns", default=None, nullable=True, description="moved by whole steps"
    ),
    "bounds": Param("ranges", default=None, nullable=True, description="{column: [lo, hi]}"),
    "clip_min": Param("number", default=None, nullable=True),
    "clip_max": Param("number", default=None, nullable=True),
}


@dataclass(frozen=True)
class FeatureLayout:
    """How a dataset's feature matrix is laid out: each numeric column's positions and,
    when the dataset declares images, their spec and columns (the runner gives this to
    attacks that take ``layout``)."""

    positions: Mapping[str, range]
    image: ImageSpec | None = None
    image_columns: slice | None = None

    def pixel_index(self) -> np.ndarray | None:
        """H × W × C: the matrix position of each pixel value (None without images)."""
        if self.image is None or self.image_columns is None:
            return None
        image = self.image
        h, w, c = image.height, image.width, image.channels
        grid = np.arange(h * w * c).reshape(
            {"HW": (h, w, 1), "HWC": (h, w, c), "CHW": (c, h, w)}[image.layout]
        )
        if image.layout == "CHW":
            grid = grid.transpose(1, 2, 0)
        return grid + self.image_columns.start


@dataclass(frozen=True)
class Domain:
    """Per matrix position: whether an attack may change it, its bounds, and whether it
    holds integers (moved by whole steps toward the clean value, so no step outgrows the
    budget).

    Example:
        >>> layout = FeatureLayout({"age": range(0, 1), "hours": range(1, 2)})
        >>> domain = Domain.of(layout, 2, mutable="hours", integer_features=["hours"],
        ...                    bounds={"hours": [1, 99]})
        >>> domain.project(np.array([[40.0, 98.0]]), np.array([[41.0, 100.7]])).tolist()
        [[40.0, 99.0]]
    """

    mutable: np.ndarray
    low: np.ndarray
    high: np.ndarray
    integer: np.ndarray

    @classmethod
    def of(
        cls,
        layout: FeatureLayout,
        width: int,
        *,
        mutable: Columns = None,
        integer_features: Columns = None,
        bounds: Mapping[str, Sequence[float]] | None = None,
        clip_min: float | None = None,
        clip_max: float | None = None,
    ) -> Domain:
        """The domain an attack's :data:`BLACK_BOX_PARAMS` declare: the ``mutable`` columns
        (default: all), integer columns, per-column ``bounds`` over the scalar
        ``clip_min``/``clip_max``."""
        features = _names(mutable)
        low = np.full(width, -np.inf if clip_min is None else clip_min, dtype=np.float64)
        high = np.full(width, np.inf if clip_max is None else clip_max, dtype=np.float64)
        changes = np.zeros(width, bool) if features is not None else np.ones(width, bool)
        integer = np.zeros(width, bool)
        for name in features or ():
            changes[_positions(layout, name, "mutable")] = True
        for name in _names(integer_features) or ():
            integer[_positions(layout, name, "integer_features")] = True
        for name, pair in (bounds or {}).items():
            where = _positions(layout, name, "bounds")
            low[where], high[where] = pair
        if not changes.any():
            raise InvalidInputError("The 'mutable' parameter names no column to perturb")
        return cls(changes, low, high, integer)

    def check_bounded(self, layout: FeatureLayout, attack: str) -> None:
        """Refuse a mutable column without finite bounds (an attack that draws its start
        uniformly in the box needs one)."""
        open_ended = self.mutable & ~(np.isfinite(self.low) & np.isfinite(self.high))
        if open_ended.any():
            at = int(np.argmax(open_ended))
            name = next((c for c, where in layout.positions.items() if at in where), str(at))
            raise InvalidInputError(
                f"attack {attack!r} draws its start within the bounds, but mutable column "
                f"{name!r} has none; give clip_min and clip_max, or bounds: {{{name}: [lo, hi]}}"
            )

    def project(self, clean: np.ndarray, moved: np.ndarray) -> np.ndarray:
        """``moved`` with immutable positions reset, integer steps truncated toward the
        clean value, and every value kept in bounds (or no further out than its clean
        value already was)."""
        delta = np.where(self.mutable, moved - clean, 0.0)
        delta = np.where(self.integer, np.trunc(delta), delta)
        low = np.minimum(self.low, clean)
        high = np.maximum(self.high, clean)
        return np.clip(clean + delta, low, high).astype(clean.dtype, copy=False)


def _names(columns: Columns) -> list[str] | None:
    return [columns] if isinstance(columns, str) else None if columns is None else list(columns)


def _positions(layout: FeatureLayout, name: str, param: str) -> range:
    if name not in layout.positions:
        raise InvalidInputError(
            f"The {param!r} parameter names {name!r}, which is not a numeric feature column "
            f"(numeric features: {list(layout.positions)})"
        )
    return layout.positions[name]
