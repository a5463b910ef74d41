"""Run a suite and gate it against a baseline report (the ``assay gate`` command's work)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow.parquet as pq

from assay.reports.comparison import ComparePolicy, compare_reports
from assay.reports.gate_rules import GateOutcome, GateRules, evaluate_gate
from assay.reports.store import ReportStore, load_report
from assay.suites.policy_schema import GateSpec, RelativeTolerance
from assay.suites.schema import Suite

if TYPE_CHECKING:
    from assay.runners.run import RunOutput


@dataclass(frozen=True)
class GateRun:
    outcome: GateOutcome
    report_folder: Path
    baseline_folder: Path


def policy_from(spec: GateSpec, suite: Suite) -> ComparePolicy:
    """The comparison policy a suite's ``gate`` section declares."""
    absolute = {m: t for m, t in spec.tolerance.items() if not isinstance(t, RelativeTolerance)}
    relative = {
        m: t.relative for m, t in spec.tolerance.items() if isinstance(t, RelativeTolerance)
    }
    headline = (spec.headline.dataset, spec.headline.metric) if spec.headline else None
    return ComparePolicy(
        alpha=spec.alpha,
        correction=spec.correction,
        tolerance=absolute,
        relative_tolerance=relative,
        default_tolerance=spec.default_tolerance,
        n_resamples=spec.n_resamples,
        seed=suite.seed,
        min_examples=spec.min_examples,
        headline=headline,
        power=spec.power,
        blind_factor=spec.blind_factor,
    )


def rules_from(spec: GateSpec) -> GateRules:
    chosen = spec.must_not_regress
    return GateRules(
        datasets=chosen.datasets,
        metrics=chosen.metrics,
        slices=chosen.slices,
        strict=spec.strict,
        negative_flip_budget=spec.negative_flip_budget,
        max_contamination=spec.max_contamination,
        fail_on_label_conflicts=spec.fail_on_label_conflicts,
        fail_on_underpowered=tuple(spec.fail_on_underpowered),
    )


def gate_run(
    output: RunOutput, report_folder: Path, store: ReportStore, baseline: str, suite: Suite
) -> GateRun:
    """Compare a stored run with the baseline report and judge it by the suite's gate."""
    spec = suite.gate
    baseline_folder = store.resolve(baseline)
    baseline_report = load_report(baseline_folder, verify_predictions=True)
    baseline_predictions = pq.read_table(baseline_folder / baseline_report.predictions.file)
    model = spec.model or suite.models[0].name
    comparison = compare_reports(
        baseline_report,
        baseline_predictions,
        output.report,
        output.predictions,
        policy=policy_from(spec, suite),
        baseline_model=spec.baseline_model or model,
        candidate_model=model,
        allow_unpaired=spec.unpaired,
    )
    outcome = evaluate_gate(comparison, rules_from(spec), output.report, model)
    return GateRun(outcome, report_folder, baseline_folder)
