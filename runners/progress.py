"""Run events for progress display; library code reports, the CLI shows."""

from __future__ import annotations

from typing import Protocol

from assay.runners.plan import Cell


class RunObserver(Protocol):
    """Receives progress events from a run."""

    def stage(self, text: str) -> None:
        """A step of the run starts (loading data, loading models...)."""

    def cell_started(self, cell: Cell, *, cached: bool) -> None:
        """A cell starts; ``cached`` cells do no inference."""

    def examples_done(self, cell: Cell, count: int) -> None:
        """``count`` more examples of ``cell`` are predicted."""

    def cell_finished(self, cell: Cell, *, cached: bool, seconds: float) -> None:
        """A cell is done."""


class SilentObserver:
    """Ignores every event (the default for library calls)."""

    def stage(self, text: str) -> None:
        pass

    def cell_started(self, cell: Cell, *, cached: bool) -> None:
        pass

    def examples_done(self, cell: Cell, count: int) -> None:
        pass

    def cell_finished(self, cell: Cell, *, cached: bool, seconds: float) -> None:
        pass
