"""A table of malformed suites, data files, model files and model outputs.

Each case starts from a small working suite (see :mod:`tests.hardening.workspace`) and
breaks one thing; ``expect`` is a piece of text the one-line error must contain (the file,
key or value at fault). This module holds the suite cases (YAML, schema, references);
:mod:`tests.hardening.file_cases` the data files, model files and model outputs.
"""

from __future__ import annotations

import copy

import yaml

from tests.hardening.file_cases import DATA_CASES, MODEL_CASES, OUTPUT_CASES, PRECOMPUTED_CASES
from tests.hardening.workspace import (
    Case,
    both,
    derived,
    removing,
    setting,
    text,
)


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

ALL_CASES = YAML_CASES + SCHEMA_CASES + DATA_CASES + MODEL_CASES + PRECOMPUTED_CASES + OUTPUT_CASES
