"""Interval methods: Wilson against scipy, bootstrap against scipy.stats.bootstrap, and
coverage by simulation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from assay.metrics.intervals import bootstrap_intervals, wilson_interval
from assay.metrics.registry import decompose
from assay.metrics.resampling import draw_counts, resample_counts, strata_codes


def accuracy(y: np.ndarray, probs: np.ndarray):  # type: ignore[no-untyped-def]
    return decompose("accuracy", y, probs)


def brier_score(y: np.ndarray, probs: np.ndarray):  # type: ignore[no-untyped-def]
    return decompose("brier_score", y, probs)


def nll(y: np.ndarray, probs: np.ndarray):  # type: ignore[no-untyped-def]
    return decompose("nll", y, probs)


@pytest.mark.parametrize(("successes", "trials"), [(0, 10), (3, 10), (10, 10), (517, 1000)])
def test_wilson_matches_scipy(successes: int, trials: int) -> None:
    expected = stats.binomtest(successes, trials).proportion_ci(0.9, method="wilson")
    ours = wilson_interval(successes, trials, level=0.9)
    assert (ours.low, ours.high) == pytest.approx((expected.low, expected.high), abs=1e-12)


def binary_sample(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """A calibrated binary model: p ~ U(0.05, 0.95), y ~ Bernoulli(p)."""
    p = rng.uniform(0.05, 0.95, size=n)
    y = (rng.random(n) < p).astype(int)
    return y, np.stack([1 - p, p], axis=1)


def true_values() -> dict[str, float]:
    p = np.linspace(0.05, 0.95, 2_000_001)
    return {
        "accuracy": float(np.mean(np.maximum(p, 1 - p))),
        "brier_score": float(np.mean(p * (1 - p))),
        "nll": float(np.mean(-p * np.log(p) - (1 - p) * np.log(1 - p))),
    }


@pytest.mark.parametrize("method", ["bca", "percentile"])
def test_bootstrap_agrees_with_scipy(method: str) -> None:
    y, probs = binary_sample(np.random.default_rng(0), 400)
    per_example = -np.log(probs[np.arange(len(y)), y])
    expected = stats.bootstrap(
        (per_example,),
        np.mean,
        n_resamples=20_000,
        method=method.upper() if method == "bca" else method,
        random_state=1,
    ).confidence_interval
    (ours,) = bootstrap_intervals([nll(y, probs)], n_resamples=20_000, method=method, seed=2)[0:1]
    assert (ours[0].low, ours[0].high) == pytest.approx((expected.low, expected.high), abs=0.01)


def test_coverage_is_nominal() -> None:
    truth = true_values()
    rng = np.random.default_rng(2024)
    covered = {name: 0 for name in truth}
    trials = 400
    for trial in range(trials):
        y, probs = binary_sample(rng, 200)
        decompositions = [accuracy(y, probs), brier_score(y, probs), nll(y, probs)]
        intervals = bootstrap_intervals(decompositions, n_resamples=1000, seed=trial)
        for name, (interval,) in zip(truth, intervals, strict=True):
            covered[name] += interval.low <= truth[name] <= interval.high
    for name, count in covered.items():
        assert 0.92 <= count / trials <= 0.98, (name, count / trials)


def test_stratified_resamples_keep_stratum_sizes() -> None:
    strata = strata_codes(np.array([0, 0, 0, 1, 1, 2]))
    for counts in resample_counts(6, 50, seed=0, strata=strata, chunk_elements=60):
        assert np.all(counts[:, :3].sum(axis=1) == 3)
        assert np.all(counts[:, 3:5].sum(axis=1) == 2)
        assert np.all(counts[:, 5] == 1)


def test_parallel_chunks_equal_the_sequential_draw() -> None:
    y, probs = binary_sample(np.random.default_rng(9), 3000)
    d = brier_score(y, probs)
    parallel = bootstrap_intervals([d], n_resamples=3000, method="percentile", seed=4)[0][0]
    counts = np.vstack(list(resample_counts(3000, 3000, seed=4)))
    sequential = np.quantile(d.resampled(counts)[:, 0], [0.025, 0.975])
    assert (parallel.low, parallel.high) == (sequential[0], sequential[1])


def test_same_seed_same_intervals_and_constant_metric() -> None:
    y, probs = binary_sample(np.random.default_rng(5), 100)
    d = decompose("ece", y, probs)
    assert d is not None
    first = bootstrap_intervals([d], seed=3)
    assert first == bootstrap_intervals([d], seed=3)
    perfect = accuracy(np.zeros(20, dtype=int), np.tile([[0.7, 0.3]], (20, 1)))
    constant = bootstrap_intervals([perfect], closed_form=False, seed=0)[0][0]
    assert constant.low == constant.high == 1.0


def test_influence_values_have_the_jackknifes_shape() -> None:
    """Above 20,000 rows BCa's acceleration comes from influence values instead of n
    leave-one-out evaluations; on a sample small enough for both they agree."""
    from assay.metrics.intervals import influence_spreads, jackknife_spreads

    y, probs = binary_sample(np.random.default_rng(3), 2000)
    for name in ("nll", "brier_score", "ece"):
        d = decompose(name, y, probs)
        assert d is not None
        (influence,) = influence_spreads(d)
        (jackknife,) = jackknife_spreads(d.leave_one_out())
        assert np.corrcoef(influence, jackknife)[0, 1] > 0.99, name


def test_large_sample_intervals_match_exact_resampling() -> None:
    from assay.metrics.intervals import _exact_replicates, _large_sample_replicates

    y, probs = binary_sample(np.random.default_rng(4), 30_000)
    ds = [decompose(m, y, probs) for m in ("accuracy", "brier_score", "nll", "ece")]
    strata = strata_codes(y)
    exact = _exact_replicates(ds, 2000, 1, strata, None)  # type: ignore[arg-type]
    large = _large_sample_replicates(ds, 2000, 1, strata, skip_proportions=False)  # type: ignore[arg-type]
    for e, a in zip(exact, large, strict=True):
        spread = np.std(e[:, 0])
        assert np.std(a[:, 0]) == pytest.approx(spread, rel=0.1)
        low, high = np.quantile(e[:, 0], [0.025, 0.975])
        ours = np.quantile(a[:, 0], [0.025, 0.975])
        assert ours == pytest.approx([low, high], abs=0.15 * spread)


@pytest.mark.slow
def test_coverage_is_nominal_above_the_large_sample_threshold() -> None:
    truth = true_values()
    rng = np.random.default_rng(77)
    trials = 400
    for method in ("bca", "percentile"):
        covered = {name: 0 for name in truth}
        for trial in range(trials):
            y, probs = binary_sample(rng, 25_000)
            decompositions = [accuracy(y, probs), brier_score(y, probs), nll(y, probs)]
            intervals = bootstrap_intervals(
                decompositions, n_resamples=1000, seed=trial, method=method, closed_form=False
            )
            for name, (interval,) in zip(truth, intervals, strict=True):
                covered[name] += interval.low <= truth[name] <= interval.high
        for name, count in covered.items():
            assert 0.92 <= count / trials <= 0.98, (method, name, count / trials)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 25)), min_size=1, max_size=200))
def test_integer_strata_equal_the_sorting_path(pairs: list[tuple[int, int]]) -> None:
    """The O(n) path for integer columns numbers strata exactly as sorting the rows does
    (values ranked as strings: 10 before 2), so intervals do not change."""
    from assay.metrics._checks import encode_groups

    a, b = (np.array(column) for column in zip(*pairs, strict=True))
    for columns in ((a,), (a, b), (b, a)):
        keys = np.stack([encode_groups(c, len(a))[0] for c in columns], axis=1)
        expected = np.unique(keys, axis=0, return_inverse=True)[1].reshape(-1)
        assert strata_codes(*columns).tolist() == expected.tolist()


def test_every_finish_works_row_by_row() -> None:
    """The large-sample path finishes resampled sums in fixed row chunks on threads: every
    registered metric's finish gives each row its own value (to rounding: numpy may sum a
    row in another order in a batch of another shape), and the chunked values are the same
    bits whatever the number of threads."""
    from assay.metrics.intervals import finish_by_rows
    from assay.metrics.registry import METRICS

    rng = np.random.default_rng(7)
    n, n_classes = 400, 4
    logits = rng.normal(size=(n, n_classes))
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = rng.integers(0, n_classes, n)
    groups = rng.choice(["a", "b", "c"], n)
    counts = draw_counts(n, 40, np.random.default_rng(1))
    for name, info in METRICS.items():
        kwargs = {"sensitive_features": groups} if info.needs_groups else {}
        decomposition = decompose(name, labels, probs, **kwargs)
        if decomposition is None:
            continue
        sums = np.asarray(decomposition.statistics.T @ counts.T).T
        whole = decomposition.finish(sums)
        single = np.vstack([decomposition.finish(sums[i : i + 1]) for i in range(len(sums))])
        np.testing.assert_allclose(single, whole, rtol=1e-12, atol=1e-15, err_msg=name)
        threaded = finish_by_rows(decomposition, sums, n_jobs=2, chunk=3)
        np.testing.assert_array_equal(threaded, finish_by_rows(decomposition, sums, 1, chunk=3))
        np.testing.assert_allclose(threaded, whole, rtol=1e-12, atol=1e-15, err_msg=name)
