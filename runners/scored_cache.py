"""Scored results cached by what they depend on.

Scoring (metrics, intervals, slices, groups, robustness, ood) is a pure function of the
predictions, the datasets (labels, ids, slice and sensitive columns: their fingerprints),
the models' fingerprints (energy scores read their logits), the suite's scoring settings and
assay's version. A rerun whose key is unchanged reuses the stored results and only writes
the new report (copying the predictions file kept beside the results, which the first run
writes while it scores); anything else scores afresh. Stored as JSON and Parquet (never
pickled), each written through a unique temporary and renamed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, ValidationError

from assay._version import __version__
from assay.atomic import atomic_path, write_text_atomically
from assay.hashing import hash_value
from assay.reports.predictions import write_predictions
from assay.reports.schema import ReliabilityRecord, Result
from assay.suites.data import LoadedDataset
from assay.suites.schema import Suite

SCORING_SETTINGS = {"seed", "metrics", "slices", "intervals", "bias", "robustness"}


class Scored(BaseModel):
    """The results and reliability diagrams of one run's predictions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    results: list[Result]
    reliability: list[ReliabilityRecord]


def scoring_key(
    suite: Suite,
    datasets: Mapping[str, LoadedDataset],
    model_fingerprints: Mapping[str, str],
    predictions: Mapping[tuple[str, str], np.ndarray],
    subsets: Mapping[tuple[str, str], np.ndarray] | None = None,
) -> str:
    """Everything scoring depends on, hashed (predictions, and the contamination codes that
    pick the clean examples, by the sha256 of their bytes).

    Example:
        >>> from assay.demo import demo_suite_path
        >>> from assay.suites.loading import load_suite
        >>> suite = load_suite(demo_suite_path("digits")).suite
        >>> a = scoring_key(suite, {}, {"m": "f"}, {("m", "d"): np.zeros((2, 3))})
        >>> a == scoring_key(suite, {}, {"m": "f"}, {("m", "d"): np.ones((2, 3))})
        False
    """
    keyed = {
        "assay": __version__,
        "settings": suite.model_dump(mode="json", include=SCORING_SETTINGS),
        "datasets": [
            [d.name, d.fingerprint, d.kind, d.derived_from, d.reference] for d in datasets.values()
        ],
        "models": dict(model_fingerprints),
        "predictions": [
            [model, dataset, _array_digest(array)]
            for (model, dataset), array in predictions.items()
        ],
    }
    if subsets:  # absent otherwise: keys of runs without training data stay as they were
        keyed["subsets"] = [
            [model, dataset, _array_digest(codes)] for (model, dataset), codes in subsets.items()
        ]
    return hash_value(keyed)


def _array_digest(array: np.ndarray) -> str:
    contiguous = np.ascontiguousarray(array)
    digest = hashlib.sha256(str((contiguous.dtype.str, contiguous.shape)).encode())
    digest.update(contiguous.data)
    return digest.hexdigest()


class ScoredCache:
    """Scored results under ``root/scored/<key>.json``.

    Example:
        >>> import tempfile
        >>> cache = ScoredCache(Path(tempfile.mkdtemp()))
        >>> cache.put("k1", Scored(results=[], reliability=[]))
        >>> cache.get("k1"), cache.get("k2")
        (Scored(results=[], reliability=[]), None)
    """

    def __init__(self, root: Path) -> None:
        self.folder = root / "scored"

    def get(self, key: str) -> Scored | None:
        """The stored results, or None when absent or unreadable (then they are scored)."""
        path = self.folder / f"{key}.json"
        try:
            return Scored.model_validate_json(path.read_bytes())
        except (OSError, ValueError, ValidationError):
            return None

    def put(self, key: str, scored: Scored) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        write_text_atomically(self.folder / f"{key}.json", scored.model_dump_json())

    def predictions_file(self, key: str) -> Path | None:
        """The stored predictions Parquet file of these scores, if kept (see
        :meth:`keep_predictions`)."""
        path = self.folder / f"{key}.parquet"
        return path if path.is_file() else None

    def keep_predictions(self, key: str, predictions: pa.Table) -> Path:
        """Write the predictions table of these scores beside them and return the file: the
        table is a function of the key too, so a rerun copies the file into its report
        instead of rebuilding and re-encoding it (the store seals it as usual)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{key}.parquet"
        with atomic_path(path) as temporary:
            write_predictions(predictions, temporary)
        return path
