"""The ``assay`` command line: run, validate, schema, show, demo.

Exit codes: 0 ok, 2 usage or input error (one line, no traceback), 3 runtime failure.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from assay.runners.api import RunResult

from assay._version import __version__
from assay.atomic import write_text_atomically
from assay.demo import DEMO_SUITES, demo_help
from assay.errors import UserError
from assay.reports.escaping import terminal
from assay.reports.tables import Stacked
from assay.runners.cli_output import (
    err,
    exit_codes,
    keep_out_of_git,
    out,
    prepare_output,
    quiet_libraries,
)

app = typer.Typer(
    name="assay",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts hold literal brackets: [default: ...]
    help="Evaluate classifiers before they ship: suites in, versioned reports out.",
)
StoreOption = Annotated[
    Path | None,
    typer.Option("--store", help="report store folder [default: $ASSAY_STORE or .assay/reports]"),
]
CacheOption = Annotated[
    Path | None,
    typer.Option("--cache-dir", help="prediction cache [default: $ASSAY_CACHE or .assay/cache]"),
]
NoCacheOption = Annotated[bool, typer.Option("--no-cache", help="ignore and skip the cache")]


def _version(value: bool) -> None:
    if value:
        out.print(f"assay {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="show the version")
    ] = False,
) -> None:
    """Evaluate classifiers before they ship."""


@app.command()
def run(
    suite: Annotated[Path, typer.Argument(help="suite YAML file")],
    store: StoreOption = None,
    cache_dir: CacheOption = None,
    no_cache: NoCacheOption = False,
    shard_size: Annotated[int | None, typer.Option(min=1, help="rows per cell")] = None,
) -> None:
    """Run a suite and write a versioned report into the store."""
    with exit_codes():
        _run_and_store(suite, store, cache_dir, no_cache, shard_size)


@app.command(
    help="Run a demo suite shipped with assay (offline).\n\n" + demo_help().replace("\n", "\n\n")
)
def demo(
    name: Annotated[str, typer.Argument(help="one of: " + ", ".join(DEMO_SUITES))] = "digits",
    store: StoreOption = None,
    cache_dir: CacheOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    with exit_codes():
        from assay.demo import demo_suite_path

        path = demo_suite_path(name)
        out.print(f"demo suite: {path}")
        _run_and_store(path, store, cache_dir, no_cache, None)


def _run_and_store(
    suite: Path,
    store: Path | None,
    cache_dir: Path | None,
    no_cache: bool,
    shard_size: int | None,
) -> RunResult:
    """Run a suite with a progress display, store its report, print the summary."""
    from assay.runners.api import run, suite_path
    from assay.runners.console_progress import ConsoleObserver
    from assay.suites.loading import load_suite

    chosen_store, cache = _prepare_run(store, cache_dir, no_cache)
    loaded = load_suite(suite_path(suite))  # a broken suite fails before any progress display
    with ConsoleObserver(err) as observer:
        result = run(
            loaded, store=chosen_store, cache_dir=cache, shard_size=shard_size, observer=observer
        )
    _print_run(result)
    return result


def _prepare_run(
    store: Path | None, cache_dir: Path | None, no_cache: bool
) -> tuple[Path, Path | None]:
    """Quiet libraries; the store and cache folders (keeping the default .assay/ out of git)."""
    from assay.reports.store import default_store
    from assay.runners.api import default_cache

    quiet_libraries()
    chosen_store = store or default_store()
    cache = None if no_cache else (cache_dir or default_cache())
    if any(path is not None and path.parts[:1] == (".assay",) for path in (chosen_store, cache)):
        keep_out_of_git(Path(".assay"))
    return chosen_store, cache


def _print_run(result: RunResult) -> None:
    from assay.reports.render import report_summary

    cells = len(result.report.cells)
    if result.inferred_cells == 0:
        out.print(f"no inference: all {cells} cells came from the prediction cache")
    else:
        out.print(f"inference ran for {result.inferred_cells} of {cells} cells")
    out.print(report_summary(result.report, grouped=False))
    out.print(f"report: {result.folder}")


@app.command()
def gate(
    suite: Annotated[Path, typer.Argument(help="suite YAML file, or demo:NAME")],
    baseline: Annotated[str, typer.Option(help="baseline report: folder, run id or 'latest'")],
    store: StoreOption = None,
    cache_dir: CacheOption = None,
    no_cache: NoCacheOption = False,
    junit: Annotated[Path | None, typer.Option(help="write JUnit XML here")] = None,
    markdown: Annotated[Path | None, typer.Option(help="write a Markdown summary here")] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="write the comparison")] = None,
) -> None:
    """Run a suite, compare with a baseline report, and exit 1 on a regression.

    Exit codes: 0 pass, 1 regression, 2 usage or input error, 3 runtime failure.
    """
    with exit_codes():
        from assay.reports import gate_outputs
        from assay.reports.comparison_output import comparison_tables, write_comparison
        from assay.reports.store import ReportStore
        from assay.runners.api import gate as run_gate
        from assay.runners.api import suite_path
        from assay.runners.console_progress import ConsoleObserver
        from assay.suites.loading import load_suite

        for option, path in (("--junit", junit), ("--markdown", markdown), ("--json", json_path)):
            prepare_output(option, path, folder=option == "--json")
        chosen_store, cache = _prepare_run(store, cache_dir, no_cache)
        started = time.perf_counter()
        timestamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        loaded = load_suite(suite_path(suite))
        baseline_folder = ReportStore(chosen_store).resolve(baseline)  # before any progress
        with ConsoleObserver(err) as observer:
            result = run_gate(
                loaded, str(baseline_folder), store=chosen_store, cache_dir=cache, observer=observer
            )
        _print_run(result.run)
        outcome, verdict_file = result.outcome, result.verdict_file
        assert verdict_file is not None
        out.print(comparison_tables(outcome.comparison))
        summary = gate_outputs.markdown(outcome)
        if junit:
            seconds = time.perf_counter() - started
            write_text_atomically(
                junit, gate_outputs.junit_xml(outcome, seconds=seconds, timestamp=timestamp)
            )
        if markdown:
            write_text_atomically(markdown, summary)
        if json_path:
            write_comparison(
                outcome.comparison, json_path, gate=json.loads(verdict_file.read_text())
            )
        gate_outputs.append_step_summary(summary)
        if os.environ.get("GITHUB_ACTIONS") == "true":
            for line in gate_outputs.github_annotations(outcome):
                out.print(line, soft_wrap=True)
        verdict = "PASSED" if outcome.passed else f"FAILED ({len(outcome.failures)} failures)"
        out.print(f"gate {verdict} against {result.baseline_folder.name}")
        for failure in outcome.failures:
            out.print(f"  {terminal(failure)}", soft_wrap=True)
        if not outcome.passed:
            raise typer.Exit(1)


@app.command()
def validate(
    suite: Annotated[Path, typer.Argument(help="suite YAML file")],
    data: Annotated[
        bool, typer.Option(help="also load the datasets and models and probe each model")
    ] = True,
) -> None:
    """Check a suite: its schema and references, then (unless --no-data) load every
    dataset and model and run each model on a few rows of each dataset, so that `validate`
    refuses whatever `run` would."""
    with exit_codes():
        from assay.runners.api import suite_path
        from assay.runners.run import PROBE_ROWS, SuiteRun
        from assay.suites.loading import load_suite

        quiet_libraries()
        loaded = load_suite(suite_path(suite))
        if data:
            probe = SuiteRun(loaded, cache=None)
            probe.probe()
            sizes = ", ".join(f"{n} ({d.n_examples})" for n, d in probe.datasets.items())
            out.print(f"datasets: {sizes}")
            out.print(f"models: {', '.join(probe.models)} (each probed on {PROBE_ROWS} rows)")
        out.print(
            f"ok: {suite} ({len(loaded.suite.models)} models, "
            f"{len(loaded.suite.datasets)} datasets)"
        )


@app.command()
def schema() -> None:
    """Print the suite JSON Schema."""
    from assay.suites.schema import Suite

    sys.stdout.write(json.dumps(Suite.model_json_schema(by_alias=True), indent=2) + "\n")


@app.command()
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
) -> None:
    """Compare two reports example by example and flag (silent) regressions; with more
    than two, show their overall results side by side."""
    with exit_codes():
        from assay.reports.comparison import ComparePolicy
        from assay.reports.comparison_output import comparison_tables, write_comparison
        from assay.reports.store import default_store
        from assay.runners.api import compare as compare_stored
        from assay.runners.api import load_report

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


@app.command()
def tag(
    report: Annotated[str, typer.Argument(help="report folder, run id, tag or 'latest'")],
    name: Annotated[str, typer.Argument(help="the tag, e.g. baseline")],
    store: StoreOption = None,
) -> None:
    """Point a tag (e.g. baseline) at a report; use the tag wherever a report is named."""
    with exit_codes():
        from assay.reports.store import ReportStore, default_store, tag_report

        folder = tag_report(ReportStore(store or default_store()), report, name)
        out.print(f"{name} → {folder.name}")


@app.command()
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


@app.command()
def metrics() -> None:
    """List the registered metrics with their direction and range."""
    from rich import box
    from rich.table import Table

    from assay.metrics.registry import METRICS

    table = Table(box=box.SIMPLE_HEAD)
    headers = (
        "name",
        "better",
        "range",
        "input",
        "output",
        "gate tolerance",
        "aliases",
        "description",
    )
    for header in headers:
        table.add_column(header)
    for name, info in METRICS.items():
        low, high = info.value_range
        output = "per group" if info.per_group else "per class" if info.per_class else "scalar"
        if info.needs_groups and not info.per_group:
            output = "gap over groups" if "difference" in name else "over groups"
        table.add_row(
            name,
            "higher" if info.higher_is_better else "lower",
            f"[{low:g}, {high:g}]",
            info.input,
            output,
            f"{info.tolerance:.0%} relative"
            if info.tolerance_is_relative
            else f"{info.tolerance:g}",
            ", ".join(info.aliases),
            info.description,
        )
    out.print(Stacked(table, keys=1, wrap=("description", "aliases")))


@app.command()
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


def main() -> None:
    """Console-script entry point."""
    try:
        # without standalone mode click returns a command's exit code instead of exiting
        code = app(standalone_mode=False)
    except typer.Exit as stop:
        sys.exit(stop.exit_code)
    except typer.Abort:
        sys.exit(130)
    except UserError as error:  # pragma: no cover - commands convert these already
        err.print(f"error: {error}")
        sys.exit(2)
    except Exception as error:
        # click's usage errors (typer may vendor click, so match by behaviour, not class)
        if hasattr(error, "show") and hasattr(error, "exit_code"):
            error.show()
            sys.exit(2)
        raise
    sys.exit(code if isinstance(code, int) else 0)
