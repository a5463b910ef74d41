"""Model-card sections in the Hugging Face format: ``model-index`` metadata built with
``huggingface_hub`` (``ModelCardData``, ``EvalResult``) and Markdown sections (results with
intervals, robustness, calibration, bias, how it was evaluated) between marked comments, so
``--update`` replaces only assay's part of an existing card.

The model-index format has no interval field: each result's interval is written into its
``metric_name`` (``accuracy (95% interval 0.93 – 0.96)``) and in full in the tables.
"""

from __future__ import annotations

from typing import Any

from assay.metrics.robustness import ROBUSTNESS_MEASURES
from assay.prediction_columns import TRAINING_DATA_SLICE
from assay.reports.markdown_report import markdown_page
from assay.reports.numbers import number, percent
from assay.reports.schema import DatasetRecord, Report, Result
from assay.reports.sections import (
    ROBUSTNESS_KINDS,
    Section,
    TableData,
    contamination_section,
    long_table,
    provenance,
    with_interval,
)

START = "<!-- assay:start (written by `assay card`; edits between these markers are replaced) -->"
END = "<!-- assay:end -->"
TASK_TYPES = {"transformers": "text-classification"}
GROUPS_CAPTION = "per group (worst group, gaps and groups too small included)"
CALIBRATION = ("ece", "adaptive_ece", "classwise_ece", "mce", "debiased_ece", "smooth_ece")


def _results(report: Report, model: str) -> list[Result]:
    return [
        r
        for r in report.results
        if r.model == model
        and r.slice is None
        and r.group is None
        and r.value is not None
        and not _is_robustness(r)
    ]


def _is_robustness(result: Result) -> bool:
    """Paired drops, mCE, effective robustness and OOD detection results."""
    return result.kind in ROBUSTNESS_KINDS or result.metric in ROBUSTNESS_MEASURES


def eval_results(report: Report, model: str, task_type: str | None = None) -> list[Any]:
    """One ``EvalResult`` per overall result of ``model`` (every dataset and metric)."""
    from huggingface_hub import EvalResult

    record = next(m for m in report.models if m.name == model)
    task = task_type or TASK_TYPES.get(record.type, "tabular-classification")
    datasets = {d.name: d for d in report.datasets}
    found = []
    for result in _results(report, model):
        dataset = datasets[result.dataset]
        root = _root(dataset, datasets)
        origin = root.source if root.source and root.source.get("type") == "hub" else {}
        found.append(
            EvalResult(
                task_type=task,
                dataset_type=origin.get("path") or result.dataset,
                dataset_name=result.dataset,
                dataset_config=origin.get("name"),
                dataset_split=origin.get("split"),
                dataset_revision=(root.revision or origin.get("revision")) if origin else None,
                metric_type=result.metric,
                metric_name=_metric_name(result),
                metric_value=result.value,
            )
        )
    return found


def _root(dataset: DatasetRecord, datasets: dict[str, DatasetRecord]) -> DatasetRecord:
    """The sourced set a set derives from (itself when sourced): its Hub id, config, split
    and resolved commit are the derived set's."""
    while dataset.derived_from is not None and dataset.derived_from in datasets:
        dataset = datasets[dataset.derived_from]
    return dataset


def _metric_name(result: Result) -> str:
    if result.ci_low is None or result.ci_high is None or result.ci_level is None:
        return result.metric
    return (
        f"{result.metric} ({percent(result.ci_level)} {result.ci_method} interval "
        f"{number(result.ci_low)} – {number(result.ci_high)})"
    )


def card_sections(report: Report, model: str) -> list[Section]:
    """Evaluation results, robustness, calibration, bias and provenance of one model."""
    mine = [r for r in report.results if r.model == model]
    overall = _results(report, model)
    results = _table("results", [r for r in overall if r.metric not in CALIBRATION])
    calibration = _table("calibration", [r for r in overall if r.metric in CALIBRATION])
    robustness = _table(
        "robustness under shift and attack",
        [r for r in mine if r.slice is None and _is_robustness(r)],
    )
    groups = [r for r in mine if r.slice not in (None, TRAINING_DATA_SLICE)]
    too_small = sorted({f"{r.dataset}: {r.slice} = {r.group}" for r in groups if r.value is None})
    bias_text = [f"Groups too small to judge: {', '.join(too_small)}."] if too_small else []
    contaminated = contamination_section(report, model)
    return [
        Section("Evaluation results", tables=[results]),
        Section("Robustness", tables=[robustness]),
        Section(
            "Calibration",
            text=[
                "The reliability diagrams are in the HTML report (`assay report --format html`)."
            ],
            tables=[calibration],
        ),
        Section(
            "Bias", text=bias_text, tables=[long_table(groups, GROUPS_CAPTION, with_model=False)]
        ),
        *([] if contaminated is None else [contaminated]),
        provenance(report),
    ]


def _table(caption: str, results: list[Result]) -> TableData:
    rows = [(r.dataset, r.kind, r.metric, str(r.n), with_interval(r)) for r in results]
    return TableData(caption, ("dataset", "kind", "metric", "n", "value (interval)"), rows)


def card_markdown(report: Report, model: str) -> str:
    """assay's part of a card body, between its markers."""
    body = markdown_page(f"Evaluation of {model} by assay", card_sections(report, model))
    return f"{START}\n{body.rstrip()}\n{END}\n"


def model_card(
    report: Report, model: str, existing: str | None = None, task_type: str | None = None
) -> str:
    """A model card with ``model``'s model-index and assay's sections; merged into
    ``existing`` (its other metadata and sections kept) when given. Idempotent."""
    from huggingface_hub import ModelCard, ModelCardData

    if model not in {m.name for m in report.models}:
        from assay.errors import UserError

        raise UserError(
            f"the report holds no model {model!r}; it holds {[m.name for m in report.models]}"
        )
    card = ModelCard(existing) if existing is not None else None
    data = card.data.to_dict() if card is not None else {}
    data.pop("model-index", None)
    data.pop("model_index", None)
    record = next(m for m in report.models if m.name == model)
    declared: dict[str, Any] = {}  # what the suite declares, unless the card already says
    if record.license and "license" not in data:
        declared["license"] = record.license
    trained_on = [t.source["path"] for t in record.training_data if t.source.get("type") == "hub"]
    if trained_on and "datasets" not in data:
        declared["datasets"] = trained_on
    merged = ModelCardData(
        **{k: v for k, v in data.items() if k not in ("model_name", "eval_results")},
        **declared,
        model_name=model,
        eval_results=eval_results(report, model, task_type),
    )
    section = card_markdown(report, model)
    text = card.text if card is not None else ""
    if START in text and END in text:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1].removeprefix("\n")
        text = before + section + after
    else:
        text = (text.rstrip() + "\n\n" if text.strip() else "") + section
    return f"---\n{merged.to_yaml()}\n---\n{text}"
