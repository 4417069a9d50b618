"""Yield, price and risk measures (engine.analytics.yields), checked against closed
forms, numpy_financial and finite differences rather than against themselves."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import numpy_financial as npf
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.models.standard import project_cashflows
from engine.errors import ConvergenceError
from engine.analytics.pool import pool_stats, wal_years
from engine.analytics.yields import (
    bey_from_mortgage_yield,
    pv,
    times_years,
    yield_from_pv,
    yield_measures,
)
from engine.inputs.tape import loans_from_table


def level_pay(balance: float, rate: float, term: int) -> tuple[np.ndarray, np.ndarray]:
    """(cash flow, principal) of a level-payment loan with no prepayments."""
    payment = npf.pmt(rate / 12.0, term, -balance)
    principal = npf.ppmt(rate / 12.0, np.arange(1, term + 1), term, -balance)
    return np.full(term, payment), principal


@pytest.fixture(scope="module")
def pool_flows():
    """Cash flows of a small seasoned pool with prepayments and defaults."""
    table = pa.table(
        {
            "loan_id": ["a", "b", "c"],
            "balance": [300_000.0, 150_000.0, 80_000.0],
            "note_rate": [0.065, 0.0575, 0.045],
            "servicing_fee": [0.0025, 0.0025, 0.005],
            "remaining_term": [354, 300, 180],
            "age": [6, 60, 180],
        }
    )
    cf = project_cashflows(
        table,
        {"prepay": {"model": "psa", "speed": 200}, "default": {"model": "sda", "speed": 100},
         "loss": {"severity": 0.3, "liquidation_lag": 9}},
    )
    return cf


# --------------------------------------------------------------------------
# price <-> yield


@given(st.floats(80.0, 120.0), st.integers(0, 60))
def test_price_yield_round_trip(pool_flows, price, delay):
    cf = pool_flows
    face = cf.starting_balance
    m = yield_measures(cf.total_cash_flow, cf.total_principal, face, price=price, delay_days=delay)
    back = yield_measures(cf.total_cash_flow, cf.total_principal, face, mortgage_yield=m.mortgage_yield,
                          delay_days=delay)
    assert back.price == pytest.approx(price, rel=1e-10)
    assert back.modified_duration == pytest.approx(m.modified_duration, rel=1e-9)
    assert pv(cf.total_cash_flow, m.mortgage_yield, delay) == pytest.approx(price / 100.0 * face, rel=1e-10)


def test_higher_price_lower_yield(pool_flows):
    cf = pool_flows
    ys = [yield_measures(cf.total_cash_flow, cf.total_principal, cf.starting_balance, price=p).mortgage_yield
          for p in (95.0, 100.0, 105.0)]
    assert ys[0] > ys[1] > ys[2]


@given(st.floats(1_000.0, 1e7), st.floats(0.005, 0.15), st.integers(1, 480))
def test_level_pay_loan_at_its_note_rate_is_worth_par(balance, rate, term):
    # the annuity identity: payments discounted at the loan's own rate = balance
    flows, principal = level_pay(balance, rate, term)
    assert pv(flows, rate, 0) == pytest.approx(balance, rel=1e-10)
    m = yield_measures(flows, principal, balance, mortgage_yield=rate)
    assert m.price == pytest.approx(100.0, rel=1e-10)
    m = yield_measures(flows, principal, balance, price=100.0)
    assert m.mortgage_yield == pytest.approx(rate, rel=1e-8)


def test_engine_level_pay_loan_at_its_note_rate_is_worth_par():
    # the engine's own no-prepay flows at the note rate (no servicing), delay 0
    table = pa.table({"loan_id": ["x"], "balance": [250_000.0], "note_rate": [0.0675], "remaining_term": [360]})
    cf = project_cashflows(table, {})
    assert pv(cf.total_cash_flow, 0.0675, 0) == pytest.approx(250_000.0, rel=1e-12)


@pytest.mark.parametrize("price", [92.5, 100.0, 104.25])
def test_mortgage_yield_is_12_times_the_monthly_irr(pool_flows, price):
    cf = pool_flows
    face = cf.starting_balance
    m = yield_measures(cf.total_cash_flow, cf.total_principal, face, price=price, delay_days=0)
    irr_monthly = npf.irr(np.concatenate([[-price / 100.0 * face], cf.total_cash_flow]))
    assert m.mortgage_yield == pytest.approx(12.0 * irr_monthly, rel=1e-9)


@given(st.floats(-0.2, 0.5))
def test_bey_has_the_same_effective_annual_rate(y):
    bey = bey_from_mortgage_yield(y)
    # semiannual compounding at BEY == monthly compounding at y
    assert (1.0 + bey / 2.0) ** 2 == pytest.approx((1.0 + y / 12.0) ** 12, rel=1e-13)


def test_bey_known_value():
    # 6% monthly-compounded: 2 x (1.005^6 - 1), in exact rational arithmetic
    exact = 2 * (Fraction(201, 200) ** 6 - 1)
    assert bey_from_mortgage_yield(0.06) == pytest.approx(float(exact), rel=1e-14)
    assert 0.0607 < float(exact) < 0.0608


# --------------------------------------------------------------------------
# duration and convexity against finite differences of the price function
#
# engine.analytics.yields follows SIFMA SF G.1: durations and convexity are taken with
# respect to the bond-equivalent yield Y (semiannual compounding), so the price
# function differentiated here is P(Y) = sum CF_k (1 + Y/2)^(-2 t_k), written
# out from the 30/360 payment times rather than taken from the engine.


def price_at_bey(flows: np.ndarray, bey: float, delay: int) -> float:
    t = (30.0 * np.arange(1, len(flows) + 1) + delay) / 360.0
    return float(np.sum(flows * (1.0 + bey / 2.0) ** (-2.0 * t)))


@pytest.mark.parametrize("delay", [0, 24])
@pytest.mark.parametrize("y", [0.02, 0.065, 0.11])
def test_duration_and_convexity_match_finite_differences(pool_flows, y, delay):
    cf = pool_flows
    m = yield_measures(cf.total_cash_flow, cf.total_principal, cf.starting_balance, mortgage_yield=y,
                       delay_days=delay)
    P = lambda Y: price_at_bey(cf.total_cash_flow, Y, delay)  # noqa: E731
    Y = m.yield_bey
    p0 = P(Y)
    # the same price whichever yield basis it is computed on
    assert p0 == pytest.approx(pv(cf.total_cash_flow, y, delay), rel=1e-13)
    h1 = 1e-5
    dp = (P(Y + h1) - P(Y - h1)) / (2 * h1)
    assert m.modified_duration == pytest.approx(-dp / p0, rel=1e-6)
    h2 = 1e-4
    d2p = (P(Y + h2) - 2 * p0 + P(Y - h2)) / h2**2
    assert m.convexity == pytest.approx(d2p / p0, rel=1e-6)
    # Macaulay duration = modified x (1 + Y/2), and it is the PV-weighted time
    assert m.macaulay_duration == pytest.approx(m.modified_duration * (1 + Y / 2), rel=1e-12)
    t = times_years(cf.n_months, delay)
    w = cf.total_cash_flow * (1 + y / 12) ** (-12 * t)
    assert m.macaulay_duration == pytest.approx(np.dot(t, w) / w.sum(), rel=1e-12)


def test_zero_coupon_macaulay_duration_is_its_maturity():
    flows = np.zeros(120)
    flows[-1] = 1_000.0
    m = yield_measures(flows, flows, 1_000.0, mortgage_yield=0.05)
    assert m.macaulay_duration == pytest.approx(10.0, rel=1e-14)
    assert m.average_life == pytest.approx(10.0, rel=1e-14)


# --------------------------------------------------------------------------
# times and delay


def test_average_life_equals_wal_when_delay_is_zero(pool_flows):
    cf = pool_flows
    m = yield_measures(cf.total_cash_flow, cf.total_principal, cf.starting_balance, price=100.0, delay_days=0)
    assert m.average_life == pytest.approx(wal_years(cf.total_principal), rel=1e-13)


def test_wal_hand_computation():
    # principal 100 in month 6 and 300 in month 18: (6 x 100 + 18 x 300) / 400 / 12 = 1.25 years
    principal = np.zeros(18)
    principal[5], principal[17] = 100.0, 300.0
    assert wal_years(principal) == pytest.approx(1.25, rel=1e-15)
    assert math.isnan(wal_years(np.zeros(5)))


@pytest.mark.parametrize("delay", [14, 24, 54])
def test_delay_days_shift_times_by_delay_over_360(pool_flows, delay):
    cf = pool_flows
    n = cf.n_months
    np.testing.assert_allclose(times_years(n, delay) - times_years(n, 0), delay / 360.0, rtol=0, atol=1e-13)
    np.testing.assert_allclose(times_years(3, 0), [1 / 12, 2 / 12, 3 / 12], rtol=1e-15)
    y = 0.06
    v = 1 + y / 12
    # every flow is discounted delay/360 years more
    assert pv(cf.total_cash_flow, y, delay) == pytest.approx(
        pv(cf.total_cash_flow, y, 0) * v ** (-12 * delay / 360.0), rel=1e-13
    )
    face = cf.starting_balance
    m0 = yield_measures(cf.total_cash_flow, cf.total_principal, face, mortgage_yield=y, delay_days=0)
    md = yield_measures(cf.total_cash_flow, cf.total_principal, face, mortgage_yield=y, delay_days=delay)
    assert md.average_life == pytest.approx(m0.average_life + delay / 360.0, rel=1e-13)
    assert md.macaulay_duration == pytest.approx(m0.macaulay_duration + delay / 360.0, rel=1e-13)
    # at a given price, a delay lowers the yield
    p0 = yield_measures(cf.total_cash_flow, cf.total_principal, face, price=100.0, delay_days=0)
    pd = yield_measures(cf.total_cash_flow, cf.total_principal, face, price=100.0, delay_days=delay)
    assert pd.mortgage_yield < p0.mortgage_yield


# --------------------------------------------------------------------------
# solver failure is data


@pytest.mark.parametrize(
    "flows, target",
    [(np.zeros(12), 100.0), (np.full(12, 10.0), -5.0), (np.full(12, -10.0), 50.0)],
    ids=["zero-flows", "negative-price", "negative-flows"],
)
def test_unpriceable_flows_give_nan(flows, target):
    assert math.isnan(yield_from_pv(flows, target))
    with pytest.raises(ConvergenceError, match="no yield"):
        yield_from_pv(flows, target, raise_on_failure=True)


def test_unpriceable_price_gives_nan_measures():
    flows = np.full(12, 10.0)
    # flows totalling 120 cannot be worth 1e6: that would need a yield far below -99%
    m = yield_measures(flows, flows, 100.0, price=1e6)
    assert math.isnan(m.mortgage_yield) and math.isnan(m.yield_bey)


def test_yield_from_pv_solves_a_known_case():
    flows, _ = level_pay(1_000.0, 0.08, 12)
    assert yield_from_pv(flows, 1_000.0) == pytest.approx(0.08, rel=1e-12)


def test_yield_measures_needs_exactly_one_of_price_or_yield():
    flows = np.full(12, 10.0)
    with pytest.raises(ValueError):
        yield_measures(flows, flows, 100.0)
    with pytest.raises(ValueError):
        yield_measures(flows, flows, 100.0, price=100.0, mortgage_yield=0.05)


# --------------------------------------------------------------------------
# tape statistics


def test_pool_stats_are_balance_weighted():
    table = pa.table(
        {
            "loan_id": ["a", "b", "c"],
            "balance": [100.0, 300.0, 600.0],
            "note_rate": [0.05, 0.06, 0.07],
            "servicing_fee": [0.0025, 0.005, 0.0025],
            "remaining_term": [120, 240, 360],
            "age": [240, 120, 0],
        }
    )
    s = pool_stats(loans_from_table(table))
    # by hand: weights 0.1, 0.3, 0.6
    assert s.n_loans == 3
    assert s.balance == 1000.0
    assert s.wac == pytest.approx(0.1 * 0.05 + 0.3 * 0.06 + 0.6 * 0.07, rel=1e-14)  # 0.065
    assert s.net_wac == pytest.approx(0.1 * 0.0475 + 0.3 * 0.055 + 0.6 * 0.0675, rel=1e-14)
    assert s.wam == pytest.approx(0.1 * 120 + 0.3 * 240 + 0.6 * 360, rel=1e-14)  # 300
    assert s.wala == pytest.approx(0.1 * 240 + 0.3 * 120 + 0.6 * 0, rel=1e-14)  # 60
    assert s.wac == pytest.approx(0.065) and s.wam == pytest.approx(300.0) and s.wala == pytest.approx(60.0)


def test_pv_and_wal_take_paths_by_months():
    """The per-path forms equal the one-vector forms row by row."""
    from engine.analytics.pool import wal_years
    from engine.analytics.yields import pv

    rng = np.random.default_rng(5)
    flows = rng.uniform(0, 100, size=(4, 24))
    flows[2] = 0.0  # a path that pays no principal: WAL is NaN
    for delay in (0, 24):
        np.testing.assert_allclose(pv(flows, 0.07, delay), [pv(f, 0.07, delay) for f in flows], rtol=1e-14)
    wal = wal_years(flows)
    assert np.isnan(wal[2]) and np.isnan(wal_years(flows[2]))
    np.testing.assert_allclose(wal[[0, 1, 3]], [wal_years(flows[i]) for i in (0, 1, 3)], rtol=1e-14)
