"""What a black-box attack may ask of a model: its scores (or only its labels) at chosen
points, each query counted for the example it belongs to and refused past the budget."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from assay.errors import AssayError

LOG_FLOOR = 1e-300  # probabilities of exactly 0 still give a finite log
# (points, rows of the batch they belong to) -> N × C probabilities
Answer = Callable[[np.ndarray, np.ndarray], np.ndarray]


class QueryBudgetError(AssayError):
    """An attack asked more of the model for some example than its budget allows (a bug in
    the attack: the oracle refuses the query rather than let it through)."""


class Oracle:
    """A model behind a per-example query budget. ``scores(points, rows)`` answers the
    model's probabilities at ``points`` (``points[i]`` is a version of batch row
    ``rows[i]``), ``labels(points, rows)`` only its predicted classes; each point counts
    one query for its row, and a query that would take a row past ``budget`` is refused.
    With ``labels_only``, scores are refused (a decision-based attack sees labels only).

    Example:
        >>> oracle = Oracle(lambda x, rows: np.tile([0.2, 0.8], (len(x), 1)), 3, budget=2)
        >>> oracle.labels(np.zeros((2, 1)), np.array([0, 2])).tolist()
        [1, 1]
        >>> oracle.queries.tolist(), oracle.remaining.tolist()
        ([1, 0, 1], [1, 2, 1])
    """

    def __init__(
        self, answer: Answer, n_examples: int, *, budget: int, labels_only: bool = False
    ) -> None:
        self._answer = answer
        self.budget = budget
        self.labels_only = labels_only
        self.queries = np.zeros(n_examples, dtype=np.int64)

    @property
    def remaining(self) -> np.ndarray:
        """Queries each example has left."""
        return self.budget - self.queries

    def scores(self, points: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The model's probabilities at ``points`` (one query per point)."""
        if self.labels_only:
            raise QueryBudgetError("a decision-based attack may ask for labels only")
        return self._asked(points, rows)

    def labels(self, points: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The model's predicted class at ``points`` (one query per point)."""
        return self._asked(points, rows).argmax(axis=1)

    def _asked(self, points: np.ndarray, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        if len(points) != len(rows):
            raise ValueError(f"{len(points)} points for {len(rows)} rows")
        asked = self.queries + np.bincount(rows, minlength=len(self.queries))
        if np.any(asked > self.budget):
            over = int(np.flatnonzero(asked > self.budget)[0])
            raise QueryBudgetError(
                f"an attack asked {int(asked[over])} queries for batch row {over}; "
                f"its budget is {self.budget}"
            )
        self.queries = asked
        if not len(rows):
            return np.zeros((0, 0))
        return np.asarray(self._answer(points, rows), dtype=np.float64)


def margin(probabilities: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """log p(true) − max log p(other): below 0 exactly when the model is fooled (the logit
    margin, since log-probabilities differ as logits do)."""
    logs = np.log(np.maximum(probabilities, LOG_FLOOR))
    rows = np.arange(len(labels))
    true = logs[rows, labels].copy()
    logs[rows, labels] = -np.inf
    return true - logs.max(axis=1)
