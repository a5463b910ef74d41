"""The report schema: an immutable record of one run, written as JSON.

``schema_version`` comes first; a report from a newer assay is refused, not misread.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assay.errors import InvalidInputError

SCHEMA_VERSION = 2
# v2 (assay 0.1): results carry a confidence interval (ci_low, ci_high, ci_method, ci_level,
# n_resamples) and a note; value is None for groups too small to score; reliability-diagram
# bins per model × dataset. v1 reports load with those fields empty.


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SuiteRecord(_Record):
    name: str
    version: str
    content_hash: str = Field(description="sha256 of the suite file's bytes")
    path: str


class ModelRecord(_Record):
    name: str
    type: str
    fingerprint: str


class DatasetRecord(_Record):
    name: str
    kind: Literal["in_distribution", "shifted", "adversarial", "ood"]
    fingerprint: str
    n_examples: int
    classes: list[str]
    sensitive: list[str] = Field(default_factory=list)
    derived_from: str | None = None
    transform: dict[str, Any] | None = None


class Environment(_Record):
    python: str
    platform: str
    assay: str
    packages: dict[str, str]


class Result(_Record):
    """One number: a metric of a model on a dataset, overall or within a slice/group.

    ``slice`` names the column a result is disaggregated by (a slice or sensitive column);
    ``group`` is the value of that column, or None for a gap over all its groups.
    """

    model: str
    dataset: str
    kind: str
    metric: str
    value: float | None = Field(description="None when the group is too small to score")
    n: int
    slice: str | None = None
    group: str | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    ci_method: str | None = Field(None, description="wilson, percentile or bca")
    ci_level: float | None = None
    n_resamples: int | None = None
    note: str | None = None


class ReliabilityBin(_Record):
    """One bin (lower, upper] of a top-label reliability diagram; empty bins have None."""

    lower: float
    upper: float
    count: int
    mean_confidence: float | None
    accuracy: float | None


class ReliabilityRecord(_Record):
    model: str
    dataset: str
    bins: list[ReliabilityBin]


class CellRecord(_Record):
    model: str
    dataset: str
    shard: int
    n_examples: int
    cached: bool
    seconds: float


class PredictionsRecord(_Record):
    file: str
    sha256: str
    rows: int


class Report(_Record):
    """Everything one ``assay run`` produced, except the per-example predictions file."""

    schema_version: int = SCHEMA_VERSION
    run_id: str
    created_at: str
    suite: SuiteRecord
    seed: int
    environment: Environment
    models: list[ModelRecord]
    datasets: list[DatasetRecord]
    metrics: list[dict[str, Any]]
    intervals: dict[str, Any] = Field(default_factory=dict)
    bias: dict[str, Any] = Field(default_factory=dict)
    robustness: dict[str, Any] = Field(default_factory=dict)
    results: list[Result]
    reliability: list[ReliabilityRecord] = Field(default_factory=list)
    cells: list[CellRecord]
    predictions: PredictionsRecord
    content_sha256: str | None = Field(
        None, description="sha256 of this JSON without this field; checked on load"
    )

    def content_hash(self) -> str:
        """The sha256 the report seals itself with (everything but ``content_sha256``)."""
        text = self.model_dump_json(exclude={"content_sha256"})
        return hashlib.sha256(text.encode()).hexdigest()

    def result(
        self,
        model: str,
        dataset: str,
        metric: str,
        *,
        slice: str | None = None,
        group: str | None = None,
    ) -> Result:
        """The one result matching the arguments."""
        for result in self.results:
            if (result.model, result.dataset, result.metric, result.slice, result.group) == (
                model,
                dataset,
                metric,
                slice,
                group,
            ):
                return result
        raise KeyError((model, dataset, metric, slice, group))


def parse_report(data: dict[str, Any], origin: str) -> Report:
    """Validate a report's JSON; refuse versions this assay does not know."""
    version = data.get("schema_version")
    if not isinstance(version, int):
        raise InvalidInputError(f"{origin}: not an assay report (no schema_version)")
    if version > SCHEMA_VERSION:
        raise InvalidInputError(
            f"{origin}: report schema_version {version} is newer than this assay understands "
            f"({SCHEMA_VERSION}); upgrade assay"
        )
    return Report.model_validate(_migrate(data))


def _migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Bring an older report up to the current schema (v1 → v2: no intervals)."""
    if data["schema_version"] == 1:
        data = {**data, "schema_version": 2}
    return data
