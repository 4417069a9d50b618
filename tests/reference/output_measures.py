"""Plain reference definitions of the reported measures, for the output tests.

Written from the README's definitions (and SIFMA Uniform Practices chapter
SF, section G.1 for the yield-related measures), with no engine code:

- cash flow ``k`` (month ``k``, 1 first) is paid ``t_k = (30 k + delay_days) / 360``
  years after settlement;
- PV at a mortgage yield ``y`` (annual, monthly compounding):
  ``sum_k CF_k (1 + y/12)^(-12 t_k)``;
- WAL [years] = ``sum_k k P_k / sum_k P_k / 12`` (no delay);
- average life [years] = ``sum_k t_k P_k / sum_k P_k`` (with the delay);
- bond-equivalent yield ``Y = 2 ((1 + y/12)^6 - 1)``, ``v = 1 + Y/2``;
  Macaulay duration ``sum t_k PV_k / P``, modified ``Macaulay / v``,
  cash-flow convexity ``sum t_k (t_k + 1/2) PV_k / (v^2 P)``;
- quantiles: linear interpolation between order statistics, the position of
  ``q`` among ``n`` sorted values being ``(n - 1) q`` (Hyndman & Fan type 7,
  the usual default of statistics packages).
"""

from __future__ import annotations

import math

import numpy as np


def times(n: int, delay_days: int = 0) -> np.ndarray:
    """t_k = (30 k + delay_days) / 360 for k = 1..n [years]."""
    return np.array([(30.0 * k + delay_days) / 360.0 for k in range(1, n + 1)])


def discount(n: int, mortgage_yield: float, delay_days: int = 0) -> np.ndarray:
    """(1 + y/12)^(-12 t_k), k = 1..n."""
    return np.array([(1.0 + mortgage_yield / 12.0) ** (-12.0 * t) for t in times(n, delay_days)])


def pv(cash: np.ndarray, mortgage_yield: float, delay_days: int = 0):
    """PV of monthly flows (last axis = months) at a mortgage yield."""
    cash = np.asarray(cash, dtype=np.float64)
    return (cash * discount(cash.shape[-1], mortgage_yield, delay_days)).sum(axis=-1)


def wal(principal: np.ndarray):
    """WAL in years over the last axis; NaN where no principal is paid."""
    principal = np.asarray(principal, dtype=np.float64)
    k = np.arange(1, principal.shape[-1] + 1, dtype=np.float64)
    total = principal.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (principal * k).sum(axis=-1) / total / 12.0, np.nan)


def yield_at_pv(cash: np.ndarray, target: float, delay_days: int = 0) -> float:
    """The mortgage yield at which PV = target, by bisection (PV falls as the yield rises)."""
    lo, hi = -0.5, 2.0
    f = lambda y: float(pv(cash, y, delay_days)) - target  # noqa: E731
    assert f(lo) > 0 > f(hi), "no yield in (-50%, 200%) prices these flows"
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if f(mid) > 0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def bey(mortgage_yield: float) -> float:
    return 2.0 * ((1.0 + mortgage_yield / 12.0) ** 6 - 1.0)


def sifma_measures(cash, principal, face: float, mortgage_yield: float, delay_days: int) -> dict[str, float]:
    """Price [percent of face], yields, average life, durations and convexity (SF G.1)."""
    cash = np.asarray(cash, dtype=np.float64)
    principal = np.asarray(principal, dtype=np.float64)
    t = times(len(cash), delay_days)
    Y = bey(mortgage_yield)
    v = 1.0 + Y / 2.0
    pv_k = cash * discount(len(cash), mortgage_yield, delay_days)
    P = pv_k.sum()
    mac = float((t * pv_k).sum() / P)
    return {
        "price": 100.0 * P / face,
        "mortgage_yield": mortgage_yield,
        "yield_bey": Y,
        "average_life": float((t * principal).sum() / principal.sum()),
        "macaulay_duration": mac,
        "modified_duration": mac / v,
        "convexity": float((t * (t + 0.5) * pv_k).sum() / P / v**2),
    }


def quantile(a: np.ndarray, q: float) -> np.ndarray:
    """Type-7 quantile over axis 0."""
    s = np.sort(np.asarray(a, dtype=np.float64), axis=0)
    n = s.shape[0]
    h = (n - 1) * q
    lo = int(math.floor(h))
    hi = min(lo + 1, n - 1)
    return s[lo] + (h - lo) * (s[hi] - s[lo])
