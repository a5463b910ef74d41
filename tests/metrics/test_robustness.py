"""Robustness summaries: hand-computed cases and the paired decomposition."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from assay.metrics.resampling import resample_counts
from assay.metrics.robustness import (
    CorruptionErrors,
    accuracy_drop,
    effective_robustness,
    mean_corruption_error,
    paired_decomposition,
    relative_robustness,
)
from tests.demo_copies import portable_demo


def test_mce_normalised_and_not() -> None:
    ours = [CorruptionErrors("noise", {1: 0.1, 2: 0.3}), CorruptionErrors("blur", {1: 0.2})]
    ref = [CorruptionErrors("noise", {1: 0.2, 2: 0.6}), CorruptionErrors("blur", {1: 0.8})]
    assert mean_corruption_error(ours, ref) == pytest.approx((0.4 / 0.8 + 0.2 / 0.8) / 2)
    assert mean_corruption_error(ours) == pytest.approx((0.2 + 0.2) / 2)
    with pytest.raises(ValueError, match="same severities"):
        mean_corruption_error(ours, [CorruptionErrors("noise", {1: 0.2})])


def test_effective_robustness_on_both_scales() -> None:
    assert effective_robustness(0.6, 0.5, slope=0.5, intercept=0.1, scale="linear") == (
        pytest.approx(0.5 - 0.4)
    )
    logit = np.log(0.9 / 0.1)
    expected = 0.7 - 1 / (1 + np.exp(-(0.8 * logit - 0.2)))
    assert effective_robustness(0.9, 0.7, slope=0.8, intercept=-0.2) == pytest.approx(expected)


def test_paired_decomposition_on_resamples() -> None:
    rng = np.random.default_rng(0)
    clean = (rng.random(300) < 0.9).astype(int)
    shifted = clean * (rng.random(300) < 0.7)
    decomposition = paired_decomposition(clean, shifted)
    assert decomposition.value() == pytest.approx(
        [accuracy_drop(clean, shifted), relative_robustness(clean, shifted)]
    )
    counts = next(resample_counts(300, 4, seed=1))
    for row, values in zip(counts.astype(int), decomposition.resampled(counts), strict=True):
        index = np.repeat(np.arange(300), row)
        assert values == pytest.approx(
            [
                accuracy_drop(clean[index], shifted[index]),
                relative_robustness(clean[index], shifted[index]),
            ]
        )


def test_runner_normalises_mce_and_reports_effective_robustness(tmp_path: Path) -> None:
    from assay.runners.run import run_suite
    from assay.suites.loading import load_suite

    suite = portable_demo("digits")
    suite["robustness"] = {
        "reference_model": "logreg",
        "baseline_fit": {"slope": 1.0, "intercept": -0.5},
    }
    suite["intervals"] = {"method": "none"}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(suite))
    report = run_suite(load_suite(tmp_path / "s.yaml"), cache_dir=None).report
    assert report.result(
        "logreg", "digits_test", "mean_corruption_error", kind="robustness"
    ).value == pytest.approx(1.0)

    def errors(model: str, corruption: str, severities: range) -> float:
        names = [f"digits_{corruption}_s{s}" for s in severities] or ["digits_noise"]
        return sum(1 - report.result(model, name, "accuracy").value for name in names)  # type: ignore[operator]

    declared = [("gaussian_noise", range(0))] + [  # digits_noise: one severity
        (c, range(1, 6)) for c in ("contrast", "shot_noise", "rotation")
    ]
    ratios = [errors("mlp", c, s) / errors("logreg", c, s) for c, s in declared]
    assert report.result(
        "mlp", "digits_test", "mean_corruption_error", kind="robustness"
    ).value == pytest.approx(np.mean(ratios))
    clean = report.result("mlp", "digits_test", "accuracy").value
    shifted = report.result("mlp", "digits_noise", "accuracy").value
    assert report.result("mlp", "digits_noise", "effective_robustness").value == pytest.approx(
        effective_robustness(clean, shifted, slope=1.0, intercept=-0.5)
    )
