"""Tests of engine.economy.short_rate: Hull-White paths, exact calibration, bond prices, randomness.

References: QuantLib's ``HullWhite.discountBond`` on a QuantLib zero curve
built to match; the plain-Python twin in tests/reference/naive_rates.py
(covariance double sum for the integrated variance, path-by-path
simulation, the classic A exp(-B r) bond formula, a recursive Brownian
bridge). Monte Carlo checks use fixed seeds and bounds of a few standard
errors, so they are deterministic.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import ndtri
from scipy.stats import qmc

from engine.economy.curve import ZeroCurve
from engine.economy.short_rate import (
    RATES_PURPOSE_TAG,
    HullWhite,
    bond_price,
    calibrated_drift,
    continuous_drift,
    left_point_variance,
    par_rate_on_paths,
    sample_groups,
    simulate_rates,
)
from engine.errors import ConfigError
from engine.economy.hpi import HPIModel, simulate_hpi
from engine.kernels.rng import PURPOSE_RATES
from tests.reference import naive_rates as naive

SEED = 20240115
TENORS = [1.0, 2.0, 3.0, 5.0, 7.0, 10.0, 20.0, 30.0]
ZEROS = [0.050, 0.048, 0.046, 0.044, 0.045, 0.046, 0.048, 0.047]
CURVE = ZeroCurve(TENORS, ZEROS)
MODEL = HullWhite(mean_reversion=0.05, volatility=0.012)
DELAY_DAYS = 24
MONTHS = 360
GRID = np.concatenate([[0.0], (30.0 * np.arange(1, MONTHS + 1) + DELAY_DAYS) / 360.0])


def group_se(values, groups):
    """Standard error of the mean over axis 0, one sample per group (equal group sizes)."""
    _, index, sizes = np.unique(groups, return_inverse=True, return_counts=True)
    sums = np.zeros((len(sizes),) + np.shape(values)[1:])
    np.add.at(sums, index, values)
    means = sums / sizes.reshape((-1,) + (1,) * (np.ndim(values) - 1))
    return means.std(axis=0, ddof=1) / math.sqrt(len(sizes))


def test_purpose_tag_matches_rng_registry():
    assert RATES_PURPOSE_TAG == PURPOSE_RATES == 4


# --------------------------------------------------------------------------
# model parameters


@pytest.mark.parametrize(
    "a, sigma, message",
    [
        (0.0, 0.01, "mean_reversion: expected an annual decimal in (0, 1), got 0"),
        (5.0, 0.01, "mean_reversion: expected an annual decimal in (0, 1), got 5 (a percent? write 0.05)"),
        (0.05, -0.01, "volatility: expected an annual decimal in [0, 1), got -0.01"),
        (0.05, 1.2, "volatility: expected an annual decimal in [0, 1), got 1.2 (a percent? write 0.012)"),
        (0.05, "x", "volatility: expected a number, got 'x'"),
        (float("nan"), 0.01, "mean_reversion: expected a finite number, got nan"),
    ],
)
def test_model_errors(a, sigma, message):
    with pytest.raises(ConfigError) as err:
        HullWhite(a, sigma)
    assert str(err.value) == message


# --------------------------------------------------------------------------
# calibration


@settings(deadline=None, max_examples=25)
@given(
    st.floats(0.001, 0.9),
    st.floats(0.0, 0.05),
    st.lists(st.floats(0.01, 2.0), min_size=1, max_size=12),
)
def test_left_point_variance_matches_covariance_double_sum(a, sigma, steps):
    times = np.concatenate([[0.0], np.cumsum(steps)])
    got = left_point_variance(HullWhite(a, sigma), times)
    want = naive.left_point_variance(a, sigma, list(times))
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-300)


def test_drift_tends_to_the_continuous_model_on_a_fine_grid():
    fine = np.linspace(0.0, 12.0, 12 * 3650 + 1)  # a tenth of a day
    phi = calibrated_drift(CURVE, MODEL, fine)
    inside = (fine > 0.1) & (np.abs(fine - np.round(fine)) > 0.01)  # off the knots
    # phi_k averages the continuous drift over [t_k, t_k+1), O(dt) apart
    mid = fine[inside] + 0.5 * (fine[1] - fine[0])
    np.testing.assert_allclose(phi[inside], continuous_drift(CURVE, MODEL, mid), atol=1e-6)


def test_zero_volatility_paths_are_the_curve_exactly():
    paths = simulate_rates(CURVE, HullWhite(0.05, 0.0), GRID, 5, SEED)
    np.testing.assert_array_equal(paths.discount, np.broadcast_to(CURVE.discount(GRID), paths.discount.shape))
    np.testing.assert_array_equal(paths.x, 0.0)
    # the short rates are the grid forwards and integrate back to the curve
    np.testing.assert_allclose(paths.short_rate[0, :-1], CURVE.forward(GRID[:-1], GRID[1:]), atol=1e-15)
    integral = np.cumsum(paths.short_rate[0, :-1] * np.diff(GRID))
    np.testing.assert_allclose(np.exp(-integral), CURVE.discount(GRID[1:]), rtol=1e-13)


@pytest.mark.parametrize("antithetic", [False, True])
def test_mean_discount_matches_the_curve_at_every_month(antithetic):
    n = 4000
    paths = simulate_rates(CURVE, MODEL, GRID, n, SEED, antithetic=antithetic)
    groups = sample_groups(n, antithetic=antithetic)
    target = CURVE.discount(GRID)
    mean = paths.discount.mean(axis=0)
    se = group_se(paths.discount, groups)
    # months 0 and 1 are deterministic (x_0 = 0): every path is the curve
    np.testing.assert_array_equal(paths.discount[:, :2], np.broadcast_to(target[:2], (n, 2)))
    z = (mean[2:] - target[2:]) / se[2:]
    assert np.max(np.abs(z)) < 4.0, f"max |mean - P(0,t)| / SE = {np.max(np.abs(z)):.2f}"


def test_sobol_mean_discount_matches_the_curve():
    n = 16 * 256
    paths = simulate_rates(CURVE, MODEL, GRID, n, SEED, sobol=True)
    groups = sample_groups(n, sobol=True)
    mean = paths.discount.mean(axis=0)
    se = group_se(paths.discount[:, 2:], groups)
    z = (mean[2:] - CURVE.discount(GRID[2:])) / se
    assert np.max(np.abs(z)) < 5.0  # t with 15 degrees of freedom


def test_x_has_the_ou_moments():
    # exact transition: Var x(t) = sigma^2 (1 - e^{-2at}) / (2a) at any step size
    times = np.array([0.0, 0.5, 3.0, 10.0])
    paths = simulate_rates(CURVE, MODEL, times, 20000, SEED, antithetic=True)
    a, s = MODEL.mean_reversion, MODEL.volatility
    want = s * s * (1.0 - np.exp(-2.0 * a * times[1:])) / (2.0 * a)
    got = paths.x[:, 1:].var(axis=0)
    # the variance of a sample variance of normals is 2 var^2 / (n - 1); an
    # antithetic pair repeats the same square, so n is the 10,000 pairs
    np.testing.assert_array_less(np.abs(got - want), 4.0 * want * math.sqrt(2.0 / 9999))
    np.testing.assert_allclose(paths.x.mean(axis=0), 0.0, atol=1e-17)  # antithetic pairs cancel


# --------------------------------------------------------------------------
# against a path-by-path twin


@pytest.mark.parametrize("antithetic", [False, True])
def test_paths_match_naive_simulation(antithetic):
    times = GRID[:25]
    paths = simulate_rates(CURVE, MODEL, times, 5, SEED, antithetic=antithetic, path0=3)
    x, r, disc = naive.simulate(TENORS, ZEROS, MODEL.mean_reversion, MODEL.volatility, list(times), paths.shocks)
    np.testing.assert_allclose(paths.x, x, rtol=1e-12, atol=1e-17)
    np.testing.assert_allclose(paths.short_rate[:, :-1], r, rtol=1e-11)
    np.testing.assert_allclose(paths.discount, disc, rtol=1e-13)


def test_plain_shocks_come_from_one_generator_per_path():
    paths = simulate_rates(CURVE, MODEL, GRID[:13], 4, SEED, path0=10)
    for row in range(4):
        want = np.random.default_rng([SEED, 4, 10 + row]).standard_normal(12)
        np.testing.assert_array_equal(paths.shocks[row], want)


# --------------------------------------------------------------------------
# reproducibility and chunking


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"antithetic": True},
        {"sobol": True},
        {"sobol": True, "antithetic": True},
        {"sobol": True, "sobol_replicates": 3},
    ],
)
def test_chunks_reproduce_the_full_run(options):
    times = GRID[:61]
    full = simulate_rates(CURVE, MODEL, times, 45, SEED, **options)
    chunks = [(0, 7), (7, 8), (8, 29), (29, 45)]
    parts = [simulate_rates(CURVE, MODEL, times, hi - lo, SEED, path0=lo, **options) for lo, hi in chunks]
    for field in full._fields:
        np.testing.assert_array_equal(getattr(full, field), np.concatenate([getattr(p, field) for p in parts]))
    groups = sample_groups(45, **options)
    np.testing.assert_array_equal(
        groups, np.concatenate([sample_groups(hi - lo, path0=lo, **options) for lo, hi in [(0, 20), (20, 45)]])
    )


def test_a_path_does_not_depend_on_n_paths():
    small = simulate_rates(CURVE, MODEL, GRID[:25], 3, SEED)
    large = simulate_rates(CURVE, MODEL, GRID[:25], 50, SEED)
    np.testing.assert_array_equal(small.discount, large.discount[:3])
    other_seed = simulate_rates(CURVE, MODEL, GRID[:25], 3, SEED + 1)
    assert not np.array_equal(small.shocks, other_seed.shocks)


def test_antithetic_pairs_by_global_index():
    times = GRID[:25]
    anti = simulate_rates(CURVE, MODEL, times, 6, SEED, antithetic=True, path0=5)  # paths 5..10
    plain = simulate_rates(CURVE, MODEL, times, 6, SEED, path0=5)
    # path 5 pairs with path 4 (outside the chunk): it negates path 4's draws
    want_5 = -np.random.default_rng([SEED, 4, 4]).standard_normal(24)
    np.testing.assert_array_equal(anti.shocks[0], want_5)
    np.testing.assert_array_equal(anti.shocks[2], -anti.shocks[1])  # pair (6, 7)
    np.testing.assert_array_equal(anti.shocks[1], plain.shocks[1])  # even paths are the plain ones
    # x is linear in the shocks: the pair is symmetric around 0
    np.testing.assert_allclose(anti.x[2], -anti.x[1], atol=0)
    np.testing.assert_array_equal(sample_groups(6, path0=5, antithetic=True), [2, 3, 3, 4, 4, 5])


def test_sobol_point_is_replayable_from_seed_replicate_and_index():
    times = GRID[:49]
    replicates = 16
    paths = simulate_rates(CURVE, MODEL, times, 40, SEED, sobol=True, path0=70)
    for row in (0, 13, 39):
        p = 70 + row
        r, i = p % replicates, p // replicates
        engine = qmc.Sobol(48, scramble=True, rng=np.random.default_rng([SEED, 4, r, 0x5B01]))
        u = engine.random_base2(int(math.ceil(math.log2(i + 1))) or 1)[i] + 2.0**-31
        want = naive.brownian_bridge(list(ndtri(u)), list(times))
        np.testing.assert_allclose(paths.shocks[row], want, rtol=1e-12, atol=1e-12)
    assert set(sample_groups(40, path0=70, sobol=True)) == set(range(16))


def test_sobol_shocks_are_independent_standard_normals():
    times = np.array([0.0, 0.1, 0.5, 0.6, 2.0, 2.1, 5.0, 9.0, 9.5])  # uneven steps
    shocks = simulate_rates(CURVE, MODEL, times, 16 * 512, SEED, sobol=True).shocks
    np.testing.assert_allclose(shocks.mean(axis=0), 0.0, atol=0.01)
    np.testing.assert_allclose(np.cov(shocks, rowvar=False), np.eye(8), atol=0.03)


def test_sobol_bridge_reduces_the_standard_error():
    # a smooth payoff: a 30-year annuity paying 1 a month on each path
    n = 16 * 256
    plain = simulate_rates(CURVE, MODEL, GRID, n, SEED)
    sobol = simulate_rates(CURVE, MODEL, GRID, n, SEED, sobol=True)
    annuity_plain = plain.discount[:, 1:].sum(axis=1)
    annuity_sobol = sobol.discount[:, 1:].sum(axis=1)
    se_plain = annuity_plain.std(ddof=1) / math.sqrt(n)
    se_sobol = group_se(annuity_sobol, sample_groups(n, sobol=True))
    assert se_sobol < 0.2 * se_plain, (se_sobol, se_plain)
    assert abs(annuity_sobol.mean() - CURVE.discount(GRID[1:]).sum()) < 5.0 * se_sobol


def test_antithetic_reduces_the_standard_error():
    n = 4000
    anti = simulate_rates(CURVE, MODEL, GRID, n, SEED, antithetic=True).discount[:, 1:].sum(axis=1)
    plain = simulate_rates(CURVE, MODEL, GRID, n, SEED).discount[:, 1:].sum(axis=1)
    assert group_se(anti, sample_groups(n, antithetic=True)) < 0.5 * plain.std(ddof=1) / math.sqrt(n)


def test_shocks_feed_the_home_price_model():
    paths = simulate_rates(CURVE, MODEL, GRID[:121], 8, SEED)
    hpi = simulate_hpi(HPIModel(0.03, 0.05, correlation=-0.3), 8, 120, SEED, rate_shocks=paths.shocks)
    assert hpi.shape == (8, 121)


# --------------------------------------------------------------------------
# input checks


@pytest.mark.parametrize(
    "times, kwargs",
    [
        ([0.0], {}),
        ([0.1, 0.2], {}),
        ([0.0, 0.2, 0.2], {}),
        ([0.0, float("inf")], {}),
        (GRID[:5], {"n_paths": 0}),
        (GRID[:5], {"seed": -1}),
        (GRID[:5], {"path0": -2}),
        (GRID[:5], {"n_paths": 2.0}),
    ],
)
def test_bad_inputs(times, kwargs):
    args = {"n_paths": 3, "seed": 1, **kwargs}
    path0 = args.pop("path0", 0)
    with pytest.raises(ValueError):
        simulate_rates(CURVE, MODEL, times, args["n_paths"], args["seed"], path0=path0)


def test_shapes():
    paths = simulate_rates(CURVE, MODEL, GRID[:10], 7, SEED)
    assert paths.x.shape == paths.short_rate.shape == paths.discount.shape == (7, 10)
    assert paths.shocks.shape == (7, 9)
    np.testing.assert_array_equal(paths.discount[:, 0], 1.0)
    np.testing.assert_array_equal(paths.x[:, 0], 0.0)


# --------------------------------------------------------------------------
# bond prices


@pytest.fixture
def quantlib_model():
    ql = pytest.importorskip("QuantLib")
    today = ql.Date(15, 1, 2024)
    settings_ = ql.Settings.instance()
    saved = settings_.evaluationDate
    settings_.evaluationDate = today
    # knots at whole years: Actual/365 Fixed maps 365 n days to n years exactly;
    # the first date is the reference date, at the first zero rate (flat start)
    dates = [today] + [today + int(365 * t) for t in TENORS]
    curve = ql.ZeroCurve(
        dates, [ZEROS[0]] + ZEROS, ql.Actual365Fixed(), ql.NullCalendar(), ql.Linear(), ql.Continuous, ql.Annual
    )
    handle = ql.YieldTermStructureHandle(curve)
    yield lambda a, sigma: ql.HullWhite(handle, a, sigma)
    settings_.evaluationDate = saved


@pytest.mark.parametrize("a, sigma", [(0.05, 0.012), (0.3, 0.02), (0.002, 0.008)])
def test_bond_price_matches_quantlib(quantlib_model, a, sigma):
    model = HullWhite(a, sigma)
    hw = quantlib_model(a, sigma)
    x = np.array([-0.03, -0.004, 0.0, 0.011, 0.05])
    # t strictly inside a curve segment (QuantLib takes f(0,t) by a central difference)
    cases = [(0.4, [0.9, 1.5, 5.0]), (2.5, [2.5, 4.0, 12.3, 29.9]), (8.25, [9.0, 19.0]), (14.0, [30.0])]
    for t, maturities in cases:
        got = bond_price(CURVE, model, t, x[:, None], np.array(maturities))
        r = x + continuous_drift(CURVE, model, t)
        want = np.array([[hw.discountBond(t, T, float(ri)) for T in maturities] for ri in r])
        np.testing.assert_allclose(got, want, rtol=1e-9)


@settings(deadline=None)
@given(
    st.floats(0.001, 0.9), st.floats(0.0, 0.04), st.floats(0.05, 25.0), st.floats(0.0, 20.0), st.floats(-0.08, 0.08)
)
def test_bond_price_matches_the_affine_form(a, sigma, t, tau, x):
    # keep t off the knots, where the forward jumps
    if min(abs(t - k) for k in TENORS) < 1e-3:
        t += 2e-3
    model = HullWhite(a, sigma)
    r = naive.short_rate_from_x(TENORS, ZEROS, a, sigma, t, x)
    want = naive.bond_price_affine(TENORS, ZEROS, a, sigma, t, r, t + tau)
    assert bond_price(CURVE, model, t, x, t + tau) == pytest.approx(want, rel=1e-8)


def test_bond_price_limits():
    assert bond_price(CURVE, MODEL, 3.0, 0.02, 3.0) == 1.0
    T = np.array([0.5, 4.0, 30.0, 40.0])
    np.testing.assert_allclose(bond_price(CURVE, MODEL, 0.0, 0.0, T), CURVE.discount(T), rtol=1e-15)
    # higher factor, lower price
    assert bond_price(CURVE, MODEL, 2.0, 0.01, 7.0) < bond_price(CURVE, MODEL, 2.0, 0.0, 7.0)
    with pytest.raises(ValueError):
        bond_price(CURVE, MODEL, 3.0, 0.0, 2.0)


def test_discounted_bond_price_is_a_martingale():
    # E[D(t_k) P(t_k, T)] = P(0, T): the simulation and the closed form agree
    n = 8000
    times = GRID[:121]
    paths = simulate_rates(CURVE, MODEL, times, n, SEED, antithetic=True)
    groups = sample_groups(n, antithetic=True)
    for k, T in [(12, 5.0), (60, 15.0), (120, 30.0)]:
        value = paths.discount[:, k] * bond_price(CURVE, MODEL, times[k], paths.x[:, k], T)
        # the left-point grid discount differs from the continuous model by
        # B (c_k - c(t_k)), about 1e-5 here: far below the Monte Carlo error
        assert abs(value.mean() - CURVE.discount(T)) < 4.0 * group_se(value, groups) + 1e-4 * CURVE.discount(T)


def test_par_rate_on_paths():
    assert par_rate_on_paths(CURVE, MODEL, 0.0, 0.0) == pytest.approx(CURVE.par_rate(10.0), abs=1e-15)
    assert par_rate_on_paths(CURVE, HullWhite(0.05, 0.0), 0.0, 0.0, tenor_years=7, freq=1) == pytest.approx(
        CURVE.par_rate(7.0, freq=1), abs=1e-15
    )
    x = np.array([-0.02, 0.0, 0.015])
    got = par_rate_on_paths(CURVE, MODEL, 4.0, x)
    for xi, c in zip(x, got):
        prices = [bond_price(CURVE, MODEL, 4.0, xi, 4.0 + j / 2.0) for j in range(1, 21)]
        assert c == pytest.approx((1.0 - prices[-1]) / (sum(prices) / 2.0), rel=1e-13)
    assert got[0] < got[1] < got[2]
    # t broadcasts against the paths
    both = par_rate_on_paths(CURVE, MODEL, np.array([4.0, 4.0, 4.0]), x)
    np.testing.assert_array_equal(both, got)
    with pytest.raises(ValueError):
        par_rate_on_paths(CURVE, MODEL, 1.0, x, tenor_years=10.3)
