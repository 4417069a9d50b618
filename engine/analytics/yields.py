"""Yield-price analytics of one cash-flow vector (SIFMA SF section G).

Conventions (SIFMA Uniform Practices chapter SF):

- Cash flow ``k`` is paid ``t_k = (30 k + delay_days) / 360`` years after
  settlement (30/360, settlement at the start of the first accrual month).
- Mortgage yield ``y`` compounds monthly: PV = sum CF_k (1 + y/12)^-(12 t_k).
  Bond-equivalent yield BEY = 2 [(1 + y/12)^6 - 1] (semiannual compounding).
- ``delay_days`` is the *actual* delay past the end of the 30/360 accrual
  month (SIFMA SF E.2: Ginnie Mae I 14, Ginnie Mae II 19, Fannie Mae 24,
  Freddie Mac Gold 14), i.e. the stated delay less 31.
- Durations and convexity are measured from settlement with the delay
  included, against the bond-equivalent yield (see :func:`yield_measures`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import brentq

from ..errors import ConvergenceError


def times_years(n: int, delay_days: int = 0) -> np.ndarray:
    """Payment times t_k = (30 k + delay_days) / 360 for k = 1..n [years]."""
    return (30.0 * np.arange(1, n + 1) + delay_days) / 360.0


def pv(cash_flows: np.ndarray, mortgage_yield: float, delay_days: int = 0):
    """Present value at a monthly-compounded mortgage yield [currency], over the
    last axis (a float for one vector, an array for paths x months)."""
    cash_flows = np.asarray(cash_flows, dtype=np.float64)
    t = times_years(cash_flows.shape[-1], delay_days)
    value = cash_flows @ (1.0 + mortgage_yield / 12.0) ** (-12.0 * t)
    return float(value) if np.ndim(value) == 0 else value


def yield_from_pv(
    cash_flows: np.ndarray, target_pv: float, delay_days: int = 0, *, raise_on_failure: bool = False
) -> float:
    """Mortgage yield (annual, monthly compounding) at which PV equals ``target_pv``.

    Returns NaN when no yield in (-99%, 1000%) prices the flows, unless
    ``raise_on_failure``, which raises :class:`ConvergenceError`.
    """
    f = lambda y: pv(cash_flows, y, delay_days) - target_pv  # noqa: E731
    lo, hi = -0.99 * 12.0 / 12.0, 10.0
    try:
        if f(lo) * f(hi) > 0:
            raise ValueError("no sign change")
        return float(brentq(f, lo, hi, xtol=1e-14, rtol=1e-15, maxiter=500))
    except (ValueError, RuntimeError) as e:
        if raise_on_failure:
            raise ConvergenceError(f"no yield prices these cash flows at {target_pv:,.2f} ({e})") from None
        return float("nan")


def bey_from_mortgage_yield(y: float) -> float:
    """Bond-equivalent (semiannual) yield of a monthly-compounded mortgage yield."""
    return 2.0 * ((1.0 + y / 12.0) ** 6 - 1.0)


@dataclass(frozen=True)
class YieldMeasures:
    """SIFMA SF yield and yield-related measures for one set of cash flows.

    price [percent of face], mortgage_yield [annual, monthly compounding],
    yield_bey [annual, semiannual compounding], average_life,
    macaulay_duration, modified_duration [years], convexity [years^2].
    """

    price: float
    yield_bey: float
    mortgage_yield: float
    average_life: float
    macaulay_duration: float
    modified_duration: float
    convexity: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def yield_measures(
    cash_flows: np.ndarray,
    principal: np.ndarray,
    face: float,
    *,
    price: float | None = None,
    mortgage_yield: float | None = None,
    delay_days: int = 0,
) -> YieldMeasures:
    """Price <-> yield and the risk measures, SIFMA SF section G conventions.

    Parameters
    ----------
    cash_flows, principal : by month, month 1 first [currency].
    face : current face the price is quoted on [currency].
    price : percent of face (settlement at the start of month 1, no accrued).
    mortgage_yield : annual decimal, monthly compounding. Give one of the two.
    delay_days : days past the 30/360 month end that each payment arrives.

    Notes
    -----
    SIFMA SF section G.1 measures duration and convexity against the
    bond-equivalent yield Y (semiannual compounding), v = 1 + Y/2:
    Macaulay D = sum t_k CF_k v^(-2 t_k) / P; modified D_mod = D / v
    = -(dP/dY) / P; cash-flow convexity C = sum t_k (t_k + 1/2) CF_k
    v^(-2 t_k) / (v^2 P) = (d2P/dY2) / P. Years and years^2. The GNMA par
    example on SF-50/51 (150% PSA, 14 days delay) gives 5.73147, 5.48186 and
    54.4326; ``tests/test_sifma.py`` checks them.
    """
    cash_flows = np.asarray(cash_flows, dtype=np.float64)
    n = len(cash_flows)
    if (price is None) == (mortgage_yield is None):
        raise ValueError("give exactly one of price or mortgage_yield")
    if mortgage_yield is None:
        mortgage_yield = yield_from_pv(cash_flows, price / 100.0 * face, delay_days)
    y = mortgage_yield
    bey = bey_from_mortgage_yield(y)
    t = times_years(n, delay_days)
    v = 1.0 + bey / 2.0
    pv_k = cash_flows * v ** (-2.0 * t)  # identical to (1 + y/12)^(-12 t)
    total = pv_k.sum()
    if price is None:
        price = total / face * 100.0
    mac = float(np.dot(t, pv_k) / total)
    mod = mac / v
    conv = float(np.dot(t * (t + 0.5), pv_k) / total / v**2)
    principal = np.asarray(principal, dtype=np.float64)
    al = float(np.dot(t, principal) / principal.sum()) if principal.sum() > 0 else math.nan
    return YieldMeasures(
        price=float(price),
        yield_bey=bey,
        mortgage_yield=float(y),
        average_life=al,
        macaulay_duration=mac,
        modified_duration=mod,
        convexity=conv,
    )
