"""Turn one cell's predictions into report results: overall, per slice, per sensitive group."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assay.metrics.registry import DEFAULT_GROUP_METRICS, METRICS, compute_metric
from assay.reports.schema import Result
from assay.suites.data import LoadedDataset
from assay.suites.schema import MetricSpec


def score_predictions(
    model: str,
    dataset: LoadedDataset,
    probabilities: np.ndarray,
    metrics: Sequence[MetricSpec],
    slices: Sequence[str],
) -> list[Result]:
    """All results of one model on one dataset, in a fixed order.

    Scalar metrics are computed overall and within each group of each slice column; group
    metrics (parity gaps, worst-group and per-group accuracy) for each sensitive column.
    """
    scalar = [
        m
        for m in metrics
        if not (METRICS.get(m.name).needs_groups or METRICS.get(m.name).per_class)
    ]
    per_class = [m for m in metrics if METRICS.get(m.name).per_class]
    grouped = [m for m in metrics if METRICS.get(m.name).needs_groups] or [
        MetricSpec(name=n) for n in DEFAULT_GROUP_METRICS
    ]
    base = {"model": model, "dataset": dataset.name, "kind": dataset.kind}
    results = [
        Result(
            **base,
            metric=METRICS.canonical(m.name),
            n=dataset.n_examples,
            value=_scalar(m, dataset.labels, probabilities, None),
        )
        for m in scalar
    ]
    for metric in per_class:
        results += _per_class_results(base, dataset, probabilities, metric)
    for column in slices:
        results += _slice_results(base, dataset, probabilities, scalar, column)
    for column in dataset.sensitive:
        results += _fairness_results(base, dataset, probabilities, grouped, column)
    return results


def _scalar(
    metric: MetricSpec, labels: np.ndarray, probabilities: np.ndarray, groups: np.ndarray | None
) -> float:
    value = compute_metric(
        metric.name, labels, probabilities, sensitive_features=groups, params=metric.params
    )
    assert isinstance(value, float)
    return value


def _per_class_results(
    base: dict, dataset: LoadedDataset, probabilities: np.ndarray, metric: MetricSpec
) -> list[Result]:
    """One result per class, grouped under the pseudo-column "class" by class name."""
    values = compute_metric(metric.name, dataset.labels, probabilities, params=metric.params)
    assert isinstance(values, dict)
    support = np.bincount(dataset.labels, minlength=len(dataset.classes))
    return [
        Result(
            **base,
            metric=METRICS.canonical(metric.name),
            value=value,
            n=int(support[int(index)]),
            slice="class",
            group=dataset.classes[int(index)],
        )
        for index, value in values.items()
    ]


def _slice_results(
    base: dict,
    dataset: LoadedDataset,
    probabilities: np.ndarray,
    metrics: Sequence[MetricSpec],
    column: str,
) -> list[Result]:
    values = dataset.groups[column]
    results = []
    for group in sorted(set(values.tolist())):
        rows = values == group
        for metric in metrics:
            value = _scalar(metric, dataset.labels[rows], probabilities[rows], None)
            results.append(
                Result(
                    **base,
                    metric=METRICS.canonical(metric.name),
                    value=value,
                    n=int(rows.sum()),
                    slice=column,
                    group=group,
                )
            )
    return results


def _fairness_results(
    base: dict,
    dataset: LoadedDataset,
    probabilities: np.ndarray,
    metrics: Sequence[MetricSpec],
    column: str,
) -> list[Result]:
    groups = dataset.groups[column]
    results = []
    for metric in metrics:
        name = METRICS.canonical(metric.name)
        value = compute_metric(
            name, dataset.labels, probabilities, sensitive_features=groups, params=metric.params
        )
        if isinstance(value, dict):
            sizes = dict(zip(*np.unique(groups, return_counts=True), strict=True))
            results += [
                Result(**base, metric=name, value=v, n=int(sizes[g]), slice=column, group=g)
                for g, v in value.items()
            ]
        else:
            results.append(
                Result(**base, metric=name, value=value, n=dataset.n_examples, slice=column)
            )
    return results
