"""Plan the work: one cell per model × dataset × shard of rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Cell:
    """Rows ``start:stop`` of one dataset, predicted by one model."""

    model: str
    dataset: str
    shard: int
    start: int
    stop: int

    @property
    def n_examples(self) -> int:
        return self.stop - self.start

    @property
    def label(self) -> str:
        return f"{self.model} × {self.dataset}" + (f" [shard {self.shard}]" if self.shard else "")


def plan_cells(
    models: Sequence[str], dataset_sizes: dict[str, int], *, shard_size: int | None = None
) -> list[Cell]:
    """Cells in suite order: models outer, datasets inner, shards innermost.

    Example:
        >>> [c.label for c in plan_cells(["m"], {"d": 5}, shard_size=3)]
        ['m × d', 'm × d [shard 1]']
    """
    cells = []
    for model in models:
        for dataset, size in dataset_sizes.items():
            step = shard_size or max(size, 1)
            for shard, start in enumerate(range(0, max(size, 1), step)):
                cells.append(Cell(model, dataset, shard, start, min(start + step, size)))
    return cells
