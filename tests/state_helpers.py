"""Shared helpers for the state-model tests (tests/test_state_*.py).

Nothing here re-implements the model: configs are built as plain dicts, and
``per_path_columns`` runs the real kernel (``engine.kernels.integration.simulate``)
with the same inputs ``engine.runs.projection.run_state_model`` builds, returning the
per-path monthly columns that the public tables only summarise. Tests check
that its path mean equals ``run_state_model``'s ``cashflows`` table exactly,
so it cannot drift away from the driver unnoticed.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pyarrow as pa

from engine.config import load_config
from engine.kernels import state as ks
from engine.models.state import STATE_COLUMNS, kernel_inputs, simulate_chunk
from engine.inputs.tape import Loans, loans_from_rows, loans_from_table

# the names of STATE_COLUMNS, by kernel column
NAME = dict(STATE_COLUMNS)
COLUMN = {v: k for k, v in STATE_COLUMNS.items()}

BALANCE_COLUMNS = (
    "performing_balance", "dq30_balance", "dq60_balance", "dq90_balance",
    "foreclosure_balance", "reo_balance", "deferred_balance",
)

# every probability of the hazard model, set to 0
ALL_OFF: dict[str, Any] = {
    "delinquency": {
        "current": {"to_dq30": 0.0},
        "dq30": {"cure": 0.0, "roll": 0.0},
        "dq60": {"cure": 0.0, "roll": 0.0, "modification": 0.0, "deed_in_lieu": 0.0},
        "dq90": {"cure": 0.0, "to_foreclosure": 0.0, "modification": 0.0, "deed_in_lieu": 0.0},
        "foreclosure": {"cure": 0.0, "modification": 0.0, "deed_in_lieu": 0.0},
    },
    "multipliers": {"mtm_ltv": {"ltv": [1.0], "roll": [1.0], "cure": [1.0]}},
}

# costs that the hand calculations of a test do not want, set to 0
NO_COSTS: dict[str, Any] = {
    "foreclosure": {"legal_cost_monthly": 0.0},
    "reo": {"holding_cost_monthly": 0.0, "selling_cost": 0.0, "sale_discount": 0.0},
    "deed_in_lieu": {"cost": 0.0},
    "advances": {"taxes_insurance_rate": 0.0},
}


def merge(base: dict, *updates: dict) -> dict:
    """Deep merge of nested dicts (later wins), on copies."""
    out = copy.deepcopy(base)
    for upd in updates:
        for k, v in upd.items():
            if isinstance(v, dict) and isinstance(out.get(k), dict):
                out[k] = merge(out[k], v)
            else:
                out[k] = copy.deepcopy(v)
    return out


def state_config(
    loans: list[dict] | None = None,
    *,
    integration: str = "expected",
    paths: int = 1,
    seed: int = 1,
    horizon: int | None = None,
    prepay: dict | None = None,
    state_model: dict | None = None,
    hpi: dict | None = None,
    chunk_paths: int = 64,
    loans_out: bool = True,
    **extra: Any,
) -> dict:
    """A state-model config dict. ``loans`` default to one placeholder loan (for
    configs run with ``run_state_model`` on a separate tape)."""
    if loans is None:
        loans = [{"loan_id": "placeholder", "balance": 1.0, "note_rate": 0.05, "remaining_term": 12}]
    sim = {"integration": integration, "paths": paths, "seed": seed, "chunk_paths": chunk_paths}
    if horizon is not None:
        sim["horizon"] = horizon
    d = {
        "name": "state-test",
        "model": "state",
        "loans": loans,
        "assumptions": {"prepay": prepay or {"model": "none"}},
        "simulation": sim,
        "economy": {"hpi": hpi if hpi is not None else {"drift": 0.0, "volatility": 0.0}},
        "state_model": state_model or {},
        "output": {"loans": loans_out},
    }
    return merge(d, extra)


def as_loans(rows_or_table) -> Loans:
    if isinstance(rows_or_table, Loans):
        return rows_or_table
    if isinstance(rows_or_table, pa.Table):
        return loans_from_table(rows_or_table)
    return loans_from_rows(list(rows_or_table))


def per_path_columns(config, loans, hpi_paths: np.ndarray | None = None) -> np.ndarray:
    """Per-path, per-month kernel columns [currency], shape (paths, H, N_S),
    month 1 first, with the derived columns filled as run_state_model does."""
    cfg = load_config(config)
    loans = as_loans(loans)
    ki = kernel_inputs(cfg, loans, hpi_paths)
    per_path = simulate_chunk(ki, 0, ki.n_paths).per_path
    return per_path[:, 1:, :] / ks.TICKS


def col(table: pa.Table, name: str) -> np.ndarray:
    return np.asarray(table.column(name).to_numpy(), dtype=np.float64)


def live_balance(table: pa.Table) -> np.ndarray:
    """Sum of the month-end balance columns (interest-bearing by state + deferred)."""
    return sum(col(table, c) for c in BALANCE_COLUMNS)
