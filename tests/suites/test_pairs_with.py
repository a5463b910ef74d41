"""Precomputed adversarial sets (issue 14, item 4): a sourced set with ``pairs_with`` pairs
each of its examples with the clean example of the same id (``id#2``, ``id#3`` for further
versions of one), so accuracy drop and attack success rate are paired like a crafted set's;
ids the clean set lacks, other classes and misplaced ``pairs_with`` are refused with the
key that is wrong. AdvGLUE's SST-2 rewrites pair with the GLUE SST-2 dev sentences."""

from __future__ import annotations

import difflib
import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
import yaml

from assay.errors import UserError
from assay.runners.run import run_suite
from assay.suites.loading import load_suite

EXAMPLE = Path(__file__).parents[2] / "examples" / "advglue_sst2"


class SignModel:
    """Class 1 exactly when x > 0."""

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        p = (np.asarray(x)[:, 0] > 0).astype(np.float64) * 0.8 + 0.1
        return np.stack([1 - p, p], axis=1)


def _suite(tmp_path: Path, adversarial: pd.DataFrame, **extra: object) -> Path:
    rng = np.random.default_rng(0)
    x = rng.normal(size=40)
    clean = pd.DataFrame({"id": [f"r{i}" for i in range(40)], "x": x, "y": (x > 0).astype(int)})
    clean.loc[:4, "y"] = 1 - clean.loc[:4, "y"]  # five clean mistakes
    clean.to_csv(tmp_path / "clean.csv", index=False)
    adversarial.to_csv(tmp_path / "adv.csv", index=False)
    model = {"name": "m", "type": "python", "object": f"{__name__}:SignModel"}
    sourced = {"id": "id", "label": "y", "features": ["x"], "classes": [0, 1]}
    suite = {
        "name": "paired",
        "version": "1",
        "models": [model],
        "datasets": [
            {"name": "clean", "source": {"type": "file", "path": "clean.csv"}, **sourced},
            {
                "name": "adv",
                "kind": "adversarial",
                "pairs_with": "clean",
                "source": {"type": "file", "path": "adv.csv"},
                **sourced,
                **extra,
            },
        ],
        "metrics": ["accuracy"],
    }
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    return tmp_path / "s.yaml"


def test_each_example_pairs_with_the_clean_example_of_its_id(tmp_path: Path) -> None:
    rows = [0, 3, 7, 7, 7, 12, 20, 21, 33]
    ids = ["r0", "r3", "r7", "r7#2", "r7#3", "r12", "r20", "r21", "r33"]
    rng = np.random.default_rng(1)
    adversarial = pd.DataFrame({"id": ids, "x": rng.normal(size=len(ids)), "y": 0})
    path = _suite(tmp_path, adversarial)
    clean = pd.read_csv(tmp_path / "clean.csv")
    adversarial["y"] = clean["y"].to_numpy()[rows]  # each keeps its clean example's label
    adversarial.to_csv(tmp_path / "adv.csv", index=False)
    report = run_suite(load_suite(path), cache_dir=None).report
    clean_right = ((clean["x"] > 0).astype(int) == clean["y"]).to_numpy()[rows]
    adversarial_right = ((adversarial["x"] > 0).astype(int) == adversarial["y"]).to_numpy()
    drop = report.result("m", "adv", "accuracy_drop")
    assert drop.value == pytest.approx(clean_right.mean() - adversarial_right.mean(), abs=1e-12)
    success = report.result("m", "adv", "attack_success_rate").value
    assert success == pytest.approx((clean_right & ~adversarial_right).sum() / clean_right.sum())
    assert drop.note == "paired by example id with 'clean' (7 of its examples)"
    record = {d.name: d for d in report.datasets}["adv"]
    assert (record.pairs_with, record.derived_from) == ("clean", None)


def test_an_id_the_clean_set_lacks_is_refused(tmp_path: Path) -> None:
    adversarial = pd.DataFrame({"id": ["r1", "r99", "q#2"], "x": [0.1, 0.2, 0.3], "y": 0})
    with pytest.raises(
        UserError, match=r"dataset 'adv'.*2 of its ids are not ids of 'clean'.*'r99'"
    ):
        run_suite(load_suite(_suite(tmp_path, adversarial)), cache_dir=None)


def test_pairs_with_must_name_a_sourced_clean_set_of_the_same_classes(tmp_path: Path) -> None:
    adversarial = pd.DataFrame({"id": ["r1"], "x": [0.1], "y": 0})
    path = _suite(tmp_path, adversarial)
    suite = yaml.safe_load(path.read_text())
    suite["datasets"][1]["classes"] = [0, 1, 2]
    path.write_text(yaml.safe_dump(suite))
    with pytest.raises(UserError, match=r"classes \['0', '1', '2'\] differ from those of 'clean'"):
        run_suite(load_suite(path), cache_dir=None)
    suite["datasets"][1]["classes"] = [0, 1]
    suite["datasets"][1]["pairs_with"] = "dev"
    path.write_text(yaml.safe_dump(suite))
    with pytest.raises(UserError, match=r"pairs_with.*'dev'.*clean"):
        load_suite(path)
    derived = {"name": "d", "kind": "adversarial", "from": "clean", "pairs_with": "clean",
               "attack": {"name": "fgsm", "params": {"eps": 0.1}}}  # fmt: skip
    suite["datasets"][1]["pairs_with"] = "clean"
    suite["datasets"].append(derived)
    path.write_text(yaml.safe_dump(suite))
    with pytest.raises(UserError, match="pairs with it already"):
        load_suite(path)


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("advglue_prepare", EXAMPLE / "prepare.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_advglue_sst2_pairs_with_the_glue_dev_sentences(shared_data: Path, tmp_path: Path) -> None:
    prepare = _example()
    dev = prepare.clean_set(shared_data)
    adversarial, left_out = prepare.paired_adversarial_set(shared_data, dev)
    assert len(adversarial) + left_out == 148 and len(adversarial) >= 100
    assert adversarial["id"].is_unique
    source = dev.set_index("id").loc[adversarial["id"].str.replace(r"#\d+$", "", regex=True)]
    assert (source["label"].to_numpy() == adversarial["label"].to_numpy()).all()
    similar = [
        difflib.SequenceMatcher(None, a.split(), b.split(), autojunk=False).ratio()
        for a, b in zip(adversarial["sentence"], source["sentence"], strict=True)
    ]
    assert min(similar) >= prepare.SAME_SOURCE and np.median(similar) > 0.7

    prepare.main(shared_data, tmp_path)
    shutil.copy(EXAMPLE / "suite.yaml", tmp_path / "suite.yaml")
    report = run_suite(load_suite(tmp_path / "suite.yaml"), cache_dir=None).report
    drop = report.result("words", "advglue_sst2", "accuracy_drop")
    assert drop.value is not None and drop.value > 0.05  # AdvGLUE fools the model
    assert report.result("words", "sst2_word_bugs", "accuracy_drop").value > 0.2
