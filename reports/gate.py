"""The release gate: which compared cells fail a release, and the CI outputs that say so."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ElementTree
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


def junit_xml(outcome: GateOutcome) -> str:
    """One test case per gated cell (and per flip budget breach); failures carry the delta,
    its interval and the adjusted p-value."""
    failing = {id(c) for c in outcome.failing}
    suite = ElementTree.Element(
        "testsuite",
        name="assay gate",
        tests=str(len(outcome.gated) + len(outcome.churn_failures)),
        failures=str(len(outcome.failures)),
    )
    for cell in outcome.gated:
        case = ElementTree.SubElement(
            suite, "testcase", classname=cell.dataset, name=cell_name(cell)
        )
        if id(cell) in failing:
            text = describe(cell)
            ElementTree.SubElement(case, "failure", message=text).text = text
    for text in outcome.churn_failures:
        case = ElementTree.SubElement(
            suite, "testcase", classname="churn", name=text.split(":")[0] + " negative flips"
        )
        ElementTree.SubElement(case, "failure", message=text).text = text
    return ElementTree.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def markdown(outcome: GateOutcome) -> str:
    """A Markdown summary for CI step summaries and pull requests."""
    status = "✅ passed" if outcome.passed else "❌ failed"
    lines = [f"## assay gate: {status}", ""]
    silent = outcome.comparison.silent_regressions
    if silent:
        lines += [
            f"**{len(silent)} silent regression(s)** — the headline "
            f"{outcome.comparison.headline[1]} on {outcome.comparison.headline[0]} holds:",
            "",
        ]
        lines += [f"- {describe(c)}" for c in silent] + [""]
    lines += [
        "| cell | baseline | candidate | delta (95% CI) | adj. p | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for cell in outcome.gated:
        lines.append(
            f"| {cell_name(cell)} | {cell.baseline:.4f} | {cell.candidate:.4f} | "
            f"{cell.delta:+.4f} ({cell.ci_low:+.4f}, {cell.ci_high:+.4f}) | "
            f"{cell.p_adjusted:.3g} | {cell.verdict}{' (silent)' if cell.silent else ''} |"
        )
    if outcome.failures:
        lines += ["", "Failures:", ""] + [f"- {f}" for f in outcome.failures]
    return "\n".join(lines) + "\n"


def github_annotations(outcome: GateOutcome) -> list[str]:
    """``::error::`` lines for GitHub Actions (printed only when running there)."""
    return [f"::error title=assay gate::{failure}" for failure in outcome.failures]


def append_step_summary(text: str) -> bool:
    """Append to $GITHUB_STEP_SUMMARY when it is set; True if written."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return False
    with open(path, "a", encoding="utf-8") as stream:  # noqa: PTH123 - a path string from CI
        stream.write(text)
    return True
