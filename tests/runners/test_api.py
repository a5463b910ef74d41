"""The demo through the public Python API only: run, compare and gate, with results and
comparison cells read as DataFrames that match what the store holds."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

import assay


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding one digits-demo report, whichever test (and xdist worker) asks
    first: no test relies on another having run before it."""
    root = tmp_path_factory.mktemp("api")
    assay.run("demo:digits", store=root / "store", cache_dir=root / "cache")
    return root / "store"


def test_run_to_pandas_matches_the_stored_json(store: Path, tmp_path: Path) -> None:
    result = assay.run("demo:digits", store=store, cache_dir=tmp_path / "cache")
    assert result.folder is not None and result.inferred_cells == len(result.report.cells)
    frame = result.to_pandas()
    stored = json.loads((result.folder / "report.json").read_text())["results"]
    assert len(frame) == len(stored)
    expected = pd.DataFrame(stored)[frame.columns]
    pd.testing.assert_frame_equal(frame, expected, check_dtype=False)
    loaded = assay.load_report("latest:digits-demo", store=store)
    pd.testing.assert_frame_equal(loaded.to_pandas(), frame)
    html = result._repr_html_()
    assert "<table" in html and "digits-demo" in html and "…" not in html
    predictions = result.predictions()
    assert set(predictions.columns) >= {"example_id", "dataset", "model", "label", "probs"}


def test_compare_cells_as_a_frame(store: Path) -> None:
    comparison = assay.compare(
        "latest:digits-demo",
        "latest:digits-demo",
        store=store,
        baseline_model="mlp",
        candidate_model="logreg",
    )
    cells = comparison.to_pandas()
    assert len(cells) == len(comparison.cells) > 0
    noisy = cells[(cells.dataset == "digits_noise") & (cells.metric == "accuracy")]
    assert noisy.iloc[0]["verdict"] == "regression" and bool(noisy.iloc[0]["silent"])
    for row, cell in zip(cells.itertuples(), comparison.cells, strict=True):
        assert row.delta == cell.delta or (math.isnan(row.delta) and math.isnan(cell.delta))
    churn = comparison.churn_frame()
    assert {"negative_flip_rate", "negative_flip_rate_low", "regressed"} <= set(churn.columns)


def test_gate_through_the_api(store: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    baseline = assay.run("demo:release-v1", store=store, cache_dir=cache)
    assert baseline.folder is not None
    result = assay.gate("demo:release-v2", str(baseline.folder), store=store, cache_dir=cache)
    assert not result.passed and result.failures
    frame = result.to_pandas()
    failing = frame[frame.fails_gate]
    assert len(failing) == len(result.outcome.failing)
    assert (failing.verdict == "regression").all()
    assert result.verdict_file is not None
    verdict = json.loads(result.verdict_file.read_text())
    assert verdict["passed"] is False and verdict["regressions"] == len(failing)


def test_import_assay_stays_light() -> None:
    import subprocess
    import sys

    code = "import sys, assay; print(sorted(m for m in sys.modules if m.startswith('assay.')))"
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert shown.stdout.strip() == "['assay._version']"


def test_the_compare_and_gate_path_leaves_the_data_layer_unimported() -> None:
    """`assay compare`/`gate` read stored reports only: importing the datasets library (and
    through it huggingface_hub) cost ~4 s of start-up on every call when api.py pulled it in."""
    import subprocess
    import sys

    code = (
        "import sys, assay.runners.cli, assay.runners.cli_reports, assay.runners.cli_gate, "
        "assay.runners.api; print(sorted(m for m in ('datasets', 'torch', 'skops', "
        "'assay.runners.run') if m in sys.modules))"
    )
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert shown.stdout.strip() == "[]", shown.stderr
