"""Per-example predictions as Parquet, so any metric can be recomputed independently.

Columns: ``example_id``, ``dataset``, ``model``, ``label`` (class index into the dataset's
``classes``), ``probs`` (list of float32, one per class) and one string column per sensitive
or slice column (null where a dataset lacks it). A run with attacks assay crafted adds
``attack_queries`` (the model queries a black-box attack took for the example) and
``perturbation_size`` (its distance from the clean example, in the attack's norm), null
elsewhere. A run whose models declare training data adds ``training_data``: ``clean``,
``exact`` or ``near`` (the example found in the model's training data), null for models
that declare none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from assay.errors import InvalidInputError
from assay.prediction_columns import EFFORT_COLUMNS, FIXED_COLUMNS, TRAINING_DATA_SLICE

CONTAMINATION_NAMES = ("clean", "exact", "near")  # by contamination code 0, 1, 2


@dataclass(frozen=True)
class PredictionBlock:
    """The predictions of one model on one dataset."""

    model: str
    dataset: str
    ids: np.ndarray | pa.Array
    labels: np.ndarray
    probabilities: np.ndarray
    groups: dict[str, np.ndarray | pa.Array] = field(default_factory=dict)
    # an attacked set's N × 2 queries (NaN for a white-box attack) and perturbation sizes
    attack_statistics: np.ndarray | None = None
    # per example: 0 clean of the model's declared training data, 1 exact, 2 near duplicate
    contamination: np.ndarray | None = None


def predictions_table(blocks: Sequence[PredictionBlock]) -> pa.Table:
    """One Arrow table holding every block, in order."""
    group_columns = sorted({name for block in blocks for name in block.groups})
    clashes = sorted(set(group_columns) & set(FIXED_COLUMNS))
    if clashes:
        raise InvalidInputError(f"sensitive/slice columns may not be named {clashes}")
    effort = any(b.attack_statistics is not None for b in blocks)
    checked = any(b.contamination is not None for b in blocks)
    return pa.concat_tables([_block_table(b, group_columns, effort, checked) for b in blocks])


def _block_table(
    block: PredictionBlock, group_columns: list[str], effort: bool, checked: bool
) -> pa.Table:
    n_rows, n_classes = block.probabilities.shape
    offsets = pa.array(np.arange(0, (n_rows + 1) * n_classes, n_classes, dtype=np.int32))
    values = pa.array(block.probabilities.astype(np.float32).ravel())
    columns: dict[str, pa.Array] = {
        "example_id": _strings(block.ids),
        "dataset": _repeated(block.dataset, n_rows),
        "model": _repeated(block.model, n_rows),
        "label": pa.array(block.labels.astype(np.int32)),
        "probs": pa.ListArray.from_arrays(offsets, values),
    }
    for name in group_columns:
        present = block.groups.get(name)
        columns[name] = _strings(present) if present is not None else pa.nulls(n_rows, pa.string())
    for index, name in enumerate(EFFORT_COLUMNS if effort else ()):
        found = block.attack_statistics
        columns[name] = (
            pa.nulls(n_rows, pa.float64())
            if found is None
            else pa.array(found[:, index], pa.float64(), from_pandas=True)  # NaN -> null
        )
    if checked:
        codes = block.contamination
        columns[TRAINING_DATA_SLICE] = (
            pa.nulls(n_rows, pa.string())
            if codes is None
            else pa.DictionaryArray.from_arrays(
                pa.array(codes.astype(np.int8)), pa.array(CONTAMINATION_NAMES)
            ).cast(pa.string())
        )
    return pa.table(columns)


def _repeated(text: str, n_rows: int) -> pa.Array:
    """``text`` n_rows times, built by Arrow (a take of index zeros is ~50x slower)."""
    return pa.repeat(pa.scalar(text, pa.string()), n_rows)


def _strings(values: np.ndarray | pa.Array) -> pa.Array:
    """A string column from Arrow strings (as is), an array of str objects (no copy into a
    fixed-width array first) or of anything else, as text."""
    if isinstance(values, pa.Array):
        return values if values.type == pa.string() else values.cast(pa.string())
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=False) == "string":
        return pa.array(values, pa.string())
    return pa.array(values.astype(str), pa.string())


def write_predictions(table: pa.Table, path: Path) -> None:
    """Parquet, zstd; dictionary-encoded except the unique ids and the probabilities (a
    dictionary of a million distinct ids is built only to be thrown away)."""
    dense = {"example_id", "probs"}
    dictionary = [name for name in table.column_names if name not in dense]
    pq.write_table(table, path, compression="zstd", use_dictionary=dictionary)


def read_predictions(path: Path) -> pa.Table:
    return pq.read_table(path)


def probabilities_of(table: pa.Table) -> np.ndarray:
    """The ``probs`` column of a (single model × dataset) table as an N×C float64 array."""
    column = table.column("probs").combine_chunks()
    if len(column) == 0:
        return np.zeros((0, 0))
    flat = column.flatten().to_numpy()
    if len(flat) % len(column):
        raise InvalidInputError("the probs column holds lists of different lengths")
    return flat.reshape(len(column), -1).astype(np.float64)


def as_table(predictions: pa.Table | pd.DataFrame) -> pa.Table:
    """Predictions as Arrow (a pandas frame of the same columns is converted)."""
    if isinstance(predictions, pa.Table):
        return predictions
    return pa.Table.from_pandas(predictions, preserve_index=False)


def read_block(predictions: pa.Table, dataset: str, model: str) -> PredictionBlock:
    """The rows of one model on one dataset as arrays, straight from Arrow.

    Example:
        >>> probs = np.array([[0.9, 0.1], [0.2, 0.8]])
        >>> sites = {"site": np.array(["x", "y"])}
        >>> block = PredictionBlock("m", "d", np.array(["a", "b"]), np.array([0, 1]), probs, sites)
        >>> back = read_block(predictions_table([block]), "d", "m")
        >>> back.ids.tolist(), back.labels.tolist(), back.groups["site"].tolist()
        (['a', 'b'], [0, 1], ['x', 'y'])
    """
    rows = predictions
    if not _only(predictions, "dataset", dataset) or not _only(predictions, "model", model):
        rows = predictions.filter(
            pc.and_(
                pc.equal(predictions["dataset"], dataset), pc.equal(predictions["model"], model)
            )
        )
    groups = {}
    for name in rows.column_names:
        if name in FIXED_COLUMNS or rows[name].null_count == len(rows):
            continue
        groups[name] = rows[name].to_numpy(zero_copy_only=False)
    statistics = None
    if "perturbation_size" in rows.column_names and rows["perturbation_size"].null_count < len(
        rows
    ):
        statistics = np.column_stack(
            [
                rows[name].to_numpy(zero_copy_only=False).astype(np.float64)
                for name in EFFORT_COLUMNS
            ]
        )
    contamination = None
    if TRAINING_DATA_SLICE in rows.column_names and rows[TRAINING_DATA_SLICE].null_count == 0:
        names = rows[TRAINING_DATA_SLICE].to_numpy(zero_copy_only=False)
        contamination = pd.Index(CONTAMINATION_NAMES).get_indexer(names).astype(np.uint8)
    return PredictionBlock(
        model=model,
        dataset=dataset,
        ids=rows["example_id"].to_numpy(zero_copy_only=False),
        labels=rows["label"].to_numpy().astype(np.int64),
        probabilities=probabilities_of(rows),
        groups=groups,
        attack_statistics=statistics,
        contamination=contamination,
    )


def _only(table: pa.Table, column: str, value: str) -> bool:
    """Whether every row of ``column`` holds ``value`` (then no filtering is needed)."""
    found = pc.unique(table[column])
    return len(found) == 1 and found[0].as_py() == value
