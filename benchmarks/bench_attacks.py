"""assay's PGD against torchattacks' PGD on the same model, data and batch.

    python benchmarks/bench_attacks.py [--rows 20000] [--steps 10] [--repeats 5]

Both attack the digits MLP (64 features) in L∞ with the same eps, step size, steps and
random start, batch by batch with the same batch size and torch thread count, interleaved;
medians in examples/s. assay runs as a suite run does (``attacked_block``: the torch
adapter's input gradient and per-example seeded starts); torchattacks gets the same module
behind a reshape to N×1×8×8 in [0, 1], as it expects images.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/, tests/

from assay.hashing import hash_ids
from assay.suites.attacks import ATTACKS
from benchmarks.digits_model import saved_digits_mlp
from tests.suites.image_view import AsImages


def main() -> None:
    import torchattacks

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--eps", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    folder = Path("/tmp/assay-bench-attacks")
    adapter = saved_digits_mlp(args.hidden, folder)
    rng = np.random.default_rng(0)
    data = rng.uniform(0, 16, size=(args.rows, 64)).astype(np.float32)
    labels = rng.integers(0, 10, args.rows)
    keys = hash_ids(np.array([f"row-{i}" for i in range(args.rows)]))
    alpha = 2.5 * args.eps / args.steps
    pgd = ATTACKS.get("pgd").function
    images = torch.from_numpy(data / 16.0).reshape(-1, 1, 8, 8)
    targets = torch.from_numpy(labels)
    theirs_attack = torchattacks.PGD(
        AsImages(adapter.module).eval(),  # type: ignore[attr-defined]
        eps=args.eps / 16,
        alpha=alpha / 16,
        steps=args.steps,
        random_start=True,
    )

    def ours() -> None:
        for start in range(0, args.rows, args.batch_size):
            rows = slice(start, start + args.batch_size)
            pgd(
                data[rows],
                labels[rows],
                gradient=adapter.loss_gradient,  # type: ignore[attr-defined]
                predict=None,
                example_keys=keys[rows],
                seed=0,
                eps=args.eps,
                steps=args.steps,
                step_size=alpha,
                clip_min=0.0,
                clip_max=16.0,
            )

    def theirs() -> None:
        for start in range(0, args.rows, args.batch_size):
            theirs_attack(
                images[start : start + args.batch_size], targets[start : start + args.batch_size]
            )

    contenders = {"torchattacks PGD": theirs, "assay pgd": ours}
    timings: dict[str, list[float]] = {name: [] for name in contenders}
    for function in contenders.values():
        function()  # warm up
    for _ in range(args.repeats):
        for name, function in contenders.items():
            began = time.perf_counter()
            function()
            timings[name].append(time.perf_counter() - began)
    print(
        f"rows={args.rows} batch={args.batch_size} hidden={args.hidden} steps={args.steps} "
        f"threads={args.threads} repeats={args.repeats} torch={torch.__version__} "
        f"torchattacks={torchattacks.__version__}"
    )
    baseline = statistics.median(timings["torchattacks PGD"])
    for name, values in timings.items():
        median = statistics.median(values)
        print(
            f"{name:18s} {args.rows / median:10,.0f} examples/s   speed vs torchattacks "
            f"{baseline / median:5.2f}x"
        )


if __name__ == "__main__":
    main()
