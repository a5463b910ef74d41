"""Images inside a feature matrix: the columns that hold them, and the conversion to and
from the one form every image corruption works on, N×H×W×C float32 in [0, 1]."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from assay.errors import InvalidInputError
from assay.suites.features import FeatureBlock
from assay.suites.randomness import BLOCK_ROWS
from assay.suites.schema import ImageSpec

IMAGES_PER_BLOCK = 1_024  # images corrupted at a time: the float64 draws stay ~100 MB


def image_columns(features: FeatureBlock, image: ImageSpec, owner: str) -> slice:
    """The columns of the numeric matrix holding the images ``image`` declares."""
    offsets = features.matrix_positions()
    if image.column is None:
        columns = slice(0, sum(width for _, width in features.numeric_columns))
    elif image.column not in offsets:
        raise InvalidInputError(
            f"{owner}: image column {image.column!r} is not a numeric feature "
            f"(numeric features: {list(offsets)})"
        )
    else:
        positions = offsets[image.column]
        columns = slice(positions.start, positions.stop)
    width = columns.stop - columns.start
    if width != image.size:
        raise InvalidInputError(
            f"{owner}: the image shape {image.shape} ({image.layout}) holds {image.size} values "
            f"per example; the image columns hold {width}"
        )
    return columns


def to_unit_images(values: np.ndarray, image: ImageSpec, owner: str) -> np.ndarray:
    """Flattened images (N × size, in the declared layout and range) as N×H×W×C in [0, 1].

    Example:
        >>> spec = ImageSpec(layout="HW", shape=[8, 8], range=[0, 16])
        >>> to_unit_images(np.full((1, 64), 8.0), spec, "d").shape
        (1, 8, 8, 1)
    """
    low, high = image.range
    if values.size and not (low <= values.min() and values.max() <= high):  # NaN fails too
        outside = (values < low) | (values > high) | ~np.isfinite(values)
        raise InvalidInputError(
            f"{owner}: image value {values[outside][0]!r} is outside the declared range "
            f"[{low!r}, {high!r}]"
        )
    unit = values.reshape(len(values), *image.shape).astype(np.float32)
    if image.layout == "HW":
        unit = unit[..., None]
    elif image.layout == "CHW":
        unit = unit.transpose(0, 2, 3, 1)
    unit -= np.float32(low)
    unit /= np.float32(high - low)
    return unit


def from_unit_images(
    images: np.ndarray, image: ImageSpec, out: np.ndarray | None = None
) -> np.ndarray:
    """The inverse of :func:`to_unit_images`: back to flattened rows in the declared form
    (written into ``out``, N × size float32, when given).

    Example:
        >>> spec = ImageSpec(layout="HW", shape=[8, 8], range=[0, 16])
        >>> from_unit_images(np.full((1, 8, 8, 1), 0.5, np.float32), spec)[0, :2].tolist()
        [8.0, 8.0]
    """
    low, high = image.range
    if image.layout == "HW":
        images = images[..., 0]
    elif image.layout == "CHW":
        images = images.transpose(0, 3, 1, 2)
    flat = np.clip(images, 0.0, 1.0).reshape(len(images), -1)
    target = np.empty(flat.shape, np.float32) if out is None else out
    if low == 0 and float(np.float32(high)) == high and flat.dtype == np.float32:
        # x·high is exact in float64 (24 + 24 bits), so one float32 product rounds alike
        np.multiply(flat, np.float32(high), out=target)
    else:
        wide = flat.astype(np.float64)
        wide *= high - low
        wide += low
        target[...] = wide
    return target


def corrupted_matrix(
    matrix: np.ndarray,
    image: ImageSpec,
    owner: str,
    columns: slice,
    corrupt: Callable[[np.ndarray, slice], np.ndarray],
    *,
    parallel: bool = True,
) -> np.ndarray:
    """``matrix`` with its image columns replaced by ``corrupt(unit_images, rows)``, a block
    of images at a time (on all cores unless not ``parallel``: each block depends on its own
    examples alone)."""
    from assay.metrics.rowwise import map_on_cores

    out = np.array(matrix, dtype=np.float32, copy=True)
    step = min(IMAGES_PER_BLOCK, BLOCK_ROWS)

    def one_block(rows: slice) -> None:
        unit = to_unit_images(matrix[rows, columns], image, owner)
        from_unit_images(corrupt(unit, rows), image, out=out[rows, columns])

    blocks = [slice(s, s + step) for s in range(0, len(matrix), step)]
    map_on_cores(one_block, blocks, n_jobs=None if parallel else 1)
    return out
