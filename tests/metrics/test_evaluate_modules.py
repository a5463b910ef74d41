"""Every metric is an evaluate module that loads offline and calls the same function."""

from __future__ import annotations

from pathlib import Path

import evaluate
import numpy as np
import pytest

from assay.metrics.evaluate_module import metric_card, module_path, module_script
from assay.metrics.registry import METRICS, compute_metric


@pytest.mark.parametrize("name", list(METRICS))
def test_module_folder_is_current(name: str) -> None:
    folder = Path(module_path(name))
    info = METRICS.get(name)
    assert (folder / f"{name}.py").read_text() == module_script(info), (
        "regenerate with: python -m assay.metrics.evaluate_module"
    )
    assert (folder / "README.md").read_text() == metric_card(info)


@pytest.mark.parametrize("name", list(METRICS))
def test_module_loads_and_agrees(name: str) -> None:
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(3), size=60)
    labels = rng.integers(0, 3, size=60)
    groups = rng.choice(["a", "b", "c"], size=60)
    info = METRICS.get(name)
    module = evaluate.load(module_path(name))
    predictions = probs if info.input == "probabilities" else probs.argmax(axis=1)
    extra = {"sensitive_features": groups} if info.needs_groups else {}
    result = module.compute(predictions=predictions, references=labels, **extra)
    expected = compute_metric(name, labels, probs, sensitive_features=groups if extra else None)
    assert result[info.name] == pytest.approx(expected, abs=1e-12)


CUSTOM_MODULE = """
import datasets
import evaluate


class ErrorRate(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description="share of wrong predictions", citation="", inputs_description="",
            features=datasets.Features({"predictions": datasets.Value("int64"),
                                        "references": datasets.Value("int64")}),
        )

    def _compute(self, predictions, references):
        wrong = sum(p != r for p, r in zip(predictions, references))
        return {"error_rate": wrong / len(references), "count": len(references)}
"""


def test_suite_lists_evaluate_modules_as_extra_metrics(tmp_path: Path) -> None:
    import yaml

    from assay.runners.run import run_suite
    from assay.suites.loading import load_suite
    from tests.runners.test_run import tabular_suite

    (tmp_path / "error_rate").mkdir()
    (tmp_path / "error_rate" / "error_rate.py").write_text(CUSTOM_MODULE)
    suite_file = tabular_suite(tmp_path, "tests.runners.test_run:ReversedModel")
    suite = yaml.safe_load(suite_file.read_text())
    suite["metrics"] = [
        "accuracy",
        {"name": "errors", "evaluate": "error_rate", "higher_is_better": False},
        {
            "name": "assay_ece",
            "evaluate": module_path("ece"),
            "input": "probabilities",
            "params": {"n_bins": 5},
        },
    ]
    suite_file.write_text(yaml.safe_dump(suite))
    report = run_suite(load_suite(suite_file), cache_dir=None).report
    assert report.result("m", "d", "errors_error_rate").value == 0.0  # the model is exact
    assert report.result("m", "d", "errors_count").value == 4
    # every top-label confidence is 0.9 and every prediction right: ECE = 1 − 0.9
    assert report.result("m", "d", "assay_ece").value == pytest.approx(0.1, abs=1e-6)
