"""The examples run as their README says."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from assay.runners.run import run_suite
from assay.suites.loading import load_suite

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def trained(example: str, tmp_path: Path) -> Path:
    """A copy of an example folder after its own ``train.py`` ran, as its README says."""
    folder = tmp_path / example
    shutil.copytree(EXAMPLES / example, folder)
    sys.path.insert(0, str(folder))
    try:
        import train  # the example's own script

        train.main(folder)
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("train", None)
    return folder


def test_breast_cancer_example(tmp_path: Path) -> None:
    folder = trained("breast_cancer", tmp_path)
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


def test_sentiment_domains_example(tmp_path: Path) -> None:
    folder = trained("sentiment_domains", tmp_path)
    report = run_suite(load_suite(folder / "suite.yaml"), cache_dir=None).report
    accuracy = {
        (r.model, r.dataset): r.value
        for r in report.results
        if r.metric == "accuracy" and r.slice is None
    }
    typos = [f"amazon_typos_s{s}" for s in range(1, 6)]
    for model in ("words", "chars"):
        clean = accuracy[(model, "amazon_test")]
        assert clean > 0.75
        assert accuracy[(model, "imdb")] < clean  # the natural shift costs accuracy
        assert accuracy[(model, typos[-1])] < clean - 0.1
        assert [d.severity for d in report.datasets if d.name in typos] == [1, 2, 3, 4, 5]
    assert accuracy[("chars", typos[-1])] > accuracy[("words", typos[-1])]
    for model in ("words", "chars"):  # two one-letter edits cost far more than any typo rate
        assert accuracy[(model, "amazon_word_bugs")] < accuracy[(model, "amazon_test")] - 0.25
    assert accuracy[("chars", "amazon_word_bugs")] > accuracy[("words", "amazon_word_bugs")]
    n = {d.name: d.n_examples for d in report.datasets}
    assert n["amazon_test"] == 300 and n["yelp"] == n["imdb"] == 1000
