"""Compare two reports example by example: paired deltas, intervals, p-values, verdicts.

Every cell (dataset × metric × slice group) present in both reports is compared on the
examples both predicted, joined by example id. The delta's interval comes from resampling
example ids jointly across both reports (one shared set of resamples per dataset and
slice group); accuracy-type metrics get an exact McNemar p-value, the rest a Wald p-value
from the paired-bootstrap standard error (continuous, so a correction over hundreds of
cells is not starved by the 1/B floor of a resampling p-value). Holm (family-wise) or
Benjamini–Hochberg (false discovery) correction runs over all tested cells. A regression
anywhere while the headline cell holds is a *silent regression*.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.stats import binomtest, norm

from assay.errors import InvalidInputError
from assay.hashing import hash_value
from assay.metrics.registry import METRICS
from assay.metrics.resampling import chunk_plan, draw_counts, strata_codes
from assay.metrics.sufficient import Decomposition, decompose
from assay.reports.schema import Report

Verdict = Literal["regression", "improvement", "no_change", "inconclusive"]
PROPORTIONS = {"accuracy", "f1_micro"}
DEFAULT_TOLERANCE = 0.01


@dataclass(frozen=True)
class ComparePolicy:
    """How cells are judged: tolerance per metric (absolute), alpha and the correction."""

    alpha: float = 0.05
    correction: Literal["holm", "bh"] = "holm"
    tolerance: dict[str, float] = field(default_factory=dict)
    relative_tolerance: dict[str, float] = field(default_factory=dict)
    default_tolerance: float = DEFAULT_TOLERANCE
    n_resamples: int = 1000
    seed: int = 0
    min_examples: int = 30
    headline: tuple[str, str] | None = None
    registry_defaults: bool = True  # False: default_tolerance for every unlisted metric

    def tolerance_for(self, metric: str, baseline: float) -> float:
        """Absolute tolerance for ``metric``: the policy's own for it, else the metric's
        registered default (absolute, or relative to the baseline value), else the policy
        default. A relative tolerance scales the baseline value."""
        if metric in self.relative_tolerance:
            return self.relative_tolerance[metric] * abs(baseline)
        if metric in self.tolerance:
            return self.tolerance[metric]
        if self.registry_defaults and metric in METRICS:
            info = METRICS.get(metric)
            return info.tolerance * abs(baseline) if info.tolerance_is_relative else info.tolerance
        return self.default_tolerance


@dataclass(frozen=True)
class CellComparison:
    """One compared cell; ``harm`` is the delta signed so that positive means worse."""

    dataset: str
    metric: str
    slice: str | None
    group: str | None
    n: int
    baseline: float
    candidate: float
    delta: float
    ci_low: float
    ci_high: float
    p_value: float
    p_adjusted: float = float("nan")
    verdict: Verdict = "inconclusive"
    silent: bool = False
    method: str = "paired bootstrap"


@dataclass(frozen=True)
class Churn:
    """Prediction flips between checkpoints on one dataset (or one slice group of it),
    each rate with a percentile bootstrap interval over example ids."""

    dataset: str
    n: int
    negative_flip_rate: float
    positive_flip_rate: float
    churn: float
    regressed_ids: list[str]
    slice: str | None = None
    group: str | None = None
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class Comparison:
    baseline: str
    candidate: str
    cells: list[CellComparison]
    churn: list[Churn]
    headline: tuple[str, str]

    @property
    def silent_regressions(self) -> list[CellComparison]:
        return [c for c in self.cells if c.silent]

    @property
    def regressions(self) -> list[CellComparison]:
        return [c for c in self.cells if c.verdict == "regression"]


def compare_reports(
    baseline: Report,
    baseline_predictions: pd.DataFrame,
    candidate: Report,
    candidate_predictions: pd.DataFrame,
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
    model_b = baseline_model or _only_model(baseline, "baseline")
    model_c = candidate_model or _only_model(candidate, "candidate")
    datasets, unpaired = _comparable_datasets(baseline, candidate, allow_unpaired)
    metrics = [m["name"] for m in candidate.metrics if _comparable(m["name"])]
    cells: list[CellComparison] = []
    churn: list[Churn] = []
    for dataset in datasets:
        joined = _join(baseline_predictions, candidate_predictions, dataset, model_b, model_c)
        for column, group, rows in _cell_rows(joined, policy.min_examples):
            block_cells, block_churn = _compare_block(
                dataset, metrics, joined[rows], column, group, policy
            )
            cells += block_cells
            churn.append(block_churn)
    for dataset in unpaired:
        cells += unpaired_cells(
            baseline_predictions,
            candidate_predictions,
            dataset,
            (model_b, model_c),
            metrics,
            policy,
        )
    cells = _judge(cells, policy)
    headline = policy.headline or ((datasets or unpaired)[0], "accuracy")
    return Comparison(
        baseline.run_id, candidate.run_id, _mark_silent(cells, headline), churn, headline
    )


def _only_model(report: Report, role: str) -> str:
    if len(report.models) != 1:
        names = [m.name for m in report.models]
        raise InvalidInputError(f"the {role} report has models {names}; name one to compare")
    return report.models[0].name


def _comparable(metric: str) -> bool:
    if metric not in METRICS:
        return False
    info = METRICS.get(metric)
    return not (info.needs_groups or info.per_class)


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


def _join(
    baseline: pd.DataFrame, candidate: pd.DataFrame, dataset: str, model_b: str, model_c: str
) -> pd.DataFrame:
    left = baseline[(baseline.dataset == dataset) & (baseline.model == model_b)]
    right = candidate[(candidate.dataset == dataset) & (candidate.model == model_c)]
    joined = left.merge(
        right[["example_id", "label", "probs"]],
        on="example_id",
        suffixes=("_b", "_c"),
        validate="one_to_one",
    )
    if not (joined["label_b"] == joined["label_c"]).all():
        raise InvalidInputError(f"dataset {dataset!r}: labels differ between the reports")
    return joined.sort_values("example_id", kind="stable").reset_index(drop=True)


def _cell_rows(
    joined: pd.DataFrame, min_examples: int
) -> list[tuple[str | None, str | None, np.ndarray]]:
    """Overall rows, then each group of each slice/sensitive column with enough examples."""
    cells: list[tuple[str | None, str | None, np.ndarray]] = [
        (None, None, np.ones(len(joined), dtype=bool))
    ]
    fixed = {"example_id", "dataset", "model", "label_b", "label_c", "probs_b", "probs_c"}
    for column in [c for c in joined.columns if c not in fixed]:
        values = joined[column]
        if values.isna().all():
            continue
        for group in sorted(values.dropna().unique()):
            rows = (values == group).to_numpy()
            if rows.sum() >= min_examples:
                cells.append((column, str(group), rows))
    return cells


def _paired(
    metric: str, labels: np.ndarray, probs_b: np.ndarray, probs_c: np.ndarray
) -> tuple[Decomposition, float] | None:
    """The delta (candidate − baseline) as one decomposition, and the baseline value."""
    base = decompose(metric, labels, probs_b)
    cand = decompose(metric, labels, probs_c)
    if base is None or cand is None:
        return None
    width = base.statistics.shape[1]

    def finish(s: np.ndarray) -> np.ndarray:
        return cand.finish(s[:, width:]) - base.finish(s[:, :width])

    paired = Decomposition(sparse.hstack([base.statistics, cand.statistics], format="csr"), finish)
    return paired, float(base.value()[0])


def _compare_block(
    dataset: str,
    metrics: Sequence[str],
    rows: pd.DataFrame,
    column: str | None,
    group: str | None,
    policy: ComparePolicy,
) -> tuple[list[CellComparison], Churn]:
    """Every metric's paired delta and the churn of one block, from one set of resamples."""
    labels = rows["label_b"].to_numpy().astype(np.int64)
    probs_b, probs_c = _matrix(rows["probs_b"]), _matrix(rows["probs_c"])
    usable = [
        (m, found) for m in metrics if (found := _paired(m, labels, probs_b, probs_c)) is not None
    ]
    flips, lost = _flip_decomposition(labels, probs_b, probs_c)
    draws = shared_replicates(
        [*(d for _, (d, _) in usable), flips], labels, policy, seed_key=(dataset, column, group)
    )
    cells = [
        _cell(
            dataset,
            metric,
            column,
            group,
            labels,
            probs_b,
            probs_c,
            decomposition,
            baseline_value,
            replicate[:, 0],
            policy,
        )
        for (metric, (decomposition, baseline_value)), replicate in zip(usable, draws, strict=False)
    ]
    bounds = np.quantile(draws[-1], [policy.alpha / 2, 1 - policy.alpha / 2], axis=0)
    values = flips.value()
    churn = Churn(
        dataset=dataset,
        n=len(labels),
        negative_flip_rate=float(values[0]),
        positive_flip_rate=float(values[1]),
        churn=float(values[2]),
        regressed_ids=rows["example_id"][lost].astype(str).tolist(),
        slice=column,
        group=group,
        intervals={
            name: (float(bounds[0, j]), float(bounds[1, j])) for j, name in enumerate(flips.outputs)
        },
    )
    return cells, churn


def _cell(
    dataset: str,
    metric: str,
    column: str | None,
    group: str | None,
    labels: np.ndarray,
    probs_b: np.ndarray,
    probs_c: np.ndarray,
    decomposition: Decomposition,
    baseline_value: float,
    draws: np.ndarray,
    policy: ComparePolicy,
) -> CellComparison:
    delta = float(decomposition.value()[0])
    low, high = np.nanquantile(draws, [policy.alpha / 2, 1 - policy.alpha / 2])
    if metric in PROPORTIONS:
        p_value, method = _mcnemar(labels, probs_b, probs_c), "exact McNemar"
    else:  # Wald test with the paired-bootstrap standard error: p is not floored at 1/B
        spread = float(np.nanstd(draws, ddof=1))
        p_value = float(2 * norm.sf(abs(delta) / spread)) if spread > 0 else float(delta == 0)
        method = "paired bootstrap"
    return CellComparison(
        dataset=dataset,
        metric=metric,
        slice=column,
        group=group,
        n=len(labels),
        baseline=baseline_value,
        candidate=baseline_value + delta,
        delta=delta,
        ci_low=float(low),
        ci_high=float(high),
        p_value=p_value,
        method=method,
    )


def _flip_decomposition(
    labels: np.ndarray, probs_b: np.ndarray, probs_c: np.ndarray
) -> tuple[Decomposition, np.ndarray]:
    """Negative flips, positive flips and changed predictions as rates; and the lost rows."""
    predicted_b, predicted_c = probs_b.argmax(axis=1), probs_c.argmax(axis=1)
    right_b, right_c = predicted_b == labels, predicted_c == labels
    lost = right_b & ~right_c
    flags = np.column_stack(
        [lost, ~right_b & right_c, predicted_b != predicted_c, np.ones(len(labels))]
    ).astype(np.float64)
    rates = Decomposition(
        sparse.csr_matrix(flags),
        lambda s: s[:, :3] / s[:, 3:4],
        outputs=("negative_flip_rate", "positive_flip_rate", "churn"),
    )
    return rates, lost


def shared_replicates(
    decompositions: list[Decomposition],
    labels: np.ndarray,
    policy: ComparePolicy,
    seed_key: tuple[object, ...],
) -> list[np.ndarray]:
    """(B × outputs) resampled values per decomposition, from one shared set of
    class-stratified resamples drawn in seeded chunks on a thread pool."""
    seed = int(hash_value([policy.seed, *map(str, seed_key)])[:12], 16)
    strata = strata_codes(labels)

    def run_chunk(plan: tuple[int, np.random.SeedSequence]) -> list[np.ndarray]:
        counts = draw_counts(len(labels), plan[0], np.random.default_rng(plan[1]), strata)
        by_column = np.ascontiguousarray(counts.T)
        return [d.resampled_columns(by_column) for d in decompositions]

    plans = chunk_plan(len(labels), policy.n_resamples, seed)
    with ThreadPoolExecutor(max_workers=min(len(plans), os.cpu_count() or 1)) as pool:
        chunks = list(pool.map(run_chunk, plans))
    return [np.vstack([chunk[i] for chunk in chunks]) for i in range(len(decompositions))]


def _mcnemar(labels: np.ndarray, probs_b: np.ndarray, probs_c: np.ndarray) -> float:
    """Exact McNemar test: discordant pairs split 50/50 under no change."""
    right_b = probs_b.argmax(axis=1) == labels
    right_c = probs_c.argmax(axis=1) == labels
    lost, gained = int(np.sum(right_b & ~right_c)), int(np.sum(~right_b & right_c))
    if lost + gained == 0:
        return 1.0
    return float(binomtest(lost, lost + gained, 0.5).pvalue)


def _adjust(p_values: np.ndarray, method: str) -> np.ndarray:
    """Holm step-down or Benjamini–Hochberg step-up adjusted p-values."""
    m = len(p_values)
    order = np.argsort(p_values, kind="stable")
    ranked = p_values[order]
    if method == "holm":
        adjusted = np.maximum.accumulate((m - np.arange(m)) * ranked)
    else:
        adjusted = np.minimum.accumulate((ranked * m / np.arange(1, m + 1))[::-1])[::-1]
    result = np.empty(m)
    result[order] = np.minimum(adjusted, 1.0)
    return result


def _judge(cells: list[CellComparison], policy: ComparePolicy) -> list[CellComparison]:
    if not cells:
        return cells
    adjusted = _adjust(np.array([c.p_value for c in cells]), policy.correction)
    judged = []
    for cell, p_adjusted in zip(cells, adjusted, strict=True):
        sign = -1.0 if METRICS.get(cell.metric).higher_is_better else 1.0
        harm = sign * cell.delta
        harm_low, harm_high = sorted([sign * cell.ci_low, sign * cell.ci_high])
        tolerance = policy.tolerance_for(cell.metric, cell.baseline)
        verdict: Verdict
        if p_adjusted < policy.alpha and harm > tolerance:
            verdict = "regression"
        elif p_adjusted < policy.alpha and harm < -tolerance:
            verdict = "improvement"
        elif -tolerance <= harm_low and harm_high <= tolerance:
            verdict = "no_change"
        else:
            verdict = "inconclusive"
        judged.append(_replace(cell, p_adjusted=float(p_adjusted), verdict=verdict))
    return judged


def _mark_silent(cells: list[CellComparison], headline: tuple[str, str]) -> list[CellComparison]:
    head = [c for c in cells if (c.dataset, c.metric) == headline and c.slice is None]
    if head and head[0].verdict == "regression":
        return cells
    return [_replace(c, silent=c.verdict == "regression") for c in cells]


def _matrix(column: pd.Series) -> np.ndarray:
    """A column of per-row probability lists as an N×C float64 array."""
    return np.asarray(np.stack(list(column)), dtype=np.float64)


def _replace(cell: CellComparison, **changes: object) -> CellComparison:
    from dataclasses import replace

    return replace(cell, **changes)  # type: ignore[arg-type]
