"""Model type ``predictions``: predictions another system already made (a batch-inference
job, a hosted API, a model in another language), read from a Parquet, CSV or JSON-lines file.

Registered through assay's own ``assay.models`` entry point, like any plugin model type.
The file holds one row per example: its id and the model's probabilities, logits or hard
label. Rows are matched to each dataset by id: every id of the dataset must be there exactly
once (the error names the first missing, duplicated or unknown ids). The file's hash is the
model's fingerprint, so the prediction cache and ``compare`` treat it like any model.

Example suite entry (assay's own ``predictions.parquet`` of an earlier report reads as is)::

    - name: served
      type: predictions
      params: {path: served/{dataset}.parquet, output: probabilities}
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from assay.errors import ConfigError, InvalidInputError, located
from assay.hashing import hash_file, hash_value
from assay.params import Param
from assay.runners.adapters import InputKind, softmax
from assay.runners.prediction_files import read_prediction_file, value_matrix
from assay.suites.model_types import register_model_type
from assay.suites.schema import PluginModelSpec
from assay.suites.sources import resolve_path

if TYPE_CHECKING:
    from assay.suites.data import LoadedDataset

DATASET_FIELD = "{dataset}"
SHOWN_IDS = 5  # how many offending ids an error names
DEFAULT_COLUMN = {"probabilities": "probs", "logits": "logits", "labels": "label"}


class PredictionsAdapter:
    """Predictions read from a file (or one file per dataset), matched to datasets by id.

    Satisfies :class:`assay.runners.adapters.PrecomputedModel`: the runner hands it the
    dataset instead of features, so shifted sets need their own rows (a ``dataset`` column,
    or a ``{dataset}`` path), and attacks crafted by assay cannot run against it.
    """

    input_kind: InputKind = "array"  # never asked for features (a PrecomputedModel)
    classes = None  # the columns follow the dataset's classes (or are named by class)

    def __init__(self, spec: PluginModelSpec, base_dir: Path) -> None:
        params = spec.params
        self.name = spec.name
        self.base_dir = base_dir
        self.path_template = str(params["path"])
        self.output: str = params.get("output", "probabilities")
        self.format: str | None = params.get("format")
        self.id_column: str = params.get("id_column", "example_id")
        self.column: str = params.get("column") or DEFAULT_COLUMN[self.output]
        self.class_columns: str | None = params.get("class_columns")
        self.dataset_column: str = params.get("dataset_column", "dataset")
        self.model_filter: str | None = params.get("model")
        self.extra_ids: str = params.get("extra_ids", "error")
        self._tables: dict[Path, pa.Table] = {}
        self._matched: dict[tuple[str, str], np.ndarray] = {}
        self._lock = threading.Lock()
        with located(None, ("params", "path"), f"cannot read {self.path_template!r}"):
            self.fingerprint = hash_value(
                {
                    "type": "predictions",
                    "files": {str(p.relative_to(base_dir)): hash_file(p) for p in self._files()},
                    "params": {k: v for k, v in sorted(params.items()) if k != "path"},
                    "path": self.path_template,
                }
            )

    @property
    def gives_logits(self) -> bool:
        return self.output == "logits"

    def predict_proba(self, batch: Any) -> np.ndarray:
        raise InvalidInputError(
            f"model {self.name!r} is a predictions file: it predicts datasets by example id, "
            "not new inputs"
        )

    def predictions_for(self, dataset: LoadedDataset) -> np.ndarray:
        """N × C probabilities of ``dataset``'s examples, in its row and class order."""
        return self._once(dataset, "probabilities")

    def logits_for(self, dataset: LoadedDataset) -> np.ndarray:
        """N × C logits of ``dataset``'s examples (``output: logits`` only)."""
        return self._once(dataset, "logits")

    def _once(self, dataset: LoadedDataset, form: str) -> np.ndarray:
        """The dataset's values in ``form``, matched and converted once per dataset (a
        sharded dataset asks once per shard)."""
        key = (dataset.name, form)
        with self._lock:
            if key in self._matched:
                return self._matched[key]
        values = self._matched_values(dataset)
        if form == "probabilities" and self.output == "logits":
            values = softmax(values)
        elif form == "probabilities" and self.output == "labels":
            values = _one_hot(values, dataset.classes)
        with self._lock:
            self._matched[key] = values
        return values

    def _matched_values(self, dataset: LoadedDataset) -> Any:
        """The values column(s) in the dataset's row order: N × C floats, or (hard labels)
        an Arrow array of class names."""
        path = self._path_for(dataset.name)
        table = self._rows_of(path, dataset)
        where = path.name
        ids = self._column(table, self.id_column, where, "id_column")
        matched = table.take(self._positions(ids, dataset, path))
        if self.output == "labels":
            column = self._column(matched, self.column, where)
            return pc.cast(column, pa.string()).combine_chunks()
        if self.class_columns is not None:
            names = [self.class_columns.replace("{class}", c) for c in dataset.classes]
            columns = [self._column(matched, n, where, "class_columns") for n in names]
            return np.column_stack(
                [value_matrix(c, where, n) for c, n in zip(columns, names, strict=True)]
            )
        return value_matrix(self._column(matched, self.column, where), where, self.column)

    def _path_for(self, dataset: str) -> Path:
        return resolve_path(self.path_template.replace(DATASET_FIELD, dataset), self.base_dir)

    def _files(self) -> list[Path]:
        """The files this model reads: the one path, or every file the template matches."""
        if DATASET_FIELD not in self.path_template:
            return [resolve_path(self.path_template, self.base_dir)]
        pattern = resolve_path(self.path_template.replace(DATASET_FIELD, "*"), self.base_dir)
        return sorted(pattern.parent.glob(pattern.name))

    def _table(self, path: Path) -> pa.Table:
        with self._lock:
            if path not in self._tables:
                if not path.is_file():
                    raise ConfigError(
                        f"predictions file {str(path)!r} not found",
                        key_path=("params", "path"),
                        value=self.path_template,
                    )
                with located(None, ("params", "path"), f"cannot read {str(path)!r}"):
                    table = read_prediction_file(path, self.format, self.id_column)
                if self.model_filter is not None:
                    models = self._column(table, "model", path.name, "model")
                    table = table.filter(pc.equal(pc.cast(models, pa.string()), self.model_filter))
                self._tables[path] = table
            return self._tables[path]

    def _rows_of(self, path: Path, dataset: LoadedDataset) -> pa.Table:
        """The file's rows for ``dataset``: all of them, or those of its ``dataset`` column."""
        table = self._table(path)
        if self.dataset_column in table.column_names:
            names = pc.cast(table.column(self.dataset_column), pa.string())
            return table.filter(pc.equal(names, dataset.name))
        if DATASET_FIELD not in self.path_template and dataset.derived_from is not None:
            raise ConfigError(
                f"dataset {dataset.name!r} is derived from {dataset.derived_from!r} with the "
                f"same example ids, so one file cannot tell their predictions apart: add a "
                f"{self.dataset_column!r} column or put {DATASET_FIELD} in the path",
                key_path=("params", "path"),
                value=self.path_template,
            )
        return table

    def _positions(self, file_ids: pa.ChunkedArray, dataset: LoadedDataset, path: Path) -> pa.Array:
        """Where each of the dataset's ids sits in the file; refuses missing, repeated and
        (unless ``extra_ids: ignore``) unknown ids, naming the first few."""
        ids = pc.cast(file_ids, pa.string()).combine_chunks()
        where = f"predictions file {str(path)!r}"
        if ids.null_count:
            raise InvalidInputError(f"{where}: column {self.id_column!r} has missing ids")
        if pc.count_distinct(ids).as_py() != len(ids):
            hint = " (several models? set params.model)" if self.model_filter is None else ""
            raise InvalidInputError(f"{where}: ids given more than once: {_repeated(ids)}{hint}")
        positions = pc.index_in(dataset.ids, value_set=ids)
        if positions.null_count:
            missing = dataset.ids.filter(pc.is_null(positions))
            raise InvalidInputError(
                f"{where}: {len(missing)} of the dataset's {len(dataset.ids)} ids are "
                f"missing, first {_shown(missing)}"
            )
        if len(ids) > len(dataset.ids) and self.extra_ids == "error":
            extra = ids.filter(pc.invert(pc.is_in(ids, value_set=dataset.ids)))
            raise InvalidInputError(
                f"{where}: {_count(len(extra))} not in the dataset, first {_shown(extra)} "
                "(set params.extra_ids: ignore if the file covers more rows on purpose)"
            )
        return positions

    def _column(
        self, table: pa.Table, name: str, where: str, param: str = "column"
    ) -> pa.ChunkedArray:
        if name not in table.column_names:
            raise ConfigError(
                f"{where} has no column {name!r}; its columns are {table.column_names}",
                key_path=("params", param),
                value=name,
            )
        return table.column(name)


def _one_hot(labels: pa.Array, classes: tuple[str, ...]) -> np.ndarray:
    """Hard labels (class names) as one-hot rows; unknown labels are refused. Encoded by
    Arrow's hash, so only the distinct labels become Python strings.

    Example:
        >>> _one_hot(pa.array(["b", "a", "b"]), ("a", "b")).tolist()
        [[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]
    """
    encoded = pc.dictionary_encode(labels)
    names = [str(name) for name in encoded.dictionary.to_pylist()]
    order = {name: index for index, name in enumerate(classes)}
    unknown = [name for name in names if name not in order]
    if unknown:
        raise InvalidInputError(
            f"hard labels {unknown[:SHOWN_IDS]} are not among the dataset's classes {list(classes)}"
        )
    columns = np.array([order[name] for name in names], dtype=np.int64)
    rows = columns[encoded.indices.to_numpy(zero_copy_only=False)]
    one_hot = np.zeros((len(labels), len(classes)), dtype=np.float32)
    one_hot[np.arange(len(labels)), rows] = 1.0
    return one_hot


def _repeated(ids: pa.Array) -> str:
    counts = pc.value_counts(ids)
    repeated = counts.filter(pc.greater(counts.field("counts"), 1)).field("values")
    return _shown(repeated)


def _count(n: int) -> str:
    """``1 id is`` / ``3 ids are``."""
    return f"{n} id is" if n == 1 else f"{n} ids are"


def _shown(ids: pa.Array) -> str:
    return ", ".join(repr(i) for i in ids.slice(0, SHOWN_IDS).to_pylist())


@register_model_type(
    "predictions",
    description="predictions made elsewhere: a Parquet/CSV/JSON-lines file of example id and "
    "probabilities, logits or hard labels (or one file per dataset)",
    params={
        "path": Param("str", description="the file; {dataset} in it names one file per dataset"),
        "output": Param(
            "str",
            default="probabilities",
            choices=("probabilities", "logits", "labels"),
            description="what the file holds (labels: class names; calibration is refused)",
        ),
        "format": Param(
            "str",
            default=None,
            nullable=True,
            choices=("parquet", "csv", "json"),
            description="default: from the file's extension",
        ),
        "id_column": Param("str", default="example_id"),
        "column": Param(
            "str",
            default=None,
            nullable=True,
            description="the list column of values (default: probs, logits or label)",
        ),
        "class_columns": Param(
            "str",
            default=None,
            nullable=True,
            description="one column per class instead, named by this pattern, e.g. 'p_{class}'",
        ),
        "dataset_column": Param(
            "str", default="dataset", description="when present, rows are kept per dataset name"
        ),
        "model": Param(
            "str",
            default=None,
            nullable=True,
            description="keep rows whose 'model' column is this (an assay predictions file)",
        ),
        "extra_ids": Param("str", default="error", choices=("error", "ignore")),
    },
    hard_labels=lambda params: params.get("output") == "labels",
)
def build_predictions(spec: PluginModelSpec, base_dir: Path) -> PredictionsAdapter:
    return PredictionsAdapter(spec, base_dir)
