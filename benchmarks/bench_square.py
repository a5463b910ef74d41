"""assay's Square attack against the Adversarial Robustness Toolbox's on the same model.

    python benchmarks/bench_square.py [--rows 5000] [--queries 100] [--repeats 3]

Both attack the digits demo's scikit-learn logistic regression through its probabilities
only, in L∞ (eps 2 in pixel units 0-16, p_init 0.8, the same query budget per example),
on the demo's held-out digits tiled to ``--rows``; interleaved, medians. Throughput is
model queries per second (every point each attack asks the model about, counted by a
wrapper round ``predict_proba``), beside the wall time and the robust accuracy each
reaches: an attack that stops asking about an example once it is fooled asks less, so
queries/s alone favours one that keeps asking. ART gets the images as N×1×8×8, as it requires.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/, tests/

from assay.demo import demo_suite_path
from assay.hashing import hash_ids
from assay.runners.adapters import load_model
from assay.runners.inference import feature_layout
from assay.suites.attacks import ATTACKS
from assay.suites.data import load_datasets
from assay.suites.loading import load_suite
from assay.suites.queries import Oracle


def main() -> None:
    import art
    from art.attacks.evasion import SquareAttack
    from art.estimators.classification import BlackBoxClassifierNeuralNetwork

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=5_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--eps", type=float, default=2.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    path = demo_suite_path("digits")
    loaded = load_suite(path)
    spec = next(m for m in loaded.suite.models if m.name == "logreg")
    model = load_model(spec, Path(path).parent)
    test = load_datasets(loaded.suite, path)["digits_test"]
    tiles = -(-args.rows // test.n_examples)
    x = np.tile(test.features.numeric, (tiles, 1))[: args.rows]
    y = np.tile(test.labels, tiles)[: args.rows]
    keys = hash_ids(np.array([f"row-{i}" for i in range(args.rows)]))
    layout = feature_layout(test)  # the demo declares its 8×8 images: square windows
    square = ATTACKS.get("square").function
    asked = {"n": 0}

    def probabilities(points: np.ndarray) -> np.ndarray:
        asked["n"] += len(points)
        return np.asarray(model.predict_proba(points.reshape(len(points), 64)))

    def ours() -> np.ndarray:
        oracle = Oracle(lambda p, rows: probabilities(p), len(x), budget=args.queries)
        return square(
            x, y, oracle=oracle, layout=layout, example_keys=keys, seed=0, eps=args.eps,
            max_queries=args.queries, clip_min=0, clip_max=16,
        )  # fmt: skip

    classifier = BlackBoxClassifierNeuralNetwork(
        probabilities, input_shape=(1, 8, 8), nb_classes=10, clip_values=(0, 16)
    )
    # ART spends one query on the clean points and one on the stripes before iterating
    attack = SquareAttack(
        classifier, eps=args.eps, max_iter=args.queries - 2, p_init=0.8, batch_size=args.rows,
        verbose=False,
    )  # fmt: skip

    def theirs() -> np.ndarray:
        out = attack.generate(x.reshape(-1, 1, 8, 8), y=np.eye(10)[y])
        return np.asarray(out).reshape(len(x), 64)

    contenders = {"ART SquareAttack": theirs, "assay square": ours}
    seconds: dict[str, list[float]] = {name: [] for name in contenders}
    queries: dict[str, int] = {}
    accuracy: dict[str, float] = {}
    for _ in range(args.repeats):
        for name, function in contenders.items():
            asked["n"] = 0
            began = time.perf_counter()
            out = function()
            seconds[name].append(time.perf_counter() - began)
            queries[name] = asked["n"]
            predicted = np.asarray(model.predict_proba(out)).argmax(axis=1)
            accuracy[name] = float((predicted == y).mean())
    print(
        f"rows={args.rows} queries/example≤{args.queries} eps={args.eps} "
        f"repeats={args.repeats} art={art.__version__}"
    )
    art_seconds = statistics.median(seconds["ART SquareAttack"])
    art_rate = queries["ART SquareAttack"] / art_seconds
    for name in contenders:
        took = statistics.median(seconds[name])
        rate = queries[name] / took
        print(
            f"{name:17s} {rate:10,.0f} queries/s ({rate / art_rate:4.2f}x)   "
            f"{queries[name]:9,d} queries in {took:6.2f} s ({art_seconds / took:4.2f}x faster)   "
            f"robust accuracy {accuracy[name]:.4f}"
        )


if __name__ == "__main__":
    main()
