"""Results grouped by dataset family and severity (issue 13, item 5): the terminal summary,
the report page sections and the severity figures read the same ladders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from assay.reports.plots import severity_figures
from assay.reports.render import severity_table
from assay.reports.schema import DatasetRecord, ModelRecord, Report, Result
from assay.reports.sections import severity_section
from assay.reports.severity_ladders import severity_ladders

GOLDEN = Path(__file__).resolve().parents[1] / "golden_demos" / "digits.json"


@pytest.fixture(scope="module")
def digits() -> Report:
    """The digits demo's datasets and results (the golden file), as a report."""
    stored = json.loads(GOLDEN.read_text())
    return Report.model_construct(
        models=[ModelRecord(name=m, type="t", fingerprint="") for m in ("mlp", "logreg")],
        datasets=[DatasetRecord(**d) for d in stored["datasets"]],
        results=[Result(**r) for r in stored["results"]],
        reliability=[],
    )


def test_each_family_on_each_clean_set_is_one_ladder(digits: Report) -> None:
    ladders = {ladder.family: ladder for ladder in severity_ladders(digits)}
    assert set(ladders) == {
        "gaussian_noise(scale='global')",
        "image.contrast",
        "image.rotation",
        "image.shot_noise",
    }
    rotation = ladders["image.rotation"]
    assert rotation.parent == "digits_test"
    levels = tuple((s, f"digits_rotation_s{s}") for s in range(1, 6))
    assert rotation.steps == ((0, "digits_test"), *levels)
    assert ladders["gaussian_noise(scale='global')"].steps == (
        (0, "digits_test"),
        (3, "digits_noise"),
    )
    rows = {(r.model, r.metric): r.values for r in rotation.rows(digits)}
    assert set(rows) == {(m, k) for m in ("mlp", "logreg") for k in ("accuracy", "ece")}
    expected = [digits.result("logreg", name, "ece") for _, name in rotation.steps]
    assert list(rows[("logreg", "ece")]) == expected


def test_the_terminal_and_the_page_show_every_level(digits: Report) -> None:
    console = Console(width=200, record=True)
    table = severity_table(digits)
    assert table is not None
    console.print(table)
    text = console.export_text()
    accuracy = digits.result("mlp", "digits_shot_noise_s4", "accuracy").value
    assert f"{accuracy:.4f}" in text and "image.shot_noise" in text
    section = severity_section(digits, [])
    assert section is not None
    assert len(section.tables) == 4
    contrast = next(t for t in section.tables if t.caption.startswith("image.contrast"))
    assert contrast.header == ("model", "metric", "0", "1", "2", "3", "4", "5")
    row = next(r for r in contrast.rows if r[:2] == ("logreg", "accuracy"))
    assert row[3].startswith(repr(digits.result("logreg", "digits_contrast_s1", "accuracy").value))


def test_one_severity_figure_per_ladder(digits: Report) -> None:
    figures = severity_figures(digits)
    assert [set(f.datasets) for f in figures] == [
        set(ladder.datasets) for ladder in severity_ladders(digits)
    ]
    assert all(f.kind == "severity" for f in figures)


def test_no_ladders_without_severities(digits: Report) -> None:
    clean = digits.model_copy(update={"datasets": digits.datasets[:1]})
    assert severity_ladders(clean) == [] and severity_table(clean) is None
    assert severity_section(clean, []) is None
