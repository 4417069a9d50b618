"""Option-adjusted measures of per-path cash flows: OAS, price, their Monte
Carlo standard errors, spread duration, and the percent-of-face quotes.

The solvers and formulas are :mod:`engine.analytics.spreads`; this module
adds the bookkeeping of a pool valuation: prices in percent of current face,
cash flows shared by every path (a rate-blind prepayment model) broadcast
against the path discount factors, and deterministic paths (no volatility),
whose standard errors are 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .spreads import oas as solve_oas
from .spreads import oas_std_error, pv_at_spread, pv_std_error

__all__ = ["OptionAdjusted", "option_adjusted", "price_at_oas", "spread_duration"]


def _paths(cash: np.ndarray, disc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cash flows and discount factors of one shape (a shared row is broadcast)."""
    n = max(cash.shape[0], disc.shape[0])
    return np.broadcast_to(cash, (n, cash.shape[1])), np.broadcast_to(disc, (n, disc.shape[1]))


@dataclass(frozen=True)
class OptionAdjusted:
    """OAS and price of a pool on rate paths.

    oas : option-adjusted spread [annual decimal, continuously compounded]
        (NaN if no spread prices the flows).
    price : the price valued at: the given one, or the model price at a
        given OAS [percent of face].
    model_price : mean path PV at the OAS [percent of face].
    per_path_pv : float64[p] PV of each path at the OAS [currency].
    price_std_error : standard error of ``model_price`` [percent of face].
    oas_std_error : standard error of the OAS [annual decimal].
    converged : the OAS solve converged (always True given an OAS).
    """

    oas: float
    price: float
    model_price: float
    per_path_pv: np.ndarray
    price_std_error: float
    oas_std_error: float
    converged: bool


def option_adjusted(
    cash: np.ndarray,
    disc: np.ndarray,
    times_years: np.ndarray,
    groups: np.ndarray,
    face: float,
    *,
    price: float | None = None,
    oas: float | None = None,
    deterministic: bool = False,
) -> OptionAdjusted:
    """OAS from a price, or the price from an OAS, with standard errors.

    Parameters
    ----------
    cash : float64[p or 1, H] cash flows [currency]; one row = every path.
    disc : float64[p or 1, H] path discount factors to ``times_years``.
    times_years : float64[H] payment times [years].
    groups : int64[p] statistical sample of each path (antithetic pairs and
        Sobol replicates are one sample each).
    face : current face [currency] the price is quoted on.
    price : percent of face; or
    oas : annual decimal.
    deterministic : every path is the same (standard errors 0).
    """
    cf, d = _paths(cash, disc)
    if (price is None) == (oas is None):
        raise ValueError("give exactly one of price or oas")
    converged = True
    if oas is None:
        sol = solve_oas(cf, d, times_years, price / 100.0 * face)
        spread, converged = sol.spread, sol.converged
    else:
        spread = float(oas)
    if math.isfinite(spread):
        mean_pv, per_path = pv_at_spread(cf, d, times_years, spread)
    else:
        mean_pv, per_path = math.nan, np.full(cf.shape[0], math.nan)
    model_price = 100.0 * mean_pv / face
    if deterministic:
        price_se = oas_se = 0.0
    else:
        price_se = 100.0 * pv_std_error(per_path, groups) / face
        oas_se = oas_std_error(cf, d, times_years, spread, groups)
    return OptionAdjusted(
        oas=spread,
        price=float(price) if price is not None else model_price,
        model_price=model_price,
        per_path_pv=per_path,
        price_std_error=price_se,
        oas_std_error=oas_se,
        converged=bool(converged),
    )


def price_at_oas(cash: np.ndarray, disc: np.ndarray, times_years: np.ndarray, oas: float, face: float) -> float:
    """Mean path PV at ``oas`` [percent of face]."""
    cf, d = _paths(cash, disc)
    return 100.0 * pv_at_spread(cf, d, times_years, oas)[0] / face


def spread_duration(cash: np.ndarray, disc: np.ndarray, times_years: np.ndarray, oas: float) -> float:
    """Spread duration [years]: ``-(dP/ds) / P`` at the OAS, exactly:
    ``mean_p sum_k t_k CF_pk D_pk exp(-s t_k) / mean_p sum_k CF_pk D_pk exp(-s t_k)``."""
    cf, d = _paths(cash, disc)
    w = (cf * d).mean(axis=0) * np.exp(-oas * np.asarray(times_years))
    total = float(w.sum())
    return float(w @ times_years) / total if total != 0.0 else math.nan
