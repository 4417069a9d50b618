"""Short-rate paths: the Hull-White one-factor model, fitted exactly to a zero curve.

Model
-----
Hull & White (1990); Brigo & Mercurio, *Interest Rate Models - Theory and
Practice*, 2nd ed. (2006), ch. 3.3, written as an Ornstein-Uhlenbeck factor plus
a deterministic shift::

    r(t)  = x(t) + phi(t)
    dx(t) = -a x(t) dt + sigma dW(t),     x(0) = 0

with ``a`` the mean reversion and ``sigma`` the volatility [annual
decimals]. ``x`` is an Ornstein-Uhlenbeck factor, ``phi`` a deterministic
shift chosen so that the model reproduces today's zero curve.

Simulation on a grid (``simulate_rates``)
-----------------------------------------
On a caller's grid ``0 = t_0 < t_1 < ... < t_H`` [years], ``dt_k = t_{k+1} -
t_k``:

- ``x`` is simulated *exactly* (the OU transition, no discretisation
  error)::

      x_{k+1} = exp(-a dt_k) x_k + sigma sqrt((1 - exp(-2 a dt_k)) / (2 a)) Z_k

  with ``Z_k`` standard normals (``RatePaths.shocks[:, k]``).
- The path discount factor uses the left-point rule on the grid::

      D_i = exp(-sum_{j<i} r_j dt_j),   r_j = x_j + phi_j

- ``phi`` is calibrated *to the grid* so that ``E[D_i] = P(0, t_i)`` exactly
  at every grid time. ``I_i = sum_{j<i} x_j dt_j`` is Gaussian with mean 0
  and a variance ``V_i`` (``left_point_variance``) computed by the exact
  recursion (``v_k = Var x_k``, ``c_k = Cov(I_k, x_k)``)::

      V_{k+1} = V_k + 2 dt_k c_k + dt_k^2 v_k
      c_{k+1} = exp(-a dt_k) (c_k + dt_k v_k)
      v_{k+1} = exp(-2 a dt_k) v_k + sigma^2 (1 - exp(-2 a dt_k)) / (2 a)

  so ``E[exp(-I_i)] = exp(V_i / 2)`` and ``E[D_i] = P(0, t_i)`` fixes::

      phi_k dt_k = ln(P(0, t_k) / P(0, t_{k+1})) + (V_{k+1} - V_k) / 2

  The discount is computed in the algebraically equal form ``D_i = P(0,
  t_i) exp(-I_i - V_i / 2)``, so with ``sigma = 0`` every path's discount
  equals ``P(0, t_i)`` to the last bit. ``phi_k`` is the grid analogue of
  the continuous model's ``f(0, t) + sigma^2 / (2 a^2) (1 - exp(-a t))^2``
  (``continuous_drift``) and tends to it as the grid is refined.
- ``short_rate[:, k] = x_k + phi_k`` is the rate applied over ``[t_k,
  t_{k+1})``. The last column (no step follows ``t_H``) uses a virtual step
  of the same length as the last one.

Any increasing grid works. Cash-flow callers pass ``[0, t_1, ..., t_H]`` with
``t_k = (30 k + delay_days) / 360``: with a payment delay the first step is
longer than the others, and ``discount[:, k]`` is the discount to the
payment date of month ``k``. ``shocks[:, k - 1]`` drove ``x`` from
``t_{k-1}`` to ``t_k``, the layout the home-price model expects for month
``k``'s rate shock.

Bond prices on a path (``bond_price``)
--------------------------------------
The continuous model's zero-coupon bond given ``x(t)`` (Brigo & Mercurio
ch. 3.3, in the factor form)::

    P(t, T) = P(0, T) / P(0, t) exp(-B(t, T) x(t) + [V(t, T) - V(0, T) + V(0, t)] / 2)
    B(t, T) = (1 - exp(-a (T - t))) / a
    V(t, T) = sigma^2 / a^2 [T - t - 2 B(t, T) + (1 - exp(-2 a (T - t))) / (2 a)]

``par_rate_on_paths`` turns these into the 10-year par rate on every path.

Randomness (replayable, chunk-independent)
------------------------------------------
Plain Monte Carlo: path ``p`` (its *global* index) draws its normals from its
own ``numpy.random.default_rng([seed, 4, p])``; 4 is the registry's tag for
rates (``engine.kernels.rng.PURPOSE_RATES``). Path ``p`` is therefore the same for
any ``n_paths`` or ``path0`` (the global index of a chunk's first path).

Antithetic (``antithetic=True``): paths ``2k`` and ``2k + 1`` (global
indices) share the draws of path ``2k``; path ``2k + 1`` uses ``-Z``. A
pair is one statistical sample.

Sobol (``sobol=True``): randomised quasi-Monte Carlo with ``R`` independent
replicates (``sobol_replicates``, default 16). Replicate ``r`` is a scrambled
Sobol sequence (``scipy.stats.qmc.Sobol``: linear matrix scrambling
plus a digital shift) of dimension ``H`` (the number of steps),
scrambled by ``numpy.random.default_rng([seed, 4, r, 0x5B01])``. Global path
``p`` takes point ``i = p // R`` of replicate ``r = p % R`` (with
``antithetic`` the pair index ``p // 2`` plays the role of ``p``), read with
``fast_forward(i)``, so chunking never changes a path. The point's
coordinates (nudged to the centre of their ``2**-30`` cell so none is 0) map
to normals by the inverse normal CDF and drive a Brownian bridge on the grid
times: coordinate 0 sets ``W(t_H)``, the next ones the midpoints by
bisection of the step indices, so the leading (best equidistributed)
coordinates carry the coarse shape of the path; ``Z_k = (W(t_{k+1}) -
W(t_k)) / sqrt(dt_k)``. Each replicate's mean is one statistical sample;
``sample_groups`` gives every path's group for standard errors. Sobol's
balance properties hold for ``2**m`` points per replicate: use ``n_paths =
R 2**m`` (``2 R 2**m`` with antithetic).

References
----------
Hull, J. and White, A. (1990), "Pricing interest-rate-derivative
securities", Review of Financial Studies 3(4), 573-592.
Brigo, D. and Mercurio, F. (2006), *Interest Rate Models - Theory and
Practice*, 2nd ed., Springer, ch. 3.
Glasserman, P. (2004), *Monte Carlo Methods in Financial Engineering*,
Springer, sec. 3.1 (Brownian bridge) and 5.5 (randomised QMC).
"""

from __future__ import annotations

import inspect
import math
import warnings
from dataclasses import dataclass
from numbers import Integral
from typing import Any, NamedTuple

import numpy as np
from scipy.special import ndtri
from scipy.stats import qmc

from ..config.economy import real_number
from ..config.fields import percent_hint
from ..errors import ConfigError
from ..kernels.rng import PURPOSE_RATES
from .curve import ZeroCurve

__all__ = [
    "RATES_PURPOSE_TAG",
    "SOBOL_REPLICATES",
    "HullWhite",
    "RatePaths",
    "bond_price",
    "calibrated_drift",
    "continuous_drift",
    "left_point_variance",
    "par_rate_on_paths",
    "sample_groups",
    "simulate_rates",
]

# numpy generator tag for interest rates (the purpose registry of engine.kernels.rng)
RATES_PURPOSE_TAG = PURPOSE_RATES

# independent scramblings of the Sobol sequence (one statistical sample each)
SOBOL_REPLICATES = 16

# extra word of a Sobol replicate's scrambling seed: [seed, 4, r, tag] can
# never equal a plain path's [seed, 4, p]
_SOBOL_SEED_TAG = 0x5B01

# bits of scipy's Sobol points; coordinates are k / 2**bits
_SOBOL_BITS = 30

# below this a * tau the bond variance uses its power series (see _g)
_G_SERIES_BELOW = 0.1


# --------------------------------------------------------------------------
# the model


@dataclass(frozen=True)
class HullWhite:
    """Hull-White one-factor model parameters.

    Parameters
    ----------
    mean_reversion : float
        ``a`` [per year, in (0, 1)]; the factor ``x`` decays as ``exp(-a t)``
        (half-life ``ln 2 / a`` years).
    volatility : float
        ``sigma`` [annual decimal, absolute (normal) volatility of the short
        rate, in [0, 1)]; 0.01 is 100 bp a year. 0 makes every path the
        forward curve.

    Raises
    ------
    ConfigError
        A parameter out of range; the message names it.
    """

    mean_reversion: float
    volatility: float

    def __post_init__(self) -> None:
        a = real_number(self.mean_reversion, "mean_reversion")
        if not 0.0 < a < 1.0:
            raise ConfigError(
                f"mean_reversion: expected an annual decimal in (0, 1), got {a:g}{percent_hint(a, signed=True)}"
            )
        sigma = real_number(self.volatility, "volatility")
        if not 0.0 <= sigma < 1.0:
            raise ConfigError(
                f"volatility: expected an annual decimal in [0, 1), got {sigma:g}{percent_hint(sigma, signed=True)}"
            )
        object.__setattr__(self, "mean_reversion", a)
        object.__setattr__(self, "volatility", sigma)


class RatePaths(NamedTuple):
    """Short-rate paths on a time grid (``simulate_rates``); p = paths, k = grid times.

    Attributes
    ----------
    x : numpy.ndarray, shape (paths, n_times)
        The OU factor ``x(t_k)`` [annual decimal]; ``x[:, 0] == 0``.
    short_rate : numpy.ndarray, shape (paths, n_times)
        ``r_k = x_k + phi_k`` [annual decimal, continuously compounded], the
        rate applied over ``[t_k, t_{k+1})``.
    discount : numpy.ndarray, shape (paths, n_times)
        Path discount factor ``exp(-sum_{j<k} r_j dt_j)`` from 0 to ``t_k``
        [currency at 0 per currency at t_k]; ``discount[:, 0] == 1``.
    shocks : numpy.ndarray, shape (paths, n_times - 1)
        Standard normals ``Z_k`` that drove ``x`` from ``t_k`` to ``t_{k+1}``.
    """

    x: np.ndarray
    short_rate: np.ndarray
    discount: np.ndarray
    shocks: np.ndarray


# --------------------------------------------------------------------------
# closed forms


def _b(a: float, tau):
    """``B = (1 - exp(-a tau)) / a`` [years]."""
    return -np.expm1(-a * np.asarray(tau, dtype=np.float64)) / a


def _g(u):
    """``g(u) = u - 2 (1 - e^-u) + (1 - e^-2u) / 2`` without cancellation.

    For small ``u`` the power series ``sum_{n>=3} (-1)^n (2 - 2^(n-1)) u^n / n!``
    (first terms ``u^3/3 - u^4/4 + 7 u^5/60``), 14 terms, relative error
    below 1e-17 for ``u < 0.1``; the direct form above, which loses about
    ``eps / u^2`` relative, beyond.
    """
    u = np.asarray(u, dtype=np.float64)
    direct = u + 2.0 * np.expm1(-u) - 0.5 * np.expm1(-2.0 * u)
    small = np.abs(u) < _G_SERIES_BELOW
    if not np.any(small):
        return direct
    us = np.where(small, u, 0.0)
    series = np.zeros_like(us)
    for n in range(16, 2, -1):  # 14 terms, smallest first
        series += (-1.0) ** n * (2.0 - 2.0 ** (n - 1)) / math.factorial(n) * us**n
    return np.where(small, series, direct)


def _v(model: HullWhite, tau):
    """``V(t, t + tau) = Var[int_t^{t+tau} x(s) ds | x(t)]`` [dimensionless]."""
    a, sigma = model.mean_reversion, model.volatility
    return sigma * sigma / a**3 * _g(a * np.asarray(tau, dtype=np.float64))


def continuous_drift(curve: ZeroCurve, model: HullWhite, t):
    """The continuous model's shift ``phi(t) = f(0, t) + sigma^2 / (2 a^2) (1 - exp(-a t))^2``.

    Parameters
    ----------
    curve : ZeroCurve
    model : HullWhite
    t : float or array_like
        Time [years, >= 0].

    Returns
    -------
    float or numpy.ndarray
        ``phi(t)`` [annual decimal], so that ``r(t) = x(t) + phi(t)``
        (Brigo & Mercurio ch. 3.3). ``f(0, t)`` is
        ``curve.instantaneous_forward`` (right-continuous at the knots).
    """
    a, sigma = model.mean_reversion, model.volatility
    t = np.asarray(t, dtype=np.float64)
    out = np.asarray(curve.instantaneous_forward(t)) + 0.5 * (sigma * _b(a, t)) ** 2
    return float(out) if out.ndim == 0 else out


def bond_price(curve: ZeroCurve, model: HullWhite, t, x_t, T):
    """Zero-coupon bond price ``P(t, T)`` given the factor ``x(t)`` on each path.

    Parameters
    ----------
    curve : ZeroCurve
        Today's curve, ``P(0, .)``.
    model : HullWhite
    t : float or array_like
        Valuation time [years, >= 0].
    x_t : float or array_like
        The factor ``x(t)`` [annual decimal], e.g. ``RatePaths.x[:, k]``.
    T : float or array_like
        Maturity [years, >= t].

    Returns
    -------
    float or numpy.ndarray
        ``P(t, T)`` [currency at t per currency at T], broadcast over ``t``,
        ``x_t`` and ``T`` (pass ``x_t[:, None]`` and a row of maturities for
        a paths x maturities table).

    Notes
    -----
    ``P(t, T) = P(0, T) / P(0, t) exp(-B(t, T) x(t) + [V(t, T) - V(0, T) +
    V(0, t)] / 2)`` (module docstring; Brigo & Mercurio ch. 3.3). This is the
    continuous model; the simulated ``x`` is exact on the grid, so the formula
    applies to it directly. Equivalent to the classic ``A(t, T) exp(-B(t, T)
    r(t))`` with ``r = x + continuous_drift(t)`` (Hull & White 1990).
    """
    t, x_t, T = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (t, x_t, T)))
    if np.any(t < 0.0) or np.any(T < t):
        raise ValueError("bond_price: need 0 <= t <= T (years)")
    a = model.mean_reversion
    log_p = (
        -np.asarray(curve.zero(T)) * T
        + np.asarray(curve.zero(t)) * t
        - _b(a, T - t) * x_t
        + 0.5 * (_v(model, T - t) - _v(model, T) + _v(model, t))
    )
    out = np.exp(log_p)
    return float(out) if out.ndim == 0 else out


def par_rate_on_paths(curve: ZeroCurve, model: HullWhite, t, x_t, tenor_years: float = 10, freq: int = 2):
    """Par coupon rate of a ``tenor_years`` bond starting at ``t``, on each path.

    Parameters
    ----------
    curve : ZeroCurve
    model : HullWhite
    t : float or array_like
        Time [years]; broadcast against ``x_t``.
    x_t : float or array_like, shape (paths,)
        The factor ``x(t)`` [annual decimal] on each path.
    tenor_years : float, default 10
        Bond maturity after ``t`` [years]; ``tenor_years * freq`` must be a
        whole number of coupon periods.
    freq : int, default 2
        Coupons a year (2: semiannual, the US Treasury / swap convention).

    Returns
    -------
    float or numpy.ndarray
        ``c = (1 - P(t, t + n/freq)) / (sum_{j=1..n} P(t, t + j/freq) / freq)``
        [annual decimal, ``freq`` coupons a year], shape of ``broadcast(t, x_t)``.

    Notes
    -----
    Builds a (..., n) table of bond prices; for paths x times call it one
    time column at a time. At ``t = 0`` with ``x = 0`` it equals
    ``curve.par_rate(tenor_years, freq)``. The factor enters each bond price
    as ``P(t, T | x) = P(t, T | 0) exp(-B(t, T) x)`` (``bond_price``), so the
    deterministic part is computed once per ``t`` and maturity, not per path.
    """
    if isinstance(freq, bool) or not isinstance(freq, Integral) or freq < 1:
        raise ValueError(f"par_rate_on_paths: freq must be a whole number >= 1, got {freq!r}")
    periods = float(tenor_years) * freq
    n = round(periods)
    if n < 1 or abs(periods - n) > 1e-9:
        raise ValueError(
            f"par_rate_on_paths: tenor_years * freq must be a whole number of periods, got {periods:g}"
        )
    t = np.asarray(t, dtype=np.float64)
    x_t = np.asarray(x_t, dtype=np.float64)
    offsets = np.arange(1, n + 1, dtype=np.float64) / freq
    at_zero = bond_price(curve, model, t[..., None], 0.0, t[..., None] + offsets)  # P(t, T | x = 0)
    prices = at_zero * np.exp(-_b(model.mean_reversion, offsets) * x_t[..., None])
    out = -np.expm1(np.log(prices[..., -1])) / (prices.sum(axis=-1) / freq)
    return float(out) if out.ndim == 0 else out


# --------------------------------------------------------------------------
# calibration to the grid


def _check_times(times_years: Any) -> np.ndarray:
    t = np.asarray(times_years, dtype=np.float64)
    if t.ndim != 1 or t.size < 2:
        raise ValueError("times_years must be a 1-D grid [0, t_1, ...] of at least 2 times")
    if not np.all(np.isfinite(t)) or t[0] != 0.0 or np.any(np.diff(t) <= 0.0):
        raise ValueError("times_years must start at 0 and increase strictly (years)")
    return t


def _variance_recursion(model: HullWhite, times: np.ndarray) -> np.ndarray:
    a, sigma = model.mean_reversion, model.volatility
    dt = np.diff(times)
    decay = np.exp(-a * dt)
    innovation = -sigma * sigma * np.expm1(-2.0 * a * dt) / (2.0 * a)
    big_v = np.zeros(len(times))
    var_x = cov_ix = 0.0
    for k, h in enumerate(dt):  # over time steps
        big_v[k + 1] = big_v[k] + 2.0 * h * cov_ix + h * h * var_x
        cov_ix = decay[k] * (cov_ix + h * var_x)
        var_x = decay[k] * decay[k] * var_x + innovation[k]
    return big_v


def left_point_variance(model: HullWhite, times_years) -> np.ndarray:
    """``V_i = Var(sum_{j<i} x_j dt_j)`` on the grid, by the exact recursion.

    Parameters
    ----------
    model : HullWhite
    times_years : array_like, shape (n_times,)
        Grid ``[0, t_1, ..., t_H]`` [years, strictly increasing].

    Returns
    -------
    numpy.ndarray, shape (n_times,)
        ``V_i`` [dimensionless; variance of an integrated rate]; ``V_0 = 0``.
        See the module docstring for the recursion.
    """
    return _variance_recursion(model, _check_times(times_years))


def calibrated_drift(curve: ZeroCurve, model: HullWhite, times_years) -> np.ndarray:
    """The grid shift ``phi_k`` that makes the mean path discount equal the curve.

    Parameters
    ----------
    curve : ZeroCurve
    model : HullWhite
    times_years : array_like, shape (n_times,)
        Grid ``[0, t_1, ..., t_H]`` [years].

    Returns
    -------
    numpy.ndarray, shape (n_times,)
        ``phi_k`` [annual decimal], ``phi_k dt_k = ln(P(0, t_k) / P(0,
        t_{k+1})) + (V_{k+1} - V_k) / 2``; the last entry uses a virtual step
        ``t_{H+1} = t_H + dt_{H-1}``.
    """
    t = _check_times(times_years)
    ext = np.append(t, 2.0 * t[-1] - t[-2])
    big_v = _variance_recursion(model, ext)
    log_p = -np.asarray(curve.zero(ext)) * ext
    dt = np.diff(ext)
    return (log_p[:-1] - log_p[1:] + 0.5 * np.diff(big_v)) / dt


# --------------------------------------------------------------------------
# random numbers


def _check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def sample_groups(
    n_paths: int,
    *,
    path0: int = 0,
    antithetic: bool = False,
    sobol: bool = False,
    sobol_replicates: int = SOBOL_REPLICATES,
) -> np.ndarray:
    """The statistical sample each path belongs to, for standard errors.

    Parameters
    ----------
    n_paths, path0 : int
        Paths ``path0 .. path0 + n_paths - 1`` (global indices).
    antithetic, sobol, sobol_replicates
        As given to ``simulate_rates``.

    Returns
    -------
    numpy.ndarray of int64, shape (n_paths,)
        Group id per path: the path itself (plain Monte Carlo), the pair
        ``p // 2`` (antithetic), or the replicate ``q % R`` (Sobol, ``q = p``
        or ``p // 2`` with antithetic). Paths of one group are one sample:
        average within a group, then take the standard error across groups
        (``engine.analytics.spreads.pv_std_error``). Ids are global, so
        groups of several chunks can be concatenated.
    """
    n_paths = _check_int("n_paths", n_paths, 1)
    p = np.arange(_check_int("path0", path0, 0), path0 + n_paths, dtype=np.int64)
    q = p // 2 if antithetic else p
    if sobol:
        return q % _check_int("sobol_replicates", sobol_replicates, 1)
    return q


def _plain_normals(seed: int, n_steps: int, path0: int, n_paths: int, antithetic: bool) -> np.ndarray:
    z = np.empty((n_paths, n_steps))
    for row in range(n_paths):  # one generator per path: the replayable unit
        p = path0 + row
        if antithetic and p % 2 == 1 and row > 0:
            np.negative(z[row - 1], out=z[row])
            continue
        base = p - p % 2 if antithetic else p
        z[row] = np.random.default_rng([seed, RATES_PURPOSE_TAG, base]).standard_normal(n_steps)
        if antithetic and p % 2 == 1:
            np.negative(z[row], out=z[row])
    return z


def _sobol_engine(dim: int, seed_words: list[int]) -> qmc.Sobol:
    gen = np.random.default_rng(seed_words)
    if "rng" in inspect.signature(qmc.Sobol).parameters:
        return qmc.Sobol(dim, scramble=True, bits=_SOBOL_BITS, rng=gen)
    return qmc.Sobol(dim, scramble=True, bits=_SOBOL_BITS, seed=gen)  # scipy < 1.15


def _bridge_plan(times: np.ndarray) -> np.ndarray:
    """Brownian-bridge order on the grid: rows (m, l, r, w_l, w_r, sd), breadth first."""
    n = len(times) - 1
    plan = []
    queue = [(0, n)]
    while queue:
        nxt = []
        for lo, hi in queue:
            if hi - lo < 2:
                continue
            m = (lo + hi) // 2
            span = times[hi] - times[lo]
            w_l = (times[hi] - times[m]) / span
            w_r = (times[m] - times[lo]) / span
            sd = math.sqrt((times[m] - times[lo]) * (times[hi] - times[m]) / span)
            plan.append((m, lo, hi, w_l, w_r, sd))
            nxt += [(lo, m), (m, hi)]
        queue = nxt
    return np.array(plan, dtype=np.float64).reshape(-1, 6)


def _bridge_increments(normals: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Standard normals per step from a Brownian bridge driven by ``normals``.

    Column 0 of ``normals`` sets ``W(t_H)``, the next ones the bisection
    midpoints in ``_bridge_plan`` order; returns ``(W(t_{k+1}) - W(t_k)) /
    sqrt(dt_k)``, shape (paths, H).
    """
    n = len(times) - 1
    w = np.zeros((normals.shape[0], n + 1))
    w[:, n] = math.sqrt(times[n]) * normals[:, 0]
    for col, (m, lo, hi, w_l, w_r, sd) in enumerate(_bridge_plan(times), start=1):
        w[:, int(m)] = w_l * w[:, int(lo)] + w_r * w[:, int(hi)] + sd * normals[:, col]
    return np.diff(w, axis=1) / np.sqrt(np.diff(times))


def _sobol_normals(
    seed: int, times: np.ndarray, path0: int, n_paths: int, antithetic: bool, replicates: int
) -> np.ndarray:
    dim = len(times) - 1
    p = np.arange(path0, path0 + n_paths, dtype=np.int64)
    q = p // 2 if antithetic else p
    rep, point = q % replicates, q // replicates
    u = np.empty((n_paths, dim))
    for r in np.unique(rep):  # one scrambled sequence per replicate
        rows = np.flatnonzero(rep == r)
        first, last = int(point[rows].min()), int(point[rows].max())
        engine = _sobol_engine(dim, [seed, RATES_PURPOSE_TAG, int(r), _SOBOL_SEED_TAG])
        if first:
            engine.fast_forward(first)
        with warnings.catch_warnings():
            # chunks need not start at 0 or hold 2**m points; documented above
            warnings.filterwarnings("ignore", message="The balance properties of Sobol")
            block = engine.random(last - first + 1)
        u[rows] = block[point[rows] - first]
    u += 0.5 ** (_SOBOL_BITS + 1)  # centre of the 2**-30 cell: never 0 or 1
    z = _bridge_increments(ndtri(u), times)
    if antithetic:
        z[p % 2 == 1] *= -1.0
    return z


# --------------------------------------------------------------------------
# paths


def simulate_rates(
    curve: ZeroCurve,
    model: HullWhite,
    times,
    n_paths: int,
    seed: int,
    *,
    antithetic: bool = False,
    sobol: bool = False,
    path0: int = 0,
    sobol_replicates: int = SOBOL_REPLICATES,
) -> RatePaths:
    """Hull-White short-rate paths fitted exactly to ``curve`` on the grid ``times``.

    Parameters
    ----------
    curve : ZeroCurve
        Today's zero curve.
    model : HullWhite
        Mean reversion and volatility.
    times : array_like, shape (n_times,)
        Grid ``[0, t_1, ..., t_H]`` [years, strictly increasing, starting at
        0, n_times >= 2]; e.g. ``t_k = (30 k + delay_days) / 360``.
    n_paths : int
        Number of paths in this call (>= 1).
    seed : int
        Run seed (>= 0).
    antithetic : bool, default False
        Pair paths ``(2k, 2k + 1)`` by global index; the odd path negates the
        shocks of the even one.
    sobol : bool, default False
        Randomised Sobol points with a Brownian-bridge ordering instead of
        pseudo-random normals (module docstring).
    path0 : int, default 0
        Global index of the first path, for callers that simulate in chunks.
    sobol_replicates : int, default 16
        Independent scramblings ``R`` (with ``sobol``).

    Returns
    -------
    RatePaths
        ``x``, ``short_rate``, ``discount`` of shape (n_paths, n_times) and
        ``shocks`` of shape (n_paths, n_times - 1).

    Notes
    -----
    ``E[discount[:, i]] = P(0, t_i)`` exactly at every grid time (the mean
    over paths matches within Monte Carlo error); with ``volatility = 0``
    every row equals the curve's discount factors exactly. Path ``p`` is
    a function of ``(seed, p)`` only (of ``(seed, replicate, point)`` with
    Sobol), whatever ``n_paths`` and ``path0``. Memory: four float64
    arrays of paths x times.
    """
    if not isinstance(curve, ZeroCurve):
        raise TypeError(f"simulate_rates: curve must be a ZeroCurve, got {type(curve).__name__}")
    if not isinstance(model, HullWhite):
        raise TypeError(f"simulate_rates: model must be a HullWhite, got {type(model).__name__}")
    t = _check_times(times)
    n_paths = _check_int("n_paths", n_paths, 1)
    seed = _check_int("seed", seed, 0)
    path0 = _check_int("path0", path0, 0)
    replicates = _check_int("sobol_replicates", sobol_replicates, 1)
    if path0 + n_paths > 2**32:
        raise ValueError("simulate_rates: path indices must stay below 2**32")

    if sobol:
        shocks = _sobol_normals(seed, t, path0, n_paths, bool(antithetic), replicates)
    else:
        shocks = _plain_normals(seed, len(t) - 1, path0, n_paths, bool(antithetic))

    a, sigma = model.mean_reversion, model.volatility
    dt = np.diff(t)
    decay = np.exp(-a * dt)
    step_sd = sigma * np.sqrt(-np.expm1(-2.0 * a * dt) / (2.0 * a))
    x = np.empty((n_paths, len(t)))
    x[:, 0] = 0.0
    for k in range(len(dt)):  # exact OU transition, vectorised over paths
        np.multiply(x[:, k], decay[k], out=x[:, k + 1])
        x[:, k + 1] += step_sd[k] * shocks[:, k]

    big_v = _variance_recursion(model, t)
    integral = np.cumsum(x[:, :-1] * dt, axis=1)  # I_i = sum_{j<i} x_j dt_j, i >= 1
    discount = np.empty_like(x)
    discount[:, 0] = 1.0
    np.exp(-integral - 0.5 * big_v[1:], out=discount[:, 1:])
    discount[:, 1:] *= np.asarray(curve.discount(t[1:]))
    short_rate = x + calibrated_drift(curve, model, t)
    return RatePaths(x=x, short_rate=short_rate, discount=discount, shocks=shocks)
