"""Fairness cells of a comparison: for each sensitive column (and declared intersection), the
gap, ratio and worst group of every bias metric, and the named group metrics (demographic
parity, equalized odds, worst-group accuracy...), compared like any other cell.

They are computed as the report computes them: on the rows of groups with at least the bias
section's ``min_group_size`` examples, resampled within group × class. Cells are named as the
report's results are (``accuracy_difference``, ``demographic_parity_difference``) and carry
the sensitive column as their slice, with no group.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from assay.metrics._checks import GroupCodes
from assay.metrics.groups import (
    AGGREGATES,
    by_group_decomposition,
    intersect_groups,
    named_group_metrics,
)
from assay.metrics.registry import METRICS, decompose
from assay.reports.comparison_types import CellMetric
from assay.reports.paired_cells import BlockData, PairedMetric, paired_metric
from assay.reports.pairing import PairedPredictions, SliceRows, group_members
from assay.reports.schema import Report

MetricRequest = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class FairnessPlan:
    """What the candidate report disaggregated, and how."""

    columns: list[tuple[str, list[str]]]  # cell column name, the sensitive columns it crosses
    bias_metrics: list[MetricRequest]
    named_metrics: list[MetricRequest]
    min_group_size: int


@dataclass(frozen=True)
class FairnessBlock:
    rows: SliceRows
    groups: GroupCodes
    strata: np.ndarray


def fairness_plan(report: Report, dataset: str) -> FairnessPlan:
    """The sensitive columns of ``dataset`` and the bias section of ``report``."""
    record = next(d for d in report.datasets if d.name == dataset)
    bias = report.bias or {}
    columns = [(c, [c]) for c in record.sensitive]
    for crossed in bias.get("intersections", []):
        if all(c in record.sensitive for c in crossed):
            columns.append((" & ".join(crossed), list(crossed)))
    default_bias = [{"name": "accuracy"}, {"name": "ece"}]
    named = [
        (m["name"], m.get("params") or {})
        for m in report.metrics
        if m["name"] in METRICS and _named_group_metric(m["name"])
    ] or [(name, {}) for name in named_group_metrics()]
    return FairnessPlan(
        columns=columns,
        bias_metrics=[
            (m["name"], m.get("params") or {}) for m in bias.get("metrics", default_bias)
        ],
        named_metrics=named,
        min_group_size=int(bias.get("min_group_size", 30)),
    )


def _named_group_metric(name: str) -> bool:
    info = METRICS.get(name)
    return info.needs_groups and not info.per_group


def fairness_blocks(pair: PairedPredictions, plan: FairnessPlan) -> list[FairnessBlock]:
    """One block per sensitive column with at least two groups large enough to score."""
    blocks = []
    for name, sources in plan.columns:
        if not all(source in pair.groups for source in sources):
            continue
        members = group_members(_crossed(pair.groups, sources))
        scored = {g: r for g, r in members.items() if len(r) >= plan.min_group_size}
        if len(scored) < 2:
            continue
        codes = np.full(len(pair.labels), -1)
        for code, rows in enumerate(scored.values()):
            codes[rows] = code
        rows = np.flatnonzero(codes >= 0)
        strata = codes[rows] * (int(pair.labels.max()) + 1) + pair.labels[rows]
        blocks.append(
            FairnessBlock(
                SliceRows(name, None, rows), GroupCodes(codes[rows], list(scored)), strata
            )
        )
    return blocks


def _crossed(groups: Mapping[str, np.ndarray], sources: list[str]) -> np.ndarray:
    """The column itself, or ``sex=F & race=B`` labels (None where any part is missing)."""
    if len(sources) == 1:
        return groups[sources[0]]
    missing = np.zeros(len(groups[sources[0]]), dtype=bool)
    for source in sources:
        missing |= pd.isna(groups[source])
    labels = np.full(len(missing), None, dtype=object)
    labels[~missing] = intersect_groups({s: groups[s][~missing] for s in sources})
    return labels


def fairness_metrics(plan: FairnessPlan, data: BlockData, groups: GroupCodes) -> list[PairedMetric]:
    """Paired gap/ratio/worst-group decompositions and named group metrics of one block."""
    found = []
    count = len(groups.names)
    for name, params in plan.bias_metrics:
        sides = [
            by_group_decomposition(
                name,
                data.labels,
                probs,
                codes=groups.codes,
                names=groups.names,
                scored=range(count),
                params=params,
            )
            for probs in (data.baseline, data.candidate)
        ]
        if sides[0] is not None and sides[1] is not None:
            measures = [CellMetric.aggregate(name, aggregate) for aggregate in AGGREGATES]
            columns = range(count, count + len(AGGREGATES))
            found.append(paired_metric(measures, sides[0], sides[1], columns))
    for name, params in plan.named_metrics:
        base, cand = (
            decompose(name, data.labels, probs, sensitive_features=groups, params=params)
            for probs in (data.baseline, data.candidate)
        )
        if base is not None and cand is not None and len(base.outputs) == 1:
            found.append(paired_metric([name], base, cand))
    return found
