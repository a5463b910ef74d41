"""Every metric's statistics: the matrix agrees with the block sums, and resampled sums
reproduce the metric recomputed on the resample (and on leave-one-out samples)."""

from __future__ import annotations

import numpy as np
import pytest

from assay.metrics.registry import METRICS, compute_metric, decompose
from assay.metrics.resampling import resample_counts

# equal-mass edges are re-estimated by the metric on a resample but kept by the decomposition
EDGES_FROM_DATA = {"adaptive_ece", "debiased_ece"}


def sample(seed: int, n: int = 150, n_classes: int = 4) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.ones(n_classes) * 0.7, size=n)
    labels = np.where(rng.random(n) < 0.6, probs.argmax(axis=1), rng.integers(0, n_classes, n))
    groups = rng.choice(["a", "b", "c"], size=n, p=[0.5, 0.3, 0.2])
    return labels, probs, groups


def as_values(value: float | dict[str, float], outputs: tuple[str, ...]) -> np.ndarray:
    if isinstance(value, dict):
        return np.array([value[k] for k in outputs])
    return np.array([value])


@pytest.mark.parametrize("name", sorted(METRICS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_matrix_and_the_block_sums_agree(name: str, seed: int) -> None:
    """The value sums each block directly; resampling uses the matrix built from the same
    blocks: both must give the same totals, and so the same value."""
    labels, probs, groups = sample(seed)
    needs_groups = METRICS.get(name).needs_groups
    decomposition = decompose(
        name, labels, probs, sensitive_features=groups if needs_groups else None
    )
    assert decomposition is not None
    matrix_totals = np.asarray(decomposition.statistics.sum(axis=0)).reshape(1, -1)
    assert decomposition.totals() == pytest.approx(matrix_totals, abs=1e-9)
    unit = decomposition.resampled(np.ones((1, len(labels))))[0]
    assert unit == pytest.approx(decomposition.value(), abs=1e-12, nan_ok=True)


@pytest.mark.parametrize("name", sorted(set(METRICS) - EDGES_FROM_DATA))
def test_resampled_values_equal_the_metric_on_the_resample(name: str) -> None:
    labels, probs, groups = sample(7)
    needs_groups = METRICS.get(name).needs_groups
    decomposition = decompose(
        name, labels, probs, sensitive_features=groups if needs_groups else None
    )
    assert decomposition is not None
    counts = next(resample_counts(len(labels), 5, seed=3))
    resampled = decomposition.resampled(counts)
    for row, replicate in zip(counts.astype(int), resampled, strict=True):
        index = np.repeat(np.arange(len(labels)), row)
        expected = compute_metric(
            name,
            labels[index],
            probs[index],
            sensitive_features=groups[index] if needs_groups else None,
        )
        if isinstance(expected, dict):  # classes or groups absent from a resample are NaN
            expected = {k: expected.get(k, np.nan) for k in decomposition.outputs}
        assert replicate == pytest.approx(
            as_values(expected, decomposition.outputs), abs=1e-12, nan_ok=True
        )


@pytest.mark.parametrize("name", ["accuracy", "ece", "brier_score", "worst_group_accuracy"])
def test_leave_one_out_equals_brute_force(name: str) -> None:
    labels, probs, groups = sample(11, n=40)
    needs_groups = METRICS.get(name).needs_groups
    decomposition = decompose(
        name, labels, probs, sensitive_features=groups if needs_groups else None
    )
    assert decomposition is not None
    jackknife = decomposition.leave_one_out(chunk=7)
    for i in range(len(labels)):
        keep = np.arange(len(labels)) != i
        expected = compute_metric(
            name,
            labels[keep],
            probs[keep],
            sensitive_features=groups[keep] if needs_groups else None,
        )
        assert jackknife[i, 0] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("name", sorted(METRICS))
def test_taking_rows_equals_building_from_them(name: str) -> None:
    """A slice takes the rows of the dataset's row-local statistics instead of building
    them again: its value must be bit for bit the one a fresh build gives."""
    labels, probs, groups = sample(5, n=300)
    info = METRICS.get(name)
    if info.needs_groups:
        return
    whole = decompose(name, labels, probs)
    assert whole is not None
    if not whole.row_local:
        return
    rows = np.flatnonzero(groups == "b")
    fresh = decompose(name, labels[rows], probs[rows])
    assert fresh is not None
    taken = whole.take(rows)
    assert taken.value().tolist() == fresh.value().tolist()
    assert (taken.statistics != fresh.statistics).nnz == 0
