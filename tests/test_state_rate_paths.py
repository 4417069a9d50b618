"""The loan-level state model on interest-rate paths.

References: on a flat zero curve with no volatility every path's mortgage
rate is the same constant (the forward 10-year par rate of a flat curve
does not move), so the state model on rate paths must reproduce the
flat-rate state model at that market rate tick for tick; the home-price
shocks' correlation with the rate shocks against its configured value.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import engine
from threads import run_on_one_and_two_threads
from engine.config import load_config
from engine.economy.curve import ZeroCurve
from engine.economy.market import payment_times, simulate_market
from engine.economy.short_rate import HullWhite
from engine.inputs.tape import loans_from_rows
from engine.models.state import RatePathInputs, kernel_inputs, simulate_state

LOANS = [
    {"loan_id": "A", "balance": 180_000.0, "note_rate": 0.075, "remaining_term": 300, "age": 60,
     "servicing_fee": 0.0025, "status": "current", "property_value": 300_000.0, "state": "TX"},
    {"loan_id": "B", "balance": 120_000.0, "note_rate": 0.055, "remaining_term": 240, "age": 120,
     "servicing_fee": 0.0025, "status": "dq60", "payments_behind": 2, "property_value": 150_000.0, "state": "NY"},
    {"loan_id": "C", "balance": 90_000.0, "note_rate": 0.0625, "remaining_term": 200, "age": 160,
     "servicing_fee": 0.005, "status": "foreclosure", "payments_behind": 9, "property_value": 80_000.0},
    {"loan_id": "D", "balance": 250_000.0, "note_rate": 0.068, "remaining_term": 350, "age": 10,
     "servicing_fee": 0.0025, "status": "current", "property_value": 400_000.0},
]
PREPAY = {"model": "turnover_refi", "base_cpr": 0.05, "refi_max_cpr": 0.35, "burnout": 0.0}


def state_config(integration="sampled", paths=24, **economy):
    return {
        "name": "state-rates",
        "model": "state",
        "loans": copy.deepcopy(LOANS),
        "assumptions": {"prepay": dict(PREPAY)},
        "simulation": {"integration": integration, "paths": paths, "seed": 11, "chunk_paths": 10, "horizon": 240},
        "economy": {"hpi": {"drift": 0.03, "volatility": 0.05}, **economy},
        "valuation": {"price": 85.0, "delay_days": 0},
    }


@pytest.mark.parametrize("integration", ["sampled", "expected"])
def test_a_constant_mortgage_rate_path_is_the_flat_rate_model_tick_for_tick(integration):
    rate = 0.0574
    flat = load_config(state_config(integration, mortgage_rate=rate))
    on_paths = load_config(state_config(integration, curve={"flat": 0.04}))
    loans = loans_from_rows(copy.deepcopy(LOANS))
    a = simulate_state(flat, loans)
    b = simulate_state(on_paths, loans, rates=RatePathInputs(np.full((24, 241), rate), None, rate))
    assert np.array_equal(a.totals, b.totals)
    assert np.array_equal(a.path_cols, b.path_cols)
    assert np.array_equal(a.loan_ticks.exact(), b.loan_ticks.exact())


def test_the_forward_path_of_a_flat_curve_is_the_flat_rate_model():
    """A flat zero curve has a constant forward 10-year par rate (to rounding):
    the valuation kind's cash flows are the flat-rate model's at that rate."""
    spread = 0.017
    market = simulate_market(ZeroCurve.flat(0.04), None, spread, payment_times(240, 0), 1, 11)
    rate = float(market.mortgage_rate[0, 1])
    np.testing.assert_allclose(market.mortgage_rate[0], rate, rtol=1e-13)
    res = engine.run(state_config("expected", curve={"flat": 0.04}, rates={"model": "none"}, mortgage_spread=spread))
    assert res.config.analysis_kind == "valuation"
    loans = loans_from_rows(copy.deepcopy(LOANS))
    flat = simulate_state(load_config(state_config("expected", mortgage_rate=rate)), loans)
    np.testing.assert_allclose(res.details["valuation"].base.flows.cash, flat.path_cols[..., 0], rtol=1e-9, atol=1e-6)


def test_paths_with_lower_mortgage_rates_pay_off_sooner():
    cfg = state_config("expected", paths=48, curve={"flat": 0.04},
                       rates={"model": "hull_white", "mean_reversion": 0.05, "volatility": 0.012})
    cfg["economy"]["hpi"]["volatility"] = 0.0  # rates are the only thing that varies by path
    res = engine.run(cfg)
    wal = np.array(res.tables["paths"].column("wal"))
    early = res.details["valuation"].base.market.mortgage_rate[:, 1:61].mean(axis=1)  # the first five years
    rank = lambda x: np.argsort(np.argsort(x))  # noqa: E731
    assert np.corrcoef(rank(early), rank(wal))[0, 1] > 0.9
    s = res.summary.to_pylist()[0]
    assert np.isfinite(s["oas"]) and s["oas_std_error"] > 0 and np.isfinite(s["effective_duration"])


def test_home_prices_follow_the_rate_shocks_with_the_configured_correlation():
    cfg = load_config(state_config(paths=400, curve={"flat": 0.04}))
    d = cfg.to_dict()
    d["economy"]["hpi"]["correlation"] = -0.5
    cfg = load_config(d)
    times = payment_times(240, 0)
    market = simulate_market(ZeroCurve.flat(0.04), HullWhite(0.03, 0.01), 0.017, times, 400, 11)
    loans = loans_from_rows(copy.deepcopy(LOANS))
    ki = kernel_inputs(cfg, loans, rates=RatePathInputs(None, market.shocks, 0.057))
    increments = np.diff(np.log(ki.hpi(0, 400)), axis=1)
    rho = np.corrcoef(increments.ravel(), market.shocks.ravel())[0, 1]
    assert rho == pytest.approx(-0.5, abs=0.01)
    assert ki.mortgage_rate.shape == (0, 0)  # a rate-blind kernel argument: rates not given


def test_state_valuation_is_the_same_for_one_and_two_threads():
    cfg = state_config(paths=12, curve={"flat": 0.04})
    one, two = run_on_one_and_two_threads(cfg)
    for name in one.tables:
        assert one.tables[name].equals(two.tables[name]), name


def test_home_price_scenario_in_the_state_grid():
    cfg = {**state_config(paths=8, curve={"flat": 0.04}), "scenarios": ["hpi_down_25pct_3y", "rates_up_100"]}
    rows = engine.run(cfg).tables["scenarios"].to_pylist()
    assert [r["scenario"] for r in rows] == ["base", "hpi_down_25pct_3y", "rates_up_100"]
    assert rows[1]["cumulative_losses_pct"] > rows[0]["cumulative_losses_pct"]
    assert rows[2]["price"] < rows[0]["price"]


def test_the_zspread_prices_the_mean_forward_path_flows_not_one_path():
    """The state model draws home prices and loan events on the forward rate
    path too: the Z-spread is that of the mean over those draws. Reference:
    the plain mean of the forward projection's per-path cash flows, discounted
    on the curve at the reported Z-spread, gives the price."""
    from engine.api import load
    from engine.runs.valuation import Valuator

    cfg, loans = load(state_config(paths=24, curve={"flat": 0.04}))
    result = engine.run(cfg, loans=loans)
    s = result.summary.to_pylist()[0]
    v = Valuator(cfg, loans)
    forward = simulate_market(v.curve, None, v.spread, v.times, 1, v.seed)
    cash = v.project_flows(forward).cash
    assert cash.shape[0] == 24 and np.ptp(cash.sum(axis=1)) > 0  # the paths differ: path 0 is not the mean
    t = v.times[1:]
    pv = float(np.sum(cash.mean(axis=0) * np.exp(-(0.04 + s["zspread"]) * t)))
    assert pv == pytest.approx(s["price"] / 100.0 * v.face, rel=1e-9)
