"""Where a black-box attack may move an example: the feature columns it may change (the
declared mutable ones), each column's bounds, and which columns hold integers — and, for
images, the pixel grid its windows are drawn on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from assay.errors import InvalidInputError
from assay.suites.schema import ImageSpec


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
        >>> domain = Domain.of(layout, 2, features=["hours"], integer_features=["hours"],
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
        features: Sequence[str] | None = None,
        integer_features: Sequence[str] = (),
        bounds: Mapping[str, Sequence[float]] | None = None,
        clip_min: float | None = None,
        clip_max: float | None = None,
    ) -> Domain:
        """The domain the attack's params declare: ``features`` (default: all), integer
        columns, per-column ``bounds`` over the scalar ``clip_min``/``clip_max``."""
        low = np.full(width, -np.inf if clip_min is None else clip_min, dtype=np.float64)
        high = np.full(width, np.inf if clip_max is None else clip_max, dtype=np.float64)
        mutable = np.zeros(width, bool) if features is not None else np.ones(width, bool)
        integer = np.zeros(width, bool)
        for name in features or ():
            mutable[_positions(layout, name, "features")] = True
        for name in integer_features:
            integer[_positions(layout, name, "integer_features")] = True
        for name, pair in (bounds or {}).items():
            where = _positions(layout, name, "bounds")
            low[where], high[where] = pair
        if not mutable.any():
            raise InvalidInputError("The 'features' parameter names no column to perturb")
        return cls(mutable, low, high, integer)

    def project(self, clean: np.ndarray, moved: np.ndarray) -> np.ndarray:
        """``moved`` with immutable positions reset, integer steps truncated toward the
        clean value, and every value kept in bounds (or no further out than its clean
        value already was)."""
        delta = np.where(self.mutable, moved - clean, 0.0)
        delta = np.where(self.integer, np.trunc(delta), delta)
        low = np.minimum(self.low, clean)
        high = np.maximum(self.high, clean)
        return np.clip(clean + delta, low, high).astype(clean.dtype, copy=False)


def _positions(layout: FeatureLayout, name: str, param: str) -> range:
    if name not in layout.positions:
        raise InvalidInputError(
            f"The {param!r} parameter names {name!r}, which is not a numeric feature column "
            f"(numeric features: {list(layout.positions)})"
        )
    return layout.positions[name]
