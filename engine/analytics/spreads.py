"""Spreads over discount curves and paths: OAS, Z-spread, effective duration and convexity.

Conventions
-----------
- Cash flow ``k`` [currency] is paid at ``t_k`` [years]; on a path ``p`` it
  is discounted by the path discount factor ``disc[p, k]`` (for example
  ``RatePaths.discount[:, 1:]`` of ``engine.economy.short_rate``).
- A spread ``s`` [annual decimal, continuously compounded] is added to every
  path's short rate, so it multiplies the discount to ``t_k`` by ``exp(-s
  t_k)``::

      PV_p(s) = sum_k cf[p, k] disc[p, k] exp(-s t_k)
      PV(s)   = mean_p PV_p(s)

- **OAS**: the ``s`` with ``PV(s) = price``, the option-adjusted spread over
  the paths (as in Fabozzi (ed.), *The Handbook of Mortgage-Backed
  Securities*, on Monte Carlo OAS analysis).
- **Z-spread**: the same on one vector of cash flows (e.g. the path mean or
  a static projection) over the zero curve, ``sum_k CF_k exp(-(z(t_k) + s)
  t_k) = price``. With deterministic cash flows and zero volatility the two
  coincide; option cost = Z-spread - OAS.
- Prices here are in currency (the full PV); convert percent-of-face quotes
  before calling.

Solver
------
``PV(s)`` is a sum of exponentials in ``s``; after averaging the paths
(``w_k = mean_p cf[p, k] disc[p, k]``) each evaluation is one dot product.
A bracket is found by widening ``[s0 - 0.01, s0 + 0.01]`` within ``[-1,
10]``, then Newton steps are taken inside it, falling back to bisection
whenever a step leaves the bracket or does not halve the error (``rtsafe``,
Press et al., *Numerical Recipes*, 3rd ed., sec. 9.4). Converged when a step
moves ``s`` by at most ``1e-14`` or ``PV(s) = price`` exactly. A failure
(no sign change in the range, or too many iterations) gives NaN and
``converged = False``, or raises ``ConvergenceError`` on request.

Standard errors
---------------
Paths are grouped into independent samples (``sample_groups`` of
``engine.economy.short_rate``: one path, an antithetic pair, or a Sobol
replicate). ``pv_std_error`` is the standard error of the mean PV over
groups (a cluster estimator that allows unequal group sizes);
``oas_std_error`` maps it to the spread by the delta method, ``SE(PV) /
|dPV/ds|`` at the OAS.

Durations
---------
Effective (option-adjusted) duration and convexity from prices at shifted
curves, the OAS held fixed and the same random numbers reused:
``D = (P- - P+) / (2 P0 dy)``, ``C = (P+ + P- - 2 P0) / (P0 dy^2)``.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from ..errors import ConvergenceError

__all__ = [
    "SpreadSolution",
    "effective_convexity",
    "effective_duration",
    "oas",
    "oas_std_error",
    "price_from_oas",
    "pv_at_spread",
    "pv_std_error",
    "zspread",
]

# search range of a spread [annual decimal]
SPREAD_MIN = -1.0
SPREAD_MAX = 10.0
# a Newton / bisection step this small ends the search [annual decimal]
SPREAD_TOL = 1e-14
MAX_ITERATIONS = 100


class SpreadSolution(NamedTuple):
    """Result of a spread solve; unpacks as ``(spread, iterations, converged)``.

    Attributes
    ----------
    spread : float
        The spread [annual decimal, continuously compounded]; NaN on failure.
    iterations : int
        Newton / bisection steps taken after bracketing.
    converged : bool
    """

    spread: float
    iterations: int
    converged: bool


# --------------------------------------------------------------------------
# input checks


def _paths_inputs(cf: Any, disc: Any, times_years: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cf = np.asarray(cf, dtype=np.float64)
    disc = np.asarray(disc, dtype=np.float64)
    t = np.asarray(times_years, dtype=np.float64)
    if cf.ndim != 2 or cf.shape != disc.shape:
        raise ValueError(
            f"cf and disc must be (paths, months) arrays of one shape, got {cf.shape} and {disc.shape}"
        )
    if t.shape != (cf.shape[1],):
        raise ValueError(
            f"times_years must have one time per cash-flow column ({cf.shape[1]}), got {t.shape}"
        )
    if not (np.all(np.isfinite(cf)) and np.all(np.isfinite(disc)) and np.all(np.isfinite(t))):
        raise ValueError("cf, disc and times_years must be finite")
    return cf, disc, t


def _vector_inputs(cf: Any, times_years: Any) -> tuple[np.ndarray, np.ndarray]:
    cf = np.asarray(cf, dtype=np.float64)
    t = np.asarray(times_years, dtype=np.float64)
    if cf.ndim != 1 or t.shape != cf.shape:
        raise ValueError(
            f"cash flows and times_years must be vectors of one length, got {cf.shape} and {t.shape}"
        )
    if not (np.all(np.isfinite(cf)) and np.all(np.isfinite(t))):
        raise ValueError("cash flows and times_years must be finite")
    return cf, t


# --------------------------------------------------------------------------
# present values


def pv_at_spread(cf, disc, times_years, spread: float) -> tuple[float, np.ndarray]:
    """Mean and per-path present value at a constant spread over the paths.

    Parameters
    ----------
    cf : array_like, shape (paths, H)
        Cash flows [currency]; column ``k`` is paid at ``times_years[k]``.
    disc : array_like, shape (paths, H)
        Path discount factors from 0 to ``times_years[k]``.
    times_years : array_like, shape (H,)
        Payment times ``t_k`` [years].
    spread : float
        ``s`` [annual decimal, continuously compounded], added to the short
        rate of every path.

    Returns
    -------
    pv : float
        ``mean_p PV_p`` [currency].
    per_path_pv : numpy.ndarray, shape (paths,)
        ``PV_p = sum_k cf[p, k] disc[p, k] exp(-s t_k)`` [currency].
    """
    cf, disc, t = _paths_inputs(cf, disc, times_years)
    per_path = (cf * disc) @ np.exp(-float(spread) * t)
    return float(per_path.mean()), per_path


def price_from_oas(cf, disc, times_years, oas_annual: float) -> float:
    """Price [currency] at an option-adjusted spread: ``mean_p PV_p(oas)``.

    Parameters as in ``pv_at_spread``; ``oas_annual`` [annual decimal,
    continuously compounded].
    """
    return pv_at_spread(cf, disc, times_years, oas_annual)[0]


# --------------------------------------------------------------------------
# the solver


def _solve_spread(
    weights: np.ndarray,
    t: np.ndarray,
    target_pv: float,
    initial_spread: float,
    max_iterations: int,
    what: str,
    raise_on_failure: bool,
) -> SpreadSolution:
    """Root of ``sum_k w_k exp(-s t_k) = target_pv`` by bracketed Newton (rtsafe)."""

    def f(s: float) -> float:
        return float(weights @ np.exp(-s * t)) - target_pv

    def fail(reason: str, iterations: int) -> SpreadSolution:
        if raise_on_failure:
            raise ConvergenceError(
                f"{what}: no spread prices these cash flows at {target_pv:,.2f} ({reason})"
            )
        return SpreadSolution(math.nan, iterations, False)

    if not math.isfinite(target_pv):
        return fail("the target price is not finite", 0)
    s0 = min(max(float(initial_spread), SPREAD_MIN), SPREAD_MAX)

    # bracket: widen around s0 until f changes sign or the range is exhausted
    width = 0.01
    while True:
        lo, hi = max(s0 - width, SPREAD_MIN), min(s0 + width, SPREAD_MAX)
        f_lo, f_hi = f(lo), f(hi)
        if f_lo == 0.0:
            return SpreadSolution(lo, 0, True)
        if f_hi == 0.0:
            return SpreadSolution(hi, 0, True)
        if (f_lo < 0.0) != (f_hi < 0.0):
            break
        if lo == SPREAD_MIN and hi == SPREAD_MAX:
            return fail(f"no sign change for spreads in [{SPREAD_MIN:g}, {SPREAD_MAX:g}]", 0)
        width *= 2.0
    if f_lo > 0.0:  # orient so that f(lo) < 0 < f(hi)
        lo, hi = hi, lo

    s = s0 if min(lo, hi) < s0 < max(lo, hi) else 0.5 * (lo + hi)
    step_old = step = abs(hi - lo)
    for iteration in range(1, max_iterations + 1):
        e = np.exp(-s * t)
        value = float(weights @ e) - target_pv
        slope = -float((weights * t) @ e)
        if value == 0.0:
            return SpreadSolution(s, iteration, True)
        if value < 0.0:
            lo = s
        else:
            hi = s
        newton_ok = slope != 0.0 and (
            ((s - hi) * slope - value) * ((s - lo) * slope - value) < 0.0  # step stays in the bracket
            and abs(2.0 * value) <= abs(step_old * slope)  # and at least halves the error
        )
        step_old = step
        if newton_ok:
            step = value / slope
            s -= step
        else:
            step = 0.5 * (hi - lo)
            s = lo + step
        if abs(step) <= SPREAD_TOL:
            return SpreadSolution(s, iteration, True)
    return fail(f"not converged after {max_iterations} iterations", max_iterations)


def oas(
    cf,
    disc,
    times_years,
    target_pv: float,
    *,
    raise_on_failure: bool = False,
    initial_spread: float = 0.0,
    max_iterations: int = MAX_ITERATIONS,
) -> SpreadSolution:
    """Option-adjusted spread: the constant spread over every path's short rate
    at which the mean path PV equals the price.

    Parameters
    ----------
    cf : array_like, shape (paths, H)
        Cash flows per path [currency], column ``k`` paid at ``times_years[k]``.
    disc : array_like, shape (paths, H)
        Path discount factors to ``times_years[k]`` (at a zero spread).
    times_years : array_like, shape (H,)
        ``t_k`` [years].
    target_pv : float
        Price [currency, full PV].
    raise_on_failure : bool, default False
        Raise ``ConvergenceError`` instead of returning NaN.
    initial_spread : float, default 0
        Starting point [annual decimal].
    max_iterations : int, default 100

    Returns
    -------
    SpreadSolution
        ``(oas, iterations, converged)``; ``oas`` [annual decimal, continuously
        compounded] solves ``mean_p sum_k cf[p, k] disc[p, k] exp(-oas t_k) =
        target_pv`` to about 1e-14, NaN on failure.

    Notes
    -----
    The paths are collapsed first (``w_k = mean_p cf[p, k] disc[p, k]``), so
    each solver step costs O(H). See the module docstring for the solver.
    """
    cf, disc, t = _paths_inputs(cf, disc, times_years)
    weights = (cf * disc).mean(axis=0)
    return _solve_spread(
        weights, t, float(target_pv), initial_spread, int(max_iterations), "oas", raise_on_failure
    )


def zspread(
    cf_forward,
    curve,
    times_years,
    target_pv: float,
    *,
    raise_on_failure: bool = False,
    initial_spread: float = 0.0,
    max_iterations: int = MAX_ITERATIONS,
) -> SpreadSolution:
    """Z-spread: the constant spread over the zero curve that prices one cash-flow vector.

    Parameters
    ----------
    cf_forward : array_like, shape (H,)
        Cash flows [currency] (a static projection, e.g. on the forward curve).
    curve : ZeroCurve
        Anything with ``discount(t)``; ``P(0, t) = exp(-z(t) t)``.
    times_years : array_like, shape (H,)
        ``t_k`` [years].
    target_pv : float
        Price [currency, full PV].
    raise_on_failure, initial_spread, max_iterations
        As in ``oas``.

    Returns
    -------
    SpreadSolution
        ``(zspread, iterations, converged)``; the spread [annual decimal,
        continuously compounded] with ``sum_k CF_k exp(-(z(t_k) + s) t_k) =
        target_pv``.
    """
    cf, t = _vector_inputs(cf_forward, times_years)
    weights = cf * np.asarray(curve.discount(t), dtype=np.float64)
    return _solve_spread(
        weights, t, float(target_pv), initial_spread, int(max_iterations), "zspread", raise_on_failure
    )


# --------------------------------------------------------------------------
# standard errors


def pv_std_error(per_path_pv, groups=None) -> float:
    """Standard error of the mean PV [currency], one sample per group.

    Parameters
    ----------
    per_path_pv : array_like, shape (paths,)
        ``PV_p`` [currency] (``pv_at_spread``'s second result).
    groups : array_like of int, shape (paths,), optional
        Sample id of each path (``engine.economy.short_rate.sample_groups``):
        antithetic pairs or Sobol replicates. Default: every path its own
        sample.

    Returns
    -------
    float
        With ``G`` groups of sizes ``n_g``, means ``m_g``, ``N = sum n_g`` and
        overall mean ``m``: ``sqrt(G / (G - 1) sum_g n_g^2 (m_g - m)^2) / N``,
        which is ``std(m_g, ddof=1) / sqrt(G)`` for equal sizes and the usual
        ``std(PV, ddof=1) / sqrt(N)`` for single paths. NaN with fewer than
        2 groups.
    """
    pv = np.asarray(per_path_pv, dtype=np.float64).reshape(-1)
    if groups is None:
        return float(pv.std(ddof=1) / math.sqrt(pv.size)) if pv.size >= 2 else math.nan
    groups = np.asarray(groups).reshape(-1)
    if groups.shape != pv.shape:
        raise ValueError(f"groups must give one id per path ({pv.size}), got {groups.shape}")
    _, index, sizes = np.unique(groups, return_inverse=True, return_counts=True)
    n_groups = sizes.size
    if n_groups < 2:
        return math.nan
    sums = np.bincount(index, weights=pv, minlength=n_groups)
    mean = pv.mean()
    deviations = sums - sizes * mean  # n_g (m_g - m)
    return float(math.sqrt(n_groups / (n_groups - 1) * float(deviations @ deviations)) / pv.size)


def oas_std_error(cf, disc, times_years, oas_annual: float, groups=None) -> float:
    """Standard error of the OAS [annual decimal] by the delta method.

    ``SE(PV at the OAS) / |dPV/ds|`` with ``dPV/ds = -mean_p sum_k t_k cf[p,
    k] disc[p, k] exp(-s t_k)``; inputs as in ``oas`` and ``pv_std_error``.
    NaN if the OAS is NaN or the slope is 0.
    """
    cf, disc, t = _paths_inputs(cf, disc, times_years)
    if not math.isfinite(oas_annual):
        return math.nan
    e = np.exp(-float(oas_annual) * t)
    per_path = (cf * disc) @ e
    slope = float(((cf * disc).mean(axis=0) * t) @ e)
    if slope == 0.0:
        return math.nan
    return pv_std_error(per_path, groups) / abs(slope)


# --------------------------------------------------------------------------
# effective duration and convexity


def effective_duration(p_minus, p_plus, p0, shift):
    """Effective duration [years]: ``D = (P- - P+) / (2 P0 dy)``.

    Parameters
    ----------
    p_minus, p_plus : float or array_like
        Prices [currency] with the curve shifted down / up by ``shift``, the
        OAS held and the same random numbers.
    p0 : float or array_like
        Price [currency] on the unshifted curve.
    shift : float
        ``dy`` [annual decimal, > 0]; 0.0025 is 25 bp.

    Returns
    -------
    float or numpy.ndarray
        Central difference of ``-(1/P) dP/dy``; error O(dy^2).
    """
    dy = _check_shift(shift)
    out = (np.asarray(p_minus, dtype=np.float64) - np.asarray(p_plus, dtype=np.float64)) / (
        2.0 * np.asarray(p0, dtype=np.float64) * dy
    )
    return float(out) if out.ndim == 0 else out


def effective_convexity(p_minus, p_plus, p0, shift):
    """Effective convexity [years^2]: ``C = (P+ + P- - 2 P0) / (P0 dy^2)``.

    Parameters as in ``effective_duration``. Central difference of ``(1/P)
    d2P/dy2``; error O(dy^2).
    """
    dy = _check_shift(shift)
    p0 = np.asarray(p0, dtype=np.float64)
    p_sum = np.asarray(p_plus, dtype=np.float64) + np.asarray(p_minus, dtype=np.float64)
    out = (p_sum - 2.0 * p0) / (p0 * dy * dy)
    return float(out) if out.ndim == 0 else out


def _check_shift(shift: Any) -> float:
    dy = float(shift)
    if not (math.isfinite(dy) and dy > 0.0):
        raise ValueError(f"shift must be a positive annual decimal, got {shift!r}")
    return dy
