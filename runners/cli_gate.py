"""The ``gate`` command: run, compare with a baseline, judge, write CI outputs."""

from __future__ import annotations

import os
import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated

import typer

from assay.atomic import write_text_atomically
from assay.reports.escaping import terminal
from assay.runners.cli_output import (
    AddressOption,
    CacheOption,
    ExecutorOption,
    NoCacheOption,
    StoreOption,
    err,
    exit_codes,
    out,
    prepare_output,
)
from assay.runners.cli_suites import prepare_run, print_run


def gate(
    suite: Annotated[Path, typer.Argument(help="suite YAML file, or demo:NAME")],
    baseline: Annotated[str, typer.Option(help="baseline report: folder, run id or 'latest'")],
    store: StoreOption = None,
    cache_dir: CacheOption = None,
    no_cache: NoCacheOption = False,
    junit: Annotated[Path | None, typer.Option(help="write JUnit XML here")] = None,
    markdown: Annotated[Path | None, typer.Option(help="write a Markdown summary here")] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="write the comparison")] = None,
    html: Annotated[Path | None, typer.Option(help="write the verdict as an HTML page")] = None,
    executor: ExecutorOption = None,
    address: AddressOption = None,
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

        outputs = (
            ("--junit", junit),
            ("--markdown", markdown),
            ("--json", json_path),
            ("--html", html),
        )
        for option, path in outputs:
            prepare_output(option, path, folder=option == "--json")
        chosen_store, cache = prepare_run(store, cache_dir, no_cache)
        started = time.perf_counter()
        timestamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        loaded = load_suite(suite_path(suite))
        baseline_folder = ReportStore(chosen_store).resolve(baseline)  # before any progress
        with ConsoleObserver(err) as observer:
            result = run_gate(
                loaded,
                str(baseline_folder),
                store=chosen_store,
                cache_dir=cache,
                observer=observer,
                executor=executor,
                address=address,
            )
        print_run(result.run)
        outcome = result.outcome
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
            write_comparison(outcome.comparison, json_path, gate=asdict(result.verdict))
        if html:
            from assay.reports.publish import comparison_html

            page = comparison_html(
                outcome.comparison, passed=outcome.passed, failures=outcome.failures
            )
            write_text_atomically(html, page)
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
