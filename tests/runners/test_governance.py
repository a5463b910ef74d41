"""Data governance in every report (issue 15, item 4): each dataset's source, the sha256
of a file source, license, citation and homepage, and each model's file sha256, license
and card, as the suite declares them; ``require_license`` refuses a dataset without one."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from assay.demo import demo_suite_path
from assay.errors import UserError
from assay.runners.run import run_suite
from assay.suites.loading import load_suite


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("demo", ["digits", "adult"])
def test_demo_reports_carry_license_and_provenance(demo: str) -> None:
    path = demo_suite_path(demo)
    report = run_suite(load_suite(path), cache_dir=None).report
    for dataset in report.datasets:
        assert dataset.license, dataset.name  # derived sets inherit their parent's
        if dataset.derived_from is None:
            assert dataset.source is not None
    sourced = [d for d in report.datasets if d.source and d.source["type"] == "file"]
    for dataset in sourced:
        assert dataset.sha256 == _sha256(path.parent / dataset.source["path"])  # type: ignore[index]
    first = report.datasets[0]
    assert first.homepage is not None and first.homepage.startswith("https://archive.ics.uci.edu")
    assert first.citation is not None and "UCI Machine Learning Repository" in first.citation
    files = {
        "digits": {"mlp": "digits_mlp.safetensors", "logreg": "digits_logreg.skops"},
        "adult": {"logreg": "adult_logreg.skops", "boosted": "adult_boosted.skops"},
    }[demo]
    for model in report.models:
        assert model.license == "Apache-2.0"
        assert model.sha256 == _sha256(path.parent / files[model.name])


def test_require_license_refuses_a_dataset_without_one(tmp_path: Path) -> None:
    suite = yaml.safe_load(demo_suite_path("adult").read_text())
    suite["require_license"] = True
    for name in ("adult_sample.csv", "adult_logreg.skops", "adult_boosted.skops"):
        (tmp_path / name).write_bytes((demo_suite_path("adult").parent / name).read_bytes())
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    load_suite(tmp_path / "s.yaml")  # the demo declares its license
    del suite["datasets"][0]["license"]
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    with pytest.raises(UserError, match=r"datasets\[0\]\.license: the suite sets require_license"):
        load_suite(tmp_path / "s.yaml")


CARD = """---
license: cc-by-sa-4.0
language: [en]
---
# A set

```bibtex
@inproceedings{someone2020,
  title={A set}
}
```
"""


def test_a_hub_sets_commit_license_and_citation_come_from_what_loading_left(
    tmp_path: Path,
) -> None:
    import datasets
    import pyarrow as pa

    from assay.suites.schema import HubSource
    from assay.suites.source_metadata import hub_metadata

    commit = "0123456789abcdef0123456789abcdef01234567"
    folder = tmp_path / "org___set" / "default" / "0.0.0" / commit  # as datasets caches it
    folder.mkdir(parents=True)
    table = pa.table({"x": [1, 2]})
    with pa.ipc.new_stream(folder / "set-test.arrow", table.schema) as stream:
        stream.write_table(table)
    (tmp_path / "README.md").write_text(CARD)
    loaded = datasets.Dataset.from_file(str(folder / "set-test.arrow"))
    source = HubSource(type="hub", path="org/set", revision="main")
    found = hub_metadata(source, loaded, tmp_path / "README.md")
    assert found.revision == commit  # the commit "main" resolved to, not "main"
    assert found.license == "cc-by-sa-4.0"
    assert found.citation is not None and found.citation.startswith("@inproceedings{someone2020")
    assert found.card == f"https://huggingface.co/datasets/org/set/tree/{commit}"
    bare = hub_metadata(source, loaded)  # no card cached: the commit is still known
    assert (bare.revision, bare.license, bare.citation) == (commit, None, None)


def test_require_license_takes_a_hub_sets_own_license(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pandas as pd

    import assay.suites.data as data

    folder = tmp_path / "hub_set"
    folder.mkdir()
    pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "y": [0, 1, 0, 1]}).to_csv(
        folder / "test.csv", index=False
    )
    suite = {
        "name": "hub", "version": "1", "require_license": True,
        "models": [{"name": "u", "type": "python", "object": "assay.demo.models:UniformModel",
                    "params": {"n_classes": 2}}],
        "datasets": [{"name": "d", "source": {"type": "hub", "path": str(folder)}, "label": "y"}],
        "metrics": ["accuracy"], "intervals": {"method": "none"},
    }  # fmt: skip
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    loaded = load_suite(tmp_path / "s.yaml")  # a Hub set's card may carry its license
    with pytest.raises(UserError, match=r"datasets\[0\]\.license: .*neither this dataset nor"):
        run_suite(loaded, cache_dir=None)
    from assay.suites.source_metadata import SourceMetadata

    licensed = SourceMetadata(revision="c" * 40, license="mit", card="https://example.org/card")
    monkeypatch.setattr(data, "hub_metadata", lambda *args: licensed)
    report = run_suite(loaded, cache_dir=None).report
    [record] = report.datasets
    assert (record.license, record.revision, record.card) == ("mit", "c" * 40, licensed.card)
