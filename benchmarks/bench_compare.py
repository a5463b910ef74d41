"""Time ``assay compare`` on two stored reports: N examples, 13 cell blocks (overall + 12
slice groups) × 4 metrics = 52 cells, B paired resamples; beside it, scipy's paired
bootstrap (``scipy.stats.bootstrap(paired=True)``) for one of those cells.

    python benchmarks/bench_compare.py [--rows 1000000] [--resamples 1000] [--peer-rows 100000]

The issue's target is under 10 s for 1M examples × 50 cells with B = 1,000 on 2 cores.
Three timings: the ``assay compare`` command as a user runs it (a fresh process: start-up,
loading and hash-checking both reports, comparing, printing), the comparison alone
(``compare_reports`` on loaded tables), and the peer on one cell.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from scipy import stats

from assay.reports.comparison import ComparePolicy, compare_reports
from assay.reports.predictions import PredictionBlock, predictions_table
from assay.reports.schema import Report
from assay.reports.store import ReportStore, load_report

N_CLASSES = 3
SITES = 12


def synthetic_report(rows: int, run_id: str, created_at: str) -> Report:
    """The golden v2 report, relabelled: one dataset of ``rows`` examples, 4 metrics."""
    golden = load_report(Path(__file__).parents[1] / "tests" / "reports" / "golden" / "v2")
    data = golden.model_dump()
    data.update(run_id=run_id, created_at=created_at, content_sha256=None)
    data["models"] = [{**data["models"][0], "name": "m"}]
    data["datasets"] = [
        {
            "name": "d",
            "kind": "in_distribution",
            "fingerprint": "f" * 64,
            "n_examples": rows,
            "classes": [str(c) for c in range(N_CLASSES)],
        }
    ]
    data["metrics"] = [{"name": n, "params": {}} for n in ("accuracy", "ece", "brier_score", "nll")]
    data["results"] = []
    return Report.model_validate(data)


def synthetic_predictions(rows: int, seed: int) -> tuple[np.ndarray, list[pa.Table]]:
    """Labels, and predictions of two checkpoints (independent noise on the same logits)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, N_CLASSES, rows)
    sites = rng.choice([f"s{i:02d}" for i in range(SITES)], size=rows)
    ids = np.char.add("e", np.arange(rows).astype(str))
    tables = []
    for _ in range(2):
        logits = 2.0 * np.eye(N_CLASSES)[labels] + rng.normal(0, 1.2, (rows, N_CLASSES))
        probs = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        block = PredictionBlock("m", "d", ids, labels, probs, {"site": sites})
        tables.append(predictions_table([block]))
    return labels, tables


def time_command(store: Path) -> float:
    """``assay compare`` as a user runs it (the command always draws B = 1,000)."""
    command = [sys.executable, "-m", "assay", "compare", "baseline", "candidate"]
    environment = {**os.environ, "ASSAY_STORE": str(store)}
    began = time.perf_counter()
    subprocess.run(command, env=environment, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - began


def time_library(store: Path, resamples: int) -> tuple[float, int]:
    folders = [ReportStore(store).resolve(tag) for tag in ("baseline", "candidate")]
    began = time.perf_counter()
    loaded = []
    for folder in folders:
        report = load_report(folder, verify_predictions=True)
        loaded.append((report, pq.read_table(folder / report.predictions.file)))
    result = compare_reports(
        loaded[0][0],
        loaded[0][1],
        loaded[1][0],
        loaded[1][1],
        policy=ComparePolicy(n_resamples=resamples),
    )
    return time.perf_counter() - began, len(result.cells)


def time_peer(labels: np.ndarray, tables: list[pa.Table], rows: int, resamples: int) -> float:
    """scipy's paired percentile bootstrap of the accuracy delta on ``rows`` examples."""
    right = [
        (np.stack(t.column("probs").to_numpy(zero_copy_only=False)).argmax(axis=1) == labels)[
            :rows
        ].astype(float)
        for t in tables
    ]

    def delta(baseline: np.ndarray, candidate: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.mean(candidate, axis=axis) - np.mean(baseline, axis=axis)

    began = time.perf_counter()
    stats.bootstrap(
        (right[0], right[1]),
        delta,
        paired=True,
        vectorized=True,
        n_resamples=resamples,
        batch=max(1, 20_000_000 // rows),
        method="percentile",
        random_state=0,
    )
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--peer-rows", type=int, default=100_000)
    args = parser.parse_args()
    labels, tables = synthetic_predictions(args.rows, 0)
    with tempfile.TemporaryDirectory() as folder:
        store = ReportStore(Path(folder))
        for tag, table, stamp in zip(
            ("baseline", "candidate"),
            tables,
            ("2026-11-26T00:00:00+00:00", "2026-11-26T00:00:01+00:00"),
            strict=True,
        ):
            written = store.write(synthetic_report(args.rows, tag * 4, stamp), table)
            _tag(Path(folder), written, tag)
        command = time_command(Path(folder)) if args.resamples == 1000 else float("nan")
        library, n_cells = time_library(Path(folder), args.resamples)
    peer = time_peer(labels, tables, args.peer_rows, args.resamples)
    peer_all = peer * n_cells * args.rows / args.peer_rows
    print(f"rows={args.rows:,} cells={n_cells} B={args.resamples}")
    print(f"  assay compare (fresh process, end to end): {command:6.1f} s  (target < 10 s)")
    print(f"  compare_reports (load + compare):          {library:6.1f} s")
    print(
        f"  scipy.stats.bootstrap(paired=True), one accuracy cell on {args.peer_rows:,} rows: "
        f"{peer:.2f} s; scaled to {n_cells} cells × {args.rows:,} rows ≈ {peer_all:,.0f} s "
        f"({peer_all / library:,.0f}× assay)"
    )


def _tag(root: Path, folder: Path, tag: str) -> None:
    from assay.reports.store import tag_report

    tag_report(ReportStore(root), folder.name, tag)


if __name__ == "__main__":
    main()
