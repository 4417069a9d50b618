"""Arrow tables of a pricing run: the summary's pricing columns, the paths
table's IRR columns, ``outcomes``, ``bids`` and ``path_cashflows``.

Column meanings and units: :mod:`.columns` (``PRICING_SUMMARY``,
``PRICING_PATHS``, ``OUTCOMES``, ``BIDS``, ``PATH_CASHFLOWS``) and the README.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

from ..analytics.irr import PERCENTILES
from ..analytics.pricing import TapeMeasures, path_outcomes, status_names
from .columns import BIDS, OUTCOMES, PATH_CASHFLOWS, PRICING_PATHS, PRICING_SUMMARY


def _pct(amount: float, base: float) -> float:
    return 100.0 * amount / base if base > 0 else float("nan")


def pricing_summary(
    tape: TapeMeasures,
    upb: float,
    value: float,
    debt: float,
    price: float,
    costs: float,
    required_yield: float,
    hurdle: float,
    confidence: float,
    asks_above_bid: int,
) -> dict[str, float]:
    """The summary's pricing columns (every key of ``PRICING_SUMMARY``)."""
    d = tape.distribution
    row: dict[str, float] = {"irr_mean": d["mean"], "irr_std": d["std"]}
    for p in PERCENTILES:
        row[f"irr_p{p:02d}"] = d[f"p{p:02d}"]
    row["p_irr_below_zero"] = d["p_irr_below_zero"]
    row["p_irr_below_hurdle"] = d["p_irr_below_hurdle"]
    row["expected_profit"] = tape.expected_profit
    row["money_multiple"] = tape.money_multiple
    bids = {"bid_at_yield": tape.bid_at_yield.price, "bid_by_outcome": tape.bid_by_outcome.price,
            "bid_at_confidence": tape.bid_at_confidence.price}
    row.update(bids)
    for name, amount in bids.items():
        row[f"{name}_pct_upb"] = _pct(amount, upb)
        row[f"{name}_pct_value"] = _pct(amount, value)
        row[f"{name}_pct_debt"] = _pct(amount, debt)
    row["bid_at_yield_se"] = tape.bid_at_yield.standard_error
    row["bid_by_outcome_se"] = tape.bid_by_outcome.standard_error
    # an end the paths cannot bound (too few paths on that side) is unbounded
    # analytically (-inf/+inf) and reported as not available (NaN)
    ci = tape.bid_at_confidence
    row["bid_at_confidence_ci_low"] = ci.ci_low if math.isfinite(ci.ci_low) else math.nan
    row["bid_at_confidence_ci_high"] = ci.ci_high if math.isfinite(ci.ci_high) else math.nan
    row.update(
        purchase_price=price,
        purchase_price_pct_upb=_pct(price, upb),
        purchase_costs=costs,
        total_debt=debt,
        property_value=value,
        required_yield=required_yield,
        hurdle=hurdle,
        confidence=confidence,
        irr_n_converged=d["n_converged"],
        irr_n_total_loss=d["n_total_loss"],
        irr_n_no_sign_change=d["n_no_sign_change"],
        irr_n_not_converged=d["n_not_converged"],
        loans_ask_above_bid=asks_above_bid,
    )
    return {name: row[name] for name in PRICING_SUMMARY}


def pricing_path_columns(tape: TapeMeasures, values) -> dict[str, np.ndarray]:
    """The paths table's pricing columns (``PRICING_PATHS``)."""
    outcome, months = path_outcomes(values)
    cols = {
        "irr": np.asarray(tape.irr.annual, dtype=np.float64),
        "irr_monthly": np.asarray(tape.irr.monthly, dtype=np.float64),
        "irr_status": status_names(np.asarray(tape.irr.status)),
        "outcome": outcome,
        "months_to_resolution": months.astype(np.int64),
        "profit": tape.profit,
    }
    return {name: cols[name] for name in PRICING_PATHS}


def with_columns(table: pa.Table, columns: dict[str, np.ndarray]) -> pa.Table:
    """``table`` with ``columns`` appended (strings as Arrow strings)."""
    for name, values in columns.items():
        arr = pa.array(values.tolist(), type=pa.string()) if values.dtype == object else pa.array(values)
        table = table.append_column(name, arr)
    return table


def outcomes_table(rows: dict[str, list]) -> pa.Table:
    """``outcomes``: one row per outcome (the columns of ``OUTCOMES``)."""
    return pa.table({name: rows[name] for name in OUTCOMES})


def bids_table(columns: dict[str, np.ndarray]) -> pa.Table:
    """``bids``: the columns of ``BIDS`` in that order."""
    return pa.table(
        {c: pa.array(columns[c].tolist(), type=pa.string()) if columns[c].dtype == object else columns[c] for c in BIDS}
    )


def path_cashflows_table(tape_flows: np.ndarray, outlay: float) -> pa.Table:
    """``path_cashflows``: one row per path and month, month 0 the purchase."""
    n_paths, months = tape_flows.shape
    full = np.empty((n_paths, months + 1))
    full[:, 0] = -outlay
    full[:, 1:] = tape_flows
    cols = {
        "path": np.repeat(np.arange(n_paths, dtype=np.int64), months + 1),
        "month": np.tile(np.arange(months + 1, dtype=np.int64), n_paths),
        "cash_flow": full.reshape(-1),
    }
    return pa.table({name: cols[name] for name in PATH_CASHFLOWS})
