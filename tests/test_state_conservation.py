"""Conservation laws of the state model, for both integrations.

Balance roll-forward, every month (all balances at month end, currency):

    (performing + dq30 + dq60 + dq90 + foreclosure + reo + deferred)(t)
      = same(t - 1) - scheduled_principal - voluntary_prepayments
        - deferred_collected - liquidations + capitalized_arrears,

starting from the tape's balance + deferred balance. Why: a payment lowers
the balance by its scheduled principal (a maturity's last payment included);
a prepayment by what is left after it, and its deferred balance is collected;
a modification adds the capitalised arrears and moves part of the total to
the deferred balance (same total); a deed-in-lieu or foreclosure sale moves the
balance to REO unchanged; an REO sale removes balance + deferred
(``liquidations``). Missed interest, advances and costs go to arrears, which
is not a balance column.

Outcomes per loan: prepaid, matured, liquidated or unresolved at the horizon,
so the probabilities sum to 1. Every liquidation of a loan that did not start
in REO went through a foreclosure sale or a deed-in-lieu, and every REO entry
in month m is sold in month m + reo.months, so
p_liquidated(H) = (p_foreclosure_sale + p_deed_in_lieu)(H - reo.months)
(+ 1 for a loan that starts in REO, sold in month reo.months).

Accumulators are int64 ticks of 1e-4: every booked amount is rounded by at
most 5e-5. The expected integration books a few amounts per (cell, transition)
and month (tens of cells per loan), so its identities hold to a few 1e-3 per
loan; a sampled path books a few amounts per loan and month.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.config import load_config
from engine.behavior.hazard import loan_arrays
from engine.inputs.sample import npl_tape
from engine.runs.projection import run_state_model

from state_helpers import BALANCE_COLUMNS, COLUMN, as_loans, col, live_balance, merge, per_path_columns, state_config

TOL_EXPECTED_PER_LOAN = 5e-3
TOL_PATH_PER_LOAN = 1e-3


def roll_forward_error(bal: np.ndarray, flows: dict[str, np.ndarray], start: float) -> np.ndarray:
    prev = np.concatenate([[start], bal[:-1]]) if bal.ndim == 1 else np.concatenate(
        [np.full((bal.shape[0], 1), start), bal[:, :-1]], axis=1)
    out = (flows["scheduled_principal"] + flows["voluntary_prepayments"] + flows["deferred_collected"]
           + flows["liquidations"] - flows["capitalized_arrears"])
    return bal - (prev - out)


FLOWS = ("scheduled_principal", "voluntary_prepayments", "deferred_collected", "liquidations", "capitalized_arrears")


def starts_in_reo(loans, cfg) -> np.ndarray:
    li = loan_arrays(loans, cfg.state_model, 0.0625)
    return (li.status == 5) | ((li.status == 4) & (li.t_fc == 0))


def check_run(cfg_dict: dict, loans):
    """Every table-level conservation law of one run; returns the run."""
    cfg = load_config(cfg_dict)
    loans = as_loans(loans)
    run = run_state_model(cfg, loans)
    cf = run.cashflows
    n = loans.n
    start = float(loans.balance.sum() + loans.deferred_balance.sum())
    err = roll_forward_error(live_balance(cf), {f: col(cf, f) for f in FLOWS}, start)
    assert np.abs(err).max() < TOL_EXPECTED_PER_LOAN * n, (int(np.argmax(np.abs(err))) + 1, np.abs(err).max())
    tick = 1e-4 * n  # a tick per loan
    few = 30 * tick  # a few bookings per loan and month, each rounded by half a tick
    for name in BALANCE_COLUMNS + FLOWS + (
        "interest", "servicing_fee", "arrears_collected", "liquidation_proceeds", "principal_recovery",
        "principal_loss", "advances", "legal_costs", "holding_costs", "deed_in_lieu_costs", "interest_unpaid",
        "new_delinquencies", "cures", "modifications", "deeds_in_lieu", "reo_additions",
    ):
        assert col(cf, name).min() >= -tick, f"{name} negative: {col(cf, name).min()}"
    # liquidation results: recovery + principal loss = balance + deferred liquidated;
    # the holder never recovers more principal than the proceeds; the net loss
    # (debt incl. arrears - proceeds) is at least the principal loss
    liq = col(cf, "liquidations")
    np.testing.assert_allclose(col(cf, "principal_recovery") + col(cf, "principal_loss"), liq, rtol=0, atol=few)
    assert np.all(col(cf, "principal_recovery") <= col(cf, "liquidation_proceeds") + few)
    assert np.all(col(cf, "net_loss") >= col(cf, "principal_loss") - few)
    # nothing is left once every loan has resolved
    lt = run.loans
    total = sum(col(lt, f"p_{k}") for k in ("prepaid", "matured", "liquidated", "unresolved"))
    np.testing.assert_allclose(total, 1.0, rtol=0, atol=1e-9)
    for name in ("p_prepaid", "p_matured", "p_liquidated", "p_deed_in_lieu", "p_foreclosure_sale",
                 "p_modified", "p_unresolved"):
        p = col(lt, name)
        assert np.all((p >= -1e-12) & (p <= 1 + 1e-9)), name
    reo0 = starts_in_reo(loans, cfg)
    gap = col(lt, "p_foreclosure_sale") + col(lt, "p_deed_in_lieu") - col(lt, "p_liquidated") + reo0
    # REO entries not yet sold at the horizon: between 0 and what is unresolved
    assert np.all(gap >= -1e-9) and np.all(gap <= col(lt, "p_unresolved") + 1e-9), (gap, col(lt, "p_unresolved"))
    if np.all(col(lt, "p_unresolved") < 1e-12):
        assert np.all(live_balance(cf)[-1:] <= tick)
    return run


@pytest.fixture(scope="module")
def npl10():
    return npl_tape(10, seed=17)  # every status, deferred balances, arrears


@pytest.mark.parametrize("integration, paths", [("expected", 3), ("sampled", 300)])
def test_roll_forward_outcomes_and_no_negative_balances(npl10, integration, paths):
    cfg = state_config(integration=integration, paths=paths, seed=8, prepay={"model": "cpr", "rate": 0.06},
                       hpi={"drift": 0.02, "volatility": 0.06})
    run = check_run(cfg, npl10)
    # defaults give every loan time to resolve but not certainty (dq90+ can last)
    assert run.summary["horizon"] > 480
    assert col(run.loans, "p_unresolved").max() < 1e-3


def test_roll_forward_holds_on_every_sampled_path(npl10):
    cfg = state_config(integration="sampled", paths=200, seed=3, hpi={"drift": 0.0, "volatility": 0.1},
                       prepay={"model": "smm", "rate": 0.01})
    x = per_path_columns(cfg, npl10)
    loans = as_loans(npl10)
    start = float(loans.balance.sum() + loans.deferred_balance.sum())
    bal = sum(x[..., COLUMN[c]] for c in BALANCE_COLUMNS)
    err = roll_forward_error(bal, {f: x[..., COLUMN[f]] for f in FLOWS}, start)
    assert np.abs(err).max() < TOL_PATH_PER_LOAN * loans.n
    for c in BALANCE_COLUMNS:
        assert x[..., COLUMN[c]].min() >= 0.0, c
    # one history per loan and path: a loan is in at most one balance column
    assert np.all(bal[:, -1] <= start)


@pytest.mark.parametrize("integration, paths", [("expected", 1), ("sampled", 400)])
@pytest.mark.parametrize("reo_months", [0, 4])
def test_liquidations_are_reo_entries_sold_after_the_marketing_time(npl10, integration, paths, reo_months):
    """p_liquidated(H) = (p_foreclosure_sale + p_deed_in_lieu)(H - reo.months) + starts in REO.

    A run with a shorter horizon reproduces the first months of a longer one
    (same HPI path prefix, same uniforms), so the two runs share history."""
    H = 60
    base = state_config(integration=integration, paths=paths, seed=2, horizon=H,
                        hpi={"drift": 0.01, "volatility": 0.05}, state_model={"reo": {"months": reo_months}})
    early = merge(base, {"simulation": {"horizon": H - reo_months}}) if reo_months else base
    loans = as_loans(npl10)
    late_run = check_run(base, loans)
    early_run = check_run(early, loans) if reo_months else late_run
    entered = col(early_run.loans, "p_foreclosure_sale") + col(early_run.loans, "p_deed_in_lieu")
    reo0 = starts_in_reo(loans, load_config(base))
    assert reo0.any() and entered.max() > 0.1
    np.testing.assert_allclose(col(late_run.loans, "p_liquidated"), entered + reo0, rtol=0, atol=1e-9)


# --------------------------------------------------------------------------
# hypothesis: random small tapes and parameters, expected integration

STATES = ["", "NY", "TX", "FL", "CA", "IL"]


@st.composite
def loan_rows(draw):
    n = draw(st.integers(1, 3))
    rows = []
    for i in range(n):
        balance = draw(st.floats(5_000, 900_000))
        rate = draw(st.sampled_from([0.0, 0.03, 0.0575, 0.08, 0.115]))
        status = draw(st.sampled_from(["current", "dq30", "dq60", "dq90+", "foreclosure", "reo"]))
        behind_min = {"current": 0, "dq30": 1, "dq60": 2, "dq90+": 3, "foreclosure": 3, "reo": 0}[status]
        row = {
            "loan_id": f"H{i}",
            "balance": round(balance, 2),
            "note_rate": rate,
            "servicing_fee": min(rate, draw(st.sampled_from([0.0, 0.0025, 0.005]))),
            "remaining_term": draw(st.integers(1, 120)),
            "age": draw(st.integers(0, 200)),
            "status": status,
            "payments_behind": draw(st.integers(behind_min, behind_min + 20)),
            "arrears": draw(st.sampled_from([0.0, round(balance * 0.03, 2)])),
            "deferred_balance": draw(st.sampled_from([0.0, round(balance * 0.15, 2)])),
            "property_value": round(balance * draw(st.floats(0.3, 2.5)), 2),
            "state": draw(st.sampled_from(STATES)),
        }
        if draw(st.booleans()):
            row["fico"] = float(draw(st.integers(450, 820)))
        rows.append(row)
    return rows


def _probs(draw, names, cap):
    return {k: draw(st.floats(0.0, cap)) for k in names}


@st.composite
def state_models(draw):
    sm = {
        "delinquency": {
            "current": {"to_dq30": draw(st.floats(0.0, 0.3)), "roll_multiplier_modified": draw(st.floats(0.0, 4.0))},
            "dq30": _probs(draw, ["cure", "roll"], 0.5),
            "dq60": _probs(draw, ["cure", "roll", "modification", "deed_in_lieu"], 0.25),
            "dq90": {**_probs(draw, ["cure", "to_foreclosure", "modification", "deed_in_lieu"], 0.25),
                     "cure_decay": draw(st.floats(0.5, 1.0))},
            "foreclosure": _probs(draw, ["cure", "modification", "deed_in_lieu"], 0.3),
        },
        # rates from a grid: a modified rate of ~1e-16 trips the amort_schedule bug
        # (test_state_transitions.py::test_tiny_positive_note_rate_amortises_like_a_zero_rate)
        "modification": {
            "rate_cut": draw(st.sampled_from([0.0, 0.01, 0.02, 0.05])),
            "rate_floor": draw(st.sampled_from([0.0, 0.01, 0.03, 0.06])),
            "term_months": draw(st.integers(1, 240)), "forbearance": draw(st.floats(0.0, 0.5)),
        },
        "foreclosure": {"legal_cost_monthly": draw(st.floats(0.0, 1000.0))},
        "reo": {"months": draw(st.integers(0, 6)), "holding_cost_monthly": draw(st.floats(0.0, 800.0)),
                "selling_cost": draw(st.floats(0.0, 0.2))},
        "deed_in_lieu": {"cost": draw(st.floats(0.0, 5000.0))},
        "advances": {"taxes_insurance_rate": draw(st.floats(0.0, 0.03))},
    }
    months = draw(st.sampled_from([None, 0, 1, 5]))
    if months is not None:
        sm["foreclosure"]["months"] = months
    if draw(st.booleans()):
        sm["foreclosure"]["timeline_months"] = {"NY": draw(st.integers(0, 15)), "TX": draw(st.integers(0, 15))}
    if draw(st.booleans()):
        sm["liquidation"] = {"severity": draw(st.floats(0.0, 1.0))}
    return sm


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=loan_rows(),
    sm=state_models(),
    smm=st.sampled_from([0.0, 0.01, 0.2, 1.0]),
    drift=st.floats(-0.2, 0.1),
    vol=st.sampled_from([0.0, 0.15]),
    horizon=st.sampled_from([None, 7, 61]),
)
def test_conservation_on_random_tapes_and_parameters(rows, sm, smm, drift, vol, horizon):
    cfg = state_config(rows, horizon=horizon, state_model=sm, prepay={"model": "smm", "rate": smm},
                       hpi={"drift": drift, "volatility": vol}, paths=2 if vol else 1)
    run = check_run(cfg, rows)
    if horizon is None:
        assert run.summary["horizon"] >= max(r["remaining_term"] for r in rows)
