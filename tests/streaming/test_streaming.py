"""Streaming: a set is read a chunk of whole batches at a time, shifted sets are made some
rows at a time where the shift acts on each row alone, and the numbers are those of a run
that holds every matrix whole. A set four times the size of a memory cap runs under it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from assay.demo import demo_suite_path
from assay.reports.predictions import predictions_table
from assay.runners.run import SuiteRun
from assay.suites import features as features_module
from assay.suites.features import FeatureBlock
from assay.suites.loading import load_suite
from assay.suites.shifts import SHIFTS
from tests.streaming.arrow_source import write_images

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


def test_only_shifts_that_act_on_each_row_alone_say_so() -> None:
    # a column's spread, a rank over the rows, the categories seen: these need every row
    for name in ("gaussian_noise", "missing_values", "category_swap"):
        assert not SHIFTS.get(name).row_local
    assert SHIFTS.get("scaling").row_local and SHIFTS.get("image.rotation").row_local


DERIVED = """
- {name: rotation, kind: shifted, shift: {name: image.rotation, params: {severity: 2}}}
- {name: scaled, kind: shifted, shift: {name: scaling, params: {factor: 0.5}}}
- {name: noise, kind: shifted, shift: {name: gaussian_noise, params: {severity: 2}}}
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
    row by row (rotation, scaling) and whole (Gaussian noise), resampled, and attacked
    (white-box through a surrogate, and black-box)."""
    demo = demo_suite_path("digits")
    shipped = yaml.safe_load(demo.read_text())
    models = [dict(m) for m in shipped["models"]]
    for model in models:
        model.pop("training_data", None)
        for key in ("checkpoint", "path"):
            if key in model:
                model[key] = str(demo.parent / model[key])
    clean = {k: v for k, v in shipped["datasets"][0].items() if k != "homepage"}
    derived = yaml.safe_load(DERIVED)
    suite = {
        "name": "digits-streaming",
        "version": "1",
        "seed": 0,
        "batch_size": 64,
        "models": models,
        "datasets": [clean, *({"from": clean["name"], **d} for d in derived)],
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
    assert {"digits_test", "rotation", "scaled", "labels", "covariate"} <= set(read_alone)
    assert "noise" not in read_alone  # the noise's scale is a column's spread: made whole
    monkeypatch.setattr(FeatureBlock, "streams", property(lambda self: False))
    whole = SuiteRun(loaded, cache=None).execute()
    assert [r.model_dump() for r in streamed.report.results] == [
        r.model_dump() for r in whole.report.results
    ]
    assert predictions_table(streamed.blocks).equals(predictions_table(whole.blocks))


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
