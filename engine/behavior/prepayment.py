"""Prepayment models -> the kernels' :class:`~engine.kernels.prepayment.PrepayParams`.

A registry keyed by the config's ``assumptions.prepay.model`` picks how each
model reaches the kernels: the rate-table models of :mod:`.speeds` (PSA, CPR,
SMM, vector, none) as a table, the turnover + refinancing model as its
parameters. An unknown name raises :class:`~engine.errors.ConfigError`.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .. import config as cfg
from ..errors import ConfigError
from ..kernels.prepayment import PREPAY_TABLE, PREPAY_TURNOVER, PrepayParams
from .speeds import PREPAY_TABLES, prepay_table

_NO_TABLE = np.zeros(2)


def _table_model(p: cfg.Prepay, start_month: int, mortgage_rate: float) -> PrepayParams:
    rt = prepay_table(p)
    return PrepayParams(
        model=PREPAY_TABLE,
        table=np.ascontiguousarray(rt.rates, dtype=np.float64),
        by_age=bool(rt.by_age),
        # the turnover fields are not read for a table model
        base_cpr=0.0,
        ramp_months=0.0,
        refi_max_cpr=0.0,
        refi_midpoint=0.0,
        refi_slope=0.0,
        burnout=0.0,
        seasonality=np.zeros(12),
        start_month=int(start_month),
        mortgage_rate=float(mortgage_rate),
    )


def _turnover_model(p: cfg.PrepayTurnover, start_month: int, mortgage_rate: float) -> PrepayParams:
    return PrepayParams(
        model=PREPAY_TURNOVER,
        table=_NO_TABLE,
        by_age=False,
        base_cpr=float(p.base_cpr),
        ramp_months=float(p.ramp_months),
        refi_max_cpr=float(p.refi_max_cpr),
        refi_midpoint=float(p.refi_midpoint),
        refi_slope=float(p.refi_slope),
        burnout=float(p.burnout),
        seasonality=np.array(p.seasonality, dtype=np.float64),
        start_month=int(start_month),
        mortgage_rate=float(mortgage_rate),
    )


# assumptions.prepay.model -> builder of the kernels' parameters
PREPAY_MODELS: dict[str, Callable[..., PrepayParams]] = {
    **{name: _table_model for name in PREPAY_TABLES},
    "turnover_refi": _turnover_model,
    "turnover": _turnover_model,  # the same model under its first name
}


def rate_driven(prepay: PrepayParams) -> bool:
    """True when the model's speeds respond to the market mortgage rate (so
    cash flows differ from one rate path to another)."""
    return prepay.model != PREPAY_TABLE


def prepay_params(p: cfg.Prepay, start_month: int, mortgage_rate: float) -> PrepayParams:
    """The kernels' view of prepayment model ``p``.

    Parameters
    ----------
    p : a validated ``assumptions.prepay`` section.
    start_month : calendar month (1-12) of projection month 1 (seasonality).
    mortgage_rate : market mortgage rate [annual decimal] (refinancing incentive).
    """
    try:
        build = PREPAY_MODELS[p.model]
    except KeyError:
        raise ConfigError(
            f"assumptions.prepay.model: unknown model {p.model!r} (expected one of {', '.join(PREPAY_MODELS)})"
        ) from None
    return build(p, start_month, mortgage_rate)
