"""assay's transformers adapter (length-bucketed batches) against the HF ``pipeline``.

    python benchmarks/bench_transformers.py [--texts 10000] [--repeats 3]

Both sides run the same sequence classifier (a BERT of 2 layers, hidden 128, built here
with a WordLevel tokenizer: no download) on the same 10,000 texts of mixed length (1–120
words), batch size 32, the same torch thread count, interleaved; medians are reported and
the outputs compared (they must agree to 1e-5).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import transformers

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from assay.runners.adapters import load_model
from assay.suites.schema import PluginModelSpec
from tests.runners.tiny_transformers import WORDS, save_tiny_bert


def mixed_texts(n: int, longest: int) -> list[str]:
    rng = np.random.default_rng(0)
    return [" ".join(rng.choice(WORDS, size=rng.integers(1, longest + 1))) for _ in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texts", type=int, default=10_000)
    parser.add_argument("--longest", type=int, default=120, help="words in the longest text")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    transformers.logging.set_verbosity_error()

    folder = Path(tempfile.mkdtemp(prefix="assay-bench-transformers-")) / "bert"
    save_tiny_bert(folder, hidden=args.hidden, max_length=512)
    texts = mixed_texts(args.texts, args.longest)
    frame = pd.DataFrame({"text": texts})
    spec = PluginModelSpec.model_validate(
        {
            "name": "m",
            "type": "transformers",
            "params": {"path": str(folder), "text": "text", "device": "cpu"},
        }
    )
    adapter = load_model(spec, folder.parent)
    pipeline = transformers.pipeline(
        "text-classification", model=str(folder), top_k=None, device="cpu"
    )
    labels = adapter.classes
    assert labels is not None

    def assay_adapter() -> np.ndarray:
        return adapter.predict_batches(frame, args.batch_size, lambda n: None)  # type: ignore[attr-defined]

    def hf_pipeline() -> np.ndarray:
        rows = pipeline(texts, batch_size=args.batch_size, truncation=True)
        return np.array(
            [[{d["label"]: d["score"] for d in row}[name] for name in labels] for row in rows]
        )

    contenders = {"HF pipeline": hf_pipeline, "assay adapter": assay_adapter}
    outputs = {name: function() for name, function in contenders.items()}  # warm-up, outputs
    difference = float(np.abs(outputs["assay adapter"] - outputs["HF pipeline"]).max())
    timings: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.repeats):  # interleaved
        for name, function in contenders.items():
            began = time.perf_counter()
            function()
            timings[name].append(time.perf_counter() - began)
    baseline = statistics.median(timings["HF pipeline"])
    print(
        f"texts={args.texts} longest={args.longest} words batch={args.batch_size} "
        f"hidden={args.hidden} threads={args.threads} repeats={args.repeats} "
        f"torch={torch.__version__} transformers={transformers.__version__}"
    )
    print(f"largest probability difference: {difference:.2e} (must be <= 1e-5)")
    for name, values in timings.items():
        median = statistics.median(values)
        speed_up = baseline / median
        print(f"{name:14s} median {median:7.2f} s   speed-up over the pipeline {speed_up:5.2f}x")
    assert difference <= 1e-5, "the adapter and the pipeline disagree"


if __name__ == "__main__":
    main()
