"""Published forms of a report or a comparison: one HTML page (figures inline) or
Markdown, both from the same sections (:mod:`assay.reports.sections`).

Example:
    >>> from assay.reports.comparison_types import Comparison
    >>> page = comparison_html(Comparison("v1", "v2", [], [], ("test", "accuracy")))
    >>> page.startswith("<!DOCTYPE html>") and "Verdict: v2 against v1" in page
    True
"""

from __future__ import annotations

import pyarrow as pa

from assay.reports.comparison_types import Comparison
from assay.reports.html_report import html_page
from assay.reports.markdown_report import markdown_page
from assay.reports.schema import Report
from assay.reports.sections import churn_section, report_sections, verdict_section


def _title(report: Report) -> str:
    return f"assay report: {report.suite.name} v{report.suite.version}"


def report_html(report: Report, predictions: pa.Table | None = None) -> str:
    """The report as one self-contained page, with every figure."""
    from assay.reports.plots import report_figures

    return html_page(_title(report), report_sections(report, report_figures(report, predictions)))


def report_markdown(report: Report) -> str:
    """The report's tables as Markdown (figures are the HTML page's)."""
    return markdown_page(_title(report), report_sections(report, []))


def comparison_html(
    comparison: Comparison, *, passed: bool | None = None, failures: list[str] | None = None
) -> str:
    """A comparison (or a gate's verdict, with ``passed``): the verdict first, silent
    regressions on top, every compared cell with regressions marked, then churn."""
    sections = [verdict_section(comparison, passed, failures or [])]
    if comparison.churn:
        sections.append(churn_section(comparison))
    title = f"assay comparison: {comparison.candidate} against {comparison.baseline}"
    return html_page(
        title, sections, verdict=passed if passed is not None else not comparison.regressions
    )
