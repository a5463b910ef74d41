"""The worst case over attacks (how AutoAttack reports robust accuracy): per example, the
prediction of the attack that fools the model, so an example is robust only if every attack
fails on it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assay.metrics.top_class import predicted_classes
from assay.suites.attacks import attack_norm
from assay.suites.data import LoadedDataset


def worst_case_probabilities(
    attacked: Sequence[np.ndarray], labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per example, the probabilities of the attack that misclassifies it with the lowest
    probability of the true class; if none misclassifies it, the one with the lowest true
    class probability (ties: the first listed). Returns them and the chosen attack's index.

    Example:
        >>> fgsm = np.array([[0.9, 0.1], [0.4, 0.6]])
        >>> pgd = np.array([[0.3, 0.7], [0.45, 0.55]])
        >>> probs, chosen = worst_case_probabilities([fgsm, pgd], np.array([0, 0]))
        >>> chosen.tolist(), probs[:, 0].tolist()
        ([1, 0], [0.3, 0.4])
    """
    stacked = np.stack([np.asarray(p, dtype=np.float64) for p in attacked])  # K × N × C
    rows = np.arange(stacked.shape[1])
    true_class = stacked[:, rows, labels]  # K × N
    correct = np.stack([predicted_classes(p) == labels for p in stacked])
    # any misclassifying attack (score < 1) beats every one that fails (score >= 2)
    chosen = np.argmin(true_class + 2.0 * correct, axis=0)
    return stacked[chosen, rows].astype(np.asarray(attacked[0]).dtype), chosen


def worst_case_statistics(
    statistics: Sequence[np.ndarray | None],
    attacked: Sequence[LoadedDataset],
    chosen: np.ndarray,
) -> np.ndarray | None:
    """Per example, the attack statistics (queries, perturbation size) of the attack the
    worst case took; None unless every attack has them and all measure size in one norm.

    Example:
        >>> import numpy as np
        >>> a, b = np.array([[np.nan, 1.0], [np.nan, 2.0]]), np.array([[5.0, 0.5], [9.0, 1.5]])
        >>> worst_case_statistics([a, b], [], np.array([1, 0])).tolist()
        [[5.0, 0.5], [nan, 2.0]]
    """
    if any(s is None for s in statistics):
        return None
    norms = {attack_norm(d.transform) for d in attacked if d.transform}
    if len(norms) > 1:
        return None  # sizes in L∞ and L2 do not mix
    stacked = np.stack([np.asarray(s, dtype=np.float64) for s in statistics])  # K × N × 2
    return stacked[chosen, np.arange(stacked.shape[1])]
