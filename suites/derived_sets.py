"""Sets derived ``from`` a loaded parent: shifted (features changed, or rows redrawn) and
adversarial (crafted later, per model). A shift runs when the features are first needed, so
a run served from the prediction cache never computes it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from assay.errors import InvalidInputError
from assay.hashing import hash_value
from assay.suites.attacks import ATTACKS
from assay.suites.data import GroupEncodings, LoadedDataset
from assay.suites.features import FeatureBlock, RowSelection
from assay.suites.images import corrupted_matrix, image_columns
from assay.suites.resampling_shifts import Rows, effective_size
from assay.suites.row_chunks import RowChunks
from assay.suites.schema import DatasetSpec, Transform
from assay.suites.shifts import SHIFTS, ShiftInfo

Place = Callable[[], AbstractContextManager[None]]


def derive_dataset(
    spec: DatasetSpec,
    parent: LoadedDataset,
    seed: int,
    *,
    place: Place = nullcontext,
) -> LoadedDataset:
    """A shifted or adversarial set made ``from`` a loaded parent. Ids are kept; a
    resampling shift keeps those of the rows it draws (``#2``… on repeats). A feature
    shift runs when the features are first needed (inside ``place()``, which names the
    dataset in any error): predictions served from the cache never need it."""
    transform = spec.transform
    assert transform is not None
    fingerprint = hash_value(
        {"parent": parent.fingerprint, "transform": transform.model_dump(), "seed": seed}
    )
    derived = replace(
        parent,
        name=spec.name,
        kind=spec.kind,
        fingerprint=fingerprint,
        derived_from=parent.name,
        transform=transform,
    )
    if spec.attack is not None:
        attack = ATTACKS.get(spec.attack.name)
        if attack.column_kinds == {"text"}:
            attacked_text_column(parent.features, attack.name, spec.attack.params)
        elif not (attack.embeddings and parent.features.other_columns):
            # text columns are attacked through a text model's embeddings (checked per model)
            parent.features.check_acted_on(f"attack {attack.name!r}", attack.column_kinds)
    if spec.shift is None:
        return derived
    shift = SHIFTS.get(spec.shift.name)
    if shift.resamples:
        return _resampled(derived, parent, shift, spec.shift, seed)
    if shift.column_kinds == {"text"}:
        return replace(derived, features=_text_shifted(parent, shift, spec.shift, seed, place))
    if shift.column_kinds == {"image"}:
        return replace(derived, features=_image_shifted(parent, shift, spec.shift, seed, place))
    params = _column_positions(shift, spec.shift.params, parent.features)
    if "columns" not in shift.column_params or params.get("columns") is None:
        parent.features.check_acted_on(f"shift {shift.name!r}", shift.column_kinds)

    def shifted() -> np.ndarray:
        with place():
            return shift.function(
                parent.features.numeric, example_keys=parent.keys, seed=seed, **params
            )

    features = parent.features
    measured = _measured_once(
        shift,
        params,
        lambda: RowChunks(
            lambda rows: features.rows(rows).numeric, features.chunks(len(parent.keys))
        ),
        place,
    )

    def rows_shifted(block: FeatureBlock, rows: RowSelection) -> np.ndarray:
        with place():
            return shift.function(
                block.numeric,
                example_keys=parent.keys[rows],
                seed=seed,
                measured=measured(),
                **params,
            )

    made = rows_shifted if shift.streams else None
    return replace(derived, features=features.derived(shifted, made))


def _measured_once(
    shift: ShiftInfo, params: Mapping[str, Any], rows: Callable[[], RowChunks], place: Place
) -> Callable[[], Any]:
    """What ``shift.measure`` finds over the whole set (None for a row-local shift), found
    on the first call (a pass or two over chunks of rows) and kept."""
    found: list[Any] = []
    lock = threading.Lock()

    def measured() -> Any:
        if shift.measure is None:
            return None
        with lock:
            if not found:
                with place():
                    found.append(shift.measure(rows(), **params))
            return found[0]

    return measured


def attacked_text_column(features: FeatureBlock, attack: str, params: Mapping[str, Any]) -> str:
    """The text column a text attack edits: its ``column`` param, or the only text feature.

    Example:
        >>> import pandas as pd
        >>> block = FeatureBlock(np.zeros((1, 0)), (), pd.DataFrame({"t": ["a b"]}), ("t",))
        >>> attacked_text_column(block, "deep_word_bug", {})
        't'
    """
    owner = f"attack {attack!r}"
    columns = features.text_columns(owner, params.get("column"))
    if len(columns) > 1:
        raise InvalidInputError(
            f"{owner} edits one text column; name it with the 'column' param (text features: "
            f"{columns})"
        )
    return columns[0]


def worst_case_dataset(
    name: str, parent: LoadedDataset, attacked: Sequence[LoadedDataset]
) -> LoadedDataset:
    """The set whose predictions are, per example, the worst of ``attacked`` (the runner
    picks them; no attack runs): the parent's rows under a fingerprint of its parts."""
    parts = [d.fingerprint for d in attacked]
    return replace(
        parent,
        name=name,
        kind="adversarial",
        fingerprint=hash_value({"parent": parent.fingerprint, "worst_of": parts}),
        derived_from=parent.name,
        transform=None,
        worst_of=tuple(d.name for d in attacked),
    )


def _text_shifted(
    parent: LoadedDataset,
    shift: ShiftInfo,
    transform: Transform,
    seed: int,
    place: Place,
) -> FeatureBlock:
    """The parent's features with the shift applied to its text columns (each column with
    its own per-example seeds), made when first needed."""
    params = dict(transform.params)
    columns = parent.features.text_columns(f"shift {shift.name!r}", params.get("column"))

    features = parent.features
    chunks = features.chunks(len(parent.keys))
    measured = {
        column: _measured_once(
            shift,
            params,
            lambda column=column: RowChunks(  # type: ignore[misc]
                lambda rows: features.rows(rows).other[column].to_numpy(dtype=object), chunks
            ),
            place,
        )
        for column in columns
    }

    def shifted_frame(frame: pd.DataFrame, keys: np.ndarray, whole: bool) -> pd.DataFrame:
        with place():
            frame = frame.copy()
            for column in columns:
                column_keys = keys ^ np.uint64(int(hash_value(column)[:15], 16))
                frame[column] = shift.function(
                    frame[column].to_numpy(dtype=object),
                    example_keys=column_keys,
                    seed=seed,
                    measured=None if whole else measured[column](),
                    **params,
                )
            return frame

    def rows_shifted(block: FeatureBlock, rows: RowSelection) -> pd.DataFrame:
        return shifted_frame(block.other, parent.keys[rows], whole=False)

    return features.with_other(
        lambda: shifted_frame(features.other, parent.keys, whole=True),
        rows_shifted if shift.streams else None,
    )


def _image_shifted(
    parent: LoadedDataset,
    shift: ShiftInfo,
    transform: Transform,
    seed: int,
    place: Place,
) -> FeatureBlock:
    """The parent's features with its images (as its ``image:`` block declares) corrupted,
    made when first needed."""
    owner = f"shift {shift.name!r}"
    if parent.image is None:
        raise InvalidInputError(
            f"{owner} corrupts images; declare where they are with 'image' on dataset "
            f"{parent.name!r} (e.g. image: {{layout: HW, shape: [28, 28], range: [0, 255]}})"
        )
    image = parent.image
    columns = image_columns(parent.features, image, f"dataset {parent.name!r}")
    params = dict(transform.params)

    def corrupted(matrix: np.ndarray, keys: np.ndarray) -> np.ndarray:
        with place():
            return corrupted_matrix(
                matrix,
                image,
                f"dataset {parent.name!r}",
                columns,
                lambda images, rows: shift.function(
                    images, example_keys=keys[rows], seed=seed, **params
                ),
                parallel=shift.parallel,
            )

    def rows_corrupted(block: FeatureBlock, rows: RowSelection) -> np.ndarray:
        return corrupted(block.numeric, parent.keys[rows])

    return parent.features.derived(
        lambda: corrupted(parent.features.numeric, parent.keys),
        rows_corrupted if shift.row_local else None,
    )


def _column_positions(
    shift: ShiftInfo, params: Mapping[str, Any], features: FeatureBlock
) -> dict[str, Any]:
    """``params`` with the columns named by the shift's column parameters replaced by their
    positions in the numeric matrix (a list column's every position)."""
    resolved = dict(params)
    offsets = features.matrix_positions()
    for key in shift.column_params:
        value = params.get(key)
        if value is None:
            continue
        positions: list[int] = []
        for name in [value] if isinstance(value, str) else value:
            if name not in offsets:
                raise InvalidInputError(
                    f"shift {shift.name!r}: {key} {name!r} is not a numeric feature "
                    f"(numeric features: {list(offsets)})"
                )
            positions += list(offsets[name])
        resolved[key] = positions
    return resolved


def _resampled(
    derived: LoadedDataset, parent: LoadedDataset, shift: ShiftInfo, transform: Transform, seed: int
) -> LoadedDataset:
    """``parent``'s rows as the resampling shift draws them: labels, groups and features
    taken, ids kept with a copy number on repeats."""
    frame = parent.features
    texts: dict[str, Any] = {c: a.to_numpy(zero_copy_only=False) for c, a in parent.groups.items()}
    for column in frame.other_columns:
        texts.setdefault(column, frame.other[column].to_numpy())

    def numeric(column: str) -> np.ndarray:
        positions = frame.matrix_positions().get(column, range(0))
        if len(positions) != 1:
            raise InvalidInputError(
                f"shift {shift.name!r}: column {column!r} is not a numeric feature "
                f"(numeric features: {[n for n, w in frame.numeric_columns if w == 1]})"
            )
        return frame.numeric_column(positions[0], parent.n_examples)

    rows = Rows(parent.labels, parent.classes, texts, numeric)
    picked = np.asarray(
        shift.function(rows, example_keys=parent.keys, seed=seed, **transform.params), np.int64
    )
    index = pa.array(picked)
    return replace(
        derived,
        ids=_copy_numbered(pc.take(parent.ids, index), picked),
        labels=parent.labels[picked],
        groups={c: pc.take(a, index) for c, a in parent.groups.items()},
        features=frame.taken(picked),
        encodings=GroupEncodings(),
        parent_rows=picked,
        effective_size=effective_size(picked, parent.n_examples),
    )


def _copy_numbered(ids: pa.StringArray, picked: np.ndarray) -> pa.StringArray:
    """``ids`` (of sorted ``picked`` rows) with ``#k`` on the k-th copy of a row (k ≥ 2)."""
    first = np.r_[True, picked[1:] != picked[:-1]] if len(picked) else np.zeros(0, bool)
    starts = np.maximum.accumulate(np.where(first, np.arange(len(picked)), 0))
    copies = pa.array(np.arange(len(picked)) - starts + 1)
    repeat = pc.greater(copies, 1)
    numbered_suffix = pc.binary_join_element_wise("#", pc.cast(copies, pa.string()), "")
    numbered = pc.binary_join_element_wise(ids, pc.if_else(repeat, numbered_suffix, ""), "")
    # the first copies are distinct ids, and so are the numbered ones (the text after the
    # last '#' is the copy number): a clash is a first copy that reads like a numbered one
    clashes = pc.is_in(
        pc.filter(numbered, pc.invert(repeat)), value_set=pc.filter(numbered, repeat)
    )
    if pc.any(clashes).as_py():
        clash = pc.filter(pc.filter(numbered, pc.invert(repeat)), clashes)[0].as_py()
        raise InvalidInputError(
            f"resampled ids clash: {clash!r} is both a copy number and an id of the parent"
        )
    return numbered
