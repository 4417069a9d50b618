"""Run the loan-level state model over economic paths and aggregate as it goes.

Paths are processed in chunks of ``simulation.chunk_paths``; each chunk's
kernel call sums loans into per-path, per-month columns (int64 ticks, exact),
so memory is bounded by loans + paths x months and never holds
loans x paths x months. The results are bit-identical for any chunk size,
thread count or loan block split (see :mod:`engine.kernels.state`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Callable

import numba
import numpy as np
import pyarrow as pa

from . import config as cfg
from .hazard import loan_inputs, model_inputs
from .hpi import HPIModel, load_hpi_scenario, simulate_hpi
from .jit import block_bounds
from .kernels import state as ks
from .measures import pool_stats, pv, wal_years, yield_from_pv, yield_measures
from .tape import Loans

# per-month state-model columns: kernel column -> output name (cashflows.parquet)
STATE_COLUMNS: dict[int, str] = {
    ks.S_CURRENT_BAL: "performing_balance",
    ks.S_MODIFIED_BAL: "modified_balance",
    ks.S_DQ30_BAL: "dq30_balance",
    ks.S_DQ60_BAL: "dq60_balance",
    ks.S_DQ90_BAL: "dq90_balance",
    ks.S_FC_BAL: "foreclosure_balance",
    ks.S_REO_BAL: "reo_balance",
    ks.S_DEFERRED_BAL: "deferred_balance",
    ks.S_SCHED_PRIN: "scheduled_principal",
    ks.S_PREPAY: "voluntary_prepayments",
    ks.S_INTEREST: "interest",
    ks.S_GROSS_INT: "gross_interest",
    ks.S_SERVICING: "servicing_fee",
    ks.S_ARREARS_PAID: "arrears_collected",
    ks.S_DEFERRED_PAID: "deferred_collected",
    ks.S_NEW_DQ: "new_delinquencies",
    ks.S_CURES: "cures",
    ks.S_MODS: "modifications",
    ks.S_DIL: "deeds_in_lieu",
    ks.S_FC_STARTS: "foreclosure_starts",
    ks.S_REO_IN: "reo_additions",
    ks.S_LIQ_BAL: "liquidations",
    ks.S_PROCEEDS: "liquidation_proceeds",
    ks.S_PRIN_RECOV: "principal_recovery",
    ks.S_PRIN_LOSS: "principal_loss",
    ks.S_NET_LOSS: "net_loss",
    ks.S_ADVANCES: "advances",
    ks.S_LEGAL: "legal_costs",
    ks.S_HOLDING: "holding_costs",
    ks.S_DIL_COST: "deed_in_lieu_costs",
    ks.S_INT_UNPAID: "interest_unpaid",
    ks.S_MATURED: "matured_principal",
    ks.S_CAPITALIZED: "capitalized_arrears",
}
QUANTILE_COLUMNS = ("total_cash_flow", "total_principal", "interest", "net_loss", "liquidations", "performing_balance")

OUTCOMES = (
    ("prepaid", ks.O_PREPAID, ks.O_PREPAID_T),
    ("matured", ks.O_MATURED, ks.O_MATURED_T),
    ("liquidated", ks.O_LIQUIDATED, ks.O_LIQUIDATED_T),
    ("deed_in_lieu", ks.O_DIL, ks.O_DIL_T),
    ("foreclosure_sale", ks.O_FC_SALE, ks.O_FC_SALE_T),
    ("modified", ks.O_MODIFIED, ks.O_MODIFIED_T),
)


def _derived(x: np.ndarray) -> dict[str, np.ndarray]:
    """Totals from kernel columns (last axis = S_* columns, currency units)."""
    principal = x[..., ks.S_SCHED_PRIN] + x[..., ks.S_PREPAY] + x[..., ks.S_DEFERRED_PAID] + x[..., ks.S_PRIN_RECOV]
    cash = (
        x[..., ks.S_SCHED_PRIN] + x[..., ks.S_PREPAY] + x[..., ks.S_INTEREST] + x[..., ks.S_ARREARS_PAID]
        + x[..., ks.S_DEFERRED_PAID] + x[..., ks.S_PROCEEDS]
        - x[..., ks.S_ADVANCES] - x[..., ks.S_LEGAL] - x[..., ks.S_HOLDING] - x[..., ks.S_DIL_COST]
    )
    return {"total_principal": principal, "total_cash_flow": cash}


def _fill_derived(per_path: np.ndarray, start_current: int) -> None:
    """Columns the kernel leaves to Python (int64 ticks, in place): gross
    interest = net interest + servicing; the roll-rate base of month t = the
    current balance at the end of month t - 1."""
    per_path[..., ks.S_GROSS_INT] = per_path[..., ks.S_INTEREST] + per_path[..., ks.S_SERVICING]
    per_path[:, 0, ks.S_CURRENT_BAL] = start_current
    per_path[:, 1:, ks.S_ROLL_BASE] = per_path[:, :-1, ks.S_CURRENT_BAL]


@dataclass
class StateRun:
    """Outputs of a state-model run (tables as documented in the README)."""

    cashflows: pa.Table
    quantiles: pa.Table
    paths: pa.Table
    loans: pa.Table | None
    summary: dict


def hpi_model(config: cfg.Config) -> HPIModel:
    """The configured home-price model (a scenario file wins over inline keys)."""
    h = config.economy.hpi
    if h.scenario_file is not None:
        return load_hpi_scenario(h.scenario_file)
    scenario = None if h.scenario is None else {"points": [list(p) for p in h.scenario]}
    return HPIModel(drift=h.drift, volatility=h.volatility, correlation=h.correlation, scenario=scenario, antithetic=h.antithetic)


def default_horizon(config: cfg.Config, term_max: int, fc_max: int, mods_on: bool) -> int:
    """Months enough for every scheduled maturity plus a full default timeline."""
    if config.simulation.horizon is not None:
        return config.simulation.horizon
    last = max(term_max, config.state_model.modification.term_months if mods_on else 0)
    return int(min(720, last + ks.K + fc_max + config.state_model.reo.months + 1))


@dataclass(frozen=True)
class KernelInputs:
    """A config and tape resolved into the state kernel's arguments.

    ``args`` are the loan, prepayment and hazard arguments of
    :func:`engine.kernels.state.simulate` in its order (from ``balance`` to
    ``fc_max``); ``hpi`` the (paths, horizon + 1) home-price paths.
    """

    sampled: bool
    seed: int
    horizon: int
    args: tuple
    hpi: np.ndarray
    start_current_ticks: int  # current balance at month 0, for the roll-rate base
    n_loans: int

    @property
    def n_paths(self) -> int:
        return self.hpi.shape[0]


def kernel_inputs(config: cfg.Config, loans: Loans, hpi_paths: np.ndarray | None = None) -> KernelInputs:
    """Resolve loans, hazards, horizon and home-price paths for the kernel."""
    sim = config.simulation
    li = loan_inputs(loans, config.state_model, config.economy.mortgage_rate)
    mi = model_inputs(config)
    fc_max = max(1, int(li.t_fc.max()))
    H = default_horizon(config, int(li.term.max()), fc_max, mi.mods_on)
    if hpi_paths is None:
        hpi_paths = simulate_hpi(hpi_model(config), sim.paths, H, sim.seed)
    hpi_paths = np.ascontiguousarray(hpi_paths, dtype=np.float64)
    if hpi_paths.shape != (sim.paths, H + 1):
        raise ValueError(f"hpi_paths: expected shape {(sim.paths, H + 1)}, got {hpi_paths.shape}")
    args = (
        li.balance, li.note_rate, li.servicing, li.term, li.age, li.status, li.behind,
        li.arrears, li.deferred, li.value0, li.t_fc, li.roll_mult, li.cure_mult,
        li.mod_rate, li.mod_maturity, mi.mods_on,
        mi.smm_code, mi.smm_table, mi.smm_by_age, mi.turnover, mi.start_month, mi.mortgage_rate,
        mi.hp, mi.ltv_knots, mi.ltv_roll, mi.ltv_cure, mi.t_reo, fc_max,
    )
    starts_current = (li.status == 0) & (li.behind == 0)
    start_current = int(np.floor(li.balance[starts_current] * ks.TICKS + 0.5).sum())
    return KernelInputs(sim.integration == "sampled", int(sim.seed), H, args, hpi_paths, start_current, loans.n)


def simulate_chunk(ki: KernelInputs, p0: int, p1: int, out_loans: np.ndarray, n_blocks: int | None = None) -> np.ndarray:
    """Run paths ``p0 .. p1 - 1``: int64 ticks (paths, horizon + 1, N_S), exact,
    with the derived columns filled; per-loan outcomes are added to ``out_loans``."""
    if n_blocks is None:
        n_blocks = 2 * numba.get_num_threads()
    bounds = block_bounds(ki.n_loans, max(1, min(ki.n_loans, n_blocks)))
    out = np.zeros((len(bounds) - 1, p1 - p0, ki.horizon + 1, ks.N_S), dtype=np.int64)
    ks.simulate(ki.sampled, np.uint64(ki.seed), p0, bounds, 0, *ki.args, ki.hpi[p0:p1], out, out_loans)
    per_path = out.sum(axis=0)  # int64 (paths, t, c): exact
    _fill_derived(per_path, ki.start_current_ticks)
    return per_path


def run_state_model(
    config: cfg.Config,
    loans: Loans,
    progress: Callable[[int, int], None] | None = None,
    hpi_paths: np.ndarray | None = None,
) -> StateRun:
    """Project the loan-level state model (see DESIGN.md and engine.kernels.state).

    Parameters
    ----------
    config : a validated config with ``model: state``.
    loans : the validated tape.
    progress : called as ``progress(paths_done, paths_total)`` after each chunk.
    hpi_paths : optional (paths, horizon + 1) HPI levels relative to today,
        replacing the configured home-price model.
    """
    ki = kernel_inputs(config, loans, hpi_paths)
    n_paths, H = ki.n_paths, ki.horizon
    totals = np.zeros((H + 1, ks.N_S), dtype=np.int64)
    keep = {name: np.empty((n_paths, H)) for name in QUANTILE_COLUMNS}
    path_cols = np.empty((n_paths, H, 5))  # cash, principal, reo_in, net_loss, liquidations
    out_loans = np.zeros((loans.n, ks.N_O))
    chunk = max(1, min(config.simulation.chunk_paths, n_paths))
    for p0 in range(0, n_paths, chunk):
        p1 = min(n_paths, p0 + chunk)
        per_path = simulate_chunk(ki, p0, p1, out_loans)
        totals += per_path.sum(axis=0)
        x = per_path[:, 1:, :] / ks.TICKS
        d = _derived(x)
        cols = {**{STATE_COLUMNS[c]: x[..., c] for c in STATE_COLUMNS}, **d}
        for name in QUANTILE_COLUMNS:
            keep[name][p0:p1] = cols[name]
        path_cols[p0:p1, :, 0] = d["total_cash_flow"]
        path_cols[p0:p1, :, 1] = d["total_principal"]
        path_cols[p0:p1, :, 2] = x[..., ks.S_REO_IN]
        path_cols[p0:p1, :, 3] = x[..., ks.S_NET_LOSS]
        path_cols[p0:p1, :, 4] = x[..., ks.S_LIQ_BAL]
        if progress is not None:
            progress(p1, n_paths)

    mean = totals[1:] / ks.TICKS / n_paths
    return _tables(config, loans, mean, keep, path_cols, out_loans, n_paths, H)


def _tables(config, loans, mean, keep, path_cols, out_loans, n_paths, H) -> StateRun:
    months = np.arange(1, H + 1, dtype=np.int64)
    d = _derived(mean)
    with np.errstate(invalid="ignore", divide="ignore"):
        smm = np.where(mean[:, ks.S_PREPAY_BASE] > 0, mean[:, ks.S_PREPAY] / mean[:, ks.S_PREPAY_BASE], 0.0)
        roll = np.where(mean[:, ks.S_ROLL_BASE] > 0, mean[:, ks.S_NEW_DQ] / mean[:, ks.S_ROLL_BASE], 0.0)
    columns = {"month": months}
    columns.update({name: mean[:, c] for c, name in STATE_COLUMNS.items()})
    columns.update(d)
    columns["smm"] = smm
    columns["roll_rate"] = roll
    cashflows = pa.table(columns)

    qs = np.array(config.output.quantiles, dtype=np.float64)
    q_cols = {"month": np.tile(months, len(qs)), "quantile": np.repeat(qs, H)}
    for name in QUANTILE_COLUMNS:
        q_cols[name] = np.quantile(keep[name], qs, axis=0).reshape(-1)
    quantiles = pa.table(q_cols)

    stats = pool_stats(loans)
    face = stats.balance
    val = config.valuation
    delay = val.delay_days if val is not None else 0
    y = None
    if val is not None:
        y = val.yield_ if val.yield_ is not None else yield_from_pv(d["total_cash_flow"], val.price / 100 * face, delay)
    cash, principal = path_cols[..., 0], path_cols[..., 1]
    reo_in, net_loss, liq = (path_cols[..., k].sum(axis=1) for k in (2, 3, 4))
    with np.errstate(invalid="ignore", divide="ignore"):
        paths_table = {
            "path": np.arange(n_paths, dtype=np.int64),
            "pv": pv(cash, y, delay) if y is not None else np.full(n_paths, np.nan),
            "wal": wal_years(principal),
            "cumulative_default": reo_in,
            "cumulative_loss": net_loss,
            "loss_severity": np.where(liq > 0, net_loss / liq, np.nan),
            "total_cash_flow": cash.sum(axis=1),
        }
    paths = pa.table(paths_table)

    loans_table = None
    per_loan = out_loans / n_paths
    if config.output.loans:
        lt = {"loan_id": pa.array(loans.loan_id.astype(str))}
        with np.errstate(invalid="ignore", divide="ignore"):
            for name, p_col, t_col in OUTCOMES:
                lt[f"p_{name}"] = per_loan[:, p_col]
                lt[f"month_{name}"] = np.where(per_loan[:, p_col] > 0, per_loan[:, t_col] / per_loan[:, p_col], np.nan)
            lt["expected_cures"] = per_loan[:, ks.O_CURES]
            lt["p_unresolved"] = per_loan[:, ks.O_UNRESOLVED]
            lt["loss_severity"] = np.where(per_loan[:, ks.O_LIQ_BAL] > 0, per_loan[:, ks.O_NET_LOSS] / per_loan[:, ks.O_LIQ_BAL], np.nan)
        loans_table = pa.table(lt)

    w = loans.balance / face
    cum_def = float(mean[:, ks.S_REO_IN].sum())
    cum_loss = float(mean[:, ks.S_NET_LOSS].sum())
    liq_bal = float(mean[:, ks.S_LIQ_BAL].sum())
    summary = {
        **asdict(stats),
        "integration": config.simulation.integration,
        "paths": n_paths,
        "horizon": H,
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
    if val is not None:
        m = yield_measures(d["total_cash_flow"], d["total_principal"], face, mortgage_yield=y, delay_days=delay)
        summary.update(m.as_dict())
        summary["pv_std"] = float(np.std(paths_table["pv"]))
    return StateRun(cashflows, quantiles, paths, loans_table, summary)
