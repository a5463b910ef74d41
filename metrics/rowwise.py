"""A metric's value on a large sample from row chunks built on a thread pool.

numpy releases the GIL in its loops, so the checks, argmax, binning and bincounts of a
million rows run on every core when the sample is cut into row chunks. This is only valid for
a row-local decomposition (row i's statistics depend on example i alone and the finish on
nothing fitted to the sample), where the statistics' sums over the whole sample are the sums
of the chunks' sums. The chunk count is fixed, so the sums (and the value) do not depend on
the number of cores.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np

from assay.metrics.decomposition import Decomposition, Finish

PARALLEL_ROWS = 262_144  # below this, threads cost more than they save
CHUNKS = 4

T = TypeVar("T")
R = TypeVar("R")


def map_on_cores(
    function: Callable[[T], R], items: Sequence[T], n_jobs: int | None = None
) -> list[R]:
    """``[function(item) for item in items]`` on a pool of up to ``n_jobs`` threads (default:
    every core), in the items' order; in the calling thread when one would do. For work that
    numpy releases the GIL for, cut into pieces whose results do not depend on the threads.

    Example:
        >>> map_on_cores(lambda x: x * x, [1, 2, 3])
        [1, 4, 9]
    """
    from concurrent.futures import ThreadPoolExecutor

    workers = min(len(items), n_jobs or os.cpu_count() or 1)
    if workers < 2:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(function, items))


def value_by_chunks(build: Callable[[slice], Decomposition], n_rows: int) -> np.ndarray | None:
    """``finish`` of the summed chunk totals, where ``build(rows)`` is the decomposition of
    a slice of rows; None when the decomposition is not row-local (the first chunk tells;
    the chunks not yet started are then cancelled).

    Example:
        >>> from assay.metrics.decomposition import mean_of
        >>> values = np.arange(8.0)
        >>> value_by_chunks(lambda rows: mean_of(values[rows]), len(values))
        array([3.5])
    """
    from concurrent.futures import ThreadPoolExecutor

    def finish_and_totals(rows: slice) -> tuple[Finish, np.ndarray | None]:
        # only the finish and the sums leave the thread: the chunk's statistics are freed at
        # once, so the next chunk reuses their memory (keeping them costs ~20% in page faults)
        decomposition = build(rows)
        totals = decomposition.totals() if decomposition.row_local else None
        return decomposition.finish, totals

    bounds = np.linspace(0, n_rows, CHUNKS + 1).astype(int)
    chunks = [slice(int(a), int(b)) for a, b in itertools.pairwise(bounds)]
    with ThreadPoolExecutor(max_workers=min(CHUNKS, os.cpu_count() or 1)) as pool:
        futures = [pool.submit(finish_and_totals, rows) for rows in chunks]
        finish, totals = futures[0].result()
        if totals is None:
            for future in futures[1:]:
                future.cancel()
            return None
        for future in futures[1:]:
            more = future.result()[1]
            assert more is not None
            totals = totals + more
    return finish(totals)[0]
