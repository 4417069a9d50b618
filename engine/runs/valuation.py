"""The ``valuation`` analysis kind: the pool on interest-rate paths, valued
the way an MBS desk values it (the default kind when ``economy.curve`` is
given).

1. Rate paths: Hull-White one-factor on the zero curve (or the forward path
   with ``rates: none``), the mortgage rate of each path its 10-year par rate
   plus ``economy.mortgage_spread`` (:mod:`engine.economy.market`).
2. Cash flows on every path from the cash-flow model; prepayments of the
   ``turnover_refi`` model follow each path's mortgage rate, rate-blind
   models give the same flows on every path.
3. OAS from the price (or price from the OAS): the constant spread over
   every path's short rate at which the mean path PV equals the price;
   standard errors across independent samples (an antithetic pair, a Sobol
   replicate).
4. Z-spread: the spread over the zero curve that prices the cash flows
   projected on the curve's forward path; option cost = Z-spread - OAS.
5. Effective duration and convexity: the curve shifted by +-``shift_bp``,
   the same random numbers, the OAS held, prepayments responding; spread
   duration ``-(dP/ds)/P`` at the OAS; key-rate durations from triangular
   bumps at the curve's tenors (``valuation.key_rate_durations``).
6. Scenarios (``scenarios:`` / ``--scenario``): each scenario's paths valued
   at the base OAS, one row each in ``scenarios.parquet``.

Cash-flow models are dispatched through :data:`PROJECTORS`.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np
import pyarrow as pa

from .. import config as cfg
from ..analytics.pool import pool_stats, wal_years
from ..analytics.spreads import effective_convexity, effective_duration, zspread
from ..analytics.valuation import OptionAdjusted, option_adjusted, price_at_oas, spread_duration
from ..analytics.yields import bey_from_mortgage_yield, yield_from_pv
from ..behavior.prepayment import rate_driven
from ..config.scenarios import Scenario, load_scenario
from ..economy.market import MarketPaths, MarketShift, payment_times, simulate_market
from ..economy.short_rate import HullWhite
from ..errors import ConfigError
from ..execution import LOCAL, Executor, auto_slots
from ..inputs.tape import Loans
from ..models.paths import PathFlows
from ..models.standard_paths import path_inputs, project_on_paths
from ..models.state import P_CASH, P_NET_LOSS, P_PRINCIPAL, P_REO_IN, RatePathInputs, kernel_inputs, simulate_state
from ..output.columns import KEY_RATE_DURATIONS, MORTGAGE_RATE_QUANTILES, SCENARIOS, VALUATION_PATHS
from ..output.tables import quantile_columns, state_cashflow_columns
from . import Analysis, AnalysisKind, register

__all__ = ["PROJECTORS", "Valuation", "Valuator", "run", "value"]


# --------------------------------------------------------------------------
# projecting the pool on market paths


class StandardProjector:
    """The SIFMA standard model on market paths."""

    def __init__(self, config: cfg.Config, loans: Loans, executor: Executor = LOCAL):
        self.inputs = path_inputs(loans, config.assumptions, config.simulation.start_month)
        self.chunk_paths = config.execution.task_paths or config.simulation.chunk_paths
        self.path_slots = auto_slots(executor, config.execution.task_paths)
        self.loan_slots = auto_slots(executor, config.execution.task_loans)
        self.task_loans = config.execution.loans_per_task()
        self.n_months = self.inputs.n_months
        self.executor = executor

    uses_home_prices = False

    def __call__(self, market: MarketPaths, scenario: Scenario | None = None) -> PathFlows:
        return project_on_paths(
            self.inputs, market.mortgage_rate, self.chunk_paths,
            executor=self.executor, task_loans=self.task_loans, slots=self.path_slots, loan_slots=self.loan_slots,
        )


class StateProjector:
    """The loan-level state model on market paths: each path's mortgage rates
    drive prepayment (rate-driven models), its rate shocks feed the home-price
    correlation (``economy.hpi.correlation``); expected or sampled integration
    as ``simulation.integration`` says. Loan events use the same random
    numbers on shifted curves (keyed by seed, path, loan, month)."""

    uses_home_prices = True

    def __init__(self, config: cfg.Config, loans: Loans, executor: Executor = LOCAL):
        self.config = config
        self.loans = loans
        self.executor = executor
        ki = kernel_inputs(config, loans)
        self.n_months = ki.horizon
        self.rate_driven = rate_driven(ki.prepay)

    def __call__(self, market: MarketPaths, scenario: Scenario | None = None) -> PathFlows:
        n_paths = self.config.simulation.paths
        rates = None
        if self.rate_driven:
            rates = market.mortgage_rate
            if rates.shape[0] != n_paths:  # the forward path stands for every path
                rates = np.repeat(rates, n_paths, axis=0)
        inputs = RatePathInputs(
            mortgage_rate=rates,
            rate_shocks=None if market.deterministic else market.shocks,
            floor_rate=float(market.mortgage_rate[0, 1]),
            hpi_model=scenario.hpi if scenario is not None else None,
        )
        sums = simulate_state(self.config, self.loans, rates=inputs, executor=self.executor)
        cols = sums.path_cols
        return PathFlows(
            cash=cols[..., P_CASH],
            principal=cols[..., P_PRINCIPAL],
            defaults=cols[..., P_REO_IN].sum(axis=1),
            losses=cols[..., P_NET_LOSS].sum(axis=1),
            columns=state_cashflow_columns(sums),
            same_on_every_path=False,
            details=sums,
        )


# config `model` -> projector class
PROJECTORS: dict[str, Callable[..., StandardProjector | StateProjector]] = {
    "standard": StandardProjector,
    "state": StateProjector,
}


# --------------------------------------------------------------------------
# one valuation

# projections made side by side on a cluster (each one's tasks spread over the workers)
MAX_PARALLEL_PROJECTIONS = 8


def _projection_key(shift: MarketShift | None, scenario: Scenario | None) -> tuple:
    return (shift or MarketShift(), None if scenario is None else scenario.name)


@dataclass
class Projection:
    """Market paths and the pool's cash flows on them."""

    market: MarketPaths
    flows: PathFlows


@dataclass
class Valuation:
    """Everything the valuation kind computes (the arrays behind its tables).

    base : market paths and cash flows on the unshifted curve.
    measures : OAS and price with standard errors.
    zspread, option_cost : [annual decimal]; NaN if the Z-spread solve fails.
    effective_duration [years], effective_convexity [years^2],
    spread_duration [years].
    key_rate_durations : float64[tenors] or None.
    scenarios : one dict per scenario row (``scenarios.parquet``), or [].
    """

    base: Projection
    measures: OptionAdjusted
    zspread: float
    option_cost: float
    effective_duration: float
    effective_convexity: float
    spread_duration: float
    key_rate_durations: np.ndarray | None
    tenors: np.ndarray
    scenarios: list[dict] = field(default_factory=list)


class Valuator:
    """A config and tape resolved for valuation: the curve, the rate model,
    the payment grid and the cash-flow model's projector."""

    def __init__(self, config: cfg.Config, loans: Loans, executor: Executor = LOCAL):
        if config.model not in PROJECTORS:
            raise ConfigError(
                f"model: the valuation on rate paths takes model {', '.join(PROJECTORS)}, got {config.model!r}"
            )
        econ, sim, val = config.economy, config.simulation, config.valuation
        self.config = config
        self.curve = econ.curve.to_curve()
        rates = econ.rates_model
        self.model = (
            HullWhite(rates.mean_reversion, rates.volatility) if rates.model == "hull_white" else None
        )
        self.spread = econ.spread
        self.n_paths = sim.paths
        self.seed = sim.seed
        self.antithetic = bool(sim.antithetic)
        self.sobol = bool(sim.sobol)
        self.valuation = val
        self.face = float(loans.balance.sum())
        self.project_flows = PROJECTORS[config.model](config, loans, executor)
        self.times = payment_times(self.project_flows.n_months, val.delay_days)
        self.executor = executor
        # made ahead (prefetch), by (shift, scenario name): whole projections, and prices at the OAS
        self._ready: dict = {}
        self._prices: dict = {}

    def market(self, shift: MarketShift | None = None) -> MarketPaths:
        return simulate_market(
            self.curve, self.model, self.spread, self.times, self.n_paths, self.seed,
            antithetic=self.antithetic, sobol=self.sobol, shift=shift,
        )

    def project(self, shift: MarketShift | None = None, scenario: Scenario | None = None) -> Projection:
        ready = self._ready.pop(_projection_key(shift, scenario), None)
        if ready is not None:
            return ready
        market = self.market(shift)
        return Projection(market, self.project_flows(market, scenario))

    def priced(self, shift: MarketShift | None, scenario: Scenario | None, oas: float) -> float:
        """:meth:`price` at ``oas`` of the projection on ``shift`` (made ahead if prefetched)."""
        ready = self._prices.pop(_projection_key(shift, scenario), None)
        if ready is not None:
            return ready
        return self.price(self.project(shift, scenario), oas)

    def prefetch(self, requests: list[tuple[MarketShift, Scenario | None, bool]], oas: float) -> None:
        """Make these projections now, side by side, when the tasks run on a
        cluster: they are independent (the cash flows of a shifted curve do
        not depend on the OAS), so a cluster runs all their tasks at once
        instead of one projection after the other. A request's third item
        says whether its whole projection is kept (a scenario's row needs it)
        or only its price at ``oas``; each is what :meth:`project` and
        :meth:`priced` would give. Locally (one task at a time) nothing is
        done ahead."""
        if self.executor.slots <= 1 or len(requests) < 2:
            return

        def make(shift: MarketShift, scenario: Scenario | None, keep: bool):
            proj = self.project(shift, scenario)
            return proj if keep else self.price(proj, oas)

        with ThreadPoolExecutor(max_workers=min(len(requests), MAX_PARALLEL_PROJECTIONS)) as pool:
            futures = [(r, pool.submit(make, *r)) for r in requests]
            for (shift, scenario, keep), future in futures:
                (self._ready if keep else self._prices)[_projection_key(shift, scenario)] = future.result()

    def shifted(self, base: MarketShift | None, dy: float) -> MarketShift:
        """``base`` with the whole curve moved by ``dy`` more."""
        base = base or MarketShift()
        return MarketShift(base.curve_shift + dy, base.key_rate, base.mortgage_rate_path)

    def scenario_shift(self, scenario: Scenario) -> MarketShift:
        return MarketShift(curve_shift=scenario.curve_shift, mortgage_rate_path=scenario.mortgage_rate_path)

    def risk_requests(self, key_rates: bool, scenarios: list[Scenario]) -> list[tuple[MarketShift, Scenario | None, bool]]:
        """Every projection the durations, key rates and scenarios need, as
        (shift, scenario, keep the whole projection) for :meth:`prefetch`."""
        dy = self.valuation.shift
        out = [(self.shifted(None, dy), None, False), (self.shifted(None, -dy), None, False)]
        if key_rates:
            for i in range(len(self.curve.tenors)):
                out += [(MarketShift(key_rate=(i, dy)), None, False), (MarketShift(key_rate=(i, -dy)), None, False)]
        for s in scenarios:
            base = self.scenario_shift(s)
            out += [(base, s, True), (self.shifted(base, dy), s, False), (self.shifted(base, -dy), s, False)]
        return out

    def groups(self, proj: Projection):
        """The statistical sample of each path: the rate model's groups, or
        every path its own sample when only the cash flows vary by path."""
        n = max(proj.market.discount.shape[0], proj.flows.cash.shape[0])
        return proj.market.groups if len(proj.market.groups) == n else np.arange(n)

    def price(self, proj: Projection, oas: float) -> float:
        """Mean path PV at ``oas`` [percent of face]."""
        return price_at_oas(proj.flows.cash, proj.market.discount, self.times[1:], oas, self.face)

    def durations(self, oas: float, p0: float, shift: MarketShift | None = None, scenario=None):
        """Effective duration and convexity at ``oas`` around ``shift``."""
        dy = self.valuation.shift
        p_up = self.priced(self.shifted(shift, dy), scenario, oas)
        p_down = self.priced(self.shifted(shift, -dy), scenario, oas)
        return effective_duration(p_down, p_up, p0, dy), effective_convexity(p_down, p_up, p0, dy)

    def key_rate_durations(self, oas: float, p0: float) -> np.ndarray:
        dy = self.valuation.shift
        out = np.empty(len(self.curve.tenors))
        for i in range(len(out)):
            p_up = self.priced(MarketShift(key_rate=(i, dy)), None, oas)
            p_down = self.priced(MarketShift(key_rate=(i, -dy)), None, oas)
            out[i] = effective_duration(p_down, p_up, p0, dy)
        return out

    def zspread(self, target_price: float) -> float:
        """Z-spread of the cash flows projected on the curve's forward path
        (their mean over the model's own paths: the state model still draws
        home prices and loan events on the forward rate path)."""
        forward = simulate_market(self.curve, None, self.spread, self.times, 1, self.seed)
        flows = self.project_flows(forward)
        cash = flows.columns["total_cash_flow"]
        sol = zspread(cash, self.curve, self.times[1:], target_price / 100.0 * self.face)
        return sol.spread

    def scenario_row(self, scenario: Scenario, oas: float) -> dict:
        shift = self.scenario_shift(scenario)
        proj = self.project(shift, scenario)
        price = self.price(proj, oas)
        dur, conv = self.durations(oas, price, shift, scenario)
        return self.row(scenario.name, scenario.description, scenario.curve_shift, proj, price, oas, dur, conv)

    def row(self, name, description, curve_shift, proj, price, oas, dur, conv) -> dict:
        """One row of ``scenarios.parquet`` (``engine.output.columns.SCENARIOS``)."""
        flows = proj.flows
        mean_cash, mean_principal = flows.columns["total_cash_flow"], flows.columns["total_principal"]
        y = yield_from_pv(mean_cash, price / 100.0 * self.face, self.valuation.delay_days)
        return {
            "scenario": name,
            "description": description,
            "curve_shift_bp": 1e4 * curve_shift,
            "price": price,
            "oas": oas,
            "wal": wal_years(mean_principal, flows.columns["month"]),
            "yield_bey": bey_from_mortgage_yield(y),
            "mortgage_yield": y,
            "cumulative_defaults_pct": 100.0 * float(flows.defaults.mean()) / self.face,
            "cumulative_losses_pct": 100.0 * float(flows.losses.mean()) / self.face,
            "effective_duration": dur,
            "effective_convexity": conv,
            "mean_mortgage_rate": float(proj.market.mortgage_rate[:, 1:].mean()),
        }


def value(
    config: cfg.Config,
    loans: Loans,
    progress: Callable[[int, int], None] | None = None,
    executor: Executor = LOCAL,
) -> Valuation:
    """Value ``loans`` on rate paths as ``config`` says (module docstring);
    every projection's tasks run on ``executor``."""
    v = Valuator(config, loans, executor)
    val = config.valuation
    scenarios = [load_scenario(name, f"scenarios[{i}]") for i, name in enumerate(config.scenarios or ())]
    for i, s in enumerate(scenarios):
        if s.hpi is not None and not v.project_flows.uses_home_prices:
            raise ConfigError(
                f"scenarios[{i}]: {s.name!r} changes home prices, which the {config.model} model does not use"
            )
    n_steps = 3 + 1 + (2 * len(v.curve.tenors) if val.key_rate_durations else 0) + 3 * len(scenarios)
    done = 0

    def step(k: int = 1) -> None:
        nonlocal done
        done += k
        if progress is not None:
            progress(done, n_steps)

    base = v.project()
    step()
    m = option_adjusted(
        base.flows.cash, base.market.discount, v.times[1:], v.groups(base), v.face,
        price=val.price, oas=val.oas,
        deterministic=base.market.deterministic and base.flows.same_on_every_path,
    )
    z = v.zspread(m.price)
    step()
    if math.isfinite(m.oas):
        v.prefetch(v.risk_requests(bool(val.key_rate_durations), scenarios), m.oas)
        dur, conv = v.durations(m.oas, m.model_price)
        s_dur = spread_duration(base.flows.cash, base.market.discount, v.times[1:], m.oas)
    else:
        dur = conv = s_dur = math.nan
    step(2)
    krd = None
    if val.key_rate_durations and math.isfinite(m.oas):
        krd = v.key_rate_durations(m.oas, m.model_price)
        step(2 * len(v.curve.tenors))
    rows = []
    if scenarios:
        rows.append(v.row("base", "the config as given", 0.0, base, m.model_price, m.oas, dur, conv))
        for s in scenarios:
            rows.append(v.scenario_row(s, m.oas))
            step(3)
    return Valuation(
        base=base,
        measures=m,
        zspread=z,
        option_cost=z - m.oas,
        effective_duration=dur,
        effective_convexity=conv,
        spread_duration=s_dur,
        key_rate_durations=krd,
        tenors=np.asarray(v.curve.tenors),
        scenarios=rows,
    )


# --------------------------------------------------------------------------
# tables


def valuation_tables(config: cfg.Config, loans: Loans, result: Valuation) -> dict[str, pa.Table]:
    """``summary``, ``cashflows`` (path means), ``paths``, on request
    ``key_rate_durations`` and ``scenarios``, and ``mortgage_rate_quantiles``
    (README, "Outputs")."""
    flows, market, m = result.base.flows, result.base.market, result.measures
    face = float(loans.balance.sum())
    n_paths = max(market.discount.shape[0], flows.cash.shape[0])
    H = flows.n_months
    mean_cash, mean_principal = flows.columns["total_cash_flow"], flows.columns["total_principal"]

    columns = dict(flows.columns)
    columns["mortgage_rate"] = market.mortgage_rate[:, 1 : H + 1].mean(axis=0)
    y = yield_from_pv(mean_cash, m.price / 100.0 * face, config.valuation.delay_days)

    stats = pool_stats(loans)
    cum_def = float(flows.defaults.mean())
    cum_loss = float(flows.losses.mean())
    summary = {
        **asdict(stats),
        "wal": wal_years(mean_principal, flows.columns["month"]),
        "cumulative_defaults": cum_def,
        "cumulative_losses": cum_loss,
        "cumulative_defaults_pct": 100.0 * cum_def / face,
        "cumulative_losses_pct": 100.0 * cum_loss / face,
        "total_principal": float(mean_principal.sum()),
        # net interest (standard model) or interest paid at the net rate (state model)
        "total_interest": float(flows.columns.get("total_interest", flows.columns.get("interest")).sum()),
        "paths": n_paths,
        "price": m.price,
        "model_price": m.model_price,
        "oas": m.oas,
        "zspread": result.zspread,
        "option_cost": result.option_cost,
        "price_std_error": m.price_std_error,
        "oas_std_error": m.oas_std_error,
        "effective_duration": result.effective_duration,
        "effective_convexity": result.effective_convexity,
        "spread_duration": result.spread_duration,
        "yield_bey": bey_from_mortgage_yield(y),
        "mortgage_yield": y,
    }
    cash = np.broadcast_to(flows.cash, (n_paths, H))
    principal = np.broadcast_to(flows.principal, (n_paths, H))
    paths = {
        "path": np.arange(n_paths, dtype=np.int64),
        "pv": m.per_path_pv,
        "mean_mortgage_rate": np.broadcast_to(market.mortgage_rate[:, 1 : H + 1].mean(axis=1), (n_paths,)),
        "wal": wal_years(principal),
        "total_cash_flow": cash.sum(axis=1),
    }
    tables = {
        "summary": pa.Table.from_pylist([summary]),
        "cashflows": pa.table(columns),
        "paths": pa.table({name: paths[name] for name in VALUATION_PATHS}),
    }
    if result.key_rate_durations is not None:
        krd = {"tenor": result.tenors.astype(np.float64), "duration": result.key_rate_durations}
        tables["key_rate_durations"] = pa.table({name: krd[name] for name in KEY_RATE_DURATIONS})
    if result.scenarios:
        tables["scenarios"] = pa.table({name: [row[name] for row in result.scenarios] for name in SCENARIOS})
    tables["mortgage_rate_quantiles"] = mortgage_rate_quantiles(market.mortgage_rate[:, 1 : H + 1], config.output.quantiles)
    return tables


def mortgage_rate_quantiles(rates: np.ndarray, quantiles) -> pa.Table:
    """The across-path quantiles of the mortgage rate, month by month
    (``rates``: paths x months, month 1 first), long form like
    ``cashflow_quantiles``: the fan of the rate paths the pool was valued on."""
    cols = quantile_columns({"mortgage_rate": rates}, quantiles)
    return pa.table({name: cols[name] for name in MORTGAGE_RATE_QUANTILES})


def run(
    config: cfg.Config,
    loans: Loans,
    progress: Callable[[int, int], None] | None = None,
    executor: Executor = LOCAL,
) -> Analysis:
    """Value ``loans`` on rate paths and build the tables."""
    result = value(config, loans, progress, executor)
    sim = config.simulation
    return Analysis(
        valuation_tables(config, loans, result),
        details={"valuation": result, "cash_flows": result.base.flows.details},
        metadata={"engine.seed": str(sim.seed), "engine.analysis": "valuation"},
    )


register(
    AnalysisKind(
        name="valuation",
        description="OAS, Z-spread, option cost and effective risk measures on interest-rate paths",
        reads=("assumptions", "valuation", "simulation", "economy", "scenarios", "output"),
        run=run,
    )
)
