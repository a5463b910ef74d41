"""The terminal's attack table: one row per model and adversarial set with robust
accuracy, success rate, drop and effort, the attack that made each set written out
beneath it; counts shown whole; nothing cut off on a narrow terminal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from assay.reports.render import attack_table, format_result
from assay.reports.schema import DatasetRecord, ModelRecord, Report, Result

GOLDEN = Path(__file__).parents[1] / "golden_demos" / "adult.json"


@pytest.fixture(scope="module")
def adult() -> Report:
    """The adult demo's datasets and results (the golden file), as a report."""
    stored = json.loads(GOLDEN.read_text())
    return Report.model_construct(
        models=[ModelRecord(name=m, type="t", fingerprint="") for m in ("logreg", "boosted")],
        datasets=[DatasetRecord(**d) for d in stored["datasets"]],
        results=[Result(**r) for r in stored["results"]],
        reliability=[],
    )


def _text(report: Report, width: int) -> str:
    console = Console(width=width, record=True, markup=False, highlight=False)
    table = attack_table(report)
    assert table is not None
    console.print(table)
    return console.export_text()


def test_one_row_per_model_and_attack_with_the_attack_written_out(adult: Report) -> None:
    table = attack_table(adult)
    assert table is not None
    headers = [str(c.header) for c in table.columns]
    assert headers[:2] == ["model", "dataset"] and "median_queries" in headers
    rows = list(zip(*(c._cells for c in table.columns), strict=True))
    attacked = {d.name for d in adult.datasets if d.kind == "adversarial"}
    assert {(m, d) for m, d, *_ in rows} == {
        (m, d) for m in ("logreg", "boosted") for d in attacked
    }
    caption = str(table.caption)
    assert "adult_hop_skip_jump: hop_skip_jump(" in caption and "max_queries=300" in caption
    assert caption.count("\n") == len(attacked) - 1  # each attack once, not once per model


def test_counts_are_whole_and_nothing_is_cut_off(adult: Report) -> None:
    most = adult.result("logreg", "adult_hop_skip_jump", "max_queries_used")
    assert format_result(most) == str(int(most.value))
    text = _text(adult, 60)
    assert "…" not in text  # a narrow terminal folds a cell, never elides it
    wide = _text(adult, 400)
    median = adult.result("boosted", "adult_square", "accuracy")
    assert format_result(median) in wide
