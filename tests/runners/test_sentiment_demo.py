"""The text demo (issue 11, item 4): the shipped transformers checkpoint runs offline on the
shipped sentences, deterministically, and shows the shifts it exists to show."""

from __future__ import annotations

import pytest

pytest.importorskip("transformers")

from assay.demo import demo_suite_path  # noqa: E402
from assay.runners.run import run_suite  # noqa: E402
from assay.suites.loading import load_suite  # noqa: E402


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
    assert set(accuracy) == {"reviews_test", "reviews_typos", "imdb"}
    assert accuracy["reviews_test"] > 0.75  # it learned something
    assert accuracy["imdb"] < accuracy["reviews_test"]  # the domain shift costs accuracy
    assert accuracy["reviews_typos"] < accuracy["reviews_test"]
