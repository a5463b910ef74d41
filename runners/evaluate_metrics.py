"""Extra metrics from Hugging Face ``evaluate`` modules named in a suite."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from assay.errors import UserError
from assay.metrics.top_class import predicted_classes
from assay.suites.policy_schema import MetricSpec


@lru_cache(maxsize=32)
def _load(path: str) -> Any:
    import evaluate

    try:
        return evaluate.load(path)
    except Exception as error:  # evaluate raises many kinds (network, import, file)
        raise UserError(f"cannot load evaluate module {path!r}: {error}") from None


def compute_evaluate_metric(
    spec: MetricSpec, labels: np.ndarray, probabilities: np.ndarray
) -> dict[str, float]:
    """The numbers an evaluate module returns, named ``<name>`` or ``<name>_<key>``."""
    assert spec.evaluate is not None
    module = _load(spec.evaluate)
    predictions = (
        probabilities if spec.input == "probabilities" else predicted_classes(probabilities)
    )
    output = module.compute(predictions=predictions, references=labels, **spec.params)
    numbers = {k: float(v) for k, v in output.items() if isinstance(v, int | float | np.number)}
    if len(numbers) == 1:
        return {spec.name: next(iter(numbers.values()))}
    return {f"{spec.name}_{key}": value for key, value in numbers.items()}
