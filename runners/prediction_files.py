"""Reading files of precomputed predictions into Arrow, and their value columns into
N × C float32 matrices (the ``predictions`` model type's input side)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from assay.errors import InvalidInputError

FORMATS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".json": "json",
    ".jsonl": "json",
}


def read_prediction_file(path: Path, format: str | None, id_column: str) -> pa.Table:
    """A predictions file as an Arrow table; ids of a CSV stay text as written.

    CSV cells of list values are read as JSON (``"[0.1, 0.9]"``); JSON files are JSON lines
    (one object per line) or one JSON array of objects.
    """
    chosen = format or FORMATS.get(path.suffix.lower())
    if chosen is None:
        raise InvalidInputError(
            f"cannot tell the format from {path.suffix!r}; set params.format (parquet, csv or json)"
        )
    if chosen == "parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path)
    if chosen == "csv":
        import pyarrow.csv as pacsv

        options = pacsv.ConvertOptions(column_types={id_column: pa.string()})
        return _lists_from_json(pacsv.read_csv(path, convert_options=options))
    return _read_json(path)


def _read_json(path: Path) -> pa.Table:
    with path.open("rb") as handle:
        first = handle.read(1).lstrip()
        while first in (b" ", b"\n", b"\r", b"\t"):
            first = handle.read(1)
    if first == b"[":
        return pa.Table.from_pylist(json.loads(path.read_text(encoding="utf-8")))
    import pyarrow.json as pajson

    return pajson.read_json(path)


def _lists_from_json(table: pa.Table) -> pa.Table:
    """CSV text cells that hold lists of numbers (``[0.2, 0.8]``) parsed into list columns,
    by Arrow's string kernels (no Python per row)."""
    for index, name in enumerate(table.column_names):
        column = table.column(name)
        if not pa.types.is_string(column.type) or len(column) == 0 or column.null_count:
            continue
        first = column[0].as_py()
        if first.lstrip().startswith("["):
            try:
                numbers = pa.chunked_array(
                    [_number_lists(chunk) for chunk in column.chunks], pa.list_(pa.float64())
                )
            except pa.ArrowInvalid as error:
                raise InvalidInputError(
                    f"column {name!r} holds text that is not a list of numbers: {error}"
                ) from None
            table = table.set_column(index, name, numbers)
    return table


def _number_lists(text: pa.StringArray) -> pa.ListArray:
    """``"[0.2, 0.8]"`` cells as lists of float64."""
    parts = pc.split_pattern(pc.utf8_trim(text, "[] "), ",")
    numbers = pc.cast(pc.utf8_trim_whitespace(parts.flatten()), pa.float64())
    return pa.ListArray.from_arrays(parts.offsets, numbers)


def value_matrix(column: pa.ChunkedArray, where: str, name: str) -> np.ndarray:
    """A list column (N lists of C numbers) or a number column (N × 1) as float32.

    Example:
        >>> value_matrix(pa.chunked_array([[[0.2, 0.8], [1.0, 0.0]]]), "f", "probs").tolist()
        [[0.20000000298023224, 0.800000011920929], [1.0, 0.0]]
    """
    kind = column.type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        if column.null_count:
            raise InvalidInputError(f"{where}: column {name!r} has missing values")
        return column.to_numpy().astype(np.float32).reshape(-1, 1)
    if not (
        pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind)
    ):
        raise InvalidInputError(
            f"{where}: column {name!r} holds {kind}, not a list of numbers per row"
        )
    if column.null_count:
        raise InvalidInputError(f"{where}: column {name!r} has missing rows")
    lengths = pc.list_value_length(column)
    width = pc.min(lengths).as_py() if len(column) else 0
    if len(column) and width != pc.max(lengths).as_py():
        raise InvalidInputError(f"{where}: rows of column {name!r} have different lengths")
    flat = (
        pa.concat_arrays([chunk.flatten() for chunk in column.chunks])
        if column.num_chunks
        else pa.array([], pa.float32())
    )
    if not (pa.types.is_integer(flat.type) or pa.types.is_floating(flat.type)):
        raise InvalidInputError(f"{where}: column {name!r} holds lists of {flat.type}, not numbers")
    if flat.null_count:
        raise InvalidInputError(f"{where}: column {name!r} has missing values inside its lists")
    return flat.to_numpy().astype(np.float32).reshape(len(column), width or 0)
