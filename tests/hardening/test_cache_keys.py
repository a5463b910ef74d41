"""Change one input at a time: the cells it affects are recomputed, the others come from
the cache, and nothing changed means no inference at all."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from safetensors.torch import save_model

from assay.runners.run import run_suite
from assay.suites.loading import load_suite

LAYERS = """
import torch
from torch import nn


class Scale(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * 1.0
"""

FACTORY = """
from torch import nn

from {layers} import Scale


def net() -> nn.Module:
    return nn.Sequential(nn.Linear(2, 2), Scale(), nn.Softmax(dim=1))
"""

READER = '''
import numpy as np


class TableModel:
    """Reads its two class weights from a file named in its params."""

    def __init__(self, weights: str, tag: str = "v1") -> None:
        self.weights = np.loadtxt(weights)
        self.assay_fingerprint = tag

    def predict_proba(self, batch):
        scores = np.asarray(batch, dtype=float) @ self.weights
        exp = np.exp(scores - scores.max(axis=1, keepdims=True))
        return exp / exp.sum(axis=1, keepdims=True)
'''

Suite = dict[str, Any]


class Project:
    """A suite folder with a torch model (factory and a layer in two modules), a python
    model that reads a file, clean, shifted and attacked datasets."""

    def __init__(self, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.folder = folder
        suffix = uuid.uuid4().hex[:8]
        self.layers, self.factory, self.reader = (
            f"layers_{suffix}",
            f"factory_{suffix}",
            f"reader_{suffix}",
        )
        (folder / f"{self.layers}.py").write_text(LAYERS)
        (folder / f"{self.factory}.py").write_text(FACTORY.format(layers=self.layers))
        (folder / f"{self.reader}.py").write_text(READER)
        monkeypatch.syspath_prepend(str(folder))
        self.save_weights(seed=0)
        np.savetxt(folder / "table.txt", np.array([[1.0, -1.0], [0.5, 0.2]]))
        rng = np.random.default_rng(0)
        pd.DataFrame(
            {
                "x1": rng.normal(size=64),
                "x2": rng.normal(size=64),
                "label": np.where(rng.random(64) > 0.5, "a", "b"),
            }
        ).to_csv(folder / "data.csv", index=False)
        self.suite: Suite = {
            "name": "keys",
            "version": "1",
            "intervals": {"method": "none"},
            "models": [
                {
                    "name": "net",
                    "type": "torch",
                    "factory": f"{self.factory}:net",
                    "checkpoint": "net.safetensors",
                    "output": "probabilities",
                },
                {
                    "name": "table",
                    "type": "python",
                    "object": f"{self.reader}:TableModel",
                    "params": {"weights": "table.txt"},
                },
            ],
            "datasets": [
                {
                    "name": "clean",
                    "source": {"type": "file", "path": "data.csv"},
                    "label": "label",
                    "features": ["x1", "x2"],
                },
                {
                    "name": "noisy",
                    "kind": "shifted",
                    "from": "clean",
                    "shift": {"name": "gaussian_noise", "params": {"severity": 1}},
                },
                {
                    "name": "attacked",
                    "kind": "adversarial",
                    "from": "clean",
                    "attack": {"name": "fgsm", "params": {"eps": 0.1}, "surrogate": "net"},
                },
            ],
        }

    def save_weights(self, seed: int) -> None:
        torch.manual_seed(seed)
        save_model(torch.nn.Sequential(torch.nn.Linear(2, 2)), str(self.folder / "net.safetensors"))

    def inferred(self, suite: Suite | None = None) -> set[tuple[str, str]]:
        """Run the suite (with the shared cache); the (model, dataset) cells inferred."""
        path = self.folder / "suite.yaml"
        path.write_text(yaml.safe_dump(suite or self.suite, sort_keys=False))
        output = run_suite(load_suite(path), cache_dir=self.folder / "cache")
        return {(c.model, c.dataset) for c in output.report.cells if not c.cached}


ALL = {(m, d) for m in ("net", "table") for d in ("clean", "noisy", "attacked")}


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def _suite_change(edit: Callable[[Suite], None]) -> Callable[[Project], Suite]:
    def change(project: Project) -> Suite:
        suite = copy.deepcopy(project.suite)
        edit(suite)
        return suite

    return change


def _file_change(action: Callable[[Project], None]) -> Callable[[Project], Suite]:
    def change(project: Project) -> Suite:
        action(project)
        return project.suite

    return change


def _set(path: tuple[Any, ...], value: Any) -> Callable[[Suite], None]:
    def edit(suite: Suite) -> None:
        target: Any = suite
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return edit


def _new_data(project: Project) -> None:
    frame = pd.read_csv(project.folder / "data.csv")
    frame.loc[3, "x1"] += 0.25
    frame.to_csv(project.folder / "data.csv", index=False)


NET = {("net", d) for d in ("clean", "noisy", "attacked")}
TABLE = {("table", d) for d in ("clean", "noisy", "attacked")}
ATTACKED = {("net", "attacked"), ("table", "attacked")}  # crafted on the net surrogate

CHANGES: dict[str, tuple[Callable[[Project], Suite], set[tuple[str, str]]]] = {
    "weights": (_file_change(lambda p: p.save_weights(seed=1)), NET | ATTACKED),
    "data contents": (_file_change(_new_data), ALL),
    "factory source": (
        _file_change(lambda p: _edit(p.folder / f"{p.factory}.py", "Scale()", "Scale(), Scale()")),
        NET | ATTACKED,
    ),
    "layer source": (
        _file_change(lambda p: _edit(p.folder / f"{p.layers}.py", "x * 1.0", "x * 2.0")),
        NET | ATTACKED,
    ),
    "file a model reads": (
        _file_change(lambda p: np.savetxt(p.folder / "table.txt", np.eye(2))),
        TABLE,
    ),
    "declared fingerprint": (_suite_change(_set(("models", 1, "params", "tag"), "v2")), TABLE),
    "shift params": (
        _suite_change(_set(("datasets", 1, "shift", "params", "severity"), 2)),
        {("net", "noisy"), ("table", "noisy")},
    ),
    "attack params": (
        _suite_change(_set(("datasets", 2, "attack", "params", "eps"), 0.2)),
        ATTACKED,
    ),
    # clean predictions do not depend on the seed; shifted and attacked ones do
    "seed": (_suite_change(_set(("seed",), 1)), {("net", "noisy"), ("table", "noisy")} | ATTACKED),
    "features order": (_suite_change(_set(("datasets", 0, "features"), ["x2", "x1"])), ALL),
    "classes order": (_suite_change(_set(("datasets", 0, "classes"), ["b", "a"])), ALL),
    # the net is the surrogate: its outputs shape the attack on the table model too
    "output kind": (_suite_change(_set(("models", 0, "output"), "logits")), NET | ATTACKED),
    "batch size": (_suite_change(_set(("models", 1, "batch_size"), 7)), TABLE),
}


@pytest.mark.parametrize("change", list(CHANGES), ids=str)
def test_one_changed_input_recomputes_what_it_affects(
    change: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = Project(tmp_path, monkeypatch)
    assert project.inferred() == ALL
    assert project.inferred() == set()  # unchanged: everything from the cache
    apply, affected = CHANGES[change]
    assert project.inferred(apply(project)) == affected
