"""Tabular shifts (issue 13, item 2): unit changes, missing values and category changes
pair with the clean set by id; resampling shifts hit their target share or priors within one
percentage point, keep the ids of the rows they draw (``#k`` on repeats) and report Kish's
effective sample size."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from assay.errors import UserError
from assay.suites.data import LoadedDataset, load_datasets
from assay.suites.loading import load_suite
from assay.suites.resampling_shifts import (
    Rows,
    covariate_shift,
    effective_size,
    label_shift,
    subpopulation_shift,
)
from assay.suites.tabular_shifts import category_swap, missing_values, unseen_category

N = 600


def table(n: int = N, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "rid": [f"r{i}" for i in range(n)],
            "km": rng.gamma(2.0, 10.0, n),
            "score": rng.normal(0, 1, n),
            "colour": rng.choice(["red", "green", "blue"], n),
            "site": rng.choice(["north", "south"], n, p=[0.8, 0.2]),
            "y": (rng.random(n) < 0.25).astype(int),
        }
    )


def write_suite(
    folder: Path, shifts: list[dict[str, Any]], frame: pd.DataFrame | None = None
) -> Path:
    (table() if frame is None else frame).to_csv(folder / "t.csv", index=False)
    suite = {
        "name": "tabular",
        "version": "1",
        "models": [
            {
                "name": "m",
                "type": "python",
                "object": "tests.suites.test_tabular_shifts:ScoreModel",
                "input": "dataframe",
            }
        ],
        "datasets": [
            {
                "name": "clean",
                "source": {"type": "file", "path": "t.csv"},
                "id": "rid",
                "label": "y",
                "features": ["km", "score", "colour"],
                "sensitive": ["site"],
            },
            *(
                {"name": s["name"], "kind": "shifted", "from": "clean", "shift": s["shift"]}
                for s in shifts
            ),
        ],
        "metrics": ["accuracy"],
        "intervals": {"method": "none"},
    }
    path = folder / "suite.yaml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    return path


class ScoreModel:
    """Class 1 when the score is high (and a little for green)."""

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        z = np.nan_to_num(frame["score"].to_numpy(dtype=float)) + 0.3 * (frame["colour"] == "green")
        p = 1 / (1 + np.exp(-2 * (z - 0.7)))
        return np.column_stack([1 - p, p])


def loaded(folder: Path, shifts: list[dict[str, Any]], **kw: Any) -> dict[str, LoadedDataset]:
    path = write_suite(folder, shifts, **kw)
    return load_datasets(load_suite(path).suite, path)


def shift(name: str, **params: Any) -> dict[str, Any]:
    return {"name": name, "shift": {"name": name, "params": params}}


def test_scaling_changes_the_named_columns_only(tmp_path: Path) -> None:
    sets = loaded(tmp_path, [shift("scaling", factor=1000, columns=["km"])])
    clean, scaled = sets["clean"].features.as_frame("t"), sets["scaling"].features.as_frame("t")
    assert np.allclose(scaled["km"], clean["km"] * 1000, rtol=1e-6)
    assert scaled["score"].equals(clean["score"]) and scaled["colour"].equals(clean["colour"])
    assert sets["scaling"].ids == sets["clean"].ids


def test_scaling_an_unknown_column_names_the_numeric_ones(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"columns 'miles' is not a numeric feature .*'km'"):
        loaded(tmp_path, [shift("scaling", columns=["miles"])])


def test_missing_completely_at_random_hits_its_rate_on_the_chosen_columns() -> None:
    x = np.ones((20_000, 3))
    keys = np.arange(20_000, dtype=np.uint64)
    out = missing_values(x, example_keys=keys, seed=0, rate=0.15, columns=[0, 2])
    blank = np.isnan(out).mean(axis=0)
    assert abs(blank[0] - 0.15) < 0.01 and abs(blank[2] - 0.15) < 0.01 and blank[1] == 0
    assert not np.isnan(out[:, 0][~np.isnan(out[:, 0])]).any()
    # each value's fate is its own: row order and the other columns chosen do not matter
    order = np.random.default_rng(1).permutation(20_000)
    shuffled = missing_values(x[order], example_keys=keys[order], seed=0, rate=0.15, columns=[0])
    assert np.array_equal(np.isnan(shuffled[:, 0]), np.isnan(out[order, 0]))


def test_missing_at_random_rises_with_the_given_column() -> None:
    rng = np.random.default_rng(0)
    x = np.column_stack([np.ones(20_000), rng.normal(size=20_000)])
    keys = np.arange(20_000, dtype=np.uint64)
    out = missing_values(x, example_keys=keys, seed=0, rate=0.2, columns=[0], given=[1])
    blank = np.isnan(out[:, 0])
    high = x[:, 1] > np.median(x[:, 1])
    assert abs(blank.mean() - 0.2) < 0.01
    assert blank[high].mean() > 2.5 * blank[~high].mean()  # 0.3 against 0.1 in expectation
    low = missing_values(
        x, example_keys=keys, seed=0, rate=0.2, columns=[0], given=[1], where="low"
    )
    assert np.isnan(low[:, 0])[~high].mean() > 2.5 * np.isnan(low[:, 0])[high].mean()


def test_missing_values_reach_the_model_as_nan(tmp_path: Path) -> None:
    sets = loaded(tmp_path, [shift("missing_values", rate=0.3, columns="score", given="km")])
    frame = sets["missing_values"].features.as_frame("t")
    assert 0.25 < frame["score"].isna().mean() < 0.35 and not frame["km"].isna().any()


@given(rate=st.floats(0, 1), seed=st.integers(0, 2**32))
@settings(max_examples=30, deadline=None)
def test_category_changes_stay_in_the_column_or_use_the_new_value(rate: float, seed: int) -> None:
    values = np.array(["red", "green", "blue"] * 400, dtype=object)
    keys = np.arange(1200, dtype=np.uint64) * np.uint64(7919)
    swapped = category_swap(values, example_keys=keys, seed=seed, rate=rate)
    changed = swapped != values
    assert set(swapped) <= {"red", "green", "blue"}
    assert abs(changed.mean() - rate) < 0.06  # 1,200 draws: a 4-sigma band is ±0.058
    unseen = unseen_category(values, example_keys=keys, seed=seed, rate=rate, value="mauve")
    assert ((unseen == "mauve") | (unseen == values)).all()
    assert np.array_equal(unseen == "mauve", _draw_below(keys, seed, rate))
    # a swap picks among the others evenly
    if rate == 1.0:
        moves = Counter(zip(values.tolist(), swapped.tolist(), strict=True))
        assert all(abs(moves[(a, b)] - 200) < 60 for a in ("red", "blue") for b in ("green",))


def _draw_below(keys: np.ndarray, seed: int, rate: float) -> np.ndarray:
    from assay.suites.randomness import per_example_uniform

    return per_example_uniform(keys, seed, 2)[:, 0] < rate


def test_a_category_shift_changes_only_its_column(tmp_path: Path) -> None:
    sets = loaded(tmp_path, [shift("unseen_category", column="colour", rate=0.5)])
    frame = sets["unseen_category"].features.as_frame("t")
    assert 0.4 < (frame["colour"] == "__unseen__").mean() < 0.6
    assert frame["score"].equals(sets["clean"].features.as_frame("t")["score"])


def rows_of(frame: pd.DataFrame) -> tuple[Rows, np.ndarray]:
    from assay.hashing import hash_ids

    rows = Rows(
        frame["y"].to_numpy(),
        ("0", "1"),
        {"site": frame["site"].to_numpy()},
        numeric=lambda name: frame[name].to_numpy(),
    )
    return rows, hash_ids(frame["rid"].to_numpy())


@given(share=st.floats(0, 1), size=st.integers(50, 3000) | st.none())
@settings(max_examples=40, deadline=None)
def test_subpopulation_shift_hits_the_share_within_one_point(
    share: float, size: int | None
) -> None:
    frame = table()
    rows, keys = rows_of(frame)
    picked = subpopulation_shift(
        rows, example_keys=keys, seed=0, column="site", group="south", share=share, size=size
    )
    assert len(picked) == (size or N)
    found = (frame["site"].to_numpy()[picked] == "south").mean()
    assert abs(found - share) <= 0.5 / len(picked) + 1e-12 <= 0.01 + 1e-12  # nearest count
    assert np.array_equal(picked, np.sort(picked))


@given(weights=st.lists(st.floats(0.01, 1), min_size=2, max_size=2), size=st.integers(100, 3000))
@settings(max_examples=40, deadline=None)
def test_label_shift_hits_the_priors_within_one_point(weights: list[float], size: int) -> None:
    frame = table()
    rows, keys = rows_of(frame)
    priors = {"0": weights[0], "1": weights[1]}
    picked = label_shift(rows, example_keys=keys, seed=0, priors=priors, size=size)
    found = np.bincount(frame["y"].to_numpy()[picked], minlength=2) / size
    assert np.abs(found - np.array(weights) / sum(weights)).max() < 1 / size <= 0.01


def test_resampling_does_not_depend_on_row_order() -> None:
    frame = table()
    rows, keys = rows_of(frame)
    order = np.random.default_rng(3).permutation(N)
    shuffled_rows, shuffled_keys = rows_of(frame.iloc[order].reset_index(drop=True))
    for draw in (
        lambda r, k: subpopulation_shift(
            r, example_keys=k, seed=5, column="site", group="south", share=0.5
        ),
        lambda r, k: label_shift(r, example_keys=k, seed=5, priors={"0": 1, "1": 1}),
        lambda r, k: covariate_shift(r, example_keys=k, seed=5, column="score", strength=1.0),
    ):
        ids = frame["rid"].to_numpy()
        assert Counter(ids[draw(rows, keys)]) == Counter(
            ids[order][draw(shuffled_rows, shuffled_keys)]
        )


def test_covariate_shift_draws_each_row_in_proportion_to_its_weight() -> None:
    frame = table(n=5000)
    rows, keys = rows_of(frame)
    picked = covariate_shift(rows, example_keys=keys, seed=0, column="score", strength=0.8)
    score = frame["score"].to_numpy()
    weights = np.exp(0.8 * (score - score.mean()) / score.std())
    expected = 5000 * weights / weights.sum()
    counts = np.bincount(picked, minlength=5000)
    assert np.all(np.abs(counts - expected) < 1.0 + 1e-9)  # systematic resampling
    assert abs(score[picked].mean() - score.mean() - 0.8 * score.std()) < 0.1


def test_resampled_sets_keep_ids_labels_and_groups_of_the_rows_they_draw(tmp_path: Path) -> None:
    sets = loaded(
        tmp_path,
        [
            shift("subpopulation_shift", column="site", group="south", share=0.7),
            shift("label_shift", priors={"0": 0.2, "1": 0.8}, size=900),
        ],
    )
    clean = sets["clean"]
    index = {rid: i for i, rid in enumerate(clean.ids.to_pylist())}
    for name in ("subpopulation_shift", "label_shift"):
        data = sets[name]
        ids = data.ids.to_pylist()
        assert len(set(ids)) == len(ids) == data.n_examples
        assert data.parent_rows is not None
        bases = [rid.split("#")[0] for rid in ids]
        assert [index[b] for b in bases] == data.parent_rows.tolist()
        copies = Counter(bases)
        for rid in ids:  # the k-th copy of a row is id#k, k = 2, 3, ...
            base, _, copy = rid.partition("#")
            assert (copy == "") or 2 <= int(copy) <= copies[base]
        assert np.array_equal(data.labels, clean.labels[data.parent_rows])
        assert data.groups["site"].to_pylist() == [
            clean.groups["site"][i].as_py() for i in data.parent_rows
        ]
        frame = data.features.as_frame("t")
        assert (
            frame["km"].tolist()
            == clean.features.as_frame("t")["km"].iloc[data.parent_rows].tolist()
        )
        assert data.effective_size == pytest.approx(effective_size(data.parent_rows, N))
        assert data.effective_size < data.n_examples  # rows repeat to reach these targets
    south = np.array(sets["subpopulation_shift"].groups["site"].to_pylist()) == "south"
    assert abs(south.mean() - 0.7) <= 0.01
    assert abs(sets["label_shift"].labels.mean() - 0.8) <= 0.01


def test_a_run_scores_resampled_sets_against_the_parent_rows(tmp_path: Path) -> None:
    from assay.runners.run import run_suite

    path = write_suite(
        tmp_path,
        [
            shift("label_shift", priors={"0": 1, "1": 1}),
            {"name": "noisy", "shift": {"name": "gaussian_noise", "params": {"severity": 3}}},
        ],
    )
    output = run_suite(load_suite(path), cache_dir=None)
    report = output.report
    record = {d.name: d for d in report.datasets}["label_shift"]
    assert record.effective_size is not None and 0 < record.effective_size < N
    clean = report.result("m", "clean", "accuracy").value
    shifted = report.result("m", "label_shift", "accuracy").value
    drop = report.result("m", "label_shift", "accuracy_drop")
    assert drop.value == pytest.approx(clean - shifted, abs=1e-12)
    assert "weighted by its draws" in (drop.note or "")
    mce = report.result("m", "clean", "mean_corruption_error", kind="robustness").value
    noisy = report.result("m", "noisy", "accuracy").value
    assert mce == pytest.approx(1 - noisy)  # a new mix of rows is not a corruption
    predictions = output.predictions.to_pandas()
    assert predictions[predictions.dataset == "label_shift"].example_id.str.contains("#2").any()


def test_bad_resampling_params_are_named(tmp_path: Path) -> None:
    with pytest.raises(
        UserError, match=r"no row has 'site' = 'east' \(values: \['north', 'south'\]\)"
    ):
        loaded(tmp_path, [shift("subpopulation_shift", column="site", group="east", share=0.5)])
    with pytest.raises(UserError, match=r"priors name classes \['maybe'\]"):
        loaded(tmp_path, [shift("label_shift", priors={"maybe": 1})])
    with pytest.raises(UserError, match=r"'priors' parameter .* must be a mapping of names"):
        load_suite(write_suite(tmp_path, [shift("label_shift", priors={"0": -1})]))
    with pytest.raises(UserError, match=r"column 'colour' is not a numeric feature"):
        loaded(tmp_path, [shift("covariate_shift", column="colour")])


def test_a_copy_number_that_is_also_an_id_is_refused(tmp_path: Path) -> None:
    frame = table(n=3)
    frame["rid"] = ["a", "a#2", "b"]
    frame["y"] = [1, 0, 0]
    with pytest.raises(UserError, match=r"resampled ids clash: 'a#2' is both a copy number"):
        loaded(tmp_path, [shift("label_shift", priors={"0": 1, "1": 1}, size=4)], frame=frame)
