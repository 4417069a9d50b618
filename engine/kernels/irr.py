"""Internal rate of return of many cash-flow vectors at once.

Dimensions: n = vectors, t = months (column 0 is month 0, the purchase).

The monthly IRR of a vector ``c_0 .. c_T`` is a root of

    NPV(r) = sum_k c_k (1 + r)^(-k),   r in (-1, RATE_MAX]

The solver works in ``u = log(1 + r)``, so every iterate is a rate above -100%
and a bisection in ``u`` is a geometric bisection in ``1 + r`` (a bracket from
-99.99% to +1000% a month shrinks as fast as one from 1% to 2%). Leading and
trailing zero months are dropped; with ``f`` the first and ``l`` the last
non-zero month and ``n = l - f``, the function driven to zero is the value at
month ``f``, ``F(u) = sum_j c_(f+j) e^(-u j)``, which has the same roots.

NPV and dF/du come from one Horner pass, never from powers of ``1 + r``:

- ``u >= 0``: Horner in ``v = 1/(1+r) <= 1`` from the last month down:
  ``p(v) = sum_j c_(f+j) v^j = F``, ``dF/du = -v p'(v)``;
- ``u < 0``: Horner in ``x = 1+r < 1`` from the first month up:
  ``q(x) = sum_j c_(f+j) x^(n-j) = x^n F``, ``x^n dF/du = x q'(x) - n q(x)``.

Every power that appears is at most 1, so nothing overflows, at -99.9% a
month over 480 months as at +1000%. The scale factor ``x^n > 0`` changes
neither the sign of ``F`` nor the Newton step ``F / F'``. The same pass
accumulates the gross value ``G = sum_j |c_(f+j)| e^(-u j)`` (same scale).
The Horner scheme is second order (even and odd months as two independent
chains in ``v^2``), which halves the dependent multiply-add chain per month;
its rounding error is of the same order as plain Horner's.

Convergence: ``FTOL = 1e-12``, the NPV at the returned rate relative to the
gross discounted flows ``G``. At each iterate ``u`` with Newton step ``du``:

- if ``u - du`` lies in the bracket and ``n^2 du^2 e^(n |du|) / 2 <= FTOL``,
  ``u - du`` is returned: by Taylor's theorem ``|F(u - du)| = |F''| du^2 / 2``
  with ``|F''| <= n^2 G``, so its relative NPV is at most FTOL (this saves
  the evaluation that would only confirm it);
- else if ``|F(u)| <= FTOL G``, ``u`` is returned.

Either way ``|NPV| <= 1e-12 x sum_k |c_k| (1+r)^(-k)`` at the returned rate,
up to the rounding of the sum itself (at most about ``2 n eps G``, 1e-13 G
at 480 months). A Newton step or a bracket narrower than ``XTOL (1 + |u|)``,
XTOL = 1e-15, also ends the search (flows so long or so cancelling that the
rounding noise in F exceeds FTOL).

Which root. Descartes' rule of signs: the number of roots ``1 + r > 0`` is at
most the number of sign changes in ``c_0 .. c_T`` (zeros skipped).

- 0 sign changes: no root. No positive flow and some negative one is a
  TOTAL_LOSS (rate -1 exactly: the outlay never comes back); otherwise (all
  flows >= 0, or all zero) NO_SIGN_CHANGE.
- 1 sign change (an outlay, later inflows; or outlays then inflows): exactly
  one root, found by safeguarded Newton from an analytic starting estimate.
- 2 or more: there may be several IRRs. The kernel returns the root closest
  to 0 (smallest ``|r|``, the convention of numpy-financial's ``irr``). It
  evaluates NPV outward from ``r = 0`` on both sides, at
  ``|u| = SCAN_FIRST * SCAN_GROWTH^k`` up to the ends of the search interval,
  and solves in the first cell where NPV changes sign (both sides, when the
  other side could still hold a root nearer 0). In a cell where NPV keeps
  its sign at both ends but |NPV| falls from the inner end and rises into
  the outer one, the minimum of |NPV| between them is located (a root of
  dNPV/du, by the Illinois method) and checked for a sign change, so a pair
  of close roots inside one cell is found too. Only a cell holding two
  roots *and* more than one turning point can hide them; when the scan finds
  no sign change the status is NO_SIGN_CHANGE.

Safeguarded Newton (after Numerical Recipes' ``rtsafe``): a bracket ``[a, b]``
where F changes sign is kept; a Newton step that leaves it, or that is not
at most half the step before last, is replaced by bisection (in ``u``). On the
one-root path the bracket starts as the whole search interval with the signs
of the limits (``sign c_l`` as ``r -> -1``, ``sign c_f`` as ``r -> inf``); an end
is evaluated before the first bisection that would use it, and if its sign is
not the expected one the root lies outside the search interval:
NO_SIGN_CHANGE.

Starting estimate (one-root path): with P, N the sums of the positive and of
the absolute negative flows and (mean, variance) of their months under
those weights, a second-order cumulant expansion of
``P E_P[e^(-uk)] = N E_N[e^(-uk)]`` gives the quadratic
``(var_P - var_N)/2 u^2 - (mean_P - mean_N) u + log(P/N) = 0``; its root nearer
the linear estimate ``log(P/N) / (mean_P - mean_N)`` starts the search. It
is exact for one outlay and one inflow and within a few percent of the IRR
for level payments over 30 years; a 360-month vector then takes three
evaluations on average, one truncated by a payoff or default two or three.

``out_iter`` counts NPV evaluations (Horner passes), scan points included.
"""

from __future__ import annotations

import math


from ..jit import jit, pjit, prange

# statuses (out_status)
CONVERGED = 0  # a root; out_rate is the monthly IRR
TOTAL_LOSS = 1  # no positive flow after an outlay: out_rate = -1.0 exactly
NO_SIGN_CHANGE = 2  # NPV does not change sign on the search interval: NaN
NOT_CONVERGED = 3  # a bracketed root was not reached in MAX_ITER evaluations: NaN

# search interval, monthly rate r in [X_MIN - 1, RATE_MAX]
RATE_MAX = 1.0e6  # [monthly decimal]
X_MIN = 1.0e-300  # smallest 1 + r searched
U_LO = math.log(X_MIN)
U_HI = math.log1p(RATE_MAX)

FTOL = 1.0e-12  # |NPV| <= FTOL x gross discounted flows
XTOL = 1.0e-15  # step or bracket width in u, relative to 1 + |u|
MAX_ITER = 100  # NPV evaluations per bracketed solve

# outward scan when the flows change sign more than once
SCAN_FIRST = 1.0e-3  # first |u| [log(1 + monthly rate)]
SCAN_GROWTH = 1.5  # ratio of successive |u|
XTOL_EXTREMUM = 1.0e-10  # width in u at which a minimum of |NPV| is located


@jit
def _horner2(cf, base, step, n, z):
    """``sum_i a_i z^i``, its z-derivative and ``sum_i |a_i| z^i`` for
    ``a_i = cf[base + step * i]``, i = 0..n, with ``0 < z <= 1``.

    Second-order Horner: the even and the odd coefficients are two independent
    Horner chains in ``z^2`` (``p = E(z^2) + z O(z^2)``), which halves the
    chain of dependent multiply-adds a month and keeps every power <= 1.
    """
    w = z * z
    e = 0.0
    de = 0.0
    ge = 0.0
    o = 0.0
    do = 0.0
    go = 0.0
    top = n // 2  # highest pair k: a_2k (even) and a_2k+1 (odd, if 2k+1 <= n)
    if n % 2 == 0:
        c = cf[base + step * n]
        e = c
        ge = abs(c)
        top -= 1
    for k in range(top, -1, -1):
        ce = cf[base + step * (2 * k)]
        co = cf[base + step * (2 * k + 1)]
        de = de * w + e
        e = e * w + ce
        ge = ge * w + abs(ce)
        do = do * w + o
        o = o * w + co
        go = go * w + abs(co)
    p = e + z * o
    dp = 2.0 * z * de + o + 2.0 * w * do
    return p, dp, ge + z * go


@jit
def npv_terms(cf, first, last, u):
    """Value at month ``first``, its u-derivative and the gross value, at
    ``u = log(1 + r)``, all times the same positive factor.

    Parameters
    ----------
    cf : float64[t]
        Cash flows [currency], month 0 first.
    first, last : int
        First and last months included.
    u : float
        log(1 + monthly rate).

    Returns
    -------
    (F, dF/du, G) times 1 when ``u >= 0`` and times ``(1+r)^(last-first)``
    when ``u < 0`` (see the module docstring).
    """
    n = last - first
    if u >= 0.0:
        # p(v) = sum_j c_(first+j) v^j = F; dF/du = -v p'(v)
        v = math.exp(-u)
        p, dp, g = _horner2(cf, first, 1, n, v)
        return p, -v * dp, g
    # q(x) = sum_j c_(last-j) x^j = x^n F; x^n dF/du = x q'(x) - n q(x)
    x = math.exp(u)
    q, dq, g = _horner2(cf, last, -1, n, x)
    return q, x * dq - n * q, g


@jit
def _sign(value):
    return 1 if value > 0.0 else (-1 if value < 0.0 else 0)


@jit
def solve_bracketed(cf, first, last, a, sign_a, a_known, b, sign_b, b_known, u):
    """Safeguarded Newton for the root of F in ``[a, b]`` (in u), from ``u``.

    ``sign_a = -sign_b`` are the signs of F at the ends; ``a_known`` /
    ``b_known`` say whether they were evaluated (False: the sign of a limit,
    checked before the end is used for bisection).

    Returns
    -------
    (u_root, evaluations, status)
    """
    n = last - first
    step_before = b - a  # the step before last
    step = step_before
    evals = 0
    while evals < MAX_ITER:
        f, df, g = npv_terms(cf, first, last, u)
        evals += 1
        s = _sign(f)
        if s == 0:
            return u, evals, CONVERGED
        if s == sign_a:
            a = u
            a_known = True
        else:
            b = u
            b_known = True
        du = 0.0
        u_newton = u
        newton = df != 0.0 and math.isfinite(f / df)
        if newton:
            du = f / df
            u_newton = u - du
        if newton and a <= u_newton <= b:
            # Taylor: |F(u_newton)| = |F''(xi)| du^2 / 2 <= n^2 G(xi) du^2 / 2,
            # and G(xi) <= G(u_newton) e^(n |du|)
            nd = n * abs(du)
            if 0.5 * nd * nd * math.exp(nd) <= FTOL:
                return u_newton, evals, CONVERGED
        if abs(f) <= FTOL * g:
            return u, evals, CONVERGED
        if newton and a < u_newton < b and abs(du) <= 0.5 * abs(step_before):
            step_before = step
            step = du
            u = u_newton
            if abs(du) <= XTOL * (1.0 + abs(u)):
                return u, evals, CONVERGED
            continue
        # bisection; an end whose sign came from a limit is checked first
        if not a_known or not b_known:
            end = a if not a_known else b
            fe, dfe, ge = npv_terms(cf, first, last, end)
            evals += 1
            se = _sign(fe)
            expected = sign_a if not a_known else sign_b
            if se == 0:
                return end, evals, CONVERGED
            if se != expected:
                return math.nan, evals, NO_SIGN_CHANGE
            if not a_known:
                a_known = True
            else:
                b_known = True
        step_before = step
        step = 0.5 * (b - a)
        u = a + step
        if step <= XTOL * (1.0 + abs(u)):
            return u, evals, CONVERGED
    return math.nan, evals, NOT_CONVERGED


@jit
def _start_estimate(pos_sum, pos_m1, pos_m2, neg_sum, neg_m1, neg_m2):
    """Second-order cumulant estimate of u (see the module docstring)."""
    mean_p = pos_m1 / pos_sum
    mean_n = neg_m1 / neg_sum
    var_p = max(pos_m2 / pos_sum - mean_p * mean_p, 0.0)
    var_n = max(neg_m2 / neg_sum - mean_n * mean_n, 0.0)
    qa = 0.5 * (var_p - var_n)
    qb = -(mean_p - mean_n)
    qc = math.log(pos_sum) - math.log(neg_sum)
    if qb == 0.0:
        return 0.0
    u = -qc / qb
    disc = qb * qb - 4.0 * qa * qc
    if disc >= 0.0:
        u = -2.0 * qc / (qb + math.copysign(math.sqrt(disc), qb))
    return min(max(u, U_LO), U_HI)


@jit
def _advance(cf, first, last, direction, level, u_limit, u_in, f_in, df_in):
    """The next scan point outward from ``u_in``, and whether NPV changes sign
    in the cell between them.

    The scan point is ``u = direction * min(SCAN_FIRST * SCAN_GROWTH^level,
    u_limit)``. When F has the same sign at both ends but |F| falls outward
    from ``u_in`` and rises into ``u``, |F| has a minimum inside, where a
    pair of roots may hide: that minimum (a root of F') is searched by the
    Illinois method, stopping at the first point where F changes sign.

    Returns
    -------
    (hit, u, f, df, at_end, evaluations)
        ``hit``: F at ``u`` has not the sign of F at ``u_in`` (or is 0); ``u``
        is then the scan point or a point inside the cell.
    """
    h = SCAN_FIRST * SCAN_GROWTH**level
    at_end = h >= u_limit
    if at_end:
        h = u_limit
    u = direction * h
    f, df, g = npv_terms(cf, first, last, u)
    evals = 1
    s = _sign(f_in)
    if _sign(f) != s:
        return True, u, f, df, at_end, evals
    # g_x = outward slope of |F|: < 0 at the inner end and > 0 at the outer end
    ga = s * direction * df_in
    gb = s * direction * df
    if ga < 0.0 and gb > 0.0:
        a = u_in
        b = u
        side = 0
        for _ in range(MAX_ITER):
            m = (a * gb - b * ga) / (gb - ga)
            fm, dfm, gm_ = npv_terms(cf, first, last, m)
            evals += 1
            if _sign(fm) != s:
                return True, m, fm, dfm, False, evals
            gm = s * direction * dfm
            if gm < 0.0:
                a, ga = m, gm
                if side == -1:
                    gb *= 0.5
                side = -1
            elif gm > 0.0:
                b, gb = m, gm
                if side == 1:
                    ga *= 0.5
                side = 1
            else:
                break
            if abs(b - a) <= XTOL_EXTREMUM * (1.0 + abs(m)):
                break
    return False, u, f, df, at_end, evals


@jit
def _solve_cell(cf, first, last, u_in, s_in, u_out, s_out):
    """Root between two scan points of opposite signs (an exact zero as is)."""
    if s_out == 0:
        return u_out, 0, CONVERGED
    if u_in < u_out:
        return solve_bracketed(cf, first, last, u_in, s_in, True, u_out, s_out, True, 0.5 * (u_in + u_out))
    return solve_bracketed(cf, first, last, u_out, s_out, True, u_in, s_in, True, 0.5 * (u_in + u_out))


@jit
def _closest_to_zero(cf, first, last):
    """Several sign changes: the root with the smallest |r| (outward scan).

    Returns
    -------
    (u_root, evaluations, status)
    """
    f0, df0, g0 = npv_terms(cf, first, last, 0.0)
    evals = 1
    if f0 == 0.0:
        return 0.0, evals, CONVERGED
    # both sides start at u = 0 and advance one level each in turn until
    # either finds a sign change
    up_u, up_f, up_df, dn_u, dn_f, dn_df = 0.0, f0, df0, 0.0, f0, df0
    up_out, up_f_out, dn_out, dn_f_out = 0.0, f0, 0.0, f0
    up_active = True
    dn_active = True
    up_hit = False
    dn_hit = False
    level = 0
    while (up_active or dn_active) and not (up_hit or dn_hit):
        if up_active:
            hit, u, f, df, at_end, e = _advance(cf, first, last, 1.0, level, U_HI, up_u, up_f, up_df)
            evals += e
            if hit:
                up_hit = True
                up_out, up_f_out = u, f
            else:
                up_u, up_f, up_df = u, f, df
                up_active = not at_end
        if dn_active:
            hit, u, f, df, at_end, e = _advance(cf, first, last, -1.0, level, -U_LO, dn_u, dn_f, dn_df)
            evals += e
            if hit:
                dn_hit = True
                dn_out, dn_f_out = u, f
            else:
                dn_u, dn_f, dn_df = u, f, df
                dn_active = not at_end
        level += 1
    if not (up_hit or dn_hit):
        return math.nan, evals, NO_SIGN_CHANGE
    if not up_hit:
        # a negative root with |u| up to this level; a positive root nearer 0
        # in r would be nearer 0 in u too, and there is none up to this level
        u, e, status = _solve_cell(cf, first, last, dn_u, _sign(dn_f), dn_out, _sign(dn_f_out))
        return u, evals + e, status
    u_up, e, status_up = _solve_cell(cf, first, last, up_u, _sign(up_f), up_out, _sign(up_f_out))
    evals += e
    r_up = math.expm1(u_up) if status_up == CONVERGED else math.inf
    # a negative root nearer 0 in r than r_up has |u| < -log(1 - r_up)
    limit = -math.log1p(-r_up) if r_up < 1.0 else -U_LO
    if not dn_hit and dn_active and limit > -dn_u:
        while dn_active and not dn_hit:
            hit, u, f, df, at_end, e = _advance(cf, first, last, -1.0, level, limit, dn_u, dn_f, dn_df)
            evals += e
            level += 1
            if hit:
                dn_hit = True
                dn_out, dn_f_out = u, f
            else:
                dn_u, dn_f, dn_df = u, f, df
                dn_active = not at_end
    if dn_hit:
        u_dn, e, status_dn = _solve_cell(cf, first, last, dn_u, _sign(dn_f), dn_out, _sign(dn_f_out))
        evals += e
        if status_dn == CONVERGED and (status_up != CONVERGED or -math.expm1(u_dn) < r_up):
            return u_dn, evals, CONVERGED
    return u_up, evals, status_up


@jit
def irr_one(cf):
    """Monthly IRR of one cash-flow vector.

    Parameters
    ----------
    cf : float64[t]
        Cash flows [currency], month 0 first; finite (checked by the caller).

    Returns
    -------
    (rate, evaluations, status)
        rate [monthly decimal]: the root (CONVERGED), -1.0 (TOTAL_LOSS) or
        NaN; evaluations: NPV evaluations used; status: one of the constants.
    """
    # last non-zero month: a forward, branch-free pass streams from memory
    # faster than a backward search through trailing zeros
    last = -1
    for k in range(cf.shape[0]):
        if cf[k] != 0.0:
            last = k
    if last < 0:
        return math.nan, 0, NO_SIGN_CHANGE
    first = 0
    while cf[first] == 0.0:
        first += 1
    # one pass over them: sign changes, weights and moments of each sign
    changes = 0
    prev = 1 if cf[first] > 0.0 else -1
    pos_sum = 0.0
    pos_m1 = 0.0
    pos_m2 = 0.0
    neg_sum = 0.0
    neg_m1 = 0.0
    neg_m2 = 0.0
    for k in range(first, last + 1):
        c = cf[k]
        j = float(k - first)
        if c > 0.0:
            if prev < 0:
                changes += 1
            prev = 1
            pos_sum += c
            pos_m1 += c * j
            pos_m2 += c * j * j
        elif c < 0.0:
            if prev > 0:
                changes += 1
            prev = -1
            neg_sum -= c
            neg_m1 -= c * j
            neg_m2 -= c * j * j
    if changes == 0:
        if neg_sum > 0.0:
            return -1.0, 0, TOTAL_LOSS
        return math.nan, 0, NO_SIGN_CHANGE
    if changes == 1:
        u0 = _start_estimate(pos_sum, pos_m1, pos_m2, neg_sum, neg_m1, neg_m2)
        sign_first = 1 if cf[first] > 0.0 else -1
        # F -> sign(c_last) as r -> -1 and sign(c_first) as r -> inf
        u, evals, status = solve_bracketed(cf, first, last, U_LO, -sign_first, False, U_HI, sign_first, False, u0)
    else:
        u, evals, status = _closest_to_zero(cf, first, last)
    if status != CONVERGED:
        return math.nan, evals, status
    return math.expm1(u), evals, status


@pjit
def irr_many(cf, out_rate, out_iter, out_status):
    """Monthly IRR of every row of ``cf``, in parallel over rows.

    Parameters
    ----------
    cf : float64[n, t]
        Cash flows [currency], month 0 in column 0; finite.
    out_rate : float64[n]
        Filled with the monthly IRR [monthly decimal], -1.0 or NaN.
    out_iter : int64[n]
        Filled with the NPV evaluations used.
    out_status : int8[n]
        Filled with CONVERGED, TOTAL_LOSS, NO_SIGN_CHANGE or NOT_CONVERGED.
    """
    for i in prange(cf.shape[0]):
        rate, evals, status = irr_one(cf[i])
        out_rate[i] = rate
        out_iter[i] = evals
        out_status[i] = status
