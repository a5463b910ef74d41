"""Confidence intervals: Wilson for proportions, bootstrap percentile and BCa otherwise.

All bootstrap intervals of a cell share one set of resamples (count matrices) and are
computed from sufficient statistics (:mod:`assay.metrics.decomposition`), so B = 1,000
resamples cost a sparse product per metric rather than B metric evaluations.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.special import ndtr, ndtri

from assay.metrics._checks import param_error
from assay.metrics.decomposition import Decomposition
from assay.metrics.resampling import chunk_plan, draw_counts

Method = Literal["percentile", "bca"]
METHODS = ("percentile", "bca")


@dataclass(frozen=True)
class Interval:
    """A two-sided confidence interval and how it was made."""

    low: float
    high: float
    method: str
    level: float
    n_resamples: int | None = None


def wilson_interval(successes: float, trials: float, *, level: float = 0.95) -> Interval:
    """Wilson score interval for a binomial proportion (Wilson 1927).

    Example:
        >>> interval = wilson_interval(8, 10)
        >>> round(interval.low, 4), round(interval.high, 4)
        (0.4902, 0.9433)
    """
    z = float(ndtri(0.5 + level / 2))
    p = successes / trials
    centre = (p + z**2 / (2 * trials)) / (1 + z**2 / trials)
    half = z * np.sqrt(p * (1 - p) / trials + z**2 / (4 * trials**2)) / (1 + z**2 / trials)
    return Interval(float(centre - half), float(centre + half), "wilson", level)


def bootstrap_intervals(
    decompositions: Sequence[Decomposition],
    *,
    n_resamples: int = 1000,
    level: float = 0.95,
    method: Method = "bca",
    seed: int = 0,
    strata: np.ndarray | None = None,
    closed_form: bool = True,
    n_jobs: int | None = None,
) -> list[list[Interval]]:
    """Intervals for every output of every decomposition, from one shared set of resamples.

    ``closed_form`` gives proportions (accuracy-like metrics) a Wilson interval instead.
    ``n_jobs`` threads draw the resamples (default: every core); the result is the same.
    BCa follows Efron (1987) with the jackknife acceleration, as scipy.stats.bootstrap does.

    Example:
        >>> from assay.metrics.classification import top1_hits
        >>> d = top1_hits(np.array([0, 1, 1, 0] * 25), np.zeros(100, dtype=int))
        >>> interval = bootstrap_intervals([d], closed_form=False, method="percentile")[0][0]
        >>> interval.low < 0.5 < interval.high
        True
    """
    if method not in METHODS:
        raise param_error("bootstrap_intervals", "method", "'percentile' or 'bca'", method)
    if not decompositions:
        return []
    n_examples = decompositions[0].n_examples

    def run_chunk(plan: tuple[int, np.random.SeedSequence]) -> list[np.ndarray]:
        counts = draw_counts(n_examples, plan[0], np.random.default_rng(plan[1]), strata)
        by_column = np.ascontiguousarray(counts.T)  # once per chunk, shared by every metric
        return [d.resampled_columns(by_column) for d in decompositions]

    # numpy's generators, bincount and scipy's sparse products release the GIL, so threads
    # use every core; each chunk has its own seed, so the result does not depend on them
    plans = chunk_plan(n_examples, n_resamples, seed)
    workers = min(len(plans), n_jobs or os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        chunks = list(pool.map(run_chunk, plans))
    results = []
    for index, decomposition in enumerate(decompositions):
        replicates = np.vstack([chunk[index] for chunk in chunks])
        if closed_form and decomposition.proportion:
            successes, trials = decomposition.totals()[0, :2]
            results.append([wilson_interval(successes, trials, level=level)])
            continue
        jackknife = decomposition.leave_one_out() if method == "bca" else None
        estimate = decomposition.value()
        results.append(
            [
                _interval(
                    estimate[j],
                    replicates[:, j],
                    None if jackknife is None else jackknife[:, j],
                    level,
                    method,
                )
                for j in range(replicates.shape[1])
            ]
        )
    return results


def _interval(
    estimate: float,
    replicates: np.ndarray,
    jackknife: np.ndarray | None,
    level: float,
    method: str,
) -> Interval:
    finite = replicates[~np.isnan(replicates)]
    n_resamples = len(replicates)
    if np.isnan(estimate) or finite.size == 0:
        return Interval(float("nan"), float("nan"), method, level, n_resamples)
    if np.all(finite == finite[0]):
        return Interval(float(finite[0]), float(finite[0]), method, level, n_resamples)
    alpha = (1 - level) / 2
    quantiles = np.array([alpha, 1 - alpha])
    if method == "bca" and jackknife is not None:
        quantiles = _bca_quantiles(estimate, finite, jackknife, alpha)
    low, high = np.quantile(finite, quantiles)
    return Interval(float(low), float(high), method, level, n_resamples)


def _bca_quantiles(
    estimate: float, replicates: np.ndarray, jackknife: np.ndarray, alpha: float
) -> np.ndarray:
    """Bias-corrected and accelerated quantile levels (Efron 1987; DiCiccio & Efron 1996)."""
    below = (np.sum(replicates < estimate) + np.sum(replicates <= estimate)) / (2 * len(replicates))
    z0 = float(ndtri(np.clip(below, 1e-12, 1 - 1e-12)))
    loo = jackknife[~np.isnan(jackknife)]
    spread = loo.mean() - loo
    denominator = 6 * np.sum(spread**2) ** 1.5
    acceleration = float(np.sum(spread**3) / denominator) if denominator > 0 else 0.0
    z = ndtri(np.array([alpha, 1 - alpha]))
    adjusted = ndtr(z0 + (z0 + z) / (1 - acceleration * (z0 + z)))
    return np.nan_to_num(adjusted, nan=0.5)
