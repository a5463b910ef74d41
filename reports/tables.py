"""Tables that never cut a value: wider than the console, they stack their columns.

Rich shrinks a table that does not fit by wrapping, then by cutting cells with an ellipsis,
so ``0.017 (0.009–0.021)`` could print as ``0.017 (0.009–0.02…``. :class:`Stacked` prints
the table as it is when it fits; otherwise it splits the value columns over several tables
printed one under the other, each repeating the key columns (model, dataset, ...), so every
number appears whole.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator

from rich.console import Console, ConsoleOptions, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text


class Stacked:
    """Render ``table`` whole, or stacked in parts when it is wider than the console.

    The first ``keys`` columns identify a row and are repeated in every part (they may
    wrap), as may the columns named in ``wrap`` (free text such as notes); the other
    columns (numbers) never wrap or get cut. When not even the keys and one value column
    fit side by side, the rows are listed as records instead: the keys on one line, each
    value on a line of its own under them.

    Example:
        >>> import io
        >>> table = Table("model", "a", "b")
        >>> table.add_row("mlp", "0.123456789", "0.987654321")
        >>> console = Console(width=24, file=io.StringIO())
        >>> console.print(Stacked(table, keys=1))
        >>> text = console.file.getvalue()
        >>> "0.123456789" in text and "0.987654321" in text and "(continued)" in text
        True
    """

    def __init__(self, table: Table, *, keys: int, wrap: Collection[str] = ()) -> None:
        self.table = table
        self.keys = keys
        for index, column in enumerate(table.columns):
            wraps = index < keys or str(column.header) in wrap
            column.no_wrap = not wraps
            column.overflow = "fold"

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Table | Text]:
        width = options.max_width
        if _width(console, options, self.table) <= width:
            yield self.table
            return
        groups = self._groups(console, options, width)
        parts = [self._part(group, number, len(groups)) for number, group in enumerate(groups)]
        if any(_width(console, options, part, narrowest=True) > width for part in parts):
            yield from self._records()
            return
        yield from parts

    def _records(self) -> Iterator[Text]:
        """Each row as ``key · key · key`` and one indented ``header: value`` line per
        value column (empty cells left out)."""
        source = self.table
        if source.title:
            yield Text(str(source.title), style="bold")
        columns = [list(column.cells) for column in source.columns]
        headers = [str(column.header) for column in source.columns]
        for row in range(source.row_count):
            yield Text(" · ".join(str(columns[i][row]) for i in range(self.keys)))
            for index in range(self.keys, len(columns)):
                value = str(columns[index][row])
                if value:
                    yield Text(f"    {headers[index]}: {value}")
        if source.caption:
            yield Text(str(source.caption))

    def _groups(self, console: Console, options: ConsoleOptions, width: int) -> list[list[int]]:
        groups: list[list[int]] = []
        current: list[int] = []
        for index in range(self.keys, len(self.table.columns)):
            candidate = [*current, index]
            if current and _width(console, options, self._part(candidate, 0, 1)) > width:
                groups.append(current)
                candidate = [index]
            current = candidate
        if current:
            groups.append(current)
        return groups

    def _part(self, columns: list[int], number: int, count: int) -> Table:
        source = self.table
        title = source.title if number == 0 else f"{source.title or ''} (continued)".strip()
        part = Table(
            title=title,
            title_justify=source.title_justify,
            caption=source.caption if number == count - 1 else None,
            caption_justify=source.caption_justify,
            box=source.box,
            show_header=source.show_header,
        )
        chosen = [*range(self.keys), *columns]
        for index in chosen:
            column = source.columns[index]
            part.add_column(
                column.header,
                justify=column.justify,
                no_wrap=column.no_wrap,
                overflow="fold",
                min_width=column.min_width,
                style=column.style,
            )
        cells = [list(source.columns[index].cells) for index in chosen]
        for row in range(source.row_count):
            part.add_row(*[column[row] for column in cells])
        return part


def _width(
    console: Console, options: ConsoleOptions, table: RenderableType, *, narrowest: bool = False
) -> int:
    """The width ``table`` takes when nothing limits it (``narrowest``: with its wrapping
    columns wrapped as far as they go)."""
    unlimited = options.update(max_width=100_000)
    measured = Measurement.get(console, unlimited, table)
    return measured.minimum if narrowest else measured.maximum
