"""The text demo (issue 11, item 4): the shipped transformers checkpoint runs offline on the
shipped sentences, deterministically, and shows the shifts it exists to show."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("transformers")

from assay.demo import demo_suite_path
from assay.runners.run import run_suite
from assay.suites.loading import load_suite


def test_the_sentiment_demo_runs_and_shows_the_shifts() -> None:
    loaded = load_suite(demo_suite_path("sentiment"))
    first = run_suite(loaded, cache_dir=None).report
    again = run_suite(loaded, cache_dir=None).report
    assert [r.model_dump() for r in first.results] == [r.model_dump() for r in again.results]
    accuracy = {
        r.dataset: r.value
        for r in first.results
        if r.metric == "accuracy" and r.slice is None and r.group is None and r.kind != "robustness"
    }
    assert set(accuracy) == {"reviews_test", "reviews_typos", "reviews_fgsm", "imdb"}
    assert accuracy["reviews_test"] > 0.75  # it learned something
    assert accuracy["imdb"] < accuracy["reviews_test"]  # the domain shift costs accuracy
    assert accuracy["reviews_typos"] < accuracy["reviews_test"]
    assert accuracy["reviews_fgsm"] < accuracy["reviews_test"] - 0.2  # the attack bites


def test_the_readme_transformers_suite_runs_as_written(tmp_path: Path) -> None:
    """The complete suite under README's "transformers" heading, with the demo checkpoint
    as its checkpoint and the demo sentences as its data."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### `transformers`") :]
    block = section[
        section.index("```yaml\n") + 8 : section.index("```\n", section.index("```yaml"))
    ]
    here = demo_suite_path("sentiment").parent
    shutil.copytree(here / "sentiment_model", tmp_path / "checkpoints" / "candidate")
    sentences = pd.read_csv(here / "sentiment_test.csv")
    sentences.rename(columns={"sentence": "review"}).to_csv(tmp_path / "reviews.csv", index=False)
    (tmp_path / "suite.yaml").write_text(block, encoding="utf-8")
    report = run_suite(load_suite(tmp_path / "suite.yaml"), cache_dir=None).report
    accuracy = next(r.value for r in report.results if r.metric == "accuracy" and r.slice is None)
    assert accuracy is not None and accuracy > 0.75


def test_a_cached_rerun_imports_neither_transformers_nor_torch(tmp_path: Path) -> None:
    """Every cell and score comes from the cache: the checkpoint is fingerprinted from its
    files and never loaded."""
    import subprocess
    import sys

    script = (
        "import sys, assay\n"
        f"assay.run('demo:sentiment', store=None, cache_dir={str(tmp_path)!r})\n"
        "print(sorted(m for m in ('torch', 'transformers', 'tokenizers') if m in sys.modules))\n"
    )
    first = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().splitlines()[-1] == "['tokenizers', 'torch', 'transformers']"
    again = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines()[-1] == "[]"
