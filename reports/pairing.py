"""Join two models' predictions on one dataset by example id, and find the slice groups.

Works on arrays read straight from Arrow (:func:`assay.reports.predictions.read_block`):
the join is a hash lookup of ids (or nothing, when both reports list the same ids in the
same order, the usual case), and each slice column is factorised once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from assay.errors import InvalidInputError
from assay.metrics.resampling import stable_order
from assay.prediction_columns import TRAINING_DATA_SLICE
from assay.reports.predictions import PredictionBlock


@dataclass(frozen=True)
class PairedPredictions:
    """Both models' probabilities on the examples they both predicted (baseline's order)."""

    dataset: str
    ids: np.ndarray
    labels: np.ndarray
    baseline: np.ndarray
    candidate: np.ndarray
    groups: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class SliceRows:
    """The rows of one cell block: all rows (``column`` None) or one slice group."""

    column: str | None
    group: str | None
    rows: np.ndarray | None  # None: every row


def pair_blocks(baseline: PredictionBlock, candidate: PredictionBlock) -> PairedPredictions:
    """Rows predicted by both models, joined by example id, in the baseline's order.

    Example:
        >>> b = PredictionBlock("b", "d", np.array(["x", "y", "z"]), np.array([0, 1, 1]),
        ...                     np.eye(2)[[0, 1, 0]])
        >>> c = PredictionBlock("c", "d", np.array(["z", "x"]), np.array([1, 0]), np.eye(2)[[1, 1]])
        >>> paired = pair_blocks(b, c)
        >>> paired.ids.tolist(), paired.candidate[:, 1].tolist()
        (['x', 'z'], [1.0, 1.0])
    """
    dataset = baseline.dataset
    same = len(baseline.ids) == len(candidate.ids) and np.array_equal(baseline.ids, candidate.ids)
    for side in (baseline,) if same else (baseline, candidate):
        if len(pd.unique(side.ids)) != len(side.ids):
            raise InvalidInputError(
                f"dataset {dataset!r}: model {side.model!r} has repeated example ids"
            )
    if same:
        return _paired(baseline, candidate, slice(None), slice(None))
    found = pd.Index(candidate.ids, dtype=object).get_indexer(baseline.ids)
    keep = np.flatnonzero(found >= 0)
    return _paired(baseline, candidate, keep, found[keep])


def _paired(
    baseline: PredictionBlock,
    candidate: PredictionBlock,
    keep: np.ndarray | slice,
    position: np.ndarray | slice,
) -> PairedPredictions:
    """The rows ``keep`` of the baseline beside the rows ``position`` of the candidate
    (slices when both list the same ids in the same order: views, no copies)."""
    labels = baseline.labels[keep]
    if not np.array_equal(labels, candidate.labels[position]):
        raise InvalidInputError(f"dataset {baseline.dataset!r}: labels differ between the reports")
    groups = {name: values[position] for name, values in candidate.groups.items()}
    groups.update({name: values[keep] for name, values in baseline.groups.items()})
    if baseline.contamination is not None and candidate.contamination is not None:
        # the examples neither model was trained on, where some model was trained on any
        clean = (baseline.contamination[keep] == 0) & (candidate.contamination[position] == 0)
        if not clean.all():
            marked = np.full(len(clean), None, dtype=object)
            marked[clean] = "clean"
            groups[TRAINING_DATA_SLICE] = marked
    return PairedPredictions(
        dataset=baseline.dataset,
        ids=baseline.ids[keep],
        labels=labels,
        baseline=baseline.probabilities[keep],
        candidate=candidate.probabilities[position],
        groups=dict(sorted(groups.items())),
    )


def slice_rows(groups: Mapping[str, np.ndarray], min_examples: int) -> list[SliceRows]:
    """All rows first, then each group (sorted by name) of each column with at least
    ``min_examples`` rows; missing values belong to no group.

    Example:
        >>> [(s.column, s.group, None if s.rows is None else s.rows.tolist())
        ...  for s in slice_rows({"site": np.array(["b", "a", "b", None])}, 2)]
        [(None, None, None), ('site', 'b', [0, 2])]
    """
    blocks = [SliceRows(None, None, None)]
    for column, values in groups.items():
        for group, rows in group_members(values).items():
            if len(rows) >= min_examples:
                blocks.append(SliceRows(column, group, rows))
    return blocks


def group_members(values: np.ndarray) -> dict[str, np.ndarray]:
    """Row indices of each distinct (non-missing) value, keyed by its string, sorted.

    Example:
        >>> {k: v.tolist() for k, v in group_members(np.array([2, 1, 2])).items()}
        {'1': [1], '2': [0, 2]}
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    order = stable_order(codes)
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    members = {
        str(value): order[bounds[code] : bounds[code + 1]] for code, value in enumerate(uniques)
    }
    return dict(sorted(members.items()))
