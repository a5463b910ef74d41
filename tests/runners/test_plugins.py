"""A plugin package (tests/plugin_package, found through its entry points) adds a metric,
a shift and a model type without touching assay's source; a suite uses all three, and
intervals, compare cells, the gate and `assay plugins` pick them up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

REPOSITORY = Path(__file__).resolve().parents[2]
PLUGIN = REPOSITORY / "tests" / "plugin_package"
pytestmark = pytest.mark.slow


def assay(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PLUGIN), str(REPOSITORY)])}
    return subprocess.run(
        [sys.executable, "-m", "assay", *args], cwd=cwd, env=env, capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("plugin")
    rng = pd.Series(range(300))
    pd.DataFrame(
        {"x": (rng % 7).astype(float), "label": (rng % 3 == 0).map({True: "a", False: "b"})}
    ).to_csv(folder / "data.csv", index=False)
    suite = {
        "name": "plugged",
        "version": "1",
        "models": [
            {
                "name": "m",
                "type": "python",
                "object": "tests.hardening.hostile_models:RandomConfidence",
            },
            {"name": "flat", "type": "constant", "params": {"first_class": 0.3}},
        ],
        "datasets": [
            {"name": "d", "source": {"type": "file", "path": "data.csv"}, "label": "label"},
            {
                "name": "scaled",
                "kind": "shifted",
                "from": "d",
                "shift": {"name": "feature_scale", "params": {"factor": 3.0}},
            },
        ],
        "metrics": ["accuracy", "true_class_probability"],
        "gate": {"tolerance": {"true_class_probability": 0.05}},
    }
    (folder / "suite.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    return folder


def test_plugins_are_listed(project: Path) -> None:
    shown = assay("plugins", cwd=project)
    assert shown.returncode == 0, shown.stderr
    assert "true_class_probability" in shown.stdout and "feature_scale" in shown.stdout
    assert "model type" in shown.stdout and "constant" in shown.stdout
    assert "assay-example-plugin" in shown.stdout
    assert "true_class_probability" in assay("metrics", cwd=project).stdout


def test_a_suite_uses_the_plugin_metric_and_shift(project: Path) -> None:
    for _ in range(2):
        done = assay("run", "suite.yaml", "--store", "store", "--no-cache", cwd=project)
        assert done.returncode == 0, done.stderr
    (folder, *_) = sorted((project / "store").iterdir())
    report = json.loads((folder / "report.json").read_text())
    found = [r for r in report["results"] if r["metric"] == "true_class_probability"]
    assert {(r["model"], r["dataset"]) for r in found} == {
        (m, d) for m in ("m", "flat") for d in ("d", "scaled")
    }
    flat = next(r for r in found if r["model"] == "flat" and r["dataset"] == "d")
    labels = pd.read_csv(project / "data.csv")["label"]
    expected = ((labels == "a") * 0.3 + (labels == "b") * 0.7).mean()
    assert abs(flat["value"] - expected) < 1e-7  # predictions are stored as float32
    assert all(r["ci_method"] == "bca" and r["ci_low"] <= r["value"] for r in found)
    compared = assay(
        "compare", folder.name, "latest", "--store", "store", "--output", "cmp",
        "--baseline-model", "flat", "--candidate-model", "flat", cwd=project,
    )  # fmt: skip
    assert compared.returncode == 0, compared.stderr
    cells = json.loads((project / "cmp" / "comparison.json").read_text())["cells"]
    plugged = [c for c in cells if c["metric"] == "true_class_probability"]
    assert plugged and all(c["delta"] == 0 for c in plugged)
    gated = assay("gate", "suite.yaml", "--baseline", folder.name, "--store", "store",
                  "--no-cache", cwd=project)  # fmt: skip
    assert gated.returncode == 0, gated.stdout + gated.stderr
    assert "true_class_probability" in gated.stdout


def test_plugin_model_params_are_checked_at_load(project: Path) -> None:
    suite = yaml.safe_load((project / "suite.yaml").read_text())
    suite["models"][1]["params"] = {"first_class": 2}
    (project / "bad_model.yaml").write_text(yaml.safe_dump(suite))
    done = assay("validate", "bad_model.yaml", "--no-data", cwd=project)
    assert done.returncode == 2
    assert "models[1].params" in done.stderr and "'first_class'" in done.stderr


def test_the_plugin_shift_declares_its_params(project: Path) -> None:
    suite = yaml.safe_load((project / "suite.yaml").read_text())
    suite["datasets"][1]["shift"]["params"] = {"factor": -1}
    (project / "bad.yaml").write_text(yaml.safe_dump(suite))
    done = assay("validate", "bad.yaml", cwd=project)
    assert done.returncode == 2
    assert "The 'factor' parameter of shift 'feature_scale' must be a number > 0" in done.stderr


def test_the_plugin_metric_is_an_evaluate_module(project: Path, tmp_path: Path) -> None:
    code = (
        "import evaluate\n"
        "from assay.metrics.evaluate_module import module_path\n"
        "metric = evaluate.load(module_path('true_class_probability'))\n"
        "print(metric.compute(predictions=[[0.2, 0.8], [0.9, 0.1]], references=[1, 0]))\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(PLUGIN), str(REPOSITORY)]),
        "ASSAY_EVALUATE_MODULES": str(tmp_path / "modules"),
    }
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=project, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "'true_class_probability': 0.85" in done.stdout
    assert (tmp_path / "modules" / "true_class_probability" / "README.md").is_file()
