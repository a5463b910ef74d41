"""How large a regression a comparison could have caught: minimum detectable effects (MDE).

The gate calls a cell a regression when its corrected p-value is below α *and* its harm (the
delta signed so that positive is worse) exceeds the cell's tolerance. Its power against a
true harm Δ is therefore the chance that the estimated harm clears the larger of the
tolerance and the test's critical value. The MDE is the Δ at which that chance reaches the
policy's power (80 % by default), at the corrected level of the first step of the family's
correction, α / m over m tested cells (Holm's and Benjamini–Hochberg's threshold for the
cell that leads the family; conservative for the others).

- Smooth statistics (a bootstrap standard error σ): the estimate is N(Δ, σ²), so
  MDE = max(τ, z₁₋α/2m · σ) + z_power · σ, with τ the tolerance.
- Accuracy-type cells, tested by McNemar's test on the discordant pairs: with a share d of
  examples on which the two models disagree in correctness, the estimated harm is
  N(Δ, (d − Δ²) / n) and the test rejects past z · √(d / n) (the normal approximation of
  the paired McNemar design; Connor 1987). A regression of size Δ needs at least Δ of the
  examples to disagree, so d is taken as max(d, Δ).

- Statistics whose spread grows with the harm (a binned calibration error: each bin's |gap|
  is a folded normal at no harm and unfolds as the gap grows, while at no harm the two
  models' folded gaps move together): σ is read, at each planted harm, from the bootstrap
  draws with the candidate's statistics worsened by it (:func:`error_curve`), and the MDE
  solves Δ = max(τ, z σ(Δ)) + z_power σ(Δ) on that curve. A Wald test's power at Δ is
  Φ((Δ − z σ(Δ)) / σ(Δ)): with σ read at no harm the ECE's MDE on a few hundred examples
  was caught about 73 % of the time, not 80 %.

A cell is *underpowered* (blind) when its MDE exceeds its tolerance by more than the policy's
factor; the examples it would need to resolve a change of its tolerance's size follow from
the standard error shrinking as 1/√n.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

from assay.reports.schema import Result

BISECTION_STEPS = 60
# the planted shifts of an error curve, in standard errors of the delta at no harm
HARM_STEPS = (0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)
ErrorCurve = tuple[tuple[float, float], ...]  # (true harm, standard error of the delta)


@dataclass(frozen=True)
class Power:
    """What a cell could detect: its MDE, whether that makes it blind, the examples it
    would need to resolve its tolerance (None: no tolerance to resolve, or nothing known)."""

    mde: float
    underpowered: bool
    n_needed: int | None


def critical_z(alpha: float, family: int) -> float:
    """The two-sided critical value at α / family (the first step of Holm or BH).

    Example:
        >>> round(critical_z(0.05, 1), 4), round(critical_z(0.05, 10), 4)
        (1.96, 2.807)
    """
    return float(ndtri(1.0 - alpha / (2.0 * max(family, 1))))


def minimum_detectable_effect(
    standard_error: float, tolerance: float, z_alpha: float, z_power: float
) -> float:
    """The smallest true harm the gate flags with the given power, for a statistic whose
    estimate is normal with ``standard_error``: max(τ, z_α σ) + z_power σ.

    Example:
        >>> round(minimum_detectable_effect(0.01, 0.0, 1.96, 0.8416), 4)
        0.028
        >>> minimum_detectable_effect(0.0, 0.02, 1.96, 0.8416)  # no noise: the tolerance
        0.02
    """
    if not math.isfinite(standard_error):
        return math.nan
    return max(tolerance, z_alpha * standard_error) + z_power * standard_error


def error_curve(harm_draws: Callable[[float], np.ndarray]) -> ErrorCurve:
    """The delta's standard error against the true harm: ``harm_draws(shift)`` gives the
    bootstrap draws of the harm with the candidate's statistics worsened by ``shift``
    (:attr:`Decomposition.worsen`); each point is the draws' mean rise over no shift and
    their standard deviation, from (0, σ₀), kept while the rise grows. Empty when the
    draws have no spread.

    Example:
        >>> draws = np.array([-1.0, 0.0, 1.0])  # the spread doubles over two units of harm
        >>> curve = error_curve(lambda shift: shift + draws * (1 + min(shift, 2) / 2))
        >>> curve[:3]
        ((0.0, 1.0), (0.5, 1.25), (1.0, 1.5))
    """
    base = harm_draws(0.0)
    center, error = float(np.nanmean(base)), float(np.nanstd(base, ddof=1))
    if not (math.isfinite(center) and math.isfinite(error)) or error <= 0:
        return ()
    points = [(0.0, error)]
    for step in HARM_STEPS:
        draws = harm_draws(step * error)
        rise, spread = float(np.nanmean(draws)) - center, float(np.nanstd(draws, ddof=1))
        if rise > points[-1][0] and math.isfinite(spread):
            points.append((rise, spread))
    return tuple(points)


def standard_error_at(curve: ErrorCurve, harm: float) -> float:
    """The curve's standard error at ``harm``, linear between its points, flat past them.

    Example:
        >>> standard_error_at(((0.0, 1.0), (2.0, 2.0)), 1.0), standard_error_at(((0.0, 1.0),), 5)
        (1.5, 1.0)
    """
    harms, errors = zip(*curve, strict=True)
    return float(np.interp(harm, harms, errors))


def curve_minimum_detectable_effect(
    curve: ErrorCurve, tolerance: float, z_alpha: float, z_power: float
) -> float:
    """The smallest true harm Δ the gate flags with the given power when the delta's standard
    error at Δ is σ(Δ) from ``curve``: Δ = max(τ, z_α σ(Δ)) + z_power σ(Δ).

    Example:
        >>> round(curve_minimum_detectable_effect(((0.0, 0.01),), 0.0, 1.96, 0.8416), 4)
        0.028
        >>> round(curve_minimum_detectable_effect(((0, 0.01), (0.1, 0.02)), 0.0, 1.96, 0.8416), 4)
        0.0389
    """

    def missed(harm: float) -> bool:  # the harm is not yet flagged with the power
        error = standard_error_at(curve, harm)
        return harm < max(tolerance, z_alpha * error) + z_power * error

    widest = max(error for _, error in curve)
    low, high = 0.0, max(tolerance, z_alpha * widest) + z_power * widest
    for _ in range(BISECTION_STEPS):
        middle = (low + high) / 2
        low, high = (middle, high) if missed(middle) else (low, middle)
    return high


def mcnemar_minimum_detectable_effect(
    discordance: float, n: int, tolerance: float, z_alpha: float, z_power: float
) -> float:
    """The smallest true drop in accuracy (a share of the ``n`` examples) that McNemar's
    test, and the tolerance, flag with the given power when a share ``discordance`` of
    examples change correctness between the models; inf when no drop would do.

    Example:
        >>> round(mcnemar_minimum_detectable_effect(0.1, 1000, 0.0, 1.96, 0.8416), 4)
        0.028
    """
    if n <= 0 or not math.isfinite(discordance):
        return math.nan
    z_power_side = float(ndtr(z_power))

    def detected(harm: float) -> float:
        disagree = max(discordance, harm)
        threshold = max(tolerance, z_alpha * math.sqrt(disagree / n))
        spread = math.sqrt(max(disagree - harm * harm, 0.0) / n)
        if spread == 0.0:
            return 1.0 if harm > threshold else 0.0
        return float(ndtr((harm - threshold) / spread))

    if detected(1.0) < z_power_side:
        return math.inf
    low, high = 0.0, 1.0
    for _ in range(BISECTION_STEPS):
        middle = (low + high) / 2
        low, high = (low, middle) if detected(middle) >= z_power_side else (middle, high)
    return high


def examples_to_resolve(
    n: int, standard_error: float, tolerance: float, z_alpha: float, z_power: float
) -> int | None:
    """The examples at which (z_α + z_power) σ falls to the tolerance, σ shrinking as 1/√n:
    the size that resolves a change of the tolerance's size. None without a tolerance or a
    positive, finite standard error (a zero one comes from a degenerate interval, such as a
    median of a few distinct counts: it says nothing of the size needed).

    Example:
        >>> examples_to_resolve(100, 0.05, 0.01, 1.96, 0.8416)
        19623
        >>> examples_to_resolve(100, 0.0, 0.01, 1.96, 0.8416) is None
        True
    """
    if tolerance <= 0 or not math.isfinite(standard_error) or standard_error <= 0 or n <= 0:
        return None
    return math.ceil(n * ((z_alpha + z_power) * standard_error / tolerance) ** 2)


def mcnemar_examples_to_resolve(
    discordance: float, tolerance: float, z_alpha: float, z_power: float
) -> int | None:
    """The examples McNemar's test needs to detect a drop of the tolerance's size with the
    given power, at the observed discordance (Connor 1987):
    n = (z_α √d + z_power √(d − τ²))² / τ², with d at least τ.

    Example:
        >>> mcnemar_examples_to_resolve(0.1, 0.01, 1.96, 0.8416)
        7847
    """
    if tolerance <= 0 or not math.isfinite(discordance):
        return None
    disagree = max(discordance, tolerance)
    root = z_alpha * math.sqrt(disagree) + z_power * math.sqrt(disagree - tolerance**2)
    return math.ceil((root / tolerance) ** 2)


def cell_power(
    *,
    n: int,
    standard_error: float,
    discordance: float | None,
    tolerance: float,
    alpha: float,
    family: int,
    power: float,
    blind_factor: float,
    curve: ErrorCurve = (),
) -> Power:
    """A compared cell's MDE, blindness and needed size (McNemar's design when
    ``discordance`` is given, else the normal one with the bootstrap ``standard_error``, or
    with the standard error at each harm when a ``curve`` gives it; the needed size then
    scales the standard error at the MDE).

    Example:
        >>> found = cell_power(n=200, standard_error=0.03, discordance=None, tolerance=0.01,
        ...                    alpha=0.05, family=1, power=0.8, blind_factor=2.0)
        >>> round(found.mde, 4), found.underpowered, found.n_needed
        (0.084, True, 14128)
    """
    z_alpha, z_power = critical_z(alpha, family), float(ndtri(power))
    if discordance is not None:
        mde = mcnemar_minimum_detectable_effect(discordance, n, tolerance, z_alpha, z_power)
        needed = mcnemar_examples_to_resolve(discordance, tolerance, z_alpha, z_power)
    elif curve:
        mde = curve_minimum_detectable_effect(curve, tolerance, z_alpha, z_power)
        at_mde = standard_error_at(curve, mde)
        needed = examples_to_resolve(n, at_mde, tolerance, z_alpha, z_power)
    else:
        mde = minimum_detectable_effect(standard_error, tolerance, z_alpha, z_power)
        needed = examples_to_resolve(n, standard_error, tolerance, z_alpha, z_power)
    return Power(mde, bool(mde > blind_factor * tolerance), needed)  # NaN: never blind


@dataclass(frozen=True)
class PlannedCell:
    """What a cell of a future comparison could detect, from the baseline's own interval."""

    dataset: str
    metric: str
    slice: str | None
    group: str | None
    n: int
    value: float
    tolerance: float
    mde: float
    underpowered: bool
    n_for_tolerance: int | None
    n_for_target: int | None


def examples_for_target(
    n: int, standard_error: float, tolerance: float, target: float, z_alpha: float, z_power: float
) -> int | None:
    """The examples at which the normal MDE falls to ``target`` (σ shrinking as 1/√n);
    None when no size reaches it (a target at or under the tolerance).

    Example:
        >>> examples_for_target(100, 0.05, 0.01, 0.05, 1.96, 0.8416)
        785
    """
    if target <= tolerance or not math.isfinite(standard_error) or standard_error <= 0:
        return None
    if z_alpha * target / (z_alpha + z_power) >= tolerance:  # the test's noise dominates
        wanted = target / (z_alpha + z_power)
    else:  # the tolerance dominates: what is left of the target is the power's margin
        wanted = (target - tolerance) / z_power
    return math.ceil(n * (standard_error / wanted) ** 2)


def planned_power(
    results: list[Result],
    tolerances: list[float],
    *,
    alpha: float,
    power: float,
    blind_factor: float,
    correlation: float,
    target: float | None,
) -> list[PlannedCell]:
    """Each baseline result with an interval, and its MDE in a paired comparison with a
    candidate whose per-example statistics correlate ``correlation`` with the baseline's:
    the delta's standard error is √(2(1 − ρ)) times the result's own, read from its interval
    (half-width / z at its level); the family is every such result. ``tolerances`` go with
    ``results``.

    Example:
        >>> found = Result(model="m", dataset="test", kind="in_distribution", metric="accuracy",
        ...                value=0.9, n=500, ci_low=0.873, ci_high=0.925, ci_level=0.95)
        >>> [cell] = planned_power([found], [0.01], alpha=0.05, power=0.8, blind_factor=2.0,
        ...                        correlation=0.0, target=None)
        >>> round(cell.mde, 4), cell.underpowered, cell.n_for_tolerance
        (0.0526, True, 13813)
    """
    measured = [
        (r, tolerance, r.value, r.ci_low, r.ci_high, r.ci_level)
        for r, tolerance in zip(results, tolerances, strict=True)
        if r.value is not None
        and r.ci_low is not None
        and r.ci_high is not None
        and r.ci_level is not None
    ]
    z_alpha, z_power = critical_z(alpha, len(measured)), float(ndtri(power))
    planned = []
    for result, tolerance, value, low, high, level in measured:
        own = (high - low) / (2 * float(ndtri(0.5 + level / 2)))
        error = math.sqrt(2 * (1 - correlation)) * own
        found = cell_power(
            n=result.n,
            standard_error=error,
            discordance=None,
            tolerance=tolerance,
            alpha=alpha,
            family=len(measured),
            power=power,
            blind_factor=blind_factor,
        )
        planned.append(
            PlannedCell(
                result.dataset,
                result.metric,
                result.slice,
                result.group,
                result.n,
                value,
                tolerance,
                found.mde,
                found.underpowered,
                found.n_needed,
                None
                if target is None
                else examples_for_target(result.n, error, tolerance, target, z_alpha, z_power),
            )
        )
    return planned
