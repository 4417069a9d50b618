"""SIFMA Standard Formulas cash flows with defaults, loan by loan.

Implements SIFMA Uniform Practices chapter SF, section C.3 ("Standard Formulas
for Computing Mortgage Cash Flows with Defaults") for each loan on its own
rate, age and remaining term, and sums the loans into per-month pool totals.
No loans x months array is ever built: each block of loans adds into its own
``months x columns`` slice, and the slices are reduced in block order.

Dimensions: l = loans, t = months (index 0 unused; month 1 is the first
payment), b = blocks, c = columns (the ``C_*`` constants).

Per loan, with r(i) = SCH(i)/SCH(i-1) the scheduled-balance survival ratio of
a level-payment loan at its gross note rate over its remaining term:

    NEW DEF(i)   = PERF(i-1) x MDR(i)                      (0 in the last L months)
    ADB(i)       = NEW DEF(i-L) x SCH(i-1)/SCH(i-1-L)      (advancing; else NEW DEF(i-L))
    EXP AM(i)    = (PERF(i-1) + FCL(i-1) - ADB(i)) x (1 - r)
    AM DEF(i)    = (NEW DEF(i) + FCL(i-1) - ADB(i)) x (1 - r)   (advancing; else 0)
    ACT AM(i)    = (PERF(i-1) - NEW DEF(i)) x (1 - r)
    VOL PREPAY(i)= PERF(i-1) x r x SMM(i), capped so PERF(i) >= 0
    FCL(i)       = NEW DEF(i) + FCL(i-1) - ADB(i) - AM DEF(i)
    PERF(i)      = PERF(i-1) - NEW DEF(i) - VOL PREPAY(i) - ACT AM(i)
    EXP INT(i)   = (PERF(i-1) + FCL(i-1)) x net/12
    LOST INT(i)  = (NEW DEF(i) + FCL(i-1)) x net/12
    ACT INT(i)   = EXP INT(i) - LOST INT(i)
    PRIN LOSS(i) = min(NEW DEF(i-L) x severity, ADB(i));  PRIN RECOV(i) = ADB(i) - PRIN LOSS(i)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..jit import jit, pjit, prange
from .amortization import level_payment
from .prepayment import table_rate

# per-month output columns (sums over loans)
C_PERF = 0  # performing balance at month end
C_NEWDEF = 1
C_FCL = 2  # foreclosure balance at month end
C_EXPAM = 3
C_VOL = 4
C_AMDEF = 5
C_ACTAM = 6
C_EXPINT = 7  # net rate
C_LOSTINT = 8
C_ACTINT = 9
C_RECOV = 10
C_LOSS = 11
C_ADB = 12
C_GROSSINT = 13  # gross-rate interest on the balance that pays interest
C_SERV = 14  # servicing fee on that balance
C_PREPAY_BASE = 15  # sum of PERF(i-1) x r(i): the base SMM applies to
C_DEFAULT_BASE = 16  # sum of PERF(i-1): the base MDR applies to
N_COLS = 17




class PoolLoans(NamedTuple):
    """The loan arrays the SIFMA kernel reads (l = loans)."""

    balance: np.ndarray  # float64[l] [currency]
    gross_rate: np.ndarray  # float64[l] note rate [annual decimal]
    servicing: np.ndarray  # float64[l] servicing strip [annual decimal]
    term: np.ndarray  # int64[l] remaining term [months]
    age: np.ndarray  # int64[l] [months]


class Speeds(NamedTuple):
    """Prepayment and default rate tables (see engine.kernels.prepayment)."""

    smm_table: np.ndarray  # float64[k] monthly SMM
    smm_by_age: bool
    mdr_table: np.ndarray  # float64[k] monthly MDR
    mdr_by_age: bool


class LossTerms(NamedTuple):
    """Loss given default, SIFMA SF C.2.f-g."""

    severity: float  # loss / balance at default [decimal]
    lag: int  # months from default to liquidation
    advancing: bool  # servicer advances P&I on loans in foreclosure


@jit
def project_loan(
    out,  # float64[t, c], added into
    ring_q,  # float64[L+1] scratch
    ring_def,  # float64[L+1] scratch
    balance,
    gross_rate,
    servicing,
    term,
    age,
    speeds,
    loss,
):
    """Add one loan's SIFMA SF C.3 cash flows into ``out`` (months 1..term).

    The scheduled balance S(i) = S(i-1) (1 + c) - level_payment(c, term) runs
    inline; ``engine.kernels.amortization.amort_schedule`` is its closed form
    (a test pins the two)."""
    severity = loss.severity
    lag = loss.lag
    advancing = loss.advancing
    c = gross_rate / 12.0
    net = (gross_rate - servicing) / 12.0
    fee = servicing / 12.0
    pmt = level_payment(c, term)  # per unit of current balance over the remaining term
    ring_len = lag + 1
    for j in range(ring_len):
        ring_q[j] = 0.0
        ring_def[j] = 0.0

    perf = balance
    fcl = 0.0
    s_prev = 1.0  # SCH(i-1), scheduled balance per unit of today's balance
    slot = 0  # i % ring_len, kept by increment (no integer division in the loop)
    for i in range(1, term + 1):
        slot += 1
        if slot == ring_len:
            slot = 0
        if perf <= 0.0 and fcl <= 0.0:
            break
        if i == term:
            s_cur = 0.0
        else:
            s_cur = s_prev * (1.0 + c) - pmt
            if s_cur < 0.0:
                s_cur = 0.0
        r = s_cur / s_prev if s_prev > 0.0 else 0.0
        am = 1.0 - r

        # new defaults (SF C.3, C.3.j: none in the last `lag` months)
        if i <= term - lag:
            mdr = table_rate(speeds.mdr_table, speeds.mdr_by_age, age, i)
        else:
            mdr = 0.0
        new_def = perf * mdr
        ring_def[slot] = new_def
        ring_q[slot] = new_def / s_prev if s_prev > 0.0 else 0.0

        # liquidation of the cohort that defaulted `lag` months ago: (i - lag) % ring_len
        old = slot + 1 if slot + 1 < ring_len else 0
        if i > lag:  # with lag 0 this is the cohort that defaulted just now
            def_old = ring_def[old]
            adb = ring_q[old] * s_prev if advancing else def_old
        else:
            def_old = 0.0
            adb = 0.0
        loss = def_old * severity
        if loss > adb:
            loss = adb
        recov = adb - loss

        exp_am = (perf + fcl - adb) * am
        am_def = (new_def + fcl - adb) * am if advancing else 0.0
        act_am = (perf - new_def) * am
        smm = table_rate(speeds.smm_table, speeds.smm_by_age, age, i)
        vol = perf * r * smm
        room = perf - new_def - act_am
        if vol > room:
            vol = room
        if vol < 0.0:
            vol = 0.0

        exp_int = (perf + fcl) * net
        lost_int = (new_def + fcl) * net
        act_int = exp_int - lost_int
        paying = (perf + fcl) if advancing else (perf - new_def)

        o = out[i]
        o[C_NEWDEF] += new_def
        o[C_EXPAM] += exp_am
        o[C_VOL] += vol
        o[C_AMDEF] += am_def
        o[C_ACTAM] += act_am
        o[C_EXPINT] += exp_int
        o[C_LOSTINT] += lost_int
        o[C_ACTINT] += act_int
        o[C_RECOV] += recov
        o[C_LOSS] += loss
        o[C_ADB] += adb
        o[C_GROSSINT] += paying * c
        o[C_SERV] += paying * fee
        o[C_PREPAY_BASE] += perf * r
        o[C_DEFAULT_BASE] += perf

        fcl = new_def + fcl - adb - am_def
        if fcl < 0.0:
            fcl = 0.0
        perf = perf - new_def - vol - act_am
        if perf < 0.0:
            perf = 0.0
        o[C_PERF] += perf
        o[C_FCL] += fcl
        s_prev = s_cur


@pjit
def project_pool(
    bounds,  # int64[b+1] block starts
    loans,  # PoolLoans of float64/int64[l]
    speeds,  # Speeds
    loss,  # LossTerms
    out,  # float64[b, t, c] zeroed
):
    """SIFMA SF C.3 pool cash flows: each block of loans sums into ``out[b]``."""
    n_blocks = bounds.shape[0] - 1
    for b in prange(n_blocks):
        ring_q = np.empty(loss.lag + 1)
        ring_def = np.empty(loss.lag + 1)
        ob = out[b]
        for l in range(bounds[b], bounds[b + 1]):
            project_loan(
                ob,
                ring_q,
                ring_def,
                loans.balance[l],
                loans.gross_rate[l],
                loans.servicing[l],
                loans.term[l],
                loans.age[l],
                speeds,
                loss,
            )
