"""Readable summaries of a report as rich tables (the CLI prints them)."""

from __future__ import annotations

from collections import defaultdict

from rich import box
from rich.console import Group
from rich.table import Table

from assay.reports.schema import Report, Result


def _format(value: float | None) -> str:
    return "too small" if value is None else f"{value:.4f}"


def _with_interval(result: Result) -> str:
    """``0.848 (0.835–0.861)``; the value to 4 places when there is no interval."""
    if result.value is None or result.ci_low is None or result.ci_high is None:
        return _format(result.value)
    return f"{result.value:.3f} ({result.ci_low:.3f}–{result.ci_high:.3f})"


def _interval_note(report: Report) -> str:
    spec = report.intervals
    if not spec or spec.get("method") == "none":
        return ""
    return (
        f"value ({spec['level']:.0%} interval: Wilson for proportions, "
        f"{spec['method']} bootstrap with B={spec['n_resamples']} otherwise)"
    )


def overall_table(report: Report) -> Table:
    """One row per model × dataset, one column per overall metric."""
    overall = [r for r in report.results if r.slice is None]
    metrics = list(dict.fromkeys(r.metric for r in overall))
    title = f"{report.suite.name} v{report.suite.version} — overall"
    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        caption=_interval_note(report),
        caption_justify="left",
    )
    for header in ("model", "dataset", "kind", "n", *metrics):
        table.add_column(
            header, justify="right" if header in (*metrics, "n") else "left", no_wrap=True
        )
    rows: dict[tuple[str, str], dict[str, Result]] = defaultdict(dict)
    for result in overall:
        rows[(result.model, result.dataset)][result.metric] = result
    for (model, dataset), by_metric in rows.items():
        first = next(iter(by_metric.values()))
        cells = [_with_interval(by_metric[m]) if m in by_metric else "" for m in metrics]
        table.add_row(model, dataset, first.kind, str(first.n), *cells)
    return table


def grouped_table(report: Report) -> Table | None:
    """Slice and sensitive-group results, one row each; None when there are none."""
    grouped = [r for r in report.results if r.slice is not None]
    if not grouped:
        return None
    table = Table(title="by slice and sensitive group", title_justify="left", box=box.SIMPLE_HEAD)
    for header in ("model", "dataset", "column", "group", "metric", "n", "value"):
        table.add_column(header, justify="right" if header in ("n", "value") else "left")
    for r in grouped:
        table.add_row(
            r.model,
            r.dataset,
            r.slice or "",
            r.group or "(all groups)",
            r.metric,
            str(r.n),
            _with_interval(r),
        )
    return table


def report_summary(report: Report, *, grouped: bool = True) -> Group:
    """Header lines and tables for ``assay show`` (``grouped=False``: overall table only)."""
    inferred = sum(not c.cached for c in report.cells)
    header = (
        f"run {report.run_id[:8]} · {report.created_at} · seed {report.seed} · "
        f"{len(report.cells)} cells ({inferred} inferred, {len(report.cells) - inferred} cached)"
    )
    parts: list = [header, overall_table(report)]
    by_group = grouped_table(report)
    if by_group is not None and grouped:
        parts.append(by_group)
    elif by_group is not None:
        parts.append(f"{by_group.row_count} results by slice and group: see `assay show`")
    return Group(*parts)
