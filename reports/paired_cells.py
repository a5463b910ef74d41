"""The paired statistics of one cell block: every metric's delta, interval and p-value,
and the prediction churn, from bootstrap sums over the block's example ids.

Each metric's delta (candidate − baseline) is one decomposition over both models' per-example
statistics side by side, so resampling an example resamples it in both reports at once
(a paired bootstrap). The sums come from :func:`assay.metrics.resampled_sums.resampled_sums`:
exact resampling for small blocks, and for large ones exact on the rows where it matters
and the normal limit elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse
from scipy.special import bdtr, ndtr

from assay.hashing import seed_from
from assay.metrics.decomposition import Decomposition, Finish, hstack_csr
from assay.metrics.resampled_sums import resampled_sums
from assay.metrics.top_class import predicted_classes
from assay.reports.comparison_types import CellComparison, CellMetric, Churn, ComparePolicy
from assay.reports.pairing import PairedPredictions, SliceRows
from assay.reports.power import ErrorCurve, error_curve


@dataclass(frozen=True)
class BlockData:
    """Labels and both models' probabilities on the rows of one block."""

    labels: np.ndarray
    baseline: np.ndarray
    candidate: np.ndarray


@dataclass(frozen=True)
class PairedMetric:
    """The deltas of one metric's outputs as one decomposition over both models' statistics
    side by side (the baseline's first ``width`` columns); each output is one cell."""

    measures: tuple[CellMetric, ...]
    delta: Decomposition
    width: int
    baseline_finish: Finish
    columns: tuple[int, ...] = ()  # which outputs the measures label (default: the first)

    @property
    def cells(self) -> list[tuple[CellMetric, int]]:
        """(what the cell measures, output column) pairs."""
        columns = self.columns or tuple(range(len(self.measures)))
        return list(zip(self.measures, columns, strict=True))

    def values(self) -> tuple[np.ndarray, np.ndarray]:
        """The deltas and the baseline's values of the outputs, from one pass over the
        statistics."""
        totals = self.delta.totals()
        return self.delta.finish(totals)[0], self.baseline_finish(totals[:, : self.width])[0]

    def take(self, rows: np.ndarray) -> PairedMetric:
        """The same metric on a subset of the examples (row-local decompositions only)."""
        return replace(self, delta=self.delta.take(rows))


def paired_metric(
    measures: Sequence[CellMetric | str],
    baseline: Decomposition,
    candidate: Decomposition,
    columns: Sequence[int] = (),
) -> PairedMetric:
    """Candidate minus baseline over both decompositions' statistics side by side (a plain
    name stands for the registered metric of that name).

    Example:
        >>> from assay.metrics.classification import top1_hits
        >>> y = np.array([0, 1, 1, 0])
        >>> b, c = top1_hits(y, np.array([0, 1, 0, 0])), top1_hits(y, np.array([0, 1, 1, 1]))
        >>> paired = paired_metric(["accuracy"], b, c)
        >>> deltas, baselines = paired.values()
        >>> deltas.tolist(), baselines.tolist()
        ([0.0], [0.75])
    """
    width = baseline.statistics.shape[1]

    def finish(s: np.ndarray) -> np.ndarray:
        return candidate.finish(s[:, width:]) - baseline.finish(s[:, :width])

    worsen = None
    if candidate.worsen is not None:
        move = candidate.worsen

        def worsen(s: np.ndarray, harm: float) -> np.ndarray:  # the candidate worse by harm
            return np.hstack([s[:, :width], move(s[:, width:], harm)])

    delta = Decomposition(
        (hstack_csr([baseline.statistics, candidate.statistics]),),
        finish,
        row_local=baseline.row_local and candidate.row_local,
        worsen=worsen,
    )
    described = tuple(
        m if isinstance(m, CellMetric) else CellMetric.registered(m) for m in measures
    )
    return PairedMetric(described, delta, width, baseline.finish, tuple(columns))


def block_data(pair: PairedPredictions, block: SliceRows) -> BlockData:
    if block.rows is None:
        return BlockData(pair.labels, pair.baseline, pair.candidate)
    rows = block.rows
    return BlockData(pair.labels[rows], pair.baseline[rows], pair.candidate[rows])


def compare_block(
    pair: PairedPredictions,
    block: SliceRows,
    data: BlockData,
    metrics: Sequence[PairedMetric],
    policy: ComparePolicy,
    *,
    strata: np.ndarray | None = None,
) -> tuple[list[CellComparison], Churn]:
    """Cells of every metric output in one block, and its churn, from one set of resamples
    (stratified by class, or by the given ``strata``)."""
    flips, lost = flip_decomposition(data)
    seed = seed_from(policy.seed, pair.dataset, str(block.column), str(block.group))
    sums = resampled_sums(
        [*(m.delta.statistics for m in metrics), flips.statistics],
        data.labels if strata is None else strata,
        policy.n_resamples,
        seed,
    )
    cells = []
    for metric, total in zip(metrics, sums, strict=False):
        replicates = metric.delta.finish(total)
        deltas, baselines = metric.values()
        cells += [
            _cell(
                pair.dataset,
                block,
                data,
                measure,
                (float(deltas[column]), float(baselines[column])),
                replicates[:, column],
                policy,
                harm_curve(metric.delta, total, measure, column),
            )
            for measure, column in metric.cells
        ]
    ids = pair.ids if block.rows is None else pair.ids[block.rows]
    return cells, _churn(pair.dataset, block, flips, flips.finish(sums[-1]), ids[lost], policy)


def harm_curve(
    delta: Decomposition, sums: np.ndarray, measure: CellMetric, column: int
) -> ErrorCurve:
    """The delta's standard error at planted harms (:func:`assay.reports.power.error_curve`)
    from the bootstrap ``sums`` worsened in place of new resamples; empty for statistics
    that declare no :attr:`~assay.metrics.decomposition.Decomposition.worsen` (their spread
    does not depend on their value)."""
    worsen = delta.worsen
    if worsen is None:
        return ()
    sign = -1.0 if measure.higher_is_better else 1.0
    return error_curve(lambda shift: sign * delta.finish(worsen(sums, shift))[:, column])


def _cell(
    dataset: str,
    block: SliceRows,
    data: BlockData,
    measure: CellMetric,
    values: tuple[float, float],
    draws: np.ndarray,
    policy: ComparePolicy,
    curve: ErrorCurve,
) -> CellComparison:
    delta, baseline = values  # (candidate − baseline, baseline)
    tested = bootstrap_test(delta, draws, policy.alpha)
    p_value, method, discordance = tested.p_value, "paired bootstrap", None
    if measure.top1_rate:
        lost, gained = discordant_pairs(data)
        p_value, method = mcnemar(lost, gained), "exact McNemar"
        discordance = (lost + gained) / len(data.labels)
    return CellComparison(
        dataset=dataset,
        metric=measure.name,
        slice=block.column,
        group=block.group,
        n=len(data.labels),
        baseline=baseline,
        candidate=baseline + delta,
        delta=delta,
        ci_low=tested.low,
        ci_high=tested.high,
        p_value=p_value,
        method=method,
        standard_error=tested.standard_error,
        discordance=discordance,
        measure=measure,
        error_curve=curve,
    )


@dataclass(frozen=True)
class Tested:
    """A delta's interval, p-value and standard error."""

    low: float
    high: float
    p_value: float
    standard_error: float


def bootstrap_test(delta: float, draws: np.ndarray, alpha: float) -> Tested:
    """The percentile interval of a delta's bootstrap ``draws`` and its Wald p-value with
    the bootstrap standard error (continuous, so not floored at 1/B like a resampling p).

    Example:
        >>> found = bootstrap_test(0.5, np.array([0.0, 1.0]), 0.05)
        >>> found.low, found.high, round(found.standard_error, 4)
        (0.025, 0.975, 0.7071)
    """
    low, high = np.nanquantile(draws, [alpha / 2, 1 - alpha / 2])
    error = float(np.nanstd(draws, ddof=1))
    return Tested(float(low), float(high), wald_p_value(delta, error), error)


def wald_p_value(delta: float, standard_error: float) -> float:
    """Two-sided p of ``delta`` under N(0, standard_error²); with no spread, 1 for a zero
    delta and 0 otherwise; NaN when the delta or its standard error is not a number (the
    cell cannot be tested, and a NaN must never read as p = 0).

    Example:
        >>> round(wald_p_value(0.02, 0.01), 4), wald_p_value(0.0, 0.0)
        (0.0455, 1.0)
        >>> wald_p_value(float("nan"), 0.01), wald_p_value(0.02, float("nan"))
        (nan, nan)
    """
    if not (np.isfinite(delta) and np.isfinite(standard_error)):
        return float("nan")
    if standard_error > 0:
        return float(2 * ndtr(-abs(delta) / standard_error))
    return float(delta == 0)


def flip_decomposition(data: BlockData) -> tuple[Decomposition, np.ndarray]:
    """Negative flips, positive flips and changed predictions as rates; and the lost rows."""
    predicted_b, predicted_c = predicted_classes(data.baseline), predicted_classes(data.candidate)
    right_b, right_c = predicted_b == data.labels, predicted_c == data.labels
    lost = right_b & ~right_c
    flags = np.column_stack(
        [lost, ~right_b & right_c, predicted_b != predicted_c, np.ones(len(data.labels))]
    ).astype(np.float64)
    rates = Decomposition(
        (sparse.csr_matrix(flags),),
        lambda s: s[:, :3] / s[:, 3:4],
        outputs=("negative_flip_rate", "positive_flip_rate", "churn"),
    )
    return rates, lost


def _churn(
    dataset: str,
    block: SliceRows,
    flips: Decomposition,
    draws: np.ndarray,
    regressed: np.ndarray,
    policy: ComparePolicy,
) -> Churn:
    bounds = np.quantile(draws, [policy.alpha / 2, 1 - policy.alpha / 2], axis=0)
    values = flips.value()
    return Churn(
        dataset=dataset,
        n=flips.n_examples,
        negative_flip_rate=float(values[0]),
        positive_flip_rate=float(values[1]),
        churn=float(values[2]),
        regressed_ids=[str(i) for i in regressed],
        slice=block.column,
        group=block.group,
        intervals={
            name: (float(bounds[0, j]), float(bounds[1, j])) for j, name in enumerate(flips.outputs)
        },
    )


def discordant_pairs(data: BlockData) -> tuple[int, int]:
    """(lost, gained): examples the baseline got right and the candidate wrong, and back."""
    right_b = predicted_classes(data.baseline) == data.labels
    right_c = predicted_classes(data.candidate) == data.labels
    return int(np.sum(right_b & ~right_c)), int(np.sum(~right_b & right_c))


def mcnemar(lost: int, gained: int) -> float:
    """Exact McNemar test: discordant pairs split 50/50 under no change.

    Example:
        >>> round(mcnemar(10, 2), 4), mcnemar(0, 0)
        (0.0386, 1.0)
    """
    if lost + gained == 0:
        return 1.0
    # Binomial(n, 1/2) is symmetric, so the two-sided exact p is twice the smaller tail
    return float(min(1.0, 2 * bdtr(min(lost, gained), lost + gained, 0.5)))
