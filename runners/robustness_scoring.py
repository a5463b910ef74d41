"""Robustness results of a run: accuracy drop and relative robustness for every derived
(shifted or adversarial) set against its clean parent, paired by example id; mean
corruption error over the shift severities; effective robustness against a declared fit."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np

from assay.hashing import seed_from
from assay.metrics.intervals import Interval, bootstrap_intervals, median_interval
from assay.metrics.resampling import strata_codes
from assay.metrics.robustness import (
    EFFECTIVE_ROBUSTNESS,
    MAX_QUERIES_USED,
    MEAN_CORRUPTION_ERROR,
    MEDIAN_PERTURBATION,
    MEDIAN_QUERIES,
    CorruptionErrors,
    effective_robustness,
    mean_corruption_error,
    paired_decomposition,
    resampled_decomposition,
)
from assay.metrics.top_class import predicted_classes
from assay.reports.schema import Result
from assay.runners.scoring import interval_fields
from assay.suites.attacks import attack_norm
from assay.suites.data import LoadedDataset
from assay.suites.schema import Suite, Transform
from assay.suites.shifts import SHIFTS

SUMMARY_KIND = "robustness"


def robustness_results(
    suite: Suite,
    datasets: Mapping[str, LoadedDataset],
    probabilities: Mapping[tuple[str, str], np.ndarray],
    attack_statistics: Mapping[tuple[str, str], np.ndarray] | None = None,
) -> list[Result]:
    """All robustness results, models in suite order; ``attack_statistics`` (per attacked
    set: each example's queries and perturbation size) add each attack's medians."""
    correct = {
        model.name: {
            name: predicted_classes(probabilities[(model.name, name)]) == d.labels
            for name, d in datasets.items()
        }
        for model in suite.models
    }
    results: list[Result] = []
    for model in (m.name for m in suite.models):
        for dataset in datasets.values():
            partner = dataset.derived_from or dataset.pairs_with
            if partner is not None:
                results += _paired(suite, model, dataset, datasets[partner], correct[model])
                found = (attack_statistics or {}).get((model, dataset.name))
                if found is not None:
                    norm = _effort_norm(datasets, dataset)
                    results += _attack_effort(suite, model, dataset, correct[model], found, norm)
        reference = suite.robustness.reference_model
        results += _mce(
            model, datasets, correct[model], correct[reference] if reference is not None else None
        )
        results += _effective(suite, model, datasets, correct[model])
    return results


def _paired(
    suite: Suite,
    model: str,
    dataset: LoadedDataset,
    parent: LoadedDataset,
    correct: Mapping[str, np.ndarray],
) -> list[Result]:
    clean, shifted = correct[parent.name], correct[dataset.name]
    attacked = dataset.kind == "adversarial"
    if dataset.paired_rows is not None:  # a sourced set: each row against its clean row
        decomposition = paired_decomposition(clean[dataset.paired_rows], shifted, attacked=attacked)
        versions = len(np.unique(dataset.paired_rows))
        note = f"paired by example id with {parent.name!r} ({versions} of its examples)"
    elif dataset.parent_rows is None:
        decomposition = paired_decomposition(clean, shifted, attacked=attacked)
        note = f"paired by example id with {parent.name!r}"
    else:  # a new mix of the parent's rows: the bootstrap resamples the parent's rows
        decomposition = resampled_decomposition(clean, dataset.parent_rows, shifted)
        note = f"over the rows of {parent.name!r}, each weighted by its draws"
    spec = suite.intervals
    intervals: Sequence[Interval | None] = [None] * len(decomposition.outputs)
    if spec.method != "none":
        intervals = bootstrap_intervals(
            [decomposition],
            n_resamples=spec.n_resamples,
            level=spec.level,
            method=spec.method,
            seed=seed_from(suite.seed, dataset.name, "paired"),
            strata=strata_codes(dataset.labels if dataset.parent_rows is None else parent.labels),
            closed_form=False,
        )[0]
    results = []
    for name, value, interval in zip(
        decomposition.outputs, decomposition.value(), intervals, strict=True
    ):
        ci = interval_fields(interval)
        results.append(
            Result(
                model=model,
                dataset=dataset.name,
                kind=dataset.kind,
                metric=name,
                value=None if np.isnan(value) else float(value),
                n=dataset.n_examples,
                note=note,
                **ci,
            )
        )
    return results


def _attack_effort(
    suite: Suite,
    model: str,
    dataset: LoadedDataset,
    correct: Mapping[str, np.ndarray],
    statistics: np.ndarray,
    norm: str,
) -> list[Result]:
    """What flipping an answer took, over the examples the attack flipped (right when
    clean, wrong attacked): the median perturbation size (in ``norm``) and, for a
    black-box attack, the median and most queries; medians with order-statistic
    intervals."""
    assert dataset.derived_from is not None
    flipped = correct[dataset.derived_from] & ~correct[dataset.name]
    queries, sizes = statistics[flipped, 0], statistics[flipped, 1]
    shown = {"linf": "L∞", "l2": "L2"}.get(norm, norm)
    note = f"over the {int(flipped.sum())} examples the attack flipped"
    level = suite.intervals.level
    wanted = suite.intervals.method != "none"

    def result(measure: str, values: np.ndarray, extra: str, median: bool = True) -> Result:
        value = float(np.median(values)) if median else float(values.max())
        ci = interval_fields(median_interval(values, level=level)) if median and wanted else {}
        return Result(
            model=model,
            dataset=dataset.name,
            kind=dataset.kind,
            metric=measure,
            value=value,
            n=int(flipped.sum()),
            note=f"{note}{extra}",
            **ci,
        )

    if not flipped.any():
        return []
    results = [result(MEDIAN_PERTURBATION.name, sizes, f", in {shown}")]
    if not np.isnan(queries).any():
        results.append(result(MEDIAN_QUERIES.name, queries, ""))
        results.append(result(MAX_QUERIES_USED.name, queries, "", median=False))
    return results


def _effort_norm(datasets: Mapping[str, LoadedDataset], dataset: LoadedDataset) -> str:
    """The norm an attacked set's sizes are in (a worst case's: its attacks', one norm)."""
    made = datasets[dataset.worst_of[0]] if dataset.worst_of else dataset
    assert made.transform is not None
    return attack_norm(made.transform)


def _corruptions(
    datasets: Mapping[str, LoadedDataset], correct: Mapping[str, np.ndarray], parent: str
) -> list[CorruptionErrors]:
    errors: dict[str, dict[int, float]] = defaultdict(dict)
    for name, dataset in datasets.items():
        transform = dataset.transform
        if (
            dataset.kind == "shifted"
            and dataset.derived_from == parent
            and transform is not None
            and not SHIFTS.get(transform.name).resamples  # a new mix, not a corruption
        ):
            severity = SHIFTS.get(transform.name).severity_of(transform.params)
            errors[corruption_name(transform)][severity] = float(1.0 - correct[name].mean())
    return [CorruptionErrors(c, e) for c, e in sorted(errors.items())]


def corruption_name(transform: Transform) -> str:
    """A shift without its severity parameter (the one its registry entry declares): sets
    that differ in other params are different corruptions, so no two shifted sets can fall
    on one (corruption, severity) slot.

    Example:
        >>> corruption_name(Transform(name="gaussian_noise", params={"severity": 3}))
        'gaussian_noise'
        >>> corruption_name(Transform(name="gaussian_noise", params={"scale": "global"}))
        "gaussian_noise(scale='global')"
    """
    severity = SHIFTS.get(transform.name).severity
    rest = {k: v for k, v in sorted(transform.params.items()) if k != severity}
    if not rest:
        return transform.name
    return f"{transform.name}({', '.join(f'{k}={v!r}' for k, v in rest.items())})"


def _mce(
    model: str,
    datasets: Mapping[str, LoadedDataset],
    correct: Mapping[str, np.ndarray],
    reference_correct: Mapping[str, np.ndarray] | None,
) -> list[Result]:
    results = []
    for parent in sorted({d.derived_from for d in datasets.values() if d.derived_from}):
        ours = _corruptions(datasets, correct, parent)
        if not ours:
            continue
        if reference_correct is None:
            value = mean_corruption_error(ours)
            note = "unnormalised: mean top-1 error over corruptions and severities"
        else:
            value = mean_corruption_error(ours, _corruptions(datasets, reference_correct, parent))
            note = "normalised by the reference model's errors"
        results.append(
            Result(
                model=model,
                dataset=parent,
                kind=SUMMARY_KIND,
                metric=MEAN_CORRUPTION_ERROR.name,
                value=value,
                n=datasets[parent].n_examples,
                note=note,
            )
        )
    return results


def _effective(
    suite: Suite,
    model: str,
    datasets: Mapping[str, LoadedDataset],
    correct: Mapping[str, np.ndarray],
) -> list[Result]:
    fit = suite.robustness.baseline_fit
    clean = next((d for d in datasets.values() if d.kind == "in_distribution"), None)
    if fit is None or clean is None:
        return []
    clean_accuracy = float(correct[clean.name].mean())
    return [
        Result(
            model=model,
            dataset=name,
            kind=dataset.kind,
            metric=EFFECTIVE_ROBUSTNESS.name,
            value=effective_robustness(
                clean_accuracy,
                float(correct[name].mean()),
                slope=fit.slope,
                intercept=fit.intercept,
                scale=fit.scale,
            ),
            n=dataset.n_examples,
            note=f"against {clean.name!r} and the declared fit",
        )
        for name, dataset in datasets.items()
        if dataset.kind == "shifted"
    ]
