"""Contamination checks: throughput at 1M training × 100k evaluation rows, and near-duplicate
text detection against datasketch's own MinHash LSH and an exact n-gram set-intersection
baseline on the same data.

    python benchmarks/bench_contamination.py [--train 1000000] [--eval 100000]
        [--quality-train 20000] [--quality-eval 4000] [--repeats 3]

- exact: ``--train`` rows × 8 tabular columns (a Parquet file read through ``datasets``, as
  a suite's file source is) against ``--eval`` rows of which 5% are training rows with
  rounding noise below the precision; assay's streamed check against the join a user would
  write (pandas ``merge`` of the rounded frames, everything in memory; numbers as float32
  first, as the model gets them and as assay compares them).
- near (throughput): synthetic texts of 20–60 Zipf-distributed words, the same sizes.
- near (quality): ``--quality-train`` × ``--quality-eval`` texts with planted copies whose
  13-gram Jaccard overlap spans 0.5–1.0; truth is the exact Jaccard (n-gram sets and an
  inverted index), each method's recall and precision at threshold 0.8 against it, and
  its time: assay (vectorised MinHash and band join), datasketch (``MinHash.update_batch``
  per text, ``MinHashLSH`` insert and query, then ``jaccard`` of the candidates, the
  library's documented pipeline with the same bands), and the exact baseline itself.
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
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assay.suites.contamination import contamination
from assay.suites.features import feature_block
from assay.suites.near_duplicates import LSH_WEIGHTS, NearDuplicateIndex, band_sizes, signatures
from assay.suites.policy_schema import DataCheckSpec, NearDuplicateSpec
from assay.suites.row_hashing import normalised_text, row_hashes
from assay.suites.schema import FileSource, TrainingData
from assay.suites.training_data import load_training_data

THRESHOLD, NGRAM = 0.8, 13


def _timed(task, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        began = time.perf_counter()
        result = task()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


def tabular(
    n_train: int, n_eval: int, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    columns = {
        "age": rng.integers(17, 90, n_train),
        "hours": rng.integers(1, 99, n_train),
        "education": rng.integers(1, 16, n_train),
        "capital_gain": rng.integers(0, 99_999, n_train),
        "capital_loss": rng.integers(0, 4_356, n_train),
        "income_k": rng.normal(50, 20, n_train).round(3),
        "score": rng.random(n_train),
        "weight": rng.lognormal(12, 0.5, n_train).round(1),
    }
    train = pd.DataFrame(columns)
    fresh = pd.DataFrame({k: rng.permutation(v)[:n_eval] for k, v in columns.items()})
    planted = train.sample(n_eval // 20, random_state=1).copy()
    planted["score"] = planted["score"] + 1e-8  # below the 6-decimal precision
    evaluation = pd.concat([fresh.iloc[: n_eval - len(planted)], planted], ignore_index=True)
    return train, evaluation


def bench_exact(n_train: int, n_eval: int, repeats: int) -> None:
    rng = np.random.default_rng(0)
    train, evaluation = tabular(n_train, n_eval, rng)
    folder = Path(tempfile.mkdtemp())
    train.to_parquet(folder / "train.parquet")
    spec = TrainingData(source=FileSource(type="file", path=str(folder / "train.parquet")))
    began = time.perf_counter()
    loaded = load_training_data(spec, folder)
    first_load = time.perf_counter() - began
    block = feature_block(pa.Table.from_pandas(evaluation), list(evaluation.columns), "eval")
    hashes = row_hashes(block)
    checks = DataCheckSpec(near_duplicates=None)
    ours, found = _timed(lambda: contamination([(block, hashes)], loaded, checks), repeats)
    count = int(found[0].contaminated.sum())  # type: ignore[index]

    def joined() -> int:  # numbers as the model gets them (float32), as assay compares them
        left = evaluation.astype(np.float32).astype(float).round(6).reset_index()
        right = train.astype(np.float32).astype(float).round(6).drop_duplicates()
        return int(left.merge(right, on=list(train.columns))["index"].nunique())

    theirs, expected = _timed(joined, repeats)
    print(f"exact, {n_train:,} training × {n_eval:,} evaluation rows, 8 columns")
    print(f"  first load (datasets converts the Parquet file once): {first_load:.2f} s")
    print(f"  assay streamed check: {ours:.2f} s = {n_train / ours:,.0f} training rows/s "
          f"({count:,} found)")  # fmt: skip
    print(f"  pandas merge of rounded frames: {theirs:.2f} s ({expected:,} found); "
          f"ratio {theirs / ours:.2f}x")  # fmt: skip
    assert count == expected


def texts(n: int, rng: np.random.Generator, vocabulary: np.ndarray) -> list[str]:
    lengths = rng.integers(20, 61, n)
    ranks = np.minimum(rng.zipf(1.3, lengths.sum()) - 1, len(vocabulary) - 1)
    words = vocabulary[ranks]
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    return [" ".join(words[s : s + k]) for s, k in zip(starts, lengths, strict=True)]


def near_pair(text: str, rng: np.random.Generator, vocabulary: np.ndarray) -> str:
    """A copy of ``text`` edited at its end (appended or replaced words), so its 13-gram
    overlap with the original spans about 0.5 to 1."""
    words = text.split()
    edits = int(rng.integers(0, 12))
    if rng.random() < 0.5:
        return " ".join([*words, *rng.choice(vocabulary, edits)])
    return " ".join([*words[: len(words) - edits], *rng.choice(vocabulary, edits)])


def ngram_sets(documents: list[str]) -> list[set[tuple[str, ...]]]:
    out = []
    for text in documents:
        tokens = text.split()
        if len(tokens) < NGRAM:
            out.append({tuple(tokens)} if tokens else set())
        else:
            out.append({tuple(tokens[i : i + NGRAM]) for i in range(len(tokens) - NGRAM + 1)})
    return out


def exact_overlap(evaluation: list[str], training: list[str]) -> np.ndarray:
    """The n-gram set-intersection baseline: each text's largest exact Jaccard overlap."""
    train_sets, eval_sets = ngram_sets(training), ngram_sets(evaluation)
    holders: dict[tuple[str, ...], list[int]] = {}
    for position, grams in enumerate(train_sets):
        for gram in grams:
            holders.setdefault(gram, []).append(position)
    best = np.zeros(len(evaluation))
    for row, mine in enumerate(eval_sets):
        for other in {p for g in mine for p in holders.get(g, ())}:
            theirs = train_sets[other]
            best[row] = max(best[row], len(mine & theirs) / len(mine | theirs))
    return best


def datasketch_found(
    evaluation: list[str], training: list[str], spec: NearDuplicateSpec
) -> np.ndarray:
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=spec.threshold, num_perm=spec.num_perm, weights=LSH_WEIGHTS)
    sketches = []
    for grams in ngram_sets(evaluation):
        sketch = MinHash(num_perm=spec.num_perm, seed=spec.seed)
        sketch.update_batch([" ".join(g).encode() for g in grams])
        sketches.append(sketch)
    with lsh.insertion_session() as session:
        for key, sketch in enumerate(sketches):
            session.insert(key, sketch, check_duplication=False)
    found = np.zeros(len(evaluation), bool)
    for grams in ngram_sets(training):
        sketch = MinHash(num_perm=spec.num_perm, seed=spec.seed)
        sketch.update_batch([" ".join(g).encode() for g in grams])
        for key in lsh.query(sketch):
            if not found[key] and sketch.jaccard(sketches[key]) >= spec.threshold:
                found[key] = True
    return found


def assay_found(evaluation: list[str], training: list[str], spec: NearDuplicateSpec) -> np.ndarray:
    index = NearDuplicateIndex.of(pa.array(evaluation), spec)
    index.query(signatures(pa.array(training), spec))
    return index.found


def planted_texts(
    n_train: int, n_eval: int, n_planted: int, seed: int
) -> tuple[list[str], list[str]]:
    """Training and evaluation texts, the first ``n_planted`` of the latter edited copies."""
    rng = np.random.default_rng(seed)
    vocabulary = np.array([f"w{i}" for i in range(20_000)])
    training = texts(n_train, rng, vocabulary)
    evaluation = texts(n_eval, rng, vocabulary)
    planted = rng.choice(n_train, n_planted, replace=False)
    evaluation[:n_planted] = [near_pair(training[i], rng, vocabulary) for i in planted]
    return training, evaluation


def bench_near_throughput(n_train: int, n_eval: int) -> None:
    n_planted = n_eval // 20
    training, evaluation = planted_texts(n_train, n_eval, n_planted, seed=2)
    spec = NearDuplicateSpec(ngram=NGRAM, threshold=THRESHOLD)
    began = time.perf_counter()
    index = NearDuplicateIndex.of(pa.array(evaluation), spec)
    indexed = time.perf_counter() - began
    step = 131_072
    began = time.perf_counter()
    for start in range(0, n_train, step):
        index.query(signatures(pa.array(training[start : start + step]), spec))
    queried = time.perf_counter() - began
    words = sum(len(t.split()) for t in training)
    bands = band_sizes(spec)
    print(f"near, {n_train:,} training × {n_eval:,} evaluation texts ({words / n_train:.0f} "
          f"words each), {NGRAM}-grams, threshold {THRESHOLD}, bands {bands}")  # fmt: skip
    print(f"  index the evaluation texts: {indexed:.2f} s; stream the training texts: "
          f"{queried:.2f} s = {n_train / queried:,.0f} training texts/s; "
          f"{int(index.found.sum()):,} found of {n_planted:,} planted")  # fmt: skip


def bench_near_quality(n_train: int, n_eval: int, repeats: int) -> None:
    training, evaluation = planted_texts(n_train, n_eval, n_eval // 4, seed=3)
    spec = NearDuplicateSpec(ngram=NGRAM, threshold=THRESHOLD)
    exact_time, truth_overlap = _timed(lambda: exact_overlap(evaluation, training), 1)
    truth_overlap = np.asarray(truth_overlap)
    truth = truth_overlap >= THRESHOLD
    print(f"near quality, {n_train:,} training × {n_eval:,} evaluation texts, "
          f"{int(truth.sum())} truly at or above {THRESHOLD}")  # fmt: skip
    clear = (truth_overlap >= 0.85) | (truth_overlap < 0.75)  # away from the threshold
    assay_seconds = None
    for name, method, runs in (
        ("assay (vectorised MinHash + band join)", assay_found, repeats),
        ("datasketch MinHash + MinHashLSH", datasketch_found, 1),
    ):
        seconds, found = _timed(lambda m=method: m(evaluation, training, spec), runs)
        assay_seconds = assay_seconds or seconds
        found = np.asarray(found)
        hits = int((found & truth).sum())
        recall = hits / max(1, int(truth.sum()))
        precision = hits / max(1, int(found.sum()))
        clear_recall = int((found & truth & clear).sum()) / max(1, int((truth & clear).sum()))
        wrong_clear = int((found & ~truth & clear).sum())
        ratio = seconds / assay_seconds
        print(f"  {name}: {seconds:.2f} s ({ratio:.1f}x assay's), recall {recall:.4f}, "
              f"precision {precision:.4f}; away from the threshold (overlap ≥ 0.85 or "
              f"< 0.75): recall {clear_recall:.4f}, {wrong_clear} false positives")  # fmt: skip
    print(f"  exact n-gram set intersection (the truth): {exact_time:.2f} s "
          f"({exact_time / (assay_seconds or 1):.1f}x assay's)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train", type=int, default=1_000_000)
    parser.add_argument("--eval", type=int, default=100_000)
    parser.add_argument("--quality-train", type=int, default=20_000)
    parser.add_argument("--quality-eval", type=int, default=4_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    bench_exact(args.train, args.eval, args.repeats)
    bench_near_throughput(args.train, args.eval)
    bench_near_quality(args.quality_train, args.quality_eval, args.repeats)


if __name__ == "__main__":
    del normalised_text  # imported for the reader: the texts here are already normal
    main()
