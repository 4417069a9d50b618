"""The state model's two integrations over one chunk of paths.

- **sampled**: each loan on each path draws one transition a month from a
  counter-based uniform keyed by (seed, path, loan, month, purpose);
- **expected**: every transition's fraction moves at once.

Both call the same hazard model (:func:`.hazard.exit_probs`) and the same
accounting (:func:`.accounting.apply`); see :mod:`.state` for the layout.
The sampled integration can also write per-loan holder cash flows and
outcomes (:mod:`.holder`) in the same pass, without changing any other output.

Dimensions: l = loans, p = paths (of the chunk), t = months (index 0
unused), b = loan blocks, c = columns (``S_*``).
"""

from __future__ import annotations

import numpy as np

from ..jit import jit, pjit, prange
from .accounting import add, apply, book_balances, tick
from .amortization import amort_schedule
from .hazard import exit_probs, interp
from .holder import R_DEED_IN_LIEU, R_FORECLOSURE, R_MODIFIED, R_PERFORMING, R_UNRESOLVED, holder_cash
from .prepayment import prepay_schedule, refi_smm_path
from .rng import PURPOSE_TRANSITION, uniform_pair
from .state import (
    H_MOD_ROLL_MULT, H_TO_DQ30, K, MAX_PATH_TICKS, N_O, N_TR, O_LIQ_BAL, O_NET_LOSS, O_OVERFLOW, O_UNRESOLVED,
    PROB_TICKS, loan_tick_scale, S_CURRENT_BAL, S_DEFERRED_BAL,
    S_INTEREST, S_MODIFIED_BAL, S_PREPAY_BASE, S_SCHED_PRIN, S_SERVICING, TR_CURE, TR_DIL, TR_PREPAY,
    TR_STAY, cell_layout,
)


@jit
def _start_cell(status, behind, fc0, reo0, t_fc):
    """Starting cell from the tape (status codes as in engine.inputs.tape.STATUSES)."""
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


@jit
def _loan_setup(l, H, loans, prepay, mods_on, am0, am1, smm0, smm1, sched_frac):
    """Loan ``l``'s schedules, reused across paths: amortisation fractions and
    SMMs on original (and, with ``mods_on``, modified) terms, and the
    scheduled-balance factor of original terms."""
    amort_schedule(am0, loans.note_rate[l], loans.term[l])
    prepay_schedule(smm0, prepay, loans.age[l], loans.note_rate[l])
    if mods_on:
        _modified_setup(l, loans, prepay, am1, smm1)
    sched_frac[0] = 1.0
    for t in range(1, H + 1):
        sched_frac[t] = sched_frac[t - 1] * (1.0 - am0[t])


@jit
def _modified_setup(l, loans, prepay, am1, smm1):
    """Loan ``l``'s schedules on modified terms."""
    amort_schedule(am1, loans.mod_rate[l], loans.mod_maturity[l])
    prepay_schedule(smm1, prepay, loans.age[l], loans.mod_rate[l])


@jit
def _path_smm(l, loans, prepay, mortgage_rate, smm0, smm1, modified):
    """Loan ``l``'s SMMs on one rate path (``mortgage_rate[t]``): original terms,
    and modified terms when ``modified`` (burnout measured on each branch's rate)."""
    refi_smm_path(smm0, prepay, loans.age[l], loans.note_rate[l], mortgage_rate)
    if modified:
        refi_smm_path(smm1, prepay, loans.age[l], loans.mod_rate[l], mortgage_rate)


@pjit
def simulate(
    sampled,  # bool: sampled (True) or expected (False) integration
    seed,
    path0,  # global index of the chunk's first path
    bounds,  # int64[b+1] loan block starts
    loan_index0,  # global index of loan 0 of these arrays
    loans,  # LoanArrays (l)
    prepay,  # PrepayParams
    hazard,  # HazardParams
    # paths (p, t): home-price index relative to today
    hpi,
    # paths (p, t): market mortgage rate of month t on rate paths; (0, 0): the flat rate
    mortgage_rate,
    # outputs
    out,  # int64[b, p, t, c] zeroed
    out_loans,  # int64[l, N_O] fixed-point ticks (see engine.kernels.state), added into
    holder,  # HolderArrays: per-loan cash (l, p, t), outcome and month (l, p); sampled only, if on
):
    n_blocks = bounds.shape[0] - 1
    n_paths = hpi.shape[0]
    H = hpi.shape[1] - 1
    fc0, reo0, n_cells = cell_layout(hazard.fc_max, hazard.t_reo)
    hp = hazard.hp
    t_reo = hazard.t_reo
    mods_on = hazard.mods_on
    balance = loans.balance
    t_fc = loans.t_fc
    value0 = loans.value0
    hold = holder.on and sampled
    fee_p = tick(holder.fee_performing)
    fee_np = tick(holder.fee_nonperforming)
    # bound outside the prange: a write through `holder.cf[...]` inside it is lost (seen with numba 0.68)
    h_cf = holder.cf
    h_outcome = holder.outcome
    h_resolved = holder.resolved
    rate_paths = mortgage_rate.shape[0] > 0
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
        orow = np.zeros(N_O)  # one path's outcomes of one loan, then added to out_loans as ticks
        for l in range(bounds[blk], bounds[blk + 1]):
            # the sampled integration builds modified-terms schedules on a loan's first modification
            mod_ready = mods_on and not sampled
            _loan_setup(l, H, loans, prepay, mod_ready, am[0], am[1], smm[0], smm[1], sched_frac)
            rates = (loans.note_rate[l] / 12.0, loans.mod_rate[l] / 12.0)
            fees = loans.servicing[l] / 12.0
            nets = (rates[0] - fees, rates[1] - fees)
            start = _start_cell(loans.status[l], loans.behind[l], fc0, reo0, t_fc[l])
            gl = loan_index0 + l
            money_scale = loan_tick_scale(balance[l], loans.arrears[l], loans.deferred[l], value0[l])
            for p in range(n_paths):
                gp = path0 + p
                orow[:] = 0.0
                if rate_paths:
                    _path_smm(l, loans, prepay, mortgage_rate[p], smm[0], smm[1], mod_ready)
                if sampled:
                    s_cell = start
                    s_branch = 0
                    s_bal = balance[l]
                    s_arr = loans.arrears[l]
                    s_dfr = loans.deferred[l]
                else:
                    P[:, :] = 0.0
                    B[:, :] = 0.0
                    A[:, :] = 0.0
                    D[:, :] = 0.0
                    P[0, start] = 1.0
                    B[0, start] = balance[l]
                    A[0, start] = loans.arrears[l]
                    D[0, start] = loans.deferred[l]
                alive = True
                via_dil = False  # holder outcome: the property came by deed-in-lieu
                h_cash0 = 0
                h_fee = 0
                for t in range(1, H + 1):
                    row = out[blk, p, t]
                    value_now = value0[l] * hpi[p, t]
                    ltv = balance[l] * sched_frac[t - 1] / value_now if value_now > 0.0 else 10.0
                    if sampled:
                        if hold:
                            h_cash0 = holder_cash(row)
                            h_fee = fee_p if s_cell == 0 else fee_np
                        u, _u2 = uniform_pair(seed, gp, gl, t, PURPOSE_TRANSITION)
                        if s_cell == 0:
                            a = am[s_branch, t]
                            add(row, S_PREPAY_BASE, s_bal * (1.0 - a))
                            rm = loans.roll_mult[l] * interp(ltv, hazard.ltv_knots, hazard.ltv_roll)
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
                                add(row, S_SCHED_PRIN, sched)
                                add(row, S_INTEREST, s_bal * nets[s_branch])
                                add(row, S_SERVICING, s_bal * fees)
                                s_bal -= sched
                                add(row, S_CURRENT_BAL, s_bal)
                                if s_branch == 1:
                                    add(row, S_MODIFIED_BAL, s_bal)
                                if s_dfr != 0.0:
                                    add(row, S_DEFERRED_BAL, s_dfr)
                                if hold:
                                    h_cf[l, p, t] = holder_cash(row) - h_cash0 - h_fee
                                continue
                            exit_probs(probs, s_branch, 0, t_fc[l], fc0, reo0, sm, rm, 1.0, hp)
                        else:
                            cm = loans.cure_mult[l] * interp(ltv, hazard.ltv_knots, hazard.ltv_cure)
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
                        old_cell = s_cell
                        s_cell = int(dest[0])
                        s_branch = int(dest[1])
                        s_bal = dest[2]
                        s_arr = dest[3]
                        s_dfr = dest[4]
                        if hold:
                            h_cf[l, p, t] = holder_cash(row) - h_cash0 - h_fee
                            if tr == TR_DIL:
                                via_dil = True
                            if s_cell < 0:
                                # paid off (prepaid, or matured paying) or sold out of REO
                                if tr == TR_PREPAY or tr == TR_CURE or (old_cell <= 2 and tr == TR_STAY):
                                    h_outcome[l, p] = R_MODIFIED if s_branch == 1 else R_PERFORMING
                                elif via_dil:
                                    h_outcome[l, p] = R_DEED_IN_LIEU
                                else:
                                    h_outcome[l, p] = R_FORECLOSURE
                                h_resolved[l, p] = t
                        if s_cell < 0:
                            alive = False
                            break
                        if s_branch == 1 and not mod_ready:
                            _modified_setup(l, loans, prepay, am[1], smm[1])
                            if rate_paths:
                                refi_smm_path(smm[1], prepay, loans.age[l], loans.mod_rate[l], mortgage_rate[p])
                            mod_ready = True
                        book_balances(row, s_branch, s_cell, s_bal, s_dfr, reo0)
                    else:
                        rm = loans.roll_mult[l] * interp(ltv, hazard.ltv_knots, hazard.ltv_roll)
                        cm = loans.cure_mult[l] * interp(ltv, hazard.ltv_knots, hazard.ltv_cure)
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
                                    add(row, S_PREPAY_BASE, B[br, c] * (1.0 - am[br, t]))
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
                                    book_balances(row, br, c, B2[br, c], D2[br, c], reo0)
                        if mass <= 1e-15:
                            alive = False
                            break
                if alive:
                    if sampled:
                        orow[O_UNRESOLVED] += 1.0
                        if hold:
                            h_outcome[l, p] = R_UNRESOLVED
                            h_resolved[l, p] = H
                    else:
                        for br in range(2):
                            for c in range(n_cells):
                                orow[O_UNRESOLVED] += P[br, c]
                for j in range(O_OVERFLOW):
                    scale = money_scale if j == O_LIQ_BAL or j == O_NET_LOSS else PROB_TICKS
                    v = np.floor(orow[j] * scale + 0.5)
                    if abs(v) < MAX_PATH_TICKS:
                        out_loans[l, j] += np.int64(v)
                    else:
                        out_loans[l, O_OVERFLOW] += 1
