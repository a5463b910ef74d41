"""Gate verdicts kept beside the reports they judge, so ``assay history`` can show them.

Reports are immutable, so a verdict is a file of its own:
``<store>/verdicts/<candidate folder>__<baseline folder>.json``, written atomically.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from assay.atomic import write_text_atomically
from assay.reports.comparison_output import finite_or_null
from assay.reports.gate_rules import GateOutcome, cell_name
from assay.reports.store import ReportStore

VERDICTS_FOLDER = "verdicts"


@dataclass(frozen=True)
class GateVerdict:
    """What one ``assay gate`` run decided about a stored report."""

    candidate: str
    baseline: str
    passed: bool
    regressions: int
    silent_regressions: int
    failures: list[str]
    created_at: str
    underpowered: int = 0  # gated cells whose MDE exceeds the blind factor times the tolerance
    gated: int = 0
    # per gated cell (named as in the gate's output): the drop it could have caught, null
    # where unknown; and, for blind cells, the examples that would resolve the tolerance
    mde: dict[str, float | None] = field(default_factory=dict)
    n_needed: dict[str, int | None] = field(default_factory=dict)

    def summary(self, baseline_name: str) -> str:
        """``passed vs baseline`` or ``FAILED vs baseline: 2 regressions (1 silent)``."""
        blind = f" ({self.underpowered} of {self.gated} gated cells blind)" * bool(
            self.underpowered
        )
        if self.passed:
            return f"passed vs {baseline_name}{blind}"
        count = f"{self.regressions} regression{'s' if self.regressions != 1 else ''}"
        silent = f" ({self.silent_regressions} silent)" if self.silent_regressions else ""
        other = len(self.failures) - self.regressions
        extra = f", {other} other failure{'s' if other != 1 else ''}" if other > 0 else ""
        return f"FAILED vs {baseline_name}: {count}{silent}{extra}{blind}"


def gate_verdict(outcome: GateOutcome, candidate: Path, baseline: Path) -> GateVerdict:
    """What a gate run decided about the report in ``candidate`` against ``baseline``."""
    failing = outcome.failing
    return GateVerdict(
        candidate=candidate.name,
        baseline=baseline.name,
        passed=outcome.passed,
        regressions=sum(c.verdict == "regression" for c in failing),
        silent_regressions=sum(c.silent for c in failing),
        failures=outcome.failures,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        underpowered=sum(c.underpowered for c in outcome.gated),
        gated=len(outcome.gated),
        mde={cell_name(c): finite_or_null(c.mde) for c in outcome.gated},
        n_needed={cell_name(c): c.n_needed for c in outcome.gated if c.underpowered},
    )


def record_verdict(store: ReportStore, verdict: GateVerdict) -> Path:
    """Write a gate verdict beside the reports it judges; returns its file."""
    folder = store.root / VERDICTS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{verdict.candidate}__{verdict.baseline}.json"
    write_text_atomically(path, json.dumps(asdict(verdict), indent=2, allow_nan=False) + "\n")
    return path


def verdicts_of(store: ReportStore, candidate: str) -> list[GateVerdict]:
    """The verdicts recorded for the report folder named ``candidate``, oldest first.

    Example:
        >>> import tempfile
        >>> verdicts_of(ReportStore(Path(tempfile.mkdtemp())), "20261126T000000Z-s-abc")
        []
    """
    folder = store.root / VERDICTS_FOLDER
    if not folder.is_dir():
        return []
    found = [
        GateVerdict(**json.loads(path.read_text()))
        for path in sorted(folder.glob(f"{candidate}__*.json"))
    ]
    return sorted(found, key=lambda v: v.created_at)
