"""What a published report says, independent of its format: sections of tables (header
cells and rows of plain text) and figures, built once from a report or a comparison and
rendered as HTML (:mod:`assay.reports.html_report`) or Markdown
(:mod:`assay.reports.markdown_report`). Cells hold user strings unescaped: each renderer
escapes them for its format. Numbers are written in full (``repr``), never cut."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from assay.prediction_columns import TRAINING_DATA_SLICE
from assay.reports.comparison_types import CellComparison, Comparison
from assay.reports.numbers import number
from assay.reports.plot_style import Figure
from assay.reports.schema import Report, Result
from assay.reports.severity_ladders import Ladder, severity_ladders

KIND_TITLES = {
    "in_distribution": "In distribution",
    "shifted": "Under shift",
    "adversarial": "Under attack",
}
ROBUSTNESS_KINDS = ("ood", "robustness")


@dataclass(frozen=True)
class TableData:
    """A table: a caption, header cells, rows; ``flagged`` rows are marked (a regression)."""

    caption: str
    header: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    flagged: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Section:
    title: str
    text: list[str] = field(default_factory=list)
    tables: list[TableData] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)


def with_interval(result: Result) -> str:
    """``value (low – high)``, every number in full."""
    if result.value is None or result.ci_low is None or result.ci_high is None:
        return number(result.value)
    return f"{number(result.value)} ({number(result.ci_low)} – {number(result.ci_high)})"


def report_sections(report: Report, figures: list[Figure]) -> list[Section]:
    """Per dataset kind its overall table and figures, then groups, robustness and OOD, and
    how the report was made."""
    sections = []
    for kind, title in KIND_TITLES.items():
        names = [d.name for d in report.datasets if d.kind == kind]
        if not names:
            continue
        results = [
            r
            for r in report.results
            if r.dataset in names and r.slice is None and r.kind not in ROBUSTNESS_KINDS
        ]
        shown = [f for f in figures if f.kind == "reliability" and set(f.datasets) & set(names)]
        sections.append(Section(title, tables=[_wide(title, results)], figures=shown))
    by_severity = severity_section(report, figures)
    if by_severity is not None:
        sections.append(by_severity)
    grouped = [r for r in report.results if r.slice is not None]
    if grouped:
        groups_figures = [f for f in figures if f.kind == "groups"]
        sections.append(
            Section("By slice and group", tables=[long_table(grouped)], figures=groups_figures)
        )
    summary = [r for r in report.results if r.slice is None and r.kind in ROBUSTNESS_KINDS]
    if summary:
        ood = [f for f in figures if f.kind == "ood"]
        sections.append(
            Section(
                "Robustness and out-of-distribution detection",
                tables=[long_table(summary)],
                figures=ood,
            )
        )
    contaminated = contamination_section(report)
    if contaminated is not None:
        sections.append(contaminated)
    sections.append(provenance(report))
    return sections


def _wide(title: str, results: list[Result]) -> TableData:
    metrics = list(dict.fromkeys(r.metric for r in results))
    rows: dict[tuple[str, str], dict[str, Result]] = {}
    for result in results:
        rows.setdefault((result.model, result.dataset), {})[result.metric] = result
    body = [
        (
            model,
            dataset,
            str(next(iter(cells.values())).n),
            *(with_interval(cells[m]) if m in cells else "" for m in metrics),
        )
        for (model, dataset), cells in rows.items()
    ]
    return TableData(f"{title}: value (interval)", ("model", "dataset", "n", *metrics), body)


def severity_section(report: Report, figures: list[Figure]) -> Section | None:
    """One table per severity ladder (a family of shifted sets of one clean set) and the
    severity figures; None when no shift has levels."""
    ladders = severity_ladders(report)
    if not ladders:
        return None
    return Section(
        "By severity",
        text=["Accuracy and ECE at each severity of each shift; 0 is the clean set."],
        tables=[_ladder_table(report, ladder) for ladder in ladders],
        figures=[f for f in figures if f.kind == "severity"],
    )


def _ladder_table(report: Report, ladder: Ladder) -> TableData:
    levels = [str(severity) for severity, _ in ladder.steps]
    body = [
        (row.model, row.metric, *(with_interval(v) if v is not None else "" for v in row.values))
        for row in ladder.rows(report)
    ]
    described = ", ".join(f"{severity}: {name}" for severity, name in ladder.steps)
    return TableData(
        f"{ladder.family} on {ladder.parent}, by severity ({described})",
        ("model", "metric", *levels),
        body,
    )


def long_table(
    results: list[Result], caption: str = "one row per result", *, with_model: bool = True
) -> TableData:
    """One row per result: where it was measured, the value with its interval, its note."""
    header = ("dataset", "column", "group", "metric", "n", "value (interval)", "note")
    body = [
        (r.model,) * with_model
        + (r.dataset, r.slice or "", r.group or "", r.metric, str(r.n), with_interval(r))
        + (r.note or "",)
        for r in results
    ]
    return TableData(caption, ("model",) * with_model + header, body)


def provenance(report: Report) -> Section:
    """How it was evaluated: suite hash, versions, seed, fingerprints, licenses."""
    text = [
        f"Suite {report.suite.name} version {report.suite.version}, "
        f"sha256 {report.suite.content_hash}; "
        f"seed {report.seed}; run {report.run_id} at {report.created_at}; "
        f"assay {report.environment.assay}, Python {report.environment.python}, "
        + ", ".join(f"{k} {v}" for k, v in sorted(report.environment.packages.items()))
        + "."
    ]
    models = TableData(
        "models",
        ("model", "type", "license", "sha256", "card", "trained on", "fingerprint"),
        [
            (
                m.name,
                m.type,
                m.license or "",
                m.sha256 or "",
                m.card or "",
                "; ".join(
                    f"{source_text(t.source)} ({t.rows} rows, {t.sha256 or t.identity})"
                    for t in m.training_data
                ),
                m.fingerprint,
            )
            for m in report.models
        ],
    )
    datasets = TableData(
        "datasets",
        ("dataset", "kind", "n", "source", "derived from", "license", "sha256", "homepage / card",
         "fingerprint"),
        [
            (
                d.name,
                d.kind,
                str(d.n_examples),
                source_text(d.source, d.revision),
                d.derived_from or "",
                d.license or "",
                d.sha256 or "",
                " ".join(x for x in (d.homepage, d.card) if x),
                d.fingerprint,
            )
            for d in report.datasets
        ],
    )  # fmt: skip
    text += [f"Cite {d.name}: {d.citation}" for d in report.datasets if d.citation]
    return Section("How it was evaluated", text=text, tables=[models, datasets])


def source_text(source: dict | None, resolved: str | None = None) -> str:
    """Where a sourced set came from: its file, Hub dataset (at the ``resolved`` commit,
    else the declared revision), loader or callable; empty for a derived set.

    Example:
        >>> source_text({"type": "hub", "path": "stanfordnlp/sst2", "revision": "main"}, "8d51e7e")
        'hub: stanfordnlp/sst2 @ 8d51e7e'
    """
    if not source:
        return ""
    kind = source.get("type", "")
    where = source.get("path") or source.get("loader") or source.get("callable") or ""
    revision = resolved or source.get("revision")
    text = f"{kind}: {where}" if where else str(kind)
    return f"{text} @ {revision}" if revision else text


def compared_as(report: Report) -> str:
    """How the report's data checks normalised examples before comparing them."""
    precision = report.data_check_settings.get("precision", 6)  # reports before it: 6
    return f"numbers at {precision} decimals, text lowercased without punctuation"


def near_rule(report: Report) -> str:
    """When the report's contamination check counted text as a near duplicate."""
    near = report.data_check_settings.get("near_duplicates")
    if not near:
        return "near-duplicate text not looked for"
    return (
        f"near: text sharing at least {near['threshold']} of its {near['ngram']}-word "
        "n-grams with a training text (MinHash LSH)"
    )


def headline_by_contamination(report: Report) -> tuple[str, dict[tuple, Result]]:
    """The report's first metric and its results on all examples (group None) and on the
    clean and contaminated ones, by (model, dataset, group)."""
    headline = report.metrics[0]["name"] if report.metrics else "accuracy"
    values = {
        (r.model, r.dataset, r.group): r
        for r in report.results
        if r.metric == headline and r.slice in (None, TRAINING_DATA_SLICE)
    }
    return headline, values


def contamination_section(report: Report, model: str | None = None) -> Section | None:
    """Each model (or just ``model``) × dataset checked against the model's declared
    training data: the share found (with its interval), exact and near, and the headline
    metric on all examples next to the clean ones; None without declared training data."""
    checked = [c for c in report.contamination if model is None or c.model == model]
    if not checked:
        return None
    headline, values = headline_by_contamination(report)
    rows = []
    for c in checked:
        every = values.get((c.model, c.dataset, None))
        clean = values.get((c.model, c.dataset, "clean"))
        share = number(c.fraction)
        if c.ci_low is not None and c.ci_high is not None:
            share += f" ({number(c.ci_low)}, {number(c.ci_high)})"
        rows.append(
            (
                c.model,
                c.dataset,
                f"{c.count} of {c.n}",
                share,
                str(c.exact),
                str(c.near) if c.near_checked else "not checked",
                with_interval(every) if every is not None else "",
                with_interval(clean) if clean is not None else (
                    "same (nothing found)" if c.count == 0 else ""
                ),
                ", ".join(c.ids[:20]) + (" …" if len(c.ids) > 20 else ""),
            )
        )  # fmt: skip
    header = ("model", "dataset", "found", "share", "exact", "near", headline, f"clean {headline}",
              "first ids")  # fmt: skip
    text = [
        "Examples found in the model's declared training data: exact when their normalised "
        f"inputs are a training row's ({compared_as(report)}); {near_rule(report)}."
    ]
    return Section(
        "Contamination with training data",
        text=text,
        tables=[TableData("contamination", header, rows)],
    )


def verdict_section(comparison: Comparison, passed: bool | None, failures: list[str]) -> Section:
    """The verdict first: pass or fail, the silent regressions, then every flagged cell."""
    silent = comparison.silent_regressions
    regressions = comparison.regressions
    headline_dataset, headline_metric = comparison.headline
    text = []
    if passed is not None:
        text.append(f"Gate {'PASSED' if passed else 'FAILED'}: {len(failures)} failure(s).")
    text.append(
        f"{len(regressions)} regression(s), {len(silent)} of them silent (the headline "
        f"{headline_metric} on {headline_dataset} holds while they got worse)."
    )
    blind = len(comparison.underpowered)
    if blind:
        text.append(
            f"{blind} of {len(comparison.cells)} cells were underpowered: a regression smaller "
            "than their MDE (minimum detectable effect) could pass unseen."
        )
    text += [f"Failure: {f}" for f in failures]
    text += [f"Note: {n}" for n in comparison.notes]
    cells = sorted(comparison.cells, key=lambda c: (not c.silent, c.verdict != "regression"))
    return Section(
        f"Verdict: {comparison.candidate} against {comparison.baseline}",
        text=text,
        tables=[_cells(cells)],
    )


def _cells(cells: list[CellComparison]) -> TableData:
    body = []
    flagged = set()
    for index, cell in enumerate(cells):
        if cell.verdict == "regression":
            flagged.add(index)
        body.append(
            (
                cell.dataset,
                cell.slice or "",
                cell.group or "",
                cell.metric,
                str(cell.n),
                number(cell.baseline),
                number(cell.candidate),
                f"{number(cell.delta)} ({number(cell.ci_low)} – {number(cell.ci_high)})",
                number(cell.p_adjusted),
                number(cell.mde) + (f" (blind: n≈{cell.n_needed})" if cell.underpowered else ""),
                cell.verdict + (" (silent)" if cell.silent else ""),
            )
        )
    header = (
        "dataset",
        "column",
        "group",
        "metric",
        "n",
        "baseline",
        "candidate",
        "delta (interval)",
        "adj. p",
        "MDE",
        "verdict",
    )
    return TableData("every compared cell, regressions first", header, body, frozenset(flagged))


def churn_section(comparison: Comparison, sample: int = 20) -> Section:
    """Prediction churn per dataset and a sample of examples that regressed."""
    rows = [
        (
            c.dataset,
            c.slice or "",
            c.group or "",
            str(c.n),
            number(c.negative_flip_rate),
            number(c.positive_flip_rate),
            number(c.churn),
            ", ".join(c.regressed_ids[:sample]),
        )
        for c in comparison.churn
    ]
    header = (
        "dataset",
        "column",
        "group",
        "n",
        "negative flips",
        "positive flips",
        "churn",
        f"regressed examples (first {sample})",
    )
    return Section(
        "Churn", tables=[TableData("examples that changed their prediction", header, rows)]
    )
