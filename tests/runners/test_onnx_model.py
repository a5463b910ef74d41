"""Model type ``onnx`` (issue 11, item 2): a scikit-learn model exported with skl2onnx gives
the predictions the sklearn adapter gives; a hand-built logits graph gives numpy's softmax;
bad files and settings exit 2 naming the key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
skl2onnx = pytest.importorskip("skl2onnx")

from onnx import TensorProto, helper  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from assay.errors import ConfigError  # noqa: E402
from assay.runners.adapters import load_model  # noqa: E402
from assay.suites.schema import PluginModelSpec  # noqa: E402


def onnx_spec(**params: object) -> PluginModelSpec:
    return PluginModelSpec.model_validate({"name": "exported", "type": "onnx", "params": params})


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Digits as a CSV, a logistic regression saved with skops and exported to ONNX (with
    probabilities as a plain matrix, and once with skl2onnx's default ZipMap)."""
    import skops.io

    folder = tmp_path_factory.mktemp("onnx")
    digits = load_digits()
    features = digits.data.astype(np.float32)
    frame = pd.DataFrame(features, columns=[f"p{i}" for i in range(features.shape[1])])
    frame["digit"] = digits.target
    frame.to_csv(folder / "digits.csv", index=False)
    model = LogisticRegression(max_iter=300).fit(features[:1000], digits.target[:1000])
    skops.io.dump(model, folder / "logreg.skops")
    inputs = [("features", skl2onnx.common.data_types.FloatTensorType([None, 64]))]
    plain = skl2onnx.convert_sklearn(model, initial_types=inputs, options={"zipmap": False})
    (folder / "logreg.onnx").write_bytes(plain.SerializeToString())
    zipped = skl2onnx.convert_sklearn(model, initial_types=inputs)
    (folder / "zipmap.onnx").write_bytes(zipped.SerializeToString())
    return folder


def linear_logits_graph(weights: np.ndarray, bias: np.ndarray) -> onnx.ModelProto:
    """x (N × D) → x @ W + b: logits, by hand."""
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "W"], ["xw"]),
            helper.make_node("Add", ["xw", "b"], ["logits"]),
        ],
        "linear",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, weights.shape[0]])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [None, weights.shape[1]])],
        initializer=[
            onnx.numpy_helper.from_array(weights.astype(np.float32), "W"),
            onnx.numpy_helper.from_array(bias.astype(np.float32), "b"),
        ],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_an_exported_sklearn_model_predicts_what_the_sklearn_adapter_does(project: Path) -> None:
    suite = {
        "name": "onnx-vs-sklearn",
        "version": "1",
        "models": [
            {"name": "native", "type": "sklearn", "path": "logreg.skops"},
            {"name": "exported", "type": "onnx", "params": {"path": "logreg.onnx"}},
        ],
        "datasets": [
            {
                "name": "digits",
                "source": {"type": "file", "path": "digits.csv"},
                "label": "digit",
                "partition": {"test_fraction": 0.3, "seed": 0},
            }
        ],
        "metrics": ["accuracy", "ece"],
    }
    (project / "suite.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    from assay.runners.run import run_suite
    from assay.suites.loading import load_suite

    output = run_suite(load_suite(project / "suite.yaml"), cache_dir=None)
    frame = output.predictions.to_pandas()
    native = np.stack(frame[frame.model == "native"].probs.to_numpy())
    exported = np.stack(frame[frame.model == "exported"].probs.to_numpy())
    assert native.shape == exported.shape and native.shape[0] > 500
    np.testing.assert_allclose(exported, native, atol=1e-5)
    assert (exported.argmax(axis=1) == native.argmax(axis=1)).all()
    fingerprints = {c.model: c for c in output.report.cells}
    assert fingerprints.keys() == {"native", "exported"}


def test_a_logits_graph_gives_softmax_probabilities_and_its_logits(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    weights, bias = rng.normal(size=(5, 3)), rng.normal(size=3)
    (tmp_path / "linear.onnx").write_bytes(linear_logits_graph(weights, bias).SerializeToString())
    adapter = load_model(onnx_spec(path="linear.onnx", output="logits"), tmp_path)
    x = rng.normal(size=(7, 5)).astype(np.float32)
    logits = x.astype(np.float64) @ weights.astype(np.float32) + bias.astype(np.float32)
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(adapter.predict_proba(x), expected, atol=1e-6)
    assert adapter.gives_logits  # type: ignore[attr-defined]
    np.testing.assert_allclose(adapter.predict_logits(x, 3), logits, atol=1e-5)  # type: ignore[attr-defined]


def test_the_fingerprint_follows_the_file_and_the_settings(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    path = tmp_path / "linear.onnx"
    path.write_bytes(linear_logits_graph(rng.normal(size=(2, 2)), np.zeros(2)).SerializeToString())
    first = load_model(onnx_spec(path="linear.onnx", output="logits"), tmp_path).fingerprint
    as_probabilities = load_model(onnx_spec(path="linear.onnx"), tmp_path).fingerprint
    path.write_bytes(linear_logits_graph(rng.normal(size=(2, 2)), np.zeros(2)).SerializeToString())
    changed = load_model(onnx_spec(path="linear.onnx", output="logits"), tmp_path).fingerprint
    assert len({first, as_probabilities, changed}) == 3


def test_bad_files_and_settings_name_the_key(project: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"params\.path: cannot read .*missing\.onnx"):
        load_model(onnx_spec(path="missing.onnx"), tmp_path)
    (tmp_path / "broken.onnx").write_bytes(b"not a graph")
    broken = load_model(onnx_spec(path="broken.onnx"), tmp_path)
    with pytest.raises(ConfigError, match=r"params\.path: cannot load .*broken\.onnx"):
        broken.predict_proba(np.zeros((1, 3), np.float32))
    zipped = load_model(
        onnx_spec(path=str(project / "zipmap.onnx"), output_name="output_probability"), tmp_path
    )
    with pytest.raises(ConfigError, match=r"list of maps.*zipmap"):
        zipped.predict_proba(np.zeros((2, 64), np.float32))
    wrong = load_model(onnx_spec(path=str(project / "logreg.onnx"), input_name="pixels"), tmp_path)
    with pytest.raises(
        ConfigError, match=r"params\.input_name: the graph's inputs are \['features'\]"
    ):
        wrong.predict_proba(np.zeros((2, 64), np.float32))


def test_a_suite_with_a_bad_onnx_setting_exits_2_naming_it(project: Path) -> None:
    suite = {
        "name": "bad-onnx",
        "version": "1",
        "models": [
            {
                "name": "exported",
                "type": "onnx",
                "params": {"path": "logreg.onnx", "output": "x"},
            }
        ],
        "datasets": [
            {"name": "digits", "source": {"type": "file", "path": "digits.csv"}, "label": "digit"}
        ],
    }
    (project / "bad.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    done = subprocess.run(
        [sys.executable, "-m", "assay", "validate", "--no-data", str(project / "bad.yaml")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2, done.stderr
    assert "models[0]" in done.stderr and "output" in done.stderr and "'x'" in done.stderr


def test_the_module_imported_under_a_second_name_registers_once() -> None:
    """pytest's doctest collection imports runners/onnx_model.py as ``runners.onnx_model``
    beside ``assay.runners.onnx_model``: the same definition is not registered twice, and
    another builder under the same name is still refused."""
    import importlib.util

    import assay.runners.onnx_model as module
    from assay.suites.model_types import MODEL_TYPES, register_model_type

    assert MODEL_TYPES.get("onnx").build.__qualname__ == "build_onnx"
    spec = importlib.util.spec_from_file_location("onnx_model_again", module.__file__)
    assert spec is not None and spec.loader is not None
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    assert "onnx" in MODEL_TYPES.names()
    with pytest.raises(ValueError, match="already registered"):
        register_model_type("onnx", description="", params={})(lambda spec, base: None)


def test_a_pipeline_exported_with_one_input_per_column_predicts_what_sklearn_does(
    tmp_path: Path,
) -> None:
    """The Adult demo's pipeline (one-hot categories + scaled numbers + logistic regression)
    exported by skl2onnx with one named input per feature column, fed with input: dataframe."""
    import shutil

    import skops.io
    from pandas.api.types import is_numeric_dtype
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    from assay.demo import demo_suite_path

    demo = yaml.safe_load(demo_suite_path("adult").read_text())
    here = demo_suite_path("adult").parent
    shutil.copy(here / "adult_sample.csv", tmp_path / "adult_sample.csv")
    shutil.copy(here / "adult_logreg.skops", tmp_path / "adult_logreg.skops")
    pipeline = skops.io.load(
        here / "adult_logreg.skops",
        trusted=skops.io.get_untrusted_types(file=here / "adult_logreg.skops"),
    )
    features = demo["datasets"][0]["features"]
    frame = pd.read_csv(here / "adult_sample.csv")
    inputs = [
        (
            c,
            FloatTensorType([None, 1])
            if is_numeric_dtype(frame[c])
            else StringTensorType([None, 1]),
        )
        for c in features
    ]
    exported = skl2onnx.convert_sklearn(pipeline, initial_types=inputs, options={"zipmap": False})
    (tmp_path / "adult.onnx").write_bytes(exported.SerializeToString())
    suite = {
        "name": "adult-onnx",
        "version": "1",
        "models": [
            {
                "name": "native",
                "type": "sklearn",
                "path": "adult_logreg.skops",
                "input": "dataframe",
            },
            {
                "name": "exported",
                "type": "onnx",
                "params": {"path": "adult.onnx"},
                "input": "dataframe",
            },
        ],
        "datasets": [demo["datasets"][0]],
        "metrics": ["accuracy", "ece"],
        "intervals": {"method": "none"},
    }
    (tmp_path / "suite.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    from assay.runners.run import run_suite
    from assay.suites.loading import load_suite

    output = run_suite(load_suite(tmp_path / "suite.yaml"), cache_dir=None)
    predictions = output.predictions.to_pandas()
    native = np.stack(predictions[predictions.model == "native"].probs.to_numpy())
    onnx_probs = np.stack(predictions[predictions.model == "exported"].probs.to_numpy())
    assert native.shape == (3000, 2)
    np.testing.assert_allclose(onnx_probs, native, atol=1e-5)
    suite["models"][1]["params"] = {"path": "logreg_features.onnx"}
    wrong = [("pixels", FloatTensorType([None, 1]))]
    from sklearn.linear_model import LogisticRegression

    small = LogisticRegression().fit(np.arange(10.0).reshape(-1, 1), [0, 1] * 5)
    (tmp_path / "logreg_features.onnx").write_bytes(
        skl2onnx.convert_sklearn(
            small, initial_types=wrong, options={"zipmap": False}
        ).SerializeToString()
    )
    (tmp_path / "suite.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    with pytest.raises(ConfigError, match=r"the graph's input 'pixels' names no feature column"):
        run_suite(load_suite(tmp_path / "suite.yaml"), cache_dir=None)
