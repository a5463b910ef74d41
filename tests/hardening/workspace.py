"""The bad-input tests' working suite and the helpers that break one thing in it.

Each case starts from a small working suite (see :func:`make_workspace`) and breaks one
thing; ``expect`` is a piece of text the one-line error must contain (the file, key or
value at fault).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from tests.suites.test_loading import minimal

Suite = dict[str, Any]
Mutation = Callable[[Suite, Path], str | None]


@dataclass(frozen=True)
class Case:
    """One bad input: ``mutate`` edits the suite dict (or returns the suite text itself)."""

    id: str
    mutate: Mutation
    expect: str


N_ROWS = 40


def make_workspace(folder: Path) -> None:
    """data.csv (40 rows), a torch checkpoint and a scikit-learn .skops model."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "id": [f"e{i}" for i in range(N_ROWS)],
            "x1": rng.normal(size=N_ROWS),
            "x2": rng.normal(size=N_ROWS),
            "group": ["g1", "g2"] * (N_ROWS // 2),
            "label": ["a", "b", "b", "a"] * (N_ROWS // 4),
        }
    )
    frame.to_csv(folder / "data.csv", index=False)
    frame.to_parquet(folder / "data.parquet")
    from safetensors.torch import save_model

    from tests.hardening.hostile_models import small_net

    save_model(small_net(), str(folder / "small.safetensors"))


def base_suite() -> Suite:
    """The loading tests' minimal suite, with ids, two features, a sensitive column and no
    intervals (fast)."""
    suite = minimal()
    suite["name"] = "fuzz"
    suite["datasets"][0].update(id="id", features=["x1", "x2"], sensitive=["group"])
    suite["intervals"] = {"method": "none"}
    return suite


def write_suite(folder: Path, mutate: Mutation) -> Path:
    suite = copy.deepcopy(base_suite())
    text = mutate(suite, folder)
    path = folder / "suite.yaml"
    if text is None:
        path.write_text(yaml.safe_dump(suite, sort_keys=False))
    else:
        path.write_bytes(text.encode("utf-8", "surrogateescape"))
    return path


# --- helpers that build mutations -------------------------------------------------------------


def text(raw: str) -> Mutation:
    """The whole suite file replaced by ``raw``."""
    return lambda suite, folder: raw


def setting(path: tuple[Any, ...], value: Any) -> Mutation:
    """Set one key (a path of keys and indices) to ``value``."""

    def mutate(suite: Suite, folder: Path) -> None:
        target: Any = suite
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return mutate


def removing(path: tuple[Any, ...]) -> Mutation:
    def mutate(suite: Suite, folder: Path) -> None:
        target: Any = suite
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]

    return mutate


def data_file(name: str, content: bytes, fmt: str | None = None) -> Mutation:
    """The dataset reads ``name``, written with ``content``."""

    def mutate(suite: Suite, folder: Path) -> None:
        (folder / name).write_bytes(content)
        suite["datasets"][0]["source"] = {"type": "file", "path": name}
        if fmt:
            suite["datasets"][0]["source"]["format"] = fmt

    return mutate


def two_rows(**columns: list[Any]) -> Mutation:
    """A two-row data file: the base columns, with ``columns`` replacing some of them."""
    base: dict[str, list[Any]] = {
        "id": ["a", "b"],
        "x1": [1.0, 2.0],
        "x2": [1.0, 2.0],
        "group": ["g", "g"],
        "label": ["a", "b"],
    }
    return data_frame(pd.DataFrame({**base, **columns}))


def data_frame(frame: pd.DataFrame, name: str = "bad.csv") -> Mutation:
    def mutate(suite: Suite, folder: Path) -> None:
        frame.to_csv(folder / name, index=False)
        suite["datasets"][0]["source"] = {"type": "file", "path": name}

    return mutate


def python_source(name: str, **params: Any) -> Mutation:
    """The dataset comes from ``tests.hardening.hostile_models:<name>``."""
    source = {"type": "python", "callable": f"tests.hardening.hostile_models:{name}"}
    return setting(("datasets", 0, "source"), {**source, **({"params": params} if params else {})})


def python_model(mode: str) -> Mutation:
    return setting(
        ("models", 0),
        {
            "name": "m",
            "type": "python",
            "object": "tests.hardening.hostile_models:HostileModel",
            "params": {"mode": mode},
        },
    )


def factory(name: str, checkpoint: str = "small.safetensors") -> Mutation:
    """A torch model built by ``tests.hardening.hostile_models:<name>`` (or a full path)."""
    path = name if ":" in name else f"tests.hardening.hostile_models:{name}"
    return torch_model(checkpoint, factory=path)


def save_wide_net(suite: Suite, folder: Path) -> None:
    from safetensors.torch import save_model

    from tests.hardening.hostile_models import net_of_width_seven

    save_model(net_of_width_seven(), str(folder / "wide.safetensors"))


def torch_model(checkpoint: str, content: bytes | None = None, **extra: Any) -> Mutation:
    def mutate(suite: Suite, folder: Path) -> None:
        if content is not None:
            (folder / checkpoint).write_bytes(content)
        suite["models"][0] = {
            "name": "m",
            "type": "torch",
            "factory": "tests.hardening.hostile_models:small_net",
            "checkpoint": checkpoint,
            **extra,
        }

    return mutate


def sklearn_model(path: str, content: bytes | None = None, **extra: Any) -> Mutation:
    def mutate(suite: Suite, folder: Path) -> None:
        if content is not None:
            (folder / path).write_bytes(content)
        suite["models"][0] = {"name": "m", "type": "sklearn", "path": path, **extra}

    return mutate


def plugin_model(kind: str, files: dict[str, bytes] | None = None, **params: Any) -> Mutation:
    """A model of a registered type (``predictions``, ``transformers``...) with ``params``,
    after writing ``files`` (relative paths, folders made) beside the suite."""

    def mutate(suite: Suite, folder: Path) -> None:
        for name, content in (files or {}).items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(content)
        suite["models"][0] = {"name": "m", "type": kind, "params": params}

    return mutate


def both(*mutations: Mutation) -> Mutation:
    def mutate(suite: Suite, folder: Path) -> str | None:
        result = None
        for mutation in mutations:
            result = mutation(suite, folder) or result
        return result

    return mutate


def derived(entry: dict[str, Any]) -> Mutation:
    """Add a second dataset (derived or not) after the base one."""

    def mutate(suite: Suite, folder: Path) -> None:
        suite["datasets"].append(entry)

    return mutate
