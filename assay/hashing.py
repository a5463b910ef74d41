"""Content hashes used for fingerprints and cache keys."""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace, so equal values hash equally.

    Arrays enter by a digest of their bytes (never by ``str``, which elides the middle of
    a long array), numpy scalars by value, paths as text; anything else that JSON cannot
    hold is refused rather than stringified.

    Example:
        >>> canonical_json({"b": 1, "a": [1.5, None]})
        '{"a":[1.5,null],"b":1}'
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value)
        if data.dtype == object:
            digest = hashlib.sha256(canonical_json(data.tolist()).encode())
        else:
            digest = hashlib.sha256(data.tobytes())
        return {"ndarray": str(data.dtype), "shape": list(data.shape), "sha256": digest.hexdigest()}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=canonical_json)
    if isinstance(value, bytes):
        return {"bytes_sha256": hashlib.sha256(value).hexdigest()}
    raise TypeError(f"cannot hash a {type(value).__name__} value: {value!r:.80}")


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
    found = hash_frames([frame])
    assert found is not None
    return found


def hash_frames(frames: Iterable[pd.DataFrame]) -> str | None:
    """``hash_frame`` of the frames' concatenation, one frame at a time (rows are hashed
    alone); None if they differ in columns or dtypes (their concatenation would not be
    what each is).

    Example:
        >>> whole = pd.DataFrame({"x": [1, 2, 3], "t": ["a", "b", "c"]})
        >>> hash_frames([whole[:1], whole[1:]]) == hash_frame(whole)
        True
    """
    digest = hashlib.sha256()
    first: list[list[str]] | None = None
    n_rows = 0
    for frame in frames:
        dtypes = [[str(c), str(t)] for c, t in frame.dtypes.items()]
        if first is None:
            first = dtypes
            digest.update(canonical_json(dtypes).encode())
        elif dtypes != first:
            return None
        if len(frame.columns):
            hashable = frame.map(_hashable_cell) if _has_unhashable(frame) else frame
            rows = pd.util.hash_pandas_object(hashable, index=False).to_numpy()
            digest.update(np.ascontiguousarray(rows).tobytes())
        n_rows += len(frame)
    if first is None:
        return None
    digest.update(str(n_rows).encode())
    return digest.hexdigest()


def hash_ids(ids: np.ndarray) -> np.ndarray:
    """A stable uint64 per example id (seeds per-example randomness).

    Example:
        >>> hash_ids(np.array(["a", "b"], dtype=object)).dtype
        dtype('uint64')
    """
    values = np.asarray(ids, dtype=object)
    if pd.api.types.infer_dtype(values, skipna=False) != "string":
        values = values.astype(str).astype(object)
    # ids are unique: pandas' default categorize=True would factorise them first, for nothing
    # (the hashes are the same either way, ~8x slower)
    return pd.util.hash_array(values, categorize=False)


def _has_unhashable(frame: pd.DataFrame) -> bool:
    return any(
        frame[c].dtype == object and frame[c].map(lambda v: isinstance(v, list | np.ndarray)).any()
        for c in frame.columns
    )


def _hashable_cell(value: Any) -> Any:
    if isinstance(value, list | np.ndarray):
        return canonical_json(np.asarray(value).tolist())
    return value


def source_hash(objects: Iterable[object], *, skip: Iterable[Path] = ()) -> str:
    """sha256 over the source files that define ``objects`` (functions, classes, or
    instances: their class and its bases), so that editing the code that computes a model's
    predictions changes its fingerprint. Files under a ``skip`` folder (a framework's own
    code, versioned separately) and objects without a source file are left out.

    Example:
        >>> source_hash([hash_file]) == source_hash([hash_file, seed_from])  # one file
        True
    """
    files = {str(f) for f in _source_files(objects, [p.resolve() for p in skip])}
    # contents only, not where the files sit: a checkout elsewhere keeps its fingerprints
    return hash_value(sorted(hash_file(name) for name in files))


def _source_files(objects: Iterable[object], skip: list[Path]) -> Iterator[Path]:
    for target in objects:
        if inspect.isfunction(target):
            owners: list[Any] = [target]
        else:
            cls = target if inspect.isclass(target) else type(target)
            owners = [c for c in cls.__mro__ if c is not object]
        for owner in owners:
            try:
                found = inspect.getsourcefile(owner)
            except TypeError:  # built-in
                continue
            if not found:
                continue
            path = Path(found).resolve()
            if path.is_file() and not any(path.is_relative_to(folder) for folder in skip):
                yield path
