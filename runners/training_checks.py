"""The run's contamination checks: each model's declared training data against every
evaluation set, cached by the fingerprints of both sides.

Sourced sets are compared with the training data directly; a set derived ``from`` one
(shifted, attacked, a worst case) carries its origin's findings by example id, since it
holds the same examples transformed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from assay.errors import located
from assay.example_ids import unversioned
from assay.hashing import hash_value
from assay.runners.cache import PredictionCache
from assay.suites.contamination import Contamination, contamination
from assay.suites.data import LoadedDataset
from assay.suites.file_state import FingerprintCache
from assay.suites.loading import LoadedSuite
from assay.suites.training_data import LoadedTrainingData, load_training_data


@dataclass(frozen=True)
class TrainingSource:
    """One loaded training source of a model, as the report records it."""

    model: str
    loaded: LoadedTrainingData


class TrainingDataChecks:
    """Finds, per model that declares training data, each evaluation set's contamination.

    ``row_hashes`` gives a set's normalised row hashes at the suite's precision (the run
    caches them); ``stage`` is told what is being read.
    """

    def __init__(
        self,
        loaded: LoadedSuite,
        cache: PredictionCache | None,
        fingerprints: FingerprintCache | None,
        row_hashes: Callable[[LoadedDataset], np.ndarray],
        stage: Callable[[str], None] = lambda text: None,
    ) -> None:
        self.loaded = loaded
        self.suite = loaded.suite
        self.cache = cache
        self.fingerprints = fingerprints
        self.row_hashes = row_hashes
        self.stage = stage
        self.sources: list[TrainingSource] = []

    def loaded_sources(self, datasets: Mapping[str, LoadedDataset]) -> list[TrainingSource]:
        """Every model's training sources, loaded (not read) and checked to hold every
        sourced set's feature columns; an error names the model's entry."""
        sources = []
        for index, model in enumerate(self.suite.models):
            for position, spec in enumerate(model.training_data):
                where = ("models", index, "training_data", position)
                with located(self.loaded.path, where, f"model {model.name!r}: training data"):
                    training = load_training_data(spec, self.loaded.base_dir, self.fingerprints)
                    for dataset in self.suite.datasets:
                        if dataset.source is not None:
                            training.require(datasets[dataset.name].features.order)
                sources.append(TrainingSource(model.name, training))
        return sources

    def run(self, datasets: Mapping[str, LoadedDataset]) -> dict[tuple[str, str], Contamination]:
        """Each (model, dataset)'s contamination, for the models that declare training data."""
        found: dict[tuple[str, str], Contamination] = {}
        sourced = [d for d in self.suite.datasets if d.source is not None]
        self.sources = self.loaded_sources(datasets)
        for source in self.sources:
            checked = self._checked(source.loaded, [datasets[d.name] for d in sourced])
            for name, result in checked.items():
                earlier = found.get((source.model, name))
                merged = result if earlier is None else earlier.merged(result)
                found[(source.model, name)] = merged
        for derived in self.suite.datasets:
            if derived.source is None:
                origin = self._origin(derived.name)
                for model in self.suite.models:
                    if (model.name, origin) in found:
                        found[(model.name, derived.name)] = inherited(
                            datasets[origin], found[(model.name, origin)], datasets[derived.name]
                        )
        return found

    def _checked(
        self, training: LoadedTrainingData, datasets: list[LoadedDataset]
    ) -> dict[str, Contamination]:
        """Each sourced set's contamination with one training source: from the cache, else
        in one pass over the training rows for every set not cached."""
        results: dict[str, Contamination] = {}
        keys = {d.name: self._key(training, d) for d in datasets}
        missing = []
        for dataset in datasets:
            found = self.cache.get(keys[dataset.name]) if self.cache is not None else None
            n_stored = dataset.n_examples + 1  # the codes, then whether near was looked for
            if found is not None and found.dtype == np.uint8 and len(found) == n_stored:
                results[dataset.name] = Contamination(found[:-1], bool(found[-1]))
            else:
                missing.append(dataset)
        if missing:
            self.stage(f"checking {training.n_rows:,} training rows for contamination")
            evaluation = [(d.features, self.row_hashes(d)) for d in missing]
            for dataset, result in zip(
                missing, contamination(evaluation, training, self.suite.data_checks), strict=True
            ):
                results[dataset.name] = result
                if self.cache is not None:
                    stored = np.append(result.codes, np.uint8(result.near_checked))
                    self.cache.put(keys[dataset.name], stored, dtype=np.uint8)
        return {d.name: results[d.name] for d in datasets}

    def _key(self, training: LoadedTrainingData, dataset: LoadedDataset) -> str:
        return "contamination-" + hash_value(
            {
                "training": training.identity,
                "dataset": dataset.fingerprint,
                "features": list(dataset.features.order),
                "checks": self.suite.data_checks.model_dump(mode="json"),
                "version": 1,  # of how examples are compared
            }
        )

    def _origin(self, name: str) -> str:
        """The sourced set a derived set comes from, through any chain of derivations."""
        spec = self.suite.dataset(name)
        while spec.source is None and spec.from_ is not None:
            spec = self.suite.dataset(spec.from_)
        return spec.name


def inherited(origin: LoadedDataset, found: Contamination, dataset: LoadedDataset) -> Contamination:
    """A derived set's contamination: each example's origin example's, by id (less any
    ``#k`` version suffix).

    Example:
        >>> import pyarrow as pa
        >>> from assay.suites.features import FeatureBlock
        >>> def made(ids):
        ...     block = FeatureBlock(np.zeros((len(ids), 1)), (("x", 1),), pd.DataFrame(), ("x",))
        ...     return LoadedDataset("d", "shifted", pa.array(ids), np.zeros(len(ids)), ("a",),
        ...                          block, {}, (), "")
        >>> clean = Contamination(np.array([0, 1], np.uint8), False)
        >>> inherited(made(["p", "q"]), clean, made(["q", "q#2", "p"])).codes.tolist()
        [1, 1, 0]
    """
    ids = unversioned(dataset.ids.to_numpy(zero_copy_only=False))
    positions = pd.Index(origin.ids.to_numpy(zero_copy_only=False)).get_indexer(ids)
    codes = np.where(positions >= 0, found.codes[np.maximum(positions, 0)], 0).astype(np.uint8)
    return Contamination(codes, found.near_checked)
