"""`assay run` against the script a user would write, at scale (issue 10).

Builds a tabular suite — N rows × 20 float features, 3 classes, one scikit-learn logistic
regression (skops), an in-distribution set and a gaussian-noise shifted copy, a 12-value
slice column and a 4-group sensitive column, accuracy/ECE/Brier/NLL — and times, each in a
fresh process, with its peak resident memory:

- the bare script: read the Parquet file, ``predict_proba`` both sets (the shifted one
  with numpy noise), accuracy and ECE;
- ``assay run``, first (empty prediction cache);
- ``assay run`` again, the prediction cache warm;
- ``assay run`` with ``intervals: {method: none}``, from an empty cache, and again with the
  predictions cached (its scores are not: the settings differ).

Each configuration runs ``--repeats`` times (default 3), interleaved round by round, each
round from empty caches; medians are reported with their range. Ratios are medians over the
bare script's median; the cached rerun is also given as a share of the first run.

Usage: ``python benchmarks/bench_run.py --rows 1000000`` (several sizes: ``--rows 100000
1000000``; ``--repeats 5`` for tighter medians).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

N_FEATURES = 20
N_CLASSES = 3
SLICE_VALUES = 12
GROUPS = 4

BARE_SCRIPT = """
import sys
import numpy as np, pandas as pd, skops.io as sio
folder = sys.argv[1]
frame = pd.read_parquet(f"{folder}/data.parquet")
features = frame[[f"x{i}" for i in range(20)]].to_numpy(np.float32)
labels = frame["label"].to_numpy()
path = f"{folder}/model.skops"
model = sio.load(path, trusted=sio.get_untrusted_types(file=path))
rng = np.random.default_rng(0)
noise = rng.normal(scale=0.35 * features.std(axis=0), size=features.shape)
noisy = features + noise.astype(np.float32)
for x in (features, noisy):
    probs = model.predict_proba(x)
    top = probs.argmax(axis=1)
    confidence = probs.max(axis=1)
    correct = top == labels
    bins = np.minimum((confidence * 15).astype(int), 14)
    count = np.bincount(bins, minlength=15)
    gap = np.bincount(bins, weights=correct - confidence, minlength=15)
    print(correct.mean(), np.abs(gap).sum() / count.sum())
"""

SUITE = """
name: run-benchmark
version: "1"
seed: 0
models:
  - name: logreg
    type: sklearn
    path: model.skops
datasets:
  - name: test
    kind: in_distribution
    source: {{type: file, path: data.parquet}}
    id: uid
    label: label
    features: [{features}]
    sensitive: [group]
  - name: noisy
    kind: shifted
    from: test
    shift: {{name: gaussian_noise, params: {{severity: 2}}}}
metrics: [accuracy, ece, brier_score, nll]
slices: [segment]
bias:
  metrics: [accuracy]
{intervals}
"""


def build(folder: Path, rows: int) -> None:
    """The data file, the model and two suites (intervals on, intervals off)."""
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    features = rng.normal(size=(rows, N_FEATURES)).astype(np.float32)
    weights = rng.normal(size=(N_FEATURES, N_CLASSES))
    logits = features @ weights + rng.gumbel(size=(rows, N_CLASSES))
    labels = logits.argmax(axis=1)
    frame = pd.DataFrame(features, columns=[f"x{i}" for i in range(N_FEATURES)])
    frame["uid"] = np.arange(rows)
    frame["label"] = labels
    frame["segment"] = rng.integers(0, SLICE_VALUES, rows).astype(str)
    frame["group"] = np.array([f"g{i}" for i in range(GROUPS)])[rng.integers(0, GROUPS, rows)]
    frame.to_parquet(folder / "data.parquet")
    model = LogisticRegression(max_iter=200).fit(features[:20_000], labels[:20_000])
    sio.dump(model, folder / "model.skops")
    names = ", ".join(f"x{i}" for i in range(N_FEATURES))
    (folder / "suite.yaml").write_text(SUITE.format(features=names, intervals=""))
    (folder / "suite_no_intervals.yaml").write_text(
        SUITE.format(features=names, intervals="intervals: {method: none}")
    )


def timed(command: list[str], environment: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one fresh process."""
    began = time.perf_counter()
    process = subprocess.Popen(
        command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - began
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command[:4]} failed")
    return seconds, usage.ru_maxrss / 1024


def measure(rows: int, repeats: int) -> None:
    """Every configuration ``repeats`` times, interleaved (each round from empty caches), so
    machine noise falls on all of them alike; medians are reported, with the range."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        build(folder, rows)
        assay = [sys.executable, "-m", "assay", "run"]
        samples: dict[str, list[tuple[float, float]]] = {}
        for round_ in range(repeats):
            environment = {
                **os.environ,
                "ASSAY_STORE": str(folder / "store"),
                "ASSAY_CACHE": str(folder / f"cache-{round_}"),
            }
            fresh = {**environment, "ASSAY_CACHE": str(folder / f"fresh-cache-{round_}")}
            runs = {
                "bare script": ([sys.executable, "-c", BARE_SCRIPT, str(folder)], environment),
                "assay run, first": ([*assay, str(folder / "suite.yaml")], environment),
                "assay run, cached": ([*assay, str(folder / "suite.yaml")], environment),
                "assay run, no intervals": (
                    [*assay, str(folder / "suite_no_intervals.yaml")],
                    fresh,
                ),
                "  same, predictions cached": (
                    [*assay, str(folder / "suite_no_intervals.yaml")],
                    environment,
                ),
            }
            for label, run in runs.items():
                samples.setdefault(label, []).append(timed(*run))
    medians = {label: statistics.median(s for s, _ in found) for label, found in samples.items()}
    bare, first = medians["bare script"], medians["assay run, first"]
    print(f"\n{rows:,} rows × {N_FEATURES} features, {N_CLASSES} classes; median of {repeats}")
    for label, found in samples.items():
        seconds = medians[label]
        spread = f"{min(s for s, _ in found):.1f}–{max(s for s, _ in found):.1f}"
        peak = max(p for _, p in found)
        share = f"   {seconds / first:5.0%} of the first run" if label.endswith("cached") else ""
        print(
            f"  {label:26s} {seconds:6.1f} s ({spread})  {seconds / bare:4.2f}× bare"
            f"   peak RSS {peak:6.0f} MiB{share}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds per size")
    arguments = parser.parse_args()
    for rows in arguments.rows:
        measure(rows, arguments.repeats)


if __name__ == "__main__":
    main()
