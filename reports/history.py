"""The runs of one suite over time, with their headline numbers and tags."""

from __future__ import annotations

from rich import box
from rich.table import Table

from assay.reports.store import ReportStore, load_report


def history_table(store: ReportStore, suite: str) -> Table:
    """One row per stored run of ``suite`` (oldest first): version, models, headline
    accuracy (first in-distribution dataset) per model, and the tags on it.

    Example:
        >>> import tempfile, pathlib
        >>> history_table(ReportStore(pathlib.Path(tempfile.mkdtemp())), "s").row_count
        0
    """
    tags_by_folder: dict[str, list[str]] = {}
    for tag, folder_name in store.tags().items():
        tags_by_folder.setdefault(folder_name, []).append(tag)
    table = Table(title=f"history of {suite}", title_justify="left", box=box.SIMPLE_HEAD)
    for header in ("created", "run", "version", "headline", "tags"):
        table.add_column(header, no_wrap=header != "headline")
    for folder in store.folders():
        report = load_report(folder)
        if report.suite.name != suite:
            continue
        clean = next((d.name for d in report.datasets if d.kind == "in_distribution"), None)
        headline = []
        for model in report.models:
            try:
                result = report.result(model.name, clean or "", "accuracy")
            except KeyError:
                continue
            interval = (
                f" ({result.ci_low:.3f}–{result.ci_high:.3f})"
                if result.ci_low is not None and result.ci_high is not None
                else ""
            )
            headline.append(f"{model.name} accuracy {result.value:.3f}{interval} on {clean}")
        table.add_row(
            report.created_at[:19],
            report.run_id[:8],
            report.suite.version,
            "; ".join(headline),
            ", ".join(tags_by_folder.get(folder.name, [])),
        )
    return table
