"""What the release gate writes for CI: JUnit XML, a Markdown summary, GitHub workflow
commands; every user string escaped for its format (:mod:`assay.reports.escaping`)."""

from __future__ import annotations

import math
import os
import xml.etree.ElementTree as ElementTree

from assay.reports.escaping import markdown as escape_markdown
from assay.reports.escaping import workflow_message, workflow_property, xml_text
from assay.reports.gate_rules import GateOutcome, cell_name, describe, describe_blind
from assay.reports.markdown_report import markdown_table
from assay.reports.numbers import number
from assay.reports.sections import TableData


def junit_xml(outcome: GateOutcome, *, seconds: float = 0.0, timestamp: str = "") -> str:
    """One test case per gated cell (and per flip budget breach) inside ``<testsuites>``;
    failures carry the delta, its interval and the adjusted p-value; cells that could not
    be tested (no finite p-value) are skipped. Valid against Jenkins' junit-10 schema.

    User strings (slice values) are written as XML text: ElementTree escapes markup and
    :func:`~assay.reports.escaping.xml_text` removes characters XML cannot hold.
    """
    failing = {id(c) for c in outcome.failing}
    untested = [c for c in outcome.gated if not math.isfinite(c.p_value)]
    counts = {
        "name": "assay gate",
        "tests": str(
            len(outcome.gated)
            + len(outcome.churn_failures)
            + len(outcome.data_rules)
            + len(outcome.blind_failures)
        ),
        "failures": str(len(outcome.failures)),
        "errors": "0",
        "skipped": str(len(untested)),
        "time": f"{seconds:.3f}",
    }
    root = ElementTree.Element("testsuites", counts)
    suite = ElementTree.SubElement(root, "testsuite", counts)
    if timestamp:
        suite.set("timestamp", timestamp)
    properties = ElementTree.SubElement(suite, "properties")  # <testcase> holds none in junit-10
    blind = [c for c in outcome.gated if c.underpowered]
    ElementTree.SubElement(properties, "property", name="underpowered_cells", value=str(len(blind)))
    for cell in outcome.gated:
        ElementTree.SubElement(
            properties, "property", name=xml_text(f"mde {cell_name(cell)}"), value=repr(cell.mde)
        )
        if cell.underpowered:
            ElementTree.SubElement(
                properties,
                "property",
                name=xml_text(f"n_needed {cell_name(cell)}"),
                value=str(cell.n_needed),
            )
    for rule in outcome.data_rules:  # the candidate's data: contamination, label conflicts
        case = ElementTree.SubElement(
            suite, "testcase", classname=rule.rule, name=xml_text(rule.subject), time="0"
        )
        if rule.failure is not None:
            text = xml_text(rule.failure)
            ElementTree.SubElement(case, "failure", message=text, type=rule.rule).text = text
    for cell in outcome.gated:
        case = ElementTree.SubElement(
            suite,
            "testcase",
            classname=xml_text(cell.dataset),
            name=xml_text(cell_name(cell)),
            time="0",
        )
        if id(cell) in failing:
            text = xml_text(describe(cell))
            ElementTree.SubElement(case, "failure", message=text, type=cell.verdict).text = text
        elif id(cell) in {id(c) for c in untested}:
            ElementTree.SubElement(case, "skipped", message="no finite p-value: not tested")
    for text in outcome.churn_failures:
        case = ElementTree.SubElement(
            suite,
            "testcase",
            classname="churn",
            name=xml_text(text.split(":")[0] + " negative flips"),
            time="0",
        )
        ElementTree.SubElement(
            case, "failure", message=xml_text(text), type="negative_flip_budget"
        ).text = xml_text(text)
    for cell in outcome.blind_failures:  # enough data demanded on its slice
        text = xml_text(describe_blind(cell))
        case = ElementTree.SubElement(
            suite, "testcase", classname="underpowered", name=xml_text(cell_name(cell)), time="0"
        )
        ElementTree.SubElement(
            case, "failure", message=text, type="fail_on_underpowered"
        ).text = text
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def markdown(outcome: GateOutcome) -> str:
    """A Markdown summary for CI step summaries and pull requests; every user string goes
    through :func:`~assay.reports.escaping.markdown`, so no slice value becomes markup; the
    table is the report pages' Markdown table, numbers in full."""
    status = "✅ passed" if outcome.passed else "❌ failed"
    lines = [f"## assay gate: {status}", ""]
    silent = outcome.comparison.silent_regressions
    if silent:
        headline_dataset, headline_metric = outcome.comparison.headline
        lines += [
            f"**{len(silent)} silent regression(s)** — the headline "
            f"{escape_markdown(headline_metric)} on {escape_markdown(headline_dataset)} holds:",
            "",
        ]
        lines += [f"- {escape_markdown(describe(c))}" for c in silent] + [""]
    broken = [r for r in outcome.data_rules if r.failure is not None]
    if broken:
        lines += ["**The candidate's data fails the gate:**", ""]
        lines += [f"- {escape_markdown(r.failure or '')}" for r in broken] + [""]
    if outcome.comparison.notes:
        lines += ["Notes:", ""]
        lines += [f"- {escape_markdown(n)}" for n in outcome.comparison.notes] + [""]
    rows = [
        (
            cell_name(cell),
            number(cell.baseline),
            number(cell.candidate),
            f"{number(cell.delta)} ({number(cell.ci_low)}, {number(cell.ci_high)})",
            number(cell.p_adjusted),
            number(cell.mde) + (f" (blind: n≈{cell.n_needed})" if cell.underpowered else ""),
            cell.verdict + (" (silent)" if cell.silent else ""),
        )
        for cell in outcome.gated
    ]
    header = ("cell", "baseline", "candidate", "delta (95% CI)", "adj. p", "MDE", "verdict")
    blind = sum(c.underpowered for c in outcome.gated)
    if blind:
        lines += [
            f"**{blind} of {len(outcome.gated)} gated cells were underpowered**: a regression "
            "smaller than their MDE (the drop caught with 80% power) could pass unseen; "
            "n≈ is the examples that would resolve the tolerance.",
            "",
        ]
    lines += markdown_table(TableData("gated cells", header, rows))
    if outcome.failures:
        lines += ["", "Failures:", ""] + [f"- {escape_markdown(f)}" for f in outcome.failures]
    return "\n".join(lines) + "\n"


def github_annotations(outcome: GateOutcome) -> list[str]:
    """``::error::`` lines for GitHub Actions (printed only when running there)."""
    title = workflow_property("assay gate")
    return [f"::error title={title}::{workflow_message(f)}" for f in outcome.failures]


def append_step_summary(text: str) -> bool:
    """Append to $GITHUB_STEP_SUMMARY when it is set; True if written."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return False
    with open(path, "a", encoding="utf-8") as stream:  # noqa: PTH123 - a path string from CI
        stream.write(text)
    return True
