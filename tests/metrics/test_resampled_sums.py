"""Large-sample bootstrap sums: exact where Lindeberg fails, normal elsewhere.

The normal part is checked against the exact stratified bootstrap on the same data (its
spread and quantiles), not against numbers written down here.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from assay.metrics.registry import decompose
from assay.metrics.resampled_sums import _gram, moments_of, resampled_sums, split_rows
from assay.reports.paired_cells import paired_metric

METRICS = ("accuracy", "ece", "brier_score", "nll", "balanced_accuracy")


def predictions(rng: np.random.Generator, n: int, classes: int = 3) -> tuple[np.ndarray, ...]:
    labels = rng.integers(0, classes, n)
    logits = 2.0 * np.eye(classes)[labels] + rng.normal(0, 1.2, (n, classes))
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    return labels, probs / probs.sum(axis=1, keepdims=True)


def test_small_samples_are_resampled_exactly_within_strata() -> None:
    rng = np.random.default_rng(0)
    strata = rng.integers(0, 3, 500)
    ones = sparse.csr_matrix(np.column_stack([np.eye(3)[strata], rng.random(500)]))
    split = split_rows([ones], strata, [None])
    assert split.is_exact
    sums = resampled_sums([ones], strata, 50, seed=1)[0]
    assert np.array_equal(sums[:, :3], np.tile(np.bincount(strata), (50, 1)))
    assert len(np.unique(sums[:, 3])) > 40  # the draws differ between resamples


def test_large_sample_bootstrap_matches_the_exact_one() -> None:
    """Spread and 2.5/97.5% quantiles of every metric's paired delta agree with exact
    resampling of the same 30,000 examples (B = 2,000 each)."""
    rng = np.random.default_rng(1)
    labels, baseline = predictions(rng, 30_000)
    _, candidate = predictions(rng, 30_000)
    paired = [
        paired_metric([m], decompose(m, labels, baseline), decompose(m, labels, candidate))
        for m in METRICS
    ]
    matrices = [p.delta.statistics for p in paired]
    exact = resampled_sums(matrices, labels, 2000, seed=2, exact_below=10**9)
    normal = resampled_sums(matrices, labels, 2000, seed=3, exact_below=0)
    assert not split_rows(matrices, labels, [moments_of(m, labels, 3) for m in matrices]).is_exact
    for metric, found, exact_sums, normal_sums in zip(METRICS, paired, exact, normal, strict=True):
        reference = found.delta.finish(exact_sums)[:, 0]
        approximate = found.delta.finish(normal_sums)[:, 0]
        spread = reference.std()
        assert 0.9 < approximate.std() / spread < 1.1, metric
        gaps = np.quantile(approximate, [0.025, 0.975]) - np.quantile(reference, [0.025, 0.975])
        assert np.all(np.abs(gaps) < 0.25 * spread), metric


def test_rows_that_break_lindeberg_are_resampled_exactly() -> None:
    """A column with a handful of entries (a sparse bin) and one huge value (an outlier of
    a heavy-tailed loss) put their rows in the exact part; the bulk stays normal."""
    rng = np.random.default_rng(4)
    n = 50_000
    values = rng.random((n, 3))
    values[:, 1] = 0.0
    rare = rng.choice(n, 5, replace=False)
    values[rare, 1] = 1.0
    values[7, 2] = 1e4
    statistics = sparse.csr_matrix(values)
    strata = rng.integers(0, 2, n)
    split = split_rows([statistics], strata, [moments_of(statistics, strata, 2)])
    assert set(split.exact_rows) == {*rare.tolist(), 7}


def test_outlier_rows_keep_the_bootstrap_honest() -> None:
    """A few examples with enormous losses: the hybrid's quantiles follow the exact
    bootstrap's skew instead of a symmetric normal."""
    rng = np.random.default_rng(5)
    losses = rng.exponential(0.5, 40_000)
    losses[:4] = 400.0
    strata = np.zeros(len(losses), dtype=int)
    statistics = sparse.csr_matrix(np.column_stack([losses, np.ones(len(losses))]))
    exact = resampled_sums([statistics], strata, 3000, seed=6, exact_below=10**9)[0]
    hybrid = resampled_sums([statistics], strata, 3000, seed=7, exact_below=0)[0]
    means = [s[:, 0] / s[:, 1] for s in (exact, hybrid)]
    assert 0.9 < means[1].std() / means[0].std() < 1.1
    upper = [np.quantile(m, 0.99) - np.median(m) for m in means]
    lower = [np.median(m) - np.quantile(m, 0.01) for m in means]
    assert upper[0] > 1.2 * lower[0]  # the exact bootstrap is skewed ...
    assert upper[1] > 1.2 * lower[1]  # ... and so is the hybrid


def test_resampled_sums_are_deterministic() -> None:
    rng = np.random.default_rng(8)
    labels, probs = predictions(rng, 25_000)
    statistics = decompose("ece", labels, probs).statistics
    first = resampled_sums([statistics], labels, 200, seed=9)[0]
    again = resampled_sums([statistics], labels, 200, seed=9)[0]
    other = resampled_sums([statistics], labels, 200, seed=10)[0]
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize(
    "statistics",
    [
        decompose("ece", *predictions(np.random.default_rng(11), 3000)).statistics,
        decompose(
            "ece", *predictions(np.random.default_rng(12), 3000, 6), params={"mode": "classwise"}
        ).statistics,
        sparse.random(400, 9, density=0.3, format="csr", random_state=13),
    ],
    ids=["bin patterns", "many patterns", "irregular rows"],
)
def test_gram_matches_scipy(statistics: sparse.csr_matrix) -> None:
    assert np.allclose(_gram(statistics), (statistics.T @ statistics).toarray(), atol=1e-9)
