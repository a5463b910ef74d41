"""OOD detection metrics against scikit-learn, and the DeLong interval's coverage."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

from assay.metrics import ood


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 300), st.integers(1, 300), st.integers(0, 2))
def test_detection_metrics_match_sklearn(seed: int, n_in: int, n_out: int, decimals: int) -> None:
    rng = np.random.default_rng(seed)
    inside = rng.normal(1.0, 1.0, n_in).round(decimals)  # rounding makes ties
    outside = rng.normal(0.0, 1.0, n_out).round(decimals)
    scores = np.r_[inside, outside]
    is_in = np.r_[np.ones(n_in), np.zeros(n_out)]
    assert ood.auroc(inside, outside) == pytest.approx(roc_auc_score(is_in, scores), abs=1e-12)
    assert ood.aupr_in(inside, outside) == pytest.approx(
        average_precision_score(is_in, scores), abs=1e-12
    )
    assert ood.aupr_out(inside, outside) == pytest.approx(
        average_precision_score(1 - is_in, -scores), abs=1e-12
    )
    fpr, tpr, _ = roc_curve(is_in, scores, drop_intermediate=False)
    assert ood.fpr_at_95_tpr(inside, outside) == pytest.approx(
        fpr[np.searchsorted(tpr, 0.95 - 1e-12, side="left")], abs=1e-12
    )


def test_energy_score_is_logsumexp() -> None:
    logits = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    expected = np.log(np.exp(logits).sum(axis=1))
    assert ood.negative_energy_score(logits) == pytest.approx(expected)


def test_delong_interval_covers_the_true_auroc() -> None:
    # scores N(0.8, 1) vs N(0, 1): true AUROC = Φ(0.8 / √2)
    from scipy.stats import norm

    truth = norm.cdf(0.8 / np.sqrt(2))
    rng = np.random.default_rng(11)
    covered = 0
    trials = 300
    for _ in range(trials):
        inside, outside = rng.normal(0.8, 1, 150), rng.normal(0, 1, 120)
        low, high = ood.auroc_delong_interval(inside, outside)
        covered += low <= truth <= high
    assert 0.92 <= covered / trials <= 0.98


def test_paired_auroc_difference_matches_sklearn_and_a_paired_bootstrap() -> None:
    """The delta equals sklearn's AUROC difference; DeLong's paired standard error agrees
    with the spread of a paired bootstrap of that difference (same examples resampled for
    both scores)."""
    rng = np.random.default_rng(4)
    m, n = 400, 300
    shared_in, shared_out = rng.normal(1.0, 1.0, m), rng.normal(0.0, 1.0, n)
    base = (shared_in + rng.normal(0, 0.5, m), shared_out + rng.normal(0, 0.5, n))
    cand = (shared_in + rng.normal(0, 0.5, m), shared_out + rng.normal(0, 0.5, n))
    delta, error = ood.paired_auroc_difference(base, cand)

    def sk(scores: tuple[np.ndarray, np.ndarray]) -> float:
        truth = np.r_[np.ones(len(scores[0])), np.zeros(len(scores[1]))]
        return float(roc_auc_score(truth, np.r_[scores[0], scores[1]]))

    assert delta == pytest.approx(sk(cand) - sk(base))
    draws = []
    for _ in range(600):
        i, o = rng.integers(0, m, m), rng.integers(0, n, n)
        draws.append(sk((cand[0][i], cand[1][o])) - sk((base[0][i], base[1][o])))
    assert 0.85 < error / np.std(draws) < 1.15


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=1, max_size=60))
def test_rankdata_matches_scipy(values: list[int]) -> None:
    from scipy import stats

    from assay.metrics.ood import rankdata

    data = np.array(values, dtype=np.float64) / 3
    assert rankdata(data).tolist() == stats.rankdata(data).tolist()
