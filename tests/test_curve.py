"""Tests of engine.economy.curve: interpolation, forwards, par yields, shifts, config.

References are written apart: the plain-Python twin in
tests/reference/naive_rates.py, closed forms on flat curves, and finite
differences of ln P for the instantaneous forward.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.economy.curve import ZeroCurve, curve_from_spec
from engine.errors import ConfigError
from tests.reference import naive_rates as naive

TENORS = [0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 7.0, 10.0, 20.0, 30.0]
ZEROS = [0.052, 0.051, 0.049, 0.046, 0.044, 0.043, 0.044, 0.045, 0.047, 0.046]
CURVE = ZeroCurve(TENORS, ZEROS)


@st.composite
def curves(draw, min_knots=1, max_knots=8):
    n = draw(st.integers(min_knots, max_knots))
    gaps = draw(st.lists(st.floats(0.05, 8.0), min_size=n, max_size=n))
    tenors = list(np.cumsum(gaps))
    rates = draw(st.lists(st.floats(-0.02, 0.15), min_size=n, max_size=n))
    return tenors, rates


# --------------------------------------------------------------------------
# values


@settings(deadline=None)
@given(curves(), st.lists(st.floats(0.0, 50.0), min_size=1, max_size=10))
def test_zero_and_discount_match_naive(knots, ts):
    tenors, rates = knots
    curve = ZeroCurve(tenors, rates)
    got_z = curve.zero(np.array(ts))
    got_p = curve.discount(np.array(ts))
    for t, z, p in zip(ts, got_z, got_p):
        assert z == pytest.approx(naive.zero_rate(tenors, rates, t), abs=1e-15)
        assert p == pytest.approx(naive.discount(tenors, rates, t), rel=1e-14)


def test_flat_outside_the_knots_and_scalars():
    assert CURVE.zero(0.0) == ZEROS[0]
    assert CURVE.zero(0.1) == ZEROS[0]
    assert CURVE.zero(45.0) == ZEROS[-1]
    assert CURVE.discount(0.0) == 1.0
    assert isinstance(CURVE.discount(1.0), float)
    assert CURVE.zero(np.ones((2, 3))).shape == (2, 3)
    with pytest.raises(ValueError):
        CURVE.discount(-1.0)


def test_forward_rates():
    t0, t1 = np.array([0.0, 1.0, 2.5, 12.0]), np.array([0.5, 3.0, 2.75, 40.0])
    fwd = CURVE.forward(t0, t1)
    np.testing.assert_allclose(
        np.exp(-fwd * (t1 - t0)), CURVE.discount(t1) / CURVE.discount(t0), rtol=1e-14
    )
    # the limit t1 -> t0 is the instantaneous forward
    assert CURVE.forward(4.0, 4.0) == pytest.approx(CURVE.instantaneous_forward(4.0), abs=1e-15)
    with pytest.raises(ValueError):
        CURVE.forward(2.0, 1.0)


@settings(deadline=None)
@given(curves(min_knots=2), st.floats(0.01, 1.0))
def test_instantaneous_forward_is_the_derivative_of_minus_log_p(knots, frac):
    tenors, rates = knots
    curve = ZeroCurve(tenors, rates)
    # a point strictly inside a segment (the forward jumps at the knots)
    i = int(frac * (len(tenors) - 1) * 0.999)
    t = tenors[i] + (0.2 + 0.6 * frac) * (tenors[i + 1] - tenors[i])
    assert curve.instantaneous_forward(t) == pytest.approx(naive.forward_fd(tenors, rates, t), abs=1e-8)
    # beyond the ends the zero rate is flat, so is the forward
    assert curve.instantaneous_forward(tenors[-1] + 1.0) == rates[-1]
    assert curve.instantaneous_forward(0.5 * tenors[0]) == rates[0]


def test_instantaneous_forward_is_right_continuous_at_a_knot():
    # segment [2, 3]: slope (0.044 - 0.046) / 1
    assert CURVE.instantaneous_forward(2.0) == pytest.approx(0.046 + 2.0 * (0.044 - 0.046), abs=1e-15)


# --------------------------------------------------------------------------
# par yields and bootstrapping


@pytest.mark.parametrize("rate", [-0.005, 0.0, 0.03, 0.08])
def test_par_rate_on_a_flat_curve_is_the_semiannual_equivalent(rate):
    # coupon dates at every half year: c = 2 (exp(r/2) - 1), whatever the maturity
    curve = ZeroCurve.flat(rate)
    maturities = np.array([0.5, 1.0, 2.0, 10.0, 30.0])
    np.testing.assert_allclose(curve.par_rate(maturities), 2.0 * math.expm1(rate / 2.0), rtol=1e-12, atol=1e-16)
    # one short period: a simple money-market rate
    assert curve.par_rate(0.25) == pytest.approx(math.expm1(0.25 * rate) / 0.25, rel=1e-12, abs=1e-16)


@settings(deadline=None)
@given(curves(), st.lists(st.floats(0.05, 40.0), min_size=1, max_size=6), st.sampled_from([1, 2, 4, 12]))
def test_par_rate_matches_naive(knots, maturities, freq):
    tenors, rates = knots
    curve = ZeroCurve(tenors, rates)
    got = curve.par_rate(np.array(maturities), freq)
    for m, c in zip(maturities, got):
        assert c == pytest.approx(naive.par_rate(tenors, rates, m, freq), rel=1e-11, abs=1e-14)


@settings(deadline=None)
@given(
    st.lists(st.sampled_from([0.08, 0.25, 0.5, 0.75, 1.0, 1.3, 2.0, 3.0, 5.0, 7.0, 10.0, 15.0, 20.0, 30.0]),
             min_size=1, max_size=10, unique=True),
    st.data(),
)
def test_bootstrap_round_trip(tenor_set, data):
    tenors = sorted(tenor_set)
    # a random walk: an arbitrary jump in par rates has no arbitrage-free zero curve
    start = data.draw(st.floats(-0.005, 0.10))
    steps = data.draw(st.lists(st.floats(-0.01, 0.01), min_size=len(tenors), max_size=len(tenors)))
    pars = list(start + np.cumsum(steps))
    curve = ZeroCurve.from_par_rates(tenors, pars)
    np.testing.assert_allclose(curve.par_rate(np.array(tenors)), pars, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(curve.tenors, tenors)


def test_bootstrap_without_solution_names_the_par_rate():
    # par 0 to 20 years, then 6.25% at 30: 20 years of coupons alone exceed par
    tenors = [1.0, 20.0, 30.0]
    with pytest.raises(ConfigError) as err:
        ZeroCurve.from_par_rates(tenors, [0.0, 0.0, 0.0625])
    assert str(err.value).startswith("par_rates[2]: no zero rate in (-1, 2) reproduces the par rate 0.0625 at 30 years")


def test_bootstrap_us_treasury_like_curve():
    pars = [0.0530, 0.0525, 0.0510, 0.0480, 0.0460, 0.0440, 0.0435, 0.0432, 0.0455, 0.0445]
    curve = ZeroCurve.from_par_rates(TENORS, pars)
    np.testing.assert_allclose(curve.par_rate(np.array(TENORS)), pars, rtol=0, atol=1e-12)
    for m, c in zip(TENORS, pars):  # the naive twin agrees on the bootstrapped knots
        assert naive.par_rate(TENORS, list(curve.zero_rates), m) == pytest.approx(c, abs=1e-12)


def test_bootstrap_of_a_flat_par_curve():
    c = 0.05
    tenors = [0.25, 0.5, 1.0, 5.0, 30.0]
    curve = ZeroCurve.from_par_rates(tenors, [c] * 5)
    assert curve.zero(0.25) == pytest.approx(math.log1p(c * 0.25) / 0.25, abs=1e-14)
    # from 0.5 years on: flat at the continuous equivalent of the semiannual rate
    np.testing.assert_allclose(curve.zero_rates[1:], 2.0 * math.log1p(c / 2.0), atol=1e-14)


# --------------------------------------------------------------------------
# shifts


def test_parallel_shift():
    up = CURVE.shifted(0.01)
    t = np.linspace(0.0, 40.0, 401)
    np.testing.assert_allclose(up.zero(t), CURVE.zero(t) + 0.01, atol=1e-15)
    np.testing.assert_allclose(up.discount(t), CURVE.discount(t) * np.exp(-0.01 * t), rtol=1e-14)
    np.testing.assert_array_equal(CURVE.zero_rates, ZEROS)  # unchanged


@settings(deadline=None)
@given(curves(), st.floats(-0.02, 0.02), st.lists(st.floats(0.0, 60.0), min_size=1, max_size=20))
def test_key_rate_bumps_sum_to_the_parallel_shift(knots, delta, ts):
    tenors, rates = knots
    curve = ZeroCurve(tenors, rates)
    t = np.array(ts + list(tenors))
    bumps = [curve.key_rate_shift(i, delta).zero(t) - curve.zero(t) for i in range(len(tenors))]
    np.testing.assert_allclose(np.sum(bumps, axis=0), delta, rtol=0, atol=1e-15)
    # each bump is the triangular weight of its knot
    for i, bump in enumerate(bumps):
        expected = [delta * naive.hat(tenors, i, s) for s in t]
        np.testing.assert_allclose(bump, expected, rtol=0, atol=1e-15)


def test_key_rate_shift_shape():
    bumped = CURVE.key_rate_shift(5, 0.001)  # the 5-year knot
    assert bumped.zero(5.0) - CURVE.zero(5.0) == pytest.approx(0.001, abs=1e-16)
    assert bumped.zero(4.0) - CURVE.zero(4.0) == pytest.approx(0.0005, abs=1e-16)
    assert bumped.zero(3.0) == CURVE.zero(3.0)
    assert bumped.zero(7.0) == CURVE.zero(7.0)
    last = CURVE.key_rate_shift(len(TENORS) - 1, 0.001)
    assert last.zero(50.0) - CURVE.zero(50.0) == pytest.approx(0.001, abs=1e-16)
    with pytest.raises(IndexError):
        CURVE.key_rate_shift(len(TENORS), 0.001)


def test_curve_is_immutable():
    with pytest.raises(AttributeError):
        CURVE.tenors = np.array([1.0])
    with pytest.raises(ValueError):
        CURVE.zero_rates[0] = 0.5


# --------------------------------------------------------------------------
# construction errors and config


@pytest.mark.parametrize(
    "tenors, rates, message",
    [
        ([1.0, 0.5], [0.01, 0.02], "tenors: expected strictly increasing tenors in years, got [1, 0.5]"),
        ([0.0, 1.0], [0.01, 0.02], "tenors[0]: expected a tenor in years > 0, got 0"),
        ([1.0, 2.0], [0.01], "zero_rates: expected as many rates as tenors (2), got 1"),
        ([1.0, 2.0], [0.01, 4.5], "zero_rates[1]: expected an annual decimal in (-0.1, 1), got 4.5 (a percent? write 0.045)"),
        ([], [], "tenors: expected a non-empty list of tenors in years, got []"),
        ([1.0, float("nan")], [0.01, 0.02], "tenors[1]: expected a finite number, got nan"),
    ],
)
def test_constructor_errors(tenors, rates, message):
    with pytest.raises(ConfigError) as err:
        ZeroCurve(tenors, rates)
    assert str(err.value) == message


def test_spec_forms_agree():
    zero = curve_from_spec({"tenors": TENORS, "zero_rates": ZEROS})
    np.testing.assert_array_equal(zero.zero_rates, ZEROS)
    pars = list(CURVE.par_rate(np.array(TENORS)))
    par = curve_from_spec({"tenors": TENORS, "par_rates": pars})
    np.testing.assert_allclose(par.zero_rates, ZEROS, atol=1e-13)
    flat = curve_from_spec({"flat": 0.04})
    assert flat.zero(17.0) == 0.04


def test_spec_from_csv(tmp_path):
    (tmp_path / "zero.csv").write_text(
        "tenor,zero_rate\n" + "".join(f"{t},{z}\n" for t, z in zip(TENORS, ZEROS))
    )
    pars = CURVE.par_rate(np.array(TENORS))
    (tmp_path / "par.csv").write_text(
        " tenor , par_rate \n" + "".join(f"{t},{float(c)!r}\n" for t, c in zip(TENORS, pars)) + "\n"
    )
    zero = curve_from_spec({"file": "zero.csv"}, base_dir=tmp_path)
    np.testing.assert_array_equal(zero.zero_rates, ZEROS)
    par = curve_from_spec({"file": str(tmp_path / "par.csv")})
    np.testing.assert_allclose(par.zero_rates, ZEROS, atol=1e-13)


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"tenors": [1, 0.5], "zero_rates": [0.01, 0.02]},
         "economy.curve.tenors: expected strictly increasing tenors in years, got [1, 0.5]"),
        ({"tenors": list(range(1, 11)), "zero_rates": [0.04] * 9},
         "economy.curve.zero_rates: expected as many rates as tenors (10), got 9"),
        ({"tenors": [1, 2, 3, 5], "zero_rates": [0.04, 0.041, 0.042, 4.5]},
         "economy.curve.zero_rates[3]: expected an annual decimal in (-0.1, 1), got 4.5 (a percent? write 0.045)"),
        ({"tenors": [1, 2], "par_rates": [0.04, "x"]},
         "economy.curve.par_rates[1]: expected a number, got 'x'"),
        ({"flat": 5}, "economy.curve.flat: expected an annual decimal in (-0.1, 1), got 5 (a percent? write 0.05)"),
        ({"flat": True}, "economy.curve.flat: expected a number, got True"),
        ({"tenors": [1, 2]}, "economy.curve.zero_rates: missing (give zero_rates or par_rates with the tenors)"),
        ({"par_rates": [0.01]}, "economy.curve.tenors: missing (the tenors in years of the par_rates)"),
        ({"tenors": [1], "zero_rates": [0.01], "par_rates": [0.01]},
         "economy.curve: expected exactly one of {tenors + zero_rates}, {tenors + par_rates}, {file}, {flat}, "
         "got keys ['tenors', 'zero_rates', 'par_rates']"),
        ({"flat": 0.01, "shape": "x"},
         "economy.curve.shape: unknown key (expected one of tenors, zero_rates, par_rates, file, flat)"),
        ({}, "economy.curve: expected exactly one of {tenors + zero_rates}, {tenors + par_rates}, {file}, {flat}, got keys []"),
        ([0.01], "economy.curve: expected a mapping with one of {tenors + zero_rates}, {tenors + par_rates}, "
                 "{file}, {flat}, got [0.01]"),
        ({"tenors": 5, "zero_rates": [0.01]}, "economy.curve.tenors: expected a list of tenors in years, got 5"),
    ],
)
def test_spec_errors(spec, message):
    with pytest.raises(ConfigError) as err:
        curve_from_spec(spec)
    assert str(err.value) == message


def test_spec_error_names_a_custom_key():
    with pytest.raises(ConfigError, match=r"^scenarios\.up\.curve\.flat: "):
        curve_from_spec({"flat": 7}, key="scenarios.up.curve")


@pytest.mark.parametrize(
    "text, message",
    [
        ("years,rate\n1,0.04\n", "expected columns 'tenor' and one of 'zero_rate' or 'par_rate', got ['years', 'rate']"),
        ("tenor,zero_rate,par_rate\n1,0.04,0.04\n", "expected columns 'tenor' and one of 'zero_rate' or 'par_rate'"),
        ("tenor,zero_rate\n1,0.04\n\n2,abc\n", "line 4: zero_rate: expected a number, got 'abc'"),
        ("tenor,zero_rate\n1,0.04\n2,4.5\n", "line 3: zero_rate: expected an annual decimal in (-0.1, 1), got 4.5 (a percent? write 0.045)"),
        ("tenor,zero_rate\n2,0.04\n1,0.05\n", "tenor: expected strictly increasing tenors in years, got [2, 1]"),
        ("tenor,zero_rate\n", "expected at least one data row after the header"),
        ("", "expected a header row"),
    ],
)
def test_csv_errors_name_the_file(tmp_path, text, message):
    path = tmp_path / "usd.csv"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        curve_from_spec({"file": "usd.csv"}, base_dir=tmp_path)
    line = str(err.value)
    assert line.startswith(f"economy.curve.file ({path})")
    assert message in line
    assert "\n" not in line


def test_csv_not_found(tmp_path):
    with pytest.raises(ConfigError) as err:
        curve_from_spec({"file": "missing.csv"}, base_dir=tmp_path)
    assert str(err.value) == f"economy.curve.file: curve file not found: {tmp_path / 'missing.csv'}"
