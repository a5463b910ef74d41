"""Comparison statistics, checked by simulation rather than asserted."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from assay.reports.comparison import (
    ComparePolicy,
    Comparison,
    adjust_p_values,
    compare_reports,
)
from assay.reports.comparison_output import write_comparison
from assay.reports.schema import Report
from tests.reports.test_store import golden_report

N_CLASSES = 3


def minimal_report() -> Report:
    data = golden_report().model_dump()
    data["datasets"] = [
        {
            "name": "d",
            "kind": "in_distribution",
            "fingerprint": "f" * 64,
            "n_examples": 0,
            "classes": ["0", "1", "2"],
        }
    ]
    data["metrics"] = [{"name": n, "params": {}} for n in ("accuracy", "ece", "nll")]
    return Report.model_validate(data)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def population(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True logits per example, labels drawn from them (so they are calibrated), and a
    slice column."""
    truth = rng.normal(0, 1.5, (n, N_CLASSES))
    cumulative = softmax(truth).cumsum(axis=1)
    labels = (rng.random(n)[:, None] > cumulative).sum(axis=1)
    site = np.where(rng.random(n) < 0.75, "a", "b")
    return truth, labels, site


def model_logits(rng: np.random.Generator, truth: np.ndarray) -> np.ndarray:
    """A fresh retrain: the true logits plus new noise per example."""
    return truth + rng.normal(0, 0.3, truth.shape)


def frame(model: str, labels: np.ndarray, probs: np.ndarray, site: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "example_id": [f"e{i}" for i in range(len(labels))],
            "dataset": "d",
            "model": model,
            "label": labels,
            "probs": list(probs.astype(np.float32)),
            "site": site,
        }
    )


def run(
    baseline: np.ndarray,
    candidate: np.ndarray,
    labels: np.ndarray,
    site: np.ndarray,
    policy: ComparePolicy,
    report: Report | None = None,
) -> Comparison:
    report = report or minimal_report()
    predictions = pd.concat(
        [frame("b", labels, baseline, site), frame("c", labels, candidate, site)]
    )
    return compare_reports(
        report,
        predictions,
        report,
        predictions,
        policy=policy,
        baseline_model="b",
        candidate_model="c",
    )


def test_identical_candidate_passes_with_zero_deltas() -> None:
    rng = np.random.default_rng(0)
    truth, labels, site = population(rng, 300)
    probs = softmax(model_logits(rng, truth))
    result = run(probs, probs, labels, site, ComparePolicy(n_resamples=200))
    assert all(cell.delta == 0 for cell in result.cells)
    assert {cell.verdict for cell in result.cells} == {"no_change"}
    assert result.churn[0].churn == 0


def test_rescaled_logits_flag_ece_with_zero_churn() -> None:
    rng = np.random.default_rng(1)
    truth, labels, site = population(rng, 1500)
    logits = model_logits(rng, truth)
    result = run(
        softmax(logits), softmax(3.0 * logits), labels, site, ComparePolicy(n_resamples=400)
    )
    overall = {c.metric: c for c in result.cells if c.slice is None}
    assert overall["ece"].verdict == "regression"
    assert overall["accuracy"].delta == 0 and overall["accuracy"].verdict == "no_change"
    assert result.churn[0].churn == 0 and result.churn[0].regressed_ids == []
    assert overall["ece"].silent  # accuracy, the headline, holds


def test_benign_retrains_keep_the_family_wise_false_alarm_rate() -> None:
    rng = np.random.default_rng(2)
    policy = ComparePolicy(
        n_resamples=300, default_tolerance=0.0, alpha=0.05, registry_defaults=False
    )
    alarms, trials = 0, 120
    for _ in range(trials):
        truth, labels, site = population(rng, 400)
        result = run(
            softmax(model_logits(rng, truth)),
            softmax(model_logits(rng, truth)),
            labels,
            site,
            policy,
        )
        alarms += any(c.verdict == "regression" for c in result.cells)
    # alpha = 0.05 family-wise over 9 cells; 120 trials allow Monte Carlo slack of ~2 SE
    assert alarms / trials <= 0.09, alarms


def test_planted_slice_regression_is_found_and_silent() -> None:
    rng = np.random.default_rng(3)
    policy = ComparePolicy(n_resamples=300)
    flagged = silent = 0
    trials = 30
    for _ in range(trials):
        truth, labels, site = population(rng, 1200)
        base = model_logits(rng, truth)
        candidate = base.copy()
        candidate[site == "b"] *= 3.0  # overconfident on site b only; same predictions
        result = run(softmax(base), softmax(candidate), labels, site, policy)
        cell = next(
            c for c in result.cells if c.slice == "site" and c.group == "b" and c.metric == "ece"
        )
        flagged += cell.verdict == "regression"
        silent += cell.silent
    assert flagged / trials >= 0.8 and silent == flagged


def test_tolerances_come_from_policy_then_registry() -> None:
    policy = ComparePolicy(tolerance={"ece": 0.03}, relative_tolerance={"brier_score": 0.1})
    assert policy.tolerance_for("ece", 0.2) == 0.03
    assert policy.tolerance_for("brier_score", 0.2) == pytest.approx(0.02)
    assert policy.tolerance_for("nll", 0.4) == pytest.approx(0.02)  # registry: 5% relative
    assert policy.tolerance_for("accuracy", 0.9) == 0.01  # registry: 0.01 absolute
    flat = ComparePolicy(default_tolerance=0.002, registry_defaults=False)
    assert flat.tolerance_for("nll", 0.4) == 0.002


def test_holm_and_bh_adjustments_match_statsmodels_formulas() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.005])
    # Holm: sorted 0.005, 0.01, 0.03, 0.04 → ×4, ×3, ×2, ×1 with running max
    assert adjust_p_values(p, "holm") == pytest.approx([0.03, 0.06, 0.06, 0.02])
    # BH: sorted p × m / rank, running min from the top
    assert adjust_p_values(p, "bh") == pytest.approx([0.02, 0.04, 0.04, 0.02])


@pytest.mark.parametrize("method", ["holm", "bh"])
def test_an_untestable_cell_leaves_the_other_adjustments_alone(method: str) -> None:
    rng = np.random.default_rng(3)
    finite = rng.uniform(0, 0.2, size=9)
    with_nan = np.insert(finite, [2, 5], np.nan)
    adjusted = adjust_p_values(with_nan, method)
    assert np.isnan(adjusted[[2, 6]]).all()
    assert np.delete(adjusted, [2, 6]) == pytest.approx(adjust_p_values(finite, method))
    assert np.isnan(adjust_p_values(np.array([np.nan, np.nan]), method)).all()


def test_a_nan_delta_or_standard_error_is_never_significant() -> None:
    from assay.reports.paired_cells import wald_p_value

    assert np.isnan(wald_p_value(float("nan"), 0.01))
    assert np.isnan(wald_p_value(0.05, float("nan")))
    assert np.isnan(wald_p_value(0.05, float("inf")))


def strict_json(text: str) -> Any:
    """``text`` parsed as JSON proper: NaN and Infinity, which Python writes, fail."""

    def reject(constant: str) -> float:
        raise AssertionError(f"the JSON holds {constant}, which is not JSON")

    return json.loads(text, parse_constant=reject)


def test_comparison_json_is_strict_json_with_unknown_numbers_as_null(tmp_path: Path) -> None:
    rng = np.random.default_rng(8)
    labels = rng.integers(0, 3, 400)
    probabilities = softmax(rng.normal(size=(400, 3)))
    site = rng.choice(np.array(["a", "b"]), 400)
    comparison = run(probabilities, probabilities, labels, site, ComparePolicy(n_resamples=50))
    first, *rest = comparison.cells
    unknown = replace(first, mde=float("nan"), p_adjusted=float("inf"), ci_low=float("-inf"))
    write_comparison(replace(comparison, cells=[unknown, *rest]), tmp_path)

    written = strict_json((tmp_path / "comparison.json").read_text())["cells"]
    assert written[0]["mde"] is None and written[0]["p_adjusted"] is None
    assert written[0]["ci_low"] is None and written[0]["delta"] == first.delta
    assert [c["mde"] for c in written[1:]] == [c.mde for c in rest]  # the rest in full


def test_churn_rates_have_intervals_per_slice() -> None:
    rng = np.random.default_rng(5)
    truth, labels, site = population(rng, 600)
    base, candidate = softmax(model_logits(rng, truth)), softmax(model_logits(rng, truth))
    result = run(base, candidate, labels, site, ComparePolicy(n_resamples=300))
    overall = next(c for c in result.churn if c.slice is None)
    lost = (base.argmax(axis=1) == labels) & (candidate.argmax(axis=1) != labels)
    assert overall.negative_flip_rate == pytest.approx(lost.mean())
    low, high = overall.intervals["negative_flip_rate"]
    assert low <= overall.negative_flip_rate <= high
    assert {(c.slice, c.group) for c in result.churn} == {
        (None, None),
        ("site", "a"),
        ("site", "b"),
    }
    assert len(overall.regressed_ids) == lost.sum()


def test_differing_datasets_are_refused_unless_unpaired() -> None:
    from assay.errors import InvalidInputError

    rng = np.random.default_rng(6)
    truth, labels, site = population(rng, 500)
    base_report = minimal_report()
    data = base_report.model_dump()
    data["datasets"][0]["fingerprint"] = "e" * 64
    other_report = Report.model_validate(data)
    predictions = pd.concat(
        [
            frame("b", labels, softmax(model_logits(rng, truth)), site),
            frame("c", labels, softmax(3 * model_logits(rng, truth)), site),
        ]
    )
    with pytest.raises(InvalidInputError, match="differs between the reports"):
        compare_reports(
            base_report,
            predictions,
            other_report,
            predictions,
            baseline_model="b",
            candidate_model="c",
        )
    result = compare_reports(
        base_report,
        predictions,
        other_report,
        predictions,
        baseline_model="b",
        candidate_model="c",
        allow_unpaired=True,
        policy=ComparePolicy(n_resamples=300),
    )
    assert {c.method for c in result.cells} == {"unpaired bootstrap"}
    assert result.churn == []  # flips need pairs
    paired = compare_reports(
        base_report,
        predictions,
        base_report,
        predictions,
        baseline_model="b",
        candidate_model="c",
        policy=ComparePolicy(n_resamples=300),
    )
    width = {c.metric: c.ci_high - c.ci_low for c in result.cells if c.slice is None}
    paired_width = {c.metric: c.ci_high - c.ci_low for c in paired.cells if c.slice is None}
    assert width["nll"] > paired_width["nll"]  # pairing removes the shared variance


def test_large_sample_gate_keeps_alpha_and_finds_a_planted_slice_regression() -> None:
    """At 40,000 examples the whole set and slice a (30,000) go through the normal-limit
    bootstrap: benign retrains still rarely alarm, and logits 1.2% too sharp on slice a
    (its ECE up by a few standard errors) are found and called silent."""
    rng = np.random.default_rng(7)
    policy = ComparePolicy(n_resamples=400, default_tolerance=0.0, registry_defaults=False)
    alarms = flagged = silent = 0
    trials = 12
    for _ in range(trials):
        truth, labels, site = population(rng, 40_000)
        base = model_logits(rng, truth)
        benign = run(softmax(base), softmax(model_logits(rng, truth)), labels, site, policy)
        alarms += any(c.verdict == "regression" for c in benign.cells)
        candidate = base.copy()
        candidate[site == "a"] *= 1.012  # ECE up by 3–7 standard errors
        planted = run(softmax(base), softmax(candidate), labels, site, policy)
        cell = next(
            c for c in planted.cells if (c.slice, c.group, c.metric) == ("site", "a", "ece")
        )
        flagged += cell.verdict == "regression"
        silent += cell.silent
    assert alarms <= 2, alarms
    assert flagged >= 0.8 * trials and silent == flagged


def test_fairness_gaps_are_compared_per_sensitive_column() -> None:
    """A candidate slightly better on site a and much worse on site b: the accuracy gap
    across sites is a regression (with the values the report itself computes), and silent,
    since overall accuracy stays within its declared tolerance of 0.02."""
    from assay.metrics.groups import by_group

    rng = np.random.default_rng(11)
    truth, labels, site = population(rng, 6000)
    base = softmax(model_logits(rng, truth))
    candidate_logits = model_logits(rng, truth)
    noisy = site == "b"
    candidate_logits[noisy] += rng.normal(0, 0.8, candidate_logits[noisy].shape)
    candidate_logits[~noisy] = truth[~noisy]  # the noise-free logits on site a
    candidate = softmax(candidate_logits)
    data = minimal_report().model_dump()
    data["datasets"][0]["sensitive"] = ["site"]
    data["bias"] = {"metrics": [{"name": "accuracy", "params": {}}], "min_group_size": 30}
    policy = ComparePolicy(tolerance={"accuracy": 0.02})
    result = run(base, candidate, labels, site, policy, Report.model_validate(data))
    gap = next(c for c in result.cells if (c.slice, c.metric) == ("site", "accuracy_difference"))
    expected = [
        by_group("accuracy", labels, probs, sensitive_features=site).difference()
        for probs in (base, candidate)
    ]
    assert gap.group is None and gap.n == len(labels)
    assert gap.baseline == pytest.approx(expected[0]) and gap.candidate == pytest.approx(
        expected[1]
    )
    assert gap.verdict == "regression"
    names = {c.metric for c in result.cells if c.slice == "site" and c.group is None}
    assert {"accuracy_ratio", "accuracy_worst_group", "demographic_parity_difference"} <= names
    headline = next(c for c in result.cells if c.metric == "accuracy" and c.slice is None)
    assert headline.verdict != "regression" and gap.silent


def test_ood_sets_compare_the_auroc_of_their_reference_split() -> None:
    """An ood set is judged by the AUROC of max-softmax scores against its in-distribution
    reference: the same as the report's own value, zero delta for an identical candidate,
    a regression for a candidate that is as confident on the ood set as on clean data."""
    from assay.metrics.ood import auroc

    rng = np.random.default_rng(13)
    truth, labels, site = population(rng, 800)
    clean = softmax(model_logits(rng, truth))
    outside = softmax(rng.normal(0, 0.5, (500, N_CLASSES)))  # unsure on the ood set
    overconfident = softmax(8.0 * rng.normal(0, 1.0, (500, N_CLASSES)))
    data = minimal_report().model_dump()
    data["datasets"].append(
        {**data["datasets"][0], "name": "o", "kind": "ood", "fingerprint": "o" * 64}
    )
    report = Report.model_validate(data)

    def ood_frame(model: str, probs: np.ndarray) -> pd.DataFrame:
        rows = frame(model, np.zeros(len(probs), dtype=int), probs, np.array(["a"] * len(probs)))
        return rows.assign(dataset="o", example_id=[f"o{i}" for i in range(len(probs))])

    for candidate, verdicts in ((outside, {"no_change"}), (overconfident, {"regression"})):
        predictions = pd.concat(
            [
                frame("b", labels, clean, site),
                frame("c", labels, clean, site),
                ood_frame("b", outside),
                ood_frame("c", candidate),
            ]
        )
        result = compare_reports(
            report, predictions, report, predictions, baseline_model="b", candidate_model="c"
        )
        cell = next(c for c in result.cells if c.dataset == "o")
        expected = auroc(clean.max(axis=1), outside.max(axis=1))
        assert cell.metric == "ood_auroc_msp" and cell.baseline == pytest.approx(expected)
        assert cell.candidate == pytest.approx(auroc(clean.max(axis=1), candidate.max(axis=1)))
        assert {cell.verdict} == verdicts


def test_comparisons_are_deterministic_on_the_large_sample_path() -> None:
    rng = np.random.default_rng(17)
    truth, labels, site = population(rng, 30_000)
    base, candidate = softmax(model_logits(rng, truth)), softmax(model_logits(rng, truth))
    first = run(base, candidate, labels, site, ComparePolicy(n_resamples=300))
    again = run(base, candidate, labels, site, ComparePolicy(n_resamples=300))
    assert first.cells == again.cells and first.churn == again.churn
    reseeded = run(base, candidate, labels, site, ComparePolicy(n_resamples=300, seed=1))
    assert [c.ci_low for c in reseeded.cells] != [c.ci_low for c in first.cells]
