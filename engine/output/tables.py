"""Arrow tables from a cash-flow model's arrays (the documented outputs).

Standard model: ``cashflows``, ``summary``. State model: ``cashflows``
(path means), ``cashflow_quantiles``, ``paths``, ``summary`` and, with
``output.loans``, ``loans``. Column meanings: :mod:`.columns` and the README.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from .. import config as cfg
from ..analytics.summary import (
    standard_summary,
    state_loan_outcomes,
    state_path_measures,
    state_summary,
    state_valuation_yield,
)
from ..inputs.tape import Loans
from ..kernels import state as ks
from ..models.standard import CashFlows
from ..models.state import QUANTILE_COLUMNS, STATE_COLUMNS, StateSums, derived


def standard_tables(config: cfg.Config, loans: Loans, cf: CashFlows) -> dict[str, pa.Table]:
    """``cashflows`` and ``summary`` of a standard-model projection."""
    summary = pa.Table.from_pylist([standard_summary(loans, cf, config.valuation)])
    return {"cashflows": cf.to_arrow(), "summary": summary}


def state_cashflow_columns(sums: StateSums) -> dict[str, np.ndarray]:
    """The state model's ``cashflows`` columns: path means by month."""
    H = sums.horizon
    months = np.arange(1, H + 1, dtype=np.int64)
    mean = sums.mean
    d = derived(mean)
    with np.errstate(invalid="ignore", divide="ignore"):
        smm = np.where(mean[:, ks.S_PREPAY_BASE] > 0, mean[:, ks.S_PREPAY] / mean[:, ks.S_PREPAY_BASE], 0.0)
        roll = np.where(mean[:, ks.S_ROLL_BASE] > 0, mean[:, ks.S_NEW_DQ] / mean[:, ks.S_ROLL_BASE], 0.0)
    columns = {"month": months}
    columns.update({name: mean[:, c] for c, name in STATE_COLUMNS.items()})
    columns.update(d)
    columns["smm"] = smm
    columns["roll_rate"] = roll
    return columns


def quantile_columns(per_path: dict[str, np.ndarray], quantiles) -> dict[str, np.ndarray]:
    """Across-path quantiles month by month, long form: ``month, quantile``
    and one column per ``per_path`` entry (paths x months, month 1 first)."""
    qs = np.asarray(quantiles, dtype=np.float64)
    n_months = next(iter(per_path.values())).shape[1]
    out = {"month": np.tile(np.arange(1, n_months + 1, dtype=np.int64), len(qs)), "quantile": np.repeat(qs, n_months)}
    for name, x in per_path.items():
        out[name] = np.quantile(x, qs, axis=0).reshape(-1)
    return out


def state_tables(config: cfg.Config, loans: Loans, sums: StateSums) -> dict[str, pa.Table]:
    """The state model's tables from its reduced sums."""
    columns = state_cashflow_columns(sums)
    d = {name: columns[name] for name in ("total_principal", "total_cash_flow")}

    q_cols = quantile_columns({name: sums.kept[name] for name in QUANTILE_COLUMNS}, config.output.quantiles)

    face = float(loans.balance.sum())
    y = state_valuation_yield(config, d["total_cash_flow"], face)
    delay = config.valuation.delay_days if config.valuation is not None else 0
    paths = state_path_measures(sums, y, delay)
    summary = state_summary(config, loans, sums, y, paths["pv"])

    tables = {
        "cashflows": pa.table(columns),
        "summary": pa.Table.from_pylist([summary]),
        "cashflow_quantiles": pa.table(q_cols),
        "paths": pa.table(paths),
    }
    if config.output.loans:
        tables["loans"] = pa.table(
            {"loan_id": pa.array(loans.loan_id.astype(str)), **state_loan_outcomes(sums.per_loan)}
        )
    return tables
