"""Image corruptions against the reference package ``imagecorruptions`` (Hendrycks &
Dietterich's code), side by side in one run: N 32×32 RGB images (crops of scikit-learn's two
bundled photographs), every corruption both implement, at one severity.

    python benchmarks/bench_corruptions.py [--images 10000] [--severity 3] [--repeats 3]

assay corrupts the feature matrix as a suite run does (``corrupted_matrix``: the N×3072
float32 rows of a dataset with ``image: {layout: HWC, shape: [32, 32, 3]}``, per-example
seeded draws, blocks of images on all cores); the reference is called image by image through
its public ``imagecorruptions.corrupt`` (uint8 H×W×3 in and out). Both run in this process,
interleaved; the median of ``--repeats`` is reported. Rotation and translation have no
reference and are timed alone.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assay.suites.images import corrupted_matrix
from assay.suites.schema import ImageSpec
from assay.suites.shifts import SHIFTS
from tests.suites.reference_corruptions import reference, sample_crops


def images(n: int) -> np.ndarray:
    crops = sample_crops(step=17)
    picks = np.random.default_rng(0).integers(0, len(crops), n)
    return crops[picks]


def timed(work: object) -> float:
    began = time.perf_counter()
    work()  # type: ignore[operator]
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--severity", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    ref = reference()
    import imagecorruptions

    batch = images(args.images)
    matrix = batch.reshape(len(batch), -1).astype(np.float32)
    layout = ImageSpec(layout="HWC", shape=[32, 32, 3], range=[0, 255])
    keys = np.arange(len(batch), dtype=np.uint64)
    names = [n.removeprefix("image.") for n in SHIFTS.names() if n.startswith("image.")]
    if args.only:
        names = [n for n in names if n in args.only]
    print(f"{len(batch):,} images 32x32x3, severity {args.severity}, median of {args.repeats}")
    print(f"{'corruption':<18}{'assay img/s':>14}{'reference img/s':>18}{'ratio':>9}")
    for name in names:
        info = SHIFTS.get(f"image.{name}")
        shift = info.function

        def ours(shift: object = shift, parallel: bool = info.parallel) -> None:
            corrupted_matrix(
                matrix,
                layout,
                "bench",
                slice(0, matrix.shape[1]),
                lambda unit, rows: shift(  # type: ignore[operator]
                    unit, example_keys=keys[rows], seed=0, severity=args.severity
                ),
                parallel=parallel,
            )

        corrupt = getattr(ref, name, None)

        def theirs(name: str = name) -> None:
            for image in batch:
                imagecorruptions.corrupt(image, severity=args.severity, corruption_name=name)

        mine, others = [], []
        for _ in range(args.repeats):
            mine.append(timed(ours))
            if corrupt is not None:
                others.append(timed(theirs))
        rate = len(batch) / statistics.median(mine)
        if others:
            other_rate = len(batch) / statistics.median(others)
            print(f"{name:<18}{rate:>14,.0f}{other_rate:>18,.0f}{rate / other_rate:>8.1f}x")
        else:
            print(f"{name:<18}{rate:>14,.0f}{'(none)':>18}{'':>9}")


if __name__ == "__main__":
    main()
