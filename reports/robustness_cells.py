"""Robustness cells of a comparison: does the candidate lose more to a shift or an attack
than the baseline did?

For each compared shifted or adversarial set that pairs with a compared clean set by id
(derived ``from`` it, or a sourced set with ``pairs_with``), the accuracy drop and the
relative robustness, and for adversarial sets the attack success rate, are one paired
decomposition over its examples: resampling an example resamples its clean and its shifted
row in both reports at once. Sets a resampling shift drew are left out (their rows are a
new mix of the clean rows, not versions of them).

An attacked set whose predictions carry each example's effort (``perturbation_size``,
``attack_queries``) also gets ``median_perturbation`` and ``median_queries`` cells: the
median over the examples the attack flipped, on each side, compared with a bootstrap over
the set's example ids (each resample takes the same ids from both reports, and each side's
median is over its own flipped examples among them).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from assay.example_ids import unversioned
from assay.hashing import seed_from
from assay.metrics.robustness import (
    MEDIAN_PERTURBATION,
    MEDIAN_QUERIES,
    paired_decomposition,
)
from assay.metrics.top_class import predicted_classes
from assay.reports.comparison_types import CellComparison, CellMetric, ComparePolicy
from assay.reports.paired_cells import BlockData, bootstrap_test, compare_block, paired_metric
from assay.reports.pairing import PairedPredictions, SliceRows
from assay.reports.predictions import PredictionBlock
from assay.reports.schema import Report


def robustness_partners(candidate: Report, compared: Sequence[str]) -> dict[str, str]:
    """Each compared set that pairs by id with a compared clean set → that clean set."""
    names = set(compared)
    found = {}
    for record in candidate.datasets:
        partner = record.derived_from or record.pairs_with
        if (
            record.name in names
            and partner in names
            and record.kind in ("shifted", "adversarial")
            and record.effective_size is None  # not a resampled mix
        ):
            assert partner is not None
            found[record.name] = partner
    return found


def effort_in_pair_order(
    sides: Sequence[PredictionBlock], pair: PairedPredictions
) -> tuple[np.ndarray, np.ndarray] | None:
    """Both sides' attack statistics in the pair's row order (None unless both have them)."""
    found = [side.attack_statistics for side in sides]
    if found[0] is None or found[1] is None:
        return None
    index = [pd.Index(side.ids).get_indexer(pair.ids) for side in sides]
    return found[0][index[0]], found[1][index[1]]


def robustness_cells(
    clean: PairedPredictions,
    derived: PairedPredictions,
    attacked: bool,
    policy: ComparePolicy,
    effort: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[CellComparison]:
    """Accuracy drop, relative robustness and (``attacked``) attack success rate of the
    derived set, candidate against baseline, over the examples whose clean row both
    reports hold; with ``effort`` (each side's N × 2 queries and sizes, in ``derived``'s
    rows), the median effort cells too.

    Example:
        >>> y = np.array([0, 1, 0, 1])
        >>> right, wrong = np.eye(2)[y], np.eye(2)[1 - y]
        >>> clean = PairedPredictions("c", np.array(["a", "b", "c", "d"]), y, right, right)
        >>> attacked = PairedPredictions("x", np.array(["a", "b", "c", "d"]), y,
        ...                              right, np.vstack([wrong[:2], right[2:]]))
        >>> cells = robustness_cells(clean, attacked, True, ComparePolicy(n_resamples=200))
        >>> [(c.metric, c.baseline, c.candidate) for c in cells][0]
        ('accuracy_drop', 0.0, 0.5)
    """
    rows = pd.Index(clean.ids).get_indexer(unversioned(derived.ids))
    kept = np.flatnonzero(rows >= 0)
    rows = rows[kept]
    labels = derived.labels[kept]
    sides, flipped = [], []
    for side in ("baseline", "candidate"):
        clean_right = predicted_classes(getattr(clean, side)[rows]) == clean.labels[rows]
        derived_right = predicted_classes(getattr(derived, side)[kept]) == labels
        sides.append(paired_decomposition(clean_right, derived_right, attacked=attacked))
        flipped.append(clean_right & ~derived_right)
    measures = [CellMetric.robustness(name) for name in sides[0].outputs]
    data = BlockData(labels, derived.baseline[kept], derived.candidate[kept])
    block = SliceRows(None, None, None)
    pair = PairedPredictions(
        derived.dataset, derived.ids[kept], labels, data.baseline, data.candidate
    )
    metric = paired_metric(measures, sides[0], sides[1])
    cells = compare_block(pair, block, data, [metric], policy)[0]
    if effort is not None:
        kept_effort = (effort[0][kept], effort[1][kept])
        cells += _effort_cells(pair, kept_effort, (flipped[0], flipped[1]), policy)
    return cells


def _effort_cells(
    pair: PairedPredictions,
    effort: tuple[np.ndarray, np.ndarray],
    flipped: tuple[np.ndarray, np.ndarray],
    policy: ComparePolicy,
) -> list[CellComparison]:
    """Median perturbation and queries over each side's flipped examples, candidate
    against baseline, with a bootstrap over example ids (the same ids on both sides; one
    resample of ids at a time, for both measures)."""
    measured = [
        (column, name)
        for column, name in ((1, MEDIAN_PERTURBATION.name), (0, MEDIAN_QUERIES.name))
        # each side flipped something, and (queries) its attack counts them (black-box)
        if all(
            f.any() and not np.isnan(s[f, column]).any()
            for s, f in zip(effort, flipped, strict=True)
        )
    ]
    if not measured:
        return []
    n = len(pair.ids)
    rng = np.random.default_rng(seed_from(policy.seed, pair.dataset, "effort"))
    replicates = np.empty((policy.n_resamples, len(measured)))
    for draw in range(policy.n_resamples):
        rows = rng.integers(0, n, n)
        for at, (column, _) in enumerate(measured):
            replicates[draw, at] = _median_delta(effort, flipped, column, rows)
    cells = []
    for at, (column, name) in enumerate(measured):
        medians = [float(np.median(s[f, column])) for s, f in zip(effort, flipped, strict=True)]
        delta = medians[1] - medians[0]
        tested = bootstrap_test(delta, replicates[:, at], policy.alpha)
        cells.append(
            CellComparison(
                dataset=pair.dataset,
                metric=name,
                slice=None,
                group=None,
                n=n,
                baseline=medians[0],
                candidate=medians[1],
                delta=delta,
                ci_low=tested.low,
                ci_high=tested.high,
                p_value=tested.p_value,
                method="paired bootstrap of medians over flipped examples",
                standard_error=tested.standard_error,
                measure=CellMetric.robustness(name),
            )
        )
    return cells


def _median_delta(
    effort: tuple[np.ndarray, np.ndarray],
    flipped: tuple[np.ndarray, np.ndarray],
    column: int,
    rows: np.ndarray,
) -> float:
    """Candidate minus baseline median over the flipped examples among ``rows`` (NaN when
    a side has none there)."""
    found = []
    for statistics, flips in zip(effort, flipped, strict=True):
        taken = statistics[rows[flips[rows]], column]
        found.append(float(np.median(taken)) if len(taken) else np.nan)
    return found[1] - found[0]
