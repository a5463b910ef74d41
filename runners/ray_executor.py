"""The Ray executor: cells run on a pool of Ray actors, each of which loads the suite, its
datasets and models once (from the suite file and the sources it names, on the worker) and
then runs the cells it is given, writing their predictions into the shared cache. Only the
cells (a few numbers each) go to the workers and their outcomes come back.

Without an address, assay starts a private Ray instance on this machine that listens on
loopback only, with usage statistics and the dashboard off, and stops it after the run.

    executor = RayExecutor(workers=2)
    try:
        outcomes = list(executor.run(suite_run, cells))
    finally:
        executor.close()
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from assay.errors import AssayError, UserError
from assay.runners.executors import CellRunner, T, WorkerSpec
from assay.runners.plan import Cell

LOOPBACK = "127.0.0.1"
# on Linux Ray resolves "127.0.0.1" to the machine's reachable address, and its gRPC
# servers then listen on every interface, unless this is 0 (read by Ray's processes when
# they start, and by the driver's Ray when it is imported)
SINGLE_MACHINE = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
ACTOR_RESTARTS = 3  # a worker that dies is replaced this many times, its cell run again


def _ray() -> Any:
    """Ray, imported only when the Ray executor is used (usage statistics off)."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        import ray
    except ImportError:
        raise UserError("the ray executor needs Ray: pip install 'assay[ray]'") from None
    return ray


def _single_machine(ray: Any, on: bool, before: str | None = None) -> None:
    """Keep (``on``) or stop keeping a private instance's addresses on loopback: for the
    processes it starts (the environment) and for the driver's Ray, which read the setting
    when it was imported (perhaps by the caller's own code, before assay set it); off
    restores the environment's value ``before``."""
    if on:
        os.environ[SINGLE_MACHINE] = "0"
    elif before is None:
        os.environ.pop(SINGLE_MACHINE, None)
    else:
        os.environ[SINGLE_MACHINE] = before
    constants = getattr(getattr(ray, "_private", None), "ray_constants", None)
    if constants is not None and hasattr(constants, "ENABLE_RAY_CLUSTER"):
        constants.ENABLE_RAY_CLUSTER = not on


class RayExecutor:
    """Runs cells on Ray actors (``workers`` of them, default one per CPU of the cluster).

    ``address``: an existing cluster (``ray start --head`` prints it; ``auto`` finds a local
    one); None starts a private local instance on loopback with ``num_cpus`` CPUs.
    """

    remote = True

    def __init__(
        self, address: str | None = None, workers: int | None = None, num_cpus: int | None = None
    ) -> None:
        self.address = address
        self.workers = workers
        self.num_cpus = num_cpus
        self._started = False
        self._environment_before: str | None = None

    def _connect(self) -> Any:
        ray = _ray()
        if ray.is_initialized():
            return ray
        if self.address is None:
            self._environment_before = os.environ.get(SINGLE_MACHINE)
            _single_machine(ray, on=True)
            ray.init(
                num_cpus=self.num_cpus,
                include_dashboard=False,
                _node_ip_address=LOOPBACK,
                log_to_driver=False,
                configure_logging=False,
                namespace="assay",
            )
            self._started = True
            if ray.util.get_node_ip_address() != LOOPBACK:
                self.close()
                raise AssayError(
                    "the private Ray instance did not stay on loopback; start a cluster "
                    "yourself (ray start --head --node-ip-address 127.0.0.1) and pass --address"
                )
        else:
            ray.init(address=self.address, log_to_driver=False, namespace="assay")
        return ray

    def run(self, runner: CellRunner[T], cells: Sequence[Cell]) -> Iterator[T]:
        """Each model's cells on a pool of its own actors, reserving what the model's
        ``resources`` say; a model's pool goes once its cells are done (so pools never wait
        on each other's resources), and outcomes come back in cell order."""
        if not cells:
            return
        ray = self._connect()
        spec = runner.worker_spec()
        by_model: dict[str, list[Cell]] = {}
        for cell in cells:
            by_model.setdefault(cell.model, []).append(cell)
        done: dict[Cell, T] = {}
        position = 0
        for model, own in by_model.items():
            outcomes = self._model_cells(ray, spec, model, own)
            for outcome_cell, outcome in zip(own, outcomes, strict=True):
                done[outcome_cell] = outcome
                while position < len(cells) and cells[position] in done:
                    yield done.pop(cells[position])
                    position += 1

    def _model_cells(
        self, ray: Any, spec: WorkerSpec, model: str, cells: list[Cell]
    ) -> Iterator[Any]:
        """One model's cells, queued round-robin on its actors, in order."""
        resources = spec.resources.get(model, {})
        cpus = float(resources.get("cpus", 1.0))
        cluster = ray.cluster_resources()
        total = float(cluster.get("CPU", 1.0))
        for key, name in (("cpus", "CPU"), ("gpus", "GPU")):
            wanted = float(resources.get(key, 0.0))
            if wanted > float(cluster.get(name, 0.0)):
                raise UserError(
                    f"model {model!r} asks for {wanted:g} {name}s a worker (resources.{key}); "
                    f"the Ray cluster has {float(cluster.get(name, 0.0)):g}, so its cells "
                    "would wait forever"
                )
        count = min(self.workers or max(1, int(total // cpus)), len(cells))
        options: dict[str, Any] = {
            "num_cpus": cpus,
            "num_gpus": float(resources.get("gpus", 0.0)),
            "max_restarts": ACTOR_RESTARTS,
            "max_task_retries": ACTOR_RESTARTS,
        }
        if resources.get("memory_mb"):
            options["memory"] = int(resources["memory_mb"]) * 1024 * 1024
        worker = ray.remote(CellWorker).options(**options)
        actors = [worker.remote(spec, model) for _ in range(count)]
        try:
            pending = [actors[i % count].run_cell.remote(c) for i, c in enumerate(cells)]
            for cell, future in zip(cells, pending, strict=True):
                yield _outcome(ray, future, cell)
        finally:
            for actor in actors:
                ray.kill(actor)

    def close(self) -> None:
        """Stop the private Ray instance this executor started (a cluster it joined stays)."""
        if self._started:
            ray = _ray()
            ray.shutdown()
            _single_machine(ray, on=False, before=self._environment_before)
            self._started = False


def _outcome(ray: Any, future: Any, cell: Cell) -> Any:
    """A cell's outcome; what the cell raised on its worker is raised here as it is (an
    assay error keeps its one line: file, key, value), not as Ray's remote traceback."""
    try:
        return ray.get(future)
    except ray.exceptions.RayTaskError as error:
        cause = getattr(error, "cause", None)
        if isinstance(cause, Exception):
            raise cause from None
        raise
    except ray.exceptions.ActorDiedError:
        raise AssayError(
            f"the Ray workers running {cell.label} died {ACTOR_RESTARTS + 1} times; see "
            "Ray's logs (the cells that finished are cached: run again to resume)"
        ) from None


class CellWorker:
    """One Ray actor for one model's cells: the suite loaded from its file (refused if it
    is not the driver's), its datasets, the model and its attacks' surrogates loaded once,
    then any number of cells run."""

    def __init__(self, spec: WorkerSpec, model: str) -> None:
        from assay.runners.cache import PredictionCache
        from assay.runners.run import SuiteRun
        from assay.suites.loading import load_suite

        loaded = load_suite(Path(spec.suite_path))
        if loaded.content_hash != spec.content_hash:
            raise UserError(
                f"{spec.suite_path}: the suite file changed while the run was starting; "
                "run it again"
            )
        cache = PredictionCache(Path(spec.cache_dir)) if spec.cache_dir is not None else None
        self.run = SuiteRun(loaded, cache=cache, shard_size=spec.shard_size)
        self.run.load(loaded.suite.models_for(model))

    def run_cell(self, cell: Cell) -> Any:
        return self.run.run_cell(cell)
