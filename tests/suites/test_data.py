"""Sources load through datasets; columns, ids, labels and features are checked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assay.errors import ConfigError, InvalidInputError
from assay.suites.data import DataContext, load_base_dataset
from assay.suites.derived_sets import derive_dataset
from assay.suites.schema import DatasetSpec, HubSource
from assay.suites.sources import load_source


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "uid": ["u1", "u2", "u3", "u4"],
            "f1": [0.5, 1.5, 2.5, 3.5],
            "f2": [1, 2, 3, 4],
            "colour": ["red", "blue", "red", "green"],
            "sex": ["F", "M", "F", "M"],
            "label": ["no", "yes", "yes", "no"],
        }
    )


def spec(**fields: object) -> DatasetSpec:
    base: dict = {"name": "d", "source": {"type": "file", "path": "data.csv"}, "label": "label"}
    return DatasetSpec.model_validate({**base, **fields})


def context(folder: Path) -> DataContext:
    return DataContext(folder / "suite.yaml", 0, folder)


@pytest.mark.parametrize("suffix", ["csv", "json", "parquet"])
def test_local_files_load_the_same(tmp_path: Path, suffix: str) -> None:
    data = frame()
    path = tmp_path / f"data.{suffix}"
    {
        "csv": lambda: data.to_csv(path, index=False),
        "json": lambda: data.to_json(path, orient="records", lines=True),
        "parquet": lambda: data.to_parquet(path, index=False),
    }[suffix]()
    loaded = load_base_dataset(
        spec(source={"type": "file", "path": f"data.{suffix}"}, id="uid", sensitive=["sex"]),
        [],
        context(tmp_path),
    )
    assert loaded.ids.to_pylist() == ["u1", "u2", "u3", "u4"]
    assert loaded.labels.tolist() == [0, 1, 1, 0]
    assert loaded.classes == ("no", "yes")
    assert loaded.groups["sex"].tolist() == ["F", "M", "F", "M"]
    # id, label and sensitive columns never reach the model; non-numeric ones stay separate
    assert [c for c, _ in loaded.features.numeric_columns] == ["f1", "f2"]
    assert list(loaded.features.other.columns) == ["colour"]


def test_fingerprint_follows_content_not_file(tmp_path: Path) -> None:
    frame().to_csv(tmp_path / "data.csv", index=False)
    first = load_base_dataset(spec(), [], context(tmp_path)).fingerprint
    frame().to_csv(tmp_path / "data.csv", index=False)
    assert load_base_dataset(spec(), [], context(tmp_path)).fingerprint == first
    changed = frame()
    changed.loc[2, "f1"] = 9.0
    changed.to_csv(tmp_path / "data.csv", index=False)
    assert load_base_dataset(spec(), [], context(tmp_path)).fingerprint != first


def test_missing_column_names_key_and_value(tmp_path: Path) -> None:
    frame().to_csv(tmp_path / "data.csv", index=False)
    with pytest.raises(
        ConfigError,
        match=r"suite\.yaml: datasets\[0\]\.sensitive: column not "
        r"found in dataset 'd'.*\(got 'race'\)",
    ):
        load_base_dataset(spec(sensitive=["race"]), [], context(tmp_path))


def test_unknown_label_is_refused(tmp_path: Path) -> None:
    frame().to_csv(tmp_path / "data.csv", index=False)
    with pytest.raises(InvalidInputError, match=r"labels \['yes'\] are not among"):
        load_base_dataset(spec(classes=["no", "maybe"]), [], context(tmp_path))


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    data = frame()
    data.loc[1, "uid"] = "u1"
    data.to_csv(tmp_path / "data.csv", index=False)
    with pytest.raises(ConfigError, match=r"ids must be unique.*'u1'"):
        load_base_dataset(spec(id="uid"), [], context(tmp_path))


@pytest.mark.parametrize(
    ("uids", "expected"),
    [
        ([1.0, 2.0, 3.5, 4.0], ["1.0", "2.0", "3.5", "4.0"]),  # floats keep their text
        (["u1", None, "u3", "u4"], ["u1", "nan", "u3", "u4"]),  # as ids always read
        ([10, 2, 3, 4], ["10", "2", "3", "4"]),
    ],
)
def test_ids_of_other_column_types_are_their_text(
    tmp_path: Path, uids: list[object], expected: list[str]
) -> None:
    data = frame()
    data["uid"] = uids
    data.to_parquet(tmp_path / "data.parquet")
    loaded = load_base_dataset(
        spec(id="uid", source={"type": "file", "path": "data.parquet"}), [], context(tmp_path)
    )
    assert loaded.ids.to_pylist() == expected


def test_partition_and_default_ids_are_stable(tmp_path: Path) -> None:
    frame().to_csv(tmp_path / "data.csv", index=False)
    part = {"test_fraction": 0.5, "seed": 3}
    test = load_base_dataset(spec(partition=part), [], context(tmp_path))
    train = load_base_dataset(spec(partition={**part, "use": "train"}), [], context(tmp_path))
    assert sorted([*test.ids.to_pylist(), *train.ids.to_pylist()]) == [f"row-{i}" for i in range(4)]


def test_sklearn_and_python_sources(tmp_path: Path) -> None:
    digits = load_base_dataset(
        spec(source={"type": "sklearn", "loader": "load_digits"}, label="target", limit=10),
        [],
        context(tmp_path),
    )
    assert digits.features.numeric.shape == (10, 64)
    python = load_base_dataset(
        spec(source={"type": "python", "callable": "tests.suites.test_data:frame"}, id="uid"),
        [],
        context(tmp_path),
    )
    assert python.n_examples == 4


def test_hub_source_code_path_on_a_local_folder(tmp_path: Path) -> None:
    # load_dataset resolves a local folder through the same builder a Hub repo uses
    folder = tmp_path / "repo"
    folder.mkdir()
    frame().to_csv(folder / "test.csv", index=False)
    loaded = load_source(HubSource(type="hub", path=str(folder), split="test"), tmp_path)
    assert loaded.num_rows == 4


def test_list_column_features_are_flattened(tmp_path: Path) -> None:
    data = pd.DataFrame({"pixels": [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]], "label": [0, 1]})
    data.to_parquet(tmp_path / "img.parquet")
    loaded = load_base_dataset(
        spec(source={"type": "file", "path": "img.parquet"}), [], context(tmp_path)
    )
    assert loaded.features.numeric.tolist() == [[0, 1, 2], [3, 4, 5]]


def test_shifted_dataset_keeps_ids_and_is_deterministic(tmp_path: Path) -> None:
    frame().to_csv(tmp_path / "data.csv", index=False)
    clean = load_base_dataset(spec(id="uid"), [], context(tmp_path))
    shifted_spec = DatasetSpec.model_validate(
        {
            "name": "noisy",
            "kind": "shifted",
            "from": "d",
            "shift": {"name": "gaussian_noise", "params": {"severity": 5}},
        }
    )
    first = derive_dataset(shifted_spec, clean, seed=1)
    again = derive_dataset(shifted_spec, clean, seed=1)
    other_seed = derive_dataset(shifted_spec, clean, seed=2)
    assert first.ids.to_pylist() == clean.ids.to_pylist()
    assert np.array_equal(first.features.numeric, again.features.numeric)
    assert not np.array_equal(first.features.numeric, clean.features.numeric)
    assert not np.array_equal(first.features.numeric, other_seed.features.numeric)
    assert first.fingerprint != other_seed.fingerprint


def test_a_shift_refuses_columns_of_a_kind_it_does_not_declare(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from assay.suites.shifts import SHIFTS

    data = pd.DataFrame({"pixels": [[0.0, 1.0], [3.0, 4.0]], "size": [1.0, 2.0], "label": [0, 1]})
    data.to_parquet(tmp_path / "img.parquet")
    clean = load_base_dataset(
        spec(source={"type": "file", "path": "img.parquet"}), [], context(tmp_path)
    )
    assert clean.features.matrix_kinds() == {"pixels": "array", "size": "numeric"}
    noisy = DatasetSpec.model_validate(
        {"name": "noisy", "kind": "shifted", "from": "d", "shift": {"name": "gaussian_noise"}}
    )
    assert derive_dataset(noisy, clean, seed=0).features.numeric.shape == (2, 3)
    numeric_only = replace(SHIFTS.get("gaussian_noise"), column_kinds=frozenset({"numeric"}))
    monkeypatch.setitem(SHIFTS._entries, "gaussian_noise", numeric_only)
    with pytest.raises(
        InvalidInputError, match="acts on numeric columns; feature 'pixels' is an array"
    ):
        derive_dataset(noisy, clean, seed=0)


def test_a_shift_needs_a_numeric_feature(tmp_path: Path) -> None:
    frame().to_csv(tmp_path / "data.csv", index=False)
    clean = load_base_dataset(spec(features=["colour"]), [], context(tmp_path))
    noisy = DatasetSpec.model_validate(
        {"name": "noisy", "kind": "shifted", "from": "d", "shift": {"name": "gaussian_noise"}}
    )
    with pytest.raises(
        InvalidInputError, match=r"every feature here is non-numeric \(\['colour'\]\)"
    ):
        derive_dataset(noisy, clean, seed=0)


def test_unknown_column_kinds_are_refused_at_registration() -> None:
    from assay.suites.shifts import register_shift

    with pytest.raises(ValueError, match="column_kinds must be some of"):
        register_shift("never", description="", params={}, column_kinds=frozenset({"audio"}))


def test_file_fingerprints_are_remembered_per_file_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file is hashed once per state: the same file and entry reuse the fingerprint; a
    rewritten file (new size or modification time) is hashed again, and gets a new one."""
    import os

    from assay.suites import data
    from assay.suites.file_state import FingerprintCache

    frame().to_csv(tmp_path / "data.csv", index=False)
    hashed = []
    real = data._fingerprint

    def counting(*args: object, **kwargs: object) -> str:
        hashed.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(data, "_fingerprint", counting)
    remembered = FingerprintCache(tmp_path / "c")
    cached = DataContext(tmp_path / "suite.yaml", 0, tmp_path, remembered)
    first = load_base_dataset(spec(id="uid"), [], cached)
    remembered.flush()
    again = load_base_dataset(spec(id="uid"), [], cached)
    assert first.fingerprint == again.fingerprint and len(hashed) == 1
    assert load_base_dataset(spec(id="uid"), [], context(tmp_path)).fingerprint == first.fingerprint
    other = frame().assign(f1=[9.0, 9.0, 9.0, 9.0])
    other.to_csv(tmp_path / "data.csv", index=False)
    os.utime(tmp_path / "data.csv", ns=(1, 1))
    changed = load_base_dataset(spec(id="uid"), [], cached)
    assert changed.fingerprint != first.fingerprint and len(hashed) == 3
