"""Bad data files, model files and model outputs (see :mod:`tests.hardening.cases`)."""

from __future__ import annotations

import numpy as np

from tests.hardening.workspace import (
    Case,
    both,
    data_file,
    factory,
    plugin_model,
    python_model,
    python_source,
    removing,
    save_wide_net,
    setting,
    sklearn_model,
    torch_model,
    two_rows,
)

CSV = "id,x1,x2,group,label\n"

DATA_CASES = [
    Case(
        "data-missing-file",
        setting(("datasets", 0, "source", "path"), "nowhere.csv"),
        "nowhere.csv",
    ),
    Case(
        "data-is-folder",
        lambda s, f: (
            (f / "dir.csv").mkdir() or setting(("datasets", 0, "source", "path"), "dir.csv")(s, f)
        ),
        "dir.csv",
    ),
    Case("csv-empty", data_file("empty.csv", b""), "empty.csv"),
    Case("csv-header-only", data_file("header.csv", CSV.encode()), "header.csv"),
    Case(
        "csv-ragged",
        data_file("ragged.csv", (CSV + "e0,1,2,g1,a\ne1,1,2\ne2,1,2,g1,a,9,9\n").encode()),
        "ragged.csv",
    ),
    Case("csv-binary-garbage", data_file("garbage.csv", bytes(range(256)) * 8), "garbage.csv"),
    Case(
        "csv-invalid-utf8",
        data_file("latin.csv", (CSV + "e0,1,2,g\xe9,a\n").encode("latin-1")),
        "latin.csv",
    ),
    Case(
        "csv-truncated-quote",
        data_file("quote.csv", (CSV + 'e0,1,2,"g1,a\n').encode()),
        "quote.csv",
    ),
    Case("parquet-garbage", data_file("bad.parquet", b"PAR1 not really parquet"), "bad.parquet"),
    Case("parquet-empty", data_file("empty.parquet", b""), "empty.parquet"),
    Case(
        "parquet-truncated",
        lambda s, f: data_file("cut.parquet", (f / "data.parquet").read_bytes()[:300])(s, f),
        "cut.parquet",
    ),
    Case(
        "parquet-holding-csv",
        data_file("csv.parquet", (CSV + "e0,1,2,g1,a\n").encode()),
        "csv.parquet",
    ),
    Case("json-holding-csv", data_file("csv.json", (CSV + "e0,1,2,g1,a\n").encode()), "csv.json"),
    Case("json-broken", data_file("broken.jsonl", b'{"id": "e0", "x1": 1,\n'), "broken.jsonl"),
    Case("json-empty", data_file("empty.jsonl", b""), "empty.jsonl"),
    Case(
        "csv-declared-parquet",
        data_file("real.csv", (CSV + "e0,1,2,g1,a\n").encode(), "parquet"),
        "real.csv",
    ),
    Case("unknown-extension", data_file("data.txt", (CSV + "e0,1,2,g1,a\n").encode()), "data.txt"),
    Case("no-extension", data_file("data", (CSV + "e0,1,2,g1,a\n").encode()), "data"),
    Case("label-column-missing", setting(("datasets", 0, "label"), "target"), "target"),
    Case("feature-column-missing", setting(("datasets", 0, "features"), ["x1", "x9"]), "x9"),
    Case("id-column-missing", setting(("datasets", 0, "id"), "key"), "key"),
    Case("sensitive-column-missing", setting(("datasets", 0, "sensitive"), ["sex"]), "sex"),
    Case(
        "duplicate-ids",
        two_rows(id=["a", "a"]),
        "'a'",
    ),
    Case(
        "missing-labels",
        two_rows(label=["a", None]),
        "label",
    ),
    Case(
        "missing-features",
        two_rows(x1=[1.0, None]),
        "x1",
    ),
    Case("label-not-declared", setting(("datasets", 0, "classes"), ["a", "c"]), "classes"),
    Case(
        "text-feature-array-model",
        setting(("datasets", 0, "features"), ["x1", "group"]),
        "group",
    ),
    Case(
        "empty-after-partition",
        setting(("datasets", 0, "partition"), {"test_fraction": 0.001}),
        "partition",
    ),
    Case(
        "empty-python-source",
        python_source("empty_source"),
        "empty",
    ),
    Case(
        "sklearn-loader-unknown",
        setting(("datasets", 0, "source"), {"type": "sklearn", "loader": "load_mnist"}),
        "load_mnist",
    ),
    Case(
        "sklearn-loader-bad-param",
        setting(
            ("datasets", 0, "source"),
            {"type": "sklearn", "loader": "load_digits", "params": {"n_digits": 3}},
        ),
        "n_digits",
    ),
    Case(
        "python-source-not-found",
        setting(
            ("datasets", 0, "source"),
            {"type": "python", "callable": "tests.hardening.nowhere:make"},
        ),
        "tests.hardening.nowhere",
    ),
    Case(
        "python-source-attribute-missing",
        python_source("nothing"),
        "nothing",
    ),
    Case(
        "python-source-bad-params",
        python_source("frame_source", cols=3),
        "cols",
    ),
    Case(
        "python-source-returns-int",
        python_source("int_source"),
        "int",
    ),
    Case(
        "python-source-raises",
        python_source("failing_source"),
        "the warehouse is down",
    ),
    Case(
        "hub-offline",
        setting(("datasets", 0, "source"), {"type": "hub", "path": "nobody/nothing"}),
        "nobody/nothing",
    ),
]

SAFETENSORS_GARBAGE = b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all}"

MODEL_CASES = [
    Case("torch-checkpoint-missing", torch_model("none.safetensors"), "none.safetensors"),
    Case("safetensors-garbage", torch_model("g.safetensors", SAFETENSORS_GARBAGE), "g.safetensors"),
    Case("safetensors-empty", torch_model("e.safetensors", b""), "e.safetensors"),
    Case(
        "safetensors-truncated",
        lambda s, f: torch_model("t.safetensors", (f / "small.safetensors").read_bytes()[:60])(
            s, f
        ),
        "t.safetensors",
    ),
    Case(
        "safetensors-huge-header",
        torch_model("h.safetensors", b"\xff" * 8 + b"{}"),
        "h.safetensors",
    ),
    Case("pt-garbage", torch_model("g.pt", b"this is not a torch file at all"), "g.pt"),
    Case("pt-empty", torch_model("e.pt", b""), "e.pt"),
    Case(
        "pt-wrong-architecture",
        factory("net_of_width_seven"),
        "small.safetensors",
    ),
    Case(
        "torch-factory-not-found",
        factory("tests.hardening.nowhere:net"),
        "tests.hardening.nowhere",
    ),
    Case(
        "torch-factory-attribute-missing",
        factory("no_net"),
        "no_net",
    ),
    Case(
        "torch-factory-bad-params", torch_model("small.safetensors", params={"width": 3}), "width"
    ),
    Case(
        "torch-factory-missing-param",
        factory("needs_width"),
        "width",
    ),
    Case(
        "torch-factory-not-module",
        factory("not_a_module"),
        "not_a_module",
    ),
    Case(
        "torch-input-width-mismatch",
        both(factory("net_of_width_seven", "wide.safetensors"), save_wide_net),
        "'m'",
    ),
    Case("torch-bad-output-kind", torch_model("small.safetensors", output="scores"), "scores"),
    Case("torch-bad-device", torch_model("small.safetensors", device="tpu"), "tpu"),
    Case("sklearn-file-missing", sklearn_model("none.skops"), "none.skops"),
    Case("skops-garbage", sklearn_model("g.skops", b"garbage bytes, not a zip"), "g.skops"),
    Case("skops-empty", sklearn_model("e.skops", b""), "e.skops"),
    Case(
        "skops-zip-without-schema",
        sklearn_model("z.skops", b"PK\x05\x06" + b"\x00" * 18),
        "z.skops",
    ),
    Case("pickle-untrusted", sklearn_model("m.pkl", b"\x80\x04K\x01."), "m.pkl"),
    Case("joblib-untrusted", sklearn_model("m.joblib", b"\x80\x04K\x01."), "m.joblib"),
    Case("pickle-trusted-garbage", sklearn_model("t.pkl", b"not a pickle", trusted=True), "t.pkl"),
    Case(
        "pickle-trusted-not-estimator",
        sklearn_model("n.pkl", b"\x80\x04K\x01.", trusted=True),
        "n.pkl",
    ),
    Case("sklearn-unknown-suffix", sklearn_model("model.onnx", b"onnx"), "model.onnx"),
    Case("sklearn-input-unknown", sklearn_model("m.skops", input="tensor"), "tensor"),
    Case(
        "python-object-not-found",
        setting(("models", 0, "object"), "tests.hardening.nowhere:M"),
        "tests.hardening.nowhere",
    ),
    Case(
        "python-object-attr-missing",
        setting(("models", 0, "object"), "assay.demo.models:Nope"),
        "Nope",
    ),
    Case("python-object-bad-import-path", setting(("models", 0, "object"), "not a path"), "object"),
    Case("python-object-bad-params", setting(("models", 0, "params"), {"classes": 2}), "classes"),
    Case("python-object-missing-param", removing(("models", 0, "params")), "n_classes"),
    Case(
        "python-object-no-predict-proba",
        both(
            setting(("models", 0, "object"), "tests.hardening.hostile_models:frame_source"),
            setting(("models", 0, "params"), {}),
        ),
        "predict_proba",
    ),
    Case(
        "python-params-not-callable",
        setting(("models", 0, "object"), "assay.demo.models:__doc__"),
        "__doc__",
    ),
]

IDS = [f"e{i}" for i in range(40)]


def _predictions_csv(rows: list[str], probs: str = '"[0.3, 0.7]"', column: str = "probs") -> bytes:
    return ("\n".join([f"example_id,{column}", *(f"{i},{probs}" for i in rows)]) + "\n").encode()


def _predictions(content: bytes, name: str = "p.csv", **params: object) -> object:
    return plugin_model("predictions", {name: content}, path=name, **params)


PRECOMPUTED_CASES = [
    Case(
        "predictions-file-missing", plugin_model("predictions", path="none.parquet"), "none.parquet"
    ),
    Case("predictions-parquet-garbage", _predictions(b"not parquet", "g.parquet"), "g.parquet"),
    Case("predictions-csv-empty", _predictions(b""), "p.csv"),
    Case("predictions-unknown-suffix", _predictions(b"x", "p.txt"), "p.txt"),
    Case("predictions-ids-missing", _predictions(_predictions_csv(IDS[:10])), "'e10'"),
    Case("predictions-id-twice", _predictions(_predictions_csv([*IDS, "e3"])), "'e3'"),
    Case("predictions-extra-id", _predictions(_predictions_csv([*IDS, "e99"])), "'e99'"),
    Case("predictions-nan", _predictions(_predictions_csv(IDS, '"[nan, 0.5]"')), "NaN"),
    Case("predictions-not-numbers", _predictions(_predictions_csv(IDS, '"[a, b]"')), "probs"),
    Case(
        "predictions-ragged",
        _predictions(
            _predictions_csv(IDS[:20]) + "".join(f'{i},"[1.0]"\n' for i in IDS[20:]).encode()
        ),
        "lengths",
    ),
    Case(
        "predictions-too-many-classes",
        _predictions(_predictions_csv(IDS, '"[0.2, 0.3, 0.5]"')),
        "classes",
    ),
    Case(
        "predictions-no-id-column",
        _predictions(_predictions_csv(IDS), id_column="row"),
        "id_column",
    ),
    Case(
        "predictions-unknown-label",
        both(
            _predictions(_predictions_csv(IDS, "c", column="label"), output="labels"),
            setting(("metrics",), ["accuracy"]),
            setting(("bias",), {"metrics": ["accuracy"]}),
        ),
        "'c'",
    ),
    Case(
        "predictions-labels-asked-for-ece",
        _predictions(_predictions_csv(IDS, "a", column="label"), output="labels"),
        "needs probabilities",
    ),
    Case("predictions-bad-output", _predictions(b"", output="scores"), "'scores'"),
    Case(
        "transformers-no-config",
        plugin_model("transformers", {"tf/model.safetensors": b"x"}, path="tf", text="x1"),
        "config.json",
    ),
    Case(
        "transformers-config-garbage",
        plugin_model(
            "transformers",
            {"tf/config.json": b"{not json", "tf/model.safetensors": b"x"},
            path="tf",
            text="x1",
        ),
        "config.json",
    ),
    Case(
        "transformers-weights-garbage",
        plugin_model(
            "transformers",
            {"tf/config.json": b'{"model_type": "bert"}', "tf/model.safetensors": b"garbage"},
            path="tf",
            text="x1",
        ),
        "'tf'",
    ),
    Case(
        "transformers-pickle-untrusted",
        plugin_model(
            "transformers", {"tf/pytorch_model.bin": b"\x80\x04K\x01."}, path="tf", text="x1"
        ),
        "trusted: true",
    ),
    Case(
        "transformers-hub-unpinned",
        plugin_model("transformers", path="org/model", text="x1"),
        "revision",
    ),
    Case(
        "transformers-no-input-column",
        plugin_model("transformers", path="org/model", revision="a"),
        "text",
    ),
]

OUTPUT_CASES = [
    Case(f"output-{mode}", python_model(mode), "'m'")
    for mode in (
        "nan",
        "inf",
        "negative",
        "above_one",
        "unnormalised",
        "too_many_classes",
        "too_few_rows",
        "one_dimensional",
        "strings",
        "ragged",
        "none",
        "dict",
        "object_rows",
        "three_dimensional",
        "complex",
        "raises",
    )
] + [
    Case("output-wrong-class-count", setting(("models", 0, "params"), {"n_classes": 3}), "classes"),
    Case(
        "model-rejects-width",
        both(
            setting(("models", 0, "object"), "tests.hardening.hostile_models:WideInput"),
            removing(("models", 0, "params")),
        ),
        "expects 7",
    ),
    Case(
        "model-rejects-inf-features",
        both(
            two_rows(x1=[1.0, np.inf]),
            setting(("models", 0, "object"), "tests.hardening.hostile_models:FiniteOnly"),
            removing(("models", 0, "params")),
        ),
        "infinity",
    ),
]
