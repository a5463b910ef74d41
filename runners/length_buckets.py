"""Batches of similar length: texts are tokenized a window at a time, ordered by token
count, and cut into batches that are padded to their own longest sequence (not the
dataset's); results go back to the input order.

Padding is what a transformer spends its time on when lengths are mixed: a batch of one
long and 31 short texts costs 32 long forward passes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

# texts tokenized and ordered together: long enough for well-filled buckets, short enough
# that the token lists of a million texts never sit in memory at once
WINDOW = 8_192


@dataclass(frozen=True)
class Bucket:
    """One batch: the rows it holds (positions in the input) and their encodings."""

    rows: np.ndarray
    encodings: dict[str, list[list[int]]]


def length_buckets(
    n_rows: int,
    encode: Callable[[slice], dict[str, list[list[int]]]],
    batch_size: int,
    window: int = WINDOW,
) -> Iterator[Bucket]:
    """Batches of ``batch_size`` rows of similar token count, window by window.

    ``encode(rows)`` tokenizes a slice of the inputs without padding. Sorting is stable, so
    equal lengths keep their input order and the batches are the same on every run.

    Example:
        >>> texts = ["a b c", "a", "a b", "a b c d"]
        >>> encode = lambda rows: {"input_ids": [t.split() for t in texts[rows]]}
        >>> [b.rows.tolist() for b in length_buckets(4, encode, batch_size=2)]
        [[1, 2], [0, 3]]
    """
    for start in range(0, n_rows, window):
        stop = min(start + window, n_rows)
        encoded = encode(slice(start, stop))
        lengths = np.fromiter(map(len, encoded["input_ids"]), dtype=np.int64, count=stop - start)
        order = np.argsort(lengths, kind="stable")
        for first in range(0, len(order), batch_size):
            chosen = order[first : first + batch_size]
            yield Bucket(
                rows=start + chosen,
                encodings={key: [values[i] for i in chosen] for key, values in encoded.items()},
            )
