"""Leakage inside a suite: examples that repeat within an evaluation set, the same input
with different labels, and examples shared by two sets the suite treats as independent.

Examples are compared by :func:`~assay.suites.row_hashing.row_hashes` of their model
inputs. Sets derived ``from`` another, and a set with ``pairs_with`` and its clean set,
share examples by design and are not compared with each other; sets with other feature
columns are not compared either (their inputs are not the same kind of thing).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
import pyarrow as pa

from assay.suites.data import LoadedDataset
from assay.suites.schema import Suite

MAX_IDS = 100  # ids listed per finding; the count is always exact


@dataclass(frozen=True)
class DataFinding:
    """One leakage check of one dataset that found something: how many of its ``n``
    examples are affected (``count``), the first :data:`MAX_IDS` of their ids, and for
    shared examples the other set."""

    dataset: str
    check: str  # duplicate_examples | label_conflicts | shared_examples
    count: int
    n: int
    ids: tuple[str, ...]
    other: str | None = None


Hashes = Callable[[LoadedDataset], np.ndarray]


def independent_sets(suite: Suite) -> list[str]:
    """The suite's sourced sets, which it treats as independent samples."""
    return [d.name for d in suite.datasets if d.source is not None]


def suite_leakage(
    suite: Suite, datasets: Mapping[str, LoadedDataset], hashes: Hashes
) -> list[DataFinding]:
    """Every finding of every check on the suite's sourced sets, in suite order."""
    names = independent_sets(suite)
    paired = {frozenset((d.name, d.pairs_with)) for d in suite.datasets if d.pairs_with is not None}
    found_hashes = {name: hashes(datasets[name]) for name in names}
    findings = [f for name in names for f in within_set(datasets[name], found_hashes[name])]
    for first, second in combinations(names, 2):
        a, b = datasets[first], datasets[second]
        if frozenset((first, second)) in paired or a.features.order != b.features.order:
            continue
        findings += shared(a, found_hashes[first], b, found_hashes[second])
    order = {name: index for index, name in enumerate(names)}
    return sorted(findings, key=lambda f: order[f.dataset])


def within_set(dataset: LoadedDataset, hashes: np.ndarray) -> list[DataFinding]:
    """Examples whose input repeats in the set, and those among them whose copies carry
    different labels (an ood set has no labels to conflict).

    Example:
        >>> import pyarrow as pa
        >>> from assay.suites.features import FeatureBlock
        >>> def made(name, ids, labels):
        ...     block = FeatureBlock(np.zeros((len(ids), 1)), (("x", 1),), pd.DataFrame(), ("x",))
        ...     return LoadedDataset(name, "in_distribution", pa.array(ids), np.array(labels),
        ...                          ("a", "b"), block, {}, (), "")
        >>> hashes = np.array([7, 7, 9], np.uint64)
        >>> found = within_set(made("d", ["p", "q", "r"], [0, 1, 1]), hashes)
        >>> [(f.check, f.count, f.ids) for f in found]
        [('duplicate_examples', 2, ('p', 'q')), ('label_conflicts', 2, ('p', 'q'))]
    """
    frame = pd.DataFrame({"hash": hashes})
    repeated = frame["hash"].duplicated(keep=False).to_numpy()
    findings = []
    if repeated.any():
        findings.append(_finding(dataset, "duplicate_examples", repeated))
        if dataset.kind != "ood" and len(dataset.labels) == len(hashes):
            frame["label"] = dataset.labels
            labels = frame[repeated].groupby("hash")["label"].nunique()
            conflicted = frame["hash"].isin(labels.index[labels > 1]).to_numpy()
            if conflicted.any():
                findings.append(_finding(dataset, "label_conflicts", conflicted))
    return findings


def shared(
    first: LoadedDataset, first_hashes: np.ndarray, second: LoadedDataset, second_hashes: np.ndarray
) -> list[DataFinding]:
    """Each set's examples whose input is also in the other set."""
    findings = []
    for this, these, other, those in (
        (first, first_hashes, second, second_hashes),
        (second, second_hashes, first, first_hashes),
    ):
        inside = np.isin(these, those)
        if inside.any():
            findings.append(_finding(this, "shared_examples", inside, other=other.name))
    return findings


def _finding(
    dataset: LoadedDataset, check: str, rows: np.ndarray, other: str | None = None
) -> DataFinding:
    count = int(np.count_nonzero(rows))
    return DataFinding(
        dataset.name, check, count, dataset.n_examples, first_ids(dataset, rows), other
    )


def first_ids(dataset: LoadedDataset, rows: np.ndarray) -> tuple[str, ...]:
    """The ids of the first :data:`MAX_IDS` examples ``rows`` (a boolean mask) selects,
    taken alone (not the whole id column)."""
    chosen = np.flatnonzero(rows)[:MAX_IDS]
    return tuple(str(i) for i in dataset.ids.take(pa.array(chosen)).to_pylist())
