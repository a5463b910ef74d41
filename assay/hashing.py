"""Content hashes used for fingerprints and cache keys."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace, so equal values hash equally.

    Example:
        >>> canonical_json({"b": 1, "a": [1.5, None]})
        '{"a":[1.5,null],"b":1}'
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def hash_value(value: Any) -> str:
    """sha256 hex digest of the canonical JSON of ``value``."""
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


def seed_from(*parts: Any) -> int:
    """A random seed (48 bits) derived from ``parts``, e.g. (suite seed, dataset, block).

    Example:
        >>> seed_from(0, "digits") == seed_from(0, "digits") != seed_from(1, "digits")
        True
    """
    return int(hash_value(list(parts))[:12], 16)


def hash_file(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """sha256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def hash_frame(frame: pd.DataFrame) -> str:
    """sha256 of a data frame's content: column names, dtypes and per-row value hashes."""
    digest = hashlib.sha256()
    digest.update(canonical_json([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode())
    if len(frame.columns):
        hashable = frame.map(_hashable_cell) if _has_unhashable(frame) else frame
        rows = pd.util.hash_pandas_object(hashable, index=False).to_numpy()
        digest.update(np.ascontiguousarray(rows).tobytes())
    digest.update(str(len(frame)).encode())
    return digest.hexdigest()


def hash_ids(ids: np.ndarray) -> np.ndarray:
    """A stable uint64 per example id (seeds per-example randomness).

    Example:
        >>> hash_ids(np.array(["a", "b"], dtype=object)).dtype
        dtype('uint64')
    """
    return pd.util.hash_array(np.asarray(ids, dtype=object).astype(str).astype(object))


def _has_unhashable(frame: pd.DataFrame) -> bool:
    return any(
        frame[c].dtype == object and frame[c].map(lambda v: isinstance(v, list | np.ndarray)).any()
        for c in frame.columns
    )


def _hashable_cell(value: Any) -> Any:
    if isinstance(value, list | np.ndarray):
        return canonical_json(np.asarray(value).tolist())
    return value
