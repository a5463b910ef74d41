"""Model type ``predictions`` (issue 11, item 3): a file of predictions made elsewhere is
matched to each dataset by example id and scores exactly what the model that made them
scores; missing, repeated and unknown ids, label files asked for calibration, and attacks
against it are refused with exit 2 and one line naming them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

from assay.errors import ConfigError, InvalidInputError, UserError
from assay.runners.run import RunOutput, run_suite
from assay.suites.loading import load_suite

DATASETS = [
    {
        "name": "digits",
        "source": {"type": "file", "path": "digits.csv"},
        "label": "digit",
        "id": "image_id",
        "partition": {"test_fraction": 0.3, "seed": 0},
    },
    {
        "name": "noisy",
        "kind": "shifted",
        "from": "digits",
        "shift": {"name": "gaussian_noise", "params": {"severity": 2}},
    },
]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Digits with ids as a CSV and a logistic regression saved with skops."""
    import skops.io

    folder = tmp_path_factory.mktemp("predictions")
    digits = load_digits()
    frame = pd.DataFrame(digits.data, columns=[f"p{i}" for i in range(64)])
    frame.insert(0, "image_id", [f"img-{i:04d}" for i in range(len(frame))])
    frame["digit"] = digits.target
    frame.to_csv(folder / "digits.csv", index=False)
    model = LogisticRegression(max_iter=200).fit(digits.data[:1000], digits.target[:1000])
    skops.io.dump(model, folder / "logreg.skops")
    return folder


def write_suite(folder: Path, name: str, models: list[dict], **extra: Any) -> Path:
    suite = {"name": name, "version": "1", "models": models, "datasets": DATASETS, **extra}
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    return path


def run(path: Path) -> RunOutput:
    return run_suite(load_suite(path), cache_dir=None)


@pytest.fixture(scope="module")
def native(project: Path) -> RunOutput:
    """The sklearn model run by assay: its predictions file is what another system made."""
    suite = write_suite(
        project, "native", [{"name": "m", "type": "sklearn", "path": "logreg.skops"}]
    )
    output = run(suite)
    pq.write_table(output.predictions, project / "native.parquet")
    return output


def values(output: RunOutput) -> dict[tuple[str, str, Any, Any], float]:
    return {(r.dataset, r.metric, r.slice, r.group): r.value for r in output.report.results}


def test_an_assay_predictions_file_scores_what_the_model_scored(
    project: Path, native: RunOutput
) -> None:
    models = [{"name": "m", "type": "predictions", "params": {"path": "native.parquet"}}]
    replayed = run(write_suite(project, "replayed", models))
    assert values(replayed) == values(native)
    fingerprint = replayed.report.models[0].fingerprint
    assert fingerprint != native.report.models[0].fingerprint


def test_one_file_per_dataset_with_class_columns_csv_and_shuffled_rows(
    project: Path, native: RunOutput
) -> None:
    frame = native.predictions.to_pandas()
    classes = [str(c) for c in range(10)]
    (project / "per_dataset").mkdir(exist_ok=True)
    for dataset, rows in frame.groupby("dataset"):
        wide = pd.DataFrame(np.stack(rows.probs.to_numpy()), columns=[f"p_{c}" for c in classes])
        wide.insert(0, "id", rows.example_id.to_numpy())
        wide.sample(frac=1.0, random_state=0).to_csv(
            project / "per_dataset" / f"{dataset}.csv", index=False
        )
    params = {"path": "per_dataset/{dataset}.csv", "id_column": "id", "class_columns": "p_{class}"}
    replayed = run(
        write_suite(project, "wide", [{"name": "m", "type": "predictions", "params": params}])
    )
    for key, value in values(native).items():
        assert values(replayed)[key] == pytest.approx(value, rel=1e-6, abs=1e-6), key


def test_logits_give_softmax_probabilities_and_energy_scores(
    project: Path, native: RunOutput
) -> None:
    frame = native.predictions.to_pandas()
    probs = np.stack(frame.probs.to_numpy()).astype(np.float64)
    logits = np.log(np.clip(probs, 1e-30, 1.0)) + 3.0  # any shift: softmax is the same
    table = pa.table(
        {
            "example_id": frame.example_id,
            "dataset": frame.dataset,
            "logits": pa.array(list(logits), pa.list_(pa.float64())),
        }
    )
    pq.write_table(table, project / "logits.parquet")
    params = {"path": "logits.parquet", "output": "logits"}
    replayed = run(
        write_suite(project, "logits", [{"name": "m", "type": "predictions", "params": params}])
    )
    for key, value in values(native).items():
        assert values(replayed)[key] == pytest.approx(value, rel=1e-5, abs=1e-5), key


def hard_label_file(project: Path, native: RunOutput) -> None:
    frame = native.predictions.to_pandas()
    labels = np.stack(frame.probs.to_numpy()).argmax(axis=1).astype(str)
    pd.DataFrame(
        {"example_id": frame.example_id, "dataset": frame.dataset, "label": labels}
    ).to_json(project / "labels.jsonl", orient="records", lines=True)


def test_hard_labels_score_label_metrics_and_calibration_is_refused(
    project: Path, native: RunOutput
) -> None:
    hard_label_file(project, native)
    models = [
        {"name": "m", "type": "predictions", "params": {"path": "labels.jsonl", "output": "labels"}}
    ]
    label_only = {"metrics": ["accuracy", "f1_macro"], "bias": {"metrics": ["accuracy"]}}
    replayed = run(write_suite(project, "labels", models, **label_only))
    frame = native.predictions.to_pandas()
    for dataset, rows in frame.groupby("dataset"):
        predicted = np.stack(rows.probs.to_numpy()).argmax(axis=1)
        oracle = {
            "accuracy": accuracy_score(rows.label, predicted),
            "f1_macro": f1_score(rows.label, predicted, average="macro"),
        }
        for metric, expected in oracle.items():
            found = values(replayed)[(dataset, metric, None, None)]
            assert found == pytest.approx(expected, abs=1e-12), (dataset, metric)
    with pytest.raises(
        ConfigError,
        match=r"metrics\[1\]: metric 'ece' needs probabilities, but model 'm' gives hard labels",
    ):
        load_suite(write_suite(project, "labels-ece", models, metrics=["accuracy", "ece"]))
    with pytest.raises(ConfigError, match=r"bias\.metrics\[1\]: metric 'ece'"):
        load_suite(write_suite(project, "labels-bias", models, metrics=["accuracy"]))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.iloc[5:], r"5 of the dataset's 539 ids are missing, first 'img-"),
        (lambda f: pd.concat([f, f.iloc[[3]]]), r"ids given more than once: 'img-"),
        (
            lambda f: pd.concat([f, f.iloc[[0]].assign(example_id="stranger")]),
            r"1 id is not in the dataset, first 'stranger'",
        ),
    ],
    ids=["missing", "duplicated", "extra"],
)
def test_missing_duplicated_and_extra_ids_are_named(
    project: Path, native: RunOutput, change: Any, message: str
) -> None:
    frame = native.predictions.to_pandas()
    frame = frame[frame.dataset == "digits"]
    (project / "bad").mkdir(exist_ok=True)
    change(frame).to_parquet(project / "bad" / "digits.parquet")
    change(native.predictions.to_pandas().query("dataset == 'noisy'")).to_parquet(
        project / "bad" / "noisy.parquet"
    )
    params = {"path": "bad/{dataset}.parquet"}
    suite = write_suite(
        project, "bad-ids", [{"name": "m", "type": "predictions", "params": params}]
    )
    with pytest.raises(InvalidInputError, match=message):
        run(suite)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "assay",
            "run",
            str(suite),
            "--no-cache",
            "--store",
            str(project / "store"),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2, done.stderr
    error = done.stderr.strip().splitlines()[-1]  # progress lines come before it
    assert error.startswith("error: ") and "models[0]" in error and "'digits'" in error, error
    assert "Traceback" not in done.stderr
    assert not (project / "store").exists() or not any((project / "store").iterdir())


def test_one_file_without_a_dataset_column_cannot_serve_a_shifted_set(
    project: Path, native: RunOutput
) -> None:
    frame = native.predictions.to_pandas().query("dataset == 'digits'").drop(columns=["dataset"])
    frame.to_parquet(project / "clean_only.parquet")
    models = [{"name": "m", "type": "predictions", "params": {"path": "clean_only.parquet"}}]
    with pytest.raises(
        ConfigError, match=r"'noisy' is derived from 'digits' with the same example ids"
    ):
        run(write_suite(project, "ambiguous", models))


def test_attacks_crafted_by_assay_are_refused(project: Path, native: RunOutput) -> None:
    pq.write_table(native.predictions, project / "attacked.parquet")
    datasets = [
        DATASETS[0],
        {
            "name": "fgsm",
            "kind": "adversarial",
            "from": "digits",
            "attack": {"name": "fgsm", "params": {"eps": 0.1}},
        },
    ]
    suite = {
        "name": "attacked",
        "version": "1",
        "models": [{"name": "m", "type": "predictions", "params": {"path": "attacked.parquet"}}],
        "datasets": datasets,
    }
    path = project / "attacked.yaml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    with pytest.raises(
        UserError,
        match=r"attack 'fgsm' makes new inputs, but the model's predictions were made elsewhere",
    ):
        run(path)


def test_the_fingerprint_is_the_files_hash(project: Path, native: RunOutput) -> None:
    from assay.runners.adapters import load_model
    from assay.suites.schema import PluginModelSpec

    def fingerprint(**params: Any) -> str:
        spec = PluginModelSpec.model_validate(
            {"name": "m", "type": "predictions", "params": params}
        )
        return load_model(spec, project).fingerprint

    pq.write_table(native.predictions, project / "fp.parquet")
    first = fingerprint(path="fp.parquet")
    assert fingerprint(path="fp.parquet") == first
    assert fingerprint(path="fp.parquet", output="logits") != first
    pq.write_table(native.predictions.slice(1), project / "fp.parquet")
    assert fingerprint(path="fp.parquet") != first
    with pytest.raises(ConfigError, match=r"params\.path: cannot read 'nowhere.parquet'"):
        fingerprint(path="nowhere.parquet")


def test_a_missing_id_column_or_values_column_is_named(project: Path, native: RunOutput) -> None:
    pq.write_table(native.predictions, project / "named.parquet")
    for params, message in (
        ({"id_column": "row"}, r"params\.id_column: named\.parquet has no column 'row'"),
        ({"column": "scores"}, r"params\.column: named\.parquet has no column 'scores'"),
        (
            {"class_columns": "p_{class}"},
            r"params\.class_columns: named\.parquet has no column 'p_0'",
        ),
    ):
        models = [
            {"name": "m", "type": "predictions", "params": {"path": "named.parquet", **params}}
        ]
        with pytest.raises(ConfigError, match=message):
            run(write_suite(project, "named", models))


def test_an_evaluate_module_of_probabilities_is_refused_for_hard_labels(project: Path) -> None:
    models = [
        {"name": "m", "type": "predictions", "params": {"path": "x.jsonl", "output": "labels"}}
    ]
    metrics = ["accuracy", {"name": "mine", "evaluate": "mine", "input": "probabilities"}]
    with pytest.raises(ConfigError, match=r"metrics\[1\]: metric 'mine' needs probabilities"):
        load_suite(
            write_suite(
                project, "labels-evaluate", models, metrics=metrics, bias={"metrics": ["accuracy"]}
            )
        )
