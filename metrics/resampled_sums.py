"""Bootstrap column sums of per-example statistics, fast for large samples.

A class-stratified bootstrap resample draws each stratum's n_h rows again with replacement;
every metric here is a function of the resampled column sums of its per-example statistics
S (n × k, :mod:`assay.metrics.decomposition`). Drawing B × n indices costs O(B·n): 10⁹ draws
for a million rows and B = 1,000. The rows of each stratum are split in two:

- **exact rows** hold more than ``1/lindeberg`` of some column's within-stratum variance
  (where Lindeberg's condition for the central limit theorem fails: rows of a sparse bin or
  a rare class, outliers of a heavy-tailed loss). Their counts are drawn exactly.
- **the rest**: given that N draws of a stratum land on them, their resampled sum is a sum
  of N independent draws from their empirical distribution, so normal with mean N·m and
  covariance N·Σ (m, Σ: their mean and covariance). That costs O(B·k²), not O(B·n), so it
  is used for matrices of up to 512 columns.

How many draws land on a stratum's exact rows is Binomial(n_h, r_h / n_h), as in the full
bootstrap, so each resample still holds n_h rows per stratum. The only approximation is the
normal limit for sums of thousands of rows that each carry < 1/lindeberg of the variance
(the classical "normal approximation to the bootstrap", Efron & Tibshirani 1993, §6; the
split keeps it off the rows where it would be poor). Samples under ``exact_below`` rows, or
where most rows are exact, are resampled exactly (every row is an exact row).

Several statistic matrices over the same rows share one set of exact counts; their normal
parts are drawn independently (only each matrix's own joint distribution matters).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from assay.metrics.decomposition import row_width
from assay.metrics.resampling import compact_codes, stable_order

EXACT_BELOW = 20_000
LINDEBERG = 100
CHUNK_ELEMENTS = 4_000_000
WIDEST_NORMAL = 512  # columns of one statistics matrix (its covariance is k × k)
WIDEST_PATTERN = 12  # rows storing more entries (class-wise ECE) go to scipy's Gram product


@dataclass(frozen=True)
class RowSplit:
    """Which rows are resampled exactly; strata are 0..H-1 codes."""

    strata: np.ndarray
    stratum_sizes: np.ndarray
    exact_rows: np.ndarray  # sorted by stratum, then row

    @property
    def exact_sizes(self) -> np.ndarray:
        return np.bincount(self.strata[self.exact_rows], minlength=len(self.stratum_sizes))

    @property
    def is_exact(self) -> bool:
        return len(self.exact_rows) == len(self.strata)


@dataclass(frozen=True)
class Moments:
    """Per-stratum column sums and stored-entry counts (H × k), and each stored entry's
    (stratum × k + column) key."""

    totals: np.ndarray
    stored: np.ndarray
    keys: np.ndarray


def resampled_sums(
    statistics: Sequence[sparse.csr_matrix],
    strata: np.ndarray,
    n_resamples: int,
    seed: int,
    *,
    exact_below: int = EXACT_BELOW,
    lindeberg: float = LINDEBERG,
) -> list[np.ndarray]:
    """(B × k) bootstrap column sums for each statistics matrix, stratified by ``strata``.

    Example:
        >>> s = sparse.csr_matrix(np.column_stack([np.arange(6.0), np.ones(6)]))
        >>> sums = resampled_sums([s], np.array([0, 0, 0, 1, 1, 1]), 4, seed=0)[0]
        >>> sums.shape, sums[:, 1].tolist()  # each resample keeps 3 + 3 rows
        ((4, 2), [6.0, 6.0, 6.0, 6.0])
    """
    codes = compact_codes(np.asarray(strata))
    sizes = np.bincount(codes)
    # a wide matrix (class-wise ECE over many classes) has a covariance too large to draw
    # from cheaply: such blocks are resampled exactly
    large = len(codes) >= exact_below and all(s.shape[1] <= WIDEST_NORMAL for s in statistics)
    repeated: dict[int, np.ndarray] = {}  # each row's stratum, per row width, made once
    moments = [moments_of(s, codes, len(sizes), repeated) if large else None for s in statistics]
    split = split_rows(statistics, codes, moments, lindeberg=lindeberg)
    landing_seed, exact_seed, *normal_seeds = np.random.SeedSequence(seed).spawn(
        2 + len(statistics)
    )
    exact_draws = _exact_draw_counts(split, n_resamples, np.random.default_rng(landing_seed))
    exact = [s[split.exact_rows] for s in statistics]
    sums = _exact_sums(exact, split, exact_draws, exact_seed)
    if split.is_exact:
        return sums
    normal_draws = split.stratum_sizes[None, :] - exact_draws
    rest_sizes = split.stratum_sizes - split.exact_sizes
    exact_strata = codes[split.exact_rows]
    for s, part, total, found, normal_seed in zip(
        statistics, exact, sums, moments, normal_seeds, strict=True
    ):
        assert found is not None
        rest_totals = found.totals - moments_of(part, exact_strata, len(sizes)).totals
        rest_gram = _gram(s) - _gram(part)  # only now: a fully exact split never needs it
        rng = np.random.default_rng(normal_seed)
        total += _normal_sums(rest_totals, rest_gram, rest_sizes, normal_draws, rng)
    return sums


def moments_of(
    statistics: sparse.csr_matrix,
    strata: np.ndarray,
    n_strata: int,
    repeated: dict[int, np.ndarray] | None = None,
) -> Moments:
    """Column sums and stored entries per stratum, and the keys of the stored entries
    (``repeated``: strata already repeated per row width, shared by matrices of a block)."""
    width = statistics.shape[1]
    key = _entry_keys(statistics, strata, {} if repeated is None else repeated)
    size = n_strata * width
    totals = np.bincount(key, statistics.data, minlength=size).reshape(n_strata, width)
    stored = np.bincount(key, minlength=size).reshape(n_strata, width)
    return Moments(totals, stored, key)


def _entry_keys(
    statistics: sparse.csr_matrix, strata: np.ndarray, repeated: dict[int, np.ndarray]
) -> np.ndarray:
    """stratum × k + column of every stored entry."""
    width = row_width(statistics)
    if width is not None:  # rows of equal width: no row index per entry needed
        if width not in repeated:
            repeated[width] = np.repeat(strata, width)
        entry_strata = repeated[width]
    else:
        entry_strata = np.repeat(strata, np.diff(statistics.indptr))
    return entry_strata * statistics.shape[1] + statistics.indices


def _gram(statistics: sparse.csr_matrix) -> np.ndarray:
    """SᵀS. For rows that store r entries each (every decomposition here): rows sharing a
    column pattern (the paired bins of an ECE, say) add one dense r × r product; with too
    many patterns, the r(r+1)/2 products of each row's entries are accumulated by bincount."""
    width = row_width(statistics)
    regular = width is not None and 0 < width <= WIDEST_PATTERN
    if not regular or not statistics.has_canonical_format:  # scipy's product: O(n·r²) in C
        return np.asarray((statistics.T @ statistics).todense())
    assert width is not None
    columns = statistics.indices.reshape(-1, width)
    values = statistics.data.reshape(-1, width)
    groups = _pattern_groups(columns)
    if groups is None:
        return _gram_by_pairs(columns, values, statistics.shape[1])
    gram = np.zeros((statistics.shape[1],) * 2)
    for rows in groups:
        pattern = columns[rows[0]]
        block = values[rows]
        gram[np.ix_(pattern, pattern)] += block.T @ block
    return gram


def _pattern_groups(columns: np.ndarray, most: int = 4096) -> list[np.ndarray] | None:
    """Row indices of each distinct column pattern, or None if there are more than
    ``most`` (or too many to encode in one integer)."""
    free = _free_positions(columns)
    low = columns[:, free].min(axis=0)
    spans = [int(s) for s in columns[:, free].max(axis=0) - low + 1]
    if float(np.prod([float(s) for s in spans])) >= 2.0**62:
        return None
    radix = np.cumprod([1, *spans[:-1]]).astype(np.int64)
    keys = (columns[:, free] - low) @ radix
    if np.all(keys == keys[0]):
        return [np.arange(len(keys))]
    order = stable_order(keys)
    starts = np.flatnonzero(np.diff(keys[order])) + 1
    if len(starts) >= most:
        return None
    return np.split(order, starts)


def _free_positions(columns: np.ndarray) -> list[int]:
    """Entry positions whose column is not a fixed offset of an earlier position's (the
    count, confidence and outcome columns of one bin move together)."""
    free: list[int] = []
    for position in range(columns.shape[1]):
        gaps = [columns[:, position] - columns[:, other] for other in free]
        if not any(gap.min() == gap.max() for gap in gaps):
            free.append(position)
    return free


def _gram_by_pairs(
    columns: np.ndarray, values: np.ndarray, size: int, chunk_rows: int = 262_144
) -> np.ndarray:
    width = columns.shape[1]
    upper = np.zeros(size * size)
    for start in range(0, len(values), chunk_rows):
        c, v = columns[start : start + chunk_rows], values[start : start + chunk_rows]
        for i, j in zip(*np.triu_indices(width), strict=True):
            upper += np.bincount(c[:, i] * size + c[:, j], v[:, i] * v[:, j], minlength=size**2)
    gram = upper.reshape(size, size)
    return gram + gram.T - np.diag(np.diag(gram))


def split_rows(
    statistics: Sequence[sparse.csr_matrix],
    strata: np.ndarray,
    moments: Sequence[Moments | None],
    *,
    lindeberg: float = LINDEBERG,
) -> RowSplit:
    """Rows to resample exactly: all rows when no moments are given (a small sample), else
    those failing Lindeberg's test for some matrix, or all when that is most rows."""
    n_rows = len(strata)
    sizes = np.bincount(strata)
    flagged = np.zeros(n_rows, dtype=bool)
    for s, found in zip(statistics, moments, strict=True):
        if found is None:
            flagged[:] = True
            break
        flagged |= _lindeberg_failures(s, strata, sizes, found, 1.0 / lindeberg)
    if 2 * flagged.sum() > n_rows:
        flagged[:] = True
    rows = np.flatnonzero(flagged)
    return RowSplit(strata, sizes, rows[stable_order(strata[rows])])


def _lindeberg_failures(
    statistics: sparse.csr_matrix,
    strata: np.ndarray,
    sizes: np.ndarray,
    moments: Moments,
    share: float,
) -> np.ndarray:
    """Rows whose squared deviation from their stratum's column mean exceeds ``share`` of
    that column's pooled within-stratum sum of squared deviations."""
    means = moments.totals / np.maximum(sizes, 1)[:, None]
    absent = sizes[:, None] - moments.stored  # unstored (zero) entries per stratum × column
    keys = moments.keys
    squares = np.bincount(keys, statistics.data**2, minlength=means.size).reshape(means.shape)
    spread = np.sum(squares - moments.totals * means, axis=0)  # Σ_h Σ_rows (s − m_h)²
    limit = share * np.maximum(spread, 0.0)
    # no stored entry can deviate more than its largest |value| plus the largest |mean|
    reach = (np.abs(statistics.data).max(initial=0.0) + np.abs(means).max(axis=0)) ** 2
    suspects = reach > limit
    failing = np.zeros(len(strata), dtype=bool)
    if np.any(suspects):
        entries = np.flatnonzero(suspects[statistics.indices])
        deviation = statistics.data[entries] - means.ravel()[keys[entries]]
        over = entries[deviation**2 > limit[statistics.indices[entries]]]
        failing[np.searchsorted(statistics.indptr, over, side="right") - 1] = True
    # unstored zeros far from a mean: rows of stratum h without an entry in column j
    for h, j in np.argwhere((means**2 > limit[None, :]) & (absent > 0)):
        lacking = strata == h
        with_entry = np.flatnonzero(statistics.indices == j)
        lacking[np.searchsorted(statistics.indptr, with_entry, side="right") - 1] = False
        failing |= lacking
    return failing


def _exact_draw_counts(split: RowSplit, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """(B × H) how many of each stratum's n_h draws land on its exact rows."""
    share = split.exact_sizes / np.maximum(split.stratum_sizes, 1)
    return rng.binomial(
        split.stratum_sizes[None, :], share[None, :], size=(n_resamples, len(share))
    )


def _exact_sums(
    exact: Sequence[sparse.csr_matrix],
    split: RowSplit,
    draws: np.ndarray,
    seed: np.random.SeedSequence,
) -> list[np.ndarray]:
    """Column sums over the exact rows (``exact``: each matrix's rows ``split.exact_rows``),
    from exact multinomial counts in seeded chunks."""
    n_resamples = len(draws)
    n_exact = len(split.exact_rows)
    if n_exact == 0:
        return [np.zeros((n_resamples, s.shape[1])) for s in exact]
    step = max(1, CHUNK_ELEMENTS // n_exact)
    starts = list(range(0, n_resamples, step))
    seeds = seed.spawn(len(starts))
    offsets = np.concatenate([[0], np.cumsum(split.exact_sizes)])

    def chunk(start: int, chunk_seed: np.random.SeedSequence) -> list[np.ndarray]:
        part = draws[start : start + step]
        counts = _multinomial_counts(part, offsets, np.random.default_rng(chunk_seed))
        return [np.asarray(s.T @ counts).T for s in exact]

    workers = min(len(starts), os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        chunks = list(pool.map(chunk, starts, seeds))
    return [np.vstack([c[i] for c in chunks]) for i in range(len(exact))]


def _multinomial_counts(
    draws: np.ndarray, offsets: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """(rows × b) C-contiguous counts: resample j puts draws[j, h] uniform picks on the rows
    offsets[h]:offsets[h + 1] (the layout scipy's sparse product takes without a copy)."""
    n_resamples, n_rows = len(draws), int(offsets[-1])
    positions = []
    for h in range(draws.shape[1]):
        size = int(offsets[h + 1] - offsets[h])
        if size == 0:
            continue
        total = int(draws[:, h].sum())
        picks = rng.integers(0, size, size=total, dtype=np.uint32 if size < 2**32 else np.int64)
        resample = np.repeat(np.arange(n_resamples, dtype=np.int64), draws[:, h])
        positions.append((picks + offsets[h]) * n_resamples + resample)
    counts = np.bincount(np.concatenate(positions), minlength=n_rows * n_resamples)
    return counts.reshape(n_rows, n_resamples).astype(np.float64)


def _normal_sums(
    totals: np.ndarray,
    gram: np.ndarray,
    sizes: np.ndarray,
    draws: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Normal-limit sums over the non-exact rows (per-stratum column ``totals`` and row
    ``sizes``, Gram matrix ``gram``): Σ_h N_h·m_h + N(0, Σ_h n_h·Σ_h), where N_h is how many
    draws of stratum h land on them."""
    means = totals / np.maximum(sizes, 1)[:, None]
    covariance = gram - totals.T @ means  # pooled within-stratum: Σ_h G_h − n_h m_h m_hᵀ
    active = np.flatnonzero(np.diag(covariance) > 0)
    sums = draws @ means
    if len(active):
        eigenvalues, vectors = np.linalg.eigh(covariance[np.ix_(active, active)])
        root = vectors * np.sqrt(np.clip(eigenvalues, 0.0, None))
        sums[:, active] += rng.standard_normal((len(draws), len(active))) @ root.T
    return sums
