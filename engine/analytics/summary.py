"""The one builder of each cash-flow model's ``summary`` row, and the
per-path and per-loan measures of the state model.

Conventions: WAL as :func:`engine.analytics.pool.wal_years`; yields and
durations as :func:`engine.analytics.yields.yield_measures` (payment delay
included); ``*_pct`` columns are percent of the starting balance; outcome
probabilities are balance-weighted means over loans.
"""

from __future__ import annotations

from dataclasses import asdict

import numpy as np

from .. import config as cfg
from ..inputs.tape import Loans
from ..kernels import state as ks
from ..models.standard import CashFlows
from ..models.state import OUTCOMES, P_CASH, P_LIQUIDATIONS, P_NET_LOSS, P_PRINCIPAL, P_REO_IN, StateSums, derived
from .pool import pool_stats, wal_years
from .yields import pv, yield_from_pv, yield_measures


def standard_summary(loans: Loans, cf: CashFlows, valuation: cfg.Valuation | None = None) -> dict[str, float]:
    """The standard model's ``summary`` row: tape stats, WAL, cumulative
    defaults/losses, and (given a valuation) price, yields, average life,
    durations and convexity."""
    stats = pool_stats(loans)
    start = stats.balance
    cum_def = float(cf.new_defaults.sum())
    cum_loss = float(cf.principal_loss.sum())
    row: dict[str, float] = {
        **asdict(stats),
        "wal": wal_years(cf.total_principal, cf.month),
        "cumulative_defaults": cum_def,
        "cumulative_losses": cum_loss,
        "cumulative_defaults_pct": 100.0 * cum_def / start,
        "cumulative_losses_pct": 100.0 * cum_loss / start,
        "total_principal": float(cf.total_principal.sum()),
        "total_interest": float(cf.total_interest.sum()),
    }
    if valuation is not None:
        m = yield_measures(
            cf.total_cash_flow,
            cf.total_principal,
            start,
            price=valuation.price,
            mortgage_yield=valuation.yield_,
            delay_days=valuation.delay_days,
        )
        row.update(m.as_dict())
    return row


def state_valuation_yield(config: cfg.Config, mean_cash_flow: np.ndarray, face: float) -> float | None:
    """The mortgage yield the state model values at: the configured yield, or
    the yield of the mean cash flows at the configured price; None without a
    valuation."""
    val = config.valuation
    if val is None:
        return None
    if val.yield_ is not None:
        return val.yield_
    return yield_from_pv(mean_cash_flow, val.price / 100 * face, val.delay_days)


def state_path_measures(sums: StateSums, y: float | None, delay_days: int) -> dict[str, np.ndarray]:
    """The ``paths`` table's columns: per-path PV at yield ``y`` (NaN without
    one), WAL, cumulative default (balance taken to REO), cumulative net loss,
    loss severity (net loss / liquidated balance) and total cash flow."""
    cash, principal = sums.path_cols[..., P_CASH], sums.path_cols[..., P_PRINCIPAL]
    reo_in, net_loss, liq = (sums.path_cols[..., k].sum(axis=1) for k in (P_REO_IN, P_NET_LOSS, P_LIQUIDATIONS))
    n_paths = sums.n_paths
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "path": np.arange(n_paths, dtype=np.int64),
            "pv": pv(cash, y, delay_days) if y is not None else np.full(n_paths, np.nan),
            "wal": wal_years(principal),
            "cumulative_default": reo_in,
            "cumulative_loss": net_loss,
            "loss_severity": np.where(liq > 0, net_loss / liq, np.nan),
            "total_cash_flow": cash.sum(axis=1),
        }


def state_loan_outcomes(per_loan: np.ndarray) -> dict[str, np.ndarray]:
    """The ``loans`` table's measures (without ``loan_id``): outcome
    probabilities, the mean month of each, expected cures, severity."""
    lt: dict[str, np.ndarray] = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for name, p_col, t_col in OUTCOMES:
            lt[f"p_{name}"] = per_loan[:, p_col]
            lt[f"month_{name}"] = np.where(per_loan[:, p_col] > 0, per_loan[:, t_col] / per_loan[:, p_col], np.nan)
        lt["expected_cures"] = per_loan[:, ks.O_CURES]
        lt["p_unresolved"] = per_loan[:, ks.O_UNRESOLVED]
        lt["loss_severity"] = np.where(
            per_loan[:, ks.O_LIQ_BAL] > 0, per_loan[:, ks.O_NET_LOSS] / per_loan[:, ks.O_LIQ_BAL], np.nan
        )
    return lt


def state_summary(
    config: cfg.Config, loans: Loans, sums: StateSums, y: float | None, path_pv: np.ndarray
) -> dict:
    """The state model's ``summary`` row (see the README, "Outputs")."""
    stats = pool_stats(loans)
    face = stats.balance
    mean = sums.mean
    months = np.arange(1, sums.horizon + 1, dtype=np.int64)
    d = derived(mean)
    per_loan = sums.per_loan
    w = loans.balance / face
    cum_def = float(mean[:, ks.S_REO_IN].sum())
    cum_loss = float(mean[:, ks.S_NET_LOSS].sum())
    liq_bal = float(mean[:, ks.S_LIQ_BAL].sum())
    summary = {
        **asdict(stats),
        "integration": config.simulation.integration,
        "paths": sums.n_paths,
        "horizon": sums.horizon,
        "wal": wal_years(d["total_principal"], months),
        "cumulative_defaults": cum_def,
        "cumulative_losses": cum_loss,
        "cumulative_defaults_pct": 100.0 * cum_def / face,
        "cumulative_losses_pct": 100.0 * cum_loss / face,
        "loss_severity": cum_loss / liq_bal if liq_bal > 0 else float("nan"),
        "total_principal": float(d["total_principal"].sum()),
        "total_cash_flow": float(d["total_cash_flow"].sum()),
    }
    for name, p_col, _ in OUTCOMES:
        summary[f"p_{name}"] = float(np.dot(w, per_loan[:, p_col]))
    summary["p_unresolved"] = float(np.dot(w, per_loan[:, ks.O_UNRESOLVED]))
    val = config.valuation
    if val is not None:
        m = yield_measures(d["total_cash_flow"], d["total_principal"], face, mortgage_yield=y, delay_days=val.delay_days)
        summary.update(m.as_dict())
        summary["pv_std"] = float(np.std(path_pv))
    return summary
