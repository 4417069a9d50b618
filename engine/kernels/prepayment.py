"""Prepayment (and default) speeds inside the kernels: the one home of the
rate-table lookup, the CPR -> SMM step and the turnover + refinancing model.

Speeds reach a kernel as a :class:`PrepayParams` group whose ``model`` is an
integer code (``PREPAY_TABLE`` or ``PREPAY_TURNOVER``), chosen in Python by
:mod:`engine.behavior.prepayment`; no Python objects or jitted callables are
passed, so the kernels cache.

Rate tables (built by :mod:`engine.behavior.speeds`): with ``by_age`` the
rate of the payment at which the loan's age reaches k is ``table[k]``
(tape age a, projection month m: k = a + m); otherwise ``table[m]``. Indexes
past the end use the last entry.

Dimensions: t = months (index 0 unused).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..jit import jit

PREPAY_TABLE = 0  # a rate table (PSA, CPR, SMM, vector, none)
PREPAY_TURNOVER = 1  # turnover x seasoning x seasonality + refinancing S-curve with burnout


class PrepayParams(NamedTuple):
    """A prepayment model as the kernels read it (one group, named fields).

    ``model`` picks the formula; a table model reads ``table``/``by_age``, the
    turnover model the rest. Rates are annual decimals unless named monthly.
    """

    model: int  # PREPAY_TABLE or PREPAY_TURNOVER
    table: np.ndarray  # float64[k] monthly SMM by age or by month
    by_age: bool
    base_cpr: float  # turnover CPR once seasoned [annual decimal]
    ramp_months: float  # seasoning ramp [months]
    refi_max_cpr: float  # the S-curve's ceiling [annual decimal]
    refi_midpoint: float  # incentive at half the ceiling [annual decimal]
    refi_slope: float  # S-curve width [annual decimal]
    burnout: float  # decay per rate-year of past positive incentive
    seasonality: np.ndarray  # float64[12] month-of-year factors, January first
    start_month: int  # calendar month (1-12) of projection month 1
    mortgage_rate: float  # market rate the incentive is measured against [annual decimal]


@jit
def table_rate(table, by_age, age, month):
    """Monthly rate of projection ``month`` for a loan of tape ``age`` [decimal]."""
    k = age + month if by_age else month
    if k >= table.shape[0]:
        k = table.shape[0] - 1
    return table[k]


@jit
def smm_from_cpr(cpr_annual):
    """SMM = 1 - (1 - CPR)^(1/12) [SIFMA SF B.2.b]; the kernels' copy of
    :func:`engine.behavior.speeds.cpr_to_smm` (a test pins the two)."""
    return 1.0 - (1.0 - cpr_annual) ** (1.0 / 12.0)


@jit
def prepay_schedule(out_smm, prepay, age, rate_annual):
    """SMM of a current loan of tape ``age`` and note rate ``rate_annual`` in
    each month t >= 1 (``out_smm[t]``).

    Turnover model (Richard & Roll 1989)::

        CPR = base_cpr x min(1, age_t / ramp_months) x seasonality[calendar month]
              + refi_max_cpr x burnout_t / (1 + exp(-(incentive - refi_midpoint) / refi_slope))
        incentive = note rate - mortgage rate;  burnout_t = exp(-burnout x max(incentive, 0) x (t - 1) / 12)

    capped at 99.9% CPR.
    """
    h = out_smm.shape[0]
    if prepay.model == PREPAY_TABLE:
        for t in range(1, h):
            out_smm[t] = table_rate(prepay.table, prepay.by_age, age, t)
        return
    incentive = rate_annual - prepay.mortgage_rate
    refi = prepay.refi_max_cpr / (1.0 + math.exp(-(incentive - prepay.refi_midpoint) / prepay.refi_slope))
    pos = incentive if incentive > 0.0 else 0.0
    for t in range(1, h):
        season = prepay.seasonality[(prepay.start_month - 1 + t - 1) % 12]
        seasoning = (age + t) / prepay.ramp_months
        if seasoning > 1.0:
            seasoning = 1.0
        burn = math.exp(-prepay.burnout * pos * (t - 1) / 12.0)
        cpr = prepay.base_cpr * seasoning * season + refi * burn
        if cpr > 0.999:
            cpr = 0.999
        out_smm[t] = smm_from_cpr(cpr)
