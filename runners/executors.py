"""Executors run planned cells; the local one runs them in order in this process."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Protocol, TypeVar

from assay.runners.plan import Cell

T = TypeVar("T")


class Executor(Protocol):
    """Runs a function over cells and yields the outcomes in cell order."""

    def map(self, function: Callable[[Cell], T], cells: Sequence[Cell]) -> Iterator[T]: ...


class LocalExecutor:
    """Runs cells one after another in the calling process (inference is itself batched).

    Example:
        >>> list(LocalExecutor().map(lambda c: c.n_examples, [Cell("m", "d", 0, 0, 3)]))
        [3]
    """

    def map(self, function: Callable[[Cell], T], cells: Sequence[Cell]) -> Iterator[T]:
        for cell in cells:
            yield function(cell)
