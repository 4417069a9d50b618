"""Prepayment and default speed models as rate tables (SIFMA SF sections B.2 and C.4).

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

from typing import Callable, NamedTuple

import numpy as np

from .. import config as cfg
from ..errors import ConfigError


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


def _psa_table(p: cfg.PrepayPSA) -> RateTable:
    ages = np.arange(31)
    return RateTable(np.where(ages == 0, 0.0, cpr_to_smm(psa_cpr(ages, p.speed))), by_age=True)


def _sda_table(d: cfg.DefaultSDA) -> RateTable:
    ages = np.arange(121)
    return RateTable(np.where(ages == 0, 0.0, cpr_to_smm(sda_cdr(ages, d.speed))), by_age=True)


# speed model name -> its rate table; the config's `model` tags
PREPAY_TABLES: dict[str, Callable[..., RateTable]] = {
    "psa": _psa_table,
    "cpr": lambda p: _flat(float(cpr_to_smm(p.rate))),
    "smm": lambda p: _flat(p.rate),
    "vector": lambda p: _vector(p.cpr),
    "none": lambda p: _flat(0.0),
}
DEFAULT_TABLES: dict[str, Callable[..., RateTable]] = {
    "sda": _sda_table,
    "cdr": lambda d: _flat(float(cpr_to_smm(d.rate))),
    "mdr": lambda d: _flat(d.rate),
    "vector": lambda d: _vector(d.cdr),
    "none": lambda d: _flat(0.0),
}


def _lookup(registry: dict, model: str, key: str) -> Callable[..., RateTable]:
    try:
        return registry[model]
    except KeyError:
        raise ConfigError(
            f"{key}: {model!r} has no rate table (expected one of {', '.join(registry)})"
        ) from None


def prepay_table(p: cfg.Prepay) -> RateTable:
    """SMM table of a rate-table prepayment model; an unknown (or rate-driven)
    model raises :class:`ConfigError` naming it."""
    return _lookup(PREPAY_TABLES, p.model, "assumptions.prepay.model")(p)


def default_table(d: cfg.Default) -> RateTable:
    """MDR table of a default model; an unknown model raises, naming it."""
    return _lookup(DEFAULT_TABLES, d.model, "assumptions.default.model")(d)
