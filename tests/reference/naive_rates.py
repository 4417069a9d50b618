"""Slow, obviously-correct twins of the zero curve, the Hull-White paths and the spread solver.

Plain Python loops and floats, written from the formulas (Hull & White 1990;
Brigo & Mercurio, *Interest Rate Models*, ch. 3; Glasserman, *Monte Carlo
Methods in Financial Engineering*, sec. 3.1) and not from the engine's code:

- the zero rate by searching the segment that holds ``t``;
- par yields from coupon dates built *forwards* from the first (stub) date;
- the variance of the left-point integral of ``x`` as a double sum of the OU
  covariances ``Cov(x_j, x_k) = Var(x_min) exp(-a |t_k - t_j|)``;
- bond prices in the classic ``A(t, T) exp(-B(t, T) r(t))`` form with the
  instantaneous forward from a finite difference of ``ln P``;
- the Brownian bridge by recursion on intervals;
- spreads by plain bisection.
"""

from __future__ import annotations

import math

import numpy as np


# --------------------------------------------------------------------------
# curve


def zero_rate(tenors, rates, t):
    """Linear in the zero rate between knots, flat outside."""
    if t <= tenors[0]:
        return rates[0]
    if t >= tenors[-1]:
        return rates[-1]
    for i in range(len(tenors) - 1):
        if tenors[i] <= t <= tenors[i + 1]:
            w = (t - tenors[i]) / (tenors[i + 1] - tenors[i])
            return (1.0 - w) * rates[i] + w * rates[i + 1]
    raise AssertionError("unreachable")


def discount(tenors, rates, t):
    return math.exp(-zero_rate(tenors, rates, t) * t)


def par_rate(tenors, rates, maturity, freq=2):
    """Par coupon: n full periods back from maturity, the remainder a short first period."""
    n_full = int(math.floor(maturity * freq + 1e-9))
    stub = maturity - n_full / freq
    if stub < 1e-9:
        stub = 0.0
    dates, accruals = [], []
    if stub > 0.0:
        dates.append(stub)
        accruals.append(stub)
    for j in range(1, n_full + 1):
        dates.append(stub + j / freq)
        accruals.append(1.0 / freq)
    dates[-1] = maturity
    annuity = sum(a * discount(tenors, rates, d) for a, d in zip(accruals, dates))
    return (1.0 - discount(tenors, rates, maturity)) / annuity


def hat(tenors, i, t):
    """Triangular key-rate weight of knot i at t (flat outside the end knots)."""
    n = len(tenors)
    if t <= tenors[0]:
        return 1.0 if i == 0 else 0.0
    if t >= tenors[-1]:
        return 1.0 if i == n - 1 else 0.0
    if i > 0 and tenors[i - 1] <= t <= tenors[i]:
        return (t - tenors[i - 1]) / (tenors[i] - tenors[i - 1])
    if i < n - 1 and tenors[i] <= t <= tenors[i + 1]:
        return (tenors[i + 1] - t) / (tenors[i + 1] - tenors[i])
    return 0.0


# --------------------------------------------------------------------------
# Hull-White


def left_point_variance(a, sigma, times):
    """Var(sum_{j<i} x_j dt_j) for each i, as a double sum of covariances."""
    n = len(times)
    var_x = [sigma * sigma * (1.0 - math.exp(-2.0 * a * t)) / (2.0 * a) for t in times]
    out = [0.0] * n
    for i in range(1, n):
        total = 0.0
        for j in range(i):
            for k in range(i):
                lo, hi = min(j, k), max(j, k)
                cov = var_x[lo] * math.exp(-a * (times[hi] - times[lo]))
                total += (times[j + 1] - times[j]) * (times[k + 1] - times[k]) * cov
        out[i] = total
    return out


def simulate(tenors, rates, a, sigma, times, normals):
    """Paths (x, r, discount) path by path, step by step, from given normals (paths, steps)."""
    n_paths, n_steps = len(normals), len(times) - 1
    big_v = left_point_variance(a, sigma, times)
    log_p = [-zero_rate(tenors, rates, t) * t for t in times]
    phi = []
    for k in range(n_steps):
        dt = times[k + 1] - times[k]
        phi.append((log_p[k] - log_p[k + 1] + 0.5 * (big_v[k + 1] - big_v[k])) / dt)
    x = np.zeros((n_paths, n_steps + 1))
    r = np.zeros((n_paths, n_steps + 1))
    disc = np.ones((n_paths, n_steps + 1))
    for p in range(n_paths):
        integral = 0.0
        for k in range(n_steps):
            dt = times[k + 1] - times[k]
            r[p, k] = x[p, k] + phi[k]
            integral += r[p, k] * dt
            disc[p, k + 1] = math.exp(-integral)
            sd = sigma * math.sqrt((1.0 - math.exp(-2.0 * a * dt)) / (2.0 * a))
            x[p, k + 1] = x[p, k] * math.exp(-a * dt) + sd * normals[p][k]
    return x, r[:, :-1], disc


def forward_fd(tenors, rates, t, h=1e-5):
    """Instantaneous forward by a central difference of -ln P (t off the knots)."""
    lp = lambda s: -zero_rate(tenors, rates, s) * s  # noqa: E731
    return -(lp(t + h) - lp(t - h)) / (2.0 * h)


def bond_price_affine(tenors, rates, a, sigma, t, r_t, T):
    """Hull & White (1990): P(t,T) = A(t,T) exp(-B(t,T) r(t)),
    ln A = ln(P(0,T)/P(0,t)) + B f(0,t) - sigma^2/(4a) (1 - e^{-2at}) B^2."""
    b = (1.0 - math.exp(-a * (T - t))) / a
    f = forward_fd(tenors, rates, t)
    log_a = (
        math.log(discount(tenors, rates, T) / discount(tenors, rates, t))
        + b * f
        - sigma * sigma / (4.0 * a) * (1.0 - math.exp(-2.0 * a * t)) * b * b
    )
    return math.exp(log_a - b * r_t)


def short_rate_from_x(tenors, rates, a, sigma, t, x_t):
    """r = x + f(0,t) + sigma^2/(2a^2) (1 - e^{-at})^2."""
    return x_t + forward_fd(tenors, rates, t) + sigma * sigma / (2.0 * a * a) * (1.0 - math.exp(-a * t)) ** 2


def brownian_bridge(normals, times):
    """W on times[1:] by recursive bisection; normals in breadth-first order."""
    n = len(times) - 1
    w = [0.0] * (n + 1)
    w[n] = math.sqrt(times[n]) * normals[0]
    used = 1
    level = [(0, n)]
    while level:
        nxt = []
        for lo, hi in level:
            if hi - lo < 2:
                continue
            m = (lo + hi) // 2
            tl, tm, th = times[lo], times[m], times[hi]
            mean = w[lo] + (tm - tl) / (th - tl) * (w[hi] - w[lo])
            w[m] = mean + math.sqrt((tm - tl) * (th - tm) / (th - tl)) * normals[used]
            used += 1
            nxt += [(lo, m), (m, hi)]
        level = nxt
    return [(w[k + 1] - w[k]) / math.sqrt(times[k + 1] - times[k]) for k in range(n)]


# --------------------------------------------------------------------------
# spreads


def mean_pv(cf, disc, times, s):
    total = 0.0
    for p in range(len(cf)):
        for k in range(len(times)):
            total += cf[p][k] * disc[p][k] * math.exp(-s * times[k])
    return total / len(cf)


def bisect_spread(pv_of, target, lo=-0.5, hi=2.0, iterations=200):
    """Plain bisection for a decreasing pv_of(s) = target."""
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        if pv_of(mid) > target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)
