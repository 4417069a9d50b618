"""Valuation on interest-rate paths: the rate-driven prepayment model, the
standard model on paths, OAS, Z-spread, option cost, effective, spread and
key-rate durations.

References: a plain-Python twin of the prepayment model and of the SIFMA
recursion on a path (tests/reference/naive_prepay.py, naive_sifma.py);
closed forms on the zero curve (a level-payment loan's price and duration,
written here with numpy from P(0, t) = exp(-z(t) t)); the spreads module's
solvers on hand-built cash flows; Monte Carlo bounds of a few standard
errors with fixed seeds (deterministic).
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from threads import run_on_one_and_two_threads
from engine.analytics.spreads import pv_std_error, zspread
from engine.behavior.prepayment import prepay_params
from engine.config import PrepayTurnover, load_config
from engine.economy.curve import ZeroCurve
from engine.economy.market import payment_times, simulate_market
from engine.errors import ConfigError
from engine.inputs.tape import loans_from_rows
from engine.kernels.prepayment import prepay_schedule, refi_smm_path
from engine.models.standard_paths import path_inputs, project_on_paths, prepay_keys
from engine.output.columns import STANDARD_CASHFLOWS, VALUATION_CASHFLOWS_EXTRA, VALUATION_PATHS, VALUATION_SUMMARY
from tests.reference import naive_prepay

REPO = Path(__file__).resolve().parents[1]

TENORS = [0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 7.0, 10.0, 20.0, 30.0]
ZEROS = [0.0432, 0.0425, 0.0412, 0.0396, 0.0390, 0.0394, 0.0405, 0.0421, 0.0461, 0.0459]
CURVE = ZeroCurve(TENORS, ZEROS)

REFI = {"model": "turnover_refi", "base_cpr": 0.06, "ramp_months": 30, "refi_max_cpr": 0.40,
        "refi_midpoint": 0.0075, "refi_slope": 0.0025, "burnout": 2.0}


def loan(i, rate, term=360, age=0, balance=200_000.0, servicing=0.0025):
    return {"loan_id": f"L{i}", "balance": balance, "note_rate": rate, "remaining_term": term, "age": age,
            "servicing_fee": servicing}


PREMIUM = [loan(1, 0.0750), loan(2, 0.0775, 348, 12), loan(3, 0.0725, 300, 60, 150_000.0)]
MIXED = [loan(1, 0.0750), loan(2, 0.0550, 330, 30), loan(3, 0.0425, 240, 120, 120_000.0),
         loan(4, 0.0625, 359, 1, 350_000.0)]


def config(loans, prepay=REFI, *, price=None, oas=None, rates=None, paths=128, antithetic=True, sobol=None,
           default=None, krd=None, seed=7, delay=24):
    d = {
        "name": "oas-test",
        "loans": copy.deepcopy(loans),
        "assumptions": {"prepay": dict(prepay)},
        "economy": {"curve": {"tenors": TENORS, "zero_rates": ZEROS},
                    "rates": rates or {"model": "hull_white", "mean_reversion": 0.03, "volatility": 0.009},
                    "mortgage_spread": 0.017},
        "simulation": {"paths": paths, "seed": seed, "antithetic": antithetic},
        "valuation": {"delay_days": delay, "shift_bp": 25},
    }
    if default is not None:
        d["assumptions"]["default"] = default
        d["assumptions"]["loss"] = {"severity": 0.25, "liquidation_lag": 6, "advancing": True}
    if sobol is not None:
        d["simulation"]["sobol"] = sobol
    if price is not None:
        d["valuation"]["price"] = price
    if oas is not None:
        d["valuation"]["oas"] = oas
    if krd is not None:
        d["valuation"]["key_rate_durations"] = krd
    return d


def summary(result):
    return result.summary.to_pylist()[0]


# --------------------------------------------------------------------------
# the rate-driven prepayment model


def _params(**overrides):
    p = PrepayTurnover.model_validate({**REFI, **overrides})
    return prepay_params(p, 3, 0.06)


@settings(deadline=None, max_examples=40)
@given(
    age=st.integers(0, 200),
    rate=st.floats(0.02, 0.10),
    burnout=st.floats(0.0, 5.0),
    start=st.floats(0.02, 0.09),
    steps=st.lists(st.floats(-0.004, 0.004), min_size=60, max_size=60),
)
def test_refi_smm_path_matches_the_naive_model(age, rate, burnout, start, steps):
    rates = list(np.clip(start + np.cumsum(steps), 0.0, 0.2))
    pp = _params(burnout=burnout)
    out = np.empty(61)
    refi_smm_path(out, pp, age, rate, np.array([rates[0]] + rates))
    for m in range(1, 61):
        want = naive_prepay.refi_smm(
            m, age=age, note_rate=rate, mortgage_rates=rates, base_cpr=0.06, ramp_months=30.0,
            seasonality=list(pp.seasonality), start_month=3, refi_max_cpr=0.40, refi_midpoint=0.0075,
            refi_slope=0.0025, burnout=burnout,
        )
        assert out[m] == pytest.approx(want, rel=1e-12, abs=1e-15), m


@settings(deadline=None, max_examples=40)
@given(age=st.integers(0, 60), rate=st.floats(0.02, 0.10), market=st.floats(0.02, 0.10), burnout=st.floats(0, 5))
def test_a_constant_market_rate_is_the_flat_rate_schedule(age, rate, market, burnout):
    """The flat-rate formula (burnout = exp(-b max(inc, 0) (t - 1) / 12)) is the
    path formula's special case; equal up to the rounding of the running sum."""
    pp = _params(burnout=burnout)._replace(mortgage_rate=market)
    flat, path = np.empty(361), np.empty(361)
    prepay_schedule(flat, pp, age, rate)
    refi_smm_path(path, pp, age, rate, np.full(361, market))
    np.testing.assert_allclose(path[1:], flat[1:], rtol=1e-12, atol=1e-16)


def test_prepay_keys_share_only_what_is_identical():
    rates = np.array([0.05, 0.05, 0.05, 0.06, 0.05])
    ages = np.array([3, 40, 31, 3, 3])
    key_of_loan, key_age, key_rate = prepay_keys(rates, ages, 30.0)
    # ages 40 and 31 are both past the 30-month ramp: one key; age 3 is its own
    assert key_of_loan[1] == key_of_loan[2] != key_of_loan[0] == key_of_loan[4] != key_of_loan[3]
    assert list(key_rate[key_of_loan]) == list(rates)
    assert list(key_age[key_of_loan]) == [3, 30, 30, 3, 3]


# --------------------------------------------------------------------------
# the standard model on rate paths vs its plain-Python twin


@pytest.mark.parametrize("advancing", [True, False])
def test_path_cash_flows_match_the_naive_twin(advancing):
    rows = MIXED
    loans = loans_from_rows(copy.deepcopy(rows))
    assumptions = {"prepay": REFI, "default": {"model": "cdr", "rate": 0.02},
                   "loss": {"severity": 0.3, "liquidation_lag": 6, "advancing": advancing}}
    pi = path_inputs(loans, assumptions, start_month=5)
    rng = np.random.default_rng(5)
    n_paths, H = 3, 360
    mortgage = 0.055 + np.cumsum(rng.normal(0.0, 0.002, (n_paths, H + 1)), axis=1)
    flows = project_on_paths(pi, mortgage, chunk_paths=2)
    mdr = 1.0 - (1.0 - 0.02) ** (1.0 / 12.0)
    params = dict(base_cpr=0.06, ramp_months=30.0, seasonality=list(pi.prepay.seasonality), start_month=5,
                  refi_max_cpr=0.40, refi_midpoint=0.0075, refi_slope=0.0025, burnout=2.0)
    for p in range(n_paths):
        want = naive_prepay.pool_cash_flow(rows, params, list(mortgage[p, 1:]), mdr, 0.3, 6, H, advancing)
        np.testing.assert_allclose(flows.cash[p], want, rtol=0, atol=1e-6)
    # the path means are the means of the paths
    np.testing.assert_allclose(flows.columns["total_cash_flow"], flows.cash.mean(axis=0), rtol=1e-13)


def test_path_means_do_not_depend_on_the_chunking():
    loans = loans_from_rows(copy.deepcopy(MIXED))
    pi = path_inputs(loans, {"prepay": REFI}, 12)
    mortgage = 0.05 + 0.01 * np.random.default_rng(1).random((7, 361))
    a, b = project_on_paths(pi, mortgage, chunk_paths=7), project_on_paths(pi, mortgage, chunk_paths=2)
    assert a.cash.tobytes() == b.cash.tobytes()
    assert a.columns["total_cash_flow"].tobytes() == b.columns["total_cash_flow"].tobytes()


# --------------------------------------------------------------------------
# OAS, Z-spread, option cost


def test_rate_blind_model_has_oas_equal_to_zspread_within_monte_carlo_error():
    cfg = config(MIXED, {"model": "psa", "speed": 150}, price=101.0, paths=512,
                 rates={"model": "hull_white", "mean_reversion": 0.03, "volatility": 0.012})
    s = summary(engine.run(cfg))
    assert s["oas_std_error"] > 0
    assert abs(s["oas"] - s["zspread"]) < 4.0 * s["oas_std_error"]
    assert abs(s["option_cost"]) < 4.0 * s["oas_std_error"]
    # the independent check: the spreads module's solver on the cash flows
    # written out by hand (PSA is rate-blind: one vector on every path)
    cf = engine.project_cashflows(loans_from_rows(copy.deepcopy(MIXED)), {"prepay": {"model": "psa", "speed": 150}})
    t = payment_times(cf.n_months, 24)[1:]
    face = sum(r["balance"] for r in MIXED)
    assert s["zspread"] == pytest.approx(zspread(cf.total_cash_flow, CURVE, t, 1.01 * face).spread, abs=1e-12)


def test_without_volatility_oas_is_the_zspread_exactly():
    cfg = config(MIXED, REFI, price=99.5, rates={"model": "none"})
    s = summary(engine.run(cfg))
    assert s["paths"] == 1
    assert s["oas"] == pytest.approx(s["zspread"], abs=1e-13)
    assert s["price_std_error"] == 0.0 and s["oas_std_error"] == 0.0


def test_premium_pool_has_an_option_cost_and_negative_convexity():
    s = summary(engine.run(config(PREMIUM, REFI, price=102.0, paths=256)))
    assert s["option_cost"] > 5.0 * s["oas_std_error"] > 0  # positive beyond Monte Carlo error
    assert s["effective_convexity"] < 0
    assert s["effective_duration"] < s["spread_duration"]  # prepayments shorten the rate duration


@pytest.mark.parametrize("price", [97.0, 100.0, 103.5])
def test_oas_price_oas_round_trip(price):
    s = summary(engine.run(config(MIXED, REFI, price=price, paths=64)))
    back = summary(engine.run(config(MIXED, REFI, oas=s["oas"], paths=64)))
    assert back["price"] == pytest.approx(price, rel=1e-12)
    assert back["model_price"] == back["price"]
    again = summary(engine.run(config(MIXED, REFI, price=back["price"], paths=64)))
    assert again["oas"] == pytest.approx(s["oas"], abs=1e-12)
    assert again["effective_duration"] == pytest.approx(s["effective_duration"], rel=1e-9)


def _level_pay_flows(rows, months):
    """Cash flows of level-payment loans without prepayment or default, by hand."""
    cf = np.zeros(months)
    for r in rows:
        c, n = r["note_rate"] / 12.0, r["remaining_term"]
        pmt = r["balance"] * c / (1.0 - (1.0 + c) ** -n)
        bal = r["balance"]
        for k in range(n):
            interest = bal * c
            principal = pmt - interest
            cf[k] += principal + bal * (r["note_rate"] - r["servicing_fee"]) / 12.0
            bal -= principal
    return cf


@pytest.mark.parametrize("rates", [{"model": "none"}, None])
def test_duration_of_a_pool_without_prepayment_or_default_is_its_analytic_duration(rates):
    s_given = 0.004
    res = engine.run(config(MIXED, {"model": "none"}, oas=s_given, rates=rates, paths=256))
    s = summary(res)
    H = max(r["remaining_term"] for r in MIXED)
    t = payment_times(H, 24)[1:]
    cf = _level_pay_flows(MIXED, H)
    face = sum(r["balance"] for r in MIXED)
    z = np.interp(t, TENORS, ZEROS)
    w = cf * np.exp(-(z + s_given) * t)
    analytic = float(t @ w / w.sum())  # -(1/P) dP/dy under parallel shifts of the zero curve
    dy = 0.0025
    # the central difference is E_w[sinh(dy t) / dy] = D + dy^2 E_w[t^3] / 6 + O(dy^4)
    bound = 1.1 * float((t**3) @ w / w.sum()) * dy**2 / 6.0
    if rates is None:
        # Hull-White: a shifted curve multiplies every path's discount by
        # exp(-dy t), so the price is sum_k CF_k exp(-s t_k) mean_p D_pk
        # exp(-dy t_k) exactly; mean_p D_pk matches P(0, t_k) within MC error
        disc = res.details["valuation"].base.market.discount
        w_mc = cf * np.exp(-s_given * t) * disc.mean(axis=0)
        bound += abs(float(t @ w_mc / w_mc.sum()) - analytic) + 1e-9
        w = w_mc
    p = lambda d: float(w @ np.exp(-d * t))  # noqa: E731
    assert s["model_price"] == pytest.approx(100.0 * p(0.0) / face, rel=1e-12)
    assert s["effective_duration"] == pytest.approx((p(-dy) - p(dy)) / (2 * dy * p(0.0)), rel=1e-9)
    assert s["effective_convexity"] == pytest.approx((p(dy) + p(-dy) - 2 * p(0.0)) / (dy**2 * p(0.0)), rel=1e-5)
    assert s["effective_duration"] == pytest.approx(analytic, abs=bound)
    # for cash flows that do not move with rates, a spread shift is a curve shift
    assert s["spread_duration"] == pytest.approx(float(t @ w / w.sum()), rel=1e-12)
    if rates is None:
        assert abs(s["effective_duration"] - analytic) < 0.05  # MC error of the mean discount, 256 paths


def test_key_rate_durations_add_up_to_the_effective_duration():
    res = engine.run(config(MIXED, REFI, price=100.0, paths=64, krd=True))
    krd = res.tables["key_rate_durations"].to_pydict()
    assert krd["tenor"] == TENORS
    s = summary(res)
    assert sum(krd["duration"]) == pytest.approx(s["effective_duration"], rel=0.02)
    assert krd["duration"][TENORS.index(10.0)] > 0  # the 10-year rate drives prepayments and discounting


def test_rate_blind_key_rate_durations_add_up_exactly_to_first_order():
    res = engine.run(config(MIXED, {"model": "cpr", "rate": 0.08}, price=100.0, rates={"model": "none"}, krd=True))
    krd = res.tables["key_rate_durations"].to_pydict()["duration"]
    assert sum(krd) == pytest.approx(summary(res)["effective_duration"], rel=1e-4)


def test_one_and_two_threads_give_identical_results():
    cfg = config(MIXED, REFI, price=100.5, paths=48, default={"model": "sda", "speed": 150})
    one, two = run_on_one_and_two_threads(cfg)
    for name in one.tables:
        assert one.tables[name].equals(two.tables[name]), name


def test_antithetic_and_sobol_paths():
    plain = summary(engine.run(config(MIXED, REFI, price=100.0, paths=64, antithetic=False)))
    anti = summary(engine.run(config(MIXED, REFI, price=100.0, paths=64)))
    sobol = summary(engine.run(config(MIXED, REFI, price=100.0, paths=64, antithetic=False, sobol=True)))
    for s in (plain, anti, sobol):
        assert math.isfinite(s["oas"]) and s["oas_std_error"] > 0
    # independent estimates of one OAS
    se = math.hypot(plain["oas_std_error"], sobol["oas_std_error"])
    assert abs(plain["oas"] - sobol["oas"]) < 4 * se


# --------------------------------------------------------------------------
# outputs


def test_tables_and_columns():
    res = engine.run(config(MIXED, REFI, price=100.0, paths=32, default={"model": "cdr", "rate": 0.01}))
    s = summary(res)
    for name in ("n_loans", "balance", "wac", "wam", "wal", "cumulative_defaults", "cumulative_losses_pct",
                 *VALUATION_SUMMARY):
        assert name in s, name
    assert res.tables["paths"].column_names == list(VALUATION_PATHS)
    assert res.tables["cashflows"].column_names == [*STANDARD_CASHFLOWS, *VALUATION_CASHFLOWS_EXTRA]
    paths = res.tables["paths"].to_pydict()
    face = sum(r["balance"] for r in MIXED)
    assert np.mean(paths["pv"]) == pytest.approx(s["model_price"] * face / 100.0, rel=1e-12)
    groups = np.arange(32) // 2  # antithetic pairs
    assert s["price_std_error"] == pytest.approx(100.0 * pv_std_error(paths["pv"], groups) / face, rel=1e-12)
    assert min(paths["mean_mortgage_rate"]) < max(paths["mean_mortgage_rate"])
    assert s["wal"] > 0 and s["cumulative_defaults"] > 0
    assert res.run_info()["analysis"] == "valuation"


def test_mortgage_rate_is_the_ten_year_par_rate_plus_the_spread():
    times = payment_times(360, 24)
    m = simulate_market(CURVE, None, 0.017, times, 8, 1)
    assert m.deterministic and m.mortgage_rate.shape == (1, 361)
    assert m.mortgage_rate[0, 1] == pytest.approx(CURVE.par_rate(10.0) + 0.017, abs=1e-14)
    np.testing.assert_array_equal(m.discount[0], CURVE.discount(times[1:]))


def test_pool_oas_config_runs():
    res = engine.run(REPO / "configs" / "pool_oas.yaml", ["simulation.paths=16"])
    s = summary(res)
    assert res.config.analysis_kind == "valuation" and s["paths"] == 16
    assert s["price"] == 100.0 and 0.0 < s["oas"] < 0.02
    assert s["option_cost"] > 0 and s["effective_convexity"] < 0


# --------------------------------------------------------------------------
# configuration


def test_existing_configs_keep_their_hash():
    """New keys default to None: the resolved config of every earlier config is unchanged."""
    assert load_config(REPO / "configs" / "pool.yaml").hash() == (
        "a9d8c30238a29ac98cd8e6d5e1fcb0366754db4981f3dea3f1aa37667f0f8787"
    )
    # npl_pool.yaml before its pricing block (simulation.chunk_paths is out of the hash)
    npl = load_config(REPO / "configs" / "npl_pool.yaml", ["pricing=null", "purchase=null", "holder_costs=null"])
    assert npl.hash() == "b96f5839c3816e4fa288b64b1d8eaa7117d14a40905adc78238844cb199886b2"


def test_the_default_analysis_kind_follows_the_curve(tiny_config):
    assert load_config(tiny_config).analysis_kind == "projection"
    assert load_config(config(MIXED, price=100.0)).analysis_kind == "valuation"


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["economy"].update(mortgage_rate=0.06),
         r"^economy\.mortgage_rate: a flat market rate; with economy\.curve"),
        (lambda d: d["valuation"].update(price=None, oas=None, **{"yield": 0.05}),
         r"^valuation\.yield: the valuation on rate paths takes `price` or `oas`"),
        (lambda d: d["valuation"].update(oas=0.005), r"^valuation: give exactly one of `price`, `yield` or `oas`"),
        (lambda d: d["valuation"].update(price=None, oas=0.5), r"^valuation\.oas: expected an annual decimal"),
        (lambda d: d["economy"]["curve"].update(zero_rates=[4.3] + ZEROS[1:]),
         r"^economy\.curve\.zero_rates\[0\]: .*\(a percent\? write 0\.043\)"),
        (lambda d: d["economy"]["curve"].pop("zero_rates"), r"^economy\.curve\.zero_rates: missing"),
        (lambda d: d["economy"].update(rates={"model": "hull_white", "volatility": 0.9}),
         r"^economy\.rates\.volatility: expected an absolute volatility in \[0, 0\.1\) .*"
         r"got 0\.9 \(a percent\? write 0\.009\)"),
        (lambda d: d["economy"].update(rates={"model": "vasicek"}), r"^economy\.rates\.model: unknown model 'vasicek'"),
        (lambda d: d["economy"].update(hpi={"drift": 0.02}), r"^economy\.hpi: home prices are not used"),
        (lambda d: d["simulation"].update(integration="expected"), r"^simulation\.integration: only used by"),
        (lambda d: d.pop("valuation"), r"^valuation: required on rate paths"),
    ],
)
def test_config_errors_name_the_key(change, message):
    d = config(MIXED, price=100.0)
    change(d)
    with pytest.raises(ConfigError, match=message):
        load_config(d)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["valuation"].update(oas=0.005, price=None), r"^valuation\.oas: needs rate paths"),
        (lambda d: d["valuation"].update(shift_bp=10), r"^valuation\.shift_bp: needs rate paths"),
        (lambda d: d.update(economy={"rates": {"model": "none"}}), r"^economy"),
        (lambda d: d["assumptions"].update(prepay=dict(REFI)), r"^assumptions\.prepay\.model: 'turnover_refi' needs"),
        (lambda d: d.update(analysis="valuation"), r"^economy\.curve: required by analysis: valuation"),
        (lambda d: d.update(scenarios=["rates_up_100"]), r"^scenarios: run beside a valuation on rate paths"),
    ],
)
def test_rate_path_keys_without_a_curve_are_errors(tiny_config, change, message):
    change(tiny_config)
    with pytest.raises(ConfigError, match=message):
        load_config(tiny_config)


def test_explicit_projection_with_a_curve_still_projects():
    d = config(MIXED, {"model": "psa", "speed": 150}, price=100.0)
    d["analysis"] = "projection"
    message = r"^valuation\.shift_bp: needs rate paths \(analysis: valuation, not projection\)"
    with pytest.raises(ConfigError, match=message):
        load_config(d)
    del d["valuation"]["shift_bp"], d["simulation"]["antithetic"]
    res = engine.run(d)
    assert "oas" not in summary(res) and "cashflows" in res.tables


def test_curve_from_a_file(tmp_path):
    (tmp_path / "ust.csv").write_text("tenor,zero_rate\n" + "\n".join(f"{t},{z}" for t, z in zip(TENORS, ZEROS)))
    d = config(MIXED, REFI, price=100.0, paths=8, rates={"model": "none"})
    d["economy"]["curve"] = {"file": "ust.csv"}
    import yaml

    (tmp_path / "c.yaml").write_text(yaml.safe_dump(d))
    from_file = summary(engine.run(tmp_path / "c.yaml"))
    inline = summary(engine.run(config(MIXED, REFI, price=100.0, paths=8, rates={"model": "none"})))
    assert from_file["oas"] == inline["oas"]


def test_projections_made_ahead_are_exactly_the_ones_the_risk_measures_ask_for(monkeypatch):
    """On a cluster the shifted-curve projections are made ahead (prefetch);
    each must be found by the duration, key-rate and scenario code that asks
    for it, or it would be projected twice. Recorded here on a local run."""
    from collections import Counter

    from engine.api import load
    from engine.economy.market import MarketShift
    from engine.runs import valuation as rv

    cfg, loans = load({**config([loan(0, 0.07), loan(1, 0.05)], price=101.0, paths=8, krd=True),
                       "scenarios": ["rates_up_100"]})
    asked, planned, inside = [], [], [False]
    project, priced, prefetch = rv.Valuator.project, rv.Valuator.priced, rv.Valuator.prefetch

    def record_project(self, shift=None, scenario=None):
        if not inside[0]:
            asked.append(("projection", rv._projection_key(shift, scenario)))
        return project(self, shift, scenario)

    def record_priced(self, shift, scenario, oas):
        asked.append(("price", rv._projection_key(shift, scenario)))
        inside[0] = True
        try:
            return priced(self, shift, scenario, oas)
        finally:
            inside[0] = False

    def record_prefetch(self, requests, oas):
        planned.extend(("projection" if keep else "price", rv._projection_key(s, sc)) for s, sc, keep in requests)
        return prefetch(self, requests, oas)

    monkeypatch.setattr(rv.Valuator, "project", record_project)
    monkeypatch.setattr(rv.Valuator, "priced", record_priced)
    monkeypatch.setattr(rv.Valuator, "prefetch", record_prefetch)
    engine.run(cfg, loans=loans)
    base = ("projection", (MarketShift(), None))
    assert asked[0] == base
    assert len(planned) == 2 + 2 * len(TENORS) + 3
    assert Counter(asked[1:]) == Counter(planned)
