"""Model inputs of a dataset: a numeric matrix (shifts and attacks act on it) plus any
non-numeric feature columns (for pipelines that take a data frame)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from assay.errors import InvalidInputError

# the kinds of feature column a shift or attack can act on: a number per example, an array
# per example (an embedding), text, or an image (an array with a declared layout)
COLUMN_KINDS = frozenset({"numeric", "array", "text", "image"})
MATRIX_KINDS = frozenset({"numeric", "array"})  # what a shift of the numeric matrix accepts


def check_column_kinds(owner: str, kinds: frozenset[str]) -> frozenset[str]:
    """Return ``kinds`` if every one is a known column kind (a registration-time check)."""
    unknown = sorted(kinds - COLUMN_KINDS)
    if unknown or not kinds:
        raise ValueError(f"{owner}: column_kinds must be some of {sorted(COLUMN_KINDS)}")
    for alone in ("text", "image"):  # these are given their own form, not the matrix
        if alone in kinds and kinds != {alone}:
            raise ValueError(f"{owner}: a transform of {alone} acts on {alone} columns alone")
    return kinds


@dataclass(frozen=True)
class FeatureBlock:
    """Features of N examples.

    ``numeric`` is N×D float32 (list columns flattened), given as the matrix or as how to
    make it (a shifted set's shift, run on first use, so a run whose predictions all come
    from the cache never computes it); ``numeric_columns`` names each numeric column and its
    width; ``other`` holds the non-numeric feature columns (text, categories), given as the
    frame or as how to make it (a text shift, also run on first use).
    """

    source: np.ndarray | Callable[[], np.ndarray]
    numeric_columns: tuple[tuple[str, int], ...]
    other_source: pd.DataFrame | Callable[[], pd.DataFrame]
    order: tuple[str, ...]
    # made once even when a prefetching thread and the runner ask at the same time
    _made: dict[str, np.ndarray] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )

    @property
    def numeric(self) -> np.ndarray:
        if isinstance(self.source, np.ndarray):
            return self.source
        with self._lock:
            if "numeric" not in self._made:  # a failed attempt is retried (and raises again)
                self._made["numeric"] = np.ascontiguousarray(self.source(), dtype=np.float32)
            return self._made["numeric"]

    @property
    def other(self) -> pd.DataFrame:
        if isinstance(self.other_source, pd.DataFrame):
            return self.other_source
        with self._lock:
            if "other" not in self._made:
                self._made["other"] = self.other_source()  # type: ignore[assignment]
            return self._made["other"]  # type: ignore[return-value]

    @property
    def other_columns(self) -> list[str]:
        """The non-numeric feature columns, without making a shifted frame."""
        return [c for c in self.order if c not in dict(self.numeric_columns)]

    def release(self) -> None:
        """Let go of a matrix made on demand (it is made again if asked for): a run frees
        every set's features once its cells are done, before scoring."""
        with self._lock:
            self._made.clear()

    def rows(self, rows: slice) -> FeatureBlock:
        """A view of some rows (a cell's shard)."""
        return replace(self, source=self.numeric[rows], other_source=self.other.iloc[rows])

    def taken(self, rows: np.ndarray) -> FeatureBlock:
        """The features of ``rows`` (positions, repeats allowed), made when first needed."""
        return replace(
            self,
            source=lambda: self.numeric[rows],
            other_source=lambda: self.other.iloc[rows].reset_index(drop=True),
        )

    def derived(self, make: Callable[[], np.ndarray]) -> FeatureBlock:
        """The same features with the numeric matrix made by ``make`` when first needed."""
        return replace(self, source=make)

    def matrix_positions(self) -> dict[str, range]:
        """Each numeric feature column's positions in the numeric matrix (a list column's
        many).

        Example:
            >>> columns = (("age", 1), ("image", 2))
            >>> FeatureBlock(np.zeros((1, 3)), columns, pd.DataFrame(), ()).matrix_positions()
            {'age': range(0, 1), 'image': range(1, 3)}
        """
        offsets: dict[str, range] = {}
        start = 0
        for name, width in self.numeric_columns:
            offsets[name] = range(start, start + width)
            start += width
        return offsets

    def matrix_kinds(self) -> dict[str, str]:
        """The kind of each column of the numeric matrix: numeric, or array (list columns).

        Example:
            >>> columns = (("age", 1), ("image", 2))
            >>> FeatureBlock(np.zeros((1, 3)), columns, pd.DataFrame(), ()).matrix_kinds()
            {'age': 'numeric', 'image': 'array'}
        """
        return {name: "numeric" if width == 1 else "array" for name, width in self.numeric_columns}

    def check_acted_on(self, owner: str, accepted: frozenset[str]) -> None:
        """Refuse a transform that does not accept the kind of every column it would change."""
        kinds = self.matrix_kinds()
        if not kinds:
            raise InvalidInputError(
                f"{owner} acts on numeric features; every feature here is non-numeric "
                f"({self.other_columns})"
            )
        for name, kind in kinds.items():
            if kind not in accepted:
                raise InvalidInputError(
                    f"{owner} acts on {' and '.join(sorted(accepted))} columns; feature "
                    f"{name!r} is an {kind} column"
                )

    def text_columns(self, owner: str, column: str | None) -> list[str]:
        """The feature columns of text a text transform changes: ``column``, or every one."""
        texts = [c for c in self.other_columns if _is_text(self.other[c])]
        if column is not None and column not in texts:
            raise InvalidInputError(
                f"{owner}: column {column!r} is not a text feature (text features: {texts})"
            )
        if not texts:
            raise InvalidInputError(f"{owner} acts on text; no feature here is text")
        return [column] if column is not None else texts

    def with_other(self, make: Callable[[], pd.DataFrame]) -> FeatureBlock:
        """The same features with the non-numeric frame made by ``make`` when first needed."""
        return replace(self, other_source=make)

    def with_numeric(self, numeric: np.ndarray) -> FeatureBlock:
        """The same features with the numeric matrix replaced (after an attack)."""
        return replace(self, source=np.ascontiguousarray(numeric, dtype=np.float32))

    def as_array(self, owner: str) -> np.ndarray:
        """The N×D float32 matrix; fails if some features are not numeric."""
        if self.other_columns:
            raise InvalidInputError(
                f"{owner} takes a numeric array, but feature columns "
                f"{self.other_columns} are not numeric; set the model's input: dataframe"
            )
        return self.numeric

    def as_frame(self, owner: str) -> pd.DataFrame:
        """All features as a data frame in their declared order."""
        wide = [name for name, width in self.numeric_columns if width != 1]
        if wide:
            raise InvalidInputError(f"{owner} takes a data frame; list columns {wide} cannot be")
        names = [name for name, _ in self.numeric_columns]
        numeric = pd.DataFrame(self.numeric, columns=names)
        return pd.concat([numeric, self.other.reset_index(drop=True)], axis=1)[list(self.order)]


def _is_text(values: pd.Series) -> bool:
    return pd.api.types.infer_dtype(values, skipna=False) == "string"


def feature_block(table: pa.Table, columns: list[str], origin: str) -> FeatureBlock:
    """Split ``columns`` of an Arrow table into a float32 matrix (made on first use) and the
    non-numeric rest."""
    parts: list[np.ndarray] = []
    numeric_columns: list[tuple[str, int]] = []
    other: dict[str, pd.Series] = {}
    for name in columns:
        column = table.column(name)
        if column.null_count:
            raise InvalidInputError(f"{origin}: feature column {name!r} has missing values")
        values = _numeric_values(column)
        if values is None:
            other[name] = column.to_pandas()
            continue
        parts.append(values)
        numeric_columns.append((name, values.shape[1]))
    n_rows = table.num_rows
    return FeatureBlock(
        # the copy into one matrix waits until a model or a shift needs it: a run whose
        # predictions all come from the cache never does
        source=lambda: _row_major(parts, n_rows),
        numeric_columns=tuple(numeric_columns),
        # the rows' index even with no column: taking rows of it must work (a resampled set)
        other_source=pd.DataFrame(other, index=pd.RangeIndex(n_rows)),
        order=tuple(columns),
    )


def _row_major(parts: list[np.ndarray], n_rows: int, block: int = 16_384) -> np.ndarray:
    """Stack N×w column blocks into one N×D float32 matrix.

    A block of rows at a time: the columns fill a reused D×block buffer (contiguous
    writes), which is transposed into the output while it is in cache. The output is the
    only sample-sized allocation (fresh pages cost more than the copying).
    """
    width = sum(p.shape[1] for p in parts)
    matrix = np.empty((n_rows, width), dtype=np.float32)
    buffer = np.empty((width, min(block, n_rows)), dtype=np.float32)
    for start in range(0, n_rows, block):
        stop = min(start + block, n_rows)
        by_feature = buffer[:, : stop - start]
        offset = 0
        for part in parts:
            by_feature[offset : offset + part.shape[1]] = part[start:stop].T
            offset += part.shape[1]
        matrix[start:stop] = by_feature.T
    return matrix


def _numeric_values(column: pa.ChunkedArray) -> np.ndarray | None:
    kind = column.type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind):
        return column.to_numpy().reshape(-1, 1)
    if pa.types.is_list(kind) or pa.types.is_fixed_size_list(kind) or pa.types.is_large_list(kind):
        lengths = pc.list_value_length(column)
        if len(column) and pc.min(lengths).as_py() != pc.max(lengths).as_py():
            raise InvalidInputError("list feature columns must have the same length in every row")
        flat = pa.concat_arrays([chunk.flatten() for chunk in column.chunks])
        while pa.types.is_list(flat.type) or pa.types.is_fixed_size_list(flat.type):
            flat = flat.flatten()
        if not (pa.types.is_integer(flat.type) or pa.types.is_floating(flat.type)):
            return None
        n_rows = len(column)
        if n_rows == 0:
            return np.zeros((0, 0), np.float32)
        return flat.to_numpy().reshape(n_rows, -1)
    return None
