"""The loan-level state model's runner: config + tape -> kernel groups ->
chunks of paths -> reduced arrays.

The run is cut into tasks, blocks of loans x ranges of paths
(:mod:`engine.execution`). Each task is a pure function of its inputs
(:func:`simulate_chunk`): it returns the paths' per-month columns summed
over its loans and its loans' outcome sums over its paths, both in int64
ticks (exact), and :class:`StateReducer` folds them, in any order, into a
:class:`StateSums`. Memory is bounded by loans + paths x months; nothing
ever holds loans x paths x months. Results are bit-identical for any task
size, thread count, backend or order of completion (see
:mod:`engine.kernels.state`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

import numba
import numpy as np

from .. import config as cfg
from ..behavior.hazard import hazard_params, loan_arrays
from ..behavior.prepayment import prepay_params
from ..config.schema import MAX_DEFAULT_HORIZON_MONTHS
from ..errors import InputError
from ..economy.hpi import simulate_hpi
from ..execution import LOCAL, Executor, auto_slots, plan, run_tasks
from ..inputs.tape import Loans
from ..jit import block_bounds
from ..kernels import state as ks
from ..kernels.holder import HolderArrays, holder_off
from ..kernels.integration import simulate
from ..kernels.prepayment import PrepayParams
from ..kernels.state import HazardParams, LoanArrays

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

# per-loan outcomes: name -> (probability column, probability-weighted month column)
OUTCOMES = (
    ("prepaid", ks.O_PREPAID, ks.O_PREPAID_T),
    ("matured", ks.O_MATURED, ks.O_MATURED_T),
    ("liquidated", ks.O_LIQUIDATED, ks.O_LIQUIDATED_T),
    ("deed_in_lieu", ks.O_DIL, ks.O_DIL_T),
    ("foreclosure_sale", ks.O_FC_SALE, ks.O_FC_SALE_T),
    ("modified", ks.O_MODIFIED, ks.O_MODIFIED_T),
)

# the per-path columns a run keeps for its paths table and quantiles
QUANTILE_COLUMNS = ("total_cash_flow", "total_principal", "interest", "net_loss", "liquidations", "performing_balance")
P_CASH, P_PRINCIPAL, P_REO_IN, P_NET_LOSS, P_LIQUIDATIONS = range(5)  # per-path column indexes
N_PATH_COLS = 5


def derived(x: np.ndarray) -> dict[str, np.ndarray]:
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


def default_horizon(config: cfg.Config, term_max: int, fc_max: int, mods_on: bool) -> int:
    """Months enough for every scheduled maturity plus a full default timeline."""
    if config.simulation.horizon is not None:
        return config.simulation.horizon
    last = max(term_max, config.state_model.modification.term_months if mods_on else 0)
    return int(min(MAX_DEFAULT_HORIZON_MONTHS, last + ks.K + fc_max + config.state_model.reo.months + 1))


# The accumulators are int64 ticks of 1 / TICKS currency. One path's monthly
# column sums over loans must stay below 2^63 ticks (9.2e14 currency); this
# cap on the tape's amounts (balances, arrears, deferred balances and property
# values, all loans together) leaves room for home prices to grow 90-fold.
MAX_TAPE_AMOUNT = 1e13  # [currency]

# The per-path monthly columns a run keeps (quantiles, the paths table) must
# fit in memory; a run that would need more is refused before it starts.
MAX_KEPT_BYTES = 8 * 2**30


@dataclass(frozen=True)
class KernelInputs:
    """A config and tape resolved into the state kernel's named groups, and
    the home-price model (or fixed paths) drawn chunk by chunk."""

    sampled: bool
    seed: int
    horizon: int
    loans: LoanArrays
    prepay: PrepayParams
    hazard: HazardParams
    hpi_model: object  # engine.economy.hpi.HPIModel, or None with fixed paths
    hpi_fixed: np.ndarray | None  # (paths, horizon + 1) given by the caller
    n_paths: int
    start_current_ticks: int  # current balance at month 0, for the roll-rate base
    n_loans: int
    # rate paths: (paths, horizon + 1) market mortgage rate of month t, or (0, 0) for the flat rate
    mortgage_rate: np.ndarray = field(default_factory=lambda: FLAT_RATE)
    rate_shocks: np.ndarray | None = None  # (paths, horizon) the rate paths' shocks, month t in column t - 1
    loan0: int = 0  # global index of loans[0]: a block of the tape keys its random numbers as the whole tape does

    def block(self, l0: int, l1: int) -> "KernelInputs":
        """Loans ``l0 .. l1 - 1`` of these inputs (the rest shared): one task's block."""
        if (l0, l1) == (0, self.n_loans):
            return self
        return replace(self, loans=LoanArrays(*(a[l0:l1] for a in self.loans)), n_loans=l1 - l0, loan0=self.loan0 + l0)

    def hpi(self, p0: int, p1: int) -> np.ndarray:
        """Home-price paths p0 .. p1 - 1, (p1 - p0, horizon + 1), relative to today
        (correlated with the rate shocks of the same paths when there are rate paths)."""
        if self.hpi_fixed is not None:
            return self.hpi_fixed[p0:p1]
        shocks = None if self.rate_shocks is None else self.rate_shocks[p0:p1]
        return simulate_hpi(self.hpi_model, p1 - p0, self.horizon, self.seed, rate_shocks=shocks, path0=p0)

    def mortgage_rates(self, p0: int, p1: int) -> np.ndarray:
        """The kernel's market-rate argument for paths p0 .. p1 - 1."""
        return self.mortgage_rate[p0:p1] if self.mortgage_rate.shape[0] else self.mortgage_rate


# the kernel's mortgage-rate argument without rate paths (the flat economy.mortgage_rate)
FLAT_RATE = np.empty((0, 0))


@dataclass(frozen=True)
class RatePathInputs:
    """Rate paths for the state model (from ``engine.economy.market``).

    mortgage_rate : (paths, horizon + 1) market mortgage rate of month t
        [annual decimal], or None when prepayment is rate-blind.
    rate_shocks : (paths, horizon) standard normals of the rate paths (HPI
        correlation), or None (no volatility).
    floor_rate : the market rate at the analysis date [annual decimal]: the
        modification rate floor when ``rate_floor`` is not given.
    hpi_model : a home-price model replacing ``economy.hpi`` (a scenario), or None.
    """

    mortgage_rate: np.ndarray | None
    rate_shocks: np.ndarray | None
    floor_rate: float
    hpi_model: object = None


def kernel_inputs(
    config: cfg.Config, loans: Loans, hpi_paths: np.ndarray | None = None, rates: RatePathInputs | None = None
) -> KernelInputs:
    """Resolve loans, hazards, prepayment, horizon and home-price paths for
    the kernel; ``rates`` puts the run on rate paths."""
    sim = config.simulation
    floor_rate = config.economy.mortgage_rate if rates is None else rates.floor_rate
    la = loan_arrays(loans, config.state_model, floor_rate)
    fc_max = max(1, int(la.t_fc.max()))
    hz = hazard_params(config.state_model, fc_max)
    pp = prepay_params(config.assumptions.prepay, sim.start_month, config.economy.mortgage_rate)
    H = default_horizon(config, int(la.term.max()), fc_max, hz.mods_on)
    check_capacity(la, sim.paths, H)
    model = None
    if hpi_paths is None:
        model = rates.hpi_model if rates is not None and rates.hpi_model is not None else config.economy.hpi.to_model()
    else:
        hpi_paths = np.ascontiguousarray(hpi_paths, dtype=np.float64)
        if hpi_paths.shape != (sim.paths, H + 1):
            raise ValueError(f"hpi_paths: expected shape {(sim.paths, H + 1)}, got {hpi_paths.shape}")
    starts_current = (la.status == 0) & (la.behind == 0)
    start_current = int(np.floor(la.balance[starts_current] * ks.TICKS + 0.5).sum())
    mortgage_rate, rate_shocks = FLAT_RATE, None
    if rates is not None:
        if rates.mortgage_rate is not None:
            mortgage_rate = np.ascontiguousarray(rates.mortgage_rate, dtype=np.float64)
            if mortgage_rate.shape != (sim.paths, H + 1):
                raise ValueError(f"mortgage_rate: expected shape {(sim.paths, H + 1)}, got {mortgage_rate.shape}")
        if rates.rate_shocks is not None:
            rate_shocks = np.asarray(rates.rate_shocks, dtype=np.float64)[:, :H]
    return KernelInputs(
        sim.integration == "sampled", int(sim.seed), H, la, pp, hz, model, hpi_paths, int(sim.paths),
        start_current, loans.n, mortgage_rate, rate_shocks,
    )


def check_capacity(la: LoanArrays, n_paths: int, horizon: int) -> None:
    """Refuse, before any kernel runs, a tape whose amounts could overflow the
    int64 tick accumulators, or a run whose kept per-path columns would not
    fit in memory; each message names the limit."""
    amount = float(np.sum(la.balance) + np.sum(la.arrears) + np.sum(la.deferred) + np.sum(la.value0))
    if not amount <= MAX_TAPE_AMOUNT:
        raise InputError(
            f"loans: balances, arrears, deferred balances and property values add up to {amount:,.0f}, "
            f"above the state model's limit of {MAX_TAPE_AMOUNT:,.0f} per run (its sums are exact "
            "int64 ticks of 1e-4); split the tape into smaller runs"
        )
    need = n_paths * horizon * (len(QUANTILE_COLUMNS) + N_PATH_COLS) * 8
    if need > MAX_KEPT_BYTES:
        fit = MAX_KEPT_BYTES // (horizon * (len(QUANTILE_COLUMNS) + N_PATH_COLS) * 8)
        raise InputError(
            f"simulation.paths: {n_paths:,} paths x {horizon} months need {need / 2**30:,.1f} GiB for the "
            f"per-path columns behind the quantiles and the paths table (limit {MAX_KEPT_BYTES / 2**30:.0f} GiB); "
            f"use at most {fit:,} paths, or a shorter simulation.horizon"
        )


@dataclass(frozen=True)
class StatePart:
    """What one task returns: loans ``l0 ..`` of a block on paths ``p0 ..``.

    per_path : int64 (paths, horizon + 1, N_S) tick columns summed over the
        block's loans (derived columns not filled: add blocks first).
    loan_ticks : int64 (loans, N_O) the block's per-loan outcome sums over
        the task's paths, fixed-point ticks (:mod:`engine.kernels.state`).
    """

    l0: int
    p0: int
    per_path: np.ndarray
    loan_ticks: np.ndarray


def simulate_chunk(
    ki: KernelInputs, p0: int, p1: int, n_blocks: int | None = None, holder: HolderArrays | None = None
) -> StatePart:
    """Run ``ki``'s loans on paths ``p0 .. p1 - 1``: the state model's task.

    A pure function: nothing passed in is modified (but ``holder``, the
    per-loan holder outputs to fill, :mod:`engine.models.holder`), and every
    random number is keyed by the global path and loan index, so the parts
    of any split of loans and paths add up, exactly, to the whole run's.
    """
    if n_blocks is None:
        n_blocks = kernel_blocks()
    bounds = block_bounds(ki.n_loans, max(1, min(ki.n_loans, n_blocks)))
    out = np.zeros((len(bounds) - 1, p1 - p0, ki.horizon + 1, ks.N_S), dtype=np.int64)
    loan_ticks = np.zeros((ki.n_loans, ks.N_O), dtype=np.int64)
    simulate(
        ki.sampled, np.uint64(ki.seed), p0, bounds, ki.loan0, ki.loans, ki.prepay, ki.hazard, ki.hpi(p0, p1),
        ki.mortgage_rates(p0, p1), out, loan_ticks, holder_off() if holder is None else holder,
    )
    return StatePart(ki.loan0, p0, out.sum(axis=0), loan_ticks)  # int64: exact


def kernel_blocks() -> int:
    """Loan blocks per kernel call: two per thread (the split does not change results)."""
    return 2 * numba.get_num_threads()


class ExactSum:
    """A sum of int64 arrays that cannot overflow and does not depend on the
    order of the addends: each is added as its high and low 32-bit halves,
    ``sum(x >> 32)`` and ``sum(x & (2^32 - 1))``."""

    def __init__(self, shape: tuple[int, ...]):
        self.hi = np.zeros(shape, dtype=np.int64)
        self.lo = np.zeros(shape, dtype=np.int64)

    def add(self, x: np.ndarray, at=slice(None), axis: int | None = None) -> None:
        """Add ``x`` (summed over ``axis`` first, if given) into ``[at]``."""
        hi, lo = x >> 32, x & 0xFFFFFFFF
        if axis is not None:
            hi, lo = hi.sum(axis=axis), lo.sum(axis=axis)
        self.hi[at] += hi
        self.lo[at] += lo

    def exact(self) -> np.ndarray:
        """The sums as Python ints (object array)."""
        return self.hi.astype(object) * (1 << 32) + self.lo.astype(object)

    def to_float(self) -> np.ndarray:
        """The sums rounded once to float64 (as ``float(int)`` rounds them):
        with the low halves carried into the high ones, ``hi * 2^32`` and
        ``lo`` are exact doubles and their one addition rounds the exact sum."""
        hi = self.hi + (self.lo >> 32)
        lo = self.lo & 0xFFFFFFFF
        return hi.astype(np.float64) * 4294967296.0 + lo.astype(np.float64)


@dataclass
class StateSums:
    """The reduced state-model run: path means and the per-path columns kept.

    totals : (horizon + 1, N_S) the per-path tick columns summed over paths
        (:class:`ExactSum`; :attr:`mean`).
    kept : name -> float64 (paths, horizon) per-path monthly columns
        (:data:`QUANTILE_COLUMNS`) [currency].
    path_cols : float64 (paths, horizon, N_PATH_COLS), by the ``P_*`` indexes.
    loan_ticks : (loans, N_O) per-loan outcome sums over paths, fixed-point
        ticks (:class:`ExactSum`; :attr:`per_loan`).
    loan_scale : float64 (loans,) ticks per currency unit of each loan's
        currency outcomes (probabilities, months, counts: ``PROB_TICKS``).
    """

    n_paths: int
    horizon: int
    totals_sum: ExactSum
    kept: dict[str, np.ndarray]
    path_cols: np.ndarray
    loan_ticks: ExactSum
    loan_scale: np.ndarray
    done: int = field(default=0)

    @classmethod
    def empty(cls, n_paths: int, horizon: int, loans: LoanArrays) -> "StateSums":
        n_loans = len(loans.balance)
        return cls(
            n_paths=n_paths,
            horizon=horizon,
            totals_sum=ExactSum((horizon + 1, ks.N_S)),
            kept={name: np.empty((n_paths, horizon)) for name in QUANTILE_COLUMNS},
            path_cols=np.empty((n_paths, horizon, N_PATH_COLS)),
            loan_ticks=ExactSum((n_loans, ks.N_O)),
            loan_scale=ks.loan_tick_scales(loans),
        )

    @property
    def totals(self) -> np.ndarray:
        """Exact sums over paths of the tick columns (Python ints, object array)."""
        return self.totals_sum.exact()

    @property
    def mean(self) -> np.ndarray:
        """Path means by month (months 1..horizon) x S_* columns [currency]:
        the exact tick total rounded once to float64, / TICKS / paths."""
        return self.totals_sum.to_float()[1:] / ks.TICKS / self.n_paths

    @property
    def per_loan(self) -> np.ndarray:
        """Per-loan outcome means over paths (loans x O_* columns): the exact
        tick total rounded once to float64, / ticks per unit / paths."""
        per_loan = self.loan_ticks.to_float()
        per_loan /= ks.PROB_TICKS
        for c in ks.O_CURRENCY:
            per_loan[:, c] *= ks.PROB_TICKS / self.loan_scale  # exact: powers of two
        return per_loan / self.n_paths

    def check_outcomes(self, loans: Loans) -> None:
        """Refuse a run in which a loan's outcomes on some path were too
        large for their ticks (costs thousands of times the loan's amount)."""
        bad = np.flatnonzero(self.loan_ticks.hi[:, ks.O_OVERFLOW] + self.loan_ticks.lo[:, ks.O_OVERFLOW])
        if bad.size:
            i = int(bad[0])
            raise InputError(
                f"loans: loan {loans.loan_id[i]!r} (row {i + 1}): its liquidation amounts or losses on a path "
                "exceed 2^11 times its balance, arrears, deferred balance and property value together; check the "
                "loan's amounts and state_model costs"
            )


def reduce_paths(sums: StateSums, p0: int, per_path: np.ndarray) -> StateSums:
    """Fold paths ``p0 ..`` (int64 tick columns of every loan, derived
    columns filled) into ``sums``: exact totals, and the kept per-path
    columns in their own rows, so the order of calls does not matter."""
    p1 = p0 + per_path.shape[0]
    sums.totals_sum.add(per_path, axis=0)
    x = per_path[:, 1:, :] / ks.TICKS
    d = derived(x)
    cols = {**{name: x[..., c] for c, name in STATE_COLUMNS.items()}, **d}
    for name in QUANTILE_COLUMNS:
        sums.kept[name][p0:p1] = cols[name]
    sums.path_cols[p0:p1, :, P_CASH] = d["total_cash_flow"]
    sums.path_cols[p0:p1, :, P_PRINCIPAL] = d["total_principal"]
    sums.path_cols[p0:p1, :, P_REO_IN] = x[..., ks.S_REO_IN]
    sums.path_cols[p0:p1, :, P_NET_LOSS] = x[..., ks.S_NET_LOSS]
    sums.path_cols[p0:p1, :, P_LIQUIDATIONS] = x[..., ks.S_LIQ_BAL]
    sums.done += per_path.shape[0]
    return sums


class StateReducer:
    """Folds :class:`StatePart` s, in any order, into a :class:`StateSums`.

    A range of paths is folded once every loan block has reported it (the
    blocks' tick columns are added first, exactly); per-loan outcome ticks
    go straight into their rows. ``ki`` is the whole tape's inputs.
    """

    def __init__(self, ki: KernelInputs, n_loan_blocks: int):
        self.ki = ki
        self.sums = StateSums.empty(ki.n_paths, ki.horizon, ki.loans)
        self._blocks = n_loan_blocks
        self._pending: dict[int, list] = {}

    def add(self, part: StatePart) -> int:
        """Fold ``part``; returns the number of paths completed by it (0 or its paths)."""
        n = part.loan_ticks.shape[0]
        self.sums.loan_ticks.add(part.loan_ticks, slice(part.l0, part.l0 + n))
        held = self._pending.get(part.p0)
        if held is None:  # the part's own array (a copy if it arrived read-only)
            own = part.per_path if part.per_path.flags.writeable else part.per_path.copy()
            held = self._pending[part.p0] = [own, 0]
        else:
            held[0] += part.per_path
        held[1] += 1
        if held[1] < self._blocks:
            return 0
        del self._pending[part.p0]
        _fill_derived(held[0], self.ki.start_current_ticks)
        reduce_paths(self.sums, part.p0, held[0])
        return held[0].shape[0]


def simulate_state(
    config: cfg.Config,
    loans: Loans,
    progress: Callable[[int, int], None] | None = None,
    hpi_paths: np.ndarray | None = None,
    rates: RatePathInputs | None = None,
    executor: Executor = LOCAL,
) -> StateSums:
    """Project the loan-level state model over all paths.

    Parameters
    ----------
    config : a validated config with ``model: state``.
    loans : the validated tape.
    progress : called as ``progress(done, total)`` as tasks finish (paths
        locally, tasks on a cluster: ``executor.unit``).
    hpi_paths : optional (paths, horizon + 1) HPI levels relative to today,
        replacing the configured home-price model.
    rates : optional rate paths (market mortgage rates, rate shocks).
    executor : where the tasks run (:mod:`engine.execution`).
    """
    ki = kernel_inputs(config, loans, hpi_paths, rates)
    ex = config.execution
    work = plan(
        ki.n_loans, ki.n_paths, ex.loans_per_task(), ex.task_paths or config.simulation.chunk_paths,
        auto_slots(executor, ex.task_paths),
    )
    blocks = [executor.share(ki.block(l0, l1)) for l0, l1 in work.blocks()]
    tasks = [(block, p0, p1) for block in blocks for p0, p1 in work.ranges()]
    reducer = StateReducer(ki, len(blocks))
    run_tasks(executor, simulate_chunk, tasks, lambda i, part: reducer.add(part), progress, ki.n_paths)
    reducer.sums.check_outcomes(loans)
    return reducer.sums
