"""The loan-level state model's runner: config + tape -> kernel groups ->
chunks of paths -> reduced arrays.

Paths are processed in chunks of ``simulation.chunk_paths``. Each chunk is a
pure function of its inputs (:func:`simulate_chunk`): it returns the chunk's
per-path, per-month columns in int64 ticks (exact) and the per-loan outcome
sums, and :func:`reduce_chunk` folds them into a :class:`StateSums` in path
order. Memory is bounded by loans + paths x months; nothing ever holds
loans x paths x months. Results are bit-identical for any chunk size, thread
count or loan block split (see :mod:`engine.kernels.state`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numba
import numpy as np

from .. import config as cfg
from ..behavior.hazard import hazard_params, loan_arrays
from ..behavior.prepayment import prepay_params
from ..config.schema import MAX_DEFAULT_HORIZON_MONTHS
from ..errors import InputError
from ..economy.hpi import simulate_hpi
from ..inputs.tape import Loans
from ..jit import block_bounds
from ..kernels import state as ks
from ..kernels.holder import holder_off
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
class ChunkSums:
    """What one chunk of paths returns.

    per_path : int64 (paths, horizon + 1, N_S) ticks, derived columns filled.
    loan_sums : float64 (loans, N_O), the per-loan outcome sums of every path
        up to the chunk's last one (the ``loan_sums`` passed in plus the
        chunk's paths, added path by path in path order).
    """

    p0: int
    per_path: np.ndarray
    loan_sums: np.ndarray


def simulate_chunk(
    ki: KernelInputs, p0: int, p1: int, loan_sums: np.ndarray | None = None, n_blocks: int | None = None
) -> ChunkSums:
    """Run paths ``p0 .. p1 - 1``. A pure function: nothing passed in is modified.

    ``loan_sums`` are the per-loan outcome sums of paths ``0 .. p0 - 1``
    (zeros when None); the kernel adds each path's outcomes to a copy in path
    order, so the final sums do not depend on how paths were chunked.
    """
    if n_blocks is None:
        n_blocks = kernel_blocks()
    bounds = block_bounds(ki.n_loans, max(1, min(ki.n_loans, n_blocks)))
    out = np.zeros((len(bounds) - 1, p1 - p0, ki.horizon + 1, ks.N_S), dtype=np.int64)
    outcomes = np.zeros((ki.n_loans, ks.N_O)) if loan_sums is None else loan_sums.copy()
    simulate(
        ki.sampled, np.uint64(ki.seed), p0, bounds, 0, ki.loans, ki.prepay, ki.hazard, ki.hpi(p0, p1),
        ki.mortgage_rates(p0, p1), out, outcomes, holder_off(),
    )
    return chunk_from_ticks(ki, p0, out.sum(axis=0), outcomes)  # int64 (paths, t, c): exact


def kernel_blocks() -> int:
    """Loan blocks per kernel call: two per thread (the split does not change results)."""
    return 2 * numba.get_num_threads()


def chunk_from_ticks(ki: KernelInputs, p0: int, per_path: np.ndarray, loan_sums: np.ndarray) -> ChunkSums:
    """A :class:`ChunkSums` from the kernel's tick columns of every loan, summed
    over loan blocks (int64 (paths, horizon + 1, N_S), filled in place with the
    derived columns), and the per-loan outcome sums up to the chunk's last path."""
    _fill_derived(per_path, ki.start_current_ticks)
    return ChunkSums(p0, per_path, loan_sums)


@dataclass
class StateSums:
    """The reduced state-model run: path means and the per-path columns kept.

    totals_hi, totals_lo : int64 (horizon + 1, N_S): the per-path ticks summed
        over paths as ``sum(x >> 32)`` and ``sum(x & (2^32 - 1))``, so the
        exact total ``hi * 2^32 + lo`` cannot overflow for any realistic
        number of paths (:attr:`totals`).
    kept : name -> float64 (paths, horizon) per-path monthly columns
        (:data:`QUANTILE_COLUMNS`) [currency].
    path_cols : float64 (paths, horizon, N_PATH_COLS), by the ``P_*`` indexes.
    loan_sums : float64 (loans, N_O) per-loan outcome sums over paths.
    """

    n_paths: int
    horizon: int
    totals_hi: np.ndarray
    totals_lo: np.ndarray
    kept: dict[str, np.ndarray]
    path_cols: np.ndarray
    loan_sums: np.ndarray
    done: int = field(default=0)

    @classmethod
    def empty(cls, n_paths: int, horizon: int, n_loans: int) -> "StateSums":
        return cls(
            n_paths=n_paths,
            horizon=horizon,
            totals_hi=np.zeros((horizon + 1, ks.N_S), dtype=np.int64),
            totals_lo=np.zeros((horizon + 1, ks.N_S), dtype=np.int64),
            kept={name: np.empty((n_paths, horizon)) for name in QUANTILE_COLUMNS},
            path_cols=np.empty((n_paths, horizon, N_PATH_COLS)),
            loan_sums=np.zeros((n_loans, ks.N_O)),
        )

    @property
    def totals(self) -> np.ndarray:
        """Exact sums over paths of the tick columns (Python ints, object array)."""
        return self.totals_hi.astype(object) * (1 << 32) + self.totals_lo.astype(object)

    @property
    def mean(self) -> np.ndarray:
        """Path means by month (months 1..horizon) x S_* columns [currency]:
        the exact tick total rounded once to float64, / TICKS / paths."""
        totals = np.array([float(x) for x in self.totals[1:].ravel()]).reshape(self.horizon, ks.N_S)
        return totals / ks.TICKS / self.n_paths

    @property
    def per_loan(self) -> np.ndarray:
        """Per-loan outcome means over paths (loans x O_* columns)."""
        return self.loan_sums / self.n_paths


def reduce_chunk(sums: StateSums, chunk: ChunkSums) -> StateSums:
    """Fold one chunk into ``sums`` (chunks arrive in path order)."""
    per_path = chunk.per_path
    p0, p1 = chunk.p0, chunk.p0 + per_path.shape[0]
    sums.totals_hi += (per_path >> 32).sum(axis=0)
    sums.totals_lo += (per_path & 0xFFFFFFFF).sum(axis=0)
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
    sums.loan_sums = chunk.loan_sums
    sums.done = p1
    return sums


def simulate_state(
    config: cfg.Config,
    loans: Loans,
    progress: Callable[[int, int], None] | None = None,
    hpi_paths: np.ndarray | None = None,
    rates: RatePathInputs | None = None,
) -> StateSums:
    """Project the loan-level state model over all paths.

    Parameters
    ----------
    config : a validated config with ``model: state``.
    loans : the validated tape.
    progress : called as ``progress(paths_done, paths_total)`` after each chunk.
    hpi_paths : optional (paths, horizon + 1) HPI levels relative to today,
        replacing the configured home-price model.
    rates : optional rate paths (market mortgage rates, rate shocks).
    """
    ki = kernel_inputs(config, loans, hpi_paths, rates)
    n_paths = ki.n_paths
    sums = StateSums.empty(n_paths, ki.horizon, loans.n)
    chunk = max(1, min(config.simulation.chunk_paths, n_paths))
    for p0 in range(0, n_paths, chunk):
        p1 = min(n_paths, p0 + chunk)
        reduce_chunk(sums, simulate_chunk(ki, p0, p1, sums.loan_sums))
        if progress is not None:
            progress(p1, n_paths)
    return sums
