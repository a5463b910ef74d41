"""OOD results: how well each model's scores separate an ood set from its in-distribution
reference. Maximum softmax probability for every model; negative energy where the model
gives logits. AUROC has a DeLong interval; AUPR and FPR@95%TPR a percentile bootstrap that
resamples both sets (ranks do not decompose into per-example sums)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from assay.hashing import seed_from
from assay.metrics import ood
from assay.metrics.intervals import Interval
from assay.reports.schema import Result
from assay.runners.scoring import interval_fields
from assay.suites.data import LoadedDataset
from assay.suites.policy_schema import IntervalSpec


def _resampled() -> list[ood.SeparationMetric]:
    """The separation metrics whose interval resamples indices (rank statistics)."""
    return [m for _, m in ood.SEPARATION_METRICS.registered() if m.interval == "resample"]


def ood_results(
    model: str,
    dataset: LoadedDataset,
    scores: Mapping[str, tuple[np.ndarray, np.ndarray]],
    intervals: IntervalSpec,
    seed: int,
) -> list[Result]:
    """Results for one model on one ood set; ``scores`` maps a score name to its
    (in-distribution, ood) arrays."""
    results = []
    for score_name, (inside, outside) in scores.items():
        base = {
            "model": model,
            "dataset": dataset.name,
            "kind": "ood",
            "n": len(inside) + len(outside),
            "note": f"{score_name} score against {dataset.reference!r}",
        }
        area = ood.auroc(inside, outside)
        delong = None
        if intervals.method != "none":
            low, high = ood.auroc_delong_interval(inside, outside, level=intervals.level)
            delong = Interval(low, high, "delong", intervals.level)
        results.append(
            Result(metric=f"ood_auroc_{score_name}", value=area, **base, **interval_fields(delong))
        )
        bounds = _bootstrap(inside, outside, intervals, seed_from(seed, dataset.name, score_name))
        for metric in _resampled():
            results.append(
                Result(
                    metric=f"ood_{metric.name}_{score_name}",
                    value=metric.function(inside, outside),
                    **base,
                    **interval_fields(bounds.get(metric.name)),
                )
            )
    return results


def _bootstrap(
    inside: np.ndarray, outside: np.ndarray, intervals: IntervalSpec, seed: int
) -> dict[str, Interval]:
    if intervals.method == "none":
        return {}
    rng = np.random.default_rng(seed)
    metrics = _resampled()
    replicates: dict[str, list[float]] = {m.name: [] for m in metrics}
    for _ in range(intervals.n_resamples):
        a = inside[rng.integers(0, len(inside), len(inside))]
        b = outside[rng.integers(0, len(outside), len(outside))]
        for metric in metrics:
            replicates[metric.name].append(metric.function(a, b))
    alpha = (1 - intervals.level) / 2
    found = {}
    for name, values in replicates.items():
        low, high = np.quantile(values, [alpha, 1 - alpha])
        found[name] = Interval(
            float(low), float(high), "percentile", intervals.level, intervals.n_resamples
        )
    return found
