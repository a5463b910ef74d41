"""Run a suite: load data and models, run the planned cells, score, assemble the report."""

from __future__ import annotations

import contextlib
import os
import platform
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from importlib import metadata
from pathlib import Path

import numpy as np
import pyarrow as pa

from assay._version import __version__
from assay.errors import located
from assay.metrics.intervals import wilson_interval
from assay.metrics.ood import max_softmax_score, negative_energy_score
from assay.metrics.reliability import reliability_diagram
from assay.prediction_columns import TRAINING_DATA_SLICE
from assay.reports.predictions import PredictionBlock, predictions_table, read_predictions
from assay.reports.schema import (
    CellRecord,
    ContaminationRecord,
    DataCheckRecord,
    DatasetRecord,
    Environment,
    ModelRecord,
    PredictionsRecord,
    ReliabilityBin,
    ReliabilityRecord,
    Report,
    Result,
    SuiteRecord,
    TrainingDataRecord,
)
from assay.runners.adapters import LogitModel, ModelAdapter, PrecomputedModel, load_model
from assay.runners.cache import PredictionCache, cell_cache_key
from assay.runners.executors import Executor, LocalExecutor, WorkerSpec, make_executor
from assay.runners.inference import (
    align_classes,
    attacked_block,
    attacked_in_embeddings,
    check_model_output,
    embedding_attack,
    model_inputs,
    precomputed_rows,
    predict_batched,
)
from assay.runners.ood_scoring import ood_results
from assay.runners.plan import Cell, plan_cells
from assay.runners.progress import RunObserver, SilentObserver
from assay.runners.robustness_scoring import corruption_name, robustness_results
from assay.runners.scored_cache import Scored, ScoredCache, scoring_key
from assay.runners.scoring import score_predictions, subset_results
from assay.runners.training_checks import TrainingDataChecks
from assay.runners.worst_case import worst_case_probabilities, worst_case_statistics
from assay.suites.contamination import EXACT, NEAR, Contamination
from assay.suites.data import LoadedDataset, load_datasets
from assay.suites.features import FeatureBlock
from assay.suites.file_state import FingerprintCache, file_sha256
from assay.suites.leakage import DataFinding, first_ids, suite_leakage
from assay.suites.loading import LoadedSuite
from assay.suites.row_hashing import row_hashes
from assay.suites.schema import (
    DatasetSpec,
    FileSource,
    ModelSpec,
    SklearnModelSpec,
    TorchModelSpec,
)
from assay.suites.shifts import SHIFTS
from assay.suites.source_metadata import SourceMetadata
from assay.suites.sources import resolve_path

PROBE_ROWS = 8
ENVIRONMENT_PACKAGES = ("torch", "numpy", "datasets", "scikit-learn", "pandas", "pyarrow")


@dataclass(frozen=True)
class CellOutcome:
    """A cell's probabilities and, for a set attacked by assay, each example's attack
    statistics (N × 2: queries, NaN for white-box attacks, and perturbation size)."""

    cell: Cell
    probabilities: np.ndarray
    cached: bool
    seconds: float
    attack_statistics: np.ndarray | None = None


@dataclass(frozen=True)
class RunOutput:
    """The report (not yet stored) and its per-example predictions: the blocks, and the
    Parquet file kept in the cache that already holds them (None without a cache).
    """

    report: Report
    blocks: list[PredictionBlock]
    predictions_file: Path | None = None

    @cached_property
    def predictions(self) -> pa.Table:
        """All predictions as one Arrow table (built, or read from the kept file, once)."""
        if self.predictions_file is not None:
            return read_predictions(self.predictions_file)
        return predictions_table(self.blocks)

    @property
    def to_store(self) -> pa.Table | Path:
        """What the report store writes: the kept file (copied as is), else the table."""
        return self.predictions_file or self.predictions

    @property
    def inferred_cells(self) -> int:
        return sum(not c.cached for c in self.report.cells)


class SuiteRun:
    """One run of a loaded suite; ``execute()`` does the work.

    Example:
        >>> from assay.demo import demo_suite_path
        >>> from assay.suites.loading import load_suite
        >>> output = SuiteRun(load_suite(demo_suite_path("digits")), cache=None).execute()
        >>> sorted({r.kind for r in output.report.results})
        ['adversarial', 'in_distribution', 'ood', 'robustness', 'shifted']
    """

    def __init__(
        self,
        loaded: LoadedSuite,
        *,
        cache: PredictionCache | None,
        observer: RunObserver | None = None,
        executor: Executor | None = None,
        shard_size: int | None = None,
    ) -> None:
        self.loaded = loaded
        self.suite = loaded.suite
        self.cache = cache
        self.observer = observer or SilentObserver()
        self.executor = executor or LocalExecutor()
        self.shard_size = shard_size
        self.datasets: dict[str, LoadedDataset] = {}
        self.fingerprints = FingerprintCache(cache.root) if cache is not None else None
        self.models: dict[str, ModelAdapter] = {}
        self.training_checks = TrainingDataChecks(
            loaded, cache, self.fingerprints, self._row_hashes, self.observer.stage
        )

    def execute(self) -> RunOutput:
        if self.cache is not None:
            self.cache.sweep()
        self.load()
        # a worst case over attacks is picked from their predictions, with no cells of its own
        sizes = {name: d.n_examples for name, d in self.datasets.items() if not d.worst_of}
        cells = plan_cells(list(self.models), sizes, shard_size=self.shard_size)
        self.observer.stage(f"running {len(cells)} cells")
        if self.executor.remote:
            outcomes = list(self._reported(self.executor.run(self, cells)))
        else:
            stop = threading.Event()
            with ThreadPoolExecutor(max_workers=1) as prefetcher:
                prefetcher.submit(self._prefetch_features, self._to_infer(cells), stop)
                try:
                    outcomes = list(self.executor.run(self, cells))
                finally:
                    stop.set()
        self.observer.stage("checking for leakage")
        findings = suite_leakage(self.suite, self.datasets, self._row_hashes)
        contaminated = self.training_checks.run(self.datasets)
        for dataset in self.datasets.values():  # scoring needs predictions, not features
            dataset.features.release()
        output = self._assemble(outcomes, findings, contaminated)
        if self.fingerprints is not None:
            self.fingerprints.flush()
        return output

    def worker_spec(self) -> WorkerSpec:
        """How a worker elsewhere runs this run's cells: the suite file, the shared cache."""
        return WorkerSpec(
            suite_path=str(Path(self.loaded.path).resolve()),
            content_hash=self.loaded.content_hash,
            cache_dir=str(self.cache.root.resolve()) if self.cache is not None else None,
            shard_size=self.shard_size,
            resources={
                m.name: m.resources.model_dump(exclude_none=True) for m in self.suite.models
            },
        )

    def _reported(self, outcomes: Iterator[CellOutcome]) -> Iterator[CellOutcome]:
        """Cells run elsewhere, told to the observer as each comes back."""
        for outcome in outcomes:
            self.observer.cell_started(outcome.cell, cached=outcome.cached)
            if not outcome.cached:
                self.observer.examples_done(outcome.cell, outcome.cell.n_examples)
            self.observer.cell_finished(
                outcome.cell, cached=outcome.cached, seconds=outcome.seconds
            )
            yield outcome

    def probe(self, n_rows: int = PROBE_ROWS) -> None:
        """Load everything and run each model on the first ``n_rows`` of every dataset
        (shifted and attacked too), with every check a run makes, and nothing cached:
        ``assay validate`` refuses what ``assay run`` would refuse."""
        self.load()
        self.training_checks.loaded_sources(self.datasets)  # declared training data is usable
        for model in self.models:
            for name, dataset in self.datasets.items():
                if dataset.worst_of:
                    continue
                rows = min(n_rows, dataset.n_examples)
                self._infer(Cell(model, name, 0, 0, rows), self.models[model], dataset)

    def load(self, models: set[str] | None = None) -> None:
        """Load the datasets and the models (``models``: only those, as a worker that runs
        one model's cells does: it and the surrogates that craft attacks for it)."""
        self.observer.stage("loading datasets")
        self.datasets = load_datasets(self.suite, self.loaded.path, fingerprints=self.fingerprints)
        self.observer.stage("loading models")
        self.models = {}
        for index, spec in enumerate(self.suite.models):
            if models is not None and spec.name not in models:
                continue
            with located(self.loaded.path, ("models", index), f"model {spec.name!r}"):
                self.models[spec.name] = load_model(spec, self.loaded.base_dir)

    def _to_infer(self, cells: list[Cell]) -> list[str]:
        """The datasets, in cell order, that some cell will run a model on (its predictions
        are not cached)."""
        names: list[str] = []
        for cell in cells:
            if cell.dataset in names:
                continue
            adapter, dataset = self.models[cell.model], self.datasets[cell.dataset]
            if dataset.features.streams:  # read a chunk at a time by its cells instead
                continue
            if self.cache is None or not self.cache.has(self._cache_key(cell, adapter, dataset)):
                names.append(cell.dataset)
        return names

    def _prefetch_features(self, names: list[str], stop: threading.Event) -> None:
        """Make these datasets' feature matrices (a shift, the stacking of columns) ahead of
        their cells, on a thread of its own: numpy releases the GIL, so this overlaps the
        first cell's model loading and inference. A failure is left for the cell to raise,
        in place and named (the matrix is made again there)."""
        for name in names:
            if stop.is_set():
                return
            with contextlib.suppress(Exception):
                _ = self.datasets[name].features.numeric

    def run_cell(self, cell: Cell) -> CellOutcome:
        began = time.perf_counter()
        adapter, dataset = self.models[cell.model], self.datasets[cell.dataset]
        key = self._cache_key(cell, adapter, dataset)
        attacked = self._crafts(dataset, adapter, cell.model)
        cached = self.cache.get(key) if self.cache else None
        statistics = self.cache.get(f"{key}-attack") if self.cache and attacked else None
        if statistics is not None and statistics.dtype != np.float64:
            statistics = None  # kept as float32 by an earlier assay: not exact, attack again
        if (
            cached is not None
            and cached.shape[0] == cell.n_examples
            and (statistics is not None or not attacked)
        ):
            self.observer.cell_started(cell, cached=True)
            seconds = time.perf_counter() - began
            self.observer.cell_finished(cell, cached=True, seconds=seconds)
            return CellOutcome(cell, cached, True, seconds, statistics)
        self.observer.cell_started(cell, cached=False)
        found: dict[str, np.ndarray] = {}
        probabilities = self._infer(cell, adapter, dataset, found)
        statistics = found.get("attack")
        if self.cache:
            self.cache.put(key, probabilities)
            if statistics is not None:
                # float64: a cached rerun must report the same medians as the first run
                self.cache.put(f"{key}-attack", statistics, dtype=np.float64)
        seconds = time.perf_counter() - began
        self.observer.cell_finished(cell, cached=False, seconds=seconds)
        return CellOutcome(cell, probabilities, False, seconds, statistics)

    def _crafts(self, dataset: LoadedDataset, adapter: ModelAdapter, model: str) -> bool:
        """Whether assay crafts this set's inputs as features (an attack outside a text
        model's embeddings), so its cells have attack statistics."""
        if dataset.kind != "adversarial" or dataset.derived_from is None:
            return False
        if isinstance(adapter, PrecomputedModel):
            return False
        attacker = self.models[self._attack_model(model, dataset)]
        return not (embedding_attack(dataset, adapter) and attacker is adapter)

    def _infer(
        self,
        cell: Cell,
        adapter: ModelAdapter,
        dataset: LoadedDataset,
        found: dict[str, np.ndarray] | None = None,
    ) -> np.ndarray:
        """The cell's checked probabilities (an attack's statistics go into ``found``);
        anything the model (or the attack run through it) raises is the model's fault and
        is named so, at the model's key."""
        index = next(i for i, m in enumerate(self.suite.models) if m.name == cell.model)
        what = f"model {cell.model!r} on dataset {cell.dataset!r}"
        with located(self.loaded.path, ("models", index), what):
            return self._infer_unchecked(cell, adapter, dataset, {} if found is None else found)

    def _infer_unchecked(
        self,
        cell: Cell,
        adapter: ModelAdapter,
        dataset: LoadedDataset,
        found: dict[str, np.ndarray],
    ) -> np.ndarray:
        rows = slice(cell.start, cell.stop)
        owner = f"model {cell.model!r} on dataset {cell.dataset!r}"
        if isinstance(adapter, PrecomputedModel):
            raw = precomputed_rows(adapter, dataset, rows, owner)
            self.observer.examples_done(cell, cell.n_examples)
        else:
            raw = self._predicted(cell, adapter, dataset, rows, found)
        probabilities = align_classes(raw, adapter.classes, dataset.classes, owner)
        check_model_output(probabilities, len(dataset.classes), owner)
        return np.clip(probabilities, 0.0, 1.0)

    def _predicted(
        self,
        cell: Cell,
        adapter: ModelAdapter,
        dataset: LoadedDataset,
        rows: slice,
        found: dict[str, np.ndarray],
    ) -> np.ndarray:
        """The model run on the cell's rows (clean, shifted, or attacked against it); a set
        that streams is read a chunk of whole batches at a time (the next read while the
        model runs on this one), so the cell never holds more than two chunks of features."""
        if not dataset.features.streams:
            return self._predicted_rows(cell, adapter, dataset, rows, None, found)
        parts: list[np.ndarray] = []
        statistics: list[np.ndarray] = []
        for chunk, block in _read_ahead(dataset.features, rows, self._batch_size(cell.model)):
            found_here: dict[str, np.ndarray] = {}
            parts.append(self._predicted_rows(cell, adapter, dataset, chunk, block, found_here))
            if "attack" in found_here:
                statistics.append(found_here["attack"])
            del block  # before the generator reads ahead: two chunks held at most
        if statistics:
            found["attack"] = np.concatenate(statistics)
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    def _predicted_rows(
        self,
        cell: Cell,
        adapter: ModelAdapter,
        dataset: LoadedDataset,
        rows: slice,
        block: FeatureBlock | None,
        found: dict[str, np.ndarray],
    ) -> np.ndarray:
        """The model run on some rows (``block``: their features, already read)."""
        batch_size = self._batch_size(cell.model)
        progress = lambda n: self.observer.examples_done(cell, n)  # noqa: E731
        if self._crafts(dataset, adapter, cell.model):
            attacker = self.models[self._attack_model(cell.model, dataset)]
            attacked = attacked_block(
                dataset, rows, attacker, batch_size, self.suite.seed, block=block
            )
            found["attack"] = attacked.statistics()
            block = attacked.block
        elif dataset.kind == "adversarial" and dataset.derived_from is not None:
            # attacked in the model's own input embeddings
            return attacked_in_embeddings(dataset, rows, adapter, batch_size, progress, block=block)
        elif block is None:
            block = dataset.features.rows(rows)
        return predict_batched(adapter, model_inputs(adapter, block), batch_size, progress)

    def _ood(
        self, model: str, dataset: LoadedDataset, merged: dict[tuple[str, str], np.ndarray]
    ) -> list[Result]:
        assert dataset.reference is not None
        reference = self.datasets[dataset.reference]
        scores = {
            "msp": (
                max_softmax_score(merged[(model, reference.name)]),
                max_softmax_score(merged[(model, dataset.name)]),
            )
        }
        adapter = self.models[model]
        if isinstance(adapter, LogitModel) and adapter.gives_logits:
            scores["energy"] = (
                negative_energy_score(self._logits(model, reference)),
                negative_energy_score(self._logits(model, dataset)),
            )
        return ood_results(model, dataset, scores, self.suite.intervals, self.suite.seed)

    def _logits(self, model: str, dataset: LoadedDataset) -> np.ndarray:
        """Raw logits of a whole dataset (for energy scores), cached like predictions; a set
        that streams is read a chunk of whole batches at a time, as for predictions."""
        adapter = self.models[model]
        key = cell_cache_key(
            model_fingerprint=adapter.fingerprint,
            dataset_fingerprint=dataset.fingerprint,
            transform={"output": "logits"},
            seed=self.suite.seed,
            rows=(0, dataset.n_examples),
            batch_size=self._batch_size(model),
        )
        cached = self.cache.get(key) if self.cache else None
        if cached is not None:
            return cached
        if isinstance(adapter, PrecomputedModel):
            logits = adapter.logits_for(dataset)
        else:
            assert isinstance(adapter, LogitModel)
            batch_size = self._batch_size(model)
            everything = slice(0, dataset.n_examples)
            parts: list[np.ndarray] = []
            if dataset.features.streams:
                for _, block in _read_ahead(dataset.features, everything, batch_size):
                    parts.append(adapter.predict_logits(model_inputs(adapter, block), batch_size))
                    del block  # before the generator reads ahead: two chunks held at most
            else:
                parts.append(
                    adapter.predict_logits(model_inputs(adapter, dataset.features), batch_size)
                )
            logits = np.concatenate(parts) if len(parts) > 1 else parts[0]
        if self.cache:
            self.cache.put(key, logits)
        return logits

    def _batch_size(self, model: str) -> int:
        """The model's batch size, else the suite's if it sets one, else the model type's
        preference (``default_batch_size``), else the suite's default."""
        chosen = self.suite.model(model).batch_size
        if chosen is None and "batch_size" not in self.suite.model_fields_set:
            chosen = getattr(self.models[model], "default_batch_size", None)
        return chosen or self.suite.batch_size

    def _attack_model(self, model: str, dataset: LoadedDataset) -> str:
        spec = self.suite.dataset(dataset.name).attack
        return spec.surrogate if spec is not None and spec.surrogate else model

    def _cache_key(self, cell: Cell, adapter: ModelAdapter, dataset: LoadedDataset) -> str:
        attack_model = None
        if dataset.kind == "adversarial" and dataset.derived_from is not None:
            attack_model = self.models[self._attack_model(cell.model, dataset)].fingerprint
        return cell_cache_key(
            model_fingerprint=adapter.fingerprint,
            dataset_fingerprint=dataset.fingerprint,
            transform=dataset.transform.model_dump() if dataset.transform else None,
            seed=self.suite.seed,
            rows=(cell.start, cell.stop),
            batch_size=self._batch_size(cell.model),
            attack_model=attack_model,
        )

    def _file_sha256(self, path: str | None) -> str | None:
        """The sha256 of a file the suite names (relative to it), remembered per file state."""
        if path is None:
            return None
        return file_sha256(resolve_path(path, self.loaded.base_dir), self.fingerprints)

    def _row_hashes(self, dataset: LoadedDataset) -> np.ndarray:
        """The set's normalised row hashes, from the cache when its fingerprint is there
        (a cached rerun makes no feature matrix for them)."""
        precision = self.suite.data_checks.precision
        key = f"{dataset.fingerprint}-rows2-{precision}"  # rows2: the matrix hashed whole
        found = self.cache.get(key) if self.cache is not None else None
        if found is not None and found.dtype == np.uint64 and len(found) == dataset.n_examples:
            return found
        features = dataset.features
        if features.streams:  # a chunk at a time: the whole matrix is never made
            # hashing takes ~6 times a chunk's float32 size (float64 copies, a frame)
            chunks = features.chunks(dataset.n_examples, share=8)
            hashes = np.concatenate([row_hashes(features.rows(c), precision) for c in chunks])
        else:
            hashes = row_hashes(features, precision)
        if self.cache is not None:
            self.cache.put(key, hashes, dtype=np.uint64)
        return hashes

    def _assemble(
        self,
        outcomes: list[CellOutcome],
        findings: list[DataFinding],
        contaminated: dict[tuple[str, str], Contamination],
    ) -> RunOutput:
        blocks = []
        merged: dict[tuple[str, str], np.ndarray] = {}
        statistics = _merged_statistics(outcomes)
        for model in self.models:
            # the sets with cells first: a worst case is picked from their predictions
            for name, dataset in sorted(self.datasets.items(), key=lambda d: bool(d[1].worst_of)):
                parts = [
                    o.probabilities
                    for o in outcomes
                    if o.cell.model == model and o.cell.dataset == name
                ]
                if dataset.worst_of:
                    probabilities, chosen = worst_case_probabilities(
                        [merged[(model, n)] for n in dataset.worst_of], dataset.labels
                    )
                    effort = worst_case_statistics(
                        [statistics.get((model, n)) for n in dataset.worst_of],
                        [self.datasets[n] for n in dataset.worst_of],
                        chosen,
                    )
                    if effort is not None:
                        statistics[(model, name)] = effort
                else:
                    probabilities = np.concatenate(parts) if len(parts) > 1 else parts[0]
                merged[(model, name)] = probabilities
                blocks.append(
                    PredictionBlock(
                        model,
                        name,
                        dataset.ids,
                        dataset.labels,
                        probabilities,
                        dataset.groups,
                        attack_statistics=statistics.get((model, name)),
                        contamination=found.codes
                        if (found := contaminated.get((model, name))) is not None
                        else None,
                    )
                )
        key = self._scoring_key(merged, contaminated)
        with ThreadPoolExecutor(max_workers=1) as writer:
            # the predictions file is encoded while scoring runs (Arrow releases the GIL)
            kept = None if key is None else writer.submit(self._kept_predictions, key, blocks)
            scored = self._scored(merged, key, statistics, contaminated)
            predictions_file = None if kept is None else kept.result()
        cells = [
            CellRecord(
                model=o.cell.model,
                dataset=o.cell.dataset,
                shard=o.cell.shard,
                n_examples=o.cell.n_examples,
                cached=o.cached,
                seconds=round(o.seconds, 4),
            )
            for o in outcomes
        ]
        report = self._report(scored.results, cells)
        checks = [
            DataCheckRecord(
                dataset=f.dataset,
                check=f.check,
                count=f.count,
                n=f.n,
                ids=list(f.ids),
                other=f.other,
            )
            for f in findings
        ]
        level = self.suite.intervals.level
        report = report.model_copy(
            update={
                "reliability": scored.reliability,
                "data_checks": checks,
                "data_check_settings": self.suite.data_checks.model_dump(mode="json"),
                "contamination": [
                    contamination_record(
                        model, self.datasets[name], contaminated[model, name], level
                    )
                    for model in self.models
                    for name in self.datasets
                    if (model, name) in contaminated
                ],
            }
        )
        return RunOutput(report, blocks, predictions_file=predictions_file)

    @cached_property
    def _scored_cache(self) -> ScoredCache:
        assert self.cache is not None
        return ScoredCache(self.cache.root)

    def _scoring_key(
        self,
        merged: dict[tuple[str, str], np.ndarray],
        contaminated: dict[tuple[str, str], Contamination],
    ) -> str | None:
        """The scored-results cache key of these predictions; None without a cache (then
        nothing is reused, so no prediction is hashed either)."""
        if self.cache is None:
            return None
        fingerprints = {name: adapter.fingerprint for name, adapter in self.models.items()}
        subsets = {key: found.codes for key, found in contaminated.items()}
        return scoring_key(self.suite, self.datasets, fingerprints, merged, subsets)

    def _kept_predictions(self, key: str, blocks: list[PredictionBlock]) -> Path:
        """The predictions file kept under ``key``, written now if it is not there yet."""
        kept = self._scored_cache.predictions_file(key)
        return kept or self._scored_cache.keep_predictions(key, predictions_table(blocks))

    def _scored(
        self,
        merged: dict[tuple[str, str], np.ndarray],
        key: str | None,
        statistics: dict[tuple[str, str], np.ndarray],
        contaminated: dict[tuple[str, str], Contamination],
    ) -> Scored:
        """Every result of the run's predictions: reused when the cache holds them under
        ``key`` (exactly these predictions, contamination and settings), else scored and
        stored."""
        if key is not None:
            found = self._scored_cache.get(key)
            if found is not None:
                self.observer.stage("scores unchanged: reusing them")
                return found
        self.observer.stage("scoring")
        scored = self._score(merged, statistics, contaminated)
        if key is not None:
            self._scored_cache.put(key, scored)
        return scored

    def _score(
        self,
        merged: dict[tuple[str, str], np.ndarray],
        statistics: dict[tuple[str, str], np.ndarray],
        contaminated: dict[tuple[str, str], Contamination],
    ) -> Scored:
        """Each (model, dataset) pair scored (where the model declares training data, also
        on the examples clean of it and on those found in it), on threads of their own when
        there are no intervals (numpy releases the GIL; interval resampling already uses
        every core, and overlapping it took longer and 35% more memory at 1M rows). Results
        keep the pairs' order, whatever finishes first."""

        def pair(key: tuple[str, str]) -> tuple[list[Result], list[ReliabilityRecord]]:
            model, name = key
            dataset, probabilities = self.datasets[name], merged[key]
            if dataset.kind == "ood":
                return self._ood(model, dataset, merged), []
            scored = score_predictions(
                model,
                dataset,
                probabilities,
                self.suite.metrics,
                self.suite.slices,
                intervals=self.suite.intervals,
                bias=self.suite.bias,
                seed=self.suite.seed,
            )
            if key in contaminated:
                scored += self._by_contamination(model, dataset, probabilities, contaminated[key])
            return scored, [_reliability(model, dataset, probabilities)]

        results: list[Result] = []
        reliability: list[ReliabilityRecord] = []
        threads = 1 if self.suite.intervals.method != "none" else os.cpu_count() or 1
        with ThreadPoolExecutor(max_workers=min(len(merged) + 1, threads)) as pool:
            robustness = pool.submit(
                robustness_results, self.suite, self.datasets, merged, statistics
            )
            for found, diagram in pool.map(pair, merged):
                results += found
                reliability += diagram
            results += robustness.result()
        return Scored(results=results, reliability=reliability)

    def _by_contamination(
        self, model: str, dataset: LoadedDataset, probabilities: np.ndarray, found: Contamination
    ) -> list[Result]:
        """The metrics on the clean examples and on the contaminated ones, as the
        pseudo-slice ``training_data``; none when nothing was found (clean is all)."""
        results: list[Result] = []
        if not found.contaminated.any():
            return results
        for group, rows in (("clean", ~found.contaminated), ("contaminated", found.contaminated)):
            if rows.any():
                results += subset_results(
                    model,
                    dataset,
                    probabilities,
                    rows,
                    self.suite.metrics,
                    column=TRAINING_DATA_SLICE,
                    group=group,
                    intervals=self.suite.intervals,
                    seed=self.suite.seed,
                )
        return results

    def _report(self, results: list[Result], cells: list[CellRecord]) -> Report:
        suite = self.suite
        return Report(
            run_id=uuid.uuid4().hex,
            created_at=datetime.now(timezone.utc).isoformat(timespec="microseconds"),
            suite=SuiteRecord(
                name=suite.name,
                version=suite.version,
                content_hash=self.loaded.content_hash,
                path=str(self.loaded.path),
            ),
            seed=suite.seed,
            environment=environment(),
            models=[
                ModelRecord(
                    name=m.name,
                    type=m.type,
                    fingerprint=self.models[m.name].fingerprint,
                    sha256=self._file_sha256(_model_file(m)),
                    license=m.license,
                    card=m.card,
                    training_data=[
                        TrainingDataRecord(
                            source=t.loaded.spec.source.model_dump(mode="json"),
                            rows=t.loaded.n_rows,
                            identity=t.loaded.identity,
                            sha256=t.loaded.sha256,
                        )
                        for t in self.training_checks.sources
                        if t.model == m.name
                    ],
                )
                for m in suite.models
            ],
            datasets=[
                _dataset_record(
                    d,
                    spec,
                    self._file_sha256(_source_file(spec)),
                    suite.dataset(spec.from_) if spec.from_ is not None else spec,
                )
                for d in self.datasets.values()
                for spec in [suite.dataset(d.name)]
            ],
            metrics=[m.model_dump() for m in suite.metrics],
            intervals=suite.intervals.model_dump(),
            bias=suite.bias.model_dump(),
            robustness=suite.robustness.model_dump(),
            results=results,
            cells=cells,
            predictions=PredictionsRecord(file="", sha256="", rows=0),
        )


def _read_ahead(
    features: FeatureBlock, rows: slice, batch_size: int
) -> Iterator[tuple[slice, FeatureBlock]]:
    """The features of ``rows`` of a streaming block, a chunk of whole batches at a time,
    the next chunk read on a thread while the caller works on this one (so no more than two
    chunks are held)."""
    chunks = [
        slice(rows.start + c.start, rows.start + c.stop)
        for c in features.chunks(rows.stop - rows.start, batch_size)
    ]
    with ThreadPoolExecutor(max_workers=1) as reader:
        ahead = reader.submit(features.rows, chunks[0])
        for index, chunk in enumerate(chunks):
            block = ahead.result()
            if index + 1 < len(chunks):
                ahead = reader.submit(features.rows, chunks[index + 1])
            yield chunk, block
            del block  # the caller drops its reference too before asking for the next


def _merged_statistics(outcomes: list[CellOutcome]) -> dict[tuple[str, str], np.ndarray]:
    """Each (model, dataset)'s attack statistics, its cells' in row order."""
    parts: dict[tuple[str, str], list[np.ndarray]] = {}
    for outcome in outcomes:
        if outcome.attack_statistics is not None:
            key = (outcome.cell.model, outcome.cell.dataset)
            parts.setdefault(key, []).append(outcome.attack_statistics)
    return {key: np.concatenate(found) for key, found in parts.items()}


def _reliability(
    model: str, dataset: LoadedDataset, probabilities: np.ndarray
) -> ReliabilityRecord:
    diagram = reliability_diagram(dataset.labels, probabilities)
    bins = [
        ReliabilityBin(
            lower=row["lower"],
            upper=row["upper"],
            count=row["count"],
            mean_confidence=None if np.isnan(row["mean_confidence"]) else row["mean_confidence"],
            accuracy=None if np.isnan(row["accuracy"]) else row["accuracy"],
        )
        for row in diagram.rows()
    ]
    return ReliabilityRecord(model=model, dataset=dataset.name, bins=bins)


def contamination_record(
    model: str, dataset: LoadedDataset, found: Contamination, level: float
) -> ContaminationRecord:
    """The report's record of one set's contamination, its share with a Wilson interval."""
    rows = found.contaminated
    count, n = int(rows.sum()), dataset.n_examples
    interval = wilson_interval(count, n, level=level) if n else None
    return ContaminationRecord(
        model=model,
        dataset=dataset.name,
        n=n,
        exact=int((found.codes == EXACT).sum()),
        near=int((found.codes == NEAR).sum()),
        count=count,
        fraction=count / n if n else 0.0,
        ci_low=None if interval is None else 0.0 if count == 0 else interval.low,
        ci_high=None if interval is None else 1.0 if count == n else interval.high,
        ci_level=None if interval is None else level,
        near_checked=found.near_checked,
        ids=list(first_ids(dataset, rows)),
    )


def _model_file(spec: ModelSpec) -> str | None:
    """The file a model is read from (its checkpoint or estimator), where it has one."""
    if isinstance(spec, TorchModelSpec):
        return spec.checkpoint
    return spec.path if isinstance(spec, SklearnModelSpec) else None


def _source_file(spec: DatasetSpec) -> str | None:
    return spec.source.path if isinstance(spec.source, FileSource) else None


def _dataset_record(
    dataset: LoadedDataset, spec: DatasetSpec, sha256: str | None, origin: DatasetSpec
) -> DatasetRecord:
    """The report's record of a set; ``origin`` is the sourced set it was derived from
    (itself when sourced), whose license, citation, homepage and card it carries."""
    shift = SHIFTS.get(spec.shift.name) if spec.shift is not None else None
    own = dataset.metadata or SourceMetadata()
    return DatasetRecord(
        name=dataset.name,
        kind=dataset.kind,
        fingerprint=dataset.fingerprint,
        n_examples=dataset.n_examples,
        classes=list(dataset.classes),
        sensitive=list(dataset.sensitive),
        derived_from=dataset.derived_from,
        pairs_with=dataset.pairs_with,
        transform=dataset.transform.model_dump() if dataset.transform else None,
        severity=None
        if shift is None or shift.severity is None
        else shift.severity_of(spec.shift.params if spec.shift else {}),
        family=None
        if shift is None or shift.severity is None or spec.shift is None
        else corruption_name(spec.shift),
        worst_of=list(dataset.worst_of) or None,
        effective_size=dataset.effective_size,
        source=spec.source.model_dump() if spec.source is not None else None,
        # what the suite declares, else what the Hub source says of itself
        license=origin.license or own.license,
        sha256=sha256,
        revision=own.revision,
        citation=origin.citation or own.citation,
        homepage=origin.homepage or own.homepage,
        card=origin.card or own.card,
    )


def environment() -> Environment:
    """Versions of Python, assay and the packages that shape the numbers."""
    packages = {}
    for name in ENVIRONMENT_PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = "absent"
    return Environment(
        python=sys.version.split()[0],
        platform=platform.platform(),
        assay=__version__,
        packages=packages,
    )


def run_suite(
    loaded: LoadedSuite,
    *,
    cache_dir: Path | None,
    observer: RunObserver | None = None,
    shard_size: int | None = None,
    executor: str | None = None,
    address: str | None = None,
) -> RunOutput:
    """Run a suite; ``cache_dir=None`` turns caching off. ``executor``/``address`` override
    the suite's ``executor`` section (default: local)."""
    cache = PredictionCache(cache_dir) if cache_dir is not None else None
    chosen = loaded.suite.executor
    running = make_executor(
        executor or chosen.type,
        address if address is not None else chosen.address,
        chosen.workers,
    )
    try:
        run = SuiteRun(
            loaded, cache=cache, observer=observer, shard_size=shard_size, executor=running
        )
        return run.execute()
    finally:
        running.close()
