"""assay's batched inference against a plain ``torch.inference_mode()`` loop.

    python benchmarks/bench_runner.py [--rows 200000] [--repeats 7]

Both sides run the same MLP on the same 64-feature float data with the same batch size and
torch thread count, interleaved, and report medians. assay is timed two ways:
- "cell": ``predict_batched`` over the dataset's feature matrix (what a cell does);
- "arrow→cell": the same, starting from the Arrow table (feature extraction included).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/, tests/

from assay.runners.inference import model_inputs, predict_batched
from assay.suites.features import feature_block
from benchmarks.digits_model import saved_digits_mlp


def plain_loop(module: torch.nn.Module, tensor: torch.Tensor, batch_size: int) -> torch.Tensor:
    outputs = []
    with torch.inference_mode():
        for start in range(0, len(tensor), batch_size):
            outputs.append(torch.softmax(module(tensor[start : start + batch_size]), dim=1))
    return torch.cat(outputs)


def median_seconds(function: Callable[[], object], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        function()
        times.append(time.perf_counter() - began)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    folder = Path("/tmp/assay-bench-runner")
    adapter = saved_digits_mlp(args.hidden, folder)
    module = adapter.module  # type: ignore[attr-defined]

    data = np.random.default_rng(0).uniform(0, 16, size=(args.rows, 64)).astype(np.float32)
    columns = [f"pixel_{i}" for i in range(64)]
    table = pa.table({c: data[:, i] for i, c in enumerate(columns)})
    tensor = torch.from_numpy(np.ascontiguousarray(data))

    def assay_cell() -> np.ndarray:
        return predict_batched(adapter, block_inputs, args.batch_size)

    def assay_from_arrow() -> np.ndarray:
        block = feature_block(table, columns, "bench")
        return predict_batched(adapter, model_inputs(adapter, block), args.batch_size)

    block_inputs = model_inputs(adapter, feature_block(table, columns, "bench"))
    reference = plain_loop(module, tensor, args.batch_size).numpy()
    assert np.array_equal(assay_cell(), reference), "assay and the plain loop disagree"

    contenders = {
        "plain torch loop": lambda: plain_loop(module, tensor, args.batch_size),
        "assay cell": assay_cell,
        "assay arrow→cell": assay_from_arrow,
    }
    timings: dict[str, list[float]] = {name: [] for name in contenders}
    for function in contenders.values():  # warm up once each
        function()
    for _ in range(args.repeats):  # interleave A/B/C
        for name, function in contenders.items():
            timings[name] += median_seconds(function, 1)
    baseline = statistics.median(timings["plain torch loop"])
    print(
        f"rows={args.rows} batch={args.batch_size} hidden={args.hidden} "
        f"threads={args.threads} repeats={args.repeats} torch={torch.__version__}"
    )
    for name, values in timings.items():
        median = statistics.median(values)
        print(f"{name:18s} median {median * 1000:8.1f} ms   ratio {median / baseline:5.3f}")


if __name__ == "__main__":
    main()
