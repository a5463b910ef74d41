"""OOD cells of a comparison: does the candidate tell an ood set from its in-distribution
reference as well as the baseline did?

The cell is the AUROC of the maximum softmax probability (the score every model has; the
energy score needs logits, which reports do not keep), compared on the same examples of
both sets with DeLong's paired standard error (AUROC is a rank statistic, so it does not
decompose into the per-example sums the bootstrap of other cells uses).
"""

from __future__ import annotations

import re

from scipy.special import ndtri

from assay.errors import InvalidInputError
from assay.metrics.ood import SEPARATION_METRICS, auroc, paired_auroc_difference
from assay.reports.comparison_types import CellComparison, CellMetric, ComparePolicy
from assay.reports.paired_cells import wald_p_value
from assay.reports.pairing import PairedPredictions
from assay.reports.schema import Report

OOD_METRIC = "ood_auroc_msp"
_REFERENCE_NOTE = re.compile(r"score against '(?P<reference>[^']+)'")


def ood_pairs(baseline: Report, candidate: Report, allow_unpaired: bool) -> dict[str, str]:
    """OOD set → its in-distribution reference, for OOD sets both reports hold unchanged."""
    theirs = {d.name: d.fingerprint for d in baseline.datasets}
    found = {}
    for dataset in candidate.datasets:
        if dataset.kind != "ood" or dataset.name not in theirs:
            continue
        if theirs[dataset.name] != dataset.fingerprint:
            if allow_unpaired:
                continue  # AUROC is compared paired only
            raise InvalidInputError(
                f"ood set {dataset.name!r} differs between the reports; paired comparison "
                "needs the same examples (--unpaired leaves it out)"
            )
        reference = ood_reference(candidate, dataset.name)
        if reference is not None and theirs.get(reference) == _fingerprint(candidate, reference):
            found[dataset.name] = reference
    return found


def ood_reference(report: Report, dataset: str) -> str | None:
    """The in-distribution set the run told ``dataset`` from (named in its OOD results'
    note), else the report's first in-distribution set."""
    for result in report.results:
        if result.dataset == dataset and result.metric == OOD_METRIC and result.note:
            match = _REFERENCE_NOTE.search(result.note)
            if match:
                return match.group("reference")
    return next((d.name for d in report.datasets if d.kind == "in_distribution"), None)


def _fingerprint(report: Report, dataset: str) -> str | None:
    return next((d.fingerprint for d in report.datasets if d.name == dataset), None)


def ood_cell(
    reference: PairedPredictions, ood: PairedPredictions, policy: ComparePolicy
) -> CellComparison:
    """AUROC of the maximum softmax probability, candidate against baseline, paired DeLong."""
    baseline = (reference.baseline.max(axis=1), ood.baseline.max(axis=1))
    candidate = (reference.candidate.max(axis=1), ood.candidate.max(axis=1))
    delta, error = paired_auroc_difference(baseline, candidate)
    base_value = auroc(*baseline)
    half = float(ndtri(1 - policy.alpha / 2)) * error
    p_value = wald_p_value(delta, error)
    return CellComparison(
        dataset=ood.dataset,
        metric=OOD_METRIC,
        slice=None,
        group=None,
        n=len(reference.labels) + len(ood.labels),
        baseline=base_value,
        candidate=base_value + delta,
        delta=delta,
        ci_low=max(delta - half, -1.0),
        ci_high=min(delta + half, 1.0),
        p_value=p_value,
        method="paired DeLong",
        standard_error=error,
        measure=CellMetric(OOD_METRIC, SEPARATION_METRICS.get("auroc").higher_is_better),
    )
