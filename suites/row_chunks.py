"""A set's rows read a chunk at a time, for the passes a shift makes to measure the whole set
(a column's spread, a rank, the categories seen) before it shifts each row alone."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RowChunks:
    """The rows of the array a shift takes, as ``read(chunk)`` for each of ``chunks``
    (consecutive row ranges from 0); one chunk when the array is in memory.

    Example:
        >>> rows = RowChunks.whole(np.arange(6.0).reshape(3, 2))
        >>> [chunk.shape for chunk in rows], rows.n_rows
        ([(3, 2)], 3)
    """

    read: Callable[[slice], np.ndarray]
    chunks: Sequence[slice]

    @classmethod
    def whole(cls, values: np.ndarray) -> RowChunks:
        """An array in memory, as one chunk."""
        return cls(lambda rows: values[rows], (slice(0, len(values)),))

    @property
    def n_rows(self) -> int:
        return self.chunks[-1].stop if self.chunks else 0

    @property
    def is_whole(self) -> bool:
        return len(self.chunks) <= 1

    def __iter__(self) -> Iterator[np.ndarray]:
        """One pass over the rows, a chunk at a time."""
        return (self.read(chunk) for chunk in self.chunks)

    def gathered(self) -> np.ndarray:
        """Every row in one array (for what is small whole: one column, one text column)."""
        parts = list(self)
        if len(parts) <= 1:
            return parts[0] if parts else self.read(slice(0, 0))
        return np.concatenate(parts)
