"""Turn one cell's predictions into report results, each with a confidence interval.

Scalar metrics are computed overall (plus per-class metrics) and within each group of each
slice column; group metrics (parity gaps, worst-group and per-group accuracy) for each
sensitive column. Intervals come from one shared set of bootstrap resamples per block of
results, stratified by class (overall, slices) or by group × class (sensitive columns), and
seeded by (suite seed, dataset, block), so every model of a suite sees the same resamples.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from assay.hashing import hash_value
from assay.metrics import GroupCodes, group_codes
from assay.metrics.intervals import Interval, bootstrap_intervals
from assay.metrics.registry import DEFAULT_GROUP_METRICS, METRICS, compute_metric
from assay.metrics.resampling import strata_codes
from assay.metrics.sufficient import Decomposition, decompose
from assay.reports.schema import Result
from assay.suites.data import LoadedDataset
from assay.suites.schema import IntervalSpec, MetricSpec


@dataclass(frozen=True)
class _Pending:
    """One metric of a block: its value(s) and the decomposition for its interval."""

    metric: str
    values: dict[str | None, float]
    decomposition: Decomposition | None


def score_predictions(
    model: str,
    dataset: LoadedDataset,
    probabilities: np.ndarray,
    metrics: Sequence[MetricSpec],
    slices: Sequence[str],
    *,
    intervals: IntervalSpec | None = None,
    seed: int = 0,
) -> list[Result]:
    """All results of one model on one dataset, in a fixed order."""
    spec = intervals or IntervalSpec()
    scalar = [m for m in metrics if _kind(m) == "scalar"]
    per_class = [m for m in metrics if _kind(m) == "per_class"]
    grouped = [m for m in metrics if _kind(m) == "groups"] or [
        MetricSpec(name=n) for n in DEFAULT_GROUP_METRICS
    ]
    scorer = _BlockScorer(model, dataset, probabilities, spec, seed)
    results = scorer.block([*scalar, *per_class], rows=None, slice_column=None)
    for column in slices:
        values = dataset.groups[column]
        for group in sorted(set(values.tolist())):
            results += scorer.block(scalar, rows=values == group, slice_column=column, group=group)
    for column in dataset.sensitive:
        results += scorer.block(grouped, rows=None, slice_column=column, sensitive=True)
    return results


def _kind(metric: MetricSpec) -> str:
    info = METRICS.get(metric.name)
    return "groups" if info.needs_groups else "per_class" if info.per_class else "scalar"


class _BlockScorer:
    def __init__(
        self,
        model: str,
        dataset: LoadedDataset,
        probabilities: np.ndarray,
        intervals: IntervalSpec,
        seed: int,
    ) -> None:
        self.base: dict[str, Any] = {"model": model, "dataset": dataset.name, "kind": dataset.kind}
        self.dataset = dataset
        self.probabilities = probabilities
        self.intervals = intervals
        self.seed = seed

    def block(
        self,
        metrics: Sequence[MetricSpec],
        *,
        rows: np.ndarray | None,
        slice_column: str | None,
        group: str | None = None,
        sensitive: bool = False,
    ) -> list[Result]:
        labels = self.dataset.labels if rows is None else self.dataset.labels[rows]
        probs = self.probabilities if rows is None else self.probabilities[rows]
        groups = (
            group_codes(self.dataset.groups[slice_column]) if sensitive and slice_column else None
        )  # encoded once, shared by every group metric and its interval
        pending = [self._pending(m, labels, probs, groups) for m in metrics]
        strata = strata_codes(labels) if groups is None else strata_codes(groups.codes, labels)
        found = self._intervals(pending, strata, (slice_column, group))
        results = []
        for item, intervals in zip(pending, found, strict=True):
            sizes = self._sizes(item.metric, labels, groups)
            for (key, value), interval in zip(item.values.items(), intervals, strict=True):
                n = len(labels) if key is None else sizes[key]
                results.append(
                    self._result(
                        item.metric, value, n, slice_column, group if key is None else key, interval
                    )
                )
        return results

    def _pending(
        self, metric: MetricSpec, labels: np.ndarray, probs: np.ndarray, groups: GroupCodes | None
    ) -> _Pending:
        name = METRICS.canonical(metric.name)
        value = compute_metric(name, labels, probs, sensitive_features=groups, params=metric.params)
        values: dict[str | None, float] = (
            {self._label(name, k): v for k, v in value.items()}
            if isinstance(value, dict)
            else {None: value}
        )
        decomposition = None
        if self.intervals.method != "none":
            decomposition = decompose(
                name, labels, probs, sensitive_features=groups, params=metric.params
            )
        return _Pending(name, values, decomposition)

    def _label(self, metric: str, key: str) -> str:
        """Per-class outputs are keyed by class index; reports use class names."""
        return self.dataset.classes[int(key)] if METRICS.get(metric).per_class else key

    def _intervals(
        self, pending: list[_Pending], strata: np.ndarray, block: tuple[Any, ...]
    ) -> list[Sequence[Interval | None]]:
        usable = [p.decomposition for p in pending if p.decomposition is not None]
        spec = self.intervals
        computed: Iterator[Sequence[Interval | None]] = iter(
            bootstrap_intervals(
                usable,
                n_resamples=spec.n_resamples,
                level=spec.level,
                method=spec.method,  # type: ignore[arg-type]
                seed=int(hash_value([self.seed, self.dataset.name, *block])[:12], 16),
                strata=strata,
                closed_form=spec.closed_form,
            )
            if usable
            else []
        )
        return [
            next(computed) if p.decomposition is not None else [None] * len(p.values)
            for p in pending
        ]

    def _sizes(self, metric: str, labels: np.ndarray, groups: GroupCodes | None) -> dict[str, int]:
        """Examples behind each per-class or per-group value."""
        if METRICS.get(metric).per_class:
            support = np.bincount(labels, minlength=len(self.dataset.classes))
            return {c: int(support[i]) for i, c in enumerate(self.dataset.classes)}
        if groups is None:
            return {}
        counts = np.bincount(groups.codes, minlength=len(groups.names))
        return {g: int(c) for g, c in zip(groups.names, counts, strict=True)}

    def _result(
        self,
        metric: str,
        value: float,
        n: int,
        slice_column: str | None,
        group: str | None,
        interval: Interval | None,
    ) -> Result:
        ci: dict[str, Any] = {}
        if interval is not None and not np.isnan(interval.low):
            ci = {
                "ci_low": interval.low,
                "ci_high": interval.high,
                "ci_method": interval.method,
                "ci_level": interval.level,
                "n_resamples": interval.n_resamples,
            }
        column = "class" if METRICS.get(metric).per_class else slice_column
        return Result(**self.base, metric=metric, value=value, n=n, slice=column, group=group, **ci)
