"""The ``pricing`` analysis kind: what a note, or a seller's tape, returns at
its price, how likely each outcome is, and the most to bid for it.

Chosen for a config with a ``pricing:`` block (and no other ``analysis``).
It runs the state model's sampled integration once, with the kernel's
per-loan holder outputs on (:mod:`engine.kernels.holder`), loan block by
loan block and chunk of paths by chunk of paths
(:func:`engine.models.holder.simulate_block`). Each block's holder flows are
reduced at once to per-loan, per-path values (PVs at the required, outcome
and hurdle yields, the undiscounted proceeds, the IRR at the loan's price)
and discarded; the tape's flows per path are the exact int64 sum over its
loans. The state model's own tables (``cashflows``, ``cashflow_quantiles``,
``paths``, ``summary``, ``loans``) are those the projection writes for the
same config, bit for bit; ``summary`` and ``paths`` gain the pricing
columns, and ``outcomes``, ``bids`` and (on request) ``path_cashflows`` are
added.

Prices: each loan's price is the tape's ``asking_price`` [currency] where
given, else ``purchase.price`` percent of its UPB; ``purchase.costs`` is paid
on top for each loan. The tape is bought at the sum of the prices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pyarrow as pa

from .. import config as cfg
from ..analytics.pricing import LoanPathValues, block_values, loan_bids, outcome_mix, tape_measures
from ..config.pricing import HolderCosts, Purchase
from ..errors import InputError, TapeError
from ..inputs.tape import STATUS_CODE, Loans
from ..kernels import state as ks
from ..kernels.holder import RESOLUTION_NAMES
from ..execution import LOCAL, Executor, auto_slots, plan, run_tasks
from ..models.holder import block_shape, simulate_block
from ..models.state import KernelInputs, StatePart, StateReducer, StateSums, kernel_inputs
from ..output.columns import BID_NAMES
from ..output.pricing import (
    bids_table,
    outcomes_table,
    path_cashflows_table,
    pricing_path_columns,
    pricing_summary,
    with_columns,
)
from ..output.tables import state_tables
from . import Analysis, AnalysisKind, register

# loans x paths values a pricing run keeps (PVs, IRRs, outcomes): refused above this
MAX_LOAN_PATH_BYTES = 4 * 2**30


def _source(config: cfg.Config) -> str:
    return str(config.tape) if config.tape is not None else "loans"


def loan_prices(config: cfg.Config, loans: Loans) -> np.ndarray:
    """Each loan's price [currency]: its ``asking_price``, else ``purchase.price``
    percent of its UPB; a loan with neither is an error naming it."""
    price_pct = config.purchase.price if config.purchase is not None else None
    ask = loans.asking_price
    fallback = np.nan if price_pct is None else price_pct / 100.0 * loans.balance
    prices = np.where(np.isfinite(ask), ask, fallback)
    missing = np.flatnonzero(~np.isfinite(prices))
    if missing.size:
        i = int(missing[0])
        raise TapeError(
            f"{_source(config)}: loan {loans.loan_id[i]!r} (row {i + 1}): no price: give purchase.price "
            "(percent of UPB) or the tape column asking_price [currency]"
        )
    return np.asarray(prices, dtype=np.float64)


def check_property_values(config: cfg.Config, loans: Loans) -> None:
    """A loan that can end in a foreclosure or a deed-in-lieu is sold at its
    property's value: without a ``property_value`` (and no fixed
    ``state_model.liquidation.severity``) it cannot be priced."""
    sm = config.state_model
    if sm.liquidation.severity is not None:
        return
    d = sm.delinquency
    to_reo = d.dq90.to_foreclosure + d.dq60.deed_in_lieu + d.dq90.deed_in_lieu + d.foreclosure.deed_in_lieu > 0
    in_fc = (loans.status == STATUS_CODE["foreclosure"]) | (loans.status == STATUS_CODE["reo"])
    stays_current = (loans.status == STATUS_CODE["current"]) & (loans.payments_behind == 0) & (d.current.to_dq30 == 0)
    possible = in_fc | (to_reo & ~stays_current)
    missing = np.flatnonzero(possible & ~np.isfinite(loans.property_value))
    if missing.size:
        i = int(missing[0])
        raise TapeError(
            f"{_source(config)}: loan {loans.loan_id[i]!r} (row {i + 1}): column property_value: required for "
            "pricing, as the loan can end in a foreclosure or a deed-in-lieu sold at the property's value "
            "(give property_value, or a fixed state_model.liquidation.severity)"
        )


def _groups(config: cfg.Config, n_paths: int) -> np.ndarray | None:
    """Antithetic home-price pairs are one sample each in standard errors (the
    home-price model as resolved: a scenario file's ``antithetic`` wins)."""
    if config.economy.hpi.to_model().antithetic and n_paths % 2 == 0 and n_paths > 2:
        return np.arange(n_paths) // 2
    return None


def run(
    config: cfg.Config,
    loans: Loans,
    progress: Callable[[int, int], None] | None = None,
    executor: Executor = LOCAL,
) -> Analysis:
    """Price ``loans`` under ``config`` (see the module docstring)."""
    pr = config.pricing
    purchase = config.purchase or Purchase()
    prices = loan_prices(config, loans)
    check_property_values(config, loans)
    ki = kernel_inputs(config, loans)
    check_memory(loans.n, ki.n_paths)
    outlay = prices + purchase.costs
    hurdle = pr.hurdle_rate
    by_name = pr.yields_by_outcome()
    outcome_yields = tuple(by_name[name] for name in RESOLUTION_NAMES)
    sums, values, tape_ticks = simulate_holder(
        config, ki, outlay, pr.required_yield, hurdle, outcome_yields, progress, executor
    )
    sums.check_outcomes(loans)

    n_loans, n_paths = loans.n, ki.n_paths
    groups = _groups(config, n_paths)
    tape_flows = tape_ticks[:, 1:] / ks.TICKS
    price_total = float(prices.sum())
    costs_total = purchase.costs * n_loans
    tape = tape_measures(
        tape_flows, values, price_total, costs_total, pr.required_yield, hurdle, pr.confidence, groups=groups
    )
    per_loan = loan_bids(
        values, outlay, purchase.costs, pr.required_yield, hurdle, pr.confidence, outcome_yields, groups
    )

    la = ki.loans
    debt = la.balance + la.arrears + la.deferred  # arrears include escrow advances
    ask_above = prices > per_loan[f"bid_{pr.bid}"]
    bids = {
        "loan_id": np.asarray(loans.loan_id.astype(str), dtype=object),
        "upb": loans.balance,
        "total_debt": debt,
        "property_value": la.value0,
        "asking_price": prices,
        **per_loan,
        "ask_above_bid": ask_above,
        "asking_price_pct_upb": 100.0 * prices / loans.balance,
    }
    for name in BID_NAMES:
        bids[f"{name}_pct_upb"] = 100.0 * per_loan[name] / loans.balance

    tables = state_tables(config, loans, sums)
    summary = tables["summary"].to_pylist()[0]
    summary.update(
        pricing_summary(
            tape, float(loans.balance.sum()), float(la.value0.sum()), float(debt.sum()), price_total, costs_total,
            pr.required_yield, hurdle, pr.confidence, int(ask_above.sum()),
        )
    )
    tables["summary"] = pa.Table.from_pylist([summary])
    tables["paths"] = with_columns(tables["paths"], pricing_path_columns(tape, values))
    tables["outcomes"] = outcomes_table(outcome_mix(values, outlay, hurdle))
    tables["bids"] = bids_table(bids)
    if config.output.path_cashflows:
        tables["path_cashflows"] = path_cashflows_table(tape_flows, price_total + costs_total)
    sim = config.simulation
    return Analysis(
        tables,
        details={"sums": sums, "values": values, "tape_flows": tape_flows, "prices": prices, "tape": tape},
        metadata={"engine.seed": str(sim.seed), "engine.integration": sim.integration},
    )


def check_memory(n_loans: int, n_paths: int) -> None:
    """Refuse, before any kernel runs, a run whose loans x paths values would not fit."""
    need = n_loans * n_paths * LoanPathValues.BYTES_PER_VALUE
    if need > MAX_LOAN_PATH_BYTES:
        fit = MAX_LOAN_PATH_BYTES // (n_loans * LoanPathValues.BYTES_PER_VALUE)
        raise InputError(
            f"simulation.paths: pricing {n_loans:,} loans on {n_paths:,} paths keeps {need / 2**30:,.1f} GiB of "
            f"per-loan, per-path values (limit {MAX_LOAN_PATH_BYTES / 2**30:.0f} GiB); use at most {fit:,} paths, "
            "or price the tape in parts"
        )


@dataclass(frozen=True)
class PricedBlock:
    """What one pricing task returns: a block of loans on a range of paths.

    state : the state model's part (:class:`engine.models.state.StatePart`).
    tape_ticks : int64 (paths, horizon + 1) the block's holder cash summed over its loans.
    values : (loans, paths) arrays keyed as :class:`LoanPathValues`' fields.
    """

    state: StatePart
    tape_ticks: np.ndarray
    values: dict[str, np.ndarray]


def price_block(
    ki: KernelInputs,
    p0: int,
    p1: int,
    fees: tuple[float, float],
    outlay: np.ndarray,
    required_yield: float,
    hurdle: float,
    outcome_yields: tuple[float, ...],
) -> PricedBlock:
    """The pricing task: ``ki``'s loans (a block) on paths ``p0 .. p1 - 1``
    with holder outputs, reduced at once to per-loan, per-path values. Pure."""
    blk = simulate_block(ki, p0, p1, *fees)
    values = block_values(blk.cf, blk.outcome, blk.resolved, outlay, required_yield, hurdle, outcome_yields)
    return PricedBlock(blk.state, blk.cf.sum(axis=0), values)


def simulate_holder(
    config: cfg.Config,
    ki: KernelInputs,
    outlay: np.ndarray,
    required_yield: float,
    hurdle: float,
    outcome_yields: tuple[float, ...],
    progress: Callable[[int, int], None] | None = None,
    executor: Executor = LOCAL,
) -> tuple[StateSums, LoanPathValues, np.ndarray]:
    """Run the state model with holder outputs, as tasks of a block of loans
    on a range of paths (:func:`price_block`).

    Returns the reduced state-model sums (as the projection's), the
    loans x paths values (:func:`engine.analytics.pricing.block_values`) and
    the tape's holder cash per path, int64 ticks (paths, horizon + 1).
    Each block's flows are discarded once reduced.
    """
    holder = HolderCosts() if config.holder_costs is None else config.holder_costs
    fees = (holder.servicing_performing_monthly, holder.servicing_nonperforming_monthly)
    n_loans, n_paths, H = ki.n_loans, ki.n_paths, ki.horizon
    ex = config.execution
    task_paths, block_loans = block_shape(n_loans, n_paths, H, ex.task_paths or config.simulation.chunk_paths)
    if ex.loans_per_task() is not None:
        block_loans = min(block_loans, ex.loans_per_task())
    work = plan(n_loans, n_paths, block_loans, task_paths, auto_slots(executor, ex.task_paths))
    blocks = [(l0, executor.share(ki.block(l0, l1)), outlay[l0:l1]) for l0, l1 in work.blocks()]
    tasks = [
        (block, p0, p1, fees, block_outlay, required_yield, hurdle, outcome_yields)
        for _, block, block_outlay in blocks
        for p0, p1 in work.ranges()
    ]
    reducer = StateReducer(ki, len(blocks))
    values = LoanPathValues.empty(n_loans, n_paths)
    tape_ticks = np.zeros((n_paths, H + 1), dtype=np.int64)

    def fold(i: int, part: PricedBlock) -> int:
        p0, l0 = part.state.p0, part.state.l0
        tape_ticks[p0 : p0 + part.tape_ticks.shape[0]] += part.tape_ticks  # int64: exact in any order
        values.fill(l0, p0, part.values)
        return reducer.add(part.state)

    run_tasks(executor, price_block, tasks, fold, progress, n_paths)
    return reducer.sums, values, tape_ticks


register(
    AnalysisKind(
        name="pricing",
        description="note investor analytics: holder IRR distribution, outcome mix, bids three ways, per loan",
        reads=("assumptions", "simulation", "economy", "state_model", "purchase", "holder_costs", "pricing", "output"),
        run=run,
    )
)
