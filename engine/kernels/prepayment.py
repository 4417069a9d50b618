"""Prepayment (and default) speeds inside the kernels: the one home of the
rate-table lookup, the CPR -> SMM step and the turnover + refinancing model
(on a flat market rate, :func:`prepay_schedule`, or on a path of market
rates, :func:`refi_smm_path`).

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

MAX_CPR = 0.999  # the turnover + refinancing model's CPR cap [annual decimal]


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
def turnover_cpr(prepay, age, t):
    """Turnover CPR of projection month ``t`` for a loan of tape ``age``
    [annual decimal]: ``base_cpr x min(1, (age + t) / ramp_months) x
    seasonality[calendar month of t]``."""
    season = prepay.seasonality[(prepay.start_month - 1 + t - 1) % 12]
    seasoning = (age + t) / prepay.ramp_months
    if seasoning > 1.0:
        seasoning = 1.0
    return prepay.base_cpr * seasoning * season


@jit
def refi_cpr(prepay, incentive):
    """Refinancing S-curve before burnout [annual decimal CPR]:
    ``refi_max_cpr / (1 + exp(-(incentive - refi_midpoint) / refi_slope))``,
    ``incentive`` = note rate - market mortgage rate [annual decimal]."""
    return prepay.refi_max_cpr / (1.0 + math.exp(-(incentive - prepay.refi_midpoint) / prepay.refi_slope))


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
    refi = refi_cpr(prepay, incentive)
    pos = incentive if incentive > 0.0 else 0.0
    for t in range(1, h):
        burn = math.exp(-prepay.burnout * pos * (t - 1) / 12.0)
        cpr = turnover_cpr(prepay, age, t) + refi * burn
        if cpr > MAX_CPR:
            cpr = MAX_CPR
        out_smm[t] = smm_from_cpr(cpr)


@jit
def refi_smm_path(out_smm, prepay, age, rate_annual, mortgage_rate):
    """SMM of a current loan in each month t >= 1 (``out_smm[t]``) on one
    path of market mortgage rates.

    Parameters
    ----------
    out_smm : float64[t], filled from index 1
    prepay : PrepayParams (``mortgage_rate`` is not read)
    age : tape age [months]
    rate_annual : the loan's note rate [annual decimal]
    mortgage_rate : float64[t] the path's market mortgage rate read at the
        start of month t [annual decimal]; index 0 unused

    The turnover + refinancing model of :func:`prepay_schedule`, month by
    month::

        incentive_t = rate_annual - mortgage_rate[t]
        CPR_t = turnover_cpr(age, t) + refi_cpr(incentive_t) x exp(-burnout x B_t)
        B_t = sum_{j < t} max(incentive_j, 0) / 12     [rate-years, B_1 = 0]

    capped at 99.9% CPR. ``B_t`` is the positive incentive accumulated
    along the path before month t (burnout is carried per loan and path;
    loans with the same note rate share it on a path). With a constant
    market rate ``B_t = max(incentive, 0) (t - 1) / 12``, the flat-rate
    formula of :func:`prepay_schedule` (equal up to the rounding of the
    running sum). Rate-table models ignore the path.
    """
    h = out_smm.shape[0]
    if prepay.model == PREPAY_TABLE:
        for t in range(1, h):
            out_smm[t] = table_rate(prepay.table, prepay.by_age, age, t)
        return
    burnout = prepay.burnout
    past = 0.0  # sum of past positive incentives [annual decimal x months]
    for t in range(1, h):
        incentive = rate_annual - mortgage_rate[t]
        refi = refi_cpr(prepay, incentive)
        if burnout > 0.0:
            refi *= math.exp(-burnout * past / 12.0)
        cpr = turnover_cpr(prepay, age, t) + refi
        if cpr > MAX_CPR:
            cpr = MAX_CPR
        out_smm[t] = smm_from_cpr(cpr)
        if incentive > 0.0:
            past += incentive
