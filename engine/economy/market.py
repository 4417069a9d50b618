"""Market paths for valuation: path discount factors and path mortgage rates.

On the payment grid ``t_0 = 0``, ``t_k = (30 k + delay_days) / 360`` years
(k = 1 .. H, the months of the projection), a :class:`MarketPaths` holds for
every rate path p:

- ``discount[p, k - 1]``: the path discount factor from 0 to ``t_k``
  (:func:`engine.economy.short_rate.simulate_rates`; ``E[discount] =
  P(0, t_k)`` exactly);
- ``mortgage_rate[p, m]``: the market mortgage rate of month m [annual
  decimal], read at the start of the month: the path's 10-year par rate at
  ``t_{m-1}`` plus the mortgage spread::

      mortgage_rate[p, m] = par_rate_on_paths(curve, model, t_{m-1}, x_p(t_{m-1}), 10) + spread

  Column 0 is unused (a copy of month 1, read at the analysis date, where
  every path has the curve's 10-year par rate).

``rates: {model: none}`` is the Hull-White model with zero volatility:
every path is the curve's forward path (its discount factors are the
curve's to the last bit, its mortgage rate the forward 10-year par rate
plus the spread), so one path represents them all.

Scenario changes
----------------
:class:`MarketShift` moves the paths deterministically:

- ``curve_shift``: parallel shift of the zero curve [annual decimal] (the
  Hull-White factor ``x`` does not depend on the curve, so a shifted curve
  reuses the same random numbers exactly);
- ``mortgage_rate_path``: ``((month, rate), ...)``, the market mortgage
  rate of the scenario's *forward path* (linear in the month between
  points, flat before the first and after the last). The difference
  ``delta_m`` between it and the unshifted forward path's mortgage rate is
  added to every path's mortgage rate in month m *and* to every path's
  short rate over month m, ``[t_{m-1}, t_m)``, so discounting moves with
  the mortgage rate::

      mortgage_rate[p, m] += delta_m
      discount[p, k - 1] *= exp(-sum_{m <= k} delta_m (t_m - t_{m-1}))

  With ``rates: none`` the mortgage rate *is* the scenario path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..config.economy import MORTGAGE_RATE_TENOR_YEARS
from .curve import ZeroCurve
from .short_rate import HullWhite, par_rate_on_paths, sample_groups, simulate_rates

__all__ = ["MarketPaths", "MarketShift", "forward_mortgage_rates", "payment_times", "simulate_market"]

# the Hull-White model that stands for `rates: none` (zero volatility; the
# mean reversion then plays no part)
FORWARD_MODEL = HullWhite(mean_reversion=0.03, volatility=0.0)


def payment_times(n_months: int, delay_days: int) -> np.ndarray:
    """The grid ``[0, t_1, ..., t_H]``, ``t_k = (30 k + delay_days) / 360`` [years]."""
    return np.concatenate([[0.0], (30.0 * np.arange(1, n_months + 1) + delay_days) / 360.0])


@dataclass(frozen=True)
class MarketShift:
    """A deterministic change of the market paths (module docstring).

    curve_shift : parallel shift of the zero rates [annual decimal].
    key_rate : (knot index, shift [annual decimal]) of a triangular key-rate
        bump (``ZeroCurve.key_rate_shift``), or None.
    mortgage_rate_path : ((month, rate [annual decimal]), ...) or None.
    """

    curve_shift: float = 0.0
    key_rate: tuple[int, float] | None = None
    mortgage_rate_path: tuple[tuple[int, float], ...] | None = None

    def curve(self, curve: ZeroCurve) -> ZeroCurve:
        """The shifted curve."""
        out = curve.shifted(self.curve_shift) if self.curve_shift != 0.0 else curve
        if self.key_rate is not None:
            out = out.key_rate_shift(*self.key_rate)
        return out


class MarketPaths(NamedTuple):
    """Market paths on the payment grid; p = paths, t = months (index 0 unused).

    Attributes
    ----------
    times : float64[t] grid ``[0, t_1, ..., t_H]`` [years].
    discount : float64[p, H] path discount factor to ``t_k`` (column k - 1).
    mortgage_rate : float64[p, t] market mortgage rate of month m [annual decimal].
    shocks : float64[p, H] the standard normals that drove the rate paths
        (month m in column m - 1; zeros with no volatility).
    groups : int64[p] the statistical sample of each path (antithetic pairs,
        Sobol replicates; ``sample_groups``).
    deterministic : every path is the same (no volatility).
    """

    times: np.ndarray
    discount: np.ndarray
    mortgage_rate: np.ndarray
    shocks: np.ndarray
    groups: np.ndarray
    deterministic: bool


def _interp_points(points: tuple[tuple[int, float], ...], months: np.ndarray) -> np.ndarray:
    pm = np.array([m for m, _ in points], dtype=np.float64)
    pr = np.array([r for _, r in points], dtype=np.float64)
    return np.interp(months, pm, pr)


def forward_mortgage_rates(curve: ZeroCurve, spread: float, times: np.ndarray) -> np.ndarray:
    """The forward path's mortgage rate of months 1..H [annual decimal]: the
    curve's forward 10-year par rate at ``t_{m-1}`` plus ``spread``."""
    par = par_rate_on_paths(curve, FORWARD_MODEL, times[:-1], np.zeros(len(times) - 1), MORTGAGE_RATE_TENOR_YEARS)
    return np.asarray(par) + spread


def simulate_market(
    curve: ZeroCurve,
    model: HullWhite | None,
    spread: float,
    times: np.ndarray,
    n_paths: int,
    seed: int,
    *,
    antithetic: bool = False,
    sobol: bool = False,
    shift: MarketShift | None = None,
) -> MarketPaths:
    """Discount factors and mortgage rates on ``n_paths`` rate paths.

    Parameters
    ----------
    curve : ZeroCurve
        Today's zero curve (before ``shift``).
    model : HullWhite or None
        The short-rate model; None (``rates: none``) is the forward path,
        returned as a single path.
    spread : float
        Mortgage rate over the 10-year par rate [annual decimal].
    times : float64[H + 1]
        The payment grid (:func:`payment_times`).
    n_paths, seed, antithetic, sobol
        As :func:`engine.economy.short_rate.simulate_rates`; path p depends
        on (seed, p) only, so a shifted curve sees the same random numbers.
    shift : MarketShift, optional
        A deterministic change (module docstring).

    Returns
    -------
    MarketPaths
    """
    shift = shift or MarketShift()
    base_curve = curve
    curve = shift.curve(curve)
    deterministic = model is None or model.volatility == 0.0
    hw = FORWARD_MODEL if model is None else model
    n = 1 if deterministic else int(n_paths)
    paths = simulate_rates(curve, hw, times, n, seed, antithetic=antithetic and not deterministic,
                           sobol=sobol and not deterministic)
    H = len(times) - 1
    rate = np.empty((n, H + 1))
    for m in range(1, H + 1):  # one grid time at a time: (paths, 20) bond prices each
        rate[:, m] = par_rate_on_paths(curve, hw, times[m - 1], paths.x[:, m - 1], MORTGAGE_RATE_TENOR_YEARS)
    rate[:, 1:] += spread
    discount = paths.discount[:, 1:]
    if shift.mortgage_rate_path is not None:
        months = np.arange(1, H + 1, dtype=np.float64)
        delta = _interp_points(shift.mortgage_rate_path, months) - forward_mortgage_rates(base_curve, spread, times)
        rate[:, 1:] += delta
        discount = discount * np.exp(-np.cumsum(delta * np.diff(times)))
    rate[:, 0] = rate[:, 1]
    groups = (
        np.zeros(1, dtype=np.int64)
        if deterministic
        else sample_groups(n, antithetic=antithetic, sobol=sobol)
    )
    return MarketPaths(
        times=times,
        discount=np.ascontiguousarray(discount),
        mortgage_rate=rate,
        shocks=paths.shocks,
        groups=groups,
        deterministic=deterministic,
    )
