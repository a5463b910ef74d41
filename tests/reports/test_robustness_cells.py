"""Robustness in a comparison (issue 14, item 5): each shifted or adversarial set that
pairs with a clean set by id gets accuracy-drop, relative-robustness and (adversarial)
attack-success-rate cells, paired over example ids. Their values are exactly the ones
each report states; a checkpoint that keeps its clean accuracy but falls to an attack is a
silent regression there; a set a resampling shift drew is left out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from assay.reports.comparison import compare_reports
from assay.runners.run import RunOutput, run_suite
from assay.suites.loading import load_suite


class FirstFeature:
    """Class 1 when x1 > 0 (the second feature is ignored)."""

    weight = 0.0

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        score = 4 * (np.asarray(x)[:, 0] + self.weight * np.asarray(x)[:, 1])
        p = 1 / (1 + np.exp(-score))
        return np.stack([1 - p, p], axis=1)


class LeansOnNoise(FirstFeature):
    """The same on clean data (x2 is 0 there), but x2 moves it: an attack finds that."""

    weight = 3.0


def _run(tmp_path: Path, model: str) -> RunOutput:
    rng = np.random.default_rng(0)
    x1 = rng.uniform(-1, 1, 400)
    frame = pd.DataFrame({"id": [f"e{i}" for i in range(400)], "x1": x1, "x2": 0.0})
    frame["y"] = (x1 > 0).astype(int)
    frame.loc[:19, "y"] = 1 - frame.loc[:19, "y"]  # some clean mistakes
    frame.to_csv(tmp_path / "clean.csv", index=False)
    moved = frame.iloc[::2].assign(x1=lambda f: f.x1 * 0.5)  # a precomputed set of half
    moved.to_csv(tmp_path / "moved.csv", index=False)
    columns = {"id": "id", "label": "y", "features": ["x1", "x2"], "classes": [0, 1]}
    suite = {
        "name": "robust",
        "version": "1",
        "seed": 0,
        "models": [{"name": "m", "type": "python", "object": f"{__name__}:{model}"}],
        "datasets": [
            {"name": "clean", "source": {"type": "file", "path": "clean.csv"}, **columns},
            {
                "name": "square",
                "kind": "adversarial",
                "from": "clean",
                "attack": {
                    "name": "square",
                    "params": {"eps": 0.3, "max_queries": 40, "clip_min": -1, "clip_max": 1},
                },
            },
            {
                "name": "boundary",
                "kind": "adversarial",
                "from": "clean",
                "attack": {
                    "name": "hop_skip_jump",
                    "params": {"max_queries": 200, "clip_min": -1, "clip_max": 1},
                },
            },
            {
                "name": "moved",
                "kind": "shifted",
                "pairs_with": "clean",
                "source": {"type": "file", "path": "moved.csv"},
                **columns,
            },
            {
                "name": "more_ones",
                "kind": "shifted",
                "from": "clean",
                "shift": {"name": "label_shift", "params": {"priors": {"0": 0.3, "1": 0.7}}},
            },
        ],
        "metrics": ["accuracy"],
    }
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    return run_suite(load_suite(tmp_path / "s.yaml"), cache_dir=None)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunOutput, RunOutput]:
    return (
        _run(tmp_path_factory.mktemp("baseline"), "FirstFeature"),
        _run(tmp_path_factory.mktemp("candidate"), "LeansOnNoise"),
    )


def test_robustness_cells_state_each_reports_own_values(runs: tuple) -> None:
    baseline, candidate = runs
    comparison = compare_reports(
        baseline.report, baseline.predictions, candidate.report, candidate.predictions
    )
    cells = {(c.dataset, c.metric): c for c in comparison.cells if c.slice is None}
    expected = {
        ("square", "accuracy_drop"), ("square", "relative_robustness"),
        ("square", "attack_success_rate"), ("moved", "accuracy_drop"),
        ("moved", "relative_robustness"),
    }  # fmt: skip
    assert expected <= set(cells)
    assert ("more_ones", "accuracy_drop") not in cells  # a resampled mix is not paired
    for dataset, metric in expected:
        cell = cells[(dataset, metric)]
        assert cell.baseline == pytest.approx(baseline.report.result("m", dataset, metric).value)
        assert cell.candidate == pytest.approx(candidate.report.result("m", dataset, metric).value)
        assert cell.ci_low is not None and cell.ci_low <= cell.delta <= cell.ci_high


def test_falling_to_an_attack_with_clean_accuracy_held_is_a_silent_regression(
    runs: tuple,
) -> None:
    baseline, candidate = runs
    comparison = compare_reports(
        baseline.report, baseline.predictions, candidate.report, candidate.predictions
    )
    cells = {(c.dataset, c.metric): c for c in comparison.cells if c.slice is None}
    assert cells[("clean", "accuracy")].delta == 0  # the same answers on clean data
    for metric in ("accuracy_drop", "attack_success_rate"):
        cell = cells[("square", metric)]
        assert cell.delta > 0.2 and cell.verdict == "regression" and cell.silent
    assert cells[("moved", "accuracy_drop")].delta == 0  # x2 is 0 there too: nothing lost


def test_attack_effort_is_compared_over_each_sides_flipped_examples(runs: tuple) -> None:
    baseline, candidate = runs
    frame = candidate.predictions.to_pandas()
    attacked = frame[frame.dataset == "boundary"]
    assert attacked["perturbation_size"].notna().all() and attacked["attack_queries"].min() >= 1
    assert frame[frame.dataset == "clean"]["perturbation_size"].isna().all()
    comparison = compare_reports(
        baseline.report, baseline.predictions, candidate.report, candidate.predictions
    )
    cells = {(c.dataset, c.metric): c for c in comparison.cells if c.slice is None}
    for dataset in ("square", "boundary"):
        for metric in ("median_perturbation", "median_queries"):
            cell = cells[(dataset, metric)]
            assert cell.baseline == baseline.report.result("m", dataset, metric).value
            assert cell.candidate == candidate.report.result("m", dataset, metric).value
            assert cell.ci_low <= cell.delta <= cell.ci_high
    # leaning on a feature the attack can move: the nearest wrong point is three times
    # nearer (|x1| / √10 against |x1|)
    nearer = cells[("boundary", "median_perturbation")]
    assert nearer.candidate < 0.5 * nearer.baseline and nearer.verdict == "regression"
    assert ("moved", "median_perturbation") not in cells  # precomputed: no effort recorded
