"""A table of malformed suites, data files, model files and model outputs.

Each case starts from a small working suite (see :func:`make_workspace`) and breaks one
thing; ``expect`` is a piece of text the one-line error must contain (the file, key or
value at fault).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from tests.suites.test_loading import minimal

Suite = dict[str, Any]
Mutation = Callable[[Suite, Path], str | None]


@dataclass(frozen=True)
class Case:
    """One bad input: ``mutate`` edits the suite dict (or returns the suite text itself)."""

    id: str
    mutate: Mutation
    expect: str


N_ROWS = 40


def make_workspace(folder: Path) -> None:
    """data.csv (40 rows), a torch checkpoint and a scikit-learn .skops model."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "id": [f"e{i}" for i in range(N_ROWS)],
            "x1": rng.normal(size=N_ROWS),
            "x2": rng.normal(size=N_ROWS),
            "group": ["g1", "g2"] * (N_ROWS // 2),
            "label": ["a", "b", "b", "a"] * (N_ROWS // 4),
        }
    )
    frame.to_csv(folder / "data.csv", index=False)
    frame.to_parquet(folder / "data.parquet")
    from safetensors.torch import save_model

    from tests.hardening.hostile_models import small_net

    save_model(small_net(), str(folder / "small.safetensors"))


def base_suite() -> Suite:
    """The loading tests' minimal suite, with ids, two features, a sensitive column and no
    intervals (fast)."""
    suite = minimal()
    suite["name"] = "fuzz"
    suite["datasets"][0].update(id="id", features=["x1", "x2"], sensitive=["group"])
    suite["intervals"] = {"method": "none"}
    return suite


def write_suite(folder: Path, mutate: Mutation) -> Path:
    suite = copy.deepcopy(base_suite())
    text = mutate(suite, folder)
    path = folder / "suite.yaml"
    if text is None:
        path.write_text(yaml.safe_dump(suite, sort_keys=False))
    else:
        path.write_bytes(text.encode("utf-8", "surrogateescape"))
    return path


# --- helpers that build mutations -------------------------------------------------------------


def text(raw: str) -> Mutation:
    """The whole suite file replaced by ``raw``."""
    return lambda suite, folder: raw


def setting(path: tuple[Any, ...], value: Any) -> Mutation:
    """Set one key (a path of keys and indices) to ``value``."""

    def mutate(suite: Suite, folder: Path) -> None:
        target: Any = suite
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return mutate


def removing(path: tuple[Any, ...]) -> Mutation:
    def mutate(suite: Suite, folder: Path) -> None:
        target: Any = suite
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]

    return mutate


def data_file(name: str, content: bytes, fmt: str | None = None) -> Mutation:
    """The dataset reads ``name``, written with ``content``."""

    def mutate(suite: Suite, folder: Path) -> None:
        (folder / name).write_bytes(content)
        suite["datasets"][0]["source"] = {"type": "file", "path": name}
        if fmt:
            suite["datasets"][0]["source"]["format"] = fmt

    return mutate


def two_rows(**columns: list[Any]) -> Mutation:
    """A two-row data file: the base columns, with ``columns`` replacing some of them."""
    base: dict[str, list[Any]] = {
        "id": ["a", "b"],
        "x1": [1.0, 2.0],
        "x2": [1.0, 2.0],
        "group": ["g", "g"],
        "label": ["a", "b"],
    }
    return data_frame(pd.DataFrame({**base, **columns}))


def data_frame(frame: pd.DataFrame, name: str = "bad.csv") -> Mutation:
    def mutate(suite: Suite, folder: Path) -> None:
        frame.to_csv(folder / name, index=False)
        suite["datasets"][0]["source"] = {"type": "file", "path": name}

    return mutate


def python_source(name: str, **params: Any) -> Mutation:
    """The dataset comes from ``tests.hardening.hostile_models:<name>``."""
    source = {"type": "python", "callable": f"tests.hardening.hostile_models:{name}"}
    return setting(("datasets", 0, "source"), {**source, **({"params": params} if params else {})})


def python_model(mode: str) -> Mutation:
    return setting(
        ("models", 0),
        {
            "name": "m",
            "type": "python",
            "object": "tests.hardening.hostile_models:HostileModel",
            "params": {"mode": mode},
        },
    )


def factory(name: str, checkpoint: str = "small.safetensors") -> Mutation:
    """A torch model built by ``tests.hardening.hostile_models:<name>`` (or a full path)."""
    path = name if ":" in name else f"tests.hardening.hostile_models:{name}"
    return torch_model(checkpoint, factory=path)


def _save_wide_net(suite: Suite, folder: Path) -> None:
    from safetensors.torch import save_model

    from tests.hardening.hostile_models import net_of_width_seven

    save_model(net_of_width_seven(), str(folder / "wide.safetensors"))


def torch_model(checkpoint: str, content: bytes | None = None, **extra: Any) -> Mutation:
    def mutate(suite: Suite, folder: Path) -> None:
        if content is not None:
            (folder / checkpoint).write_bytes(content)
        suite["models"][0] = {
            "name": "m",
            "type": "torch",
            "factory": "tests.hardening.hostile_models:small_net",
            "checkpoint": checkpoint,
            **extra,
        }

    return mutate


def sklearn_model(path: str, content: bytes | None = None, **extra: Any) -> Mutation:
    def mutate(suite: Suite, folder: Path) -> None:
        if content is not None:
            (folder / path).write_bytes(content)
        suite["models"][0] = {"name": "m", "type": "sklearn", "path": path, **extra}

    return mutate


def both(*mutations: Mutation) -> Mutation:
    def mutate(suite: Suite, folder: Path) -> str | None:
        result = None
        for mutation in mutations:
            result = mutation(suite, folder) or result
        return result

    return mutate


def derived(entry: dict[str, Any]) -> Mutation:
    """Add a second dataset (derived or not) after the base one."""

    def mutate(suite: Suite, folder: Path) -> None:
        suite["datasets"].append(entry)

    return mutate


def _nested(depth: int) -> str:
    return "name: x\nversion: '1'\nmodels: " + "[" * depth + "]" * depth + "\n"


def _alias_bomb() -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "name: bomb\nversion: '1'\n" + "\n".join(lines) + "\nmodels: *a8\ndatasets: []\n"


BASE_DATASET = "datasets[0]"
NOISE = {"name": "gaussian_noise"}

YAML_CASES = [
    Case("unclosed-bracket", text("name: x\nmodels: [\n"), "invalid YAML"),
    Case("bad-indentation", text("name: x\n  version: 1\n models: []\n"), "invalid YAML"),
    Case("tab-indent", text("name: x\nmodels:\n\t- a\n"), "invalid YAML"),
    Case("top-level-list", text("- a\n- b\n"), "a suite must be a YAML mapping"),
    Case("top-level-scalar", text("just words\n"), "a suite must be a YAML mapping"),
    Case("empty-file", text(""), "a suite must be a YAML mapping"),
    Case("only-comment", text("# nothing\n"), "a suite must be a YAML mapping"),
    Case("python-tag", text("name: !!python/object:os.system ls\n"), "invalid YAML"),
    Case("duplicate-top-key", text("name: a\nname: b\nversion: '1'\n"), "duplicate key 'name'"),
    Case(
        "duplicate-nested-key",
        lambda suite, folder: yaml.safe_dump(suite, sort_keys=False).replace(
            "  label: label\n", "  label: label\n  label: x1\n"
        ),
        "duplicate key 'label'",
    ),
    Case("nested-thousands-deep", text(_nested(5000)), "nested too deeply"),
    Case("alias-bomb", text(_alias_bomb()), "fuzz"[:0] + "models"),
    Case("invalid-utf8", text("name: \udcff\udcfe\nversion: '1'\n"), "UTF-8"),
    Case("binary-garbage", text("\x00\x01\x02\x03"), "suite.yaml"),
    Case("merge-key-garbage", text("<<: 3\nname: x\n"), "suite.yaml"),
]

SCHEMA_CASES = [
    Case("missing-name", removing(("name",)), "name"),
    Case("missing-version", removing(("version",)), "version"),
    Case("missing-models", removing(("models",)), "models"),
    Case("empty-models", setting(("models",), []), "models"),
    Case("missing-datasets", removing(("datasets",)), "datasets"),
    Case("unknown-top-key", setting(("modles",), []), "modles"),
    Case("seed-text", setting(("seed",), "zero"), "seed"),
    Case("seed-float", setting(("seed",), 1.5), "seed"),
    Case("batch-size-zero", setting(("batch_size",), 0), "batch_size"),
    Case("batch-size-negative", setting(("batch_size",), -4), "batch_size"),
    Case("batch-size-bool", setting(("batch_size",), True), "batch_size"),
    Case("name-with-slash", setting(("name",), "a/b"), "name"),
    Case("name-empty", setting(("name",), ""), "name"),
    Case("model-type-unknown", setting(("models", 0, "type"), "keras"), "keras"),
    Case("model-name-missing", removing(("models", 0, "name")), "models[0]"),
    Case("model-unknown-key", setting(("models", 0, "weights"), "w"), "weights"),
    Case("model-batch-size-zero", setting(("models", 0, "batch_size"), 0), "batch_size"),
    Case(
        "duplicate-model-names",
        lambda suite, folder: suite["models"].append(copy.deepcopy(suite["models"][0])),
        "names must be unique",
    ),
    Case(
        "duplicate-dataset-names",
        lambda suite, folder: suite["datasets"].append(copy.deepcopy(suite["datasets"][0])),
        "names must be unique",
    ),
    Case("dataset-kind-unknown", setting(("datasets", 0, "kind"), "weird"), "weird"),
    Case("dataset-no-source", removing(("datasets", 0, "source")), BASE_DATASET),
    Case("dataset-no-label", removing(("datasets", 0, "label")), "label"),
    Case("source-type-unknown", setting(("datasets", 0, "source", "type"), "ftp"), "ftp"),
    Case("source-format-unknown", setting(("datasets", 0, "source", "format"), "xlsx"), "xlsx"),
    Case("features-empty", setting(("datasets", 0, "features"), []), "features"),
    Case("label-as-feature", setting(("datasets", 0, "features"), ["x1", "label"]), "label"),
    Case("id-as-feature", setting(("datasets", 0, "features"), ["x1", "id"]), "'id'"),
    Case("classes-duplicate", setting(("datasets", 0, "classes"), ["a", "b", "a"]), "classes"),
    Case("classes-empty", setting(("datasets", 0, "classes"), []), "classes"),
    Case("classes-mixed", setting(("datasets", 0, "classes"), ["a", 1]), "classes"),
    Case("limit-zero", setting(("datasets", 0, "limit"), 0), "limit"),
    Case("limit-text", setting(("datasets", 0, "limit"), "ten"), "limit"),
    Case(
        "partition-zero",
        setting(("datasets", 0, "partition"), {"test_fraction": 0}),
        "test_fraction",
    ),
    Case(
        "partition-one",
        setting(("datasets", 0, "partition"), {"test_fraction": 1.0}),
        "test_fraction",
    ),
    Case("sensitive-text", setting(("datasets", 0, "sensitive"), "group"), "sensitive"),
    Case("metrics-unknown", setting(("metrics",), ["acuracy"]), "acuracy"),
    Case("metrics-duplicate", setting(("metrics",), ["accuracy", "accuracy"]), "accuracy"),
    Case(
        "metrics-duplicate-alias",
        setting(("metrics",), ["accuracy", {"name": "ece"}, {"name": "ece"}]),
        "ece",
    ),
    Case(
        "metric-param-zero",
        setting(("metrics",), [{"name": "ece", "params": {"n_bins": 0}}]),
        "n_bins",
    ),
    Case(
        "metric-param-text",
        setting(("metrics",), [{"name": "ece", "params": {"n_bins": "ten"}}]),
        "n_bins",
    ),
    Case(
        "metric-param-unknown",
        setting(("metrics",), [{"name": "ece", "params": {"bins": 3}}]),
        "bins",
    ),
    Case("metric-not-list", setting(("metrics",), "accuracy"), "metrics"),
    Case("intervals-method-unknown", setting(("intervals",), {"method": "jackknife"}), "jackknife"),
    Case(
        "intervals-resamples-huge", setting(("intervals",), {"n_resamples": 10**12}), "n_resamples"
    ),
    Case("intervals-resamples-few", setting(("intervals",), {"n_resamples": 5}), "n_resamples"),
    Case("intervals-level-above-one", setting(("intervals",), {"level": 1.5}), "level"),
    Case(
        "bias-intersection-unknown-column",
        setting(("bias",), {"intersections": [["group", "nation"]]}),
        "nation",
    ),
    Case(
        "bias-intersection-single",
        setting(("bias",), {"intersections": [["group"]]}),
        "intersections",
    ),
    Case("bias-metric-unknown", setting(("bias",), {"metrics": ["acc"]}), "acc"),
    Case(
        "bias-metric-not-scalar",
        setting(("bias",), {"metrics": ["demographic_parity_difference"]}),
        "demographic_parity_difference",
    ),
    Case("bias-min-group-zero", setting(("bias",), {"min_group_size": 0}), "min_group_size"),
    Case("slices-unknown-column", setting(("slices",), ["region"]), "region"),
    Case("gate-unknown-metric", setting(("gate",), {"tolerance": {"acc": 0.1}}), "acc"),
    Case(
        "gate-unknown-dataset", setting(("gate",), {"must_not_regress": {"datasets": ["dd"]}}), "dd"
    ),
    Case("gate-unknown-model", setting(("gate",), {"model": "mm"}), "mm"),
    Case("gate-alpha-one", setting(("gate",), {"alpha": 1.0}), "alpha"),
    Case("gate-headline-unknown", setting(("gate",), {"headline": {"dataset": "zz"}}), "zz"),
    Case("robustness-reference-unknown", setting(("robustness",), {"reference_model": "r"}), "'r'"),
    Case(
        "shift-unknown",
        derived({"name": "s", "kind": "shifted", "from": "d", "shift": {"name": "blur"}}),
        "blur",
    ),
    Case(
        "shift-param-unknown",
        derived(
            {
                "name": "s",
                "kind": "shifted",
                "from": "d",
                "shift": {"name": "gaussian_noise", "params": {"sigma": 1}},
            }
        ),
        "sigma",
    ),
    Case(
        "shift-param-text",
        derived(
            {
                "name": "s",
                "kind": "shifted",
                "from": "d",
                "shift": {"name": "gaussian_noise", "params": {"severity": "high"}},
            }
        ),
        "severity",
    ),
    Case("shift-on-source", setting(("datasets", 0, "shift"), {"name": "gaussian_noise"}), "shift"),
    Case(
        "from-unknown",
        derived(
            {"name": "s", "kind": "shifted", "from": "nope", "shift": {"name": "gaussian_noise"}}
        ),
        "nope",
    ),
    Case("from-without-shift", derived({"name": "s", "kind": "shifted", "from": "d"}), "shift"),
    Case(
        "derived-with-label",
        derived(
            {
                "name": "s",
                "kind": "shifted",
                "from": "d",
                "label": "x",
                "shift": {"name": "gaussian_noise"},
            }
        ),
        "label",
    ),
    Case(
        "attack-unknown",
        derived({"name": "s", "kind": "adversarial", "from": "d", "attack": {"name": "cw"}}),
        "cw",
    ),
    Case(
        "attack-surrogate-not-torch",
        derived(
            {
                "name": "s",
                "kind": "adversarial",
                "from": "d",
                "attack": {"name": "fgsm", "surrogate": "m", "params": {"eps": 0.1}},
            }
        ),
        "surrogate",
    ),
    Case(
        "attack-param-negative",
        derived(
            {
                "name": "s",
                "kind": "adversarial",
                "from": "d",
                "attack": {"name": "fgsm", "params": {"eps": "big"}},
            }
        ),
        "eps",
    ),
    Case(
        "ood-with-label",
        derived(
            {
                "name": "o",
                "kind": "ood",
                "source": {"type": "file", "path": "data.csv"},
                "label": "label",
            }
        ),
        "ood",
    ),
    Case(
        "ood-reference-unknown",
        derived(
            {
                "name": "o",
                "kind": "ood",
                "source": {"type": "file", "path": "data.csv"},
                "reference": "q",
            }
        ),
        "'q'",
    ),
    Case("version-list", setting(("version",), [1]), "version"),
    Case(
        "same-shift-twice",
        both(
            derived(
                {"name": "s1", "kind": "shifted", "from": "d", "shift": {"name": "gaussian_noise"}}
            ),
            derived(
                {"name": "s2", "kind": "shifted", "from": "d", "shift": {"name": "gaussian_noise"}}
            ),
        ),
        "'s1'",
    ),
]

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
        both(factory("net_of_width_seven", "wide.safetensors"), _save_wide_net),
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

ALL_CASES = YAML_CASES + SCHEMA_CASES + DATA_CASES + MODEL_CASES + OUTPUT_CASES
