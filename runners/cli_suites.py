"""Commands that run or check a suite: ``run``, ``demo``, ``validate``, ``schema``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from assay.demo import DEMO_SUITES
from assay.runners.cli_output import (
    AddressOption,
    CacheOption,
    ExecutorOption,
    NoCacheOption,
    StoreOption,
    err,
    exit_codes,
    keep_out_of_git,
    out,
    quiet_libraries,
)

if TYPE_CHECKING:
    from assay.runners.api import RunResult


def run(
    suite: Annotated[Path, typer.Argument(help="suite YAML file")],
    store: StoreOption = None,
    cache_dir: CacheOption = None,
    no_cache: NoCacheOption = False,
    shard_size: Annotated[int | None, typer.Option(min=1, help="rows per cell")] = None,
    executor: ExecutorOption = None,
    address: AddressOption = None,
) -> None:
    """Run a suite and write a versioned report into the store."""
    with exit_codes():
        _run_and_store(suite, store, cache_dir, no_cache, shard_size, executor, address)


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
    executor: str | None = None,
    address: str | None = None,
) -> RunResult:
    """Run a suite with a progress display, store its report, print the summary."""
    from assay.runners.api import run, suite_path
    from assay.runners.console_progress import ConsoleObserver
    from assay.suites.loading import load_suite

    chosen_store, cache = prepare_run(store, cache_dir, no_cache)
    loaded = load_suite(suite_path(suite))  # a broken suite fails before any progress display
    with ConsoleObserver(err) as observer:
        result = run(
            loaded,
            store=chosen_store,
            cache_dir=cache,
            shard_size=shard_size,
            observer=observer,
            executor=executor,
            address=address,
        )
    print_run(result)
    return result


def prepare_run(
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


def print_run(result: RunResult) -> None:
    from assay.reports.render import report_summary

    cells = len(result.report.cells)
    if result.inferred_cells == 0:
        out.print(f"no inference: all {cells} cells came from the prediction cache")
    else:
        out.print(f"inference ran for {result.inferred_cells} of {cells} cells")
    out.print(report_summary(result.report, grouped=False))
    out.print(f"report: {result.folder}")


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


def schema() -> None:
    """Print the suite JSON Schema."""
    from assay.suites.schema import Suite

    sys.stdout.write(json.dumps(Suite.model_json_schema(by_alias=True), indent=2) + "\n")
