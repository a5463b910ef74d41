"""A metric's one definition: its per-example statistics and their finish (a
:class:`Decomposition` builder) with everything the rest of assay needs to know about it.

The plain function (``assay.metrics.expected_calibration_error``), the registry entry, the
evaluate module, the intervals and the comparison cells all derive from one
:class:`MetricInfo`: the value is ``finish`` of the statistics' sums, resamples and paired
deltas are sparse products over the same statistics. Each family module
(``classification.py``, ``calibration.py``, ...) defines its metrics' ``MetricInfo`` next to
their statistics and lists them in ``DEFINITIONS``; ``registry.FAMILIES`` names the modules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np

from assay.errors import InvalidInputError
from assay.metrics.decomposition import Decomposition
from assay.metrics.rowwise import PARALLEL_ROWS, value_by_chunks
from assay.params import DeclaresParams, Param

MetricInput = Literal["labels", "probabilities"]


@dataclass(frozen=True)
class MetricInfo(DeclaresParams):
    """One metric, defined once.

    ``decomposition(y_true, y_second, **params)`` builds its statistics, where ``y_second``
    is predicted class indices for ``input="labels"`` and N×C probabilities for
    ``input="probabilities"`` (group metrics also take ``sensitive_features``). ``function``
    is the documented plain face (a few lines of glue calling :meth:`value`), if it has one.

    Example:
        >>> from assay.metrics.decomposition import mean_of
        >>> import numpy as np
        >>> info = MetricInfo(
        ...     "mean_true_probability",
        ...     lambda y, p: mean_of(np.asarray(p)[np.arange(len(y)), y]),
        ...     "probabilities",
        ...     higher_is_better=True,
        ...     value_range=(0.0, 1.0),
        ... )
        >>> info.value([0, 1], [[0.9, 0.1], [0.4, 0.6]])
        0.75
    """

    kind: ClassVar[str] = "metric"

    name: str
    decomposition: Callable[..., Decomposition]
    input: MetricInput
    higher_is_better: bool
    value_range: tuple[float, float]
    needs_groups: bool = False
    per_group: bool = False
    per_class: bool = False
    description: str = ""
    citation: str = ""
    aliases: tuple[str, ...] = field(default=())
    # the change a release gate tolerates by default: absolute, or relative to the baseline
    tolerance: float = 0.01
    tolerance_is_relative: bool = False
    # the value is the rate of correct top-1 predictions: paired changes get McNemar's test
    top1_rate: bool = False
    # computed for every sensitive column even when the suite's bias section names none
    default_for_groups: bool = False
    # the keyword options a suite may set, with their constraints (checked at load time)
    params: Mapping[str, Param] = field(default_factory=dict)
    function: Callable[..., Any] | None = None

    @property
    def keyed(self) -> bool:
        """Whether the value is a mapping (one entry per class or per group)."""
        return self.per_class or self.per_group

    def value(
        self,
        y_true: object,
        y_second: object,
        *,
        sensitive_features: object = None,
        **params: Any,
    ) -> float | dict[str, float]:
        """The metric on one sample: ``finish`` of its statistics' sums (a float, or a dict
        keyed by class or group for per-class and per-group metrics)."""
        self.check(params)
        if self.needs_groups:
            if sensitive_features is None:
                raise InvalidInputError(f"metric {self.name!r} needs sensitive_features")
            params["sensitive_features"] = sensitive_features
        values = self._values_by_chunks(y_true, y_second, params)
        if values is not None:
            return float(values[0])
        return self.value_of(self.decomposition(y_true, y_second, **params))

    def value_of(self, decomposition: Decomposition) -> float | dict[str, float]:
        """The value of an already built decomposition of this metric (what :meth:`value`
        gives for the same sample, unless it summed a large sample in row chunks)."""
        values = decomposition.value()
        if self.keyed:
            return {name: float(v) for name, v in zip(decomposition.outputs, values, strict=True)}
        return float(values[0])

    def sums_by_chunks(self, decomposition: Decomposition) -> bool:
        """Whether :meth:`value` sums this sample in row chunks (its rounding then differs
        from ``value_of(decomposition)`` in the last bits)."""
        return decomposition.row_local and self._may_chunk(decomposition.n_examples)

    def _may_chunk(self, n_rows: int) -> bool:
        """Large enough for row chunks, and one value whose statistics can be row-local
        (group names, and per-class or per-group keys, are fitted to the sample)."""
        return n_rows >= PARALLEL_ROWS and not self.keyed and not self.needs_groups

    def _values_by_chunks(
        self, y_true: object, y_second: object, params: dict[str, Any]
    ) -> np.ndarray | None:
        """The value from row chunks in threads, for a large sample of a metric whose
        statistics are row-local (else None: the whole sample is built at once)."""
        labels, second = np.asarray(y_true), np.asarray(y_second)
        if not self._may_chunk(len(labels)) or len(second) != len(labels):
            return None
        return value_by_chunks(
            lambda rows: self.decomposition(labels[rows], second[rows], **params), len(labels)
        )

    def scalar(self, y_true: object, y_second: object, **options: Any) -> float:
        """:meth:`value` of a metric with one value (the plain functions' glue)."""
        value = self.value(y_true, y_second, **options)
        assert isinstance(value, float), f"{self.name} is keyed by class or group"
        return value

    def keyed_values(self, y_true: object, y_second: object, **options: Any) -> dict[str, float]:
        """:meth:`value` of a per-class or per-group metric."""
        value = self.value(y_true, y_second, **options)
        assert isinstance(value, dict), f"{self.name} has one value"
        return value

    @property
    def summary(self) -> str:
        """The first line of the plain function's docstring, or the description."""
        doc = self.function.__doc__ if self.function is not None else None
        return doc.strip().splitlines()[0] if doc else self.description
