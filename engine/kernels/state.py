"""The loan-level state model's array layout: cells, transitions, columns, groups.

The model itself is one hazard model (:mod:`.hazard`), one accounting of
flows (:mod:`.accounting`) and two integrations (:mod:`.integration`).

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
from typing import NamedTuple

import numpy as np

from ..jit import jit

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
O_OVERFLOW = 16  # paths whose outcomes could not be held as ticks (0 unless an amount is absurd)
N_O = 17

# Each path's per-loan outcomes are added up in float64 within the path, then
# added to the int64 per-loan sums as fixed-point ticks, so that the sums
# over paths are exact in any order and do not depend on how paths are split
# into chunks or tasks. Probabilities, months and counts are held in units
# of 2^-40; the two currency columns in units of 2^-40 of the loan's own
# amount rounded up to a power of two (:func:`loan_tick_scale`). Either way
# a path's value stays below 2^51 ticks (a task runs at most 4096 paths: no
# int64 overflow); one that would not is counted in O_OVERFLOW instead.
PROB_TICKS = 2.0**40
MAX_PATH_TICKS = 2.0**51
O_CURRENCY = (O_LIQ_BAL, O_NET_LOSS)


@jit
def loan_tick_scale(balance, arrears, deferred, value0):
    """Ticks per currency unit of a loan's currency outcomes: 2^(40 - e),
    with 2^e the power of two just above its amount (and above 1)."""
    _, e = math.frexp(balance + arrears + deferred + value0 + 1.0)
    return math.ldexp(1.0, 40 - e)


def loan_tick_scales(loans) -> np.ndarray:
    """:func:`loan_tick_scale` of every loan of a ``LoanArrays`` (the same float operations)."""
    _, e = np.frexp(loans.balance + loans.arrears + loans.deferred + loans.value0 + 1.0)
    return np.ldexp(1.0, 40 - e)

# --- hazard parameters (float64 vector, built by engine.behavior.hazard) ----
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


class LoanArrays(NamedTuple):
    """Per-loan inputs of the state kernels (l = loans); built by
    :func:`engine.behavior.hazard.loan_arrays`."""

    balance: np.ndarray  # float64[l] [currency]
    note_rate: np.ndarray  # float64[l] gross [annual decimal]
    servicing: np.ndarray  # float64[l] strip [annual decimal]
    term: np.ndarray  # int64[l] remaining term [months]
    age: np.ndarray  # int64[l] [months]
    status: np.ndarray  # int64[l] tape status code (engine.inputs.tape.STATUSES)
    behind: np.ndarray  # int64[l] payments behind
    arrears: np.ndarray  # float64[l] unpaid interest + advances owed [currency]
    deferred: np.ndarray  # float64[l] non-interest-bearing balance [currency]
    value0: np.ndarray  # float64[l] property value today [currency]
    t_fc: np.ndarray  # int64[l] foreclosure timeline [months]
    roll_mult: np.ndarray  # float64[l] loan multiplier of the roll hazard
    cure_mult: np.ndarray  # float64[l] loan multiplier of the cure hazards
    mod_rate: np.ndarray  # float64[l] rate after a modification [annual decimal]
    mod_maturity: np.ndarray  # int64[l] projection month modified loans amortise to


class HazardParams(NamedTuple):
    """Loan-independent hazard inputs; built by :func:`engine.behavior.hazard.hazard_params`."""

    hp: np.ndarray  # float64[N_H], indexed by the H_* constants
    ltv_knots: np.ndarray  # float64[k] mark-to-market LTV knots
    ltv_roll: np.ndarray  # float64[k] roll multiplier at the knots
    ltv_cure: np.ndarray  # float64[k] cure multiplier at the knots
    t_reo: int  # REO marketing time [months]
    fc_max: int  # longest foreclosure timeline of the tape [months]
    mods_on: bool  # any modification probability > 0


@jit
def cell_layout(fc_max, t_reo):
    """``(fc0, reo0, n_cells)``: first foreclosure cell, first REO cell, cell count."""
    fc0 = K + 1
    reo0 = K + 1 + fc_max
    return fc0, reo0, reo0 + max(t_reo, 1)
