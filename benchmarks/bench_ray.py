"""The Ray executor against the local one, side by side in one run.

    python benchmarks/bench_ray.py [--rows 20000] [--variants 30] [--variant-rows 10000]

Each configuration runs in a fresh process (its peak RSS is its own), uncached:
- overhead: a CPU-bound model (12 single-threaded 256×256 tanh layers per batch) on
  ``--rows`` rows in shards of 2,000: local, then Ray with 1 worker (Ray's overhead ratio,
  its start-up included) and with 2 workers (the speed-up over 1);
- large: ``--variants`` image-corruption variants (6 corruptions × 5 severities) of a
  ``--variant-rows``-row 16×16 image set, a linear model: throughput (examples/s) and the
  driver's peak RSS, local and on Ray with 2 workers.
Ray's workers are started by a private local instance (loopback only).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CORRUPTIONS = ("gaussian_noise", "shot_noise", "contrast", "brightness", "pixelate", "rotation")


class HeavyModel:
    """A CPU-bound scorer: 12 tanh layers of 256 units, one BLAS thread, fixed weights."""

    def __init__(self, layers: int = 12) -> None:
        rng = np.random.default_rng(0)
        self.weights = [rng.normal(0, 0.06, (256, 256)) for _ in range(layers)]
        self.head = rng.normal(0, 0.1, (256, 10))

    def predict_proba(self, batch: Any) -> np.ndarray:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):
            x = np.asarray(batch, np.float64)
            for weight in self.weights:
                x = np.tanh(x @ weight)
            logits = x @ self.head
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)


class LinearModel(HeavyModel):
    def __init__(self) -> None:
        super().__init__(layers=0)


def _images(folder: Path, rows: int) -> Path:
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, (rows, 256)).astype(np.uint8)
    labels = rng.integers(0, 10, rows)
    np.savez(folder / "images.npz", image=pixels, label=labels)
    return folder / "images.npz"


def _suite(folder: Path, rows: int, model: str, variants: int) -> Path:
    data = _images(folder, rows)
    datasets: list[dict[str, Any]] = [
        {"name": "clean", "source": {"type": "file", "path": str(data)}, "label": "label",
         "image": {"column": "image", "layout": "HW", "shape": [16, 16], "range": [0, 255]}}
    ]  # fmt: skip
    for corruption in CORRUPTIONS[: max(0, -(-variants // 5))]:
        datasets.append(
            {"name": corruption, "kind": "shifted", "from": "clean",
             "shift": {"name": f"image.{corruption}", "params": {"severity": "all"}}}
        )  # fmt: skip
    suite = {
        "name": "bench-ray", "version": "1", "batch_size": 500,
        "models": [{"name": "m", "type": "python", "object": f"benchmarks.bench_ray:{model}"}],
        "datasets": datasets, "metrics": ["accuracy"], "intervals": {"method": "none"},
    }  # fmt: skip
    (folder / "s.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    return folder / "s.yaml"


def one(kind: str, executor: str, workers: int, rows: int, variants: int) -> dict[str, Any]:
    """One configuration in this process: seconds, examples scored, peak RSS (MiB)."""
    from assay.runners.executors import LocalExecutor
    from assay.runners.ray_executor import RayExecutor
    from assay.runners.run import SuiteRun
    from assay.suites.loading import load_suite

    folder = Path(tempfile.mkdtemp())
    model = "HeavyModel" if kind == "overhead" else "LinearModel"
    loaded = load_suite(_suite(folder, rows, model, variants if kind == "large" else 0))
    running = LocalExecutor() if executor == "local" else RayExecutor(workers=workers)
    began = time.perf_counter()
    if isinstance(running, RayExecutor):
        running._connect()  # started here to time it apart; the run reuses it
    startup = time.perf_counter() - began
    try:
        shard = 2_000 if kind == "overhead" else None
        output = SuiteRun(loaded, cache=None, executor=running, shard_size=shard).execute()
    finally:
        running.close()
    seconds = time.perf_counter() - began
    examples = sum(c.n_examples for c in output.report.cells)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "startup": startup, "examples": examples, "peak_mib": peak}


def _spawn(*arguments: str) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__)), "--one", *arguments]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--variants", type=int, default=30)
    parser.add_argument("--variant-rows", type=int, default=10_000)
    parser.add_argument("--one", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        kind, executor, workers, rows, variants = args.one
        print(json.dumps(one(kind, executor, int(workers), int(rows), int(variants))))
        return
    rows = str(args.rows)
    local = _spawn("overhead", "local", "1", rows, "0")
    ray_1 = _spawn("overhead", "ray", "1", rows, "0")
    ray_2 = _spawn("overhead", "ray", "2", rows, "0")
    print(f"CPU-bound model, {args.rows:,} rows in shards of 2,000 (uncached; Ray start-up in)")
    print(f"  local:          {local['seconds']:.2f} s")
    work_1, work_2 = ray_1["seconds"] - ray_1["startup"], ray_2["seconds"] - ray_2["startup"]
    print(f"  Ray, 1 worker:  {ray_1['seconds']:.2f} s, {ray_1['startup']:.2f} s of it starting "
          f"Ray (overhead ratio {ray_1['seconds'] / local['seconds']:.2f}x local; "
          f"{work_1 / local['seconds']:.2f}x without the start-up)")  # fmt: skip
    print(f"  Ray, 2 workers: {ray_2['seconds']:.2f} s (speed-up "
          f"{ray_1['seconds'] / ray_2['seconds']:.2f}x over 1 worker; "
          f"{work_1 / work_2:.2f}x without the start-up)")  # fmt: skip
    sizes = (str(args.variant_rows), str(args.variants))
    for name, found in (
        ("local", _spawn("large", "local", "1", *sizes)),
        ("Ray, 2 workers", _spawn("large", "ray", "2", *sizes)),
    ):
        print(f"large suite, {name}: {found['examples']:,} examples in {found['seconds']:.2f} s "
              f"= {found['examples'] / found['seconds']:,.0f} examples/s; driver peak RSS "
              f"{found['peak_mib']:,.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
