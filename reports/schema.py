"""The report schema: an immutable record of one run, written as JSON.

``schema_version`` comes first; a report from a newer assay is refused, not misread.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from assay.errors import InvalidInputError

SCHEMA_VERSION = 3
# v2 (assay 0.1): results carry a confidence interval (ci_low, ci_high, ci_method, ci_level,
# n_resamples) and a note; value is None for groups too small to score; reliability-diagram
# bins per model × dataset. v1 reports load with those fields empty.
# v3: the robustness summary "mce" is named "mean_corruption_error" ("mce" is the maximum
# calibration error); the seal covers the document as written (see `seal`), so adding a
# defaulted field to these models later leaves every stored seal valid.
SEAL_FIELD = "content_sha256"


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SuiteRecord(_Record):
    name: str
    version: str
    content_hash: str = Field(description="sha256 of the suite file's bytes")
    path: str


class TrainingDataRecord(_Record):
    """One declared training source of a model: the suite's declaration, the rows it
    holds (after its partition and limit) and its content identity."""

    source: dict[str, Any]
    rows: int
    identity: str = Field(description="hash of the declaration and the data's content")
    sha256: str | None = Field(None, description="sha256 of a file source's bytes")
    revision: str | None = Field(None, description="the Hub commit a Hub source's files are from")


class ModelRecord(_Record):
    name: str
    type: str
    sha256: str | None = Field(None, description="sha256 of the model's file, where it has one")
    license: str | None = None
    card: str | None = Field(None, description="a link to the model card")
    fingerprint: str
    training_data: list[TrainingDataRecord] = Field(default_factory=list)


class DatasetRecord(_Record):
    name: str
    kind: Literal["in_distribution", "shifted", "adversarial", "ood"]
    fingerprint: str
    n_examples: int
    classes: list[str]
    sensitive: list[str] = Field(default_factory=list)
    derived_from: str | None = None
    pairs_with: str | None = Field(
        None,
        description="for a sourced adversarial or shifted set: the clean set it pairs with by id",
    )
    transform: dict[str, Any] | None = None
    severity: int | None = Field(
        None, description="the shift's severity level, for sets derived by a shift with levels"
    )
    family: str | None = Field(
        None,
        description="the shift with its params but the severity (e.g. 'image.contrast'), for "
        "sets derived by a shift with levels: one family of one parent is a severity ladder",
    )
    worst_of: list[str] | None = Field(
        None,
        description="for a worst case over attacks: the attacked sets it takes, per example, "
        "the prediction of the one that fools the model",
    )
    effective_size: float | None = Field(
        None,
        description="for sets a resampling shift drew: Kish's effective sample size of the "
        "draw, (Σc)²/Σc² over the parent rows' copy counts c",
    )
    source: dict[str, Any] | None = Field(
        None, description="where a sourced set came from (the suite's source entry)"
    )
    license: str | None = Field(None, description="the data's license, as the suite states it")
    sha256: str | None = Field(None, description="sha256 of a file source's bytes")
    revision: str | None = Field(None, description="the Hub commit a Hub source's files are from")
    citation: str | None = None
    homepage: str | None = None
    card: str | None = Field(None, description="a link to the dataset card")


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


class DataCheckRecord(_Record):
    """One leakage finding on one evaluation set: ``count`` of its ``n`` examples repeat
    within it (``duplicate_examples``), carry another label in a copy (``label_conflicts``)
    or are also in the set ``other`` (``shared_examples``); ``ids`` lists the first 100."""

    dataset: str
    check: str
    count: int
    n: int
    ids: list[str] = Field(default_factory=list)
    other: str | None = None


class ContaminationRecord(_Record):
    """How much of an evaluation set a model's declared training data holds: ``exact``
    examples have the same normalised inputs as a training row, ``near`` more have text
    whose n-grams overlap a training text's by the threshold (``near_checked`` False: not
    looked for); ``fraction`` is their share of ``n`` with its Wilson interval, and ``ids``
    lists the first 100 found."""

    model: str
    dataset: str
    n: int
    exact: int
    near: int
    count: int
    fraction: float
    ci_low: float | None = None
    ci_high: float | None = None
    ci_level: float | None = None
    near_checked: bool = False
    ids: list[str] = Field(default_factory=list)


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
    data_checks: list[DataCheckRecord] = Field(
        default_factory=list, description="leakage found inside the suite's evaluation sets"
    )
    data_check_settings: dict[str, Any] = Field(
        default_factory=dict, description="how examples were compared (the suite's data_checks)"
    )
    contamination: list[ContaminationRecord] = Field(
        default_factory=list,
        description="per model with declared training data and dataset: its examples found "
        "in that data",
    )
    cells: list[CellRecord]
    predictions: PredictionsRecord
    content_sha256: str | None = Field(
        None, description="sha256 of this JSON without this field; checked on load"
    )

    def content_hash(self) -> str:
        """The seal of this report as it will be written (see :func:`seal`)."""
        return seal(json.loads(self.model_dump_json(exclude={SEAL_FIELD})))

    def result(
        self,
        model: str,
        dataset: str,
        metric: str,
        *,
        slice: str | None = None,
        group: str | None = None,
        kind: str | None = None,
    ) -> Result:
        """The one result matching the arguments (``kind``: only results of that kind)."""
        wanted = (model, dataset, metric, slice, group)
        for result in self.results:
            found = (result.model, result.dataset, result.metric, result.slice, result.group)
            if found == wanted and kind in (None, result.kind):
                return result
        raise KeyError((*wanted, kind))

    def to_pandas(self) -> pd.DataFrame:
        """One row per result, intervals as columns (``ci_low``, ``ci_high``, ...): the
        ``results`` list of report.json as a tidy frame."""
        from assay.reports.frames import records_frame

        return records_frame(self.results, list(Result.model_fields))

    def _repr_html_(self) -> str:
        from assay.reports.frames import frame_html

        overall = self.to_pandas()
        overall = overall[overall["slice"].isna()]
        title = f"{self.suite.name} v{self.suite.version} · run {self.run_id[:8]}"
        return frame_html(overall, title)


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


def seal(document: dict[str, Any]) -> str:
    """The sha256 a report (schema v3 on) carries in ``content_sha256``: of the canonical
    JSON (sorted keys, no whitespace) of the document as written, without that field.

    It depends on the stored document alone, not on this assay's models, so a report
    sealed today still verifies after the schema gains a field.

    Example:
        >>> seal({"b": 1, "a": 2, "content_sha256": "x"}) == seal({"a": 2, "b": 1})
        True
    """
    body = {key: value for key, value in document.items() if key != SEAL_FIELD}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def legacy_seal(document: dict[str, Any]) -> str:
    """The seal of schema v2 reports: compact JSON in the document's own key order (what
    pydantic wrote then), computed from the stored document."""
    body = {key: value for key, value in document.items() if key != SEAL_FIELD}
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def seal_matches(document: dict[str, Any]) -> bool:
    """True when the document is as it was sealed (or predates sealing)."""
    stored = document.get(SEAL_FIELD)
    return stored is None or stored in (seal(document), legacy_seal(document))


def _migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Bring an older report up to the current schema (v1 → v2: no intervals; v2 → v3:
    the robustness "mce" is renamed "mean_corruption_error")."""
    if data["schema_version"] == 1:
        data = {**data, "schema_version": 2}
    if data["schema_version"] == 2:
        results = [
            {**r, "metric": "mean_corruption_error"}
            if r.get("kind") == "robustness" and r.get("metric") == "mce"
            else r
            for r in data.get("results", [])
        ]
        data = {**data, "schema_version": 3, "results": results}
    return data
