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
RowSelection = slice | np.ndarray  # a range of rows, or positions (repeats allowed)
READ_BYTES = 16 << 20  # how much of a set's features a streamed read makes at once
BUFFER_ELEMENTS = 1 << 20  # the transposing buffer of ``_row_major``: 4 MB


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
    # how to make some rows alone (a set read from Arrow, and the sets derived from it row by
    # row): ``rows`` then reads just those, never the whole matrix, so a set larger than
    # memory streams through a run
    reader: Callable[[RowSelection], FeatureBlock] | None = None
    # the text columns among the non-numeric ones, where known without making the frame
    text: tuple[str, ...] | None = None
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

    @property
    def streams(self) -> bool:
        """Whether ``rows`` reads rows alone (nothing has made the whole matrix)."""
        if self.reader is None or isinstance(self.source, np.ndarray):
            return False
        with self._lock:
            return "numeric" not in self._made

    def rows(self, rows: RowSelection) -> FeatureBlock:
        """Some rows (a cell's shard, a batch; or positions), in memory: read alone where
        the block streams, else a view (a copy, for positions) of the whole matrix."""
        if self.streams:
            assert self.reader is not None
            return self.reader(rows)
        other = self.other.iloc[rows]
        if not isinstance(rows, slice):
            other = other.reset_index(drop=True)
        return replace(self, source=self.numeric[rows], other_source=other, reader=None)

    def taken(self, rows: np.ndarray) -> FeatureBlock:
        """The features of ``rows`` (positions, repeats allowed), made when first needed
        (a streaming block's taken rows stream too)."""
        reader = self.reader
        return replace(
            self,
            source=lambda: self.numeric[rows],
            other_source=lambda: self.other.iloc[rows].reset_index(drop=True),
            reader=None if reader is None else lambda chosen: reader(rows[chosen]),
        )

    def derived(
        self,
        make: Callable[[], np.ndarray],
        rows_made: Callable[[FeatureBlock, RowSelection], np.ndarray] | None = None,
    ) -> FeatureBlock:
        """The same features with the numeric matrix made by ``make`` when first needed;
        ``rows_made(block, rows)``, where given, makes some rows' matrix from this block's
        ``block`` of them (a shift that acts on each row alone), so the result streams."""
        if rows_made is None:
            return replace(self, source=make, reader=None)

        def read(rows: RowSelection) -> FeatureBlock:
            block = self.rows(rows)
            return block.with_numeric(rows_made(block, rows))

        return replace(self, source=make, reader=read)

    def chunks(self, n_rows: int, multiple: int = 1, *, share: int = 1) -> list[slice]:
        """Row ranges covering ``n_rows`` rows, each about ``READ_BYTES / share`` of float32
        matrix (a multiple of ``multiple`` rows: whole batches), for reading a streaming block.

        Example:
            >>> FeatureBlock(np.zeros((3, 1)), (("x", 1),), pd.DataFrame(), ()).chunks(3)[0]
            slice(0, 3, None)
        """
        width = max(1, sum(w for _, w in self.numeric_columns) + len(self.other_columns))
        size = max(multiple, READ_BYTES // share // (4 * width) // multiple * multiple)
        return [slice(start, min(start + size, n_rows)) for start in range(0, n_rows, size)]

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

    def text_names(self) -> list[str]:
        """The non-numeric feature columns that hold text."""
        if self.text is not None:
            return list(self.text)
        return [c for c in self.other_columns if _is_text(self.other[c])]

    def numeric_column(self, position: int, n_rows: int) -> np.ndarray:
        """One column of the ``n_rows`` × D matrix (read chunk by chunk where the block
        streams)."""
        if not self.streams:
            return self.numeric[:, position]
        parts = [self.rows(chunk).numeric[:, position] for chunk in self.chunks(n_rows)]
        return np.concatenate(parts) if parts else np.zeros(0, np.float32)

    def text_columns(self, owner: str, column: str | None) -> list[str]:
        """The feature columns of text a text transform changes: ``column``, or every one."""
        texts = self.text_names()
        if column is not None and column not in texts:
            raise InvalidInputError(
                f"{owner}: column {column!r} is not a text feature (text features: {texts})"
            )
        if not texts:
            raise InvalidInputError(f"{owner} acts on text; no feature here is text")
        return [column] if column is not None else texts

    def with_other(
        self,
        make: Callable[[], pd.DataFrame],
        rows_made: Callable[[FeatureBlock, RowSelection], pd.DataFrame] | None = None,
    ) -> FeatureBlock:
        """The same features with the non-numeric frame made by ``make`` when first needed
        (``rows_made``: some rows' frame alone, as in ``derived``)."""
        if rows_made is None:
            return replace(self, other_source=make, reader=None)

        def read(rows: RowSelection) -> FeatureBlock:
            block = self.rows(rows)
            return replace(block, other_source=rows_made(block, rows))

        return replace(self, other_source=make, reader=read)

    def with_numeric(self, numeric: np.ndarray) -> FeatureBlock:
        """The same rows with the numeric matrix replaced (after an attack)."""
        return replace(self, source=np.ascontiguousarray(numeric, dtype=np.float32), reader=None)

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


@dataclass(frozen=True)
class ArrowRows:
    """The rows of an Arrow table a dataset keeps: all, or the ``positions`` its partition
    selects. The table stays as the data layer gives it (memory-mapped for a file or Hub
    source); rows are copied out only when read.

    Example:
        >>> rows = ArrowRows(pa.table({"x": [10, 11, 12]}), np.array([0, 2]))
        >>> rows.read(slice(1, 2), ["x"]).column("x").to_pylist()
        [12]
    """

    table: pa.Table
    positions: np.ndarray | None = None

    @property
    def num_rows(self) -> int:
        return self.table.num_rows if self.positions is None else len(self.positions)

    def read(self, rows: RowSelection, columns: list[str]) -> pa.Table:
        """``columns`` of some rows (a range or positions among the kept rows)."""
        table = self.table.select(columns)
        if self.positions is None and isinstance(rows, slice) and rows.step in (None, 1):
            start, stop, _ = rows.indices(self.num_rows)
            return table.slice(start, max(0, stop - start))
        kept = np.arange(self.num_rows) if self.positions is None else self.positions
        return table.take(pa.array(kept[rows]))

    def count(self, rows: RowSelection) -> int:
        """How many rows a selection holds (a table of no columns has none to count)."""
        if isinstance(rows, slice):
            return len(range(*rows.indices(self.num_rows)))
        return len(rows)

    def column(self, name: str) -> pa.ChunkedArray:
        """One column of every kept row."""
        return self.read(slice(None), [name]).column(name)


def feature_block(source: ArrowRows | pa.Table, columns: list[str], origin: str) -> FeatureBlock:
    """Split ``columns`` of a table (or of the rows kept of one) into a float32 matrix and
    the non-numeric rest, both made when first needed, whole or some rows at a time
    (``rows()`` reads only those: the block streams). Missing values and ragged list
    columns are refused here, before any is read."""
    rows = source if isinstance(source, ArrowRows) else ArrowRows(source)
    numeric_columns: list[tuple[str, int]] = []
    other: list[str] = []
    text: list[str] = []
    for name in columns:
        column = rows.table.column(name)
        if _missing(column, rows.positions):
            raise InvalidInputError(f"{origin}: feature column {name!r} has missing values")
        first = _numeric_values(rows.read(slice(0, 1), [name]).column(name))
        if first is None:
            other.append(name)
            if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
                text.append(name)
            continue
        _check_list_lengths(column, rows.positions)
        numeric_columns.append((name, first.shape[1]))

    names = [name for name, _ in numeric_columns]

    def numeric_of(chosen: RowSelection) -> np.ndarray:
        n_rows = rows.count(chosen)
        if n_rows == 0 or not names:
            return np.zeros((n_rows, sum(w for _, w in numeric_columns)), np.float32)
        table = rows.read(chosen, names)
        parts = [_numeric_values(table.column(name)) for name in names]
        for (name, width), part in zip(numeric_columns, parts, strict=True):
            if part is None or part.shape[1] != width:
                raise InvalidInputError(
                    f"{origin}: list feature column {name!r} must have the same length in every row"
                )
        return _row_major([p for p in parts if p is not None], table.num_rows)

    def other_of(chosen: RowSelection) -> pd.DataFrame:
        index = pd.RangeIndex(rows.count(chosen))  # even with no column: rows are taken
        if not other:
            return pd.DataFrame(index=index)
        table = rows.read(chosen, other)
        return pd.DataFrame({name: table.column(name).to_pandas() for name in other}, index=index)

    def read(chosen: RowSelection) -> FeatureBlock:
        return FeatureBlock(
            numeric_of(chosen),
            tuple(numeric_columns),
            other_of(chosen),
            tuple(columns),
            text=tuple(text),
        )

    everything = slice(None)
    return FeatureBlock(
        # the copy into one matrix waits until a model or a shift needs it: a run whose
        # predictions all come from the cache never does
        source=lambda: numeric_of(everything),
        numeric_columns=tuple(numeric_columns),
        other_source=lambda: other_of(everything),
        order=tuple(columns),
        reader=read,
        text=tuple(text),
    )


def _missing(column: pa.ChunkedArray, positions: np.ndarray | None) -> bool:
    """Whether any kept row of ``column`` is missing."""
    if not column.null_count:
        return False
    if positions is None:
        return True
    return bool(pc.is_null(column).to_numpy(zero_copy_only=False)[positions].any())


def _check_list_lengths(column: pa.ChunkedArray, positions: np.ndarray | None) -> None:
    """Refuse a list column whose kept rows differ in length (their lengths alone read)."""
    kind = column.type
    if not (pa.types.is_list(kind) or pa.types.is_large_list(kind)):
        return
    lengths = pc.list_value_length(column).to_numpy(zero_copy_only=False)
    kept = lengths if positions is None else lengths[positions]
    if len(kept) and kept.min() != kept.max():
        raise InvalidInputError("list feature columns must have the same length in every row")


def _row_major(parts: list[np.ndarray], n_rows: int, block: int = 16_384) -> np.ndarray:
    """Stack N×w column blocks into one N×D float32 matrix.

    A block of rows at a time: the columns fill a reused D×block buffer (contiguous
    writes), which is transposed into the output while it is in cache. The output is the
    only sample-sized allocation (fresh pages cost more than the copying).
    """
    if len(parts) == 1 and parts[0].flags.c_contiguous:  # a list column: rows already
        return np.array(parts[0], dtype=np.float32)  # a copy: the input may be mapped memory
    width = sum(p.shape[1] for p in parts)
    matrix = np.empty((n_rows, width), dtype=np.float32)
    block = max(1, min(block, BUFFER_ELEMENTS // max(1, width)))  # a wide matrix: fewer rows
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
    if not numeric_list_type(kind):
        return None
    flat = list_values(column)
    assert flat is not None
    n_rows = len(column)
    if n_rows == 0:
        return np.zeros((0, 0), np.float32)
    return flat.to_numpy().reshape(n_rows, -1)


def numeric_list_type(kind: pa.DataType) -> bool:
    """Whether an Arrow type is a list (of fixed-size or plain lists) of numbers: an
    image, an embedding.

    Example:
        >>> numeric_list_type(pa.list_(pa.float32())), numeric_list_type(pa.list_(pa.string()))
        (True, False)
    """
    types = pa.types
    if not (types.is_list(kind) or types.is_large_list(kind) or types.is_fixed_size_list(kind)):
        return False
    kind = kind.value_type
    while types.is_list(kind) or types.is_fixed_size_list(kind):
        kind = kind.value_type
    return types.is_integer(kind) or types.is_floating(kind)


def list_values(column: pa.ChunkedArray, *, refuse_nulls: bool = False) -> pa.Array | None:
    """A list column's values with every level of lists flattened (None, with
    ``refuse_nulls``, where a level holds a missing value)."""
    flat = pa.concat_arrays([chunk.flatten() for chunk in column.chunks])
    while pa.types.is_list(flat.type) or pa.types.is_fixed_size_list(flat.type):
        if refuse_nulls and flat.null_count:
            return None
        flat = flat.flatten()
    return None if refuse_nulls and flat.null_count else flat
