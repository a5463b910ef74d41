"""Bootstrap intervals of biased plug-in statistics can miss their estimate; such results
say so in their note, and every other result's interval contains its value."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from assay.runners.run import run_suite
from assay.runners.scoring import EXCLUDED_ESTIMATE_NOTE
from assay.suites.loading import load_suite
from tests.hardening.hostile_models import RandomConfidence
from tests.hardening.workspace import write_suite


def _twin_groups(folder: Path, n_per_group: int = 600) -> None:
    """Two groups holding the same examples: every group gap is exactly 0, while each
    resample draws the groups apart, so a gap's percentile interval lies above 0."""
    x1 = np.arange(n_per_group) + 0.5
    probs = RandomConfidence().predict_proba(np.column_stack([x1, x1]))
    draws = np.random.default_rng(1).random(n_per_group)
    labels = np.where(draws < probs[:, 0], "a", "b")
    pd.DataFrame(
        {
            "id": [f"e{i}" for i in range(2 * n_per_group)],
            "x1": np.concatenate([x1, x1]),
            "x2": np.concatenate([x1, x1]),
            "group": ["g1"] * n_per_group + ["g2"] * n_per_group,
            "label": np.concatenate([labels, labels]),
        }
    ).to_csv(folder / "data.csv", index=False)


def _percentile_suite(suite: dict, folder: Path) -> None:
    suite["models"][0] = {
        "name": "m",
        "type": "python",
        "object": "tests.hardening.hostile_models:RandomConfidence",
    }
    suite["intervals"] = {"method": "percentile", "n_resamples": 400}
    suite["metrics"] = ["accuracy", "ece", "mce", "brier_score", "nll"]


def test_results_whose_interval_misses_the_estimate_carry_a_note(tmp_path: Path) -> None:
    _twin_groups(tmp_path)
    report = run_suite(load_suite(write_suite(tmp_path, _percentile_suite)), cache_dir=None).report
    with_intervals = [r for r in report.results if r.ci_low is not None and r.value is not None]
    assert len(with_intervals) > 10
    missed = [r for r in with_intervals if not r.ci_low <= r.value <= r.ci_high]  # type: ignore[operator]
    assert "ece_difference" in {r.metric for r in missed}
    for result in with_intervals:
        assert (result.note == EXCLUDED_ESTIMATE_NOTE) == (result in missed)
