"""Render and write a comparison: silent regressions first, then every cell, then churn."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Group
from rich.table import Table

from assay.reports.comparison import CellComparison, Comparison
from assay.reports.comparison_types import INTERNAL_FIELDS
from assay.reports.escaping import terminal
from assay.reports.numbers import number, signed
from assay.reports.tables import Stacked


def where(dataset: str, column: str | None, group: str | None) -> str:
    """``digits``; for a slice group ``digits [site=a]``; for a fairness cell over a
    sensitive column ``adult [sex]``."""
    if column is None:
        return dataset
    return f"{dataset} [{column}={group}]" if group is not None else f"{dataset} [{column}]"


def _cell_row(cell: CellComparison) -> list[str]:
    return [
        terminal(where(cell.dataset, cell.slice, cell.group)),
        cell.metric,
        str(cell.n),
        number(cell.baseline),
        number(cell.candidate),
        f"{signed(cell.delta)} ({signed(cell.ci_low)}, {signed(cell.ci_high)})",
        number(cell.p_adjusted),
        number(cell.mde) + (f" (blind: n≈{cell.n_needed})" if cell.underpowered else ""),
        cell.verdict + (" (silent)" if cell.silent else ""),
    ]


def comparison_tables(comparison: Comparison) -> Group:
    """Silent regressions, all cells (regressions first) and churn as rich tables."""
    headers = [
        "cell",
        "metric",
        "n",
        "baseline",
        "candidate",
        "delta (95% CI)",
        "p (adj.)",
        "MDE",
        "verdict",
    ]
    order = {"regression": 0, "inconclusive": 1, "improvement": 2, "no_change": 3}
    cells = Table(title="cells", title_justify="left", box=box.SIMPLE_HEAD)
    for header in headers:
        cells.add_column(header)
    for cell in sorted(comparison.cells, key=lambda c: (not c.silent, order[c.verdict])):
        cells.add_row(*_cell_row(cell))
    churn = Table(title="prediction churn", title_justify="left", box=box.SIMPLE_HEAD)
    for header in ("cell", "n", "negative flips (95% CI)", "positive flips", "churn"):
        churn.add_column(header, no_wrap=True)
    for item in comparison.churn:
        low, high = item.intervals.get("negative_flip_rate", (float("nan"), float("nan")))
        churn.add_row(
            terminal(where(item.dataset, item.slice, item.group)),
            str(item.n),
            f"{number(item.negative_flip_rate)} ({number(low)}, {number(high)})",
            number(item.positive_flip_rate),
            number(item.churn),
        )
    silent = comparison.silent_regressions
    headline = (
        f"SILENT REGRESSIONS: {len(silent)} (the headline {comparison.headline[1]} on "
        f"{comparison.headline[0]} holds)"
        if silent
        else "no silent regression"
    )
    verdicts = {v: sum(c.verdict == v for c in comparison.cells) for v in order}
    summary = ", ".join(f"{count} {verdict}" for verdict, count in verdicts.items())
    blind = len(comparison.underpowered)
    summary += (
        f"; {blind} underpowered (the MDE, the drop caught with the policy's power, over "
        "its blind factor times the tolerance; n≈ the examples that would resolve it)"
        if blind
        else ""
    )
    notes = [f"note: {terminal(n)}" for n in comparison.notes]
    return Group(
        headline,
        *notes,
        f"{len(comparison.cells)} cells: {summary}",
        Stacked(cells, keys=2),
        Stacked(churn, keys=1),
    )


def finite_or_null(value: Any) -> Any:
    """``value`` with every NaN or infinite float replaced by None, so the JSON is strict
    (NaN is not JSON; jq and browsers reject it). An unknown p-value or MDE reads null.

    Example:
        >>> finite_or_null({"mde": float("nan"), "cis": [(0.1, float("inf"))]})
        {'mde': None, 'cis': [[0.1, None]]}
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite_or_null(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite_or_null(item) for item in value]
    return value


def write_comparison(
    comparison: Comparison, folder: Path, *, gate: dict[str, Any] | None = None
) -> None:
    """comparison.json (with the gate's verdict when ``gate`` is given) and, per dataset,
    the ids of examples the candidate got wrong that the baseline got right."""
    folder.mkdir(parents=True, exist_ok=True)
    data = asdict(comparison)
    if gate is not None:
        data = {"gate": gate, **data}
    for cell in data["cells"]:
        for name in INTERNAL_FIELDS:  # how the cell was judged; its verdict is in the cell
            cell.pop(name)
    for item in data["churn"]:
        item.pop("regressed_ids")
    text = json.dumps(finite_or_null(data), indent=2, allow_nan=False)
    (folder / "comparison.json").write_text(text + "\n")
    for item in comparison.churn:
        if item.slice is not None:
            continue  # the dataset-wide file already lists every regressed id
        lines = "\n".join(item.regressed_ids)
        (folder / f"regressed_ids-{item.dataset}.txt").write_text(lines + ("\n" if lines else ""))
