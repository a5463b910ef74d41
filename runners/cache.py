"""On-disk prediction cache: one ``.npy`` file (never pickled) per cell key."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assay._version import __version__
from assay.atomic import atomic_path, sweep
from assay.hashing import hash_value


def cell_cache_key(
    *,
    model_fingerprint: str,
    dataset_fingerprint: str,
    transform: dict | None,
    seed: int,
    rows: tuple[int, int],
    batch_size: int,
    attack_model: str | None = None,
) -> str:
    """Key of a cell's predictions: everything that could change them, and assay's version.

    The seed only enters for transformed (shifted, attacked) rows: clean predictions do
    not depend on it. The batch size is part of it: the same model gives outputs that
    differ in the last float32 digits (~1e-5 in metrics) when its matrix products are cut
    into other batches, and a run must report exactly the numbers its own settings produce.
    """
    return hash_value(
        {
            "model": model_fingerprint,
            "dataset": dataset_fingerprint,
            "transform": transform,
            "seed": seed if transform is not None else None,
            "rows": list(rows),
            "batch_size": batch_size,
            "attack_model": attack_model,
            "assay": __version__,
        }
    )


class PredictionCache:
    """Stores N×C arrays (float32 unless told) under ``root/<key[:2]>/<key>.npy``, written
    atomically.

    Example:
        >>> import tempfile
        >>> cache = PredictionCache(Path(tempfile.mkdtemp()))
        >>> cache.put("ab12", np.ones((2, 3), np.float32))
        >>> cache.get("ab12").shape
        (2, 3)
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.npy"

    def has(self, key: str) -> bool:
        """Whether an entry is stored under ``key`` (without reading it)."""
        return self._path(key).is_file()

    def get(self, key: str) -> np.ndarray | None:
        """The cached array, or None when absent or unreadable (then it is recomputed)."""
        path = self._path(key)
        if not path.is_file():
            return None
        try:
            return np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            return None

    def put(self, key: str, values: np.ndarray, dtype: type = np.float32) -> None:
        """Store an array under ``key`` as ``dtype`` (probabilities as float32; what must
        come back exactly, as float64), a temporary file renamed into place."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as temporary, temporary.open("wb") as stream:
            np.save(stream, np.ascontiguousarray(values, dtype=dtype))

    def sweep(self) -> list[Path]:
        """Remove temporary files that killed runs left behind (a listing of the cache's
        256 shard folders; nothing is read)."""
        removed: list[Path] = []
        if self.root.is_dir():
            for shard in self.root.iterdir():
                if shard.is_dir():
                    removed += sweep(shard, ".*.tmp")
        return removed
