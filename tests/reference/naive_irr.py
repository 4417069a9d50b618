"""Slow, obviously-correct IRR references for the tests.

Nothing here shares code with ``engine.kernels.irr``: NPV is summed term by
term with ``math.fsum`` in log space, roots are located on a dense fixed grid
and refined by plain bisection.

Conventions: monthly cash flows, month 0 first; rates are monthly decimals;
``u = log(1 + r)``.
"""

from __future__ import annotations

import math

import numpy as np

CONVERGED, TOTAL_LOSS, NO_SIGN_CHANGE = "converged", "total_loss", "no_sign_change"

# |u| from 1e-4 up, on each side of 0: monthly rates from -1 + 1e-304 to 1e6
_GRID = np.concatenate(
    [-np.geomspace(700.0, 1e-4, 1600), [0.0], np.geomspace(1e-4, math.log1p(1e6), 1200)]
)


def _log_terms(cf: np.ndarray, u: float) -> tuple[np.ndarray, np.ndarray]:
    """Non-zero flows and their log discount factors shifted so the largest is 0."""
    k = np.flatnonzero(cf)
    logs = -u * k.astype(float)
    return cf[k], logs - logs.max()


def relative_npv(cf, rate_monthly: float) -> float:
    """``|NPV| / sum |CF_k| (1+r)^(-k)`` at a monthly rate > -1 (scale-free)."""
    cf = np.asarray(cf, dtype=float)
    c, logs = _log_terms(cf, math.log1p(rate_monthly))
    w = np.exp(logs)
    return abs(math.fsum(c * w)) / math.fsum(np.abs(c) * w)


def npv_sign(cf, u: float) -> int:
    c, logs = _log_terms(np.asarray(cf, dtype=float), u)
    total = math.fsum(c * np.exp(logs))
    return (total > 0) - (total < 0)


def sign_changes(cf) -> int:
    """Number of sign changes in the flows, zeros skipped (Descartes' bound)."""
    s = np.sign(np.asarray(cf, dtype=float))
    s = s[s != 0]
    return int(np.count_nonzero(s[1:] != s[:-1]))


def naive_irr(cf) -> tuple[float, str]:
    """(monthly IRR, status): the root closest to 0 among those the grid separates.

    TOTAL_LOSS (-1.0) when no flow is positive and one is negative;
    NO_SIGN_CHANGE (NaN) when no grid cell shows a sign change.
    """
    cf = np.asarray(cf, dtype=float)
    if not (cf > 0).any():
        return (-1.0, TOTAL_LOSS) if (cf < 0).any() else (math.nan, NO_SIGN_CHANGE)
    if not (cf < 0).any():
        return math.nan, NO_SIGN_CHANGE
    k = np.flatnonzero(cf)
    logs = -np.outer(_GRID, k.astype(float))
    logs -= logs.max(axis=1, keepdims=True)
    signs = np.sign(np.exp(logs) @ cf[k])
    roots = []
    for i in np.flatnonzero(signs[:-1] * signs[1:] <= 0):
        if signs[i] == 0:
            roots.append(_GRID[i])
            continue
        if signs[i + 1] == 0:
            continue  # picked up as the next cell's left end
        lo, hi, s_lo = _GRID[i], _GRID[i + 1], signs[i]
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if mid in (lo, hi):
                break
            s = npv_sign(cf, mid)
            if s == 0:
                lo = hi = mid
                break
            if s == s_lo:
                lo = mid
            else:
                hi = mid
        roots.append(0.5 * (lo + hi))
    if signs[-1] == 0:
        roots.append(_GRID[-1])
    if not roots:
        return math.nan, NO_SIGN_CHANGE
    rates = np.expm1(np.array(roots))
    return float(rates[np.argmin(np.abs(rates))]), CONVERGED
