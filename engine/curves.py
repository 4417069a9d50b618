"""Prepayment and default rate curves (SIFMA SF sections B.2 and C.4).

Each assumption becomes a *rate table* the kernels read with one integer
index, so no ``pow`` runs inside the loan loop:

- ``by_age=True``: ``table[k]`` is the monthly rate for the payment at which
  the loan's age reaches ``k`` (SIFMA's MONTH: age goes from k-1 to k).
  A loan of tape age ``a`` uses ``k = a + m`` in projection month ``m``.
- ``by_age=False``: ``table[m]`` is the rate in projection month ``m``.

Index 0 is unused (month 1 is the first payment). Indexes past the end use
the last entry (vectors carry their last value forward; PSA is flat after
age 30 and SDA after age 120, so their tables stop there).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import config as cfg


class RateTable(NamedTuple):
    """Monthly rates (SMM or MDR, decimals) and how to index them."""

    rates: np.ndarray  # float64[k]
    by_age: bool


def cpr_to_smm(cpr):
    """SMM = 1 - (1 - CPR)^(1/12)  [SIFMA SF B.2.b]; works on scalars and arrays."""
    return 1.0 - np.power(1.0 - np.asarray(cpr, dtype=np.float64), 1.0 / 12.0)


def smm_to_cpr(smm):
    """CPR = 1 - (1 - SMM)^12  [SIFMA SF B.2.b]."""
    return 1.0 - np.power(1.0 - np.asarray(smm, dtype=np.float64), 12.0)


def psa_cpr(age, speed_pct: float = 100.0):
    """Annual CPR of ``speed_pct``% PSA at loan age ``age`` (the payment's MONTH).

    100% PSA is 0.2% CPR in month 1 rising 0.2% a month to 6% at month 30 and
    flat after; ``CPR = min(speed/100 x 0.2% x max(1, min(age, 30)), 100%)``
    [SIFMA SF B.2.c].
    """
    month = np.clip(np.asarray(age, dtype=np.float64), 1.0, 30.0)
    return np.minimum(speed_pct / 100.0 * 0.002 * month, 1.0)


def sda_cdr(age, speed_pct: float = 100.0):
    """Annual CDR of ``speed_pct``% SDA at loan age ``age`` [SIFMA SF C.4].

    100% SDA: 0.02% per month of age up to 0.60% at age 30, flat through 60,
    falling by 0.0095% a month from age 61 to 0.03% at 120, flat after.
    (The zero rate in the last ``liquidation_lag`` months before maturity is
    applied per loan by the kernel, SF C.3.j.)
    """
    a = np.asarray(age, dtype=np.float64)
    cdr = np.where(
        a <= 30,
        0.0002 * np.maximum(a, 0.0),
        np.where(a <= 60, 0.006, np.where(a <= 120, 0.006 - 0.000095 * (a - 60), 0.0003)),
    )
    return np.minimum(speed_pct / 100.0 * cdr, 1.0)


def _flat(rate_monthly: float) -> RateTable:
    return RateTable(np.array([0.0, rate_monthly]), by_age=False)


def _vector(annual: tuple[float, ...]) -> RateTable:
    return RateTable(np.concatenate([[0.0], cpr_to_smm(np.array(annual))]), by_age=False)


def prepay_table(p: cfg.Prepay) -> RateTable:
    """SMM table for a prepayment assumption."""
    if isinstance(p, cfg.PrepayPSA):
        ages = np.arange(31)
        return RateTable(np.where(ages == 0, 0.0, cpr_to_smm(psa_cpr(ages, p.speed))), by_age=True)
    if isinstance(p, cfg.PrepayCPR):
        return _flat(float(cpr_to_smm(p.rate)))
    if isinstance(p, cfg.PrepaySMM):
        return _flat(p.rate)
    if isinstance(p, cfg.PrepayVector):
        return _vector(p.cpr)
    return _flat(0.0)


def default_table(d: cfg.Default) -> RateTable:
    """MDR table for a default assumption."""
    if isinstance(d, cfg.DefaultSDA):
        ages = np.arange(121)
        return RateTable(np.where(ages == 0, 0.0, cpr_to_smm(sda_cdr(ages, d.speed))), by_age=True)
    if isinstance(d, cfg.DefaultCDR):
        return _flat(float(cpr_to_smm(d.rate)))
    if isinstance(d, cfg.DefaultMDR):
        return _flat(d.rate)
    if isinstance(d, cfg.DefaultVector):
        return _vector(d.cdr)
    return _flat(0.0)
