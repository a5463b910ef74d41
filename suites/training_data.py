"""A model's declared training data, read in batches of rows for contamination checks.

Sources are those of evaluation sets (files, the Hub, scikit-learn's bundled sets, Python
callables), loaded through ``datasets`` (Arrow, memory-mapped for files), so a large
training set streams: only the columns the checks compare are read, a batch at a time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import datasets
import pyarrow as pa

from assay.errors import ConfigError, located
from assay.hashing import hash_value
from assay.suites.file_state import FingerprintCache, file_sha256
from assay.suites.schema import FileSource, TrainingData
from assay.suites.sources import load_source, resolve_path, selected_rows

BATCH_ROWS = 131_072


@dataclass(frozen=True)
class LoadedTrainingData:
    """One training source, loaded (not read): its rows, and an identity that changes
    whenever they could (a file's sha256, else the ``datasets`` content fingerprint)."""

    spec: TrainingData
    rows: datasets.Dataset
    identity: str
    sha256: str | None = None  # of a file source's bytes

    @property
    def n_rows(self) -> int:
        return self.rows.num_rows

    def column_for(self, feature: str) -> str:
        """This data's name for an evaluation feature column."""
        return self.spec.columns.get(feature, feature)

    def require(self, features: Sequence[str]) -> None:
        """Refuse evaluation feature columns this data lacks (naming its columns)."""
        for feature in features:
            column = self.column_for(feature)
            if column not in self.rows.column_names:
                mapped = "" if column == feature else f" (mapped from feature {feature!r})"
                raise ConfigError(
                    f"the training data has no column {column!r}{mapped}; its columns: "
                    f"{', '.join(self.rows.column_names)}; map the feature to its column in "
                    "'columns'",
                    key_path=("columns",),
                    value=column,
                )

    def batches(self, features: Sequence[str], batch_rows: int = BATCH_ROWS) -> Iterator[pa.Table]:
        """The rows' values of ``features``, named as the evaluation set names them, a
        batch at a time (call :meth:`require` first)."""
        chosen = self.rows.select_columns(list(dict.fromkeys(self.column_for(f) for f in features)))
        for batch in chosen.with_format("arrow").iter(batch_size=batch_rows):
            assert isinstance(batch, pa.Table)
            yield pa.table({f: batch.column(self.column_for(f)) for f in features})


def load_training_data(
    spec: TrainingData, base_dir: Path, fingerprints: FingerprintCache | None = None
) -> LoadedTrainingData:
    """Load a training source, with its partition and limit, without reading its rows.

    Example:
        >>> from assay.suites.schema import SklearnSource
        >>> spec = TrainingData(source=SklearnSource(type="sklearn", loader="load_iris"), limit=20)
        >>> loaded = load_training_data(spec, Path("."))
        >>> loaded.n_rows, next(loaded.batches(["petal length (cm)"])).num_rows
        (20, 20)
    """
    with located(None, ("source",), "training data"):
        rows = load_source(spec.source, base_dir)
    sha256 = None
    if isinstance(spec.source, FileSource):
        sha256 = file_sha256(resolve_path(spec.source.path, base_dir), fingerprints)
    # a file by its bytes, else datasets' hash of the content (or of its Hub cache files)
    content = sha256 or rows._fingerprint
    kept = selected_rows(rows.num_rows, spec.partition, spec.limit)
    if len(kept) != rows.num_rows:
        rows = rows.select(kept)
    identity = hash_value({"spec": spec.model_dump(mode="json"), "content": content})
    return LoadedTrainingData(spec, rows, identity, sha256)
