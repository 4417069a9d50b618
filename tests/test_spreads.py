"""Tests of engine.analytics.spreads: OAS, Z-spread, standard errors, effective duration and convexity.

References: plain loops and bisection (tests/reference/naive_rates.py),
closed forms for zero-coupon bonds on a flat curve, the analytic duration
sum t CF P / sum CF P under parallel continuous shifts, and the spread of
OAS estimates over independent seeds for the delta-method standard error.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.analytics.spreads import (
    SpreadSolution,
    effective_convexity,
    effective_duration,
    oas,
    oas_std_error,
    price_from_oas,
    pv_at_spread,
    pv_std_error,
    zspread,
)
from engine.economy.curve import ZeroCurve
from engine.economy.short_rate import HullWhite, sample_groups, simulate_rates
from engine.errors import ConvergenceError
from tests.reference import naive_rates as naive

SEED = 77
TENORS = [0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 7.0, 10.0, 20.0, 30.0]
ZEROS = [0.052, 0.051, 0.049, 0.046, 0.044, 0.043, 0.044, 0.045, 0.047, 0.046]
CURVE = ZeroCurve(TENORS, ZEROS)
MODEL = HullWhite(0.05, 0.012)
DELAY_DAYS = 24
MONTHS = 360
GRID = np.concatenate([[0.0], (30.0 * np.arange(1, MONTHS + 1) + DELAY_DAYS) / 360.0])
TIMES = GRID[1:]


def level_payment(balance, rate_annual, months):
    r = rate_annual / 12.0
    return balance * r / (1.0 - (1.0 + r) ** -months)


LEVEL_CF = np.full(MONTHS, level_payment(100_000.0, 0.065, MONTHS))


def path_discounts(curve=CURVE, model=MODEL, n=400, **options):
    return simulate_rates(curve, model, GRID, n, SEED, **options).discount[:, 1:]


def prepaying_cash_flows(disc):
    """Path-dependent flows: faster payoff where rates (discount) fall, like refinancing."""
    speed = 0.004 + 0.02 * np.clip(disc / CURVE.discount(TIMES) - 1.0, 0.0, None)
    survival = np.cumprod(1.0 - speed, axis=1)
    return LEVEL_CF * survival + 1000.0 * speed * np.arange(MONTHS, 0, -1) / MONTHS


# --------------------------------------------------------------------------
# present values


def test_pv_at_spread_matches_naive():
    gen = np.random.default_rng(1)
    cf = gen.uniform(0.0, 100.0, (6, 9))
    disc = gen.uniform(0.5, 1.0, (6, 9))
    times = np.sort(gen.uniform(0.1, 5.0, 9))
    mean, per_path = pv_at_spread(cf, disc, times, 0.013)
    assert mean == pytest.approx(naive.mean_pv(cf.tolist(), disc.tolist(), times.tolist(), 0.013), rel=1e-14)
    assert per_path.shape == (6,)
    assert per_path.mean() == pytest.approx(mean, rel=1e-15)
    assert price_from_oas(cf, disc, times, 0.013) == mean


def test_pv_input_checks():
    with pytest.raises(ValueError):
        pv_at_spread(np.ones((2, 3)), np.ones((2, 4)), np.ones(3), 0.0)
    with pytest.raises(ValueError):
        pv_at_spread(np.ones((2, 3)), np.ones((2, 3)), np.ones(4), 0.0)
    with pytest.raises(ValueError):
        pv_at_spread(np.full((2, 3), np.nan), np.ones((2, 3)), np.ones(3), 0.0)


# --------------------------------------------------------------------------
# OAS and Z-spread


@settings(deadline=None, max_examples=30)
@given(st.floats(-0.03, 0.25))
def test_risk_free_bond_oas_equals_zspread_equals_the_spread(spread):
    # deterministic cash flows on zero-volatility paths: every path is the curve
    disc = path_discounts(model=HullWhite(0.05, 0.0), n=3)
    cf = np.broadcast_to(LEVEL_CF, disc.shape)
    price = float(np.sum(LEVEL_CF * CURVE.discount(TIMES) * np.exp(-spread * TIMES)))
    got_oas, iterations, converged = oas(cf, disc, TIMES, price)
    got_z = zspread(LEVEL_CF, CURVE, TIMES, price)
    assert converged and got_z.converged
    assert iterations <= 20
    assert got_oas == pytest.approx(spread, abs=1e-12)
    assert got_z.spread == pytest.approx(spread, abs=1e-12)


@settings(deadline=None, max_examples=30)
@given(st.floats(-0.05, 3.0))
def test_oas_price_round_trip(spread):
    disc = path_discounts()
    cf = prepaying_cash_flows(disc)
    price = price_from_oas(cf, disc, TIMES, spread)
    result = oas(cf, disc, TIMES, price)
    assert isinstance(result, SpreadSolution) and result.converged
    assert result.spread == pytest.approx(spread, abs=1e-12)
    assert price_from_oas(cf, disc, TIMES, result.spread) == pytest.approx(price, rel=1e-13)


def test_oas_matches_bisection():
    disc = path_discounts(n=60)
    cf = prepaying_cash_flows(disc)
    price = 95_000.0
    weights = (cf * disc).mean(axis=0)
    want = naive.bisect_spread(lambda s: float(np.sum(weights * np.exp(-s * TIMES))), price)
    got = oas(cf, disc, TIMES, price)
    assert got.converged
    assert got.spread == pytest.approx(want, abs=1e-13)


def test_zspread_matches_bisection():
    price = 90_000.0

    def pv(s):
        return sum(c * naive.discount(TENORS, ZEROS, t) * math.exp(-s * t) for c, t in zip(LEVEL_CF, TIMES))

    want = naive.bisect_spread(pv, price)
    assert zspread(LEVEL_CF, CURVE, TIMES, price).spread == pytest.approx(want, abs=1e-13)


def test_option_cost_is_positive_for_callable_flows():
    # flows that shorten when rates fall are worth less than their mean static projection
    disc = path_discounts(n=2000, antithetic=True)
    cf = prepaying_cash_flows(disc)
    price = 98_000.0
    s_oas = oas(cf, disc, TIMES, price).spread
    s_z = zspread(cf.mean(axis=0), CURVE, TIMES, price).spread
    assert s_z - s_oas > 0.0


@pytest.mark.parametrize("target", [0.0, -5.0, 1e20, float("nan")])
def test_no_solution_gives_nan_and_a_status(target):
    disc = path_discounts(n=4)
    cf = np.broadcast_to(LEVEL_CF, disc.shape)
    value, iterations, converged = oas(cf, disc, TIMES, target)
    assert math.isnan(value) and not converged and iterations == 0
    assert not zspread(LEVEL_CF, CURVE, TIMES, target).converged
    with pytest.raises(ConvergenceError, match="no spread prices these cash flows"):
        oas(cf, disc, TIMES, target, raise_on_failure=True)
    with pytest.raises(ConvergenceError):
        zspread(LEVEL_CF, CURVE, TIMES, target, raise_on_failure=True)


def test_zero_cash_flows_do_not_converge():
    disc = path_discounts(n=2)
    assert not oas(np.zeros_like(disc), disc, TIMES, 100.0).converged


def test_too_few_iterations_gives_nan_and_a_status():
    disc = path_discounts(n=4)
    cf = np.broadcast_to(LEVEL_CF, disc.shape)
    price = price_from_oas(cf, disc, TIMES, 0.0123)
    value, iterations, converged = oas(cf, disc, TIMES, price, max_iterations=1)
    assert math.isnan(value) and iterations == 1 and not converged
    with pytest.raises(ConvergenceError, match="not converged after 1 iterations"):
        oas(cf, disc, TIMES, price, max_iterations=1, raise_on_failure=True)


# --------------------------------------------------------------------------
# standard errors


def test_pv_std_error_forms():
    gen = np.random.default_rng(5)
    pv = gen.normal(100.0, 3.0, 24)
    assert pv_std_error(pv) == pytest.approx(pv.std(ddof=1) / math.sqrt(24), rel=1e-14)
    assert pv_std_error(pv, np.arange(24)) == pytest.approx(pv_std_error(pv), rel=1e-14)
    # equal groups: the standard error of the group means
    groups = np.repeat(np.arange(6), 4)
    means = pv.reshape(6, 4).mean(axis=1)
    assert pv_std_error(pv, groups) == pytest.approx(means.std(ddof=1) / math.sqrt(6), rel=1e-13)
    # unequal groups: the cluster formula, written out
    groups = np.array([0] * 5 + [1] * 3 + [2] * 9 + [3] * 7)
    m = pv.mean()
    total = sum((pv[groups == g].sum() - (groups == g).sum() * m) ** 2 for g in range(4))
    assert pv_std_error(pv, groups) == pytest.approx(math.sqrt(4 / 3 * total) / 24, rel=1e-13)
    assert math.isnan(pv_std_error(pv, np.zeros(24, dtype=int)))
    assert math.isnan(pv_std_error(pv[:1]))


def test_oas_std_error_matches_the_spread_over_seeds():
    cf = np.broadcast_to(LEVEL_CF[:120], (300, 120))
    times = TIMES[:120]
    price = 60_000.0
    estimates, errors = [], []
    for k in range(24):
        disc = simulate_rates(CURVE, MODEL, GRID[:121], 300, 1000 + k, antithetic=True).discount[:, 1:]
        s = oas(cf, disc, times, price).spread
        estimates.append(s)
        errors.append(oas_std_error(cf, disc, times, s, sample_groups(300, antithetic=True)))
    ratio = np.std(estimates, ddof=1) / np.mean(errors)
    assert 0.6 < ratio < 1.5, ratio  # 24 seeds: the sample std is good to about 15%
    assert math.isnan(oas_std_error(cf, disc, times, float("nan")))


# --------------------------------------------------------------------------
# effective duration and convexity


def test_duration_formulas():
    assert effective_duration(101.0, 99.0, 100.0, 0.01) == pytest.approx(1.0, rel=1e-14)
    assert effective_convexity(101.0, 99.5, 100.0, 0.01) == pytest.approx(50.0, rel=1e-12)
    np.testing.assert_allclose(effective_duration(np.array([101.0, 102.0]), 99.0, 100.0, 0.01), [1.0, 1.5])
    with pytest.raises(ValueError):
        effective_duration(101.0, 99.0, 100.0, 0.0)


@pytest.mark.parametrize("maturity_months", [12, 120, 360])
@pytest.mark.parametrize("dy", [1e-4, 0.01])
def test_zero_coupon_duration_on_a_flat_curve_is_its_maturity(maturity_months, dy):
    # the same random numbers on shifted curves, OAS held: a parallel shift
    # multiplies every path's discount to t by exp(-dy t)
    flat = ZeroCurve.flat(0.04)
    grid = np.arange(0, maturity_months + 1) / 12.0
    cf = np.zeros((500, maturity_months))
    cf[:, -1] = 100.0
    prices = []
    for curve in (flat.shifted(-dy), flat, flat.shifted(dy)):
        disc = simulate_rates(curve, MODEL, grid, 500, SEED).discount[:, 1:]
        prices.append(price_from_oas(cf, disc, grid[1:], 0.0075))
    p_minus, p0, p_plus = prices
    T = maturity_months / 12.0
    duration = effective_duration(p_minus, p_plus, p0, dy)
    convexity = effective_convexity(p_minus, p_plus, p0, dy)
    # closed forms: T sinh(T dy) / (T dy) and (2 cosh(T dy) - 2) / dy^2
    assert duration == pytest.approx(T * math.sinh(T * dy) / (T * dy), rel=1e-9)
    assert abs(duration - T) <= T**3 * dy * dy / 6.0 * 1.01 + 1e-9
    assert convexity == pytest.approx(2.0 * (math.cosh(T * dy) - 1.0) / dy**2, rel=1e-5)


def analytic_duration(weights, times):
    return float(np.sum(times * weights) / np.sum(weights))


@pytest.mark.parametrize("volatility", [0.0, 0.012])
def test_level_pay_duration_matches_the_analytic_duration(volatility):
    # D = sum t CF P(t) e^{-s t} / sum CF P(t) e^{-s t} under parallel continuous shifts;
    # the central difference is above it by dy^2 sum t^3 w / (6 sum w) + O(dy^4)
    model = HullWhite(0.05, volatility)
    s = 0.009
    cf = np.broadcast_to(LEVEL_CF, (200, MONTHS))
    disc0 = simulate_rates(CURVE, model, GRID, 200, SEED).discount[:, 1:]
    weights = (cf * disc0).mean(axis=0) * np.exp(-s * TIMES)
    if volatility == 0.0:
        np.testing.assert_allclose(weights, LEVEL_CF * CURVE.discount(TIMES) * np.exp(-s * TIMES), rtol=1e-13)
    want = analytic_duration(weights, TIMES)
    third = float(np.sum(TIMES**3 * weights) / np.sum(weights))
    for dy in (1e-4, 0.01):
        prices = [
            price_from_oas(cf, simulate_rates(c, model, GRID, 200, SEED).discount[:, 1:], TIMES, s)
            for c in (CURVE.shifted(-dy), CURVE, CURVE.shifted(dy))
        ]
        duration = effective_duration(prices[0], prices[2], prices[1], dy)
        gap = duration - want
        assert 0.0 <= gap + 1e-10
        assert gap <= third * dy * dy / 6.0 * 1.01 + 1e-10
    assert 7.0 < want < 12.0  # a 6.5% 30-year mortgage at ~4.5% rates


def test_key_rate_durations_sum_to_the_effective_duration():
    dy = 1e-4
    s = 0.01
    p0 = float(np.sum(LEVEL_CF * CURVE.discount(TIMES) * np.exp(-s * TIMES)))

    def price(curve):
        return float(np.sum(LEVEL_CF * curve.discount(TIMES) * np.exp(-s * TIMES)))

    total = sum(
        effective_duration(price(CURVE.key_rate_shift(i, -dy)), price(CURVE.key_rate_shift(i, dy)), p0, dy)
        for i in range(len(TENORS))
    )
    parallel = effective_duration(price(CURVE.shifted(-dy)), price(CURVE.shifted(dy)), p0, dy)
    # equal to first order; the dy^2 terms differ by at most dy^2 sum t^3 w / (6 sum w)
    weights = LEVEL_CF * CURVE.discount(TIMES) * np.exp(-s * TIMES)
    third = float(np.sum(TIMES**3 * weights) / np.sum(weights))
    assert abs(total - parallel) <= third * dy * dy / 6.0
