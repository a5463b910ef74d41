"""Streaming: a set is read a chunk of whole batches at a time, shifted sets are made some
rows at a time where the shift acts on each row alone, and the numbers are those of a run
that holds every matrix whole. A set four times the size of a memory cap runs under it."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from assay.demo import demo_suite_path
from assay.reports.predictions import predictions_table
from assay.runners.run import SuiteRun
from assay.suites import column_spread
from assay.suites import features as features_module
from assay.suites.features import FeatureBlock
from assay.suites.loading import load_suite
from assay.suites.row_chunks import RowChunks
from assay.suites.shifts import SHIFTS
from tests.streaming.arrow_source import write_images, write_table

ROOT = Path(__file__).resolve().parents[2]


def row_local_inputs(kinds: frozenset[str], n_rows: int) -> np.ndarray:
    rng = np.random.default_rng(7)
    if kinds == {"image"}:
        return rng.uniform(0.0, 1.0, size=(n_rows, 16, 16, 3)).astype(np.float32)
    if kinds == {"text"}:
        words = np.array(["the", "cat", "don't", "New", "York", "sat", "on", "a", "mat,"])
        return np.array([" ".join(rng.choice(words, size=8)) for _ in range(n_rows)], dtype=object)
    return rng.normal(size=(n_rows, 5)).astype(np.float32)


@pytest.mark.parametrize("name", [n for n in SHIFTS.names() if SHIFTS.get(n).row_local])
def test_a_row_local_shift_gives_each_row_what_the_whole_set_gives_it(name: str) -> None:
    shift = SHIFTS.get(name)
    params = {shift.severity: 3} if shift.severity is not None else {}
    values = row_local_inputs(shift.column_kinds, 13)
    keys = np.arange(100, 113, dtype=np.uint64)
    whole = shift.function(values, example_keys=keys, seed=3, **params)
    parts = [
        shift.function(values[rows], example_keys=keys[rows], seed=3, **params)
        for rows in (slice(0, 5), slice(5, 6), slice(6, 13))
    ]
    np.testing.assert_array_equal(np.concatenate(parts), whole)


MEASURED = {  # shifts that measure the whole set first, with params that make them do so
    "gaussian_noise": [{"severity": 3}, {"severity": 3, "scale": "global"}],
    "missing_values": [{"rate": 0.3, "given": [1]}, {"rate": 0.3, "given": [2], "where": "low"}],
    "category_swap": [{"rate": 0.5}],
}


def measured_inputs(name: str, n_rows: int) -> np.ndarray:
    rng = np.random.default_rng(11)
    if SHIFTS.get(name).column_kinds == {"text"}:
        return rng.choice(np.array(["red", "green", "blue", "b"], dtype=object), size=n_rows)
    values = rng.normal(size=(n_rows, 5)).astype(np.float32)
    values[:, 2] = np.round(values[:, 2])  # ties in a rank
    return values


def split(n_rows: int, sizes: list[int]) -> list[slice]:
    ends = np.cumsum([0, *sizes])
    assert ends[-1] == n_rows
    return [slice(int(a), int(b)) for a, b in itertools.pairwise(ends)]


@pytest.mark.parametrize(("name", "params"), [(n, p) for n, ps in MEASURED.items() for p in ps])
def test_a_measured_shift_gives_each_row_what_the_whole_set_gives_it(
    name: str, params: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    shift = SHIFTS.get(name)
    values = measured_inputs(name, 4_001)
    keys = np.arange(7, 7 + len(values), dtype=np.uint64)
    whole = shift.function(values, example_keys=keys, seed=5, **params)
    monkeypatch.setattr(column_spread, "LEAF_VALUES", 997)  # the pairwise tree read in leaves
    chunks = split(len(values), [1, 1_000, 3_000])
    assert shift.measure is not None
    measured = shift.measure(RowChunks(lambda rows: values[rows], chunks), **params)
    parts = [
        shift.function(values[rows], example_keys=keys[rows], seed=5, measured=measured, **params)
        for rows in split(len(values), [2_000, 1, 2_000])
    ]
    np.testing.assert_array_equal(np.concatenate(parts), whole)
    assert not np.array_equal(whole, values)


def test_shifts_say_whether_they_act_on_each_row_alone_or_measure_the_set_first() -> None:
    for name in MEASURED:
        assert not SHIFTS.get(name).row_local and SHIFTS.get(name).streams
    assert SHIFTS.get("scaling").row_local and SHIFTS.get("image.rotation").row_local
    assert not SHIFTS.get("label_shift").streams  # a resampling shift draws from every row


@settings(max_examples=60, deadline=None)
@given(
    n_rows=st.integers(2, 300),
    width=st.integers(1, 7),
    cut=st.integers(1, 299),
    leaf=st.sampled_from([1, 128, 129, 200, 1 << 22]),
    seed=st.integers(0, 1_000),
)
def test_the_spread_of_a_chunked_matrix_is_numpys_of_the_whole(
    n_rows: int, width: int, cut: int, leaf: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    matrix = (rng.normal(size=(n_rows, width)) * 10.0 ** rng.integers(-3, 4)).astype(np.float32)
    chunks = split(n_rows, [min(cut, n_rows - 1), n_rows - min(cut, n_rows - 1)])
    rows = RowChunks(lambda r: matrix[r], chunks)
    clean = matrix.astype(np.float64)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(column_spread, "LEAF_VALUES", leaf)
        patch.setattr(column_spread, "BLOCK_ROWS", 3)
        assert column_spread.global_spread(rows) == (clean.std(), clean.min(), clean.max())
        spread = column_spread.chunked_column_spread(rows)
    np.testing.assert_array_equal(spread.std, clean.std(axis=0))
    np.testing.assert_array_equal(spread.low, clean.min(axis=0))
    np.testing.assert_array_equal(spread.high, clean.max(axis=0))


DERIVED = """
- {name: rotation, kind: shifted, shift: {name: image.rotation, params: {severity: 2}}}
- {name: scaled, kind: shifted, shift: {name: scaling, params: {factor: 0.5}}}
- {name: noise, kind: shifted, shift: {name: gaussian_noise, params: {severity: 2}}}
- name: noise_global
  kind: shifted
  shift: {name: gaussian_noise, params: {severity: 3, scale: global}}
- name: labels
  kind: shifted
  shift: {name: label_shift, params: {priors: {"0": 3.0, "1": 1.0, "2": 1.0}}}
- {name: covariate, kind: shifted, shift: {name: covariate_shift, params: {column: pixel_2_3}}}
- name: fgsm
  kind: adversarial
  attack: {name: fgsm, params: {eps: 2.0, clip_min: 0, clip_max: 16}, surrogate: mlp}
- name: square
  kind: adversarial
  attack: {name: square, params: {eps: 2.0, max_queries: 10, clip_min: 0, clip_max: 16}}
"""


def digits_suite(folder: Path) -> Path:
    """The digits models on every way a set is made: sourced with a partition, shifted
    row by row (rotation, scaling) and after measuring the whole set (Gaussian noise),
    resampled, and attacked
    (white-box through a surrogate, and black-box); and an ood set, scored by energy."""
    demo = demo_suite_path("digits")
    shipped = yaml.safe_load(demo.read_text())
    models = [dict(m) for m in shipped["models"]]
    for model in models:
        model.pop("training_data", None)
        for key in ("checkpoint", "path"):
            if key in model:
                model[key] = str(demo.parent / model[key])
    clean = {k: v for k, v in shipped["datasets"][0].items() if k != "homepage"}
    ood = next(d for d in shipped["datasets"] if d.get("kind") == "ood")
    derived = yaml.safe_load(DERIVED)
    suite = {
        "name": "digits-streaming",
        "version": "1",
        "seed": 0,
        "batch_size": 64,
        "models": models,
        "datasets": [clean, *({"from": clean["name"], **d} for d in derived), ood],
    }
    path = folder / "digits.yaml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    return path


def test_a_streamed_run_gives_the_numbers_of_a_run_that_holds_every_matrix_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = load_suite(digits_suite(tmp_path))
    monkeypatch.setattr(features_module, "READ_BYTES", 64 * 64 * 4)  # a batch a chunk
    streamed_run = SuiteRun(loaded, cache=None)
    streamed = streamed_run.execute()
    read_alone = [n for n, d in streamed_run.datasets.items() if d.features.reader is not None]
    streamed_sets = {"digits_test", "rotation", "scaled", "noise", "noise_global", "labels"}
    streamed_sets |= {"digits_inverted"}  # the energy scores of an ood set read it in chunks
    assert streamed_sets | {"covariate"} <= set(read_alone)
    assert streamed_run.datasets["digits_inverted"].features.streams  # never made whole
    monkeypatch.setattr(FeatureBlock, "streams", property(lambda self: False))
    whole = SuiteRun(loaded, cache=None).execute()
    assert [r.model_dump() for r in streamed.report.results] == [
        r.model_dump() for r in whole.report.results
    ]
    assert predictions_table(streamed.blocks).equals(predictions_table(whole.blocks))


TABLE_SUITE = """
name: streamed-table
version: "1"
seed: 4
batch_size: 50
models:
  - {name: m, type: python, object: "tests.streaming.arrow_source:FrameModel", input: dataframe}
datasets:
  - name: clean
    source: {type: python, callable: "tests.streaming.arrow_source:load", params: {path: PATH}}
    id: id
    label: label
  - {name: swap, from: clean, kind: shifted, shift: {name: category_swap, params: {rate: 0.4}}}
  - name: missing
    from: clean
    kind: shifted
    shift: {name: missing_values, params: {rate: 0.4, columns: [x], given: [step]}}
  - name: noise
    from: clean
    kind: shifted
    shift: {name: gaussian_noise, params: {severity: 4, scale: global}}
"""


def test_a_streamed_table_with_measured_shifts_gives_the_numbers_of_a_whole_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_table(tmp_path / "t.arrow", 1_000)
    path = tmp_path / "t.yaml"
    path.write_text(TABLE_SUITE.replace("PATH", json.dumps(str(tmp_path / "t.arrow"))))
    loaded = load_suite(path)
    monkeypatch.setattr(features_module, "READ_BYTES", 100 * 3 * 4)  # two batches a chunk
    monkeypatch.setattr(column_spread, "LEAF_VALUES", 150)
    streamed_run = SuiteRun(loaded, cache=None)
    streamed = streamed_run.execute()
    assert all(d.features.reader is not None for d in streamed_run.datasets.values())
    assert len(streamed_run.datasets["clean"].features.chunks(1_000, 50)) == 10
    monkeypatch.setattr(FeatureBlock, "streams", property(lambda self: False))
    whole = SuiteRun(loaded, cache=None).execute()
    assert [r.model_dump() for r in streamed.report.results] == [
        r.model_dump() for r in whole.report.results
    ]
    assert predictions_table(streamed.blocks).equals(predictions_table(whole.blocks))
    probabilities = {b.dataset: b.probabilities for b in streamed.blocks}
    for name in ("swap", "missing", "noise"):  # each shift changed what the model saw
        assert (probabilities[name] != probabilities["clean"]).any(axis=1).mean() > 0.2


def test_chunks_are_whole_batches_of_about_the_read_size() -> None:
    block = FeatureBlock(np.zeros((1, 1024)), (("x", 1024),), None, ("x",))  # type: ignore[arg-type]
    chunks = block.chunks(100_000, 256)
    assert chunks[0] == slice(0, 4096)  # 16 MB of float32 rows of 1,024: 4,096, 16 batches
    assert chunks[-1].stop == 100_000 and all(c.start % 256 == 0 for c in chunks)


CAPPED_SUITE = """
name: streamed
version: "1"
models: [{name: m, type: python, object: "tests.streaming.arrow_source:FirstFeature"}]
datasets:
  - name: clean
    source: {type: python, callable: "tests.streaming.arrow_source:load", params: {path: PATH}}
    id: id
    label: label
    sensitive: [group]
  - {name: scaled, from: clean, kind: shifted, shift: {name: scaling, params: {factor: 0.5}}}
"""


@pytest.mark.slow
def test_a_set_four_times_the_memory_cap_runs_under_it(tmp_path: Path) -> None:
    cap_mb = 384
    feature_bytes = write_images(tmp_path / "x.arrow", 100_000, 4096)
    assert feature_bytes >= 4 * cap_mb * 2**20
    (tmp_path / "s.yaml").write_text(
        CAPPED_SUITE.replace("PATH", json.dumps(str(tmp_path / "x.arrow")))
    )
    done = subprocess.run(
        [sys.executable, "-m", "tests.streaming.capped_run", str(tmp_path / "s.yaml"),
         str(tmp_path / "cache"), str(cap_mb)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    assert not measured["killed"] and measured["peak_mb"] < cap_mb
    print(f"peak anonymous memory {measured['peak_mb']:.0f} MB under a {cap_mb} MB cap")
    # the model and labels are made so that the first feature predicts the label
    assert 0.8 < measured["results"]["m/clean/accuracy//"] < 0.9
