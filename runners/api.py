"""The Python API, for notebooks and scripts; the command line is a thin layer over it.

Example:
    >>> import assay
    >>> result = assay.run("demo:adult", store=None, cache_dir=None)  # doctest: +SKIP
    >>> result.to_pandas().query("metric == 'accuracy' and slice.isna()")  # doctest: +SKIP
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow.parquet as pq

from assay.reports.frames import frame_html
from assay.reports.schema import Report
from assay.reports.store import ReportStore, default_store
from assay.reports.store import load_report as load_stored_report
from assay.runners.progress import RunObserver

if TYPE_CHECKING:  # each path imports only what it uses: run() the data layer, compare()
    # and gate() the comparison machinery
    from assay.reports.comparison import ComparePolicy, Comparison
    from assay.reports.gate_rules import GateOutcome
    from assay.reports.verdicts import GateVerdict
    from assay.runners.run import RunOutput
    from assay.suites.loading import LoadedSuite

DEFAULT_CACHE = Path(".assay/cache")
PathLike = str | Path


@dataclass(frozen=True)
class RunResult:
    """A finished run: its report, its predictions, and where the report was stored."""

    output: RunOutput
    folder: Path | None
    suite: LoadedSuite

    @property
    def report(self) -> Report:
        return self.output.report

    @property
    def inferred_cells(self) -> int:
        return self.output.inferred_cells

    def to_pandas(self) -> pd.DataFrame:
        """One row per result (see :meth:`Report.to_pandas`)."""
        return self.report.to_pandas()

    def predictions(self) -> pd.DataFrame:
        """One row per model × example: ids, label, probabilities, group columns."""
        return self.output.predictions.to_pandas()

    def _repr_html_(self) -> str:
        return self.report._repr_html_()


@dataclass(frozen=True)
class GateResult:
    """A gate run: the run it made, the comparison, and the verdict."""

    run: RunResult
    outcome: GateOutcome
    baseline_folder: Path
    verdict: GateVerdict
    verdict_file: Path | None  # where the verdict was recorded (None: not recorded)

    @property
    def passed(self) -> bool:
        return self.outcome.passed

    @property
    def failures(self) -> list[str]:
        return self.outcome.failures

    @property
    def comparison(self) -> Comparison:
        return self.outcome.comparison

    def to_pandas(self) -> pd.DataFrame:
        """The comparison's cells, with whether each is gated and whether it fails."""
        frame = self.comparison.to_pandas()
        gated, failing = {id(c) for c in self.outcome.gated}, {id(c) for c in self.outcome.failing}
        frame["gated"] = [id(c) in gated for c in self.comparison.cells]
        frame["fails_gate"] = [id(c) in failing for c in self.comparison.cells]
        return frame

    def _repr_html_(self) -> str:
        status = "passed" if self.passed else f"failed ({len(self.failures)} failures)"
        return frame_html(self.to_pandas(), f"assay gate {status}")


def run(
    suite: PathLike | LoadedSuite,
    *,
    store: PathLike | None = "default",
    cache_dir: PathLike | None = "default",
    shard_size: int | None = None,
    observer: RunObserver | None = None,
    executor: str | None = None,
    address: str | None = None,
) -> RunResult:
    """Run a suite (a file, ``demo:NAME`` or a loaded suite) and store its report.

    ``store``/``cache_dir``: a folder, ``"default"`` (``$ASSAY_STORE``/``$ASSAY_CACHE`` or
    ``.assay/...``), or None (report not stored; no cache).
    """
    from assay.runners.run import run_suite
    from assay.suites.loading import LoadedSuite, load_suite

    loaded = suite if isinstance(suite, LoadedSuite) else load_suite(suite_path(suite))
    output = run_suite(
        loaded,
        cache_dir=_cache_root(cache_dir),
        observer=observer,
        shard_size=shard_size,
        executor=executor,
        address=address,
    )
    store_root = _store_root(store)
    folder = None
    if store_root is not None:
        folder = ReportStore(store_root).write(output.report, output.to_store)
    return RunResult(output, folder, loaded)


def load_report(reference: str, *, store: PathLike = "default") -> Report:
    """A stored report: a folder, ``report.json``, run id prefix, tag, ``latest`` or
    ``latest:SUITE``; its seal is checked."""
    reports = ReportStore(_store_root(store) or default_store())
    return load_stored_report(reports.resolve(reference))


def compare(
    baseline: str,
    candidate: str,
    *,
    store: PathLike = "default",
    baseline_model: str | None = None,
    candidate_model: str | None = None,
    policy: ComparePolicy | None = None,
    unpaired: bool = False,
) -> Comparison:
    """Compare two stored reports example by example (see ``assay compare``)."""
    from assay.reports.comparison import compare_reports

    reports = ReportStore(_store_root(store) or default_store())
    sides = []
    for reference in (baseline, candidate):
        folder = reports.resolve(reference)
        report = load_stored_report(folder, verify_predictions=True)
        sides.append((report, pq.read_table(folder / report.predictions.file)))
    return compare_reports(
        sides[0][0],
        sides[0][1],
        sides[1][0],
        sides[1][1],
        policy=policy,
        baseline_model=baseline_model,
        candidate_model=candidate_model,
        allow_unpaired=unpaired,
    )


def gate(
    suite: PathLike | LoadedSuite,
    baseline: str,
    *,
    store: PathLike = "default",
    cache_dir: PathLike | None = "default",
    observer: RunObserver | None = None,
    record: bool = True,
    executor: str | None = None,
    address: str | None = None,
) -> GateResult:
    """Run a suite, compare it with ``baseline`` by the suite's ``gate:`` section, and
    (with ``record``) store the verdict beside the report for ``assay history``."""
    from assay.reports.verdicts import gate_verdict, record_verdict
    from assay.runners.gate_policy import gate_run

    reports = ReportStore(_store_root(store) or default_store())
    baseline_folder = reports.resolve(baseline)  # before the run adds a report
    result = run(
        suite,
        store=reports.root,
        cache_dir=cache_dir,
        observer=observer,
        executor=executor,
        address=address,
    )
    assert result.folder is not None
    judged = gate_run(
        result.output, result.folder, reports, str(baseline_folder), result.suite.suite
    )
    verdict = gate_verdict(judged.outcome, result.folder, baseline_folder)
    verdict_file = record_verdict(reports, verdict) if record else None
    return GateResult(result, judged.outcome, baseline_folder, verdict, verdict_file)


def suite_path(reference: PathLike) -> Path:
    """A suite file, or ``demo:NAME`` for one shipped with assay."""
    text = str(reference)
    if text.startswith("demo:"):
        from assay.demo import demo_suite_path

        return demo_suite_path(text.removeprefix("demo:"))
    return Path(text)


def _store_root(store: PathLike | None) -> Path | None:
    if store is None:
        return None
    return default_store() if store == "default" else Path(store)


def default_cache() -> Path:
    """``$ASSAY_CACHE`` if set, else ``.assay/cache`` in the working directory."""
    return Path(os.environ.get("ASSAY_CACHE", str(DEFAULT_CACHE)))


def _cache_root(cache_dir: PathLike | None) -> Path | None:
    if cache_dir is None:
        return None
    return default_cache() if cache_dir == "default" else Path(cache_dir)
