"""The state model's accounting: move a fraction of a cell along a
transition and book its cash flows into int64 tick columns.

Shared verbatim by both integrations (:mod:`.integration`).
"""

from __future__ import annotations

import math

from ..jit import jit
from .state import (
    H_DIL_COST, H_FORBEAR, H_HOLDING, H_LEGAL, H_SELLING, H_SEVERITY, H_TI_RATE, K,
    O_CURES, O_DIL, O_DIL_T, O_FC_SALE, O_FC_SALE_T, O_LIQ_BAL, O_LIQUIDATED, O_LIQUIDATED_T,
    O_MATURED, O_MATURED_T, O_MODIFIED, O_MODIFIED_T, O_NET_LOSS, O_PREPAID, O_PREPAID_T,
    S_ADVANCES, S_ARREARS_PAID, S_CAPITALIZED, S_CURES, S_CURRENT_BAL, S_DEFERRED_BAL,
    S_DEFERRED_PAID, S_DIL, S_DIL_COST, S_DQ30_BAL, S_DQ60_BAL, S_DQ90_BAL, S_FC_BAL,
    S_FC_STARTS, S_HOLDING, S_INT_UNPAID, S_INTEREST, S_LEGAL, S_LIQ_BAL, S_MATURED,
    S_MODIFIED_BAL, S_MODS, S_NET_LOSS, S_NEW_DQ, S_PREPAY, S_PRIN_LOSS, S_PRIN_RECOV,
    S_PROCEEDS, S_REO_BAL, S_REO_IN, S_SCHED_PRIN, S_SERVICING, TICKS, TR_CURE, TR_DIL,
    TR_MOD, TR_PREPAY, TR_ROLL, TR_STAY,
)


@jit
def tick(x):
    """``x`` [currency] in int64-valued ticks of 1 / TICKS, rounded half up."""
    return math.floor(x * TICKS + 0.5)


@jit
def add(row, col, x):
    """Add ``x`` [currency] to column ``col`` of a tick row."""
    row[col] += tick(x)


@jit
def book_balances(row, branch, cell, bal, dfr, reo0):
    """Month-end balance of a live cell into the by-state columns."""
    if cell == 0:
        add(row, S_CURRENT_BAL, bal)
        if branch == 1:
            add(row, S_MODIFIED_BAL, bal)
    elif cell == 1:
        add(row, S_DQ30_BAL, bal)
    elif cell == 2:
        add(row, S_DQ60_BAL, bal)
    elif cell <= K:
        add(row, S_DQ90_BAL, bal)
    elif cell < reo0:
        add(row, S_FC_BAL, bal)
    else:
        add(row, S_REO_BAL, bal)
    add(row, S_DEFERRED_BAL, dfr)


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
    add(row, S_LIQ_BAL, owed)
    add(row, S_PROCEEDS, proceeds)
    add(row, S_PRIN_RECOV, recov)
    add(row, S_PRIN_LOSS, owed - recov)
    add(row, S_NET_LOSS, net_loss)
    orow[O_LIQUIDATED] += w
    orow[O_LIQUIDATED_T] += w * t
    orow[O_LIQ_BAL] += owed
    orow[O_NET_LOSS] += net_loss


@jit
def _enter_reo(row, orow, t, w, bal, arr, dfr, value_now, reo0, t_reo, hp, dest):
    """Title passes to the holder (foreclosure sale or deed-in-lieu)."""
    add(row, S_REO_IN, bal + dfr)
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
            add(row, S_NEW_DQ, bal)
            add(row, S_INT_UNPAID, bal * rate)
            arr = arr + bal * rate
            d_cell = cell + 1
        else:  # pays this month's P&I
            sched = bal * am
            add(row, S_SCHED_PRIN, sched)
            add(row, S_INTEREST, bal * net)
            add(row, S_SERVICING, bal * fee)
            bal = bal - sched
            if tr == TR_PREPAY or (bal <= 0.0 and am >= 1.0):
                if tr == TR_PREPAY:
                    add(row, S_PREPAY, bal)
                    orow[O_PREPAID] += w
                    orow[O_PREPAID_T] += w * t
                else:
                    add(row, S_MATURED, sched)
                    orow[O_MATURED] += w
                    orow[O_MATURED_T] += w * t
                add(row, S_DEFERRED_PAID, dfr)
                add(row, S_ARREARS_PAID, arr)
                d_cell = -1
    elif tr == TR_CURE:  # pays the arrears and this month's P&I; missed principal re-amortises
        add(row, S_CURES, bal)
        add(row, S_ARREARS_PAID, arr)
        sched = bal * am
        add(row, S_SCHED_PRIN, sched)
        add(row, S_INTEREST, bal * net)
        add(row, S_SERVICING, bal * fee)
        orow[O_CURES] += w
        bal = bal - sched
        arr = 0.0
        d_cell = 0
        if bal <= 0.0:
            add(row, S_MATURED, sched)
            add(row, S_DEFERRED_PAID, dfr)
            orow[O_MATURED] += w
            orow[O_MATURED_T] += w * t
            d_cell = -1
    elif tr == TR_MOD:  # arrears capitalised, part forborne, new terms
        add(row, S_MODS, bal)
        if branch == 0:
            orow[O_MODIFIED] += w
            orow[O_MODIFIED_T] += w * t
        add(row, S_CAPITALIZED, arr)
        total = bal + arr
        forborne = total * hp[H_FORBEAR]
        bal = total - forborne
        dfr = dfr + forborne
        arr = 0.0
        d_cell = 0
        d_branch = 1
    elif tr == TR_DIL:
        add(row, S_DIL, bal)
        add(row, S_DIL_COST, w * hp[H_DIL_COST])
        arr = arr + w * hp[H_DIL_COST]
        orow[O_DIL] += w
        orow[O_DIL_T] += w * t
        _enter_reo(row, orow, t, w, bal, arr, dfr, value_now, reo0, t_reo, hp, dest)
        d_cell = int(dest[0])
    elif cell <= K:  # dq60 rolling, or dq90+ (k >= 3) rolling / missing again
        add(row, S_INT_UNPAID, bal * rate)
        arr = arr + bal * rate
        if cell >= 3:
            add(row, S_ADVANCES, ti)
            arr = arr + ti
        if tr == TR_ROLL and cell >= 3:  # referral to foreclosure
            add(row, S_FC_STARTS, bal)
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
        add(row, S_INT_UNPAID, bal * rate)
        add(row, S_ADVANCES, ti)
        add(row, S_LEGAL, legal)
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
        add(row, S_ADVANCES, ti)
        add(row, S_HOLDING, hold)
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
