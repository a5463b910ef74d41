"""Broken suites fail before anything runs, naming the file, the key path and the value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from assay.demo import demo_suite_path
from assay.errors import ConfigError
from assay.suites.loading import load_suite
from assay.suites.schema import Suite


def write_suite(folder: Path, suite: dict) -> Path:
    (folder / "data.csv").write_text("x,y,label\n1,2,a\n3,4,b\n")
    path = folder / "suite.yaml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    return path


def minimal() -> dict:
    return {
        "name": "s",
        "version": "1",
        "models": [
            {
                "name": "m",
                "type": "python",
                "object": "assay.demo.models:UniformModel",
                "params": {"n_classes": 2},
            }
        ],
        "datasets": [
            {"name": "d", "source": {"type": "file", "path": "data.csv"}, "label": "label"}
        ],
    }


def test_minimal_suite_loads_with_defaults(tmp_path: Path) -> None:
    loaded = load_suite(write_suite(tmp_path, minimal()))
    assert [m.name for m in loaded.suite.metrics] == ["accuracy", "ece", "brier_score", "nll"]
    assert loaded.suite.datasets[0].kind == "in_distribution"
    assert len(loaded.content_hash) == 64


def test_demo_suites_load() -> None:
    for name in ("digits", "adult"):
        assert load_suite(demo_suite_path(name)).suite.models


def mutate(suite: dict, path: tuple, value: object) -> dict:
    target = suite
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return suite


BROKEN = [
    # (where to change, new value, key path in the message, text in the message, value shown)
    (("models", 0, "colour"), "red", "models[0].colour", "Extra inputs are not permitted", "red"),
    (("seed",), "zero", "seed", "valid integer", "zero"),
    (
        ("datasets", 0, "source", "path"),
        "missing.csv",
        "datasets[0].source.path",
        "not found",
        "missing.csv",
    ),
    (("metrics",), ["acuracy"], "metrics[0].name", "did you mean 'accuracy'", "acuracy"),
    (
        ("models", 0, "type"),
        "keras",
        "models[0]",
        "unknown model type 'keras'; known: ",
        "keras",
    ),
    (("datasets", 0, "kind"), "weird", "datasets[0].kind", "in_distribution", "weird"),
    (("name",), KeyError, "name", "required key is missing", ""),
    (
        ("metrics",),
        [{"name": "ece", "params": {"n_bins": 0}}],
        "metrics[0].params",
        "'n_bins' parameter of metric 'ece' must be an int >= 1",
        "{'n_bins': 0}",
    ),
    (
        ("datasets", 0, "source"),
        {"type": "sklearn", "loader": "load_digitz"},
        "datasets[0].source.loader",
        "did you mean 'load_digits'",
        "load_digitz",
    ),
    (
        ("gate",),
        {"tolerance": {"ecee": 0.02}},
        "gate.tolerance.ecee",
        "did you mean 'ece'",
        "",
    ),
    (
        ("gate",),
        {"must_not_regress": {"metrics": ["accuracy_diference"]}},
        "gate.must_not_regress.metrics[0]",
        "did you mean 'accuracy_difference'",
        "",
    ),
    (
        ("gate",),
        {"headline": {"dataset": "nope"}},
        "gate.headline.dataset",
        "unknown dataset 'nope'",
        "",
    ),
    (
        ("gate",),
        {"fail_on_underpowered": ["overall", "overal"]},
        "gate.fail_on_underpowered[1]",
        "unknown slice column 'overal'; did you mean 'overall'",
        "",
    ),
]


@pytest.mark.parametrize(("path", "value", "key_path", "text", "shown"), BROKEN)
def test_broken_suite_names_file_key_and_value(
    tmp_path: Path, path: tuple, value: object, key_path: str, text: str, shown: str
) -> None:
    file = write_suite(tmp_path, mutate(minimal(), path, value))
    with pytest.raises(ConfigError) as error:
        load_suite(file)
    message = str(error.value)
    assert message.startswith(f"{file}: {key_path}")
    assert text in message
    assert shown in message


def test_derived_dataset_rules(tmp_path: Path) -> None:
    suite = minimal()
    suite["datasets"].append(
        {"name": "noisy", "kind": "shifted", "from": "d", "shift": {"name": "gaussian_nois"}}
    )
    with pytest.raises(
        ConfigError, match=r"datasets\[1\]\.shift\.name.*did you mean 'gaussian_noise'"
    ):
        load_suite(write_suite(tmp_path, suite))
    suite["datasets"][1]["shift"] = {"name": "gaussian_noise", "params": {"severity": 9}}
    with pytest.raises(ConfigError, match=r"datasets\[1\]\.shift\.params.*severity"):
        load_suite(write_suite(tmp_path, suite))
    suite["datasets"][1] = {
        "name": "adv",
        "kind": "adversarial",
        "from": "nope",
        "attack": {"name": "fgsm", "params": {"eps": 0.1}},
    }
    with pytest.raises(ConfigError, match=r"datasets\[1\]\.from: unknown dataset 'nope'"):
        load_suite(write_suite(tmp_path, suite))
    suite["datasets"][1]["from"] = "d"
    suite["datasets"][1]["label"] = "label"
    with pytest.raises(ConfigError, match="inherits label"):
        load_suite(write_suite(tmp_path, suite))


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    suite = minimal()
    suite["models"].append(dict(suite["models"][0]))
    with pytest.raises(ConfigError, match=r"models\[1\]\.name: names must be unique \(got 'm'\)"):
        load_suite(write_suite(tmp_path, suite))


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: s\nmodels: [\n  - oops\n")
    with pytest.raises(ConfigError, match=r"broken\.yaml: line \d+, column \d+: invalid YAML"):
        load_suite(path)


def test_missing_suite_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="suite file not found"):
        load_suite(tmp_path / "nope.yaml")


def test_json_schema_lists_the_top_level_keys() -> None:
    schema = Suite.model_json_schema(by_alias=True)
    assert {"name", "version", "models", "datasets", "metrics", "slices"} <= set(
        schema["properties"]
    )
    json.dumps(schema)


def test_version_is_kept_as_written(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("x,label\n1,a\n2,b\n")
    text = yaml.safe_dump(minimal(), sort_keys=False).replace("version: '1'", "version: 1.10")
    (tmp_path / "s.yaml").write_text(text)
    assert "version: 1.10" in text
    assert load_suite(tmp_path / "s.yaml").suite.version == "1.10"


def test_a_leaking_feature_is_accepted_when_allowed(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("x,label\n1,a\n2,b\n")
    suite = minimal()
    suite["datasets"][0]["features"] = ["x", "label"]
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(suite))
    with pytest.raises(ConfigError, match="allow_leakage"):
        load_suite(tmp_path / "s.yaml")
    suite["datasets"][0]["allow_leakage"] = True
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(suite))
    assert load_suite(tmp_path / "s.yaml").suite.datasets[0].features == ["x", "label"]


@pytest.mark.parametrize("column", ["probs", "model", "training_data"])
def test_slices_and_sensitive_columns_may_not_take_a_predictions_column_name(
    tmp_path: Path, column: str
) -> None:
    (tmp_path / "data.csv").write_text(f"x,label,{column}\n1,0,a\n")
    sliced = {**minimal(), "slices": [column]}
    with pytest.raises(ConfigError, match=rf"slices\[0\]: '{column}' is a column assay writes"):
        load_suite(write_suite(tmp_path, sliced))
    sensitive = minimal()
    sensitive["datasets"][0]["sensitive"] = [column]
    with pytest.raises(ConfigError, match=r"datasets\[0\]\.sensitive\[0\]: .* rename the sens"):
        load_suite(write_suite(tmp_path, sensitive))
