"""Shifts are seeded per example id; FGSM matches a direct torch computation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from assay.errors import InvalidInputError
from assay.suites.attacks import fgsm
from assay.suites.randomness import per_example_normal
from assay.suites.shifts import GAUSSIAN_NOISE_SCALES, gaussian_noise


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32), st.integers(2, 50))
def test_noise_of_an_example_ignores_order_and_company(seed: int, n: int) -> None:
    keys = np.arange(n, dtype=np.uint64) * np.uint64(7919)
    order = np.random.default_rng(seed).permutation(n)
    together = per_example_normal(keys, seed, 4)
    shuffled = per_example_normal(keys[order], seed, 4)
    alone = per_example_normal(keys[:1], seed, 4)
    assert np.array_equal(together[order], shuffled)
    assert np.array_equal(together[:1], alone)


def test_noise_is_standard_normal() -> None:
    draws = per_example_normal(np.arange(20_000, dtype=np.uint64), 0, 5).ravel()
    assert stats.kstest(draws, "norm").pvalue > 1e-3
    assert abs(draws.mean()) < 0.01 and abs(draws.std() - 1) < 0.01


@pytest.mark.parametrize("severity", [1, 3, 5])
def test_noise_scale_follows_severity(severity: int) -> None:
    rng = np.random.default_rng(0)
    clean = rng.normal(size=(20_000, 3)) * [1.0, 2.0, 5.0]
    keys = np.arange(len(clean), dtype=np.uint64)
    noisy = gaussian_noise(clean, example_keys=keys, seed=0, severity=severity, clip=False)
    measured = (noisy - clean).std(axis=0)
    expected = GAUSSIAN_NOISE_SCALES[severity - 1] * clean.std(axis=0)
    assert measured == pytest.approx(expected, rel=0.03)


def test_noise_clips_to_the_observed_range() -> None:
    clean = np.random.default_rng(1).uniform(0, 16, size=(500, 64))
    noisy = gaussian_noise(
        clean, example_keys=np.arange(500, dtype=np.uint64), seed=0, severity=5, scale="global"
    )
    assert noisy.min() >= clean.min() and noisy.max() <= clean.max()


def test_bad_severity_uses_the_template() -> None:
    with pytest.raises(InvalidInputError, match="'severity' parameter of shift 'gaussian_noise'"):
        gaussian_noise(
            np.zeros((2, 2)), example_keys=np.arange(2, dtype=np.uint64), seed=0, severity=0
        )


def test_fgsm_matches_direct_torch() -> None:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    x = np.random.default_rng(0).normal(size=(16, 5)).astype(np.float32)
    y = np.random.default_rng(1).integers(0, 3, size=16)

    def gradient(features: np.ndarray, labels: np.ndarray) -> np.ndarray:
        inputs = torch.tensor(features, dtype=torch.float32, requires_grad=True)
        loss = torch.nn.functional.cross_entropy(
            model(inputs), torch.tensor(labels), reduction="sum"
        )
        loss.backward()
        assert inputs.grad is not None
        return inputs.grad.numpy()

    inputs = torch.tensor(x, requires_grad=True)
    torch.nn.functional.cross_entropy(model(inputs), torch.tensor(y)).backward()
    assert inputs.grad is not None
    expected = np.clip(x + 0.1 * np.sign(inputs.grad.numpy()), -1.0, 1.0)
    crafted = fgsm(x, y, gradient=gradient, eps=0.1, clip_min=-1.0, clip_max=1.0)
    assert np.allclose(crafted, expected, atol=1e-6)
    assert np.abs(crafted - np.clip(x, -1, 1)).max() <= 0.1 + 1e-6


def test_fgsm_raises_the_loss() -> None:
    torch.manual_seed(1)
    model = torch.nn.Linear(4, 2)
    x = np.random.default_rng(2).normal(size=(64, 4)).astype(np.float32)
    y = np.random.default_rng(3).integers(0, 2, size=64)

    def loss(features: np.ndarray) -> float:
        with torch.no_grad():
            out = model(torch.tensor(features, dtype=torch.float32))
            return float(torch.nn.functional.cross_entropy(out, torch.tensor(y)))

    def gradient(features: np.ndarray, labels: np.ndarray) -> np.ndarray:
        inputs = torch.tensor(features, dtype=torch.float32, requires_grad=True)
        torch.nn.functional.cross_entropy(
            model(inputs), torch.tensor(labels), reduction="sum"
        ).backward()
        assert inputs.grad is not None
        return inputs.grad.numpy()

    assert loss(fgsm(x, y, gradient=gradient, eps=0.5)) > loss(x)
