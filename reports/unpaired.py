"""Unpaired comparison for datasets that differ between two reports: each side is
resampled on its own, so the interval of the delta is wider than a paired one, and cells
are marked "unpaired bootstrap"."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.special import ndtr

from assay.hashing import hash_value
from assay.metrics.resampled_sums import resampled_sums
from assay.metrics.sufficient import Decomposition, decompose
from assay.reports.comparison_types import CellComparison, ComparePolicy
from assay.reports.pairing import group_members
from assay.reports.predictions import PredictionBlock


def unpaired_cells(
    baseline: PredictionBlock,
    candidate: PredictionBlock,
    metrics: Sequence[tuple[str, dict[str, Any]]],
    policy: ComparePolicy,
) -> list[CellComparison]:
    """Cells (overall, and slice groups large enough on both sides) of one dataset."""
    cells = []
    for column, group, rows in _common_blocks(baseline, candidate, policy.min_examples):
        sides = [
            (side.labels[r], side.probabilities[r])
            for side, r in zip((baseline, candidate), rows, strict=True)
        ]
        for name, params in metrics:
            found = [decompose(name, y, p, params=params) for y, p in sides]
            if found[0] is not None and found[1] is not None:
                key = (policy.seed, baseline.dataset, str(column), str(group), name)
                cells.append(
                    _cell(baseline.dataset, name, column, group, found, sides, key, policy)
                )
    return cells


def _common_blocks(
    baseline: PredictionBlock, candidate: PredictionBlock, min_examples: int
) -> list[tuple[str | None, str | None, list[np.ndarray]]]:
    everything = [np.arange(len(baseline.labels)), np.arange(len(candidate.labels))]
    blocks: list[tuple[str | None, str | None, list[np.ndarray]]] = [(None, None, everything)]
    for column in sorted(set(baseline.groups) & set(candidate.groups)):
        members = [group_members(side.groups[column]) for side in (baseline, candidate)]
        for group in sorted(set(members[0]) & set(members[1])):
            rows = [found[group] for found in members]
            if min(len(r) for r in rows) >= min_examples:
                blocks.append((column, group, rows))
    return blocks


def _cell(
    dataset: str,
    metric: str,
    column: str | None,
    group: str | None,
    found: list[Decomposition | None],
    sides: list[tuple[np.ndarray, np.ndarray]],
    key: tuple[object, ...],
    policy: ComparePolicy,
) -> CellComparison:
    values, draws = [], []
    for side, (decomposition, (labels, _)) in enumerate(zip(found, sides, strict=True)):
        assert decomposition is not None
        seed = int(hash_value([*map(str, key), side])[:12], 16)
        (sums,) = resampled_sums([decomposition.statistics], labels, policy.n_resamples, seed)
        values.append(float(decomposition.value()[0]))
        draws.append(decomposition.finish(sums)[:, 0])
    delta_draws, delta = draws[1] - draws[0], values[1] - values[0]
    low, high = np.nanquantile(delta_draws, [policy.alpha / 2, 1 - policy.alpha / 2])
    spread = float(np.nanstd(delta_draws, ddof=1))
    p_value = float(2 * ndtr(-abs(delta) / spread)) if spread > 0 else float(delta == 0)
    return CellComparison(
        dataset=dataset,
        metric=metric,
        slice=column,
        group=group,
        n=min(len(labels) for labels, _ in sides),
        baseline=values[0],
        candidate=values[1],
        delta=delta,
        ci_low=float(low),
        ci_high=float(high),
        p_value=p_value,
        method="unpaired bootstrap",
    )
