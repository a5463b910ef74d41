"""Robustness cells of a comparison: does the candidate lose more to a shift or an attack
than the baseline did?

For each compared shifted or adversarial set that pairs with a compared clean set by id
(derived ``from`` it, or a sourced set with ``pairs_with``), the accuracy drop and the
relative robustness, and for adversarial sets the attack success rate, are one paired
decomposition over its examples: resampling an example resamples its clean and its shifted
row in both reports at once. Sets a resampling shift drew are left out (their rows are a
new mix of the clean rows, not versions of them).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from assay.metrics.robustness import ROBUSTNESS_MEASURES, paired_decomposition
from assay.metrics.top_class import predicted_classes
from assay.reports.comparison_types import CellComparison, CellMetric, ComparePolicy
from assay.reports.paired_cells import BlockData, compare_block, paired_metric
from assay.reports.pairing import PairedPredictions, SliceRows
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


def robustness_cells(
    clean: PairedPredictions, derived: PairedPredictions, attacked: bool, policy: ComparePolicy
) -> list[CellComparison]:
    """Accuracy drop, relative robustness and (``attacked``) attack success rate of the
    derived set, candidate against baseline, over the examples whose clean row both
    reports hold.

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
    versions = pd.Series(derived.ids).str.replace(r"#\d+$", "", regex=True)
    rows = pd.Index(clean.ids).get_indexer(versions)
    kept = np.flatnonzero(rows >= 0)
    rows = rows[kept]
    labels = derived.labels[kept]
    sides = []
    for side in ("baseline", "candidate"):
        clean_right = predicted_classes(getattr(clean, side)[rows]) == clean.labels[rows]
        derived_right = predicted_classes(getattr(derived, side)[kept]) == labels
        sides.append(paired_decomposition(clean_right, derived_right, attacked=attacked))
    measures = [
        CellMetric(name, ROBUSTNESS_MEASURES.get(name).higher_is_better)
        for name in sides[0].outputs
    ]
    data = BlockData(labels, derived.baseline[kept], derived.candidate[kept])
    block = SliceRows(None, None, None)
    pair = PairedPredictions(
        derived.dataset, derived.ids[kept], labels, data.baseline, data.candidate
    )
    metric = paired_metric(measures, sides[0], sides[1])
    return compare_block(pair, block, data, [metric], policy)[0]
