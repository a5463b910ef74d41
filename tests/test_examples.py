"""The examples run as their README says."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from assay.runners.run import run_suite
from assay.suites.loading import load_suite

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_breast_cancer_example(tmp_path: Path) -> None:
    folder = tmp_path / "breast_cancer"
    shutil.copytree(EXAMPLES / "breast_cancer", folder)
    sys.path.insert(0, str(folder))
    try:
        import train  # the example's own script

        train.main(folder)
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("train", None)
    output = run_suite(load_suite(folder / "suite.yaml"), cache_dir=None)
    accuracy = {
        r.dataset: r.value
        for r in output.report.results
        if r.metric == "accuracy" and r.slice is None
    }
    assert accuracy["holdout"] > 0.9
    assert accuracy["holdout_noise_severe"] < accuracy["holdout"]
    groups = {r.group for r in output.report.results if r.slice == "size"}
    assert groups == {"small", "medium", "large"}
