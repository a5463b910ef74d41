"""Models that give hard labels only (a predictions file of labels): a suite may ask them
for metrics of labels alone, and no out-of-distribution set (it needs scores)."""

from __future__ import annotations

from assay.errors import ConfigError
from assay.metrics.registry import METRICS
from assay.suites.model_types import MODEL_TYPES
from assay.suites.policy_schema import MetricSpec
from assay.suites.schema import PluginModelSpec, Suite


def check_label_only_models(suite: Suite) -> None:
    """Refuse probability metrics and OOD sets for models whose type declares, from their
    params, that they give hard labels (before any model runs).

    Example:
        >>> from assay.demo import demo_suite_path
        >>> from assay.suites.loading import load_suite
        >>> check_label_only_models(load_suite(demo_suite_path("digits")).suite)  # none here
    """
    for model in suite.models:
        if not isinstance(model, PluginModelSpec):
            continue
        if not MODEL_TYPES.get(model.type).hard_labels(model.params):
            continue
        where = f"model {model.name!r} gives hard labels (params.output: labels)"
        listed: list[tuple[tuple[str | int, ...], MetricSpec]]
        listed = [(("metrics", i), m) for i, m in enumerate(suite.metrics)]
        listed += [(("bias", "metrics", i), m) for i, m in enumerate(suite.bias.metrics)]
        for key_path, metric in listed:
            if _takes(metric) == "probabilities":
                raise ConfigError(
                    f"metric {metric.name!r} needs probabilities, but {where}; list metrics of "
                    "labels only (e.g. metrics: [accuracy, f1_macro] and bias: "
                    "{metrics: [accuracy]})",
                    key_path=key_path,
                    value=metric.name,
                )
        for number, dataset in enumerate(suite.datasets):
            if dataset.kind == "ood":
                raise ConfigError(
                    f"an ood set is told apart by confidence scores, but {where}",
                    key_path=("datasets", dataset.entry(number), "kind"),
                    value=dataset.kind,
                )


def _takes(metric: MetricSpec) -> str:
    """What a listed metric takes: a registered metric's declared input, or the ``input``
    an evaluate module's entry states."""
    if metric.evaluate is None and metric.name in METRICS:
        return METRICS.get(metric.name).input
    return metric.input
