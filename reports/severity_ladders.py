"""Severity ladders: the shifted sets of one family (a shift with its params but the
severity) derived from one clean set, ordered by severity with the clean set as level 0.
The terminal summary, the report pages and the severity figures all read them from here."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from assay.reports.schema import Report, Result

LADDER_METRICS = ("accuracy", "ece")


@dataclass(frozen=True)
class Ladder:
    """One family on one clean set: ``steps`` are (severity, dataset), level 0 the clean set.

    Example:
        >>> Ladder("test", "image.fog", ((0, "test"), (1, "fog_s1"))).datasets
        ('fog_s1',)
    """

    parent: str
    family: str
    steps: tuple[tuple[int, str], ...]

    @property
    def datasets(self) -> tuple[str, ...]:
        """The shifted sets, mildest first (the clean set left out)."""
        return tuple(name for severity, name in self.steps if severity)

    def rows(self, report: Report, metrics: tuple[str, ...] = LADDER_METRICS) -> list[LadderRow]:
        """One row per model and metric the report has on these sets, values by step."""
        overall = {
            (r.model, r.dataset, r.metric): r
            for r in report.results
            if r.slice is None and r.kind not in ("robustness", "ood") and r.metric in metrics
        }
        rows = []
        for model in (m.name for m in report.models):
            for metric in metrics:
                values = tuple(overall.get((model, name, metric)) for _, name in self.steps)
                if any(v is not None for v in values):
                    rows.append(LadderRow(model, metric, values))
        return rows


@dataclass(frozen=True)
class LadderRow:
    model: str
    metric: str
    values: tuple[Result | None, ...]  # one per step of the ladder


def severity_ladders(report: Report) -> list[Ladder]:
    """Every ladder of the report, by clean set and family; a family of one severity is a
    ladder too (clean, then that level).

    Example:
        >>> from assay.reports.schema import DatasetRecord
        >>> def shifted(name, severity):
        ...     return DatasetRecord(name=name, kind="shifted", fingerprint="", n_examples=1,
        ...         classes=[], derived_from="t", severity=severity, family="image.fog")
        >>> sets = [shifted("fog_s2", 2), shifted("fog_s1", 1)]
        >>> report = Report.model_construct(datasets=sets)
        >>> severity_ladders(report)[0].steps
        ((0, 't'), (1, 'fog_s1'), (2, 'fog_s2'))
    """
    found: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    for dataset in report.datasets:
        if dataset.severity is None or dataset.derived_from is None:
            continue
        family = dataset.family or (dataset.transform or {}).get("name", dataset.name)
        found[(dataset.derived_from, family)].append((dataset.severity, dataset.name))
    return [
        Ladder(parent, family, tuple(sorted([(0, parent), *steps])))
        for (parent, family), steps in sorted(found.items())
    ]
