"""The loan-level state model: one hazard model, two integrations.

Dimensions: l = loans, p = paths (of a chunk), t = months (index 0 unused,
month 1 is the first payment), b = loan blocks, c = columns (``S_*``).

A loan is in a *cell* of one of two *branches* (0 original terms, 1
modified terms):

    cell 0                      current
    cell k, 1 <= k <= K         k payments behind (1 dq30, 2 dq60, >= 3 dq90+; K holds >= K)
    cell FC0 + f, f < T_fc      foreclosure, month f of the loan's state timeline
    cell REO0 + g, g < T_reo    REO, month g of marketing

and holds three dollar accounts: ``bal`` the interest-bearing balance,
``arr`` what the borrower owes beyond principal (unpaid interest, advances,
recoverable costs), ``dfr`` the non-interest-bearing deferred balance.

:func:`exit_probs` (the hazard model) gives a cell's monthly exit
probabilities; :func:`apply` moves a fraction of a cell to its destination
and books the cash flows. The *sampled* integration draws one transition per
loan and month from a counter-based uniform keyed by (seed, path, loan,
month); the *expected* integration moves every fraction at once, so the two
share every formula. Every account and flow is linear in the moved fraction,
so the mean of sampled runs converges to the expected run exactly, with two
documented exceptions that apply to a cell's *total* in the expected
integration: a sale's proceeds are capped at the debt (a surplus goes to the
borrower), and split between principal and the rest of the debt. They bind
only when a property is worth more than the debt, and then differ only when
histories that share a cell carry different debts.

Accumulators are int64 *ticks* of 1e-4 currency units. Integer addition is
associative, so the sums are bit-identical for any thread count, loan block
split, path chunking or machine.
"""

from __future__ import annotations

import math

import numpy as np

from ..jit import jit, pjit, prange
from ..rng import PURPOSE_TRANSITION, uniform_pair

K = 12  # payments-behind cells; cell K holds every loan K or more behind

TICKS = 1e4  # accumulator units per currency unit

# --- transitions ---------------------------------------------------------
TR_STAY = 0  # current: pay; dq30/60: pay and stay behind; dq90+: miss again; fc/reo: age
TR_PREPAY = 1
TR_ROLL = 2  # current -> dq30, dq30 -> dq60, dq60 -> dq90, dq90+ -> foreclosure
TR_CURE = 3
TR_MOD = 4
TR_DIL = 5
N_TR = 6

# --- per-month columns (sums over loans, per path) -------------------------
S_CURRENT_BAL = 0  # month end, both branches
S_MODIFIED_BAL = 1  # month end, current on modified terms
S_DQ30_BAL = 2
S_DQ60_BAL = 3
S_DQ90_BAL = 4
S_FC_BAL = 5
S_REO_BAL = 6
S_DEFERRED_BAL = 7  # deferred balance outstanding, all live states
S_SCHED_PRIN = 8
S_PREPAY = 9
S_INTEREST = 10  # net interest paid
S_GROSS_INT = 11  # derived: interest + servicing (not accumulated by the kernel)
S_SERVICING = 12
S_ARREARS_PAID = 13
S_DEFERRED_PAID = 14
S_NEW_DQ = 15  # balance rolling current -> dq30
S_CURES = 16  # balance curing to current
S_MODS = 17  # balance modified (before capitalisation)
S_DIL = 18  # balance leaving by deed-in-lieu
S_FC_STARTS = 19  # balance referred to foreclosure
S_REO_IN = 20  # balance entering REO (foreclosure sale or deed-in-lieu)
S_LIQ_BAL = 21  # balance + deferred liquidated (REO sold)
S_PROCEEDS = 22  # sale proceeds net of selling costs
S_PRIN_RECOV = 23
S_PRIN_LOSS = 24
S_NET_LOSS = 25  # balance + deferred + arrears - proceeds
S_ADVANCES = 26  # taxes and insurance advanced
S_LEGAL = 27
S_HOLDING = 28
S_DIL_COST = 29
S_INT_UNPAID = 30  # interest accrued and not paid this month
S_PREPAY_BASE = 31  # current balance after scheduled amortisation (SMM base)
S_ROLL_BASE = 32  # derived: current balance at month start = month-end current balance of t-1
S_MATURED = 33  # balance paid at scheduled maturity
S_CAPITALIZED = 34  # arrears added to the balance by modifications
N_S = 35

# --- per-loan outcome columns (sums over paths) ----------------------------
O_PREPAID = 0
O_PREPAID_T = 1  # probability-weighted month
O_MATURED = 2
O_MATURED_T = 3
O_LIQUIDATED = 4
O_LIQUIDATED_T = 5
O_DIL = 6
O_DIL_T = 7
O_FC_SALE = 8
O_FC_SALE_T = 9
O_MODIFIED = 10  # first modification
O_MODIFIED_T = 11
O_CURES = 12  # expected number of cures
O_UNRESOLVED = 13  # still live at the horizon
O_LIQ_BAL = 14
O_NET_LOSS = 15
N_O = 16

# --- hazard parameters (float64 vector, built by engine.hazard) -------------
H_TO_DQ30 = 0
H_MOD_ROLL_MULT = 1
H_DQ30_CURE = 2
H_DQ30_ROLL = 3
H_DQ60_CURE = 4
H_DQ60_ROLL = 5
H_DQ60_MOD = 6
H_DQ60_DIL = 7
H_DQ90_CURE = 8
H_DQ90_FC = 9
H_DQ90_MOD = 10
H_DQ90_DIL = 11
H_DQ90_CURE_DECAY = 12
H_FC_CURE = 13
H_FC_MOD = 14
H_FC_DIL = 15
H_FORBEAR = 16
H_LEGAL = 17
H_HOLDING = 18
H_SELLING = 19
H_DIL_COST = 20
H_TI_RATE = 21
H_SEVERITY = 22  # < 0: sale outcome; else fixed severity
H_REFERRAL_MIN = 23  # payments behind before a foreclosure referral is allowed
N_H = 24


@jit
def tick(x):
    return math.floor(x * TICKS + 0.5)


@jit
def interp(x, xs, ys):
    """Piecewise-linear, flat beyond the ends."""
    n = xs.shape[0]
    if x <= xs[0]:
        return ys[0]
    if x >= xs[n - 1]:
        return ys[n - 1]
    j = 1
    while xs[j] < x:
        j += 1
    w = (x - xs[j - 1]) / (xs[j] - xs[j - 1])
    return ys[j - 1] + w * (ys[j] - ys[j - 1])


@jit
def exit_probs(out_p, branch, cell, t_fc, fc0, reo0, smm, roll_mult, cure_mult, hp):
    """Monthly exit probabilities of a cell into ``out_p[TR_*]`` (TR_STAY = the rest).

    The hazard model: shared verbatim by both integrations.
    current:  prepay = SMM; roll = to_dq30 x roll_mult (x the re-default
              multiplier on modified terms).
    dq30/60:  cure x cure_mult, roll, (dq60) modification, deed-in-lieu.
    dq90+:    cure x cure_mult x decay^(k - 3), mod, DIL, and foreclosure referral
              once k >= the referral minimum (4 by default: Regulation X,
              12 CFR 1024.41(f), bars a first filing before 120 days delinquent).
    foreclosure: cure (reinstatement) x cure_mult, mod, DIL.
    REO:      none (sold after the marketing time).
    If multipliers push the exits over 1, the cure (or roll) is cut to fit.
    """
    for j in range(N_TR):
        out_p[j] = 0.0
    if cell == 0:
        roll = hp[H_TO_DQ30] * roll_mult
        if branch == 1:
            roll *= hp[H_MOD_ROLL_MULT]
        if roll > 1.0 - smm:
            roll = 1.0 - smm
        out_p[TR_PREPAY] = smm
        out_p[TR_ROLL] = roll
    elif cell == 1:
        out_p[TR_ROLL] = hp[H_DQ30_ROLL]
        out_p[TR_CURE] = min(hp[H_DQ30_CURE] * cure_mult, 1.0 - out_p[TR_ROLL])
    elif cell == 2:
        out_p[TR_ROLL] = hp[H_DQ60_ROLL]
        out_p[TR_MOD] = hp[H_DQ60_MOD]
        out_p[TR_DIL] = hp[H_DQ60_DIL]
        room = 1.0 - out_p[TR_ROLL] - out_p[TR_MOD] - out_p[TR_DIL]
        out_p[TR_CURE] = min(hp[H_DQ60_CURE] * cure_mult, room)
    elif cell <= K:
        out_p[TR_ROLL] = hp[H_DQ90_FC] if cell >= hp[H_REFERRAL_MIN] else 0.0
        out_p[TR_MOD] = hp[H_DQ90_MOD]
        out_p[TR_DIL] = hp[H_DQ90_DIL]
        room = 1.0 - out_p[TR_ROLL] - out_p[TR_MOD] - out_p[TR_DIL]
        decay = hp[H_DQ90_CURE_DECAY] ** (cell - 3)
        out_p[TR_CURE] = min(hp[H_DQ90_CURE] * cure_mult * decay, room)
    elif cell < reo0:
        out_p[TR_MOD] = hp[H_FC_MOD]
        out_p[TR_DIL] = hp[H_FC_DIL]
        room = 1.0 - out_p[TR_MOD] - out_p[TR_DIL]
        out_p[TR_CURE] = min(hp[H_FC_CURE] * cure_mult, room)
    stay = 1.0
    for j in range(1, N_TR):
        stay -= out_p[j]
    out_p[TR_STAY] = stay if stay > 0.0 else 0.0


@jit
def _add(row, col, x):
    row[col] += tick(x)


@jit
def _book_balances(row, branch, cell, bal, dfr, reo0):
    """Month-end balance of a live cell into the by-state columns."""
    if cell == 0:
        _add(row, S_CURRENT_BAL, bal)
        if branch == 1:
            _add(row, S_MODIFIED_BAL, bal)
    elif cell == 1:
        _add(row, S_DQ30_BAL, bal)
    elif cell == 2:
        _add(row, S_DQ60_BAL, bal)
    elif cell <= K:
        _add(row, S_DQ90_BAL, bal)
    elif cell < reo0:
        _add(row, S_FC_BAL, bal)
    else:
        _add(row, S_REO_BAL, bal)
    _add(row, S_DEFERRED_BAL, dfr)


@jit
def _sell(row, orow, t, w, bal, arr, dfr, value_now, hp):
    """REO sale of a fraction ``w``: proceeds, recovery, loss."""
    owed = bal + dfr
    if hp[H_SEVERITY] >= 0.0:
        proceeds = (1.0 - hp[H_SEVERITY]) * owed
    else:
        # sale net of selling costs; a surplus over the debt goes to the borrower
        proceeds = w * value_now * (1.0 - hp[H_SELLING])
        if proceeds > owed + arr:
            proceeds = owed + arr
    recov = proceeds if proceeds < owed else owed
    if recov < 0.0:
        recov = 0.0
    net_loss = bal + dfr + arr - proceeds
    _add(row, S_LIQ_BAL, owed)
    _add(row, S_PROCEEDS, proceeds)
    _add(row, S_PRIN_RECOV, recov)
    _add(row, S_PRIN_LOSS, owed - recov)
    _add(row, S_NET_LOSS, net_loss)
    orow[O_LIQUIDATED] += w
    orow[O_LIQUIDATED_T] += w * t
    orow[O_LIQ_BAL] += owed
    orow[O_NET_LOSS] += net_loss


@jit
def _enter_reo(row, orow, t, w, bal, arr, dfr, value_now, reo0, t_reo, hp, dest):
    """Title passes to the holder (foreclosure sale or deed-in-lieu)."""
    _add(row, S_REO_IN, bal + dfr)
    if t_reo == 0:
        _sell(row, orow, t, w, bal, arr, dfr, value_now, hp)
        dest[0] = -1.0
    else:
        dest[0] = reo0


@jit
def apply(
    tr, w, branch, cell, bal, arr, dfr, t, am, rate, net, fee,
    fc0, reo0, t_fc, t_reo, value0, value_now, hp, row, orow, dest,
):
    """Move fraction ``w`` of a cell's mass (whose accounts, already scaled by
    ``w``, are ``bal, arr, dfr``) along transition ``tr`` and book its flows.

    Writes the destination to ``dest``: [cell or -1 if terminal, branch, bal,
    arr, dfr]. ``am`` is the branch's scheduled amortisation fraction this
    month (1 at and after maturity); ``rate``/``net``/``fee`` are the branch's
    monthly gross, net and servicing rates; ``value0``/``value_now`` the
    property value today and on this path this month.
    """
    d_cell = cell
    d_branch = branch
    ti = w * value0 * hp[H_TI_RATE] / 12.0
    if cell == 0 or ((cell == 1 or cell == 2) and tr == TR_STAY):
        if tr == TR_ROLL:  # misses this month's payment
            _add(row, S_NEW_DQ, bal)
            _add(row, S_INT_UNPAID, bal * rate)
            arr = arr + bal * rate
            d_cell = cell + 1
        else:  # pays this month's P&I
            sched = bal * am
            _add(row, S_SCHED_PRIN, sched)
            _add(row, S_INTEREST, bal * net)
            _add(row, S_SERVICING, bal * fee)
            bal = bal - sched
            if tr == TR_PREPAY or (bal <= 0.0 and am >= 1.0):
                if tr == TR_PREPAY:
                    _add(row, S_PREPAY, bal)
                    orow[O_PREPAID] += w
                    orow[O_PREPAID_T] += w * t
                else:
                    _add(row, S_MATURED, sched)
                    orow[O_MATURED] += w
                    orow[O_MATURED_T] += w * t
                _add(row, S_DEFERRED_PAID, dfr)
                _add(row, S_ARREARS_PAID, arr)
                d_cell = -1
    elif tr == TR_CURE:  # pays the arrears and this month's P&I; missed principal re-amortises
        _add(row, S_CURES, bal)
        _add(row, S_ARREARS_PAID, arr)
        sched = bal * am
        _add(row, S_SCHED_PRIN, sched)
        _add(row, S_INTEREST, bal * net)
        _add(row, S_SERVICING, bal * fee)
        orow[O_CURES] += w
        bal = bal - sched
        arr = 0.0
        d_cell = 0
        if bal <= 0.0:
            _add(row, S_MATURED, sched)
            _add(row, S_DEFERRED_PAID, dfr)
            orow[O_MATURED] += w
            orow[O_MATURED_T] += w * t
            d_cell = -1
    elif tr == TR_MOD:  # arrears capitalised, part forborne, new terms
        _add(row, S_MODS, bal)
        if branch == 0:
            orow[O_MODIFIED] += w
            orow[O_MODIFIED_T] += w * t
        _add(row, S_CAPITALIZED, arr)
        total = bal + arr
        forborne = total * hp[H_FORBEAR]
        bal = total - forborne
        dfr = dfr + forborne
        arr = 0.0
        d_cell = 0
        d_branch = 1
    elif tr == TR_DIL:
        _add(row, S_DIL, bal)
        _add(row, S_DIL_COST, w * hp[H_DIL_COST])
        arr = arr + w * hp[H_DIL_COST]
        orow[O_DIL] += w
        orow[O_DIL_T] += w * t
        _enter_reo(row, orow, t, w, bal, arr, dfr, value_now, reo0, t_reo, hp, dest)
        d_cell = int(dest[0])
    elif cell <= K:  # dq60 rolling, or dq90+ (k >= 3) rolling / missing again
        _add(row, S_INT_UNPAID, bal * rate)
        arr = arr + bal * rate
        if cell >= 3:
            _add(row, S_ADVANCES, ti)
            arr = arr + ti
        if tr == TR_ROLL and cell >= 3:  # referral to foreclosure
            _add(row, S_FC_STARTS, bal)
            if t_fc == 0:
                orow[O_FC_SALE] += w
                orow[O_FC_SALE_T] += w * t
                _enter_reo(row, orow, t, w, bal, arr, dfr, value_now, reo0, t_reo, hp, dest)
                d_cell = int(dest[0])
            else:
                d_cell = fc0
        elif cell < K:
            d_cell = cell + 1
    elif cell < reo0:  # foreclosure: stay (the timeline runs)
        legal = w * hp[H_LEGAL]
        _add(row, S_INT_UNPAID, bal * rate)
        _add(row, S_ADVANCES, ti)
        _add(row, S_LEGAL, legal)
        arr = arr + bal * rate + ti + legal
        f = cell - fc0 + 1
        if f >= t_fc:
            orow[O_FC_SALE] += w
            orow[O_FC_SALE_T] += w * t
            _enter_reo(row, orow, t, w, bal, arr, dfr, value_now, reo0, t_reo, hp, dest)
            d_cell = int(dest[0])
        else:
            d_cell = cell + 1
    else:  # REO: holding costs, then the sale
        hold = w * hp[H_HOLDING]
        _add(row, S_ADVANCES, ti)
        _add(row, S_HOLDING, hold)
        arr = arr + ti + hold
        g = cell - reo0 + 1
        if g >= t_reo:
            _sell(row, orow, t, w, bal, arr, dfr, value_now, hp)
            d_cell = -1
        else:
            d_cell = cell + 1
    dest[0] = d_cell
    dest[1] = d_branch
    dest[2] = bal
    dest[3] = arr
    dest[4] = dfr


# --------------------------------------------------------------------------
# per-loan schedules (computed once per loan, reused across paths)


@jit
def amort_schedule(out_am, rate_annual, maturity):
    """Fraction of the balance due as scheduled principal in each month t of a
    level-payment loan maturing in month ``maturity``: with n = maturity - t + 1
    payments left, c / ((1 + c)^n - 1) (1/n at a zero rate); 1 from maturity on."""
    c = rate_annual / 12.0
    # gm1 = (1 + c)^n - 1, kept without cancellation for tiny rates:
    # expm1/log1p once, then (1+c)^(n-1) - 1 = (gm1 - c) / (1 + c)
    gm1 = math.expm1(maturity * math.log1p(c))
    for t in range(1, out_am.shape[0]):
        n = maturity - t + 1
        if n <= 1:
            out_am[t] = 1.0
        elif c > 0.0:
            out_am[t] = c / gm1
        else:
            out_am[t] = 1.0 / n
        gm1 = (gm1 - c) / (1.0 + c)


@jit
def prepay_schedule(out_smm, code, table, by_age, age, rate_annual, turnover, start_month, mortgage_rate):
    """SMM of a current loan in each month t: a rate table (code 0) or the
    turnover + refinancing model (code 1; see config.PrepayTurnover)."""
    h = out_smm.shape[0]
    if code == 0:
        n = table.shape[0]
        for t in range(1, h):
            k = age + t if by_age else t
            out_smm[t] = table[k if k < n else n - 1]
        return
    base = turnover[0]
    ramp = turnover[1]
    refi_max = turnover[2]
    mid = turnover[3]
    slope = turnover[4]
    burnout = turnover[5]
    incentive = rate_annual - mortgage_rate
    refi = refi_max / (1.0 + math.exp(-(incentive - mid) / slope))
    pos = incentive if incentive > 0.0 else 0.0
    for t in range(1, h):
        season = turnover[6 + (start_month - 1 + t - 1) % 12]
        seasoning = (age + t) / ramp
        if seasoning > 1.0:
            seasoning = 1.0
        burn = math.exp(-burnout * pos * (t - 1) / 12.0)
        cpr = base * seasoning * season + refi * burn
        if cpr > 0.999:
            cpr = 0.999
        out_smm[t] = 1.0 - (1.0 - cpr) ** (1.0 / 12.0)


@jit
def _start_cell(status, behind, fc0, reo0, t_fc):
    """Starting cell from the tape (status codes as in engine.tape.STATUSES)."""
    if status == 5:  # reo
        return reo0
    if status == 4:  # foreclosure: months in it ~ payments behind past 4 (referral at ~120 days)
        if t_fc == 0:
            return reo0
        f = behind - 4
        if f < 0:
            f = 0
        if f > t_fc - 1:
            f = t_fc - 1
        return fc0 + f
    k = behind
    if status == 1 and k < 1:
        k = 1
    elif status == 2 and k < 2:
        k = 2
    elif status == 3 and k < 3:
        k = 3
    return k if k < K else K


# --------------------------------------------------------------------------
# the two integrations


@jit
def _loan_setup(
    l, H, balance, note_rate, servicing, term, age, mod_rate, mod_maturity, mods_on,
    smm_code, smm_table, smm_by_age, turnover, start_month, mortgage_rate,
    am0, am1, smm0, smm1, sched_frac,
):
    amort_schedule(am0, note_rate[l], term[l])
    prepay_schedule(smm0, smm_code, smm_table, smm_by_age, age[l], note_rate[l], turnover, start_month, mortgage_rate)
    if mods_on:
        amort_schedule(am1, mod_rate[l], mod_maturity[l])
        prepay_schedule(smm1, smm_code, smm_table, smm_by_age, age[l], mod_rate[l], turnover, start_month, mortgage_rate)
    sched_frac[0] = 1.0
    for t in range(1, H + 1):
        sched_frac[t] = sched_frac[t - 1] * (1.0 - am0[t])


@pjit
def simulate(
    sampled,  # bool: sampled (True) or expected (False) integration
    seed,
    path0,  # global index of the chunk's first path
    bounds,  # int64[b+1] loan block starts
    loan_index0,  # global index of loan 0 of these arrays
    # loans (l)
    balance, note_rate, servicing, term, age, status, behind, arrears, deferred,
    value0, t_fc, roll_mult, cure_mult, mod_rate, mod_maturity, mods_on,
    # prepayment
    smm_code, smm_table, smm_by_age, turnover, start_month, mortgage_rate,
    # hazards
    hp, ltv_knots, ltv_roll, ltv_cure, t_reo, fc_max,
    # paths (p, t): home-price index relative to today
    hpi,
    # outputs
    out,  # int64[b, p, t, c] zeroed
    out_loans,  # float64[l, N_O], added into
):
    n_blocks = bounds.shape[0] - 1
    n_paths = hpi.shape[0]
    H = hpi.shape[1] - 1
    fc0 = K + 1
    reo0 = K + 1 + fc_max
    n_cells = reo0 + max(t_reo, 1)
    for blk in prange(n_blocks):
        am = np.empty((2, H + 1))
        smm = np.empty((2, H + 1))
        sched_frac = np.empty(H + 1)
        probs = np.empty(N_TR)
        dest = np.empty(5)
        P = np.zeros((2, n_cells))
        B = np.zeros((2, n_cells))
        A = np.zeros((2, n_cells))
        D = np.zeros((2, n_cells))
        P2 = np.zeros((2, n_cells))
        B2 = np.zeros((2, n_cells))
        A2 = np.zeros((2, n_cells))
        D2 = np.zeros((2, n_cells))
        for l in range(bounds[blk], bounds[blk + 1]):
            # the sampled integration builds modified-terms schedules on a loan's first modification
            mod_ready = mods_on and not sampled
            _loan_setup(
                l, H, balance, note_rate, servicing, term, age, mod_rate, mod_maturity, mod_ready,
                smm_code, smm_table, smm_by_age, turnover, start_month, mortgage_rate,
                am[0], am[1], smm[0], smm[1], sched_frac,
            )
            rates = (note_rate[l] / 12.0, mod_rate[l] / 12.0)
            fees = servicing[l] / 12.0
            nets = (rates[0] - fees, rates[1] - fees)
            start = _start_cell(status[l], behind[l], fc0, reo0, t_fc[l])
            gl = loan_index0 + l
            orow = out_loans[l]
            for p in range(n_paths):
                gp = path0 + p
                if sampled:
                    s_cell = start
                    s_branch = 0
                    s_bal = balance[l]
                    s_arr = arrears[l]
                    s_dfr = deferred[l]
                else:
                    P[:, :] = 0.0
                    B[:, :] = 0.0
                    A[:, :] = 0.0
                    D[:, :] = 0.0
                    P[0, start] = 1.0
                    B[0, start] = balance[l]
                    A[0, start] = arrears[l]
                    D[0, start] = deferred[l]
                alive = True
                for t in range(1, H + 1):
                    row = out[blk, p, t]
                    value_now = value0[l] * hpi[p, t]
                    ltv = balance[l] * sched_frac[t - 1] / value_now if value_now > 0.0 else 10.0
                    if sampled:
                        u, _u2 = uniform_pair(seed, gp, gl, t, PURPOSE_TRANSITION)
                        if s_cell == 0:
                            a = am[s_branch, t]
                            _add(row, S_PREPAY_BASE, s_bal * (1.0 - a))
                            rm = roll_mult[l] * interp(ltv, ltv_knots, ltv_roll)
                            # TR_STAY's probability as exit_probs computes it
                            sm = smm[s_branch, t]
                            roll = hp[H_TO_DQ30] * rm
                            if s_branch == 1:
                                roll *= hp[H_MOD_ROLL_MULT]
                            if roll > 1.0 - sm:
                                roll = 1.0 - sm
                            if u < 1.0 - sm - roll and a < 1.0:
                                # the common step, written out: a current loan pays and stays
                                sched = s_bal * a
                                _add(row, S_SCHED_PRIN, sched)
                                _add(row, S_INTEREST, s_bal * nets[s_branch])
                                _add(row, S_SERVICING, s_bal * fees)
                                s_bal -= sched
                                _add(row, S_CURRENT_BAL, s_bal)
                                if s_branch == 1:
                                    _add(row, S_MODIFIED_BAL, s_bal)
                                if s_dfr != 0.0:
                                    _add(row, S_DEFERRED_BAL, s_dfr)
                                continue
                            exit_probs(probs, s_branch, 0, t_fc[l], fc0, reo0, sm, rm, 1.0, hp)
                        else:
                            cm = cure_mult[l] * interp(ltv, ltv_knots, ltv_cure)
                            exit_probs(probs, s_branch, s_cell, t_fc[l], fc0, reo0, smm[s_branch, t], 1.0, cm, hp)
                        tr = N_TR - 1
                        acc = 0.0
                        for j in range(N_TR):
                            acc += probs[j]
                            if u < acc:
                                tr = j
                                break
                        while probs[tr] <= 0.0 and tr > 0:  # u beyond a rounding-short total
                            tr -= 1
                        apply(
                            tr, 1.0, s_branch, s_cell, s_bal, s_arr, s_dfr, t, am[s_branch, t],
                            rates[s_branch], nets[s_branch], fees, fc0, reo0, t_fc[l], t_reo,
                            value0[l], value_now, hp, row, orow, dest,
                        )
                        s_cell = int(dest[0])
                        s_branch = int(dest[1])
                        s_bal = dest[2]
                        s_arr = dest[3]
                        s_dfr = dest[4]
                        if s_cell < 0:
                            alive = False
                            break
                        if s_branch == 1 and not mod_ready:
                            amort_schedule(am[1], mod_rate[l], mod_maturity[l])
                            prepay_schedule(
                                smm[1], smm_code, smm_table, smm_by_age, age[l], mod_rate[l],
                                turnover, start_month, mortgage_rate,
                            )
                            mod_ready = True
                        _book_balances(row, s_branch, s_cell, s_bal, s_dfr, reo0)
                    else:
                        rm = roll_mult[l] * interp(ltv, ltv_knots, ltv_roll)
                        cm = cure_mult[l] * interp(ltv, ltv_knots, ltv_cure)
                        P2[:, :] = 0.0
                        B2[:, :] = 0.0
                        A2[:, :] = 0.0
                        D2[:, :] = 0.0
                        mass = 0.0
                        for br in range(2):
                            for c in range(n_cells):
                                w = P[br, c]
                                if w <= 0.0:
                                    continue
                                if c == 0:
                                    _add(row, S_PREPAY_BASE, B[br, c] * (1.0 - am[br, t]))
                                exit_probs(probs, br, c, t_fc[l], fc0, reo0, smm[br, t], rm, cm, hp)
                                for tr in range(N_TR):
                                    q = probs[tr]
                                    if q <= 0.0:
                                        continue
                                    apply(
                                        tr, w * q, br, c, B[br, c] * q, A[br, c] * q, D[br, c] * q, t,
                                        am[br, t], rates[br], nets[br], fees, fc0, reo0, t_fc[l], t_reo,
                                        value0[l], value_now, hp, row, orow, dest,
                                    )
                                    dc = int(dest[0])
                                    if dc >= 0:
                                        db = int(dest[1])
                                        P2[db, dc] += w * q
                                        B2[db, dc] += dest[2]
                                        A2[db, dc] += dest[3]
                                        D2[db, dc] += dest[4]
                        for br in range(2):
                            for c in range(n_cells):
                                P[br, c] = P2[br, c]
                                B[br, c] = B2[br, c]
                                A[br, c] = A2[br, c]
                                D[br, c] = D2[br, c]
                                if P2[br, c] > 0.0:
                                    mass += P2[br, c]
                                    _book_balances(row, br, c, B2[br, c], D2[br, c], reo0)
                        if mass <= 1e-15:
                            alive = False
                            break
                if alive:
                    if sampled:
                        orow[O_UNRESOLVED] += 1.0
                    else:
                        for br in range(2):
                            for c in range(n_cells):
                                orow[O_UNRESOLVED] += P[br, c]
