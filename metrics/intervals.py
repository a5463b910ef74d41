"""Confidence intervals: Wilson for proportions, bootstrap percentile and BCa otherwise.

All bootstrap intervals of a cell share one set of resamples (count matrices) and are
computed from sufficient statistics (:mod:`assay.metrics.decomposition`), so B = 1,000
resamples cost a sparse product per metric rather than B metric evaluations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.special import ndtr, ndtri

from assay.metrics._checks import param_error
from assay.metrics.decomposition import Decomposition
from assay.metrics.resampled_sums import EXACT_BELOW, WIDEST_NORMAL, resampled_sums
from assay.metrics.resampling import chunk_plan, draw_counts
from assay.metrics.rowwise import map_on_cores

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


def median_interval(values: np.ndarray, *, level: float = 0.95) -> Interval:
    """Distribution-free interval for a median from order statistics: [x₍ⱼ₎, x₍ₙ₋ⱼ₊₁₎],
    j the largest rank with P(Binomial(n, ½) < j) ≤ (1 − level)/2, so it covers the
    median with probability ≥ level whatever the distribution (NaN bounds below 6 values,
    where no such pair exists at 95%).

    Example:
        >>> interval = median_interval(np.arange(1.0, 21.0))
        >>> interval.low, interval.high, interval.method
        (6.0, 15.0, 'order_statistics')
    """
    from scipy.stats import binom

    ordered = np.sort(np.asarray(values, dtype=np.float64))
    n = len(ordered)
    rank = int(binom.ppf((1.0 - level) / 2.0, n, 0.5)) if n else 0  # P(B <= rank) >= alpha/2
    if binom.cdf(rank, n, 0.5) > (1.0 - level) / 2.0:
        rank -= 1  # largest j with P(B < j) = P(B <= j - 1) <= alpha/2, less one (0-based)
    if rank < 0:
        return Interval(float("nan"), float("nan"), "order_statistics", level)
    return Interval(float(ordered[rank]), float(ordered[n - 1 - rank]), "order_statistics", level)


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
    if n_examples >= EXACT_BELOW:
        replicate_sets = _large_sample_replicates(
            decompositions, n_resamples, seed, strata, skip_proportions=closed_form, n_jobs=n_jobs
        )
    else:
        replicate_sets = _exact_replicates(decompositions, n_resamples, seed, strata, n_jobs)
    results = []
    for decomposition, replicates in zip(decompositions, replicate_sets, strict=True):
        if closed_form and decomposition.proportion:
            successes, trials = decomposition.totals()[0, :2]
            results.append([wilson_interval(successes, trials, level=level)])
            continue
        accelerations = None
        if method == "bca":
            accelerations = (
                [influence_acceleration(u) for u in influence_spreads(decomposition)]
                if n_examples >= EXACT_BELOW
                else [
                    jackknife_acceleration(spread)
                    for spread in jackknife_spreads(decomposition.leave_one_out())
                ]
            )
        estimate = decomposition.value()
        results.append(
            [
                _interval(
                    estimate[j],
                    replicates[:, j],
                    None if accelerations is None else accelerations[j],
                    level,
                    method,
                )
                for j in range(replicates.shape[1])
            ]
        )
    return results


def _exact_replicates(
    decompositions: Sequence[Decomposition],
    n_resamples: int,
    seed: int,
    strata: np.ndarray | None,
    n_jobs: int | None,
) -> list[np.ndarray]:
    """(B × j) replicates of each decomposition from B × n resampled counts."""
    n_examples = decompositions[0].n_examples

    def run_chunk(plan: tuple[int, np.random.SeedSequence]) -> list[np.ndarray]:
        counts = draw_counts(n_examples, plan[0], np.random.default_rng(plan[1]), strata)
        by_column = np.ascontiguousarray(counts.T)  # once per chunk, shared by every metric
        return [d.resampled_columns(by_column) for d in decompositions]

    # numpy's generators, bincount and scipy's sparse products release the GIL, so threads
    # use every core; each chunk has its own seed, so the result does not depend on them
    chunks = map_on_cores(run_chunk, chunk_plan(n_examples, n_resamples, seed), n_jobs)
    return [np.vstack([chunk[index] for chunk in chunks]) for index in range(len(decompositions))]


def _large_sample_replicates(
    decompositions: Sequence[Decomposition],
    n_resamples: int,
    seed: int,
    strata: np.ndarray | None,
    *,
    skip_proportions: bool,
    n_jobs: int | None = None,
) -> list[np.ndarray]:
    """(B × j) replicates from :func:`resampled_sums` (exact draws only for the rows that
    break Lindeberg's condition, the normal limit for the rest). Wide statistics (more
    columns than a covariance can cheaply hold) are resampled apart, exactly, so they do not
    pull the narrow ones onto the exact path; proportions given a Wilson interval are not
    resampled at all."""
    n_examples = decompositions[0].n_examples
    codes = np.zeros(n_examples, dtype=np.int64) if strata is None else strata
    wanted = [i for i, d in enumerate(decompositions) if not (skip_proportions and d.proportion)]
    narrow = [i for i in wanted if decompositions[i].statistics.shape[1] <= WIDEST_NORMAL]
    wide = [i for i in wanted if i not in narrow]
    replicates = [np.empty((0, len(d.outputs))) for d in decompositions]
    seeds = np.random.SeedSequence(seed).generate_state(2)
    for group, group_seed in zip((narrow, wide), seeds, strict=True):
        if not group:
            continue
        matrices = [decompositions[i].statistics for i in group]
        sums = resampled_sums(matrices, codes, n_resamples, int(group_seed))
        for i, total in zip(group, sums, strict=True):
            replicates[i] = finish_by_rows(decompositions[i], total, n_jobs)
    return replicates


def finish_by_rows(
    decomposition: Decomposition, sums: np.ndarray, n_jobs: int | None = None, chunk: int = 128
) -> np.ndarray:
    """``finish`` of resampled sums (B × k) in fixed chunks of rows, on threads: finishes
    work row by row (the exact path also calls them per chunk of resamples) and costly ones
    (smooth ECE's bisection of FFTs) release the GIL. numpy may sum a row in another order
    when the batch has another shape, so the chunks are fixed: the values depend on neither
    the thread count nor the machine.

    Example:
        >>> from assay.metrics.decomposition import mean_of
        >>> finish_by_rows(mean_of(np.ones(3)), np.array([[2.0, 4.0], [3.0, 3.0]])).tolist()
        [[0.5], [1.0]]
    """
    starts = range(0, len(sums), chunk)

    def finish(start: int) -> np.ndarray:
        return decomposition.finish(sums[start : start + chunk])

    return np.vstack(map_on_cores(finish, starts, n_jobs))


def jackknife_spreads(leave_one_out: np.ndarray) -> list[np.ndarray]:
    """Per output, mean(θ₍ᵢ₎) − θ₍ᵢ₎ over the defined leave-one-out values."""
    spreads = []
    for j in range(leave_one_out.shape[1]):
        loo = leave_one_out[:, j][~np.isnan(leave_one_out[:, j])]
        spreads.append(loo.mean() - loo)
    return spreads


def influence_spreads(decomposition: Decomposition) -> list[np.ndarray]:
    """Per output, each example's empirical influence Uᵢ = ∇f(T) · Sᵢ, centred (the
    infinitesimal jackknife: Efron 1982, §6; the jackknife's spreads are ≈ Uᵢ/(n − 1), and
    the acceleration only needs their shape). ∇f, the gradient of ``finish`` at the totals
    T, comes from one batched call on T and T + hⱼeⱼ for every column j: O(k) evaluations
    and one sparse product instead of n leave-one-out evaluations."""
    totals = decomposition.totals()
    width = totals.shape[1]
    steps = 1e-6 * np.maximum(np.abs(totals[0]), 1.0)
    points = np.repeat(totals, width + 1, axis=0)
    points[1:] += np.diag(steps)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = decomposition.finish(points)
    gradient = (values[1:] - values[:1]) / steps[:, None]  # k × j
    influence = np.asarray(decomposition.statistics @ np.nan_to_num(gradient))  # n × j
    return [column - column.mean() for column in influence.T]


def jackknife_acceleration(spread: np.ndarray) -> float:
    """BCa's acceleration from the jackknife's spreads (Efron 1987)."""
    denominator = 6 * np.sum(spread**2) ** 1.5
    return float(np.sum(spread**3) / denominator) if denominator > 0 else 0.0


def influence_acceleration(influence: np.ndarray) -> float:
    """The same from centred influence values, with products instead of ``**3`` (a libm
    pow per element: 20 ms per million rows, 100 times per run)."""
    squares = influence * influence
    denominator = 6 * float(np.sum(squares)) ** 1.5
    return float(np.dot(squares, influence) / denominator) if denominator > 0 else 0.0


def _interval(
    estimate: float,
    replicates: np.ndarray,
    acceleration: float | None,
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
    if method == "bca" and acceleration is not None:
        quantiles = _bca_quantiles(estimate, finite, acceleration, alpha)
    low, high = np.quantile(finite, quantiles)
    return Interval(float(low), float(high), method, level, n_resamples)


def _bca_quantiles(
    estimate: float, replicates: np.ndarray, acceleration: float, alpha: float
) -> np.ndarray:
    """Bias-corrected and accelerated quantile levels (Efron 1987; DiCiccio & Efron 1996)."""
    below = (np.sum(replicates < estimate) + np.sum(replicates <= estimate)) / (2 * len(replicates))
    z0 = float(ndtri(np.clip(below, 1e-12, 1 - 1e-12)))
    z = ndtri(np.array([alpha, 1 - alpha]))
    adjusted = ndtr(z0 + (z0 + z) / (1 - acceleration * (z0 + z)))
    return np.nan_to_num(adjusted, nan=0.5)
