"""Several reports side by side: one row per dataset × metric, one column per report."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.table import Table

from assay.reports.render import format_result
from assay.reports.schema import Report, Result


def trend_table(reports: Sequence[Report], model: str | None = None) -> Table:
    """Overall values (with intervals) of one model across reports, oldest first.

    The model defaults to each report's only model; reports with several need ``model``.

    Example:
        >>> trend_table([]).row_count
        0
    """
    table = Table(title="trend", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("dataset", no_wrap=True)
    table.add_column("metric", no_wrap=True)
    ordered = sorted(reports, key=lambda r: r.created_at)
    for report in ordered:
        table.add_column(
            f"{report.suite.version} · {report.run_id[:8]}", justify="right", no_wrap=True
        )
    cells: dict[tuple[str, str], list[Result | None]] = {}
    for index, report in enumerate(ordered):
        chosen = model or (report.models[0].name if len(report.models) == 1 else None)
        for result in report.results:
            if result.model != chosen or result.slice is not None or result.value is None:
                continue
            row = cells.setdefault((result.dataset, result.metric), [None] * len(ordered))
            row[index] = result
    for (dataset, metric), row in cells.items():
        table.add_row(dataset, metric, *[_text(r) for r in row])
    return table


def _text(result: Result | None) -> str:
    return "" if result is None else format_result(result)
