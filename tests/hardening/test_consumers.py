"""What assay writes for CI is read back the way its real consumers read it: JUnit against
the Jenkins schema, workflow commands as GitHub's runner parses them, Markdown as GFM, and
terminal output with no markup or emoji read into user strings."""

from __future__ import annotations

import io
import re
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
import xmlschema
from markdown_it import MarkdownIt
from rich.console import Console

from assay.reports.comparison import CellComparison, Comparison
from assay.reports.comparison_output import comparison_tables, where
from assay.reports.comparison_types import Churn
from assay.reports.escaping import terminal
from assay.reports.gate_outputs import github_annotations, junit_xml, markdown
from assay.reports.gate_rules import GateOutcome, GateRules, evaluate_gate
from assay.runners.cli import main

SCHEMA = xmlschema.XMLSchema(Path(__file__).parents[1] / "data" / "junit-jenkins.xsd")

HOSTILE = [
    "100%",
    "a|b",
    "x,y",
    "k:v",
    "line\nbreak",
    "cr\rreturn",
    ":warning:",
    "[x]",
    "[/x]",
    "[bold]b[/bold]",
    "<script>alert(1)</script>",
    "`code`",
    "*em* _em_",
    "back\\slash",
    "&amp;",
    "%0A",
    "::error::fake",
    "tab\there",
    "bell\x07",
    "# heading",
]


def _cell(group: str, verdict: str = "regression", p: float = 0.001) -> CellComparison:
    return CellComparison(
        dataset="digits",
        metric="ece",
        slice="site",
        group=group,
        n=120,
        baseline=0.02,
        candidate=0.09,
        delta=0.07,
        ci_low=0.03,
        ci_high=0.11,
        p_value=p,
        p_adjusted=p,
        verdict=verdict,  # type: ignore[arg-type]
        silent=True,
    )


def _outcome() -> GateOutcome:
    cells = [_cell(value) for value in HOSTILE]
    cells.append(_cell("untestable", "inconclusive", float("nan")))
    churn = [Churn("digits", 500, 0.2, 0.01, 0.21, ["a"], None, None, {})]
    comparison = Comparison("base", "cand", cells, churn, ("digits", "accuracy"))
    return evaluate_gate(comparison, GateRules(negative_flip_budget=0.05))


def test_junit_is_valid_against_the_jenkins_schema() -> None:
    document = junit_xml(_outcome(), seconds=12.5, timestamp="2026-11-29T12:00:00+00:00")
    SCHEMA.validate(document)  # raises when invalid
    root = ElementTree.fromstring(document.split("\n", 1)[1])
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert int(suite.get("tests", "")) == len(cases) == len(HOSTILE) + 2
    assert int(suite.get("failures", "")) == len(HOSTILE) + 1  # cells and the flip budget
    assert suite.get("errors") == "0" and suite.get("skipped") == "1"
    assert suite.get("time") == "12.500" and suite.get("timestamp")
    names = [case.get("name") for case in cases]
    for value in HOSTILE:
        shown = value.replace("\x07", "\\x07")  # XML cannot hold a bell character
        assert f"digits [site={shown}] ece" in names


def test_the_schema_refuses_what_jenkins_refuses() -> None:
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        SCHEMA.validate('<testsuite name="x" tests="1" failures="0"/>')  # no errors=
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        SCHEMA.validate('<testsuite name="x" tests="1" failures="0" errors="0" time="1s"/>')


def _parse_workflow_command(line: str) -> tuple[str, dict[str, str], str]:
    """GitHub's runner: ``::name k=v,k=v::message``, values and message unescaped."""
    match = re.fullmatch(r"::(\w+)(?: ([^:]*))?::(.*)", line)
    assert match, line
    name, raw_properties, message = match.groups()

    def unescape(text: str, *, property_value: bool) -> str:
        text = text.replace("%0D", "\r").replace("%0A", "\n")
        if property_value:
            text = text.replace("%3A", ":").replace("%2C", ",")
        return text.replace("%25", "%")

    properties = {}
    for pair in (raw_properties or "").split(","):
        if pair:
            key, _, value = pair.partition("=")
            properties[key] = unescape(value, property_value=True)
    return name, properties, unescape(message, property_value=False)


def test_workflow_commands_parse_back_to_the_failures() -> None:
    outcome = _outcome()
    lines = github_annotations(outcome)
    assert len(lines) == len(outcome.failures)
    for line, failure in zip(lines, outcome.failures, strict=True):
        assert "\n" not in line and "\r" not in line
        name, properties, message = _parse_workflow_command(line)
        assert name == "error" and properties == {"title": "assay gate"}
        assert message == failure


def _table_cells(document: str) -> list[list[str]]:
    """The table's body rows as text, as a GFM renderer sees them (<br> → line break)."""
    tokens = MarkdownIt("commonmark").enable("table").parse(document)
    rows: list[list[str]] = []
    inside_body = False
    for token in tokens:
        if token.type in ("tbody_open", "tbody_close"):
            inside_body = token.type == "tbody_open"
        elif token.type == "tr_open" and inside_body:
            rows.append([])
        elif token.type == "inline" and inside_body:
            text = ""
            for child in token.children or []:
                if child.type == "text":
                    text += child.content
                elif child.type == "html_inline" and child.content == "<br>":
                    text += "\n"
                else:
                    text += f"<{child.type}>"  # markup that should not be there
            rows[-1].append(text)
    return rows


def test_markdown_tables_show_hostile_values_as_text() -> None:
    outcome = _outcome()
    rows = _table_cells(markdown(outcome))
    assert len(rows) == len(outcome.gated)
    for row, cell in zip(rows, outcome.gated, strict=True):
        assert len(row) == 7  # no value split the row (cell, values, delta, p, MDE, verdict)
        expected = f"{where(cell.dataset, cell.slice, cell.group)} {cell.metric}"
        assert row[0] == expected.replace("\r", "\n").replace("\x07", "\\x07")


def test_markdown_lists_hold_no_markup() -> None:
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown(_outcome()))
    kinds = {c.type for t in tokens if t.type == "inline" for c in t.children or []}
    assert kinds <= {"text", "html_inline", "strong_open", "strong_close", "softbreak"}
    html = [c.content for t in tokens if t.type == "inline" for c in t.children or []]
    assert all(h == "<br>" for h in html if h.startswith("<"))


def test_terminal_tables_print_user_strings_literally() -> None:
    comparison = _outcome().comparison
    console = Console(width=400, file=io.StringIO(), markup=False, emoji=False, highlight=False)
    console.print(comparison_tables(comparison))
    text = console.file.getvalue()  # type: ignore[attr-defined]
    for value in HOSTILE:
        assert f"digits [site={terminal(value)}]" in text
    assert "⚠" not in text and "\x1b" not in text


def test_terminal_tables_and_gate_failures_write_every_number_in_full() -> None:
    outcome = _outcome()
    console = Console(width=80, file=io.StringIO(), markup=False, emoji=False, highlight=False)
    console.print(comparison_tables(outcome.comparison))
    text = console.file.getvalue()  # type: ignore[attr-defined]
    failures = " ".join(outcome.failures)
    for cell in outcome.comparison.cells:
        for value in (cell.baseline, cell.candidate, cell.p_adjusted, cell.mde):
            assert repr(value) in text  # narrow console: stacked, never cut
        assert format(cell.delta, "+") in text
    for cell in outcome.failing:
        assert f"delta {format(cell.delta, '+')}, 95% CI {format(cell.ci_low, '+')}" in failures
        assert f"adjusted p {cell.p_adjusted!r}" in failures


def _cli(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["assay", *args])
    with pytest.raises(SystemExit) as stop:
        main()
    return int(stop.value.code or 0)


@pytest.mark.parametrize("name", ["[/x]", "[bold]b[/bold]", ":warning:", "new\nline"])
def test_error_printer_shows_paths_literally(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / name
    folder.mkdir(parents=True)
    assert _cli(monkeypatch, "run", str(folder / "suite.yaml")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and terminal(name) in err and "⚠" not in err


@pytest.mark.parametrize("width", [60, 80, 120])
def test_no_number_is_cut_at_any_width(width: int) -> None:
    from assay.reports.render import format_result, report_summary
    from assay.reports.store import load_report

    report = load_report(Path(__file__).parents[1] / "reports" / "golden" / "v2-sealed")
    console = Console(width=width, file=io.StringIO(), markup=False, emoji=False)
    console.print(report_summary(report))
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "…" not in text
    numbers = [
        repr(v) for r in report.results for v in (r.value, r.ci_low, r.ci_high) if v is not None
    ]
    assert numbers and all(n in text for n in numbers)  # whole, if not on one line
    if width >= 80:
        assert all(format_result(r) in text for r in report.results)
    assert max(len(line) for line in text.splitlines()) <= width


def test_pipes_use_columns_or_no_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    from assay.runners.cli_output import UNLIMITED_WIDTH, console_width

    pipe = io.StringIO()
    monkeypatch.setenv("COLUMNS", "93")
    assert console_width(pipe) == 93
    monkeypatch.delenv("COLUMNS")
    assert console_width(pipe) == UNLIMITED_WIDTH
