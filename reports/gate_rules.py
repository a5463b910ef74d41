"""The release gate's rules: which compared cells fail a release, and how a failure reads."""

from __future__ import annotations

from dataclasses import dataclass, field

from assay.reports.comparison import CellComparison, Comparison
from assay.reports.comparison_output import where
from assay.reports.numbers import number, signed
from assay.reports.schema import Report


@dataclass(frozen=True)
class GateRules:
    """What fails the gate (besides regressions): the cell filter, strictness, flip budget."""

    datasets: list[str] | None = None
    metrics: list[str] | None = None
    slices: list[str] | None = None
    strict: bool = False
    negative_flip_budget: float | None = None
    max_contamination: float | None = None
    fail_on_label_conflicts: bool = False
    fail_on_underpowered: tuple[str, ...] = ()  # slice columns; 'overall' for whole sets

    def gated(self, cell: CellComparison) -> bool:
        slice_name = cell.slice or "overall"
        return (
            (self.datasets is None or cell.dataset in self.datasets)
            and (self.metrics is None or cell.metric in self.metrics)
            and (self.slices is None or slice_name in self.slices)
        )


@dataclass(frozen=True)
class DataRule:
    """One check of the candidate's data (contamination of a set, its label conflicts):
    ``rule`` names the gate option, ``subject`` the dataset; ``failure`` says why it fails
    (None: it passes)."""

    rule: str
    subject: str
    failure: str | None = None


@dataclass(frozen=True)
class GateOutcome:
    comparison: Comparison
    gated: list[CellComparison]
    failing: list[CellComparison] = field(default_factory=list)
    churn_failures: list[str] = field(default_factory=list)
    data_rules: list[DataRule] = field(default_factory=list)
    blind_failures: list[CellComparison] = field(default_factory=list)

    @property
    def failures(self) -> list[str]:
        found = [r.failure for r in self.data_rules if r.failure is not None]
        blind = [describe_blind(c) for c in self.blind_failures]
        return found + [describe(c) for c in self.failing] + self.churn_failures + blind

    @property
    def passed(self) -> bool:
        return not self.failures


def evaluate_gate(
    comparison: Comparison,
    rules: GateRules,
    candidate: Report | None = None,
    model: str | None = None,
) -> GateOutcome:
    """Failures: the candidate's data rules (contamination above the most allowed, label
    conflicts; checked on ``candidate``'s report for ``model``), gated regressions (silent
    ones first), gated inconclusive cells when strict, datasets whose negative flip
    rate exceeds the budget, and underpowered gated cells of the slices the rules name."""
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
            f"{item.dataset}: negative flip rate {number(item.negative_flip_rate)} exceeds "
            f"the budget {number(rules.negative_flip_budget)}"
            for item in comparison.churn
            if item.slice is None and item.negative_flip_rate > rules.negative_flip_budget
        ]
    data_rules = data_rule_checks(candidate, model, rules) if candidate is not None else []
    blind = [
        c for c in gated if c.underpowered and (c.slice or "overall") in rules.fail_on_underpowered
    ]
    return GateOutcome(comparison, gated, failing, churn_failures, data_rules, blind)


def data_rule_checks(report: Report, model: str | None, rules: GateRules) -> list[DataRule]:
    """Each data rule the gate sets, checked on the candidate's report: per dataset its
    contamination against ``max_contamination`` (failing for every set when the model
    declares no training data: it cannot be checked), and its label conflicts.

    Example:
        >>> from assay.reports.schema import ContaminationRecord
        >>> found = ContaminationRecord(model="m", dataset="test", n=200, exact=3, near=1,
        ...                             count=4, fraction=0.02)
        >>> report = Report.model_construct(contamination=[found], data_checks=[])
        >>> [rule] = data_rule_checks(report, "m", GateRules(max_contamination=0))
        >>> rule.subject, rule.failure.split(";")[1]
        ('test', ' the gate allows 0.0')
    """
    checks = []
    if rules.max_contamination is not None:
        allowed = rules.max_contamination
        found = [c for c in report.contamination if model is None or c.model == model]
        if not found:
            checks.append(
                DataRule(
                    "max_contamination",
                    "training data",
                    f"contamination: the gate allows {number(allowed)} of a set's examples in the "
                    f"candidate's training data, and model {model!r} declares none to check "
                    "(set its training_data)",
                )
            )
        for c in found:
            failure = None
            if c.fraction > allowed:
                failure = (
                    f"contamination: {c.count} of {c.dataset}'s {c.n} examples "
                    f"({number(c.fraction)}: {c.exact} exact, {c.near} near) are in the declared "
                    f"training data of model {c.model!r}; the gate allows {number(allowed)}"
                )
            checks.append(DataRule("max_contamination", c.dataset, failure))
    if rules.fail_on_label_conflicts:
        conflicts = {f.dataset: f for f in report.data_checks if f.check == "label_conflicts"}
        for dataset in report.datasets:
            if dataset.source is None:
                continue  # a derived set holds its parent's examples
            conflict = conflicts.get(dataset.name)
            failure = None
            if conflict is not None:
                failure = (
                    f"label conflicts: {conflict.count} of {dataset.name}'s {conflict.n} "
                    "examples share their inputs with an example of another label"
                )
            checks.append(DataRule("fail_on_label_conflicts", dataset.name, failure))
    return checks


def cell_name(cell: CellComparison) -> str:
    return f"{where(cell.dataset, cell.slice, cell.group)} {cell.metric}"


def describe(cell: CellComparison) -> str:
    kind = "silent regression" if cell.silent else cell.verdict
    return (
        f"{kind}: {cell_name(cell)} {number(cell.baseline)} → {number(cell.candidate)} "
        f"(delta {signed(cell.delta)}, 95% CI {signed(cell.ci_low)} to {signed(cell.ci_high)}, "
        f"adjusted p {number(cell.p_adjusted)}, {cell.method})"
    )


def describe_blind(cell: CellComparison) -> str:
    """Why an underpowered cell fails a gate that demands enough data on its slice."""
    needed = f"; about {cell.n_needed} examples would resolve it" if cell.n_needed else ""
    return (
        f"underpowered: {cell_name(cell)} on {cell.n} examples could only catch a regression "
        f"of {cell.mde!r} (tolerance {cell.tolerance!r}){needed}"
    )
