"""Figures of the standard (SIFMA) model's monthly cash flows, from
``cashflows.parquet`` (on rate paths: the path means).

- :func:`cash_flows`: the month's cash flow split into its components;
- :func:`balance`: how the pool's balance runs off;
- :func:`prepay_default_rates`: the pool's CPR and CDR by month.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from . import style
from .data import RunData


def _months(run: RunData) -> np.ndarray:
    return run.column("cashflows", "month").astype(np.int64)


def cash_flows(run: RunData) -> Figure:
    """Stacked monthly cash flow: net interest, scheduled principal (advanced
    included), voluntary prepayments, recoveries; their sum is
    ``total_cash_flow``."""
    c = lambda name: run.column("cashflows", name).astype(np.float64)  # noqa: E731
    months = _months(run)
    parts = [
        ("net interest", c("total_interest"), style.SKY_BLUE),
        ("scheduled principal", c("actual_amortization") + c("amortization_from_defaults"), style.BLUE),
        ("voluntary prepayments", c("voluntary_prepayments"), style.ORANGE),
        ("recoveries", c("principal_recovery"), style.BLUISH_GREEN),
    ]
    total = c("total_cash_flow")
    fig, ax = style.new_figure()
    scale = style.money_axis(ax, total, "cash flow per month")
    ax.stackplot(months, *[p[1] / scale for p in parts], labels=[p[0] for p in parts],
                 colors=[p[2] for p in parts], linewidth=0)
    ax.plot(months, total / scale, color=style.BLACK, linewidth=0.8, label="total cash flow")
    style.month_axis(ax, style.last_active_month(months, total))
    ax.set_ylim(bottom=0)
    ax.set_title("Cash flow by component" + (" (mean over rate paths)" if run.analysis == "valuation" else ""))
    ax.legend(loc="upper right")
    return fig


def balance(run: RunData) -> Figure:
    """Balance at month end: performing, and defaulted but not yet
    liquidated (in foreclosure), stacked; starts at the pool's balance."""
    months = np.concatenate([[0], _months(run)])
    start = float(run.value("balance"))
    perf = np.concatenate([[start], run.column("cashflows", "performing_balance")])
    fc = np.concatenate([[0.0], run.column("cashflows", "foreclosure_balance")])
    fig, ax = style.new_figure()
    scale = style.money_axis(ax, perf + fc, "balance at month end")
    ax.stackplot(months, perf / scale, fc / scale, labels=["performing", "in foreclosure (defaulted, not liquidated)"],
                 colors=[style.BLUE, style.VERMILLION], linewidth=0)
    style.month_axis(ax, style.last_active_month(months, perf + fc))
    ax.set_ylim(bottom=0)
    wal = run.value("wal")
    ax.set_title("Balance run-off" + (f" (WAL {wal:.2f} years)" if np.isfinite(wal) else ""))
    ax.legend(loc="upper right")
    return fig


def prepay_default_rates(run: RunData) -> Figure:
    """The pool's voluntary prepayment rate (CPR) and default rate (CDR) by
    month, annualised from the balance-weighted SMM and MDR:
    1 - (1 - SMM)^12."""
    months = _months(run)
    smm = run.column("cashflows", "smm").astype(np.float64)
    mdr = run.column("cashflows", "mdr").astype(np.float64)
    cpr, cdr = 1.0 - (1.0 - smm) ** 12, 1.0 - (1.0 - mdr) ** 12
    perf = run.column("cashflows", "performing_balance")
    last = style.last_active_month(months, perf)
    fig, (top, bottom) = style.new_figure(2, 1, height=5.0, sharex=True, gridspec_kw={"hspace": 0.18})
    top.plot(months, cpr, color=style.ORANGE, linewidth=1.4)
    style.percent_axis(top, "CPR [annual]")
    top.set_title("Voluntary prepayment rate (CPR) and default rate (CDR)")
    bottom.plot(months, cdr, color=style.VERMILLION, linewidth=1.4)
    style.percent_axis(bottom, "CDR [annual]", decimals=2)
    for ax in (top, bottom):
        ax.set_ylim(bottom=0)
    style.month_axis(bottom, last)
    return fig
