"""Turn one cell's predictions into report results, each with a confidence interval.

- overall: the suite's scalar metrics, and per-class metrics;
- slices: the scalar metrics within each group of each slice column;
- bias, for each sensitive column and each declared intersection: the bias metrics per group
  (groups below ``min_group_size`` reported as too small), their difference, ratio and worst
  group, and the named fairness metrics over the groups large enough to score.

Intervals come from one shared set of bootstrap resamples per block of results, stratified
by class (overall, slices) or by group × class (bias), and seeded by (suite seed, dataset,
block), so every model of a suite sees the same resamples.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from assay.hashing import seed_from
from assay.metrics import GroupCodes, group_codes
from assay.metrics.decomposition import Decomposition
from assay.metrics.groups import (
    AGGREGATES,
    by_group,
    by_group_decomposition,
    intersect_groups,
    named_group_metrics,
)
from assay.metrics.intervals import Interval, bootstrap_intervals
from assay.metrics.registry import METRICS, compute_metric, decompose
from assay.metrics.resampling import stable_order, strata_codes
from assay.reports.schema import Result
from assay.runners.evaluate_metrics import compute_evaluate_metric
from assay.suites.data import LoadedDataset
from assay.suites.policy_schema import BiasSpec, IntervalSpec, MetricSpec


@dataclass(frozen=True)
class _Entry:
    """One result to be: its metric name, group, value and example count."""

    metric: str
    group: str | None
    value: float
    n: int
    per_class: bool = False  # reported under the pseudo-column "class"


@dataclass(frozen=True)
class _Pending:
    """The results of one metric in a block, aligned with its decomposition's outputs."""

    entries: list[_Entry]
    decomposition: Decomposition | None


@dataclass(frozen=True)
class _Measured:
    value: float | dict[str, float]
    decomposition: Decomposition | None


def score_predictions(
    model: str,
    dataset: LoadedDataset,
    probabilities: np.ndarray,
    metrics: Sequence[MetricSpec],
    slices: Sequence[str],
    *,
    intervals: IntervalSpec | None = None,
    bias: BiasSpec | None = None,
    seed: int = 0,
) -> list[Result]:
    """All results of one model on one dataset, in a fixed order."""
    bias = bias or BiasSpec()
    scalar = [m for m in metrics if _kind(m) == "scalar"]
    per_class = [m for m in metrics if _kind(m) == "per_class"]
    named = [m for m in metrics if _kind(m) == "groups"] or [
        MetricSpec(name=n) for n in named_group_metrics()
    ]
    scorer = _Scorer(model, dataset, probabilities, intervals or IntervalSpec(), seed)
    results = scorer.scalar_block(
        [*scalar, *per_class], dataset.labels, probabilities, column=None, group=None
    )
    for column in slices:
        # factorised once, then one stable sort: each group's rows are a contiguous view, in
        # their original order (so values and resamples are those of a boolean selection)
        encoded = dataset.group_codes(column)
        order = stable_order(encoded.codes)
        labels, probs = dataset.labels[order], probabilities[order]
        bounds = np.cumsum(np.bincount(encoded.codes, minlength=len(encoded.names)))
        for group, stop, start in zip(encoded.names, bounds, [0, *bounds[:-1]], strict=True):
            rows = slice(int(start), int(stop))
            results += scorer.scalar_block(
                scalar, labels[rows], probs[rows], column=column, group=group
            )
    for column, values in _bias_columns(dataset, bias):
        results += scorer.bias_block(column, values, bias, named)
    return results


def subset_results(
    model: str,
    dataset: LoadedDataset,
    probabilities: np.ndarray,
    rows: np.ndarray,
    metrics: Sequence[MetricSpec],
    *,
    column: str,
    group: str,
    intervals: IntervalSpec | None = None,
    seed: int = 0,
) -> list[Result]:
    """The suite's scalar metrics on the examples ``rows`` (a boolean mask) selects, as
    results of the pseudo-slice ``column`` = ``group`` (training data: clean), with
    intervals resampled within that subset."""
    scalar = [m for m in metrics if _kind(m) == "scalar"]
    scorer = _Scorer(model, dataset, probabilities, intervals or IntervalSpec(), seed)
    return scorer.scalar_block(
        scalar, dataset.labels[rows], probabilities[rows], column=column, group=group
    )


def _kind(metric: MetricSpec) -> str:
    if metric.evaluate is not None:
        return "scalar"
    info = METRICS.get(metric.name)
    return "groups" if info.needs_groups else "per_class" if info.per_class else "scalar"


def _bias_columns(
    dataset: LoadedDataset, bias: BiasSpec
) -> Iterator[tuple[str, np.ndarray | GroupCodes]]:
    for column in dataset.sensitive:
        yield column, dataset.group_codes(column)
    for columns in bias.intersections:
        if all(c in dataset.sensitive for c in columns):
            crossed = intersect_groups(
                {c: dataset.groups[c].to_numpy(zero_copy_only=False) for c in columns}
            )
            yield " & ".join(columns), crossed


class _Scorer:
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

    def scalar_block(
        self,
        metrics: Sequence[MetricSpec],
        labels: np.ndarray,
        probs: np.ndarray,
        *,
        column: str | None,
        group: str | None,
    ) -> list[Result]:
        """The scalar metrics of one block of examples (the dataset, or one slice group)."""
        pending = [self._scalar(m, labels, probs, group) for m in metrics]
        return self._results(pending, partial(strata_codes, labels), column, (column, group))

    def bias_block(
        self,
        column: str,
        values: np.ndarray | GroupCodes,
        bias: BiasSpec,
        named: Sequence[MetricSpec],
    ) -> list[Result]:
        encoded = group_codes(values)
        sizes = np.bincount(encoded.codes, minlength=len(encoded.names))
        large = sizes >= bias.min_group_size
        keep = large[encoded.codes]
        labels, probs = self.dataset.labels[keep], self.probabilities[keep]
        remap = np.cumsum(large) - 1
        scored = GroupCodes(
            remap[encoded.codes[keep]],
            [n for n, big in zip(encoded.names, large, strict=True) if big],
        )
        too_small = self._too_small(column, encoded, sizes, large, bias)
        if not scored.names:
            return too_small
        pending = [self._by_group(m, labels, probs, scored) for m in bias.metrics]
        pending += [self._named(m, labels, probs, scored) for m in named]
        strata = partial(strata_codes, scored.codes, labels)
        block = self._results(pending, strata, column, (column,))
        return block + too_small

    def _scalar(
        self, metric: MetricSpec, labels: np.ndarray, probs: np.ndarray, group: str | None
    ) -> _Pending:
        if metric.evaluate is not None:  # an evaluate module: no interval
            found = compute_evaluate_metric(metric, labels, probs)
            return _Pending([_Entry(k, group, v, len(labels)) for k, v in found.items()], None)
        name = METRICS.canonical(metric.name)
        measured = self._measure(name, labels, probs, None, metric)
        value = measured.value
        if isinstance(value, dict):  # per-class: keyed by class index
            support = np.bincount(labels, minlength=len(self.dataset.classes))
            entries = [
                _Entry(name, self.dataset.classes[int(k)], v, int(support[int(k)]), True)
                for k, v in value.items()
            ]
        else:
            entries = [_Entry(name, group, value, len(labels))]
        return _Pending(entries, measured.decomposition)

    def _by_group(
        self, metric: MetricSpec, labels: np.ndarray, probs: np.ndarray, groups: GroupCodes
    ) -> _Pending:
        name = METRICS.canonical(metric.name)
        result = by_group(name, labels, probs, sensitive_features=groups, params=metric.params)
        entries = [_Entry(name, g, v, result.sizes[g]) for g, v in result.values.items()]
        aggregates = (result.difference(), result.ratio(), result.worst_group())
        entries += [
            _Entry(f"{name}_{a}", None, v, len(labels))
            for a, v in zip(AGGREGATES, aggregates, strict=True)
        ]
        decomposition = None
        if self.intervals.method != "none":
            decomposition = by_group_decomposition(
                name,
                labels,
                probs,
                codes=groups.codes,
                names=groups.names,
                scored=range(len(groups.names)),
                params=metric.params,
            )
        return _Pending(entries, decomposition)

    def _named(
        self, metric: MetricSpec, labels: np.ndarray, probs: np.ndarray, groups: GroupCodes
    ) -> _Pending:
        name = METRICS.canonical(metric.name)
        measured = self._measure(name, labels, probs, groups, metric)
        value = measured.value
        if isinstance(value, dict):
            sizes = np.bincount(groups.codes, minlength=len(groups.names))
            entries = [
                _Entry(name, g, v, int(sizes[groups.names.index(g)])) for g, v in value.items()
            ]
        else:
            entries = [_Entry(name, None, value, len(labels))]
        return _Pending(entries, measured.decomposition)

    def _measure(
        self,
        name: str,
        labels: np.ndarray,
        probs: np.ndarray,
        groups: GroupCodes | None,
        metric: MetricSpec,
    ) -> _Measured:
        """The metric's value and, when intervals are asked for, its decomposition; the
        value is read off the decomposition when that is the same computation."""
        kwargs: dict[str, Any] = {"sensitive_features": groups, "params": metric.params}
        if self.intervals.method == "none":
            return _Measured(compute_metric(name, labels, probs, **kwargs), None)
        decomposition = decompose(name, labels, probs, **kwargs)
        info = METRICS.get(name)
        if decomposition is not None and not info.sums_by_chunks(decomposition):
            return _Measured(info.value_of(decomposition), decomposition)
        return _Measured(compute_metric(name, labels, probs, **kwargs), decomposition)

    def _too_small(
        self,
        column: str,
        encoded: GroupCodes,
        sizes: np.ndarray,
        large: np.ndarray,
        bias: BiasSpec,
    ) -> list[Result]:
        note = f"too small to score: fewer than min_group_size = {bias.min_group_size} examples"
        return [
            Result(
                **self.base,
                metric=METRICS.canonical(m.name),
                value=None,
                n=int(size),
                slice=column,
                group=name,
                note=note,
            )
            for name, size, big in zip(encoded.names, sizes, large, strict=True)
            if not big
            for m in bias.metrics
        ]

    def _results(
        self,
        pending: list[_Pending],
        strata: Callable[[], np.ndarray],
        column: str | None,
        block: tuple[Any, ...],
    ) -> list[Result]:
        intervals = self._intervals(pending, strata, block)
        results = []
        for item, found in zip(pending, intervals, strict=True):
            for entry, interval in zip(item.entries, found, strict=True):
                slice_column = "class" if entry.per_class else column
                results.append(self._result(entry, slice_column, interval))
        return results

    def _intervals(
        self, pending: list[_Pending], strata: Callable[[], np.ndarray], block: tuple[Any, ...]
    ) -> list[Sequence[Interval | None]]:
        """Each pending metric's intervals (None without a decomposition); the strata are
        made only when some metric is resampled."""
        usable = [p.decomposition for p in pending if p.decomposition is not None]
        spec = self.intervals
        computed: Iterator[Sequence[Interval | None]] = iter(
            bootstrap_intervals(
                usable,
                n_resamples=spec.n_resamples,
                level=spec.level,
                method=spec.method,  # type: ignore[arg-type]
                seed=seed_from(self.seed, self.dataset.name, *block),
                strata=strata(),
                closed_form=spec.closed_form,
            )
            if usable
            else []
        )
        return [
            next(computed) if p.decomposition is not None else [None] * len(p.entries)
            for p in pending
        ]

    def _result(self, entry: _Entry, column: str | None, interval: Interval | None) -> Result:
        value = None if np.isnan(entry.value) else entry.value
        return Result(
            **self.base,
            metric=entry.metric,
            value=value,
            n=entry.n,
            slice=column,
            group=entry.group,
            note=interval_note(value, interval),
            **interval_fields(interval),
        )


EXCLUDED_ESTIMATE_NOTE = (
    "the interval does not contain the estimate: resampling shifts this statistic (binned "
    "calibration errors and worst-group values are biased upward in small samples)"
)


def interval_note(value: float | None, interval: Interval | None) -> str | None:
    """A note for an interval that does not contain its point estimate, which bootstrap
    intervals of biased plug-in statistics can do; None otherwise.

    Example:
        >>> from assay.metrics.intervals import Interval
        >>> interval_note(0.01, Interval(0.02, 0.05, "percentile", 0.95, 1000)) is not None
        True
        >>> interval_note(0.03, Interval(0.02, 0.05, "percentile", 0.95, 1000)) is None
        True
    """
    if value is None or interval is None or np.isnan(interval.low):
        return None
    return None if interval.low <= value <= interval.high else EXCLUDED_ESTIMATE_NOTE


def interval_fields(interval: Interval | None) -> dict[str, Any]:
    """The Result fields of an interval; none when there is no (finite) interval."""
    if interval is None or np.isnan(interval.low):
        return {}
    return {
        "ci_low": interval.low,
        "ci_high": interval.high,
        "ci_method": interval.method,
        "ci_level": interval.level,
        "n_resamples": interval.n_resamples,
    }
