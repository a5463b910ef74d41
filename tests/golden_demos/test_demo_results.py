"""The shipped demos' results, fixed: a redesign of metrics, runners or reports must leave
every result, reliability bin and fingerprint of the demo reports as it is (golden files
written by ``python -m tests.golden_demos.test_demo_results`` before the redesign).

Regenerate only for a deliberate change of numbers (or a new torch / scikit-learn whose
arithmetic differs), and say which in the commit.

Torch's CPU kernels take other paths on other processors (AVX2 or AVX-512, MKL's code
paths), so a torch model's float32 outputs differ in their last bits from one machine to
the next, and a gradient-sign or score-following attack can then flip an example or two.
So the numbers of a torch model, and of sets crafted on one, are compared within
:data:`TORCH_TOLERANCE` (a few examples of the digits set). BLAS (numpy's,
scikit-learn's) also sums in another order on another processor, so every other number
must match to :data:`BLAS_TOLERANCE` (a relative 1e-7, far below any change of method)
and every count exactly.
"""

from __future__ import annotations

import json
import re
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
NUMBERS = ("value", "ci_low", "ci_high", "mean_confidence", "accuracy")
TORCH_TOLERANCE = {"rel": 0.01, "abs": 0.006, "count": 3}  # 3 of 539 digits
BLAS_TOLERANCE = {"rel": 1e-7, "abs": 1e-12, "count": 0}  # float64 sums in another order
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
        "data_checks": document["data_checks"],
        "contamination": document["contamination"],
    }


def current(name: str) -> dict[str, Any]:
    report = run_suite(load_suite(demo_suite_path(name)), cache_dir=None).report
    return snapshot(report)


def torch_computed(name: str) -> tuple[set[str], set[str]]:
    """The demo's torch models, and its datasets crafted on one (or picked from such)."""
    suite = load_suite(demo_suite_path(name)).suite
    models = {m.name for m in suite.models if m.type == "torch"}
    datasets = {d.name for d in suite.datasets if d.attack and d.attack.surrogate in models}
    datasets |= {d.name for d in suite.datasets if set(d.worst_of or ()) & datasets}
    return models, datasets


def _near(found: dict[str, Any], expected: dict[str, Any], tolerance: dict[str, float]) -> None:
    """``found`` as ``expected`` but for its numbers, which are within ``tolerance``."""
    assert found.keys() == expected.keys()
    close = {"rel": tolerance["rel"], "abs": tolerance["abs"]}
    for key, value in expected.items():
        if key in NUMBERS and value is not None and found[key] is not None:
            assert found[key] == pytest.approx(value, **close), (key, expected)
        elif key in ("count", "n"):  # examples in a bin, or flipped by an attack
            assert abs(found[key] - value) <= tolerance["count"], expected
        elif key == "note" and tolerance["count"] and value is not None:  # it holds counts
            assert re.sub(r"\d+", "#", found[key]) == re.sub(r"\d+", "#", value), expected
        elif key == "bins":
            for ours, theirs in zip(found[key], value, strict=True):
                if ours["count"] == theirs["count"]:
                    _near(ours, theirs, tolerance)
                else:  # an example moved bins: the bin's means are of other examples
                    assert abs(ours["count"] - theirs["count"]) <= tolerance["count"]
                    assert (ours["lower"], ours["upper"]) == (theirs["lower"], theirs["upper"])
        else:
            assert found[key] == value, (key, expected)


@pytest.mark.parametrize("name", DEMOS)
def test_demo_report_is_unchanged(name: str) -> None:
    expected = json.loads((GOLDEN / f"{name}.json").read_text())
    found = current(name)
    assert found["datasets"] == expected["datasets"]
    models, datasets = torch_computed(name)
    for part in ("results", "reliability"):
        assert len(found[part]) == len(expected[part])
        for ours, theirs in zip(found[part], expected[part], strict=True):
            torch_made = theirs["model"] in models or theirs["dataset"] in datasets
            _near(ours, theirs, TORCH_TOLERANCE if torch_made else BLAS_TOLERANCE)
    assert found["schema_version"] == expected["schema_version"]
    assert found["data_checks"] == expected["data_checks"]
    assert found["contamination"] == expected.get("contamination", [])


if __name__ == "__main__":
    for demo in sys.argv[1:] or DEMOS:
        (GOLDEN / f"{demo}.json").write_text(json.dumps(current(demo), indent=1) + "\n")
