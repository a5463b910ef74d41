"""Per-row work on large inputs, split into row chunks on a thread pool.

numpy releases the GIL in its loops, so argmax, gathers and comparisons over a million rows
run on every core. Only elementwise (per-row) functions are split, and their outputs are
concatenated, so the result is the same for any chunking and any core count; sums are never
split (their rounding would depend on the chunks).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

PARALLEL_ROWS = 262_144  # below this, threads cost more than they save


def by_rows(
    function: Callable[..., tuple[np.ndarray, ...]], *arrays: np.ndarray
) -> tuple[np.ndarray, ...]:
    """``function(*arrays)`` for a function whose every output row depends on the same row
    of each input alone, computed over row chunks in threads when the input is large.

    Example:
        >>> by_rows(lambda a, b: (a + b, a * b), np.arange(3), np.arange(3))
        (array([0, 2, 4]), array([0, 1, 4]))
    """
    n_rows = len(arrays[0])
    workers = min(os.cpu_count() or 1, 8)
    if n_rows < PARALLEL_ROWS or workers == 1:
        return function(*arrays)
    bounds = np.linspace(0, n_rows, workers + 1).astype(int)
    chunks = [slice(a, b) for a, b in itertools.pairwise(bounds)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        parts = list(pool.map(lambda rows: function(*(a[rows] for a in arrays)), chunks))
    return tuple(np.concatenate(outputs) for outputs in zip(*parts, strict=True))
