"""Contamination: an evaluation set's examples found in a model's training data.

An example is an exact duplicate when its normalised row hash
(:func:`~assay.suites.row_hashing.row_hashes`, over the evaluation set's feature columns) is
a training row's, and a near duplicate when its text's word n-grams overlap a training
text's by at least the declared threshold
(:class:`~assay.suites.near_duplicates.NearDuplicateIndex`). The training data streams: one
pass of batches checks every evaluation set at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from assay.suites.features import FeatureBlock, feature_block
from assay.suites.near_duplicates import NearDuplicateIndex, signatures
from assay.suites.policy_schema import DataCheckSpec
from assay.suites.row_hashing import normalised_text, row_hashes
from assay.suites.training_data import LoadedTrainingData

EXACT, NEAR = 1, 2  # an example's contamination code (0: clean)


@dataclass(frozen=True)
class Contamination:
    """Per example of one evaluation set: 0 clean, :data:`EXACT` its inputs are in the
    training data, :data:`NEAR` its text nearly is; ``near_checked`` says whether near
    duplicates were looked for (the set has text, and the suite did not turn them off)."""

    codes: np.ndarray
    near_checked: bool

    @property
    def contaminated(self) -> np.ndarray:
        return self.codes > 0

    def merged(self, other: Contamination) -> Contamination:
        """Found in either of two training sources (exact wins over near)."""
        codes = np.where(
            (self.codes == EXACT) | (other.codes == EXACT),
            EXACT,
            np.maximum(self.codes, other.codes),
        ).astype(np.uint8)
        return Contamination(codes, self.near_checked or other.near_checked)


def text_documents(features: FeatureBlock, columns: Sequence[str] | None = None) -> pa.Array | None:
    """Each example's text to compare for near duplicates, normalised (several columns
    joined by a space): the ``columns`` it has among its text features, or without
    ``columns`` every text feature when all its features are text; None when there is none.

    Example:
        >>> block = FeatureBlock(np.zeros((1, 0)), (), pd.DataFrame({"t": ["Hi,  there!"]}), ("t",))
        >>> text_documents(block).to_pylist()
        ['hi there']
        >>> mixed = FeatureBlock(np.zeros((1, 1)), (("age", 1),), pd.DataFrame({"job": ["x"]}),
        ...                      ("age", "job"))
        >>> text_documents(mixed) is None, text_documents(mixed, ["job"]).to_pylist()
        (True, ['x'])
    """
    texts = [
        c
        for c in features.other_columns
        if pd.api.types.infer_dtype(features.other[c], skipna=False) == "string"
    ]
    if columns is not None:
        texts = [c for c in texts if c in columns]
    elif len(texts) != len(features.order):
        texts = []  # a tabular set: its strings are categories
    if not texts:
        return None
    parts = [normalised_text(features.other[c].reset_index(drop=True)) for c in texts]
    joined = parts[0].str.cat(pd.concat(parts[1:], axis=1), sep=" ") if len(parts) > 1 else parts[0]
    return pa.array(joined.to_numpy(dtype=object), pa.string())


@dataclass
class _Target:
    """One evaluation set being checked: its distinct hashes (sorted) and which were found,
    and its near-duplicate index."""

    order: tuple[str, ...]
    inverse: np.ndarray
    distinct: np.ndarray
    found: np.ndarray
    near: NearDuplicateIndex | None = field(default=None)


def contamination(
    evaluation: Sequence[tuple[FeatureBlock, np.ndarray]],
    training: LoadedTrainingData,
    spec: DataCheckSpec,
) -> list[Contamination]:
    """Each evaluation set's (features, row hashes at ``spec.precision``) contamination
    with one training source, in one pass over its rows. The training data must have every
    feature column (see ``require``).

    Example:
        >>> from pathlib import Path
        >>> from assay.suites.schema import SklearnSource, TrainingData
        >>> from assay.suites.training_data import load_training_data
        >>> iris = load_training_data(
        ...     TrainingData(source=SklearnSource(type="sklearn", loader="load_iris")), Path(".")
        ... )
        >>> rows = next(iris.batches(["sepal length (cm)", "sepal width (cm)"]))
        >>> block = feature_block(rows.slice(0, 3), rows.column_names, "eval")
        >>> moved = block.with_numeric(block.numeric + [[100.0, 0.0], [0, 0], [0, 0]])
        >>> [found] = contamination([(moved, row_hashes(moved))], iris, DataCheckSpec())
        >>> found.codes.tolist()
        [0, 1, 1]
    """
    near_spec = spec.near_duplicates
    targets = []
    for features, hashes in evaluation:
        distinct, inverse = np.unique(hashes, return_inverse=True)
        target = _Target(features.order, inverse, distinct, np.zeros(len(distinct), bool))
        if near_spec is not None:
            documents = text_documents(features, near_spec.columns)
            if documents is not None:
                target.near = NearDuplicateIndex.of(documents, near_spec)
        targets.append(target)
    orders = list(dict.fromkeys(t.order for t in targets))
    columns = list(dict.fromkeys(c for order in orders for c in order))
    for batch in training.batches(columns):
        for order in orders:
            rows = batch.select(list(order)).drop_null()  # a missing value matches nothing
            if rows.num_rows == 0:
                continue
            block = feature_block(rows, list(order), "training data")
            hashes = row_hashes(block, spec.precision)
            these = [t for t in targets if t.order == order]
            others = None  # the batch's signatures, made once for every set that needs them
            if near_spec is not None and any(t.near is not None for t in these):
                documents = text_documents(block, near_spec.columns)
                others = None if documents is None else signatures(documents, near_spec)
            for target in these:
                _mark_exact(target, hashes)
                if target.near is not None and others is not None:
                    target.near.query(others)
    return [_codes(t) for t in targets]


def _mark_exact(target: _Target, hashes: np.ndarray) -> None:
    if not len(target.distinct):
        return
    position = np.minimum(np.searchsorted(target.distinct, hashes), len(target.distinct) - 1)
    hit = target.distinct[position] == hashes
    target.found[position[hit]] = True


def _codes(target: _Target) -> Contamination:
    exact = target.found[target.inverse]
    codes = exact.astype(np.uint8) * EXACT
    if target.near is not None:
        codes[~exact & target.near.found] = NEAR
    return Contamination(codes, target.near is not None)
