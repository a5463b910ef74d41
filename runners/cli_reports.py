"""Commands over stored reports: ``compare``, ``tag``, ``history``, ``show``, and
``metrics`` (the registry)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from assay.errors import UserError
from assay.reports.escaping import terminal
from assay.reports.numbers import number, percent
from assay.reports.tables import Stacked
from assay.runners.cli_output import StoreOption, exit_codes, out, prepare_output


def compare(
    reports: Annotated[
        list[str],
        typer.Argument(
            help="baseline then candidate (folder, run id, tag or 'latest'); "
            "three or more: a trend table"
        ),
    ],
    store: StoreOption = None,
    baseline_model: Annotated[str | None, typer.Option(help="model in the baseline report")] = None,
    candidate_model: Annotated[
        str | None, typer.Option(help="model in the candidate report")
    ] = None,
    alpha: Annotated[float, typer.Option(min=0.0, max=1.0)] = 0.05,
    correction: Annotated[str, typer.Option(help="holm (family-wise) or bh (FDR)")] = "holm",
    tolerance: Annotated[
        float | None,
        typer.Option(help="absolute tolerance for every metric [default: each metric's own]"),
    ] = None,
    output: Annotated[
        Path | None, typer.Option(help="write comparison.json and regressed ids")
    ] = None,
    unpaired: Annotated[
        bool, typer.Option(help="compare datasets that differ with unpaired intervals")
    ] = False,
    html: Annotated[Path | None, typer.Option(help="write the comparison as an HTML page")] = None,
) -> None:
    """Compare two reports example by example and flag (silent) regressions; with more
    than two, show their overall results side by side."""
    with exit_codes():
        from assay.reports.comparison import ComparePolicy
        from assay.reports.comparison_output import comparison_tables, write_comparison
        from assay.reports.store import default_store
        from assay.runners.api import compare as compare_stored
        from assay.runners.api import load_report

        prepare_output("--html", html, folder=False)
        if correction not in ("holm", "bh"):
            raise UserError(f"--correction must be holm or bh, not {correction!r}")
        if len(reports) < 2:
            raise UserError("compare needs a baseline and a candidate report")
        chosen_store = store or default_store()
        if len(reports) > 2:
            from assay.reports.trend import trend_table

            chosen = candidate_model or baseline_model
            loaded = [load_report(r, store=chosen_store) for r in reports]
            out.print(Stacked(trend_table(loaded, chosen), keys=2))
            return
        policy = ComparePolicy(
            alpha=alpha,
            correction=correction,  # type: ignore[arg-type]
            default_tolerance=tolerance if tolerance is not None else 0.01,
            registry_defaults=tolerance is None,
        )
        result = compare_stored(
            reports[0],
            reports[1],
            store=chosen_store,
            policy=policy,
            baseline_model=baseline_model,
            candidate_model=candidate_model,
            unpaired=unpaired,
        )
        out.print(comparison_tables(result))
        if output is not None:
            write_comparison(result, output)
            out.print(f"comparison: {output}")
        if html is not None:
            from assay.atomic import write_text_atomically
            from assay.reports.publish import comparison_html

            write_text_atomically(html, comparison_html(result))
            out.print(f"html: {html}")


def tag(
    report: Annotated[str, typer.Argument(help="report folder, run id, tag or 'latest'")],
    name: Annotated[str, typer.Argument(help="the tag, e.g. baseline")],
    store: StoreOption = None,
) -> None:
    """Point a tag, such as baseline, at a report; use it wherever a report is named."""
    with exit_codes():
        from assay.reports.store import ReportStore, default_store, tag_report

        folder = tag_report(ReportStore(store or default_store()), report, name)
        out.print(f"{name} → {folder.name}")


def history(
    suite: Annotated[str, typer.Argument(help="suite name (as in its YAML)")],
    store: StoreOption = None,
) -> None:
    """List the stored runs of a suite with their headline numbers, gate verdicts and tags."""
    with exit_codes():
        from assay.errors import UnknownNameError
        from assay.reports.history import history_table, readable_reports
        from assay.reports.store import ReportStore, default_store

        reports = ReportStore(store or default_store())
        readable, unreadable = readable_reports(reports)
        known = sorted({report.suite.name for _, report in readable})
        if suite not in known:
            raise UnknownNameError(f"suite (stored in {reports.root})", suite, known)
        out.print(Stacked(history_table(reports, suite, readable), keys=2, wrap=("gate", "tags")))
        if unreadable:
            names = ", ".join(terminal(p.name) for p in unreadable)
            out.print(
                f"skipped {len(unreadable)} unreadable report folder(s): {names}", soft_wrap=True
            )


def metrics() -> None:
    """List the registered metrics with their direction, range, options and source."""
    from rich import box
    from rich.table import Table

    from assay.metrics.registry import METRICS

    table = Table(box=box.SIMPLE_HEAD)
    headers = ("name", "better", "range", "input", "output", "gate tolerance", "params")
    for header in (*headers, "aliases", "description"):
        table.add_column(header)
    for name, info in METRICS.items():
        low, high = info.value_range
        output = "per group" if info.per_group else "per class" if info.per_class else "scalar"
        if info.needs_groups and not info.per_group:
            output = "over groups"
        cited = f" ({info.citation})" if info.citation else ""
        table.add_row(
            terminal(name),
            "higher" if info.higher_is_better else "lower",
            f"[{number(low)}, {number(high)}]",
            info.input,
            output,
            f"{percent(info.tolerance)} relative"
            if info.tolerance_is_relative
            else number(info.tolerance),
            ", ".join(f"{key}={param.default!r}" for key, param in info.params.items()),
            terminal(", ".join(info.aliases)),
            terminal(info.description + cited),
        )
    out.print(Stacked(table, keys=1, wrap=("description", "aliases", "params")))


def show(
    report: Annotated[str, typer.Argument(help="report folder, report.json, run id or 'latest'")],
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report JSON")] = False,
) -> None:
    """Print a readable summary of a stored report."""
    with exit_codes():
        from assay.reports.render import report_summary
        from assay.reports.store import ReportStore, default_store, load_report

        folder = ReportStore(store or default_store()).resolve(report)
        loaded = load_report(folder)
        if as_json:
            sys.stdout.write(loaded.model_dump_json(indent=2) + "\n")
            return
        out.print(report_summary(loaded))
        out.print(f"report: {folder}")


def plugins() -> None:
    """List the metrics, shifts, attacks and model types that installed plugins add (entry
    points in the groups assay.metrics, assay.shifts, assay.attacks and assay.models)."""
    with exit_codes():
        from rich import box
        from rich.table import Table

        from assay.metrics.registry import METRICS
        from assay.suites.attacks import ATTACKS
        from assay.suites.model_types import MODEL_TYPES
        from assay.suites.shifts import SHIFTS

        table = Table(box=box.SIMPLE_HEAD)
        for header in ("kind", "name", "from"):
            table.add_column(header)
        for registry in (METRICS, SHIFTS, ATTACKS, MODEL_TYPES):
            registry.load_plugins()
            for name, source in sorted(registry.plugins.items()):
                table.add_row(registry.kind, name, source)
        if not table.row_count:
            out.print(
                "no plugins installed (entry-point groups: assay.metrics, assay.shifts, "
                "assay.attacks)"
            )
            return
        out.print(Stacked(table, keys=2))


def power(
    suite: Annotated[Path, typer.Argument(help="suite YAML file, or demo:NAME")],
    baseline: Annotated[str, typer.Option(help="baseline report: folder, run id, tag, 'latest'")],
    store: StoreOption = None,
    model: Annotated[
        str | None, typer.Option(help="model in the baseline [default: the gate's]")
    ] = None,
    correlation: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=0.99,
            help="assumed correlation of the candidate's per-example statistics with the "
            "baseline's (0: independent errors, the conservative plan)",
        ),
    ] = 0.0,
    target: Annotated[
        float | None, typer.Option(help="an MDE to plan for: the examples each cell needs")
    ] = None,
) -> None:
    """Plan before gating: per dataset, slice and group, the regression the suite's gate
    could catch (MDE, at its alpha, power and tolerances) at the baseline's size, and the
    examples that would resolve the tolerance (or --target)."""
    with exit_codes():
        from rich import box
        from rich.table import Table

        from assay.reports.comparison_output import where
        from assay.reports.power import planned_power
        from assay.reports.store import default_store
        from assay.runners.api import load_report, suite_path
        from assay.runners.gate_policy import policy_from
        from assay.suites.loading import load_suite

        loaded = load_suite(suite_path(suite)).suite
        report = load_report(baseline, store=store or default_store())
        spec = loaded.gate
        chosen = model or spec.baseline_model or spec.model or loaded.models[0].name
        results = [r for r in report.results if r.model == chosen]
        policy = policy_from(spec, loaded)
        planned = planned_power(
            results,
            [policy.tolerance_for(r.metric, r.value or 0.0) for r in results],
            alpha=policy.alpha,
            power=policy.power,
            blind_factor=policy.blind_factor,
            correlation=correlation,
            target=target,
        )
        if not planned:
            names = sorted({r.model for r in report.results})
            raise UserError(
                f"the baseline holds no result with an interval for model {chosen!r} "
                f"(its models: {names})"
            )
        table = Table(
            title=f"what a gate against model {terminal(chosen)} could catch",
            title_justify="left",
            box=box.SIMPLE_HEAD,
            caption=NO_SIZE,
            caption_justify="left",
        )
        headers = ["cell", "metric", "n", "value", "tolerance", "MDE", "n for tolerance"]
        for header in headers + ([f"n for MDE {target!r}"] if target is not None else []):
            table.add_column(header)
        for cell in planned:
            row = [
                terminal(where(cell.dataset, cell.slice, cell.group)),
                terminal(cell.metric),
                str(cell.n),
                repr(cell.value),
                repr(cell.tolerance),
                repr(cell.mde) + (" (blind)" if cell.underpowered else ""),
                _size(cell.n_for_tolerance),
            ]
            table.add_row(*row, *([_size(cell.n_for_target)] if target is not None else []))
        out.print(Stacked(table, keys=2))
        blind = sum(c.underpowered for c in planned)
        out.print(
            f"{blind} of {len(planned)} cells blind (MDE over {policy.blind_factor!r} tolerances) "
            f"at power {policy.power!r}, alpha {policy.alpha!r} over {len(planned)} cells, "
            f"correlation {correlation!r}"
        )


NO_SIZE = (
    "—: no size to name (no tolerance, an interval of zero width, or a target at or under "
    "the tolerance)"
)


def _size(examples: int | None) -> str:
    """A needed size, or — where there is none to name (:data:`NO_SIZE` says why)."""
    return "—" if examples is None else str(examples)
