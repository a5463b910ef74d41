"""Every assay metric as a Hugging Face ``evaluate`` module, calling the same function.

The folders ``metrics/<name>/`` hold a two-line script per metric (built by
``metric_module``) and a metric card; load one with ``evaluate.load(module_path("ece"))``.
Label metrics take predicted class indices, probability metrics N×C probability rows, and
group metrics a ``sensitive_features`` keyword, as the assay functions do.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from assay.atomic import write_text_atomically
from assay.metrics.registry import METRICS, MetricInfo

MODULES_ROOT = Path(__file__).parent


def module_path(name: str) -> str:
    """The folder of the evaluate module for metric ``name`` (for ``evaluate.load``): the
    shipped folder of a built-in metric, or for a plugin's metric one written on first use
    under ``$ASSAY_EVALUATE_MODULES`` (default: the temporary folder).

    Example:
        >>> Path(module_path("ece")).name
        'ece'
    """
    canonical = METRICS.canonical(name)
    if canonical not in METRICS.plugins:
        return str(MODULES_ROOT / canonical)
    default = Path(tempfile.gettempdir()) / "assay-evaluate-modules"
    folder = Path(os.environ.get("ASSAY_EVALUATE_MODULES", str(default))) / canonical
    write_module(METRICS.get(canonical), folder)
    return str(folder)


def metric_module(name: str) -> type:
    """An ``evaluate.Metric`` subclass computing registered metric ``name``."""
    import datasets
    import evaluate

    info = METRICS.get(name)
    prediction = (
        datasets.Sequence(datasets.Value("float64"))
        if info.input == "probabilities"
        else datasets.Value("int64")
    )
    features = datasets.Features({"predictions": prediction, "references": datasets.Value("int64")})

    def _info(self: Any) -> Any:
        return evaluate.MetricInfo(
            description=info.summary,
            citation=info.citation,
            inputs_description=_inputs_description(info),
            features=features,
            reference_urls=[],
        )

    def _compute(self: Any, predictions: Any, references: Any, **kwargs: Any) -> dict[str, Any]:
        value = info.value(np.asarray(references), np.asarray(predictions), **kwargs)
        return {info.name: value}

    class_name = "".join(part.title() for part in info.name.split("_"))
    return type(class_name, (evaluate.Metric,), {"_info": _info, "_compute": _compute})


def _inputs_description(info: MetricInfo) -> str:
    predictions = (
        "N×C class probabilities" if info.input == "probabilities" else "predicted class indices"
    )
    extra = "; sensitive_features: one group label per example" if info.needs_groups else ""
    return f"predictions: {predictions}; references: true class indices{extra}"


def metric_card(info: MetricInfo) -> str:
    """The README of an evaluate module folder, from the function's docstring."""
    direction = "higher" if info.higher_is_better else "lower"
    low, high = info.value_range
    return (
        f"---\ntitle: {info.name}\ntags:\n- evaluate\n- metric\n- assay\n---\n\n"
        f"# Metric card: {info.name}\n\n{info.description}. {direction.title()} is better; "
        f"range [{low:g}, {high:g}].\n\n## How to use\n\n```python\nimport evaluate\n"
        f"from assay.metrics.evaluate_module import module_path\n\n"
        f'metric = evaluate.load(module_path("{info.name}"))\n'
        f"metric.compute(predictions=..., references=...)\n```\n\n"
        f"Inputs: {_inputs_description(info)}.\n\n## Definition\n\n"
        f"{_definition(info)}"
    )


def _definition(info: MetricInfo) -> str:
    cited = f"Reference: {info.citation}.\n\n" if info.citation else ""
    if info.function is None:
        return f"{cited}Computed from assay's registry entry `{info.name}`.\n"
    return (
        f"```\n{_dedent(info.function.__doc__ or '')}\n```\n\n{cited}"
        f"Computed by `{info.function.__module__}.{info.function.__name__}`, from the same "
        f"definition assay's runner uses.\n"
    )


def module_script(info: MetricInfo) -> str:
    """The script of an evaluate module folder."""
    return (
        f'"""assay\'s {info.name} as an evaluate module (generated; see metric_card)."""\n\n'
        "from assay.metrics.evaluate_module import metric_module\n\n"
        f'{"".join(p.title() for p in info.name.split("_"))} = metric_module("{info.name}")\n'
    )


def _dedent(text: str) -> str:
    import textwrap

    return textwrap.dedent("\n".join(text.splitlines()[1:])).strip() if text else ""


def write_module(info: MetricInfo, folder: Path) -> None:
    """Write one metric's evaluate module folder (script and metric card)."""
    folder.mkdir(parents=True, exist_ok=True)
    write_text_atomically(folder / f"{info.name}.py", module_script(info))
    write_text_atomically(folder / "README.md", metric_card(info))


def write_modules(root: Path = MODULES_ROOT) -> list[Path]:
    """(Re)write every built-in metric's folder; ``python -m assay.metrics.evaluate_module``
    (plugins' metrics are written on demand by :func:`module_path`, never into assay)."""
    written = []
    for name, info in METRICS.items():
        if name in METRICS.plugins:
            continue
        write_module(info, root / name)
        written.append(root / name)
    return written


if __name__ == "__main__":
    for folder in write_modules():
        print(folder)
