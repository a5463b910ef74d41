"""Unpaired comparison for datasets that differ between two reports: each side is
resampled on its own, so the interval of the delta is wider than a paired one, and cells
are marked "unpaired bootstrap"."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import norm

from assay.metrics.sufficient import decompose
from assay.reports.comparison import CellComparison, ComparePolicy, _matrix, shared_replicates


def unpaired_cells(
    baseline: pd.DataFrame,
    candidate: pd.DataFrame,
    dataset: str,
    models: tuple[str, str],
    metrics: Sequence[str],
    policy: ComparePolicy,
) -> list[CellComparison]:
    """Cells (overall, and slice groups large enough on both sides) of one dataset."""
    sides = [
        frame[(frame.dataset == dataset) & (frame.model == model)]
        for frame, model in zip((baseline, candidate), models, strict=True)
    ]
    blocks: list[tuple[str | None, str | None]] = [(None, None)]
    fixed = {"example_id", "dataset", "model", "label", "probs"}
    for name in [c for c in sides[1].columns if c not in fixed and c in sides[0].columns]:
        for value in sorted(set(sides[0][name].dropna()) & set(sides[1][name].dropna())):
            if min(int((side[name] == value).sum()) for side in sides) >= policy.min_examples:
                blocks.append((name, str(value)))
    cells = []
    for column, group in blocks:
        rows = [side if column is None else side[side[column] == group] for side in sides]
        cells += _block(dataset, metrics, rows, column, group, policy)
    return cells


def _block(
    dataset: str,
    metrics: Sequence[str],
    rows: list[pd.DataFrame],
    column: str | None,
    group: str | None,
    policy: ComparePolicy,
) -> list[CellComparison]:
    labels = [r["label"].to_numpy().astype(np.int64) for r in rows]
    probs = [_matrix(r["probs"]) for r in rows]
    cells = []
    for metric in metrics:
        found = [decompose(metric, y, p) for y, p in zip(labels, probs, strict=True)]
        if found[0] is None or found[1] is None:
            continue
        values = [float(d.value()[0]) for d in found if d is not None]
        draws = [
            shared_replicates([d], y, policy, seed_key=(dataset, column, group, side))[0][:, 0]
            for side, (d, y) in enumerate(zip(found, labels, strict=True))
            if d is not None
        ]
        delta_draws = draws[1] - draws[0]
        delta = values[1] - values[0]
        low, high = np.nanquantile(delta_draws, [policy.alpha / 2, 1 - policy.alpha / 2])
        spread = float(np.nanstd(delta_draws, ddof=1))
        p_value = float(2 * norm.sf(abs(delta) / spread)) if spread > 0 else float(delta == 0)
        cells.append(
            CellComparison(
                dataset=dataset,
                metric=metric,
                slice=column,
                group=group,
                n=min(len(y) for y in labels),
                baseline=values[0],
                candidate=values[1],
                delta=delta,
                ci_low=float(low),
                ci_high=float(high),
                p_value=p_value,
                method="unpaired bootstrap",
            )
        )
    return cells
