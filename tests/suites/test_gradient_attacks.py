"""PGD (issue 14, item 1): the budget and bounds hold exactly, random starts are drawn per
example id, restarts keep the first success, and robust accuracy matches torchattacks'
PGD and PGDL2 on the digits demo's MLP within one percentage point."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from assay.suites.attacks import ATTACKS
from tests.suites.budget import sizes
from tests.suites.digits_mlp import robust_accuracy
from tests.suites.image_view import AsImages

pgd = ATTACKS.get("pgd").function


@pytest.mark.parametrize(
    ("norm", "eps", "steps"), [("linf", 1.0, 10), ("linf", 2.0, 20), ("l2", 8.0, 20)]
)
def test_robust_accuracy_matches_torchattacks(
    digits_mlp: tuple, norm: str, eps: float, steps: int
) -> None:
    torchattacks = pytest.importorskip(
        "torchattacks", reason="pip install --no-deps torchattacks==3.5.1 (see README)"
    )
    adapter, x, y, keys = digits_mlp
    alpha = 2.5 * eps / steps
    ours = pgd(
        x,
        y,
        gradient=adapter.loss_gradient,
        predict=None,
        example_keys=keys,
        seed=0,
        eps=eps,
        norm=norm,
        steps=steps,
        clip_min=0.0,
        clip_max=16.0,
    )
    model = AsImages(adapter.module).eval()
    attack_type = torchattacks.PGD if norm == "linf" else torchattacks.PGDL2
    torch.manual_seed(0)
    theirs = attack_type(model, eps=eps / 16, alpha=alpha / 16, steps=steps, random_start=True)
    images = torch.tensor(x / 16.0, dtype=torch.float32).reshape(-1, 1, 8, 8)
    crafted = theirs(images, torch.tensor(y)).reshape(len(x), 64).numpy() * 16.0
    clean = robust_accuracy(adapter, x, y)
    found, expected = robust_accuracy(adapter, ours, y), robust_accuracy(adapter, crafted, y)
    assert found < clean - 0.1  # the attack bites
    assert abs(found - expected) <= 0.01, (found, expected)


@given(
    norm=st.sampled_from(["linf", "l2"]),
    eps=st.floats(0.01, 5.0),
    steps=st.integers(1, 6),
    seed=st.integers(0, 2**31),
)
@settings(max_examples=25, deadline=None)
def test_every_example_stays_in_budget_and_bounds(
    norm: str, eps: float, steps: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, size=(40, 7))
    w = rng.normal(size=(7, 3))
    y = rng.integers(0, 3, 40)

    def gradient(points: np.ndarray, labels: np.ndarray) -> np.ndarray:
        return np.tanh(points @ w)[:, labels % 3].diagonal()[:, None] * w.sum(axis=1) * 50

    keys = np.arange(40, dtype=np.uint64)
    out = pgd(
        x,
        y,
        gradient=gradient,
        predict=None,
        example_keys=keys,
        seed=seed,
        eps=eps,
        norm=norm,
        steps=steps,
        clip_min=0.0,
        clip_max=1.0,
    )
    assert np.all(sizes(out, x, norm) <= eps * (1 + 1e-9) + 1e-12)
    assert out.min() >= 0.0 and out.max() <= 1.0


def test_random_starts_are_drawn_per_example_id() -> None:
    x = np.full((6, 4), 0.5)
    y = np.zeros(6, int)
    keys = np.arange(6, dtype=np.uint64) * np.uint64(977)
    zero = lambda points, labels: np.zeros_like(points)  # noqa: E731 - starts only
    first = pgd(x, y, gradient=zero, predict=None, example_keys=keys, seed=3, eps=0.1, steps=1)
    order = np.array([5, 2, 0, 1, 4, 3])
    again = pgd(
        x[order], y, gradient=zero, predict=None, example_keys=keys[order], seed=3, eps=0.1, steps=1
    )
    assert np.array_equal(again, first[order])
    assert not np.array_equal(first[0], first[1])
    other = pgd(x, y, gradient=zero, predict=None, example_keys=keys, seed=4, eps=0.1, steps=1)
    assert not np.array_equal(other, first)


def test_restarts_keep_the_first_success_and_never_lose_one(digits_mlp: tuple) -> None:
    adapter, x, y, keys = digits_mlp

    def predict(points: np.ndarray) -> np.ndarray:
        return adapter.predict_proba(points).argmax(axis=1)

    kwargs = dict(
        gradient=adapter.loss_gradient,
        predict=predict,
        example_keys=keys,
        seed=0,
        eps=0.75,
        steps=5,
        clip_min=0.0,
        clip_max=16.0,
    )
    once = pgd(x, y, restarts=1, **kwargs)
    thrice = pgd(x, y, restarts=3, **kwargs)
    fooled_once = predict(once) != y
    fooled_thrice = predict(thrice) != y
    assert np.all(fooled_thrice[fooled_once])  # the first restart is the same draw
    assert fooled_thrice.sum() >= fooled_once.sum()


def test_pgd_without_keys_or_with_bad_bounds_is_refused() -> None:
    from assay.errors import UserError

    grad = lambda points, labels: np.ones_like(points)  # noqa: E731
    with pytest.raises(UserError, match="needs example_keys"):
        pgd(np.zeros((1, 2)), np.zeros(1, int), gradient=grad, eps=0.1)
    with pytest.raises(UserError, match="'clip_min' parameter of pgd must be below clip_max"):
        pgd(
            np.zeros((1, 2)),
            np.zeros(1, int),
            gradient=grad,
            example_keys=np.zeros(1, np.uint64),
            eps=0.1,
            clip_min=1.0,
            clip_max=0.0,
        )
    with pytest.raises(UserError, match="'norm' parameter of attack 'pgd' must be one of"):
        pgd(
            np.zeros((1, 2)),
            np.zeros(1, int),
            gradient=grad,
            example_keys=np.zeros(1, np.uint64),
            eps=0.1,
            norm="l1",
        )


class Reordered:
    """A model naming its classes in another order than the dataset's: output 0 is "b"."""

    name = "reordered"
    classes = ("b", "a")
    seen: list[np.ndarray]

    def __init__(self) -> None:
        self.seen = []

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return np.tile([0.9, 0.1], (len(x), 1))

    def loss_gradient(self, x: np.ndarray, labels: np.ndarray) -> np.ndarray:
        self.seen.append(np.asarray(labels))
        return np.ones_like(x)


def test_an_attacker_gets_labels_in_its_own_class_order() -> None:
    from dataclasses import replace

    import pandas as pd
    import pyarrow as pa

    from assay.runners.inference import attacked_block
    from assay.suites.data import LoadedDataset
    from assay.suites.features import FeatureBlock
    from assay.suites.schema import Attack

    features = FeatureBlock(
        np.zeros((4, 2), np.float32), (("x", 1), ("z", 1)), pd.DataFrame(), ("x", "z")
    )
    dataset = LoadedDataset(
        name="adv",
        kind="adversarial",
        ids=pa.array(["p", "q", "r", "s"]),
        labels=np.array([0, 1, 1, 0]),
        classes=("a", "b"),
        features=features,
        groups={},
        sensitive=(),
        fingerprint="f",
        derived_from="clean",
    )
    dataset = replace(dataset, transform=Attack(name="pgd", params={"eps": 0.1, "steps": 1}))
    attacker = Reordered()
    attacked_block(dataset, slice(0, 4), attacker, batch_size=4, seed=0)  # type: ignore[arg-type]
    assert attacker.seen[0].tolist() == [1, 0, 0, 1]  # "a" is the model's output 1
