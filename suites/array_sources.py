"""Array data as ``datasets.Dataset`` columns: NumPy ``.npz`` files (one array per column)
and the ``datasets`` Image feature decoded, each image becoming a fixed-size list column
that an ``image:`` block can point at."""

from __future__ import annotations

import io
from pathlib import Path

import datasets
import numpy as np
import pyarrow as pa

from assay.errors import InvalidInputError


def arrays_dataset(path: Path) -> datasets.Dataset:
    """The arrays of an ``.npz`` file as columns (never unpickled: object arrays are
    refused). 1-D arrays are plain columns; an N×… array is a list column of each row's
    values, flattened in C order.

    Example:
        >>> import tempfile
        >>> file = Path(tempfile.mkdtemp()) / "d.npz"
        >>> np.savez(file, images=np.zeros((2, 8, 8), np.uint8), labels=np.array([3, 5]))
        >>> arrays_dataset(file).column_names
        ['images', 'labels']
    """
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except ValueError as error:  # numpy's words for an object array without pickling
        raise InvalidInputError(f"{str(path)!r}: {error} (assay never unpickles data)") from None
    if not arrays:
        raise InvalidInputError(f"{str(path)!r} holds no arrays")
    rows = {name: len(a) if a.ndim else 0 for name, a in arrays.items()}
    if len(set(rows.values())) != 1 or 0 in rows.values():
        raise InvalidInputError(
            f"{str(path)!r}: every array needs the same number of rows (first axis); got {rows}"
        )
    return datasets.Dataset(pa.table({name: _column(a) for name, a in arrays.items()}))


def _column(values: np.ndarray) -> pa.Array:
    if values.ndim == 1:
        return pa.array(values)
    width = int(np.prod(values.shape[1:]))
    flat = pa.array(np.ascontiguousarray(values).reshape(-1))
    return pa.FixedSizeListArray.from_arrays(flat, width)


def decoded_images(dataset: datasets.Dataset) -> datasets.Dataset:
    """``dataset`` with every ``datasets.Image`` column decoded (Pillow) into a list column
    of pixel values, H×W or H×W×C flattened; all images of a column must share one size."""
    image_columns = [
        name for name, feature in dataset.features.items() if isinstance(feature, datasets.Image)
    ]
    if not image_columns:
        return dataset
    table = dataset.data.table
    for name in image_columns:
        pixels = _decode(name, table.column(name).to_pylist())
        table = table.set_column(table.column_names.index(name), name, _column(pixels))
    return datasets.Dataset(table)


def _decode(column: str, cells: list[dict[str, object] | None]) -> np.ndarray:
    from PIL import Image

    images = []
    for row, cell in enumerate(cells):
        if cell is None or (cell.get("bytes") is None and cell.get("path") is None):
            raise InvalidInputError(f"image column {column!r}: row {row} has no image")
        data = cell.get("bytes")
        opened = io.BytesIO(data) if isinstance(data, bytes) else str(cell["path"])
        with Image.open(opened) as image:
            images.append(np.asarray(image))
        if images[-1].shape != images[0].shape:
            raise InvalidInputError(
                f"image column {column!r}: row {row} is {images[-1].shape}, row 0 is "
                f"{images[0].shape}; resize them to one size first"
            )
    return np.stack(images)
