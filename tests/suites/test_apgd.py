"""Auto-PGD (issue 14, item 1): robust accuracy matches torchattacks' APGD (cross-entropy
and DLR, L∞ and L2) on the digits demo's MLP within one percentage point, the budget and
bounds hold exactly, starts are drawn per example id, and DLR refuses two classes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from assay.errors import UserError
from assay.suites.apgd import Checkpoints
from assay.suites.attacks import ATTACKS, LossAt
from tests.suites.budget import sizes
from tests.suites.digits_mlp import robust_accuracy
from tests.suites.image_view import AsImages

apgd = ATTACKS.get("apgd").function
SEEDS = range(4)  # one run's robust accuracy moves ±1pp with its random start: average


@pytest.mark.parametrize(
    ("norm", "eps", "loss"),
    [
        ("linf", 1.0, "cross_entropy"),
        ("linf", 1.0, "dlr"),
        ("l2", 6.0, "cross_entropy"),
        ("l2", 6.0, "dlr"),
    ],
)
def test_robust_accuracy_matches_torchattacks(
    digits_mlp: tuple, norm: str, eps: float, loss: str
) -> None:
    torchattacks = pytest.importorskip(
        "torchattacks", reason="pip install --no-deps torchattacks==3.5.1 (see README)"
    )
    adapter, x, y, keys = digits_mlp
    settings = dict(eps=eps, norm=norm, loss=loss, steps=20, clip_min=0.0, clip_max=16.0)
    ours = [
        robust_accuracy(
            adapter,
            apgd(x, y, loss_at=adapter.loss_at, example_keys=keys, seed=seed, **settings),
            y,
        )
        for seed in SEEDS
    ]
    model = AsImages(adapter.module).eval()
    images = torch.tensor(x / 16.0, dtype=torch.float32).reshape(-1, 1, 8, 8)
    theirs = []
    for seed in SEEDS:
        attack = torchattacks.APGD(
            model,
            norm="Linf" if norm == "linf" else "L2",
            eps=eps / 16,
            steps=20,
            loss="ce" if loss == "cross_entropy" else "dlr",
            seed=seed,
        )
        crafted = attack(images, torch.tensor(y)).detach().reshape(len(x), 64).numpy() * 16.0
        theirs.append(robust_accuracy(adapter, crafted, y))
    assert np.mean(ours) < robust_accuracy(adapter, x, y) - 0.2  # the attack bites
    assert abs(np.mean(ours) - np.mean(theirs)) <= 0.01, (ours, theirs)


def linear_loss(w: np.ndarray) -> object:
    """A 3-class linear model's loss oracle (cross-entropy from its logits; DLR-ish is
    not needed here: any loss with a gradient moves the points)."""

    def loss_at(x: np.ndarray, labels: np.ndarray, loss: str) -> LossAt:
        logits = x @ w
        shifted = logits - logits.max(axis=1, keepdims=True)
        p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        rows = np.arange(len(x))
        onehot = np.zeros_like(p)
        onehot[rows, labels] = 1.0
        return LossAt(-np.log(p[rows, labels] + 1e-12), (p - onehot) @ w.T, logits.argmax(axis=1))

    return loss_at


@given(
    norm=st.sampled_from(["linf", "l2"]),
    eps=st.floats(0.01, 3.0),
    steps=st.integers(1, 12),
    seed=st.integers(0, 2**31),
)
@settings(max_examples=25, deadline=None)
def test_every_example_stays_in_budget_and_bounds(
    norm: str, eps: float, steps: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, size=(30, 6))
    y = rng.integers(0, 3, 30)
    keys = np.arange(30, dtype=np.uint64)
    loss_at = linear_loss(rng.normal(size=(6, 3)) * 5)
    bounds = {"clip_min": 0.0, "clip_max": 1.0}
    out = apgd(
        x,
        y,
        loss_at=loss_at,
        example_keys=keys,
        seed=seed,
        eps=eps,
        norm=norm,
        steps=steps,
        restarts=2,
        **bounds,
    )
    assert np.all(sizes(out, x, norm) <= eps * (1 + 1e-9) + 1e-12)
    assert out.min() >= 0.0 and out.max() <= 1.0


def test_starts_are_drawn_per_example_id_and_seed() -> None:
    x = np.full((5, 4), 0.5)
    y = np.zeros(5, int)
    flat = lambda points, labels, loss: LossAt(  # noqa: E731 - no gradient: starts only
        np.zeros(len(points)), np.zeros_like(points), np.ones(len(points), int)
    )
    keys = np.arange(5, dtype=np.uint64) * np.uint64(31)
    first = apgd(x, y, loss_at=flat, example_keys=keys, seed=1, eps=0.2, steps=2)
    order = np.array([3, 0, 4, 1, 2])
    again = apgd(x, y, loss_at=flat, example_keys=keys[order], seed=1, eps=0.2, steps=2)
    assert np.array_equal(again, first[order])
    assert np.allclose(np.abs(first - 0.5).max(axis=1), 0.2)  # on the sphere, as AutoAttack
    assert not np.array_equal(
        apgd(x, y, loss_at=flat, example_keys=keys, seed=2, eps=0.2, steps=2), first
    )


def test_checkpoints_follow_the_paper() -> None:
    assert Checkpoints.of(100) == Checkpoints(first=22, shrink=3, closest=6)
    assert Checkpoints.of(3) == Checkpoints(first=1, shrink=1, closest=1)


def test_dlr_needs_three_classes() -> None:
    from assay.runners.torch_adapter import difference_of_logits_ratio

    with pytest.raises(UserError, match="DLR loss needs three or more classes"):
        difference_of_logits_ratio(torch.zeros(2, 2), torch.zeros(2, dtype=torch.long))
    # the ratio ignores the logits' scale (why AutoAttack uses it)
    z, y = torch.tensor([[2.0, 1.0, -1.0, 0.5]]), torch.tensor([1])
    assert torch.allclose(difference_of_logits_ratio(z, y), difference_of_logits_ratio(7 * z, y))
    assert difference_of_logits_ratio(z, y).item() == pytest.approx((2.0 - 1.0) / (2.0 - 0.5))
