"""Time ``compare_reports`` on two synthetic reports: N examples, 13 cell blocks (overall +
12 slice groups) × 4 metrics = 52 cells, B paired resamples.

    python benchmarks/bench_compare.py [--rows 1000000] [--resamples 1000]

The issue's target is under 10 s for 1M examples × 50 cells with B = 1,000 on 2 cores.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from assay.reports.comparison import ComparePolicy, compare_reports
from assay.reports.schema import Report
from assay.reports.store import load_report


def synthetic(rows: int, seed: int) -> tuple[Report, pd.DataFrame]:
    from pathlib import Path

    golden = load_report(Path(__file__).parents[1] / "tests" / "reports" / "golden" / "v2")
    data = golden.model_dump()
    data["datasets"] = [
        {
            "name": "d",
            "kind": "in_distribution",
            "fingerprint": "f" * 64,
            "n_examples": rows,
            "classes": ["0", "1", "2"],
        }
    ]
    data["metrics"] = [{"name": n, "params": {}} for n in ("accuracy", "ece", "brier_score", "nll")]
    report = Report.model_validate(data)
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, rows)
    frames = []
    for model in ("b", "c"):
        logits = 2.0 * np.eye(3)[labels] + rng.normal(0, 1.2, (rows, 3))
        probs = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        frames.append(
            pd.DataFrame(
                {
                    "example_id": np.char.add("e", np.arange(rows).astype(str)),
                    "dataset": "d",
                    "model": model,
                    "label": labels,
                    "probs": list(probs.astype(np.float32)),
                    "site": rng.choice([f"s{i}" for i in range(12)], size=rows),
                }
            )
        )
    return report, pd.concat(frames, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()
    report, predictions = synthetic(args.rows, 0)
    began = time.perf_counter()
    result = compare_reports(
        report,
        predictions,
        report,
        predictions,
        baseline_model="b",
        candidate_model="c",
        policy=ComparePolicy(n_resamples=args.resamples),
    )
    seconds = time.perf_counter() - began
    print(
        f"rows={args.rows:,} cells={len(result.cells)} B={args.resamples}: "
        f"{seconds:.1f} s (target < 10 s at 1M rows, 50 cells, B=1000)"
    )


if __name__ == "__main__":
    main()
