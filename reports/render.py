"""Readable summaries of a report as rich tables (the CLI prints them)."""

from __future__ import annotations

from collections import defaultdict

from rich import box
from rich.console import Group
from rich.table import Table

from assay.metrics.robustness import ROBUSTNESS_MEASURES
from assay.reports.escaping import terminal
from assay.reports.numbers import number, percent
from assay.reports.schema import Report, Result
from assay.reports.sections import (
    compared_as,
    headline_by_contamination,
    near_rule,
    source_text,
)
from assay.reports.severity_ladders import severity_ladders
from assay.reports.tables import Stacked


def _count(value: float) -> str:
    """A count, or a median of counts (whole or a half), written exactly."""
    return f"{value:.0f}" if value.is_integer() else f"{value:.1f}"


def format_result(result: Result) -> str:
    """``0.848 (0.835–0.861)``, every number in full (the value alone when there is no
    interval); counts (queries) exactly: ``208 (208–209)``.

    Example:
        >>> format_result(Result(model="m", dataset="d", kind="adversarial",
        ...               metric="median_queries", value=208.5, n=9, ci_low=208, ci_high=209))
        '208.5 (208–209)'
    """
    measure = ROBUSTNESS_MEASURES.added(result.metric)
    counts = measure is not None and measure.counts
    if result.value is None or result.ci_low is None or result.ci_high is None:
        return _count(result.value) if counts and result.value is not None else number(result.value)
    if counts:
        return f"{_count(result.value)} ({_count(result.ci_low)}–{_count(result.ci_high)})"
    return f"{number(result.value)} ({number(result.ci_low)}–{number(result.ci_high)})"


def _interval_note(report: Report) -> str:
    spec = report.intervals
    if not spec or spec.get("method") == "none":
        return ""
    return (
        f"value ({percent(spec['level'])} interval: Wilson for proportions, "
        f"{spec['method']} bootstrap with B={spec['n_resamples']} otherwise)"
    )


def _is_summary(result: Result) -> bool:
    """Robustness measures and ood results go to the summary table."""
    return result.kind in ("ood", "robustness") or result.metric in ROBUSTNESS_MEASURES


def overall_table(report: Report, leave_out: set[str] | frozenset[str] = frozenset()) -> Table:
    """One row per model × dataset (but those ``leave_out`` names), one column per overall
    metric."""
    overall = [
        r
        for r in report.results
        if r.slice is None and not _is_summary(r) and r.dataset not in leave_out
    ]
    title = f"{report.suite.name} v{terminal(report.suite.version)} — overall"
    return _wide_table(title, overall, caption=_interval_note(report))


def summary_table(report: Report) -> Table | None:
    """Robustness and OOD results (paired drops, mCE, detection scores); None if none."""
    summaries = [
        r
        for r in report.results
        if r.slice is None
        and _is_summary(r)
        and not (r.kind == "adversarial" and r.metric in ATTACK_COLUMNS)  # the attack table's
    ]
    if not summaries:
        return None
    table = Table(
        title="robustness and out-of-distribution detection",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    for header in ("model", "dataset", "kind", "metric", "n", "value", "note"):
        table.add_column(
            header,
            justify="right" if header in ("n", "value") else "left",
            no_wrap=header != "note",
            overflow="fold",
        )
    for r in summaries:
        table.add_row(
            r.model, r.dataset, r.kind, r.metric, str(r.n), format_result(r), r.note or ""
        )
    return table


def _wide_table(title: str, results: list[Result], *, caption: str) -> Table:
    metrics = list(dict.fromkeys(r.metric for r in results))
    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        caption=caption,
        caption_justify="left",
    )
    for header in ("model", "dataset", "kind", "n", *metrics):
        table.add_column(
            header,
            justify="right" if header in (*metrics, "n") else "left",
            no_wrap=True,
            overflow="fold",
        )
    rows: dict[tuple[str, str], dict[str, Result]] = defaultdict(dict)
    for result in results:
        rows[(result.model, result.dataset)][result.metric] = result
    for (model, dataset), by_metric in rows.items():
        first = next(iter(by_metric.values()))
        cells = [format_result(by_metric[m]) if m in by_metric else "" for m in metrics]
        table.add_row(model, dataset, first.kind, str(first.n), *cells)
    return table


ATTACK_COLUMNS = (
    "accuracy",
    "attack_success_rate",
    "accuracy_drop",
    "median_perturbation",
    "median_queries",
    "max_queries_used",
)


def attack_description(report: Report, dataset: str) -> str:
    """What made an adversarial set: ``pgd(eps=2.0, steps=10) on mlp``, ``worst of a, b``,
    or ``precomputed`` for one read from a source."""
    record = next(d for d in report.datasets if d.name == dataset)
    if record.worst_of:
        return "worst of " + ", ".join(record.worst_of)
    transform = record.transform
    if not transform:
        return "precomputed" + (
            f", paired by id with {record.pairs_with}" if record.pairs_with else ""
        )
    params = ", ".join(f"{k}={v!r}" for k, v in sorted((transform.get("params") or {}).items()))
    surrogate = transform.get("surrogate")
    return f"{transform['name']}({params})" + (f" on {surrogate}" if surrogate else "")


def attack_table(report: Report) -> Table | None:
    """Every adversarial set side by side, one row per model and set: robust accuracy,
    success rate, paired drop, and what flipping an answer took (median perturbation,
    queries); the attack that made each set is written out beneath; None without
    adversarial sets."""
    names = [d.name for d in report.datasets if d.kind == "adversarial"]
    if not names:
        return None
    found: dict[tuple[str, str], dict[str, Result]] = defaultdict(dict)
    for r in report.results:
        if r.dataset in names and r.slice is None and r.metric in ATTACK_COLUMNS:
            found[(r.model, r.dataset)][r.metric] = r
    columns = [c for c in ATTACK_COLUMNS if any(c in row for row in found.values())]
    made = [n for n in names if any(d == n for _, d in found)]
    table = Table(
        title="attacks",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        caption="\n".join(f"{d}: {terminal(attack_description(report, d))}" for d in made),
        caption_justify="left",
    )
    for header in ("model", "dataset", *columns):
        table.add_column(
            header, justify="right" if header in columns else "left", no_wrap=True, overflow="fold"
        )
    for (model, dataset), row in found.items():
        cells = [format_result(row[c]) if c in row else "" for c in columns]
        table.add_row(model, dataset, *cells)
    return table


def severity_table(report: Report) -> Table | None:
    """Accuracy and ECE by severity for every family of shifted sets (level 0 is the clean
    set), one row per family, model and metric; None when no shift has levels."""
    ladders = severity_ladders(report)
    if not ladders:
        return None
    levels = sorted({severity for ladder in ladders for severity, _ in ladder.steps})
    table = Table(
        title="by severity (0 = the clean set)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    for header in ("family", "on", "model", "metric", *map(str, levels)):
        table.add_column(
            header, justify="left" if header.isalpha() else "right", no_wrap=True, overflow="fold"
        )
    for ladder in ladders:
        for row in ladder.rows(report):
            found = {severity: r for (severity, _), r in zip(ladder.steps, row.values, strict=True)}
            cells = [number(r.value) if (r := found.get(v)) is not None else "" for v in levels]
            table.add_row(terminal(ladder.family), ladder.parent, row.model, row.metric, *cells)
    return table


def grouped_table(report: Report) -> Table | None:
    """Slice and sensitive-group results, one row each; None when there are none."""
    grouped = [r for r in report.results if r.slice is not None]
    if not grouped:
        return None
    table = Table(title="by slice and sensitive group", title_justify="left", box=box.SIMPLE_HEAD)
    for header in ("model", "dataset", "column", "group", "metric", "n", "value"):
        table.add_column(
            header, justify="right" if header in ("n", "value") else "left", overflow="fold"
        )
    for r in grouped:
        table.add_row(
            r.model,
            r.dataset,
            terminal(r.slice or ""),
            terminal(r.group) if r.group is not None else "(all groups)",
            r.metric,
            str(r.n),
            format_result(r),
        )
    return table


def provenance_table(report: Report) -> Table:
    """Every sourced dataset and every model: where it came from, its sha256 where it is
    a file, and the license, homepage and card the suite declares; citations beneath."""
    table = Table(
        title="provenance", title_justify="left", box=box.SIMPLE_HEAD, caption_justify="left"
    )
    for header in ("name", "kind", "source", "sha256", "license", "homepage / card"):
        table.add_column(header, overflow="fold")
    citations = []
    for d in report.datasets:
        if d.source is None:
            continue  # a derived set: its parent's row says it
        link = " ".join(x for x in (d.homepage, d.card) if x)
        source = terminal(source_text(d.source, d.revision))
        table.add_row(d.name, d.kind, source, d.sha256 or "", d.license or "", terminal(link))
        if d.citation:
            citations.append(f"{d.name}: {terminal(d.citation)}")
    for m in report.models:
        table.add_row(m.name, "model", m.type, m.sha256 or "", m.license or "", m.card or "")
        for t in m.training_data:  # what it was trained on, beneath it
            source = terminal(source_text(t.source))
            table.add_row("", f"trained on ({t.rows} rows)", source, t.sha256 or "", "", "")
    if citations:
        table.caption = "\n".join(citations)
    return table


SHOWN_IDS = 5  # ids per finding in the terminal (the report keeps up to 100)


def leakage_table(report: Report) -> Table | None:
    """What the suite's leakage checks found, one row per dataset and check: how many of
    its examples, and the first ids; None when they found nothing.

    Example:
        >>> from assay.reports.schema import DataCheckRecord
        >>> found = DataCheckRecord(dataset="d", check="label_conflicts", count=2, n=10,
        ...                         ids=["a", "b"])
        >>> report = Report.model_construct(data_checks=[found])
        >>> [str(c.header) for c in leakage_table(report).columns][:3]
        ['dataset', 'check', 'examples']
    """
    if not report.data_checks:
        return None
    table = Table(
        title="leakage inside the suite",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        caption=f"examples compared by their normalised inputs ({compared_as(report)})",
        caption_justify="left",
    )
    for header in ("dataset", "check", "examples", "share", "with", "first ids"):
        right = header in ("examples", "share")
        table.add_column(header, justify="right" if right else "left", overflow="fold")
    for found in report.data_checks:
        table.add_row(
            found.dataset,
            found.check,
            f"{found.count} of {found.n}",
            number(found.count / found.n) if found.n else "",
            found.other or "",
            _first_ids(found.ids, found.count),
        )
    return table


def _first_ids(ids: list[str], count: int) -> str:
    """The first :data:`SHOWN_IDS` ids of a finding and how many more it holds."""
    more = count - min(count, SHOWN_IDS)
    return ", ".join(terminal(i) for i in ids[:SHOWN_IDS]) + (f" and {more} more" if more else "")


def contamination_table(report: Report) -> Table | str | None:
    """Each model × dataset whose examples its declared training data holds: how many,
    their share with its interval, and the headline metric on all examples next to the
    clean ones; one line when nothing was found; None without declared training data.

    Example:
        >>> from assay.reports.schema import ContaminationRecord
        >>> found = ContaminationRecord(model="m", dataset="d", n=10, exact=0, near=0,
        ...                             count=0, fraction=0.0)
        >>> contamination_table(Report.model_construct(contamination=[found],
        ...                                            data_check_settings={}, results=[]))
        "contamination: no example of the 1 set found in the models' declared training data"
    """
    if not report.contamination:
        return None
    found = [c for c in report.contamination if c.count]
    if not found:
        sets = len({c.dataset for c in report.contamination})
        return (
            f"contamination: no example of the {sets} set{'s' if sets != 1 else ''} found in "
            "the models' declared training data"
        )
    headline, values = headline_by_contamination(report)
    table = Table(
        title="contamination with declared training data",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        caption=f"exact: same normalised inputs ({compared_as(report)}); {near_rule(report)}",
        caption_justify="left",
    )
    headers = ("model", "dataset", "examples", "share", "exact", "near", headline, "clean")
    for header in (*headers, "first ids"):
        right = header not in ("model", "dataset", "first ids")
        table.add_column(header, justify="right" if right else "left", overflow="fold")
    for c in found:
        share = number(c.fraction)
        if c.ci_low is not None and c.ci_high is not None:
            share += f" ({number(c.ci_low)}–{number(c.ci_high)})"
        every = values.get((c.model, c.dataset, None))
        clean = values.get((c.model, c.dataset, "clean"))
        table.add_row(
            c.model,
            c.dataset,
            f"{c.count} of {c.n}",
            share,
            str(c.exact),
            str(c.near) if c.near_checked else "",
            format_result(every) if every is not None else "",
            format_result(clean) if clean is not None else "",
            _first_ids(c.ids, c.count),
        )
    return table


def report_summary(report: Report, *, grouped: bool = True) -> Group:
    """Header lines and tables for ``assay show`` (``grouped=False``: overall table only)."""
    inferred = sum(not c.cached for c in report.cells)
    header = (
        f"run {report.run_id[:8]} · {report.created_at} · seed {report.seed} · "
        f"{len(report.cells)} cells ({inferred} inferred, {len(report.cells) - inferred} cached)"
    )
    # after a run, the sets of a ladder of levels are its table's rows, not the overall table's
    ladders = [] if grouped else [x for x in severity_ladders(report) if len(x.datasets) > 1]
    laddered = {name for ladder in ladders for name in ladder.datasets}
    parts: list = [header, Stacked(overall_table(report, leave_out=laddered), keys=4)]
    summary = summary_table(report)
    by_group = grouped_table(report)
    by_severity = severity_table(report)
    if by_severity is not None:
        parts.append(Stacked(by_severity, keys=4))
    attacks = attack_table(report)
    if attacks is not None:
        parts.append(Stacked(attacks, keys=2))
    leakage = leakage_table(report)
    if leakage is not None:
        parts.append(Stacked(leakage, keys=2, wrap=("first ids",)))
    contaminated = contamination_table(report)
    if isinstance(contaminated, Table):
        parts.append(Stacked(contaminated, keys=2, wrap=("first ids",)))
    elif contaminated is not None:
        parts.append(contaminated)
    if grouped:
        parts.append(Stacked(provenance_table(report), keys=2))
        if summary is not None:
            parts.append(Stacked(summary, keys=4, wrap=("note",)))
        if by_group is not None:
            parts.append(Stacked(by_group, keys=5))
    elif summary is not None or by_group is not None or laddered:
        hidden = (summary.row_count if summary else 0) + (by_group.row_count if by_group else 0)
        hidden += len({(r.model, r.dataset) for r in report.results if r.dataset in laddered})
        parts.append(
            f"{hidden} more rows (every metric by severity, robustness, ood, slices, groups): "
            "see `assay show`"
        )
    return Group(*parts)
