"""The shipped demos' results, fixed: a redesign of metrics, runners or reports must leave
every result, reliability bin and fingerprint of the demo reports as it is (golden files
written by ``python -m tests.golden_demos.test_demo_results`` before the redesign).

Regenerate only for a deliberate change of numbers (or a new torch / scikit-learn whose
arithmetic differs), and say which in the commit.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from assay.demo import demo_suite_path
from assay.reports.schema import Report
from assay.runners.run import run_suite
from assay.suites.loading import load_suite

GOLDEN = Path(__file__).parent
DEMOS = ("digits", "adult")
pytestmark = pytest.mark.slow


def snapshot(report: Report) -> dict[str, Any]:
    """Everything a run computes, without what changes by design (ids, times, paths,
    timings, environment; model fingerprints, which include library versions)."""
    document = json.loads(report.model_dump_json())
    return {
        "schema_version": document["schema_version"],
        "datasets": document["datasets"],
        "results": document["results"],
        "reliability": document["reliability"],
    }


def current(name: str) -> dict[str, Any]:
    report = run_suite(load_suite(demo_suite_path(name)), cache_dir=None).report
    return snapshot(report)


@pytest.mark.parametrize("name", DEMOS)
def test_demo_report_is_unchanged(name: str) -> None:
    expected = json.loads((GOLDEN / f"{name}.json").read_text())
    found = current(name)
    assert found["results"] == expected["results"]
    assert found == expected


if __name__ == "__main__":
    for demo in sys.argv[1:] or DEMOS:
        (GOLDEN / f"{demo}.json").write_text(json.dumps(current(demo), indent=1) + "\n")
