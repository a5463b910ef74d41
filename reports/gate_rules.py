"""The release gate's rules: which compared cells fail a release, and how a failure reads."""

from __future__ import annotations

from dataclasses import dataclass, field

from assay.reports.comparison import CellComparison, Comparison
from assay.reports.comparison_output import where


@dataclass(frozen=True)
class GateRules:
    """What fails the gate (besides regressions): the cell filter, strictness, flip budget."""

    datasets: list[str] | None = None
    metrics: list[str] | None = None
    slices: list[str] | None = None
    strict: bool = False
    negative_flip_budget: float | None = None

    def gated(self, cell: CellComparison) -> bool:
        slice_name = cell.slice or "overall"
        return (
            (self.datasets is None or cell.dataset in self.datasets)
            and (self.metrics is None or cell.metric in self.metrics)
            and (self.slices is None or slice_name in self.slices)
        )


@dataclass(frozen=True)
class GateOutcome:
    comparison: Comparison
    gated: list[CellComparison]
    failing: list[CellComparison] = field(default_factory=list)
    churn_failures: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[str]:
        return [describe(c) for c in self.failing] + self.churn_failures

    @property
    def passed(self) -> bool:
        return not self.failures


def evaluate_gate(comparison: Comparison, rules: GateRules) -> GateOutcome:
    """Failures: gated regressions (silent ones first), gated inconclusive cells when strict,
    and datasets whose negative flip rate exceeds the budget."""
    gated = [c for c in comparison.cells if rules.gated(c)]
    failing = [
        c
        for c in gated
        if c.verdict == "regression" or (rules.strict and c.verdict == "inconclusive")
    ]
    failing.sort(key=lambda c: not c.silent)
    churn_failures = []
    if rules.negative_flip_budget is not None:
        churn_failures = [
            f"{item.dataset}: negative flip rate {item.negative_flip_rate:.4f} exceeds the "
            f"budget {rules.negative_flip_budget:.4f}"
            for item in comparison.churn
            if item.slice is None and item.negative_flip_rate > rules.negative_flip_budget
        ]
    return GateOutcome(comparison, gated, failing, churn_failures)


def cell_name(cell: CellComparison) -> str:
    return f"{where(cell.dataset, cell.slice, cell.group)} {cell.metric}"


def describe(cell: CellComparison) -> str:
    kind = "silent regression" if cell.silent else cell.verdict
    return (
        f"{kind}: {cell_name(cell)} {cell.baseline:.4f} → {cell.candidate:.4f} "
        f"(delta {cell.delta:+.4f}, 95% CI {cell.ci_low:+.4f} to {cell.ci_high:+.4f}, "
        f"adjusted p {cell.p_adjusted:.3g}, {cell.method})"
    )
