"""Compare two reports example by example: paired deltas, intervals, p-values, verdicts.

Every cell (dataset × metric × slice group) present in both reports is compared on the
examples both predicted, joined by example id. The delta's interval comes from resampling
example ids jointly across both reports (one set of resamples per dataset and slice
group, :mod:`assay.reports.paired_cells`); accuracy-type metrics get an exact McNemar
p-value, the rest a Wald p-value from the paired-bootstrap standard error (continuous, so a
correction over hundreds of cells is not starved by the 1/B floor of a resampling p-value).
Holm (family-wise) or Benjamini–Hochberg (false discovery) correction runs over all tested
cells. Each shifted or adversarial set paired by id with a clean set also gets accuracy-drop,
relative-robustness and attack-success-rate cells (:mod:`assay.reports.robustness_cells`).
A regression anywhere while the headline cell holds is a *silent regression*.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, replace
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from assay.errors import InvalidInputError, UnknownNameError
from assay.metrics.registry import METRICS, decompose
from assay.reports.comparison_types import (
    CellComparison,
    CellMetric,
    Churn,
    ComparePolicy,
    Comparison,
    Verdict,
)
from assay.reports.fairness_cells import (
    FairnessBlock,
    FairnessPlan,
    fairness_blocks,
    fairness_metrics,
    fairness_plan,
)
from assay.reports.numbers import number
from assay.reports.ood_cells import ood_cell, ood_pairs
from assay.reports.paired_cells import (
    BlockData,
    PairedMetric,
    block_data,
    compare_block,
    paired_metric,
)
from assay.reports.pairing import PairedPredictions, SliceRows, pair_blocks, slice_rows
from assay.reports.power import cell_power
from assay.reports.predictions import PredictionBlock, as_table, read_block
from assay.reports.robustness_cells import (
    effort_in_pair_order,
    robustness_cells,
    robustness_partners,
)
from assay.reports.schema import Report

__all__ = ["CellComparison", "Churn", "ComparePolicy", "Comparison", "compare_reports"]


def compare_reports(
    baseline: Report,
    baseline_predictions: pa.Table | pd.DataFrame,
    candidate: Report,
    candidate_predictions: pa.Table | pd.DataFrame,
    *,
    policy: ComparePolicy | None = None,
    baseline_model: str | None = None,
    candidate_model: str | None = None,
    allow_unpaired: bool = False,
) -> Comparison:
    """Compare one model of ``candidate`` against one of ``baseline``, cell by cell.

    Datasets whose fingerprints differ cannot be paired: they are refused, or with
    ``allow_unpaired`` compared with independent resamples of each side (marked so).
    """
    from assay.reports.unpaired import unpaired_cells

    policy = policy or ComparePolicy()
    tables = (as_table(baseline_predictions), as_table(candidate_predictions))
    models = (
        _chosen_model(baseline, tables[0], baseline_model, "baseline"),
        _chosen_model(candidate, tables[1], candidate_model, "candidate"),
    )
    datasets, unpaired = _comparable_datasets(baseline, candidate, allow_unpaired)
    metrics = [(m["name"], m.get("params") or {}) for m in candidate.metrics if _comparable(m)]
    cells: list[CellComparison] = []
    churn: list[Churn] = []
    oods = ood_pairs(baseline, candidate, allow_unpaired)
    partners = robustness_partners(candidate, datasets)
    cleans: dict[str, PairedPredictions] = {}  # the clean sets' pairs, for their partners
    robust: dict[str, list[CellComparison]] = {}

    def read_pair(name: str) -> tuple[list[PredictionBlock], PairedPredictions]:
        blocks = [read_block(t, name, m) for t, m in zip(tables, models, strict=True)]
        return blocks, pair_blocks(*blocks)

    for dataset in datasets:
        if dataset in cleans:  # a clean set read already, for a partner compared before it
            pair = cleans[dataset]
        else:
            blocks, pair = read_pair(dataset)
        if dataset in partners.values():
            cleans[dataset] = pair
        if dataset in partners:  # derived or paired: never a clean set, so blocks were read
            clean = partners[dataset]
            if clean not in cleans:
                cleans[clean] = read_pair(clean)[1]
            robust[dataset] = _robustness(candidate, dataset, cleans[clean], blocks, pair, policy)
        plan = fairness_plan(candidate, dataset)
        found_cells, found_churn = _compare_dataset(pair, metrics, plan, policy)
        cells += found_cells
        churn += found_churn
        for ood_set in [name for name, reference in oods.items() if reference == dataset]:
            ood = read_pair(ood_set)[1]
            if len(ood.labels) and len(pair.labels):
                cells.append(ood_cell(pair, ood, policy))
    for dataset in partners:
        cells += robust[dataset]
    for dataset in unpaired:
        sides = [
            read_block(table, dataset, model) for table, model in zip(tables, models, strict=True)
        ]
        cells += unpaired_cells(sides[0], sides[1], metrics, policy)
    cells = _judge(cells, policy)
    headline = policy.headline or ((datasets or unpaired)[0], "accuracy")
    notes = contamination_notes(baseline, candidate, *models)
    return Comparison(
        baseline.run_id, candidate.run_id, _mark_silent(cells, headline), churn, headline, notes
    )


def contamination_notes(
    baseline: Report, candidate: Report, baseline_model: str, candidate_model: str
) -> list[str]:
    """A note per dataset whose examples the two models' declared training data holds in
    different measure (or that only one side checked): a score may differ for that.

    Example:
        >>> from assay.reports.schema import ContaminationRecord
        >>> def made(count):
        ...     found = ContaminationRecord(model="m", dataset="test", n=200, exact=count,
        ...                                 near=0, count=count, fraction=count / 200)
        ...     return Report.model_construct(contamination=[found])
        >>> candidate, baseline = contamination_notes(made(0), made(30), "m", "m")[0].split(", ")
        >>> candidate
        'test: the candidate was trained on 30 of its 200 examples (0.15)'
        >>> baseline
        'the baseline on 0 (0.0)'
    """
    sides = [
        {c.dataset: c for c in report.contamination if c.model == model}
        for report, model in ((baseline, baseline_model), (candidate, candidate_model))
    ]
    notes = []
    for dataset in dict.fromkeys([*sides[1], *sides[0]]):
        before, after = sides[0].get(dataset), sides[1].get(dataset)
        if before is None or after is None:
            checked, unchecked = (
                ("candidate", "baseline") if before is None else ("baseline", "candidate")
            )
            found = after or before
            assert found is not None
            notes.append(
                f"{dataset}: only the {checked} declares training data ({found.count} of its "
                f"{found.n} examples found in it); the {unchecked}'s contamination is unknown"
            )
        elif before.count != after.count or before.n != after.n:
            notes.append(
                f"{dataset}: the candidate was trained on {after.count} of its {after.n} "
                f"examples ({number(after.fraction)}), the baseline on {before.count} "
                f"({number(before.fraction)})"
            )
    return notes


def _robustness(
    candidate: Report,
    dataset: str,
    clean: PairedPredictions,
    sides: list[PredictionBlock],
    derived: PairedPredictions,
    policy: ComparePolicy,
) -> list[CellComparison]:
    """The robustness (and effort) cells of a set paired with ``clean``; none when either
    holds no example both reports predicted."""
    if not (len(clean.labels) and len(derived.labels)):
        return []
    attacked = next(d.kind for d in candidate.datasets if d.name == dataset) == "adversarial"
    effort = effort_in_pair_order(sides, derived)
    return robustness_cells(clean, derived, attacked, policy, effort)


def _compare_dataset(
    pair: PairedPredictions,
    metrics: Sequence[tuple[str, dict[str, Any]]],
    plan: FairnessPlan,
    policy: ComparePolicy,
) -> tuple[list[CellComparison], list[Churn]]:
    """Every block of one dataset (the whole set, its slice groups, its sensitive columns'
    fairness cells) on a thread pool; each block's resamples are seeded by its name, so the
    result does not depend on the order blocks finish in."""
    blocks = slice_rows(pair.groups, policy.min_examples)
    overall = _paired_metrics(metrics, block_data(pair, blocks[0]))

    def run(block: SliceRows) -> tuple[list[CellComparison], Churn]:
        data = block_data(pair, block)
        if block.rows is None:
            return compare_block(pair, block, data, overall, policy)
        found = _restricted(overall, metrics, data, block.rows)
        return compare_block(pair, block, data, found, policy)

    def fairness(block: FairnessBlock) -> list[CellComparison]:
        data = block_data(pair, block.rows)
        found = fairness_metrics(plan, data, block.groups)
        return compare_block(pair, block.rows, data, found, policy, strata=block.strata)[0]

    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        results = list(pool.map(run, blocks))
        gaps = list(pool.map(fairness, fairness_blocks(pair, plan)))
    cells = [c for found, _ in results for c in found] + [c for found in gaps for c in found]
    return cells, [churn for _, churn in results]


def _chosen_model(report: Report, table: pa.Table, name: str | None, role: str) -> str:
    """The named model (whose predictions the report must hold), or its only model."""
    names = sorted(str(m) for m in pc.unique(table.column("model")).to_pylist())
    where = f"the {role} report (suite {report.suite.name!r}, run {report.run_id[:8]})"
    if name is None:
        if len(names) != 1:
            raise InvalidInputError(f"{where} has models {names}; name one with --{role}-model")
        return names[0]
    if name not in names:
        raise UnknownNameError(f"model in {where}", name, names)
    return name


def _comparable(metric: dict[str, Any]) -> bool:
    name = metric["name"]
    if metric.get("evaluate") or name not in METRICS:
        return False
    info = METRICS.get(name)
    return not (info.needs_groups or info.per_class)


def _paired_metrics(
    metrics: Sequence[tuple[str, dict[str, Any]]], data: BlockData
) -> list[PairedMetric]:
    """The paired decomposition of each metric (with its report params) on one block."""
    found = []
    for name, params in metrics:
        base = decompose(name, data.labels, data.baseline, params=params)
        cand = decompose(name, data.labels, data.candidate, params=params)
        if base is not None and cand is not None:
            found.append(paired_metric([name], base, cand))
    return found


def _restricted(
    overall: list[PairedMetric],
    metrics: Sequence[tuple[str, dict[str, Any]]],
    data: BlockData,
    rows: np.ndarray,
) -> list[PairedMetric]:
    """A slice's paired metrics: rows of the dataset's where statistics are per example,
    else decomposed again (bins fitted to the slice, classes present in it)."""
    local = {m.measures[0].name: m.take(rows) for m in overall if m.delta.row_local}
    refit = [(name, params) for name, params in metrics if name not in local]
    again = {m.measures[0].name: m for m in _paired_metrics(refit, data)}
    return [found for name, _ in metrics if (found := local.get(name) or again.get(name))]


def _comparable_datasets(
    baseline: Report, candidate: Report, allow_unpaired: bool
) -> tuple[list[str], list[str]]:
    """(paired, unpaired) dataset names, the first in-distribution set first."""
    theirs = {d.name: d for d in baseline.datasets}
    names, unpaired = [], []
    for dataset in candidate.datasets:
        if dataset.kind == "ood" or dataset.name not in theirs:
            continue
        if theirs[dataset.name].fingerprint == dataset.fingerprint:
            names.append(dataset.name)
        elif allow_unpaired:
            unpaired.append(dataset.name)
        else:
            raise InvalidInputError(
                f"dataset {dataset.name!r} differs between the reports (fingerprints "
                f"{theirs[dataset.name].fingerprint[:12]} and {dataset.fingerprint[:12]}); "
                "paired comparison needs the same examples (--unpaired compares anyway)"
            )
    if not names and not unpaired:
        raise InvalidInputError("the reports share no dataset to compare")
    ordered = [d.name for d in candidate.datasets if d.kind == "in_distribution"]
    key = {name: (name not in ordered[:1]) for name in names + unpaired}
    return sorted(names, key=key.__getitem__), sorted(unpaired, key=key.__getitem__)


def adjust_p_values(p_values: np.ndarray, method: str) -> np.ndarray:
    """Holm step-down or Benjamini–Hochberg step-up adjusted p-values.

    A cell without a finite p-value (nothing could be tested) stays NaN and is not part of
    the family: it neither adjusts the others nor becomes a regression.

    Example:
        >>> adjust_p_values(np.array([0.01, np.nan, 0.04]), "bh").round(3).tolist()
        [0.02, nan, 0.04]
    """
    result = np.full(len(p_values), np.nan)
    finite = np.flatnonzero(np.isfinite(p_values))
    m = len(finite)
    if m == 0:
        return result
    order = finite[np.argsort(p_values[finite], kind="stable")]
    ranked = p_values[order]
    if method == "holm":
        adjusted = np.maximum.accumulate((m - np.arange(m)) * ranked)
    else:
        adjusted = np.minimum.accumulate((ranked * m / np.arange(1, m + 1))[::-1])[::-1]
    result[order] = np.minimum(adjusted, 1.0)
    return result


def _judge(cells: list[CellComparison], policy: ComparePolicy) -> list[CellComparison]:
    """Each cell's verdict from its corrected p-value and tolerance, and what it could have
    detected at that correction (:mod:`assay.reports.power`)."""
    if not cells:
        return cells
    adjusted = adjust_p_values(np.array([c.p_value for c in cells]), policy.correction)
    family = int(np.isfinite(adjusted).sum())
    judged = []
    for cell, p_adjusted in zip(cells, adjusted, strict=True):
        measure = cell.measure or CellMetric.registered(cell.metric)
        sign = -1.0 if measure.higher_is_better else 1.0
        harm = sign * cell.delta
        harm_low, harm_high = sorted([sign * cell.ci_low, sign * cell.ci_high])
        tolerance = policy.tolerance_for(measure, cell.baseline)
        verdict: Verdict
        if p_adjusted < policy.alpha and harm > tolerance:
            verdict = "regression"
        elif p_adjusted < policy.alpha and harm < -tolerance:
            verdict = "improvement"
        elif -tolerance <= harm_low and harm_high <= tolerance:
            verdict = "no_change"
        else:
            verdict = "inconclusive"
        found = (
            cell_power(
                n=cell.n,
                standard_error=cell.standard_error,
                discordance=cell.discordance,
                tolerance=tolerance,
                alpha=policy.alpha,
                family=family,
                power=policy.power,
                blind_factor=policy.blind_factor,
                curve=cell.error_curve,
            )
            if np.isfinite(p_adjusted)
            else None  # not tested: nothing it could detect
        )
        judged.append(
            replace(
                cell,
                p_adjusted=float(p_adjusted),
                verdict=verdict,
                tolerance=tolerance,
                **({} if found is None else asdict(found)),
            )
        )
    return judged


def _mark_silent(cells: list[CellComparison], headline: tuple[str, str]) -> list[CellComparison]:
    head = [c for c in cells if (c.dataset, c.metric) == headline and c.slice is None]
    if head and head[0].verdict == "regression":
        return cells
    return [replace(c, silent=c.verdict == "regression") for c in cells]
