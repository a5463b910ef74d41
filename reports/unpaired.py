"""Unpaired comparison for datasets that differ between two reports: each side is
resampled on its own, so the interval of the delta is wider than a paired one, and cells
are marked "unpaired bootstrap"."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from assay.hashing import seed_from
from assay.metrics.decomposition import Decomposition
from assay.metrics.registry import decompose
from assay.metrics.resampled_sums import resampled_sums
from assay.reports.comparison_types import CellComparison, CellMetric, ComparePolicy
from assay.reports.paired_cells import bootstrap_test
from assay.reports.pairing import group_members
from assay.reports.predictions import PredictionBlock


def unpaired_cells(
    baseline: PredictionBlock,
    candidate: PredictionBlock,
    metrics: Sequence[tuple[str, dict[str, Any]]],
    policy: ComparePolicy,
) -> list[CellComparison]:
    """Cells (overall, and slice groups large enough on both sides) of one dataset; each
    block and side resampled once for all metrics, blocks on a thread pool."""

    def block_cells(block: tuple[str | None, str | None, list[np.ndarray]]) -> list[CellComparison]:
        column, group, rows = block
        sides = [
            (s.labels[r], s.probabilities[r])
            for s, r in zip((baseline, candidate), rows, strict=True)
        ]
        found = {
            name: [decompose(name, y, p, params=params) for y, p in sides]
            for name, params in metrics
        }
        usable = [name for name, pair in found.items() if None not in pair]
        draws = []
        for side, (labels, _) in enumerate(sides):
            seed = seed_from(policy.seed, baseline.dataset, str(column), str(group), side)
            decompositions = [d for name in usable if (d := found[name][side]) is not None]
            sums = resampled_sums(
                [d.statistics for d in decompositions], labels, policy.n_resamples, seed
            )
            draws.append(
                [d.finish(total)[:, 0] for d, total in zip(decompositions, sums, strict=True)]
            )
        return [
            _cell(
                baseline.dataset,
                name,
                column,
                group,
                found[name],
                sides,
                (draws[0][i], draws[1][i]),
                policy,
            )
            for i, name in enumerate(usable)
        ]

    blocks = _common_blocks(baseline, candidate, policy.min_examples)
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        return [cell for found in pool.map(block_cells, blocks) for cell in found]


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
    draws: tuple[np.ndarray, np.ndarray],
    policy: ComparePolicy,
) -> CellComparison:
    values = [float(d.value()[0]) for d in found if d is not None]
    delta_draws, delta = draws[1] - draws[0], values[1] - values[0]
    tested = bootstrap_test(delta, delta_draws, policy.alpha)
    return CellComparison(
        dataset=dataset,
        metric=metric,
        slice=column,
        group=group,
        n=min(len(labels) for labels, _ in sides),
        baseline=values[0],
        candidate=values[1],
        delta=delta,
        ci_low=tested.low,
        ci_high=tested.high,
        p_value=tested.p_value,
        method="unpaired bootstrap",
        standard_error=tested.standard_error,
        measure=CellMetric.registered(metric),
    )
