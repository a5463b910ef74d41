"""A generated dataset written as an Arrow stream file (the format ``datasets`` keeps on
disk), and a Python source that opens it memory-mapped, as the data layer opens its cache."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import datasets
import numpy as np
import pyarrow as pa


def write_images(path: Path, n_rows: int, width: int, *, seed: int = 0) -> int:
    """``n_rows`` examples of ``width`` float32 features (one list column ``x``), written a
    block at a time; returns the features' size in bytes."""
    rng = np.random.default_rng(seed)
    schema = pa.schema(
        [
            ("id", pa.string()),
            ("x", pa.list_(pa.float32(), width)),
            ("group", pa.string()),
            ("label", pa.int64()),
        ]
    )
    step = 5_000
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, schema) as writer:
        for start in range(0, n_rows, step):
            m = min(step, n_rows - start)
            x = rng.standard_normal((m, width), dtype=np.float32)
            labels = (x[:, 0] + 0.5 * rng.standard_normal(m) > 0).astype(np.int64)
            ids = pa.array([f"r{i}" for i in range(start, start + m)])
            flat = pa.FixedSizeListArray.from_arrays(pa.array(x.reshape(-1)), width)
            groups = pa.array(np.where(x[:, 1] > 0, "a", "b"))
            writer.write_batch(pa.record_batch([ids, flat, groups, labels], schema=schema))
    return n_rows * width * 4


def load(path: str) -> datasets.Dataset:
    """The file as a memory-mapped ``datasets.Dataset`` (nothing is read until used)."""
    return datasets.Dataset.from_file(path)


class FirstFeature:
    """A logistic model of the first feature: cheap, so the test measures assay."""

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-np.clip(2.0 * x[:, :1], -30.0, 30.0)))
        return np.hstack([1.0 - p, p])


def write_table(path: Path, n_rows: int, *, seed: int = 0) -> None:
    """``n_rows`` tabular examples: two numeric features (one with ties), a category."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n_rows)
    table = pa.table(
        {
            "id": [f"t{i}" for i in range(n_rows)],
            "x": x,
            "step": np.round(rng.standard_normal(n_rows) * 2),
            "colour": rng.choice(np.array(["red", "green", "blue"]), size=n_rows),
            "label": (x + rng.standard_normal(n_rows) > 0).astype(np.int64),
        }
    )
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=1_000)


class FrameModel:
    """A model of a frame that reads every column and takes missing values: each changes
    the probabilities, so a shifted value that differed would show."""

    def predict_proba(self, frame: Any) -> np.ndarray:
        colour = frame["colour"].map({"red": 0.3, "green": -0.2, "blue": 0.1}).fillna(0.0)
        score = frame["x"].fillna(-1.0) + 0.1 * frame["step"].fillna(0.5) + colour
        p = 1.0 / (1.0 + np.exp(-score.to_numpy(dtype=np.float64)))
        return np.column_stack([1.0 - p, p])
