"""Each transition of the state model in isolation, against a hand calculation.

One loan, every other probability 0 and every cost 0 unless the test says
so (``state_helpers.ALL_OFF``, ``NO_COSTS``). With probabilities of 0 and 1
the sampled integration takes the same (certain) path as the expected one, so
every hand calculation is checked for both integrations.

Conventions (docs/architecture.md, engine/kernels/state.py): 30/360 accrual, interest
owed monthly = balance x note_rate / 12, net of servicing to the holder; the
scheduled principal of a level-payment loan with n payments left is
balance x c / ((1 + c)^n - 1), c = rate / 12 (cross-checked with
numpy_financial.pmt); month-end balances; amounts in currency.
"""

from __future__ import annotations

import math

import numpy as np
import numpy_financial as npf
import pytest

import engine
from engine.config import load_config
from engine.behavior.hazard import loan_arrays

from state_helpers import ALL_OFF, NO_COSTS, as_loans, col, merge, state_config

B = 200_000.0
RATE = 0.06
FEE = 0.0025
TERM = 300
VALUE = 250_000.0
C = RATE / 12
TICK = 1e-4  # one booked amount is exact to 5e-5; a few add up

INTEGRATIONS = pytest.mark.parametrize("integration", ["expected", "sampled"])


def loan(**kw) -> dict:
    row = {"loan_id": "L", "balance": B, "note_rate": RATE, "servicing_fee": FEE, "remaining_term": TERM,
           "property_value": VALUE}
    row.update(kw)
    return row


def run(rows, integration="expected", horizon=24, sm=None, **kw):
    rows = rows if isinstance(rows, list) else [rows]
    cfg = state_config(rows, integration=integration, paths=1 if integration == "expected" else 3,
                       horizon=horizon, state_model=merge(ALL_OFF, NO_COSTS, sm or {}), **kw)
    return engine.run(cfg)


def m(result, name, month=None):
    """Column ``name`` (month 1 first), or its value in ``month``."""
    x = col(result.cashflows, name)
    return x if month is None else x[month - 1]


def outcome(result, name):
    return col(result.tables["loans"], name)[0]


def level_principal(balance, rate_annual, n_left):
    """Scheduled principal of a level payment with n_left payments left, via numpy_financial."""
    c = rate_annual / 12
    payment = npf.pmt(c, n_left, -balance)
    return payment - balance * c


# --------------------------------------------------------------------------
# current loans


@INTEGRATIONS
def test_prepayment_in_full_pays_interest_balance_and_deferred(integration):
    D = 15_000.0
    r = run(loan(deferred_balance=D), integration, prepay={"model": "smm", "rate": 1.0})
    sched = level_principal(B, RATE, TERM)
    assert m(r, "scheduled_principal", 1) == pytest.approx(sched, abs=TICK)
    assert m(r, "voluntary_prepayments", 1) == pytest.approx(B - sched, abs=TICK)
    assert m(r, "interest", 1) == pytest.approx(B * (RATE - FEE) / 12, abs=TICK)
    assert m(r, "servicing_fee", 1) == pytest.approx(B * FEE / 12, abs=TICK)
    assert m(r, "deferred_collected", 1) == pytest.approx(D, abs=TICK)
    assert m(r, "total_cash_flow", 1) == pytest.approx(B + D + B * (RATE - FEE) / 12, abs=3 * TICK)
    assert m(r, "total_principal", 1) == pytest.approx(B + D, abs=3 * TICK)
    assert np.all(m(r, "performing_balance") == 0) and np.all(m(r, "deferred_balance") == 0)
    assert outcome(r, "p_prepaid") == 1.0 and outcome(r, "month_prepaid") == 1.0


@INTEGRATIONS
def test_current_loan_amortises_to_maturity(integration):
    """No events: a 12-month level-payment loan pays pmt each month and matures in month 12."""
    r = run(loan(remaining_term=12, deferred_balance=1000.0), integration, horizon=15)
    pay = npf.pmt(C, 12, -B)
    paid = m(r, "scheduled_principal") + m(r, "interest") + m(r, "servicing_fee")
    np.testing.assert_allclose(paid[:12], pay, atol=3 * TICK)
    assert m(r, "matured_principal", 12) == pytest.approx(m(r, "scheduled_principal", 12), abs=TICK)
    assert m(r, "deferred_collected", 12) == pytest.approx(1000.0, abs=TICK)
    assert m(r, "scheduled_principal")[:12].sum() == pytest.approx(B, abs=12 * TICK)
    assert outcome(r, "p_matured") == 1.0 and outcome(r, "month_matured") == 12.0


@pytest.mark.parametrize("rate", [1e-17, 1e-13])
def test_tiny_positive_note_rate_amortises_like_a_zero_rate(rate):
    rows = [loan(note_rate=rate, servicing_fee=0.0, remaining_term=12)]
    r = run(rows, horizon=12)
    std = engine.project_cashflows(rows, {"prepay": {"model": "none"}})
    np.testing.assert_allclose(m(r, "scheduled_principal"), std.actual_amortization, rtol=0, atol=1e-3)
    np.testing.assert_allclose(m(r, "scheduled_principal"), B / 12, rtol=1e-6)


def test_turnover_prepayment_first_two_months():
    """CPR = base x min(1, age / ramp) x seasonality[calendar month] + refi_max / (1 + exp(-(incentive - mid) / slope)),
    SMM = 1 - (1 - CPR)^(1/12), applied to the balance after scheduled principal
    (engine/config.py PrepayTurnover; projection month 1 is simulation.start_month)."""
    base, ramp, refi_max, mid, slope = 0.06, 30, 0.30, 0.0075, 0.0025
    season = (0.80, 0.82, 0.92, 1.00, 1.06, 1.12, 1.12, 1.14, 1.08, 1.02, 0.98, 0.94)
    rate, market, age = 0.07, 0.0625, 10
    r = run(loan(note_rate=rate, servicing_fee=0.0, age=age), horizon=3, simulation={"start_month": 7},
            economy={"mortgage_rate": market},
            prepay={"model": "turnover", "base_cpr": base, "ramp_months": ramp, "refi_max_cpr": refi_max,
                    "refi_midpoint": mid, "refi_slope": slope, "burnout": 0.0})
    refi = refi_max / (1 + math.exp(-((rate - market) - mid) / slope))  # incentive = midpoint: half of the max
    assert refi == pytest.approx(0.15)
    bal = B
    for month, calendar in ((1, 7), (2, 8)):
        cpr = base * min(1.0, (age + month) / ramp) * season[calendar - 1] + refi
        smm = 1 - (1 - cpr) ** (1 / 12)
        sched = level_principal(bal, rate, TERM - month + 1)
        assert m(r, "voluntary_prepayments", month) == pytest.approx((bal - sched) * smm, abs=TICK), month
        bal = (bal - sched) * (1 - smm)
        assert m(r, "performing_balance", month) == pytest.approx(bal, abs=TICK)


# --------------------------------------------------------------------------
# delinquency


@INTEGRATIONS
def test_dq30_cure_pays_arrears_and_this_months_payment(integration):
    A = 1234.56
    r = run(loan(status="dq30", payments_behind=1, arrears=A), integration,
            sm={"delinquency": {"dq30": {"cure": 1.0}}})
    sched1 = level_principal(B, RATE, TERM)  # missed principal re-amortises over the full remaining term
    assert m(r, "cures", 1) == pytest.approx(B, abs=TICK)
    assert m(r, "arrears_collected", 1) == pytest.approx(A, abs=TICK)
    assert m(r, "scheduled_principal", 1) == pytest.approx(sched1, abs=TICK)
    assert m(r, "interest", 1) == pytest.approx(B * (RATE - FEE) / 12, abs=TICK)
    assert m(r, "dq30_balance", 1) == 0.0
    assert m(r, "performing_balance", 1) == pytest.approx(B - sched1, abs=TICK)
    # current after: month 2 is an ordinary payment, 299 left
    assert m(r, "scheduled_principal", 2) == pytest.approx(level_principal(B - sched1, RATE, TERM - 1), abs=TICK)
    assert outcome(r, "expected_cures") == 1.0


def test_dq30_arrears_default_to_one_missed_interest_payment():
    """Tape arrears 0 for a loan behind: estimated as payments_behind x balance x rate / 12, plus escrow."""
    r = run(loan(status="dq30", payments_behind=1, escrow_advances=321.0),
            sm={"delinquency": {"dq30": {"cure": 1.0}}})
    assert m(r, "arrears_collected", 1) == pytest.approx(B * RATE / 12 + 321.0, abs=TICK)


@INTEGRATIONS
def test_dq30_roll_adds_a_month_of_unpaid_interest(integration):
    """dq30 -> dq60 in month 1 (nothing paid, interest B x rate / 12 unpaid), then
    a dq60 cure in month 2 collects the tape arrears plus that month."""
    A = 1000.0
    r = run(loan(status="dq30", payments_behind=1, arrears=A), integration,
            sm={"delinquency": {"dq30": {"roll": 1.0}, "dq60": {"cure": 1.0}}})
    assert m(r, "dq60_balance", 1) == pytest.approx(B, abs=TICK)
    assert m(r, "dq30_balance", 1) == 0.0
    assert m(r, "interest_unpaid", 1) == pytest.approx(B * RATE / 12, abs=TICK)
    assert m(r, "interest", 1) == 0.0 and m(r, "scheduled_principal", 1) == 0.0
    assert m(r, "total_cash_flow", 1) == 0.0
    assert m(r, "arrears_collected", 2) == pytest.approx(A + B * RATE / 12, abs=TICK)
    assert m(r, "scheduled_principal", 2) == pytest.approx(level_principal(B, RATE, TERM - 1), abs=TICK)


@INTEGRATIONS
def test_current_roll_to_dq30_misses_the_payment(integration):
    r = run(loan(), integration, sm={"delinquency": {"current": {"to_dq30": 1.0}}})
    assert m(r, "new_delinquencies", 1) == pytest.approx(B, abs=TICK)
    assert m(r, "dq30_balance", 1) == pytest.approx(B, abs=TICK)
    assert m(r, "interest_unpaid", 1) == pytest.approx(B * RATE / 12, abs=TICK)
    assert m(r, "scheduled_principal", 1) == 0.0 and m(r, "interest", 1) == 0.0
    # all rolls 0 after dq30: it stays 30 days late and keeps paying (TR_STAY)
    assert m(r, "dq30_balance", 2) == pytest.approx(B - level_principal(B, RATE, TERM - 1), abs=TICK)


# --------------------------------------------------------------------------
# modification


@pytest.mark.parametrize(
    "rate, cut, floor, want",
    [
        (0.07, 0.02, 0.03, 0.05),  # cut applies
        (0.04, 0.02, 0.03, 0.03),  # stops at the floor
        (0.025, 0.02, 0.03, 0.025),  # already below the floor: never raised
        (0.09, 0.10, None, 0.0625),  # no floor given: the market mortgage rate (economy.mortgage_rate)
    ],
)
@INTEGRATIONS
def test_dq60_modification_terms(integration, rate, cut, floor, want):
    D0, f, term_months = 5_000.0, 0.10, 480
    A = 2 * B * rate / 12  # estimated arrears: 2 missed interest payments
    mod = {"rate_cut": cut, "term_months": term_months, "forbearance": f}
    if floor is not None:
        mod["rate_floor"] = floor
    r = run(loan(status="dq60", payments_behind=2, note_rate=rate, deferred_balance=D0), integration, horizon=6,
            sm={"delinquency": {"dq60": {"modification": 1.0}}, "modification": mod},
            economy={"mortgage_rate": 0.0625})
    new_bal = (B + A) * (1 - f)
    assert m(r, "modifications", 1) == pytest.approx(B, abs=TICK)
    assert m(r, "capitalized_arrears", 1) == pytest.approx(A, abs=TICK)
    assert m(r, "performing_balance", 1) == pytest.approx(new_bal, abs=TICK)
    assert m(r, "modified_balance", 1) == pytest.approx(new_bal, abs=TICK)
    assert m(r, "deferred_balance", 1) == pytest.approx(D0 + (B + A) * f, abs=TICK)
    assert m(r, "total_cash_flow", 1) == 0.0
    # month 2: a level payment at the modified rate to projection month 480 (479 payments left)
    pay = npf.pmt(want / 12, term_months - 1, -new_bal)
    assert m(r, "interest", 2) == pytest.approx(new_bal * (want - FEE) / 12, abs=TICK)
    assert m(r, "scheduled_principal", 2) == pytest.approx(pay - new_bal * want / 12, abs=TICK)
    assert m(r, "deferred_balance", 2) == pytest.approx(D0 + (B + A) * f, abs=TICK)
    assert outcome(r, "p_modified") == 1.0 and outcome(r, "month_modified") == 1.0


def test_modified_loans_redefault_faster():
    """Current on modified terms: roll x current.roll_multiplier_modified."""
    p, mult = 0.02, 3.0
    r = run(loan(status="dq60", payments_behind=2, arrears=0.0), horizon=3,
            sm={"delinquency": {"dq60": {"modification": 1.0}, "current": {"to_dq30": p, "roll_multiplier_modified": mult}},
                "modification": {"rate_cut": 0.0, "rate_floor": 0.0, "forbearance": 0.0}})
    bal = B + 2 * B * RATE / 12
    assert m(r, "new_delinquencies", 1) == 0.0
    assert m(r, "new_delinquencies", 2) == pytest.approx(bal * p * mult, abs=TICK)


def test_modification_never_shortens_the_term():
    """term_months below the remaining term: the loan keeps its own maturity."""
    r = run(loan(status="dq60", payments_behind=2, arrears=0.0), horizon=3,
            sm={"delinquency": {"dq60": {"modification": 1.0}},
                "modification": {"rate_cut": 0.0, "rate_floor": 0.0, "term_months": 12, "forbearance": 0.0}})
    bal = B + 2 * B * RATE / 12
    # month 2: TERM - 1 payments left to the original maturity (month TERM)
    assert m(r, "scheduled_principal", 2) == pytest.approx(level_principal(bal, RATE, TERM - 1), abs=TICK)


def test_modified_rate_never_falls_below_the_servicing_fee():
    """Regression (found by these tests, fixed in c8eb62c): a cut below the fee
    booked negative net interest. The servicing strip is never cut: the
    modified rate is at least the fee, so the holder's net interest is >= 0."""
    fee = 0.005
    r = run(loan(status="dq90+", payments_behind=3, note_rate=0.03, servicing_fee=fee), horizon=4,
            sm={"delinquency": {"dq90": {"modification": 1.0}},
                "modification": {"rate_cut": 0.03, "rate_floor": 0.0, "forbearance": 0.0}})
    bal = B + 3 * B * 0.03 / 12
    assert m(r, "interest").min() >= 0.0
    assert m(r, "interest", 2) == pytest.approx(0.0, abs=TICK)
    assert m(r, "servicing_fee", 2) == pytest.approx(bal * fee / 12, abs=TICK)
    assert m(r, "scheduled_principal", 2) == pytest.approx(level_principal(bal, fee, 480 - 1), abs=TICK)


# --------------------------------------------------------------------------
# deed-in-lieu, REO, sale


@pytest.mark.parametrize("value, discount, capped", [
    (120_000.0, 0.0, False), (120_000.0, 0.15, False), (900_000.0, 0.0, True), (900_000.0, 0.15, True)])
@INTEGRATIONS
def test_deed_in_lieu_then_reo_sale(integration, value, discount, capped):
    """Sold at property value x HPI x (1 - sale_discount) x (1 - selling_cost),
    capped at the debt (a surplus goes to the borrower)."""
    A0, D, cost, sell, reo_months, hold, drift = 4_000.0, 10_000.0, 3_000.0, 0.08, 3, 250.0, 0.03
    r = run(loan(status="dq90+", payments_behind=5, arrears=A0, deferred_balance=D, property_value=value),
            integration, horizon=8, hpi={"drift": drift, "volatility": 0.0},
            sm={"delinquency": {"dq90": {"deed_in_lieu": 1.0}}, "deed_in_lieu": {"cost": cost},
                "reo": {"months": reo_months, "selling_cost": sell, "sale_discount": discount,
                        "holding_cost_monthly": hold}})
    # month 1: the deed; cost paid; title to the holder
    assert m(r, "deeds_in_lieu", 1) == pytest.approx(B, abs=TICK)
    assert m(r, "deed_in_lieu_costs", 1) == pytest.approx(cost, abs=TICK)
    assert m(r, "reo_additions", 1) == pytest.approx(B + D, abs=TICK)
    assert m(r, "total_cash_flow", 1) == pytest.approx(-cost, abs=TICK)
    assert m(r, "reo_balance", 1) == pytest.approx(B, abs=TICK)
    # months 2..4 in REO: holding costs, no interest accrues; sold in month 1 + 3
    sale = 1 + reo_months
    np.testing.assert_allclose(m(r, "holding_costs")[1:sale], hold, atol=TICK)
    assert np.all(m(r, "interest_unpaid") == 0.0)
    assert m(r, "reo_balance", sale - 1) == pytest.approx(B, abs=TICK) and m(r, "reo_balance", sale) == 0.0
    debt = B + D + A0 + cost + reo_months * hold
    gross = value * math.exp(drift * sale / 12) * (1 - discount) * (1 - sell)
    proceeds = min(gross, debt)
    assert capped == (gross > debt)
    assert m(r, "liquidations", sale) == pytest.approx(B + D, abs=TICK)
    assert m(r, "liquidation_proceeds", sale) == pytest.approx(proceeds, abs=TICK)
    assert m(r, "principal_recovery", sale) == pytest.approx(min(proceeds, B + D), abs=TICK)
    assert m(r, "principal_loss", sale) == pytest.approx(B + D - min(proceeds, B + D), abs=TICK)
    assert m(r, "net_loss", sale) == pytest.approx(debt - proceeds, abs=TICK)
    assert m(r, "total_cash_flow", sale) == pytest.approx(proceeds - hold, abs=2 * TICK)
    assert outcome(r, "p_deed_in_lieu") == 1.0 and outcome(r, "p_liquidated") == 1.0
    assert outcome(r, "month_liquidated") == sale


@INTEGRATIONS
def test_foreclosure_timeline_costs_and_fixed_severity(integration):
    """Virginia: ATTOM Q3 2019 average 201 days to foreclose = 6.6 months -> 7.
    Referred in month 1 from 4 payments behind (the first month Regulation X
    allows; in foreclosure at the end of months 1-7),
    the timeline runs in months 2-8 (legal costs), REO in month 8, sold after 2
    months of marketing in month 10 at a fixed severity."""
    T = round(201 / (365.25 / 12))
    assert T == 7
    A0, D, legal, hold, ti_rate, sev, reo_months = 3_000.0, 20_000.0, 300.0, 250.0, 0.015, 0.4, 2
    r = run(loan(status="dq90+", payments_behind=4, arrears=A0, deferred_balance=D, state="VA"), integration,
            horizon=14,
            sm={"delinquency": {"dq90": {"to_foreclosure": 1.0}},
                "foreclosure": {"legal_cost_monthly": legal}, "reo": {"months": reo_months, "holding_cost_monthly": hold},
                "advances": {"taxes_insurance_rate": ti_rate}, "liquidation": {"severity": sev}})
    ti = VALUE * ti_rate / 12
    months = np.arange(1, 15)
    fc = (months >= 2) & (months <= 1 + T)
    reo = (months > 1 + T) & (months <= 1 + T + reo_months)
    sale = 1 + T + reo_months
    assert m(r, "foreclosure_starts", 1) == pytest.approx(B, abs=TICK)
    np.testing.assert_allclose(m(r, "foreclosure_balance"), np.where(months <= T, B, 0.0), atol=TICK)
    np.testing.assert_allclose(m(r, "reo_balance"), np.where((months >= 1 + T) & (months < sale), B, 0.0), atol=TICK)
    assert m(r, "reo_additions", 1 + T) == pytest.approx(B + D, abs=TICK)
    np.testing.assert_allclose(m(r, "legal_costs"), np.where(fc, legal, 0.0), atol=TICK)
    np.testing.assert_allclose(m(r, "holding_costs"), np.where(reo, hold, 0.0), atol=TICK)
    # T&I advanced from dq90+ on: the referral month, foreclosure and REO
    np.testing.assert_allclose(m(r, "advances"), np.where(months <= sale, ti, 0.0), atol=TICK)
    np.testing.assert_allclose(m(r, "interest_unpaid"), np.where(months <= 1 + T, B * RATE / 12, 0.0), atol=TICK)
    proceeds = (1 - sev) * (B + D)
    assert m(r, "liquidation_proceeds", sale) == pytest.approx(proceeds, abs=TICK)
    assert m(r, "principal_recovery", sale) == pytest.approx(proceeds, abs=TICK)
    assert m(r, "principal_loss", sale) == pytest.approx(sev * (B + D), abs=TICK)
    debt = B + D + A0 + (1 + T) * B * RATE / 12 + sale * ti + T * legal + reo_months * hold
    assert m(r, "net_loss", sale) == pytest.approx(debt - proceeds, abs=10 * TICK)
    assert outcome(r, "p_foreclosure_sale") == 1.0 and outcome(r, "month_foreclosure_sale") == 1 + T
    assert outcome(r, "month_liquidated") == sale


@pytest.mark.parametrize("behind, to_reo", [(4, 7), (6, 5), (40, 1)])
def test_tape_foreclosure_starts_in_foreclosure(behind, to_reo):
    """Status foreclosure, referral assumed at 4 payments behind: month behind - 4 of
    the 7-month VA timeline (capped at its last month), so REO in month 7 - (behind - 4)."""
    r = run(loan(status="foreclosure", payments_behind=behind, state="VA"), horizon=10)
    fc = m(r, "foreclosure_balance")
    assert np.all(fc[: to_reo - 1] == pytest.approx(B, abs=TICK)) and fc[to_reo - 1] == 0.0
    assert m(r, "reo_additions", to_reo) == pytest.approx(B, abs=TICK)
    assert outcome(r, "month_foreclosure_sale") == to_reo
    assert m(r, "arrears_collected").sum() == 0.0


def test_foreclosure_reinstatement_collects_the_arrears():
    r = run(loan(status="foreclosure", payments_behind=8, escrow_advances=2_500.0),
            sm={"delinquency": {"foreclosure": {"cure": 1.0}}})
    assert m(r, "cures", 1) == pytest.approx(B, abs=TICK)
    assert m(r, "arrears_collected", 1) == pytest.approx(8 * B * RATE / 12 + 2_500.0, abs=TICK)
    assert m(r, "performing_balance", 1) == pytest.approx(B - level_principal(B, RATE, TERM), abs=TICK)


def test_foreclosure_months_applies_to_every_loan():
    """Regression (found by these tests, fixed in c8eb62c): ``months`` was used only
    for loans with no state; the config documents it as one timeline for every loan."""
    cfg = load_config(state_config([loan(state="NY"), loan(loan_id="M", state="")],
                                   state_model={"foreclosure": {"months": 5}}))
    li = loan_arrays(as_loans([loan(state="NY"), loan(loan_id="M", state="")]), cfg.state_model, 0.0625)
    assert list(li.t_fc) == [5, 5]


def test_default_months_applies_to_loans_without_a_state():
    """foreclosure.default_months replaces the national average (28 months,
    ATTOM Q3 2019: 841 days) for loans whose tape state is empty, only."""
    rows = [loan(state="NY"), loan(loan_id="M", state="")]
    li = loan_arrays(as_loans(rows), load_config(state_config(rows)).state_model, 0.0625)
    ny = li.t_fc[0]
    assert li.t_fc[1] == 28
    cfg = load_config(state_config(rows, state_model={"foreclosure": {"default_months": 9}}))
    li = loan_arrays(as_loans(rows), cfg.state_model, 0.0625)
    assert list(li.t_fc) == [ny, 9]


def test_timeline_override_by_state():
    cfg = load_config(state_config(state_model={"foreclosure": {"timeline_months": {"NY": 4}}}))
    li = loan_arrays(as_loans([loan(state="NY"), loan(loan_id="M", state="TX")]), cfg.state_model, 0.0625)
    assert list(li.t_fc) == [4, 17]  # TX: ATTOM has no figure; non-judicial group average 17


# --------------------------------------------------------------------------
# starting states from the tape


@INTEGRATIONS
def test_fourteen_payments_behind_starts_in_dq90_with_its_arrears(integration):
    esc = 800.0
    r = run(loan(status="dq90+", payments_behind=14, escrow_advances=esc), integration, horizon=3)
    # nothing happens: still 90+ days late at each month end, a month of interest unpaid each month
    np.testing.assert_allclose(m(r, "dq90_balance"), B, atol=TICK)
    np.testing.assert_allclose(m(r, "interest_unpaid"), B * RATE / 12, atol=TICK)
    assert np.all(m(r, "performing_balance") == 0.0)
    # a certain cure in month 1 collects the 14 missed interest payments and the escrow advances
    cured = run(loan(status="dq90+", payments_behind=14, escrow_advances=esc), integration, horizon=3,
                sm={"delinquency": {"dq90": {"cure": 1.0, "cure_decay": 1.0}}})
    assert m(cured, "arrears_collected", 1) == pytest.approx(14 * B * RATE / 12 + esc, abs=TICK)


def test_dq90_cure_decays_with_months_behind_up_to_the_last_cell():
    """cure x decay^(k - 3), k = payments behind; the kernel's last cell (K = 12)
    holds every loan 12 or more behind, so 14 behind decays like 12."""
    cure, decay = 0.5, 0.9
    sm = {"delinquency": {"dq90": {"cure": cure, "cure_decay": decay}}}
    for behind, k in ((3, 3), (7, 7), (14, 12)):
        r = run(loan(status="dq90+", payments_behind=behind), horizon=2, sm=sm)
        assert m(r, "cures", 1) == pytest.approx(B * cure * decay ** (k - 3), abs=TICK), behind


# --------------------------------------------------------------------------
# hazard multipliers and home prices


def test_higher_fico_gives_fewer_new_delinquencies():
    """roll x exp(fico_roll x (fico - 680) / 100), fico_roll = -0.8 by default."""
    p = 0.02
    sm = {"delinquency": {"current": {"to_dq30": p}}}
    rows = [loan(loan_id="lo", fico=600.0), loan(loan_id="hi", fico=780.0)]
    lo = run(rows[0], sm=sm, horizon=2)
    hi = run(rows[1], sm=sm, horizon=2)
    assert m(lo, "new_delinquencies", 1) == pytest.approx(B * p * math.exp(-0.8 * (600 - 680) / 100), abs=TICK)
    assert m(hi, "new_delinquencies", 1) == pytest.approx(B * p * math.exp(-0.8 * (780 - 680) / 100), abs=TICK)
    assert m(hi, "new_delinquencies", 1) < m(lo, "new_delinquencies", 1)
    # with the default model, over a whole run
    d_lo = engine.run(state_config(rows[:1], horizon=60)).cashflows
    d_hi = engine.run(state_config(rows[1:], horizon=60)).cashflows
    assert col(d_hi, "new_delinquencies").sum() < col(d_lo, "new_delinquencies").sum()


@pytest.mark.parametrize("ltv, mult", [(0.4, 0.6), (0.8, 1.0), (1.1, 1.85), (2.0, 3.0)])
def test_mark_to_market_ltv_scales_the_roll(ltv, mult):
    """Default curve: ltv (0.5, 0.8, 1.0, 1.2, 1.5) -> roll x (0.6, 1.0, 1.5, 2.2, 3.0), linear, flat outside."""
    p = 0.02
    r = run(loan(property_value=B / ltv), horizon=2,
            sm={"delinquency": {"current": {"to_dq30": p}},
                "multipliers": {"mtm_ltv": {"ltv": [0.5, 0.8, 1.0, 1.2, 1.5], "roll": [0.6, 1.0, 1.5, 2.2, 3.0],
                                            "cure": [1.0] * 5}}})
    assert m(r, "new_delinquencies", 1) == pytest.approx(B * p * mult, abs=TICK)


def test_faster_hpi_decline_gives_higher_losses():
    rows = [loan(loan_id=f"N{i}", status=s, payments_behind=b, property_value=VALUE)
            for i, (s, b) in enumerate([("current", 0), ("dq60", 2), ("dq90+", 8), ("foreclosure", 10)])]
    flat = engine.run(state_config(rows, hpi={"drift": 0.0, "volatility": 0.0})).summary.to_pylist()[0]
    down = engine.run(state_config(rows, hpi={"drift": 0.0, "volatility": 0.0, "scenario": [[36, -0.25]]}))
    down = down.summary.to_pylist()[0]
    assert down["cumulative_losses"] > flat["cumulative_losses"] + 10_000
    assert down["cumulative_defaults"] > flat["cumulative_defaults"]  # higher MTM LTV: more rolls, fewer cures
    assert down["loss_severity"] > flat["loss_severity"]


@INTEGRATIONS
def test_no_foreclosure_referral_before_four_payments_behind(integration):
    """Regulation X (12 CFR 1024.41(f)): no first filing before 120 days
    delinquent. A loan 3 behind with referral probability 1 misses one more
    payment (month 1) and is referred in month 2; with the minimum lowered to 3
    it is referred in month 1."""
    sm = {"delinquency": {"dq90": {"to_foreclosure": 1.0}}}
    r = run(loan(status="dq90+", payments_behind=3), integration, horizon=4, sm=sm)
    assert m(r, "foreclosure_starts", 1) == pytest.approx(0.0, abs=TICK)
    assert m(r, "foreclosure_starts", 2) == pytest.approx(B, abs=TICK)
    sm3 = {"delinquency": {"dq90": {"to_foreclosure": 1.0, "referral_min_behind": 3}}}
    r3 = run(loan(status="dq90+", payments_behind=3), integration, horizon=4, sm=sm3)
    assert m(r3, "foreclosure_starts", 1) == pytest.approx(B, abs=TICK)
