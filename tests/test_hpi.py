"""Tests of engine.economy.hpi: lognormal HPI paths, scenarios, reproducibility.

Closed forms (geometric Brownian motion sampled monthly, t in months):
E[H(t)] = exp(mu t / 12), Var[ln H(t)] = sigma^2 t / 12. Monte Carlo
tolerances are 5 standard errors; the seeds are fixed, so the tests are
deterministic.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from engine.errors import ConfigError
from engine.economy.hpi import HPIModel, HPIScenario, load_hpi_scenario, scenario_log_path, simulate_hpi
from engine.kernels.rng import PURPOSE_HPI

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
SEED = 12345


def naive_hpi(model, n_paths, n_months, seed, rate_shocks=None):
    """Month-by-month recursion with the documented per-path generators."""
    mu, sigma, rho = model.drift, model.volatility, model.correlation
    out = np.ones((n_paths, n_months + 1))
    for p in range(n_paths):
        base = p - (p % 2) if model.antithetic else p
        sign = -1.0 if (model.antithetic and p % 2) else 1.0
        z = sign * np.random.default_rng([seed, 3, base]).standard_normal(n_months)
        log_h = 0.0
        for t in range(1, n_months + 1):
            e = z[t - 1]
            if rate_shocks is not None:
                e = rho * rate_shocks[p, t - 1] + math.sqrt(1.0 - rho * rho) * e
            log_h += (mu - 0.5 * sigma * sigma) / 12.0 + sigma / math.sqrt(12.0) * e
            out[p, t] = math.exp(log_h)
    return out


def test_purpose_tag_matches_rng_registry():
    from engine.economy.hpi import HPI_PURPOSE_TAG

    assert HPI_PURPOSE_TAG == PURPOSE_HPI == 3


@pytest.mark.parametrize("antithetic", [False, True])
@pytest.mark.parametrize("rho", [0.0, -0.4])
def test_matches_naive_recursion(antithetic, rho):
    model = HPIModel(drift=0.03, volatility=0.07, correlation=rho, antithetic=antithetic)
    shocks = np.random.default_rng(99).standard_normal((7, 40))
    got = simulate_hpi(model, 7, 40, SEED, rate_shocks=shocks)
    np.testing.assert_allclose(got, naive_hpi(model, 7, 40, SEED, shocks), rtol=1e-12)


def test_shape_and_start():
    h = simulate_hpi(HPIModel(0.035, 0.04), 4, 24, SEED)
    assert h.shape == (4, 25) and h.dtype == np.float64
    assert np.all(h[:, 0] == 1.0)
    assert np.all(h > 0)


def test_mean_is_lognormal_closed_form():
    mu, sigma, n = 0.035, 0.08, 20_000
    h = simulate_hpi(HPIModel(mu, sigma), n, 120, SEED)
    for t in (1, 12, 60, 120):
        se = h[:, t].std(ddof=1) / math.sqrt(n)
        assert abs(h[:, t].mean() - math.exp(mu * t / 12)) < 5 * se, t


def test_log_variance_is_sigma_squared_t():
    mu, sigma, n = 0.02, 0.1, 20_000
    log_h = np.log(simulate_hpi(HPIModel(mu, sigma), n, 120, SEED))
    for t in (12, 60, 120):
        target = sigma**2 * t / 12
        se = target * math.sqrt(2.0 / (n - 1))
        assert abs(log_h[:, t].var(ddof=1) - target) < 5 * se, t
        se_mean = math.sqrt(target / n)
        assert abs(log_h[:, t].mean() - (mu - sigma**2 / 2) * t / 12) < 5 * se_mean


@pytest.mark.parametrize("rho", [0.6, -0.3, 1.0])
def test_correlation_with_rate_shocks(rho):
    mu, sigma, n_paths, n_months = 0.03, 0.05, 2_000, 120
    shocks = np.random.default_rng(7).standard_normal((n_paths, n_months))
    h = simulate_hpi(HPIModel(mu, sigma, correlation=rho), n_paths, n_months, SEED, rate_shocks=shocks)
    e = (np.diff(np.log(h), axis=1) - (mu - sigma**2 / 2) / 12) / (sigma / math.sqrt(12))
    n = e.size
    r = np.corrcoef(e.ravel(), shocks.ravel())[0, 1]
    assert abs(r - rho) < 5 * (1 - rho**2) / math.sqrt(n) + 1e-9
    assert abs(e.var() - 1.0) < 5 * math.sqrt(2.0 / n)


def test_correlation_without_shocks_is_ignored():
    a = simulate_hpi(HPIModel(0.03, 0.05, correlation=0.5), 3, 12, SEED)
    b = simulate_hpi(HPIModel(0.03, 0.05), 3, 12, SEED)
    assert np.array_equal(a, b)


# --------------------------------------------------------------------------
# scenarios


def test_scenario_hits_points_exactly():
    model = HPIModel(0.035, 0.0, scenario={"points": [[12, -0.10], [36, -0.25], [48, 0.05]]})
    h = simulate_hpi(model, 3, 72, SEED)
    assert np.all(h == h[0])  # the same on every path
    for month, change in model.scenario.points:
        np.testing.assert_allclose(h[:, month], 1.0 + change, rtol=1e-15)
    # log-linear between points: constant monthly growth from month 12 to 36
    g = np.diff(np.log(h[0, 12:37]))
    np.testing.assert_allclose(g, math.log(0.75 / 0.90) / 24, rtol=1e-9)
    # drift only after the last point
    np.testing.assert_allclose(h[0, 60], 1.05 * math.exp(0.035 * 12 / 12), rtol=1e-14)
    np.testing.assert_allclose(h[0, 72], 1.05 * math.exp(0.035 * 24 / 12), rtol=1e-14)


def test_scenario_horizon_shorter_than_points():
    model = HPIModel(0.0, 0.0, scenario={"points": [[36, -0.25]]})
    h = simulate_hpi(model, 1, 18, SEED)
    np.testing.assert_allclose(h[0, 18], math.exp(0.5 * math.log(0.75)), rtol=1e-14)


def test_scenario_with_volatility_has_scenario_mean():
    sigma, n = 0.06, 20_000
    model = HPIModel(0.02, sigma, scenario={"points": [[36, -0.25]]})
    h = simulate_hpi(model, n, 60, SEED)
    target = np.exp(scenario_log_path(model, 60))
    for t in (12, 36, 60):
        se = h[:, t].std(ddof=1) / math.sqrt(n)
        assert abs(h[:, t].mean() - target[t]) < 5 * se
        assert abs(np.log(h[:, t]).var(ddof=1) - sigma**2 * t / 12) < 5 * sigma**2 * t / 12 * math.sqrt(2 / n)


# --------------------------------------------------------------------------
# reproducibility and chunking


def test_reproducible_per_seed():
    m = HPIModel(0.035, 0.05)
    a = simulate_hpi(m, 6, 36, SEED)
    assert np.array_equal(a, simulate_hpi(m, 6, 36, SEED))
    assert not np.array_equal(a, simulate_hpi(m, 6, 36, SEED + 1))


@pytest.mark.parametrize("antithetic", [False, True])
def test_path_independent_of_n_paths_and_horizon(antithetic):
    m = HPIModel(0.035, 0.05, antithetic=antithetic)
    big = simulate_hpi(m, 50, 120, SEED)
    assert np.array_equal(simulate_hpi(m, 7, 120, SEED), big[:7])
    assert np.array_equal(simulate_hpi(m, 50, 60, SEED), big[:, :61])


def test_antithetic_pairs():
    mu, sigma = 0.03, 0.05
    plain = simulate_hpi(HPIModel(mu, sigma), 9, 48, SEED)
    anti = simulate_hpi(HPIModel(mu, sigma, antithetic=True), 9, 48, SEED)
    assert np.array_equal(anti[0::2], plain[0::2])  # even paths are the plain ones
    log_a = np.log(anti)
    t = np.arange(49)
    pair_sum = log_a[0:8:2] + log_a[1:8:2]
    np.testing.assert_allclose(pair_sum, np.broadcast_to(2 * (mu - sigma**2 / 2) * t / 12, pair_sum.shape), atol=1e-12)
    assert not np.array_equal(anti[1], plain[1])


def test_zero_volatility_is_deterministic_drift():
    h = simulate_hpi(HPIModel(0.04, 0.0), 2, 24, SEED)
    np.testing.assert_allclose(h, np.exp(0.04 * np.arange(25) / 12)[None, :].repeat(2, 0), rtol=1e-15)


def test_zero_months():
    assert np.array_equal(simulate_hpi(HPIModel(0.03, 0.05), 3, 0, SEED), np.ones((3, 1)))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n_paths=0, n_months=12, seed=1), "n_paths"),
        (dict(n_paths=2, n_months=-1, seed=1), "n_months"),
        (dict(n_paths=2, n_months=12, seed=-1), "seed"),
        (dict(n_paths=2, n_months=12, seed=1, rate_shocks=np.zeros((2, 11))), "shape"),
        (dict(n_paths=2, n_months=12, seed=1, rate_shocks=np.full((2, 12), np.nan)), "finite"),
    ],
)
def test_simulate_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        simulate_hpi(HPIModel(0.03, 0.05), **kwargs)


# --------------------------------------------------------------------------
# model validation and scenario files


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(drift=3.5, volatility=0.04), r"drift: .*a percent\? write 0\.035"),
        (dict(drift=0.03, volatility=-0.01), "volatility"),
        (dict(drift=0.03, volatility=5), r"volatility: .*write 0\.05"),
        (dict(drift=0.03, volatility=0.04, correlation=1.5), "correlation"),
        (dict(drift="x", volatility=0.04), "drift: expected a number"),
        (dict(drift=0.03, volatility=0.04, antithetic="yes"), "antithetic"),
        (dict(drift=0.03, volatility=0.0, scenario={"points": []}), "at least one"),
        (
            dict(drift=0.03, volatility=0.0, scenario={"points": [[36, -25]]}),
            r"scenario\.points\[0\]: change: .*write -0\.25",
        ),
        (
            dict(drift=0.03, volatility=0.0, scenario={"points": [[36, -0.2], [24, -0.3]]}),
            r"scenario\.points\[1\]: month",
        ),
        (dict(drift=0.03, volatility=0.0, scenario={"points": [[0, -0.2]]}), r"points\[0\]: month"),
        (dict(drift=0.03, volatility=0.0, scenario={"points": [[1.5, -0.2]]}), "whole number"),
        (dict(drift=0.03, volatility=0.0, scenario={"points": [[12, -0.2, 3]]}), "pair"),
        (dict(drift=0.03, volatility=0.0, scenario={"pts": [[12, -0.2]]}), r"scenario\.pts: unknown key"),
    ],
)
def test_model_validation(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        HPIModel(**kwargs)


def test_model_is_frozen_and_normalised():
    m = HPIModel(0, 0, scenario={"points": [(36, -0.25)]})
    assert isinstance(m.scenario, HPIScenario) and m.scenario.points == ((36, -0.25),)
    assert isinstance(m.drift, float) and m.scenario.last_month == 36
    with pytest.raises(AttributeError):
        m.drift = 0.1  # type: ignore[misc]


def test_shipped_scenarios_load():
    base = load_hpi_scenario(SCENARIOS / "hpi_base.yaml")
    assert base == HPIModel(drift=0.035, volatility=0.04)
    flat = load_hpi_scenario(SCENARIOS / "hpi_flat.yaml")
    assert np.array_equal(simulate_hpi(flat, 3, 24, SEED), np.ones((3, 25)))
    down = load_hpi_scenario(SCENARIOS / "hpi_down_25pct_3y.yaml")
    assert down.volatility == 0.0 and down.scenario.points == ((36, -0.25),)
    h = simulate_hpi(down, 4, 60, SEED)
    np.testing.assert_allclose(h[:, 36], 0.75, rtol=1e-15)
    assert np.all(np.diff(h[0, :37]) < 0) and np.all(np.diff(h[0, 36:]) > 0)


def test_scenario_volatility_defaults_to_zero(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("drift: 0.01\nscenario:\n  points: [[12, 0.1]]\n")
    assert load_hpi_scenario(f).volatility == 0.0
    f.write_text("drift: 0.01\nvolatility: 0.05\nscenario:\n  points: [[12, 0.1]]\n")
    assert load_hpi_scenario(f).volatility == 0.05


@pytest.mark.parametrize(
    "text, match",
    [
        ("drift: 0.03\nvolatility: 0.04\nvol: 1\n", "vol: unknown key"),
        ("volatility: 0.04\n", "drift: missing"),
        ("drift: 0.03\n", "volatility: missing"),
        ("drift: 3\nvolatility: 0.04\n", r"drift: .*a percent"),
        ("drift: 0.03\nscenario:\n  points: [[36, -25]]\n", r"scenario\.points\[0\]: change"),
        ("- 1\n- 2\n", "expected a mapping"),
        ("drift: [0.03\n", "not valid YAML"),
    ],
)
def test_scenario_file_errors_name_file_and_key(tmp_path, text, match):
    f = tmp_path / "bad_hpi.yaml"
    f.write_text(text)
    with pytest.raises(ConfigError, match=match) as info:
        load_hpi_scenario(f)
    assert str(info.value).startswith(str(f))


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="nope.yaml"):
        load_hpi_scenario(tmp_path / "nope.yaml")
