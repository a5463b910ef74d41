"""Datasets ready to evaluate: ids, encoded labels, groups and features of one suite entry."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cached_property, partial
from pathlib import Path

import datasets
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from assay.errors import ConfigError, InvalidInputError, located
from assay.example_ids import unversioned
from assay.hashing import hash_frame, hash_frames, hash_ids, hash_value
from assay.metrics import GroupCodes
from assay.suites.features import (
    ArrowRows,
    FeatureBlock,
    feature_block,
    list_values,
    numeric_list_type,
)
from assay.suites.file_state import FingerprintCache
from assay.suites.row_hashing import matrix_row_hashes
from assay.suites.schema import DatasetSpec, FileSource, HubSource, ImageSpec, Suite, Transform
from assay.suites.source_metadata import SourceMetadata, hub_metadata
from assay.suites.sources import load_source, resolve_path, selected_rows

FINGERPRINT_BYTES = 16 << 20  # how much of a source the fingerprint converts at once


class GroupEncodings:
    """Group columns factorised on first use, by column name (thread-safe).

    Example:
        >>> encodings = GroupEncodings()
        >>> encodings.of("site", pa.array(["b", "a", "b"])).codes.tolist()
        [1, 0, 1]
    """

    def __init__(self) -> None:
        self._codes: dict[str, GroupCodes] = {}
        self._lock = threading.Lock()

    def of(self, column: str, values: pa.Array) -> GroupCodes:
        with self._lock:
            if column not in self._codes:
                self._codes[column] = _arrow_group_codes(values)
            return self._codes[column]


def _arrow_group_codes(values: pa.Array) -> GroupCodes:
    """What ``group_codes`` gives for these strings, by Arrow's hash encoding: only the
    distinct values become Python strings (sorted as ``encode_groups`` sorts them)."""
    encoded = pc.dictionary_encode(values)
    distinct = np.asarray(encoded.dictionary.to_pylist(), dtype=str)
    names, rank = np.unique(distinct, return_inverse=True)
    codes = rank.reshape(-1)[encoded.indices.to_numpy(zero_copy_only=False)]
    return GroupCodes(codes.astype(np.int64), [str(name) for name in names])


@dataclass(frozen=True)
class LoadedDataset:
    """One dataset of a suite, loaded and checked; shifted sets carry shifted features.

    Adversarial sets carry their clean features and the attack: the runner crafts the
    examples against each model.
    """

    name: str
    kind: str
    ids: pa.StringArray  # Arrow, as read: written to the predictions file as is
    labels: np.ndarray
    classes: tuple[str, ...]
    features: FeatureBlock
    groups: dict[str, pa.StringArray]  # slice and sensitive columns as text, Arrow as read
    sensitive: tuple[str, ...]
    fingerprint: str
    derived_from: str | None = None
    transform: Transform | None = None
    # a resampled set: the parent's row behind each of its rows, and Kish's effective size
    parent_rows: np.ndarray | None = field(default=None, compare=False, repr=False)
    effective_size: float | None = None
    worst_of: tuple[str, ...] = ()  # a worst case over these attacked sets (no inference)
    # a sourced set paired by id with a clean one: that set, and its row behind each row
    pairs_with: str | None = None
    paired_rows: np.ndarray | None = field(default=None, compare=False, repr=False)
    reference: str | None = None  # ood sets: the in-distribution set they are told from
    image: ImageSpec | None = None  # where the images are, for image corruptions
    # what a Hub source says of itself (commit, license, citation...); derived sets keep it
    metadata: SourceMetadata | None = None
    # encodings of the group columns, made on first use; shared with the shifted and
    # attacked sets derived from this one (they carry the same group columns)
    encodings: GroupEncodings = field(default_factory=GroupEncodings, compare=False, repr=False)

    def group_codes(self, column: str) -> GroupCodes:
        """A group column factorised (once per dataset and the sets derived from it)."""
        return self.encodings.of(column, self.groups[column])

    @property
    def n_examples(self) -> int:
        return len(self.ids)

    @cached_property
    def keys(self) -> np.ndarray:
        """A stable uint64 per example id, seeding per-example randomness (shifts); hashed
        on first use: 0.65 s per million ids that a cached run never needs."""
        return hash_ids(self.ids.to_numpy(zero_copy_only=False))


@dataclass(frozen=True)
class DataContext:
    """Where a dataset entry sits, so errors can name the file and key path."""

    suite_file: Path
    index: int
    base_dir: Path
    fingerprints: FingerprintCache | None = None  # remembers file sources' fingerprints
    require_license: bool = False  # the suite's: a Hub set's own license counts

    def error(self, message: str, key: str, value: object) -> ConfigError:
        return ConfigError(
            message, file=self.suite_file, key_path=("datasets", self.index, key), value=value
        )


def load_base_dataset(
    spec: DatasetSpec, slices: Sequence[str], context: DataContext
) -> LoadedDataset:
    """Load a dataset that has a ``source``: select rows, check columns, encode labels."""
    assert spec.source is not None
    slices = () if spec.kind == "ood" else slices
    with located(None, ("source",), f"dataset {spec.name!r}"):
        source = load_source(spec.source, context.base_dir)
    metadata = None
    if isinstance(spec.source, HubSource):
        metadata = hub_metadata(spec.source, source)
        if context.require_license and not (spec.license or metadata.license):
            raise context.error(
                "the suite sets require_license, and neither this dataset nor its Hub card "
                "declares a license (e.g. license: CC-BY-4.0)",
                "license",
                None,
            )
    kept, rows = _select_rows(source, spec)
    if kept.num_rows == 0:
        raise _no_rows(spec, source.num_rows, context)
    columns = list(kept.table.column_names)
    _require_columns(spec, slices, columns, context)
    reserved = {spec.label, spec.id, *spec.sensitive, *slices} - {None}
    feature_names = spec.features or [c for c in columns if c not in reserved]
    if not feature_names:
        raise context.error("no feature columns are left for the model", "features", columns)
    origin = f"dataset {spec.name!r}"
    with ThreadPoolExecutor(max_workers=1) as helper:
        # the content hash (Arrow's conversion and pandas' hashing release the GIL) runs
        # beside the column conversions; its errors still come after theirs
        hashed = helper.submit(
            _source_fingerprint,
            spec,
            context,
            lambda: _fingerprint(kept, spec, feature_names, slices),
            slices,
        )
        ids = _example_ids(kept, rows, spec, context)
        classes: tuple[str, ...] = ()
        if spec.label is None:  # an ood set: no labels; classes come from its reference
            labels = np.full(kept.num_rows, -1, dtype=np.int64)
        else:
            label_values = kept.column(spec.label).to_pandas()
            labels, classes = encode_labels(label_values, spec.classes, origin)
        groups = {c: _as_text(kept.column(c)) for c in (*spec.sensitive, *slices)}
        features = feature_block(kept, feature_names, origin)
        fingerprint = hashed.result()
    return LoadedDataset(
        name=spec.name,
        kind=spec.kind,
        ids=ids,
        labels=labels,
        classes=classes,
        features=features,
        groups=groups,
        sensitive=tuple(spec.sensitive),
        fingerprint=fingerprint,
        image=spec.image,
        metadata=metadata,
    )


def encode_labels(
    values: pd.Series, declared: Sequence[str | int] | None, origin: str
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Class indices for label values, and the class names in index order.

    Example:
        >>> encode_labels(pd.Series(["b", "a", "b"]), None, "d")
        (array([1, 0, 1]), ('a', 'b'))
    """
    if values.isna().any():
        raise InvalidInputError(f"{origin}: the label column has missing values")
    if declared is None:
        unique = pd.unique(values)
        ordered = sorted(unique, key=lambda v: (isinstance(v, str), v))
        classes = tuple(str(v) for v in ordered)
    else:
        classes = tuple(str(v) for v in declared)
    # labels are compared as text; only the distinct values are turned into text
    codes, distinct = pd.factorize(values, use_na_sentinel=False)
    as_text = [str(value) for value in distinct]
    lookup = {name: index for index, name in enumerate(classes)}
    unknown = sorted(set(as_text) - lookup.keys())
    if unknown:
        raise InvalidInputError(
            f"{origin}: labels {unknown[:5]} are not among the declared classes {list(classes)}"
        )
    class_of_distinct = np.array([lookup[text] for text in as_text], dtype=np.int64)
    return class_of_distinct[codes], classes


def _no_rows(spec: DatasetSpec, source_rows: int, context: DataContext) -> ConfigError:
    """The error for a dataset left empty: by its partition, or by its source itself."""
    if spec.partition is not None and source_rows:
        return context.error(
            f"dataset {spec.name!r} has no rows after the partition (the source has {source_rows})",
            "partition",
            spec.partition.model_dump(exclude_defaults=True),
        )
    assert spec.source is not None
    return context.error(f"dataset {spec.name!r} has no rows", "source", spec.source.model_dump())


def _select_rows(dataset: datasets.Dataset, spec: DatasetSpec) -> tuple[ArrowRows, np.ndarray]:
    """The selected rows (the source's table as the data layer holds it, memory-mapped for
    files and the Hub, with the positions kept) and their positions in the source (for
    stable default ids)."""
    rows = selected_rows(dataset.num_rows, spec.partition, spec.limit)
    table = dataset.with_format("arrow")[:]
    assert isinstance(table, pa.Table)
    if spec.partition is None:  # all rows, or the first ``limit``: a slice, no copy
        return ArrowRows(table.slice(0, len(rows))), rows
    return ArrowRows(table, rows), rows


def _require_columns(
    spec: DatasetSpec, slices: Sequence[str], columns: list[str], context: DataContext
) -> None:
    wanted: list[tuple[str, str | None]] = [("label", spec.label), ("id", spec.id)]
    wanted += [("features", c) for c in spec.features or []]
    wanted += [("sensitive", c) for c in spec.sensitive]
    for key, column in wanted:
        if column is not None and column not in columns:
            raise context.error(
                f"column not found in dataset {spec.name!r} (columns: {', '.join(columns)})",
                key,
                column,
            )
    for column in slices:
        if column not in columns:
            raise ConfigError(
                f"slice column not found in dataset {spec.name!r}",
                file=context.suite_file,
                key_path=("slices",),
                value=column,
            )


def _example_ids(
    kept: ArrowRows, rows: np.ndarray, spec: DatasetSpec, context: DataContext
) -> pa.StringArray:
    """The id column as Arrow strings (``row-<i>`` by source position without one); ids
    must be unique and present."""
    if spec.id is None:
        return _joined("row-", pa.array(rows).cast(pa.string()))
    column = kept.column(spec.id)
    kind = column.type
    # Arrow writes integers as Python's str does: the same ids, ~5x faster
    types = pa.types
    if (types.is_string(kind) or types.is_large_string(kind) or types.is_integer(kind)) and (
        column.null_count == 0 and pc.count_distinct(column).as_py() == len(column)
    ):
        return pc.cast(column, pa.string()).combine_chunks()
    values = _pandas_text(column)
    duplicated = pd.Series(values).duplicated()
    if duplicated.any():
        raise context.error(
            "example ids must be unique; this one repeats", "id", values[duplicated.to_numpy()][0]
        )
    return pa.array(values, pa.string())


def _as_text(column: pa.ChunkedArray) -> pa.StringArray:
    """A group column as text: string columns as they are, others as pandas then numpy
    write their values (1.0 stays "1.0"; a missing value is "nan")."""
    if (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)) and (
        column.null_count == 0
    ):
        return pc.cast(column, pa.string()).combine_chunks()
    return pa.array(_pandas_text(column), pa.string())


def _pandas_text(column: pa.ChunkedArray) -> np.ndarray:
    """Each value as pandas then numpy write it (the text ids and group names always had:
    1.0 is "1.0", a missing value "nan")."""
    return np.asarray(column.to_pandas().astype(str).to_numpy()).astype(str)


def _joined(prefix: str, text: pa.Array) -> pa.StringArray:
    """``prefix`` before every string of ``text``, in Arrow."""
    return pc.binary_join_element_wise(pa.scalar(prefix), text, "")


def _source_fingerprint(
    spec: DatasetSpec, context: DataContext, compute: Callable[[], str], slices: Sequence[str]
) -> str:
    """A file source's fingerprint from the cache of file states, else ``compute()``."""
    if context.fingerprints is None or not isinstance(spec.source, FileSource):
        return compute()
    path = resolve_path(spec.source.path, context.base_dir)
    entry = {"dataset": spec.model_dump(mode="json", exclude={"name"}), "slices": list(slices)}
    return context.fingerprints.fingerprint(path, entry, compute)


def _fingerprint(
    kept: ArrowRows, spec: DatasetSpec, feature_names: list[str], slices: Sequence[str]
) -> str:
    used = dict.fromkeys([spec.label, spec.id, *feature_names, *spec.sensitive, *slices])
    columns = [c for c in used if c is not None]
    # a few MB of the table at a time (a pandas copy of it all would be several times its
    # size); the hash is the whole frame's, unless the chunks convert to different dtypes
    # (an integer column with missing values in some of them only)
    per_row = max(1, kept.table.select(columns).nbytes // max(1, kept.table.num_rows))
    step = max(1, FINGERPRINT_BYTES // per_row)
    chunks = (
        _hashable(kept.read(slice(start, start + step), columns))
        for start in range(0, kept.num_rows, step)
    )
    content = hash_frames(chunks)
    if content is None:
        content = hash_frame(_hashable(kept.read(slice(None), columns)))
    types = {c: kept.table.schema.field(c).type for c in columns}
    lists = {c: str(kind) for c, kind in types.items() if numeric_list_type(kind)}
    return hash_value(
        {
            "content": content,
            # numeric list columns are hashed by their bytes (named here, with their type)
            **({"lists": lists} if lists else {}),
            "columns": spec.model_dump(include={"label", "id", "features", "sensitive", "classes"}),
            "slices": list(slices),
        }
    )


def _hashable(table: pa.Table) -> pd.DataFrame:
    """The table as the fingerprint hashes it: numeric list columns as one hash per row of
    their values (equal-length rows; else their text), the rest as pandas converts them."""
    frame = {}
    for name in table.column_names:
        column = table.column(name)
        values = _list_matrix(column) if numeric_list_type(column.type) else None
        frame[name] = column.to_pandas() if values is None else matrix_row_hashes(values)
    return pd.DataFrame(frame, index=pd.RangeIndex(table.num_rows))


def _list_matrix(column: pa.ChunkedArray) -> np.ndarray | None:
    """A numeric list column as an N × w matrix (its values' own dtype); None when rows
    differ in length or some are missing."""
    if column.null_count or len(column) == 0:
        return None
    flat = list_values(column, refuse_nulls=True)
    if flat is None or len(flat) % len(column):
        return None
    lengths = pc.list_value_length(column)
    if pc.min(lengths).as_py() != pc.max(lengths).as_py():
        return None
    return flat.to_numpy(zero_copy_only=False).reshape(len(column), -1)


def load_datasets(
    suite: Suite,
    suite_file: Path,
    on_dataset: Callable[[str], None] = lambda name: None,
    *,
    fingerprints: FingerprintCache | None = None,
) -> dict[str, LoadedDataset]:
    """Load every dataset of a suite, parents first; derived sets reuse their parent
    (``fingerprints``: where file sources' fingerprints are remembered per file state)."""
    # derivation builds on LoadedDataset, defined here
    from assay.suites.derived_sets import derive_dataset, worst_case_dataset

    loaded: dict[str, LoadedDataset] = {}
    for index, spec in enumerate(suite.datasets):
        if spec.source is not None:
            on_dataset(spec.name)
            entry = spec.entry(index)
            context = DataContext(
                suite_file, entry, suite_file.parent, fingerprints, suite.require_license
            )
            with located(suite_file, ("datasets", entry), f"dataset {spec.name!r}"):
                loaded[spec.name] = load_base_dataset(spec, suite.slices, context)
    for index, spec in enumerate(suite.datasets):
        if spec.from_ is not None:
            on_dataset(spec.name)
            at = ("datasets", spec.entry(index))
            with located(suite_file, at, f"dataset {spec.name!r}"):
                place = partial(located, suite_file, at, f"dataset {spec.name!r}")
                if spec.worst_of is None:
                    loaded[spec.name] = derive_dataset(
                        spec, loaded[spec.from_], suite.seed, place=place
                    )
        if spec.kind == "ood":
            reference = ood_reference(suite, spec)
            loaded[spec.name] = replace(
                loaded[spec.name], reference=reference, classes=loaded[reference].classes
            )
        if spec.pairs_with is not None:
            with located(suite_file, ("datasets", spec.entry(index)), f"dataset {spec.name!r}"):
                loaded[spec.name] = paired(loaded[spec.name], loaded[spec.pairs_with])
    for spec in suite.datasets:
        if spec.worst_of is not None and spec.from_ is not None:
            loaded[spec.name] = worst_case_dataset(
                spec.name, loaded[spec.from_], [loaded[n] for n in spec.worst_of]
            )
    return {spec.name: loaded[spec.name] for spec in suite.datasets}


def paired(dataset: LoadedDataset, clean: LoadedDataset) -> LoadedDataset:
    """``dataset`` paired by id with ``clean``: each row's clean row, found by its id less
    a ``#k`` version suffix. Refuses ids the clean set lacks and other classes.

    Example:
        >>> import pyarrow as pa
        >>> from assay.suites.features import FeatureBlock
        >>> def made(name, ids):
        ...     block = FeatureBlock(np.zeros((len(ids), 1)), (("x", 1),), pd.DataFrame(), ("x",))
        ...     return LoadedDataset(name, "adversarial", pa.array(ids), np.zeros(len(ids), int),
        ...                          ("a", "b"), block, {}, (), "")
        >>> paired(made("adv", ["r2", "r0#2", "r0"]), made("dev", ["r0", "r1", "r2"])).paired_rows
        array([2, 0, 0])
    """
    if dataset.classes != clean.classes:
        raise InvalidInputError(
            f"its classes {list(dataset.classes)} differ from those of {clean.name!r} "
            f"({list(clean.classes)}), the set it pairs with"
        )
    ids = unversioned(dataset.ids.to_numpy(zero_copy_only=False))
    rows = pd.Index(clean.ids.to_numpy(zero_copy_only=False)).get_indexer(ids)
    missing = rows < 0
    if missing.any():
        raise InvalidInputError(
            f"{int(missing.sum())} of its ids are not ids of {clean.name!r}, the set it pairs "
            f"with (first: {ids[int(np.argmax(missing))]!r})"
        )
    return replace(dataset, pairs_with=clean.name, paired_rows=rows.astype(np.int64))


def ood_reference(suite: Suite, spec: DatasetSpec) -> str:
    """The in-distribution set an ood set is compared with: declared, or the first."""
    if spec.reference is not None:
        return spec.reference
    return next(d.name for d in suite.datasets if d.kind == "in_distribution")
