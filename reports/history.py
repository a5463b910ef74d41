"""The runs of one suite over time: headline numbers, gate verdicts and tags."""

from __future__ import annotations

from pathlib import Path

from rich import box
from rich.table import Table

from assay.errors import InvalidInputError
from assay.reports.escaping import terminal
from assay.reports.numbers import number
from assay.reports.schema import Report
from assay.reports.store import ReportStore, load_report
from assay.reports.verdicts import verdicts_of


def history_table(
    store: ReportStore, suite: str, reports: list[tuple[Path, Report]] | None = None
) -> Table:
    """One row per stored run of ``suite`` (oldest first): version, headline accuracy and
    ECE per model on the first in-distribution dataset, the verdicts of ``assay gate``
    runs that produced it, and its tags. ``reports``: the store's readable reports, when
    the caller has loaded them already.

    Example:
        >>> import tempfile, pathlib
        >>> history_table(ReportStore(pathlib.Path(tempfile.mkdtemp())), "s").row_count
        0
    """
    tags_by_folder: dict[str, list[str]] = {}
    for tag, folder_name in store.tags().items():
        tags_by_folder.setdefault(folder_name, []).append(tag)
    table = Table(title=f"history of {suite}", title_justify="left", box=box.SIMPLE_HEAD)
    for header in ("created", "run", "version", "headline", "gate", "tags"):
        table.add_column(header, no_wrap=header not in ("headline", "gate"))
    if reports is None:
        reports = readable_reports(store)[0]
    for folder, report in reports:
        if report.suite.name != suite:
            continue
        clean = next((d.name for d in report.datasets if d.kind == "in_distribution"), None)
        headline = [_headline(report, model.name, clean) for model in report.models]
        gate = [
            v.summary(_name(v.baseline, tags_by_folder)) for v in verdicts_of(store, folder.name)
        ]
        table.add_row(
            report.created_at[:19],
            report.run_id[:8],
            terminal(report.suite.version),
            "; ".join(h for h in headline if h),
            "; ".join(gate),
            ", ".join(tags_by_folder.get(folder.name, [])),
        )
    return table


def readable_reports(store: ReportStore) -> tuple[list[tuple[Path, Report]], list[Path]]:
    """The store's reports that load (oldest first), and the folders that do not (torn by
    a crash or edited by hand): one bad folder must not hide every other run."""
    reports, unreadable = [], []
    for folder in store.folders():
        try:
            reports.append((folder, load_report(folder)))
        except InvalidInputError:
            unreadable.append(folder)
    return reports, unreadable


def _headline(report: Report, model: str, dataset: str | None) -> str:
    """``mlp: accuracy 0.951 (0.93–0.97), ece 0.021 on digits_test``; empty if missing."""
    parts = []
    for metric in ("accuracy", "ece"):
        try:
            result = report.result(model, dataset or "", metric)
        except KeyError:
            continue
        if result.value is None:
            continue
        interval = (
            f" ({number(result.ci_low)}–{number(result.ci_high)})"
            if result.ci_low is not None and result.ci_high is not None
            else ""
        )
        parts.append(f"{metric} {number(result.value)}{interval}")
    return f"{model}: {', '.join(parts)} on {dataset}" if parts else ""


def _name(folder: str, tags_by_folder: dict[str, list[str]]) -> str:
    """A report folder by its tag if it has one, else its run id prefix."""
    tags = tags_by_folder.get(folder)
    return tags[0] if tags else folder.rsplit("-", 1)[-1]
