"""Wider differential tests: random inputs against independent implementations.

- The SIFMA kernel against the plain-Python SF C.3 twin
  (``tests/reference/naive_sifma.py``) on random pools of up to three loans
  and random prepayment, default and loss assumptions (every model).
- The state kernel (sampled) against the vectorised NumPy twin
  (``tests/reference/numpy_state.py``) with every hazard, cost, multiplier, prepayment
  and home-price parameter drawn, and tapes with missing FICO, LTV, property
  value, state and arrears; the twin reads the config itself.
- Hand checks of burnout and of the mark-to-market LTV multipliers of the cure
  and the roll under a fixed home-price scenario.
- Sampled vs expected integration, one starting state at a time, on totals
  over a short horizon with 10,000 paths: every material total agrees within
  4.5 standard errors, and a 5% change of any one transition probability is
  rejected (the test checks its own power by running the expected
  integration with that probability x 1.05).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine.config import load_config
from engine.kernels import state as ks
from engine.models.state import kernel_inputs, simulate_chunk
from engine.inputs.tape import Loans

from state_helpers import ALL_OFF, COLUMN, NO_COSTS, as_loans, col, merge, state_config
from test_state_numpy_twin import compare, mixed_loans, ns
from columns import SIFMA_COLUMNS
from tests.reference import naive_sifma as naive

# --------------------------------------------------------------------------
# SIFMA kernel vs the plain-Python twin


PREPAY_MODELS = st.one_of(
    st.builds(lambda s: {"model": "psa", "speed": s}, st.floats(0, 1500)),
    st.builds(lambda r: {"model": "cpr", "rate": r}, st.floats(0, 0.6)),
    st.builds(lambda r: {"model": "smm", "rate": r}, st.floats(0, 0.15) | st.just(1.0)),
    st.builds(lambda v: {"model": "vector", "cpr": v}, st.lists(st.floats(0, 0.5), min_size=1, max_size=30)),
    st.just({"model": "none"}),
)
DEFAULT_MODELS = st.one_of(
    st.builds(lambda s: {"model": "sda", "speed": s}, st.floats(0, 2000)),
    st.builds(lambda r: {"model": "cdr", "rate": r}, st.floats(0, 0.3)),
    st.builds(lambda r: {"model": "mdr", "rate": r}, st.floats(0, 0.05)),
    st.builds(lambda v: {"model": "vector", "cdr": v}, st.lists(st.floats(0, 0.2), min_size=1, max_size=30)),
    st.just({"model": "none"}),
)


@st.composite
def sifma_loans(draw):
    loans = []
    for i in range(draw(st.integers(1, 3))):
        rate = draw(st.sampled_from([0.0, 0.0425, 0.08]) | st.floats(0.001, 0.15))
        term = draw(st.integers(1, 360))
        loans.append({
            "loan_id": f"L{i}",
            "balance": draw(st.floats(1_000, 10_000_000)),
            "note_rate": rate,
            "servicing_fee": draw(st.floats(0, min(rate, 0.01))),
            "remaining_term": term,
            "age": draw(st.integers(0, 360 - term)),
        })
    return loans


def naive_rates(model: dict, kind: str, age: int):
    """The model's monthly rate as naive_sifma takes it: f(projection month i), a fraction."""
    m = model["model"]
    if m in ("psa", "sda"):
        speed = model["speed"]
        return (lambda i: naive.psa_smm(age + i, speed)) if m == "psa" else (lambda i: naive.sda_mdr(age + i, speed))
    to_monthly = lambda annual: naive.cpr_to_smm(100 * annual) / 100  # noqa: E731  (SF B.2.b, C.4.g)
    if m in ("cpr", "cdr"):
        return to_monthly(model["rate"])
    if m in ("smm", "mdr"):
        return model["rate"]
    if m == "vector":
        return [to_monthly(x) for x in model["cpr" if kind == "prepay" else "cdr"]]
    return 0.0


@given(loans=sifma_loans(), prepay=PREPAY_MODELS, default=DEFAULT_MODELS, severity=st.floats(0, 1),
       lag=st.integers(0, 36), advancing=st.booleans())
def test_sifma_kernel_matches_plain_python_on_random_pools(loans, prepay, default, severity, lag, advancing):
    cf = engine.project_cashflows(
        loans, {"prepay": prepay, "default": default,
                "loss": {"severity": severity, "liquidation_lag": lag, "advancing": advancing}})
    n = max(x["remaining_term"] for x in loans)
    want = {c: np.zeros(n) for c in [*SIFMA_COLUMNS, "total_principal", "total_interest"]}
    for x in loans:
        rows = naive.sifma_default_cash_flows(
            x["balance"], 100 * x["note_rate"], 100 * (x["note_rate"] - x["servicing_fee"]), x["remaining_term"],
            x["age"], naive_rates(prepay, "prepay", x["age"]), naive_rates(default, "default", x["age"]),
            severity, lag, advancing)
        m = len(rows)
        for c in SIFMA_COLUMNS:
            want[c][:m] += [r[c] for r in rows]
        # principal = paid + advanced scheduled principal + prepaid + recovered; interest
        # to the holder includes the advanced interest of loans in foreclosure when advancing
        want["total_principal"][:m] += [r["actual_amortization"] + r["amortization_from_defaults"]
                                        + r["voluntary_prepayments"] + r["principal_recovery"] for r in rows]
        want["total_interest"][:m] += [r["expected_interest"] if advancing else r["actual_interest"] for r in rows]
    atol = 1e-9 * sum(x["balance"] for x in loans) + 1e-9
    for c, values in want.items():
        np.testing.assert_allclose(getattr(cf, c), values, rtol=0, atol=atol, err_msg=c)


# --------------------------------------------------------------------------
# state kernel vs the NumPy twin, hazard parameters drawn


def _split(draw, names, total_max=0.95):
    """Probabilities for ``names`` summing to at most ``total_max``."""
    w = [draw(st.floats(0, 1)) for _ in names]
    total = draw(st.floats(0, total_max))
    s = sum(w)
    return {k: (v / s * total if s > 0 else 0.0) for k, v in zip(names, w)}


@st.composite
def state_models(draw):
    unit = lambda hi: st.floats(0, hi)  # noqa: E731
    n_knots = draw(st.integers(1, 4))
    knots = sorted(set(round(x, 3) for x in draw(st.lists(st.floats(0.3, 2.0), min_size=n_knots, max_size=n_knots))))
    return {
        "delinquency": {
            "current": {"to_dq30": draw(unit(0.1)), "roll_multiplier_modified": draw(unit(5))},
            "dq30": _split(draw, ["cure", "roll"]),
            "dq60": _split(draw, ["cure", "roll", "modification", "deed_in_lieu"]),
            "dq90": {**_split(draw, ["cure", "to_foreclosure", "modification", "deed_in_lieu"]),
                     "cure_decay": draw(st.floats(0.5, 1.0)), "referral_min_behind": draw(st.integers(3, 8))},
            "foreclosure": _split(draw, ["cure", "modification", "deed_in_lieu"], 0.6),
        },
        "multipliers": {
            "mtm_ltv": {"ltv": knots, "roll": [draw(unit(3)) for _ in knots], "cure": [draw(unit(3)) for _ in knots]},
            "fico_center": draw(st.floats(600, 750)), "fico_roll": draw(st.floats(-1.5, 0.5)),
            "fico_cure": draw(st.floats(-0.5, 1.0)), "original_ltv_roll": draw(unit(4)),
        },
        "modification": {"rate_cut": draw(unit(0.05)), "rate_floor": draw(st.none() | unit(0.06)),
                         "term_months": draw(st.integers(60, 480)), "forbearance": draw(unit(0.3))},
        "deed_in_lieu": {"cost": draw(unit(5000))},
        "foreclosure": {"timeline_months": draw(st.dictionaries(st.sampled_from(["CA", "TX", "FL", "NY", "VA"]),
                                                                st.integers(0, 30), max_size=2)),
                        "months": draw(st.none() | st.integers(0, 30)),
                        "default_months": draw(st.none() | st.integers(0, 40)),
                        "legal_cost_monthly": draw(unit(500))},
        "reo": {"months": draw(st.integers(0, 12)), "holding_cost_monthly": draw(unit(500)),
                "selling_cost": draw(unit(0.12)), "sale_discount": draw(unit(0.3))},
        "advances": {"taxes_insurance_rate": draw(unit(0.03))},
        "liquidation": {"severity": draw(st.none() | unit(1.0))},
    }


STATE_PREPAY = st.one_of(
    st.builds(lambda s: {"model": "psa", "speed": s}, st.floats(0, 800)),
    st.builds(lambda r: {"model": "cpr", "rate": r}, st.floats(0, 0.5)),
    st.builds(lambda r: {"model": "smm", "rate": r}, st.floats(0, 0.1)),
    st.builds(lambda v: {"model": "vector", "cpr": v}, st.lists(st.floats(0, 0.5), min_size=1, max_size=6)),
    st.just({"model": "none"}),
    st.builds(lambda b, r, m, mid, s, bo, season: {
        "model": "turnover", "base_cpr": b, "ramp_months": r, "refi_max_cpr": m, "refi_midpoint": mid,
        "refi_slope": s, "burnout": bo, "seasonality": season},
        st.floats(0, 0.2), st.integers(1, 60), st.floats(0, 0.6), st.floats(-0.01, 0.02), st.floats(0.001, 0.01),
        st.floats(0, 5), st.lists(st.floats(0.5, 1.5), min_size=12, max_size=12)),
)
HPI_MODELS = st.builds(
    lambda d, v, a, sc: {"drift": d, "volatility": v, "antithetic": a, "scenario": sc},
    st.floats(-0.1, 0.1), st.floats(0, 0.15), st.booleans(),
    st.none() | st.builds(lambda m, c: [[m, c]], st.integers(1, 60), st.floats(-0.4, 0.3)),
)


def _blank(loans: Loans, masks) -> Loans:
    """Tape columns made unknown / zero where the masks say: state, property
    value, original LTV, FICO and arrears (so the documented defaults apply)."""
    state_m, value_m, ltv_m, fico_m, arrears_m = (np.array(m[: loans.n], dtype=bool) for m in masks)
    return dataclasses.replace(
        loans,
        state=np.where(state_m, "", loans.state).astype(object),
        property_value=np.where(value_m, np.nan, loans.property_value),
        ltv=np.where(ltv_m, np.nan, loans.ltv),
        fico=np.where(fico_m, np.nan, loans.fico),
        arrears=np.where(arrears_m, 0.0, loans.arrears),
    )


@settings(max_examples=25)
@given(sm=state_models(), prepay=STATE_PREPAY, hpi=HPI_MODELS, mortgage_rate=st.floats(0.02, 0.09),
       start_month=st.integers(1, 12), seed=st.integers(0, 2**63 - 1), paths=st.integers(1, 4),
       horizon=st.integers(1, 72), n_npl=st.integers(1, 10), n_agency=st.integers(0, 5),
       tape_seed=st.integers(0, 1000), masks=st.lists(st.lists(st.booleans(), min_size=15, max_size=15),
                                                      min_size=5, max_size=5))
def test_kernel_matches_twin_with_drawn_hazards(sm, prepay, hpi, mortgage_rate, start_month, seed, paths, horizon,
                                                n_npl, n_agency, tape_seed, masks):
    data = {
        "name": "drawn", "model": "state",
        "loans": [{"loan_id": "unused", "balance": 1.0, "note_rate": 0.05, "remaining_term": 1}],
        "assumptions": {"prepay": prepay},
        "simulation": {"integration": "sampled", "paths": paths, "horizon": horizon, "seed": seed,
                       "start_month": start_month},
        "economy": {"mortgage_rate": mortgage_rate, "hpi": hpi},
        "state_model": sm,
    }
    config = load_config(data)
    loans = _blank(mixed_loans(n_npl, n_agency, tape_seed), masks)
    ours, theirs = ns.state_inputs(config, loans), ns.inputs_from_config(config.to_dict(), loans)
    for name, a, b in zip(ns.ARG_NAMES, ours.args, theirs.args):
        np.testing.assert_allclose(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64),
                                   rtol=1e-13, atol=0, err_msg=name)
    np.testing.assert_allclose(ours.hpi, theirs.hpi, rtol=1e-13, atol=0)
    compare(ns.run_kernel(ours), ns.run_numpy(theirs), loans.n)


# --------------------------------------------------------------------------
# hand checks: burnout, and the LTV multipliers on a fixed home-price path

B, RATE, TERM = 200_000.0, 0.06, 300


def level_principal(balance, rate_annual, n_left):
    c = rate_annual / 12
    return npf.pmt(c, n_left, -balance) - balance * c


def turnover_by_hand(prepay: dict, rate: float, market: float, age: int, start_month: int, months: int):
    """Monthly prepayments of one current loan under the turnover + refinancing model:
    CPR = base x min(1, age/ramp) x seasonality[calendar month]
          + refi_max / (1 + exp(-(incentive - mid)/slope)) x exp(-burnout x past positive incentive),
    the past positive incentive in rate-years = max(incentive, 0) x (months elapsed) / 12."""
    incentive = rate - market
    refi = prepay["refi_max_cpr"] / (1 + math.exp(-(incentive - prepay["refi_midpoint"]) / prepay["refi_slope"]))
    bal, out = B, []
    for t in range(1, months + 1):
        season = prepay["seasonality"][(start_month - 1 + t - 1) % 12]
        burn = math.exp(-prepay["burnout"] * max(incentive, 0.0) * (t - 1) / 12)
        cpr = min(prepay["base_cpr"] * min(1.0, (age + t) / prepay["ramp_months"]) * season + refi * burn, 0.999)
        smm = 1 - (1 - cpr) ** (1 / 12)
        sched = level_principal(bal, rate, TERM - t + 1)
        out.append((bal - sched) * smm)
        bal = (bal - sched) * (1 - smm)
    return np.array(out)


SEASON = [0.80, 0.82, 0.92, 1.00, 1.06, 1.12, 1.12, 1.14, 1.08, 1.02, 0.98, 0.94]


@pytest.mark.parametrize("rate, burnout", [(0.08, 3.0), (0.08, 0.0), (0.05, 3.0)])
def test_burnout_by_hand(rate, burnout):
    """A refinanceable loan (8% vs a 6% market) burns out; one below the market does not."""
    prepay = {"model": "turnover", "base_cpr": 0.05, "ramp_months": 30, "seasonality": SEASON, "refi_max_cpr": 0.35,
              "refi_midpoint": 0.0075, "refi_slope": 0.0025, "burnout": burnout}
    months, age, start = 72, 6, 4
    rows = [{"loan_id": "L", "balance": B, "note_rate": rate, "remaining_term": TERM, "age": age}]

    def run(p):
        return engine.run(state_config(rows, horizon=months, prepay=p, state_model=ALL_OFF,
                                       simulation={"start_month": start}, economy={"mortgage_rate": 0.06})).cashflows

    cf = run(prepay)
    want = turnover_by_hand(prepay, rate, 0.06, age, start, months)
    np.testing.assert_allclose(col(cf, "voluntary_prepayments"), want, rtol=0, atol=1e-3)
    no_burn = run({**prepay, "burnout": 0.0})
    if burnout > 0 and rate > 0.06:  # it bites: after 71 months exp(-3 x 0.02 x 71/12) = 0.70 of the refi CPR
        assert col(cf, "smm")[-1] < 0.85 * col(no_burn, "smm")[-1]
    else:  # no positive incentive, or no burnout: nothing to burn
        np.testing.assert_array_equal(col(cf, "voluntary_prepayments"), col(no_burn, "voluntary_prepayments"))


def sched_fraction(k: np.ndarray) -> np.ndarray:
    """Scheduled balance after k level payments / balance today."""
    c = RATE / 12
    g = (1 + c) ** TERM
    return (g - (1 + c) ** k) / (g - 1)


SCENARIO = [[24, -0.35]]  # log-linear to -35% at month 24, flat after (drift 0)


def hpi_level(t: np.ndarray) -> np.ndarray:
    return np.exp(np.minimum(t, 24) / 24 * math.log(0.65))


def test_ltv_cure_multiplier_under_a_fixed_hpi_scenario():
    """A dq30 loan that pays and stays 30 days late unless it cures: the cure
    probability is cure x exp(fico_cure (fico - 680)/100) x the LTV curve at
    the month's mark-to-market LTV = scheduled balance / (value x HPI)."""
    V, p, fico, months = 250_000.0, 0.25, 620.0, 36
    knots, cure = [0.6, 1.0, 1.4], [1.2, 0.8, 0.4]
    sm = merge(ALL_OFF, NO_COSTS, {"delinquency": {"dq30": {"cure": p}},
                                   "multipliers": {"mtm_ltv": {"ltv": knots, "roll": [1.0] * 3, "cure": cure}}})
    rows = [{"loan_id": "L", "balance": B, "note_rate": RATE, "remaining_term": TERM, "status": "dq30",
             "payments_behind": 1, "property_value": V, "fico": fico}]
    r = engine.run(state_config(rows, horizon=months, state_model=sm,
                                hpi={"drift": 0.0, "volatility": 0.0, "scenario": SCENARIO}))
    t = np.arange(1, months + 1)
    ltv = B * sched_fraction(t - 1) / (V * hpi_level(t))
    q = p * math.exp(0.4 * (fico - 680) / 100) * np.interp(ltv, knots, cure)
    assert q.max() / q.min() > 1.5  # the multiplier really moves over the path
    dq30, cures = [B], []
    for k in range(months):
        cures.append(dq30[-1] * q[k])
        dq30.append(dq30[-1] * (1 - q[k]) * sched_fraction(k + 1) / sched_fraction(k))
    np.testing.assert_allclose(col(r.cashflows, "cures"), cures, rtol=0, atol=1e-3)
    np.testing.assert_allclose(col(r.cashflows, "dq30_balance"), dq30[1:], rtol=0, atol=1e-3)


@pytest.mark.parametrize("ltv0", [0.2, 0.9, 2.0])  # original-LTV factor clipped at 0.5, free, clipped at 2
def test_ltv_roll_multiplier_under_a_fixed_hpi_scenario(ltv0):
    """roll_rate(t) = to_dq30 x exp(fico_roll (fico - 680)/100) x clip(1 + (ltv0 - 0.8), 0.5, 2)
    x the LTV curve at month t's mark-to-market LTV, whatever the cures do."""
    V, p, fico, months = 240_000.0, 0.03, 620.0, 36
    knots, roll = [0.6, 1.0, 1.4], [0.7, 1.5, 2.5]
    sm = merge(ALL_OFF, NO_COSTS, {"delinquency": {"current": {"to_dq30": p}, "dq30": {"cure": 1.0}},
                                   "multipliers": {"mtm_ltv": {"ltv": knots, "roll": roll, "cure": [1.0] * 3},
                                                   "fico_cure": 0.0}})
    rows = [{"loan_id": "L", "balance": B, "note_rate": RATE, "remaining_term": TERM, "property_value": V,
             "fico": fico, "ltv": ltv0}]
    r = engine.run(state_config(rows, horizon=months, state_model=sm,
                                hpi={"drift": 0.0, "volatility": 0.0, "scenario": SCENARIO}))
    t = np.arange(1, months + 1)
    ltv = B * sched_fraction(t - 1) / (V * hpi_level(t))
    want = p * math.exp(-0.8 * (fico - 680) / 100) * min(2.0, max(0.5, 1 + (ltv0 - 0.8))) * np.interp(ltv, knots, roll)
    np.testing.assert_allclose(col(r.cashflows, "roll_rate"), want, rtol=1e-6)
    assert col(r.cashflows, "cures").sum() > 0


# --------------------------------------------------------------------------
# sampled vs expected: a 5% bias of any transition fails

N_PATHS = 10_000
H_SHORT = 3
Z = 4.5
BASE_SM = {
    "delinquency": {
        "current": {"to_dq30": 0.10},
        "dq30": {"cure": 0.30, "roll": 0.30},
        "dq60": {"cure": 0.20, "roll": 0.30, "modification": 0.15, "deed_in_lieu": 0.10},
        "dq90": {"cure": 0.15, "to_foreclosure": 0.20, "modification": 0.10, "deed_in_lieu": 0.10, "cure_decay": 0.95},
        "foreclosure": {"cure": 0.10, "modification": 0.10, "deed_in_lieu": 0.10},
    },
    "foreclosure": {"months": 24},
    "liquidation": {"severity": 0.4},  # proceeds linear in the balance: no cap (see test_state_convergence)
}
SMM = 0.05
# starting state: (tape status, payments behind, state-model update, [(hazard, total it moves)])
STARTS = {
    "current": ("current", 0, {}, [(("current", "to_dq30"), "new_delinquencies"), ("smm", "voluntary_prepayments")]),
    "dq30": ("dq30", 1, {}, [(("dq30", "cure"), "cures"), (("dq30", "roll"), "dq60_balance")]),
    "dq60": ("dq60", 2, {}, [(("dq60", "cure"), "cures"), (("dq60", "roll"), "dq90_balance"),
                             (("dq60", "modification"), "modifications"), (("dq60", "deed_in_lieu"), "deeds_in_lieu")]),
    "dq90": ("dq90+", 5, {}, [(("dq90", "cure"), "cures"), (("dq90", "to_foreclosure"), "foreclosure_starts"),
                              (("dq90", "modification"), "modifications"), (("dq90", "deed_in_lieu"), "deeds_in_lieu")]),
    "foreclosure": ("foreclosure", 6, {}, [(("foreclosure", "cure"), "cures"),
                                           (("foreclosure", "modification"), "modifications"),
                                           (("foreclosure", "deed_in_lieu"), "deeds_in_lieu")]),
    # modified loans re-default at to_dq30 x roll_multiplier_modified
    "modified": ("dq60", 2, {"delinquency": {"current": {"to_dq30": 0.05, "roll_multiplier_modified": 3.0},
                                             "dq60": {"cure": 0.0, "roll": 0.0, "modification": 0.6,
                                                      "deed_in_lieu": 0.0}}},
                 [(("current", "roll_multiplier_modified"), "new_delinquencies")]),
}
TOTALS = [
    "performing_balance", "modified_balance", "dq30_balance", "dq60_balance", "dq90_balance", "foreclosure_balance",
    "reo_balance", "deferred_balance", "scheduled_principal", "voluntary_prepayments", "interest", "servicing_fee",
    "arrears_collected", "deferred_collected", "new_delinquencies", "cures", "modifications", "capitalized_arrears",
    "deeds_in_lieu", "foreclosure_starts", "reo_additions", "liquidations", "liquidation_proceeds", "principal_loss",
    "net_loss", "advances", "legal_costs", "deed_in_lieu_costs", "interest_unpaid",
]


def start_rows(status: str, behind: int, n: int = 40) -> list[dict]:
    """n loans in one state, with varied balances, rates, FICO, LTV and property values
    (so the loan multipliers differ)."""
    rng = np.random.default_rng(7)
    return [{"loan_id": f"L{i}", "balance": float(np.round(rng.uniform(5e4, 4e5), 2)),
             "note_rate": float(np.round(rng.uniform(0.04, 0.08) * 800) / 800), "servicing_fee": 0.0025,
             "remaining_term": int(rng.integers(200, 361)), "fico": float(rng.integers(550, 800)),
             "ltv": float(np.round(rng.uniform(0.6, 1.0), 3)), "property_value": float(np.round(rng.uniform(1e5, 5e5), -3)),
             "status": status, "payments_behind": behind} for i in range(n)]


def path_totals(cfg: dict, loans, chunk: int = 2_000) -> np.ndarray:
    """Per-path totals over the horizon of every kernel column, (paths, N_S), in chunks."""
    ki = kernel_inputs(load_config(cfg), loans)
    parts = []
    for p0 in range(0, ki.n_paths, chunk):
        p1 = min(ki.n_paths, p0 + chunk)
        parts.append(simulate_chunk(ki, p0, p1).per_path[:, 1:, :].sum(axis=1) / ks.TICKS)
    return np.concatenate(parts)


def z_scores(S: np.ndarray, E: np.ndarray) -> dict[str, float]:
    """(sampled mean - expected) / standard error for each material total."""
    out = {}
    for name in TOTALS:
        c = COLUMN[name]
        if E[c] == 0:
            assert not S[:, c].any(), f"{name}: expected 0, sampled non-zero"
            continue
        if (S[:, c] != 0).sum() < 30:
            continue
        out[name] = (S[:, c].mean() - E[c]) / (S[:, c].std(ddof=1) / math.sqrt(S.shape[0]))
    return out


@pytest.mark.parametrize("start", sorted(STARTS))
def test_sampled_totals_match_expected_and_a_5pct_bias_fails(start):
    status, behind, update, hazards = STARTS[start]
    rows = start_rows(status, behind)
    loans = as_loans(rows)
    sm = merge(BASE_SM, update)
    base = state_config(rows, horizon=H_SHORT, prepay={"model": "smm", "rate": SMM}, state_model=sm,
                        hpi={"drift": 0.0, "volatility": 0.0})
    S = path_totals(merge(base, {"simulation": {"integration": "sampled", "paths": N_PATHS, "seed": 3}}), loans)
    E = path_totals(base, loans)[0]  # no HPI volatility: one expected path stands for all
    z = z_scores(S, E)
    assert len(z) >= 8, sorted(z)
    bad = {k: round(v, 2) for k, v in z.items() if abs(v) > Z}
    assert not bad, f"sampled totals off the expected ones: {bad}"
    # power: the expected integration with one probability x 1.05 is rejected
    for hazard, total in hazards:
        if hazard == "smm":
            biased = merge(base, {"assumptions": {"prepay": {"model": "smm", "rate": SMM * 1.05}}})
        else:
            state, key = hazard
            biased = merge(base, {"state_model": {"delinquency": {state: {key: sm["delinquency"][state][key] * 1.05}}}})
        zb = z_scores(S, path_totals(biased, loans)[0])
        assert abs(zb[total]) > Z + 2, f"{hazard} x 1.05: z = {zb[total]:.1f} on {total}: the test could miss it"
