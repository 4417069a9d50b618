"""Field types shared by every config section, and the one percent hint.

A rate written as a percent where a decimal belongs (``6.5`` for a 6.5%
note rate) is the most common config mistake; every check in the engine
words it the same way, through :func:`percent_hint`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

# Sane upper bounds on money [currency]: far above any residential loan, far
# below where sums in the kernels lose their meaning. A tape amount (balance,
# property value, arrears, ...) is at most MAX_LOAN_AMOUNT per loan; a config
# cost is at most MAX_COST per loan (per loan-month for monthly costs).
MAX_LOAN_AMOUNT = 1e10
MAX_COST = 1e7


def percent_hint(value: float, *, signed: bool = False) -> str:
    """`` (a percent? write 0.065)`` when ``value`` looks like a percent (in [1, 100],
    or its magnitude for a ``signed`` quantity such as a drift), else ``''``."""
    size = abs(value) if signed else value
    return f" (a percent? write {value / 100:g})" if 1.0 <= size <= 100.0 else ""


def check_decimal(value: float, *, upper: float = 1.0, closed: bool = False) -> float:
    """A rate written as a decimal in [0, upper) (or [0, upper]); percents get a hint."""
    ok = 0.0 <= value <= upper if closed else 0.0 <= value < upper
    if not ok:
        bracket = "]" if closed else ")"
        raise ValueError(f"expected a decimal in [0, {upper:g}{bracket}, got {value:g}{percent_hint(value)}")
    return value


def check_signed(value: float) -> float:
    """An annual growth rate in (-1, 1), e.g. a home-price drift."""
    if not -1.0 < value < 1.0:
        raise ValueError(f"expected an annual decimal in (-1, 1), got {value:g}{percent_hint(value, signed=True)}")
    return value


def check_cost(value: float) -> float:
    """A cost in [0, MAX_COST] [currency per loan, or per loan-month]."""
    if not 0.0 <= value <= MAX_COST:
        raise ValueError(f"expected an amount in [0, {MAX_COST:g}] (currency), got {value:g}")
    return value


AnnualRate = Annotated[float, AfterValidator(check_decimal)]
"""An annual decimal rate in [0, 1) (CPR, CDR, a coupon)."""
Fraction = Annotated[float, AfterValidator(lambda v: check_decimal(v, closed=True))]
"""A decimal in [0, 1]: a monthly probability (SMM, MDR) or a share (severity)."""
SignedRate = Annotated[float, AfterValidator(check_signed)]
"""An annual decimal in (-1, 1) that may be negative (a drift)."""
Cost = Annotated[float, AfterValidator(check_cost)]
"""A cost in [0, MAX_COST] [currency per loan, or per loan-month]."""


class FileRef:
    """Marks a ``Path`` field that names a file: resolved against the config
    file's folder when loaded, and hashed by file name only (see
    :meth:`engine.config.Config.hash`)."""


FilePath = Annotated[Path | None, FileRef]
"""An optional file named in a config (a tape, a scenario file)."""


class Frozen(BaseModel):
    """Base of every config section: unknown keys are errors, values immutable,
    numbers finite (NaN and infinities are errors)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


__all__ = [
    "AnnualRate",
    "Cost",
    "MAX_COST",
    "MAX_LOAN_AMOUNT",
    "FilePath",
    "FileRef",
    "Fraction",
    "Frozen",
    "SignedRate",
    "check_cost",
    "check_decimal",
    "check_signed",
    "percent_hint",
]
