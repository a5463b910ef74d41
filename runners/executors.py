"""Executors run planned cells: ``local`` in this process, in order; ``ray`` on a Ray
cluster's workers (:mod:`assay.runners.ray_executor`, the ``assay[ray]`` extra).

A run hands an executor a :class:`CellRunner`: it runs a cell where it is (the local
executor calls it), and says in a :class:`WorkerSpec` how a worker elsewhere builds the same
runner from the suite file and the shared cache, so no dataset or model travels from the
driver. Outcomes come back in cell order either way.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from assay.errors import UserError
from assay.runners.plan import Cell

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
EXECUTORS = ("local", "ray")


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker needs to run a suite's cells itself: the suite file (checked to be the
    driver's by its sha256), the prediction cache both share, and the shard size."""

    suite_path: str
    content_hash: str
    cache_dir: str | None
    shard_size: int | None
    resources: dict[str, dict[str, float]] = field(default_factory=dict)  # per model


class CellRunner(Protocol[T_co]):
    """Runs one cell here, and says how a worker would run it."""

    def run_cell(self, cell: Cell) -> T_co: ...

    def worker_spec(self) -> WorkerSpec: ...


class Executor(Protocol):
    """Runs cells and yields their outcomes in cell order; ``remote`` says whether the
    cells run elsewhere (then the driver reports each one as it comes back)."""

    remote: bool

    def run(self, runner: CellRunner[T], cells: Sequence[Cell]) -> Iterator[T]: ...

    def close(self) -> None: ...


class LocalExecutor:
    """Runs cells one after another in the calling process (inference is itself batched).

    Example:
        >>> class Count:
        ...     def run_cell(self, cell): return cell.n_examples
        ...     def worker_spec(self): raise NotImplementedError
        >>> list(LocalExecutor().run(Count(), [Cell("m", "d", 0, 0, 3)]))
        [3]
    """

    remote = False

    def run(self, runner: CellRunner[T], cells: Sequence[Cell]) -> Iterator[T]:
        for cell in cells:
            yield runner.run_cell(cell)

    def close(self) -> None:
        """Nothing to let go of."""


def make_executor(
    kind: str = "local", address: str | None = None, workers: int | None = None
) -> Executor:
    """The executor named ``kind`` (see :data:`EXECUTORS`).

    Example:
        >>> make_executor("local").remote
        False
    """
    if kind not in EXECUTORS:
        raise UserError(f"unknown executor {kind!r}; choose one of: {', '.join(EXECUTORS)}")
    if kind == "ray":
        from assay.runners.ray_executor import RayExecutor

        return RayExecutor(address=address, workers=workers)
    return LocalExecutor()
