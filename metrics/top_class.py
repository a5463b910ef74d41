"""Each row's top class and its probability, at memory speed.

``np.argmax(probs, axis=1)`` calls its inner loop once per row, which for the few columns of
a classifier's output costs ~30 ns a row, and a whole-array pass allocates temporaries the
size of the sample (fresh pages, faulted in one by one). Here rows go in cache-sized blocks:
a block is transposed into a reused buffer (classes × rows), so the maximum is an
element-wise reduction over the class axis, and the top class is the one column equal to it.
Rows with a tie (or a NaN) take ``argmax`` itself, so the result is always exactly
``probs.argmax(axis=1)`` and ``probs.max(axis=1)``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

BLOCK_ROWS = 16_384  # a block's temporaries fit in cache
# above this many classes a row is long enough for argmax's own loop
MAX_TRANSPOSED_CLASSES = 64


def row_blocks(n_rows: int, block: int | None = None) -> Iterator[slice]:
    """Consecutive row slices of at most ``block`` rows.

    Example:
        >>> [(s.start, s.stop) for s in row_blocks(5, 2)]
        [(0, 2), (2, 4), (4, 5)]
    """
    step = block or BLOCK_ROWS
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


def top_class_blocks(probs: np.ndarray) -> Iterator[tuple[slice, np.ndarray, np.ndarray]]:
    """``(rows, top class, top probability)`` of each block of rows of an N × C array (the
    classes in the narrowest integer type that holds them).

    Example:
        >>> probs = np.array([[0.2, 0.8], [0.5, 0.5], [0.9, 0.1]])
        >>> [(rows.start, c.tolist(), p.tolist()) for rows, c, p in top_class_blocks(probs)]
        [(0, [1, 0, 0], [0.8, 0.5, 0.9])]
    """
    n_rows, n_classes = probs.shape
    if n_classes > MAX_TRANSPOSED_CLASSES:
        for rows in row_blocks(n_rows):
            classes = np.argmax(probs[rows], axis=1)
            top = np.take_along_axis(probs[rows], classes[:, None], axis=1)[:, 0]
            yield rows, classes, top
        return
    buffer = np.empty((n_classes, min(n_rows, BLOCK_ROWS)), dtype=probs.dtype)
    class_of_column = np.arange(n_classes, dtype=np.uint8)[:, None]
    for rows in row_blocks(n_rows):
        block = probs[rows]
        transposed = buffer[:, : len(block)]
        transposed[...] = block.T
        top = np.max(transposed, axis=0)
        is_top = transposed == top
        # with one top column per row, the sum of (column × is_top) is that column
        classes = np.add.reduce(is_top * class_of_column, axis=0, dtype=np.uint8)
        not_single = np.flatnonzero(np.add.reduce(is_top, axis=0, dtype=np.uint8) != 1)
        if len(not_single):
            classes[not_single] = np.argmax(block[not_single], axis=1)
        yield rows, classes, top


def top_class(probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's top class (ties go to the lowest index, as ``argmax``) and its probability.

    Example:
        >>> classes, top = top_class(np.array([[0.1, 0.6, 0.3], [0.4, 0.2, 0.4]]))
        >>> classes.tolist(), top.tolist()
        ([1, 0], [0.6, 0.4])
    """
    probs = np.asarray(probs)
    classes = np.empty(len(probs), dtype=np.int64)
    top = np.empty(len(probs), dtype=probs.dtype)
    for rows, block_classes, block_top in top_class_blocks(probs):
        classes[rows] = block_classes
        top[rows] = block_top
    return classes, top


def predicted_classes(probs: object) -> np.ndarray:
    """``np.argmax(probs, axis=1)``, faster for an N × C array of a few classes.

    Example:
        >>> predicted_classes([[0.1, 0.9], [0.5, 0.5]]).tolist()
        [1, 0]
    """
    values = np.asarray(probs)
    if values.ndim != 2:
        return np.argmax(values, axis=1)  # numpy's own error
    return top_class(values)[0]
