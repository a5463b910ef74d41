"""assay's metrics against their peer libraries, side by side in one run.

    python benchmarks/bench_metrics.py [--quick]

1. ECE on 1M × 10 probabilities: assay vs torchmetrics (torch at 1 and at 2 threads).
2. Three parity metrics on 1M rows × 8 groups: assay vs fairlearn.
3. Intervals for all scalar metrics of one cell (n = 100k, B = 1,000): assay (shared
   resamples, sufficient statistics) vs scipy.stats.bootstrap run metric by metric with
   vectorised statistics.
Medians of interleaved repeats; ratios are peer time / assay time (higher = assay faster).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch
from fairlearn.metrics import demographic_parity_difference as fl_dpd
from fairlearn.metrics import demographic_parity_ratio as fl_dpr
from fairlearn.metrics import equalized_odds_difference as fl_eod
from scipy import stats
from torchmetrics.functional.classification import multiclass_calibration_error

from assay.metrics import (
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    group_codes,
)
from assay.metrics.calibration import expected_calibration_error
from assay.metrics.intervals import bootstrap_intervals
from assay.metrics.registry import METRICS, decompose
from assay.metrics.resampling import strata_codes


def timed(function: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        # torch's OpenMP workers spin for a while after each call; let them go idle so
        # they do not take the cores from whichever contender runs next
        time.sleep(0.05)
        began = time.perf_counter()
        function()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def report(title: str, results: dict[str, float], reference: str) -> None:
    print(f"\n{title}")
    for name, seconds in results.items():
        ratio = results[name] / results[reference] if name != reference else 1.0
        print(f"  {name:34s} {seconds * 1000:10.1f} ms   {ratio:7.2f}x assay's time")


def probabilities(rng: np.random.Generator, n: int, n_classes: int) -> np.ndarray:
    logits = rng.normal(scale=2.0, size=(n, n_classes)).astype(np.float32)
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    return probs / probs.sum(axis=1, keepdims=True)


def bench_ece(repeats: int) -> None:
    rng = np.random.default_rng(0)
    probs, labels = probabilities(rng, 1_000_000, 10), rng.integers(0, 10, 1_000_000)
    probs_t, labels_t = torch.from_numpy(probs), torch.from_numpy(labels)

    def torchmetrics_ece(threads: int) -> Callable[[], object]:
        def run() -> object:
            torch.set_num_threads(threads)
            return multiclass_calibration_error(probs_t, labels_t, num_classes=10, n_bins=15)

        return run

    contenders = {
        "assay ece": lambda: expected_calibration_error(labels, probs),
        "torchmetrics (1 thread)": torchmetrics_ece(1),
        "torchmetrics (2 threads)": torchmetrics_ece(2),
    }
    results = {name: timed(f, 1) for name, f in contenders.items()}  # warm-up
    results = {name: [] for name in contenders}  # type: ignore[misc]
    for _ in range(repeats):
        for name, function in contenders.items():
            results[name].append(timed(function, 1))  # type: ignore[attr-defined]
    report(
        "ECE, 1M x 10, 15 bins", {k: statistics.median(v) for k, v in results.items()}, "assay ece"
    )


def bench_groups(repeats: int) -> None:
    rng = np.random.default_rng(1)
    n = 1_000_000
    labels, predicted = rng.integers(0, 2, n), rng.integers(0, 2, n)
    groups = rng.choice([f"g{i}" for i in range(8)], size=n)

    def assay_three() -> object:
        encoded = group_codes(groups)  # encode the column once, as the runner does
        return (
            demographic_parity_difference(labels, predicted, sensitive_features=encoded),
            demographic_parity_ratio(labels, predicted, sensitive_features=encoded),
            equalized_odds_difference(labels, predicted, sensitive_features=encoded),
        )

    def fairlearn_three() -> object:
        return (
            fl_dpd(labels, predicted, sensitive_features=groups),
            fl_dpr(labels, predicted, sensitive_features=groups),
            fl_eod(labels, predicted, sensitive_features=groups),
        )

    assay_time = timed(assay_three, repeats)
    fairlearn_time = timed(fairlearn_three, max(1, repeats // 3))
    report(
        "parity metrics (DPD, DPR, EOD), 1M rows x 8 groups",
        {"assay": assay_time, "fairlearn": fairlearn_time},
        "assay",
    )


def bench_intervals(repeats: int, n: int, n_resamples: int) -> None:
    rng = np.random.default_rng(2)
    probs, labels = probabilities(rng, n, 10).astype(np.float64), rng.integers(0, 10, n)
    names = [name for name, info in METRICS.items() if not info.needs_groups and not info.per_class]

    def assay_all(n_jobs: int | None = None) -> object:
        decompositions = [decompose(name, labels, probs) for name in names]
        return bootstrap_intervals(
            [d for d in decompositions if d is not None],
            n_resamples=n_resamples,
            method="percentile",
            strata=strata_codes(labels),
            closed_form=False,
            n_jobs=n_jobs,
        )

    predicted = probs.argmax(axis=1)
    confidence = probs.max(axis=1)
    correct = (predicted == labels).astype(float)
    true_prob = probs[np.arange(n), labels]
    per_example = {
        "accuracy": correct,
        "brier_score": np.sum((probs - np.eye(10)[labels]) ** 2, axis=1),
        "nll": -np.log(true_prob),
    }
    bins = np.minimum((confidence * 15).astype(int), 14)

    def vector_ece(index: np.ndarray, axis: int = -1) -> np.ndarray:
        b, c, o = bins[index], confidence[index], correct[index]
        rows = np.arange(index.shape[0])[:, None] * 15 + b
        count = np.bincount(rows.ravel(), minlength=index.shape[0] * 15).reshape(-1, 15)
        gap = np.bincount(
            rows.ravel(), weights=(o - c).ravel(), minlength=index.shape[0] * 15
        ).reshape(-1, 15)
        return np.abs(gap).sum(axis=1) / count.sum(axis=1)

    def scipy_each() -> object:
        out = []
        for values in per_example.values():
            out.append(
                stats.bootstrap(
                    (values,),
                    np.mean,
                    n_resamples=n_resamples,
                    method="percentile",
                    random_state=0,
                    batch=50,
                )
            )
        index = np.arange(n)
        out.append(
            stats.bootstrap(
                (index,),
                vector_ece,
                n_resamples=n_resamples,
                method="percentile",
                random_state=0,
                batch=50,
            )
        )
        return out

    assay_time = timed(assay_all, repeats)
    assay_serial = timed(lambda: assay_all(n_jobs=1), repeats)
    scipy_time = timed(scipy_each, 1)
    per_metric = scipy_time / 4
    print(f"\nintervals of one cell, n={n:,}, B={n_resamples:,}, percentile")
    for label, seconds in (("all cores", assay_time), ("1 thread", assay_serial)):
        print(
            f"  assay ({label}), {len(names)} metrics, shared resamples "
            f"{seconds * 1000:9.1f} ms ({seconds / len(names) * 1000:.1f} ms per metric); "
            f"scipy per metric / assay per metric {per_metric / (seconds / len(names)):6.2f}x"
        )
    print(
        f"  scipy.stats.bootstrap, 4 metrics one by one {scipy_time * 1000:9.1f} ms "
        f"({per_metric * 1000:.1f} ms per metric)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    repeats = 3 if args.quick else 7
    print(f"numpy {np.__version__}, torch {torch.__version__}")
    bench_ece(repeats)
    bench_groups(repeats)
    bench_intervals(max(1, repeats // 3), 100_000, 1000)


if __name__ == "__main__":
    main()
