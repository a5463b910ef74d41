"""Data governance in every report (issue 15, item 4): each dataset's source, the sha256
of a file source, license, citation and homepage, and each model's file sha256, license
and card, as the suite declares them; ``require_license`` refuses a dataset without one."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from assay.demo import demo_suite_path
from assay.errors import UserError
from assay.runners.run import run_suite
from assay.suites.loading import load_suite


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("demo", ["digits", "adult"])
def test_demo_reports_carry_license_and_provenance(demo: str) -> None:
    path = demo_suite_path(demo)
    report = run_suite(load_suite(path), cache_dir=None).report
    for dataset in report.datasets:
        assert dataset.license, dataset.name  # derived sets inherit their parent's
        if dataset.derived_from is None:
            assert dataset.source is not None
    sourced = [d for d in report.datasets if d.source and d.source["type"] == "file"]
    for dataset in sourced:
        assert dataset.sha256 == _sha256(path.parent / dataset.source["path"])  # type: ignore[index]
    first = report.datasets[0]
    assert first.homepage is not None and first.homepage.startswith("https://archive.ics.uci.edu")
    assert first.citation is not None and "UCI Machine Learning Repository" in first.citation
    files = {
        "digits": {"mlp": "digits_mlp.safetensors", "logreg": "digits_logreg.skops"},
        "adult": {"logreg": "adult_logreg.skops", "boosted": "adult_boosted.skops"},
    }[demo]
    for model in report.models:
        assert model.license == "Apache-2.0"
        assert model.sha256 == _sha256(path.parent / files[model.name])


def test_require_license_refuses_a_dataset_without_one(tmp_path: Path) -> None:
    suite = yaml.safe_load(demo_suite_path("adult").read_text())
    suite["require_license"] = True
    for name in ("adult_sample.csv", "adult_logreg.skops", "adult_boosted.skops"):
        (tmp_path / name).write_bytes((demo_suite_path("adult").parent / name).read_bytes())
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    load_suite(tmp_path / "s.yaml")  # the demo declares its license
    del suite["datasets"][0]["license"]
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    with pytest.raises(UserError, match=r"datasets\[0\]\.license: the suite sets require_license"):
        load_suite(tmp_path / "s.yaml")
