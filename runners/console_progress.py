"""A rich progress display for runs started from the CLI."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from assay.runners.plan import Cell


class ConsoleObserver:
    """Shows one progress bar per inferred cell and a line per cached cell."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._tasks: dict[Cell, TaskID] = {}
        self.cached_cells = 0
        self.inferred_cells = 0

    def __enter__(self) -> ConsoleObserver:
        self.progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.progress.stop()

    def stage(self, text: str) -> None:
        self.progress.console.print(Text(f"· {text}", style="dim"))

    def cell_started(self, cell: Cell, *, cached: bool) -> None:
        if cached:
            self.cached_cells += 1
            self.progress.console.print(f"  {cell.label}: cached, no inference")
            return
        self.inferred_cells += 1
        self._tasks[cell] = self.progress.add_task(f"  {cell.label}", total=cell.n_examples)

    def examples_done(self, cell: Cell, count: int) -> None:
        self.progress.advance(self._tasks[cell], count)

    def cell_finished(self, cell: Cell, *, cached: bool, seconds: float) -> None:
        pass
