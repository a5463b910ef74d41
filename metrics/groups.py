"""Disaggregate any registered metric by group, then aggregate the per-group values.

``by_group`` computes a metric within each group of a sensitive feature (or an
intersection of several); ``difference``, ``ratio`` and ``worst_group`` summarise the
spread. Groups smaller than ``min_group_size`` are listed as too small, never dropped
silently, and take no part in the aggregates. Model: fairlearn's ``MetricFrame``, with one
fixed return type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse

from assay.metrics._checks import check_int_param, encode_groups
from assay.metrics.decomposition import Decomposition
from assay.metrics.registry import METRICS, compute_metric, decompose
from assay.metrics.resampling import stable_order

INTERSECTION_SEPARATOR = " & "


def named_group_metrics() -> tuple[str, ...]:
    """The group metrics every sensitive column gets when a suite names none, in
    registration order (read at call time, so plugins load only when needed).

    Example:
        >>> named_group_metrics()[0]
        'worst_group_accuracy'
    """
    return tuple(name for name, info in METRICS.registered() if info.default_for_groups)


@dataclass(frozen=True)
class GroupResult:
    """Per-group values of one metric and how to summarise them."""

    metric: str
    values: dict[str, float]
    sizes: dict[str, int]
    too_small: tuple[str, ...] = field(default=())
    higher_is_better: bool = True

    def difference(self) -> float:
        """max − min over the scored groups (0 with fewer than two)."""
        scored = list(self.values.values())
        return float(max(scored) - min(scored)) if scored else float("nan")

    def ratio(self) -> float:
        """min / max over the scored groups (1 = parity); NaN if the max is 0."""
        scored = list(self.values.values())
        if not scored or max(scored) == 0:
            return float("nan")
        return float(min(scored) / max(scored))

    def worst_group(self) -> float:
        """The worst scored group's value: the minimum if higher is better, else maximum."""
        scored = list(self.values.values())
        if not scored:
            return float("nan")
        return float(min(scored) if self.higher_is_better else max(scored))


def by_group(
    metric: str,
    y_true: object,
    y_prob: object,
    *,
    sensitive_features: object,
    min_group_size: int = 1,
    params: Mapping[str, Any] | None = None,
) -> GroupResult:
    """Compute registered scalar ``metric`` within each group.

    Example:
        >>> y_prob = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7], [0.8, 0.2]])
        >>> result = by_group("accuracy", [0, 1, 1, 1, 0], y_prob,
        ...                   sensitive_features=["a", "a", "b", "b", "c"], min_group_size=2)
        >>> result.values, result.too_small, result.difference()
        ({'a': 1.0, 'b': 0.5}, ('c',), 0.5)
    """
    info = METRICS.get(metric)
    if info.needs_groups or info.per_class or info.per_group:
        raise ValueError(f"by_group needs a scalar metric; {metric!r} is not one")
    minimum = check_int_param("by_group", "min_group_size", min_group_size, minimum=1)
    labels = np.asarray(y_true)
    probs = np.asarray(y_prob)
    codes, names = encode_groups(sensitive_features, len(labels))
    sizes = np.bincount(codes, minlength=len(names))
    order = stable_order(codes)
    members = np.split(order, np.cumsum(sizes)[:-1])
    values = {
        name: float(compute_metric(info.name, labels[rows], probs[rows], params=params))  # type: ignore[arg-type]
        for name, rows, size in zip(names, members, sizes, strict=True)
        if size >= minimum
    }
    return GroupResult(
        metric=info.name,
        values=values,
        sizes={name: int(size) for name, size in zip(names, sizes, strict=True)},
        too_small=tuple(n for n, s in zip(names, sizes, strict=True) if s < minimum),
        higher_is_better=info.higher_is_better,
    )


def intersect_groups(columns: Mapping[str, Any]) -> np.ndarray:
    """One label per row naming its group in every column, e.g. ``sex=F & race=B``.

    Example:
        >>> intersect_groups({"sex": ["F", "M"], "race": ["B", "W"]}).tolist()
        ['sex=F & race=B', 'sex=M & race=W']
    """
    parts = [
        np.char.add(f"{name}=", np.asarray(values).astype(str)) for name, values in columns.items()
    ]
    label = parts[0]
    for part in parts[1:]:
        label = np.char.add(np.char.add(label, INTERSECTION_SEPARATOR), part)
    return label.astype(object)


def by_group_decomposition(
    metric: str,
    y_true: np.ndarray,
    y_prob: np.ndarray,
    *,
    codes: np.ndarray,
    names: Sequence[str],
    scored: Sequence[int],
    params: Mapping[str, Any] | None = None,
) -> Decomposition | None:
    """Sufficient statistics of ``metric`` within each scored group, side by side, and a
    finish giving each group's value then difference, ratio and worst group.

    Each group's statistics occupy their own columns and are zero outside the group's rows,
    so one resample of all rows resamples every group at once.
    """
    info = METRICS.get(metric)
    blocks, finishes = [], []
    for group in scored:
        rows = np.flatnonzero(codes == group)
        part = decompose(info.name, y_true[rows], y_prob[rows], params=dict(params or {}))
        if part is None:
            return None
        embedded = part.statistics.tocoo()
        blocks.append(
            sparse.csr_matrix(
                (embedded.data, (rows[embedded.row], embedded.col)),
                shape=(len(y_true), embedded.shape[1]),
            )
        )
        finishes.append((part.finish, embedded.shape[1]))
    better_high = info.higher_is_better

    def finish(s: np.ndarray) -> np.ndarray:
        values, start = [], 0
        for part_finish, width in finishes:
            values.append(part_finish(s[:, start : start + width])[:, 0])
            start += width
        table = np.stack(values, axis=1)
        high, low = np.nanmax(table, axis=1), np.nanmin(table, axis=1)
        ratio = np.where(high > 0, low / np.where(high > 0, high, 1.0), np.nan)
        worst = low if better_high else high
        return np.column_stack([table, high - low, ratio, worst])

    outputs = (*[names[g] for g in scored], *AGGREGATES)
    return Decomposition((sparse.hstack(blocks, format="csr"),), finish, outputs=outputs)


AGGREGATES = ("difference", "ratio", "worst_group")
