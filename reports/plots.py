"""The figures of a report: reliability diagrams, accuracy and ECE against shift severity,
per-group results with intervals, and out-of-distribution score histograms.

Example:
    >>> from assay.reports.schema import ReliabilityBin, ReliabilityRecord
    >>> bins = [ReliabilityBin(lower=0.0, upper=1.0, count=3, mean_confidence=0.9, accuracy=1.0)]
    >>> figure = reliability_figure(ReliabilityRecord(model="m", dataset="d", bins=bins), None)
    >>> figure.stem, figure.png[:4]
    ('reliability-m-d', b'\\x89PNG')
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from typing import Any

import numpy as np
import pyarrow as pa

from assay.reports.plot_style import Figure, render, series_style
from assay.reports.schema import ReliabilityRecord, Report, Result
from assay.reports.severity_ladders import LADDER_METRICS, Ladder, LadderRow, severity_ladders

SAFE = re.compile(r"[^A-Za-z0-9_.-]+")
HISTOGRAM_BINS = 20


def file_stem(*parts: str) -> str:
    """A file name from user strings: unsafe characters replaced, and a short hash added
    when anything was replaced (so two names never share a file).

    Example:
        >>> file_stem("groups", "m", "d", "sex")
        'groups-m-d-sex'
        >>> file_stem("groups", "m", "d", "../x y")
        'groups-m-d-_x_y-97dcd3'
    """
    joined = "-".join(parts)
    safe = "-".join(SAFE.sub("_", p).strip(".") or "_" for p in parts)
    if safe == joined:
        return safe
    return f"{safe}-{hashlib.sha256(joined.encode()).hexdigest()[:6]}"


def report_figures(report: Report, predictions: pa.Table | None = None) -> list[Figure]:
    """Every figure of ``report``; score histograms need its predictions table."""
    ece = {(r.model, r.dataset): r for r in _overall(report, "ece")}
    figures = [reliability_figure(r, ece.get((r.model, r.dataset))) for r in report.reliability]
    figures += severity_figures(report)
    figures += group_figures(report)
    if predictions is not None:
        figures += ood_figures(report, predictions)
    return figures


def _overall(report: Report, metric: str) -> list[Result]:
    return [
        r
        for r in report.results
        if r.metric == metric and r.slice is None and r.group is None and r.kind != "robustness"
    ]


def reliability_figure(record: ReliabilityRecord, ece: Result | None) -> Figure:
    """Accuracy against mean confidence per confidence bin, with the diagonal and counts."""
    filled = [b for b in record.bins if b.count and b.accuracy is not None]
    ece_text = f"; ECE {ece.value!r}" if ece is not None and ece.value is not None else ""

    def draw(figure: Any) -> None:
        top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(3, 1))
        top.plot([0, 1], [0, 1], color="#777777", linestyle=":", label="perfect calibration")
        centres = [(b.lower + b.upper) / 2 for b in record.bins]
        widths = [b.upper - b.lower for b in record.bins]
        top.bar(
            [(b.lower + b.upper) / 2 for b in filled],
            [b.accuracy for b in filled],
            width=[b.upper - b.lower for b in filled],
            color=series_style(0)["color"],
            alpha=0.6,
            edgecolor="#222222",
            hatch="//",
            label="accuracy in bin",
        )
        top.plot(
            [b.mean_confidence for b in filled],
            [b.accuracy for b in filled],
            linestyle="none",
            marker="o",
            color="#222222",
            label="(mean confidence, accuracy)",
        )
        top.set(xlim=(0, 1), ylim=(0, 1), ylabel="accuracy")
        top.set_title(f"{record.model} on {record.dataset}{ece_text}", loc="left")
        top.legend(loc="upper left", frameon=False)
        bottom.bar(centres, [b.count for b in record.bins], width=widths, color="#999999")
        bottom.set(xlabel="confidence (top label)", ylabel="examples")

    alt = (
        f"Reliability diagram of model {record.model} on dataset {record.dataset}: accuracy "
        f"against confidence in {len(record.bins)} bins, {len(filled)} of them holding "
        f"examples{ece_text}."
    )
    return render(
        file_stem("reliability", record.model, record.dataset),
        f"Reliability: {record.model} on {record.dataset}",
        alt,
        draw,
        (5.0, 4.6),
        kind="reliability",
        datasets=(record.dataset,),
    )


def severity_figures(report: Report) -> list[Figure]:
    """Accuracy and ECE against severity (0 = the clean set), one figure per severity
    ladder (a family of shifted sets of one clean set), one line per model."""
    models = [m.name for m in report.models]
    return [
        _severity_figure(ladder, ladder.rows(report), models) for ladder in severity_ladders(report)
    ]


def _severity_figure(ladder: Ladder, rows: list[LadderRow], models: list[str]) -> Figure:
    clean, shift, steps = ladder.parent, ladder.family, ladder.steps
    metrics = [m for m in LADDER_METRICS if any(row.metric == m for row in rows)]
    values = {(row.model, row.metric): row.values for row in rows}

    def draw(figure: Any) -> None:
        axes = figure.subplots(1, len(metrics), squeeze=False)[0]
        for axis, metric in zip(axes, metrics, strict=True):
            for index, model in enumerate(models):
                results = values.get((model, metric), (None,) * len(steps))
                shown = [
                    (s, r.value)
                    for (s, _), r in zip(steps, results, strict=True)
                    if r is not None and r.value is not None
                ]
                axis.plot(
                    [s for s, _ in shown], [v for _, v in shown], label=model, **series_style(index)
                )
            axis.set(xlabel=f"{shift} severity (0 = {clean})", ylabel=metric)
            axis.set_xticks([s for s, _ in steps])
        axes[0].legend(frameon=False)

    described = ", ".join(f"severity {s}: {d}" for s, d in steps)
    alt = (
        f"{' and '.join(metrics)} of models {', '.join(models)} against the severity of shift "
        f"{shift} applied to {clean} ({described})."
    )
    return render(
        file_stem("severity", clean, shift),
        f"{shift} on {clean}: {' and '.join(metrics)} by severity",
        alt,
        draw,
        (4.2 * len(metrics), 3.4),
        kind="severity",
        datasets=ladder.datasets,
    )


def group_figures(report: Report) -> list[Figure]:
    """Per (model, dataset, sensitive column): each group's accuracy with its interval;
    groups too small to score are named on the chart."""
    by_column: dict[tuple[str, str, str], list[Result]] = defaultdict(list)
    for result in report.results:
        if result.metric == "accuracy" and result.slice is not None and result.group is not None:
            sensitive = {
                c for d in report.datasets if d.name == result.dataset for c in d.sensitive
            }
            if result.slice in sensitive or " & " in result.group:
                by_column[(result.model, result.dataset, result.slice)].append(result)
    return [_group_figure(*key, rows) for key, rows in sorted(by_column.items())]


def _group_figure(model: str, dataset: str, column: str, rows: list[Result]) -> Figure:
    scored = [r for r in rows if r.value is not None]
    small = [r for r in rows if r.value is None]

    def draw(figure: Any) -> None:
        axis = figure.subplots()
        positions = np.arange(len(rows))
        for position, row in zip(positions, rows, strict=True):
            if row.value is None:
                axis.text(position, 0.02, "too small", rotation=90, ha="center", va="bottom")
                continue
            low = row.value - (row.ci_low if row.ci_low is not None else row.value)
            high = (row.ci_high if row.ci_high is not None else row.value) - row.value
            axis.bar(position, row.value, color=series_style(0)["color"], alpha=0.7)
            axis.errorbar(position, row.value, yerr=[[low], [high]], color="#222222", capsize=3)
        axis.set_xticks(positions, [f"{r.group}\n(n={r.n})" for r in rows], rotation=30, ha="right")
        axis.set(ylim=(0, 1), ylabel="accuracy (95% interval)", xlabel=column)
        axis.set_title(f"{model} on {dataset} by {column}", loc="left")

    worst = min(scored, key=lambda r: r.value or 0.0) if scored else None
    alt = (
        f"Accuracy of model {model} on dataset {dataset} for each {column} group with its "
        f"interval: {len(scored)} groups scored"
        + (f", lowest {worst.group} at {worst.value!r}" if worst is not None else "")
        + (f"; too small to score: {', '.join(str(r.group) for r in small)}" if small else "")
        + "."
    )
    return render(
        file_stem("groups", model, dataset, column),
        f"{model} on {dataset}: accuracy by {column}",
        alt,
        draw,
        (max(4.0, 0.6 * len(rows) + 2), 3.6),
        kind="groups",
        datasets=(dataset,),
    )


def ood_figures(report: Report, predictions: pa.Table) -> list[Figure]:
    """Maximum softmax probability on each ood set and its reference, per model."""
    frame = predictions.select(["dataset", "model", "probs"]).to_pandas()
    kinds = {d.name: d.kind for d in report.datasets}
    references = sorted({(r.model, r.dataset) for r in report.results if r.kind == "ood"})
    clean = next((d.name for d in report.datasets if d.kind == "in_distribution"), None)
    figures = []
    for model, dataset in references:
        if kinds.get(dataset) != "ood" or clean is None:
            continue
        scores = {}
        for name in (clean, dataset):
            rows = frame[(frame.model == model) & (frame.dataset == name)]
            scores[name] = (
                np.max(np.stack(rows.probs.to_numpy()), axis=1) if len(rows) else np.zeros(0)
            )
        figures.append(_ood_figure(model, clean, dataset, scores))
    return figures


def _ood_figure(model: str, clean: str, ood: str, scores: dict[str, np.ndarray]) -> Figure:
    edges = np.linspace(0.0, 1.0, HISTOGRAM_BINS + 1)

    def draw(figure: Any) -> None:
        axis = figure.subplots()
        for index, (name, values) in enumerate(scores.items()):
            style = series_style(index)
            axis.hist(
                values,
                bins=edges,
                histtype="step",
                linewidth=1.6,
                color=style["color"],
                linestyle=style["linestyle"],
                label=f"{name} (n={len(values)})",
            )
        axis.set(xlabel="maximum softmax probability", ylabel="examples")
        axis.set_title(f"{model}: {ood} against {clean}", loc="left")
        axis.legend(frameon=False)

    medians = ", ".join(
        f"{name} median {float(np.median(v))!r}" for name, v in scores.items() if len(v)
    )
    alt = (
        f"Histograms of model {model}'s maximum softmax probability on the in-distribution "
        f"set {clean} and the out-of-distribution set {ood} ({medians})."
    )
    return render(
        file_stem("ood", model, ood),
        f"{model}: confidence on {ood} vs {clean}",
        alt,
        draw,
        (5.0, 3.4),
        kind="ood",
        datasets=(ood, clean),
    )
