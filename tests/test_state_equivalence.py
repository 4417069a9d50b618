"""The state model reduces to the SIFMA standard model.

With cures, modifications and deeds-in-lieu off, every roll
dq30 -> dq60 -> dq90+ -> foreclosure certain, a foreclosure timeline of
``L - 3`` months, REO sold at once, no costs or T&I advances, a fixed
liquidation severity ``s``, a flat mark-to-market-LTV curve, no home-price
volatility, ``current.to_dq30 = MDR`` and a constant SMM (or CPR), a loan of
the state model follows SIFMA SF C.3 with ``advancing: false`` and
``liquidation_lag = L``, month by month:

- a current loan defaults (misses its payment, ``to_dq30``) with probability
  MDR on its balance at the start of the month: SIFMA's NEW DEF = PERF(i-1) x MDR;
- the rest pays scheduled principal; a fraction SMM of the balance after that
  amortisation prepays: VOL PREPAY = PERF(i-1) x r x SMM;
- a loan that missed payment i is 30 days late at the end of month i, 60 at
  i + 1, 90 at i + 2, referred to foreclosure at i + 3 and sold after the
  ``L - 3`` months of its timeline: liquidated at i + L, with its balance at
  default (no amortisation without advancing), recovering (1 - s) of it.

The standard engine sets defaults to 0 in each loan's last L months (SF
C.3.j); the state model has no such rule, so the comparison runs over months
1 .. term - L (for a pool: the shortest term - L). The state model sums in
int64 ticks of 1e-4 currency, so each booked amount is rounded to 5e-5; the
tolerance is 1e-3 dollars on $100,000,000 (per loan for a pool).

``engine.project_cashflows`` is verified separately against SIFMA's published
Cash Flow A and B tables (tests/test_*sifma*), which makes it an independent
reference here.
"""

from __future__ import annotations

import numpy as np
import pytest

import engine
from engine.behavior.speeds import cpr_to_smm

from state_helpers import COLUMN, as_loans, col, merge, per_path_columns, state_config

# standard column -> state column
PAIRS = [
    ("performing_balance", "performing_balance"),
    ("new_defaults", "new_delinquencies"),
    ("voluntary_prepayments", "voluntary_prepayments"),
    ("actual_amortization", "scheduled_principal"),
    ("actual_interest", "interest"),
    ("servicing_fee", "servicing_fee"),
    ("principal_recovery", "principal_recovery"),
    ("principal_loss", "principal_loss"),
    ("total_cash_flow", "total_cash_flow"),
    ("total_principal", "total_principal"),
]
DELINQUENT = ("dq30_balance", "dq60_balance", "dq90_balance", "foreclosure_balance")
TOL_PER_LOAN = 1e-3  # dollars


def sifma_like_state_model(mdr: float, lag: int, severity: float) -> dict:
    assert lag >= 3, "30 -> 60 -> 90 -> foreclosure takes 3 months"
    return {
        "delinquency": {
            "current": {"to_dq30": mdr},
            "dq30": {"cure": 0.0, "roll": 1.0},
            "dq60": {"cure": 0.0, "roll": 1.0, "modification": 0.0, "deed_in_lieu": 0.0},
            "dq90": {"cure": 0.0, "to_foreclosure": 1.0, "modification": 0.0, "deed_in_lieu": 0.0,
                     "referral_min_behind": 3},
            "foreclosure": {"cure": 0.0, "modification": 0.0, "deed_in_lieu": 0.0},
        },
        "multipliers": {"mtm_ltv": {"ltv": [1.0], "roll": [1.0], "cure": [1.0]}},
        "foreclosure": {"months": lag - 3, "legal_cost_monthly": 0.0},
        "reo": {"months": 0, "holding_cost_monthly": 0.0, "selling_cost": 0.0},
        "deed_in_lieu": {"cost": 0.0},
        "advances": {"taxes_insurance_rate": 0.0},
        "liquidation": {"severity": severity},
    }


def run_both(loans: list[dict], prepay: dict, mdr: float, lag: int, severity: float, **sim):
    horizon = max(int(r["remaining_term"]) for r in loans)
    cfg = state_config(
        loans, horizon=horizon, prepay=prepay, state_model=sifma_like_state_model(mdr, lag, severity), **sim
    )
    state = engine.run(cfg)
    std = engine.project_cashflows(
        loans,
        {
            "prepay": prepay,
            "default": {"model": "mdr", "rate": mdr},
            "loss": {"severity": severity, "liquidation_lag": lag, "advancing": False},
        },
    )
    return cfg, state, std


def assert_equivalent(state, std, n_months: int, tol: float):
    cf = state.cashflows
    assert cf.num_rows >= n_months
    for a, b in PAIRS:
        want = getattr(std, a)[:n_months]
        got = col(cf, b)[:n_months]
        np.testing.assert_allclose(got, want, rtol=0, atol=tol, err_msg=f"{a} (standard) vs {b} (state)")
    got = sum(col(cf, c) for c in DELINQUENT)[:n_months]
    np.testing.assert_allclose(got, std.foreclosure_balance[:n_months], rtol=0, atol=tol,
                               err_msg="foreclosure_balance vs dq30+dq60+dq90+foreclosure")
    # with the fixed severity, loss = s x balance, nothing else is lost or paid
    for name in ("reo_balance", "advances", "legal_costs", "holding_costs", "cures", "modifications"):
        assert np.all(col(cf, name) == 0.0), name


LOAN = {"loan_id": "A", "balance": 100_000_000.0, "note_rate": 0.08, "remaining_term": 360}


@pytest.mark.parametrize(
    "smm, mdr, lag, severity",
    [
        (0.01, 0.01, 12, 0.20),  # SIFMA Cash Flow A's rates
        (0.0, 0.005, 3, 1.0),  # shortest timeline: sold the month it reaches 90 days
        (0.02, 0.002, 4, 0.35),
        (0.005, 0.02, 24, 0.0),  # long timeline, full recovery
    ],
)
def test_single_loan_matches_standard_model(smm, mdr, lag, severity):
    _, state, std = run_both([LOAN], {"model": "smm", "rate": smm}, mdr, lag, severity)
    assert_equivalent(state, std, 360 - lag, TOL_PER_LOAN)
    # and the comparison is not vacuous
    assert std.new_defaults[:360 - lag].sum() > 0.0
    if severity > 0:
        assert std.principal_loss.sum() > 0.0


def test_cpr_assumption_and_servicing_fee():
    loan = {**LOAN, "note_rate": 0.065, "servicing_fee": 0.0025, "age": 17}
    prepay = {"model": "cpr", "rate": 0.08}
    _, state, std = run_both([loan], prepay, 0.004, 6, 0.4)
    assert_equivalent(state, std, 360 - 6, TOL_PER_LOAN)
    # month 1 by hand: interest at the net rate on the balance that pays
    b, c, fee = 1e8, 0.065 / 12, 0.0025 / 12
    am = c / ((1 + c) ** 360 - 1)
    smm = float(cpr_to_smm(0.08))
    cf = state.cashflows
    assert col(cf, "new_delinquencies")[0] == pytest.approx(b * 0.004, abs=1e-4)
    assert col(cf, "interest")[0] == pytest.approx(b * (1 - 0.004) * (c - fee), abs=1e-4)
    assert col(cf, "servicing_fee")[0] == pytest.approx(b * (1 - 0.004) * fee, abs=1e-4)
    assert col(cf, "scheduled_principal")[0] == pytest.approx(b * (1 - 0.004) * am, abs=1e-4)
    assert col(cf, "voluntary_prepayments")[0] == pytest.approx(b * smm * (1 - am), abs=1e-4)


def test_pool_of_different_loans_matches_standard_model():
    loans = [
        {"loan_id": "P1", "balance": 100_000_000.0, "note_rate": 0.08, "remaining_term": 360, "age": 0},
        {"loan_id": "P2", "balance": 40_000_000.0, "note_rate": 0.055, "remaining_term": 300, "age": 60,
         "servicing_fee": 0.0025},
        {"loan_id": "P3", "balance": 25_000_000.0, "note_rate": 0.0425, "remaining_term": 180, "age": 12,
         "servicing_fee": 0.005},
        {"loan_id": "P4", "balance": 7_500_000.0, "note_rate": 0.0, "remaining_term": 240, "age": 3},
    ]
    lag = 7
    _, state, std = run_both(loans, {"model": "smm", "rate": 0.012}, 0.006, lag, 0.3)
    assert_equivalent(state, std, 180 - lag, TOL_PER_LOAN * len(loans))


def test_sampled_integration_approaches_the_standard_model():
    """Many sampled paths of the same loan: each month's mean over paths is the
    standard model's number within 4.5 standard errors. Compared: annual sums
    in the years that hold at least 5% of the busiest year (so each figure
    has many sampled events behind it), and the totals over months 1..term - L."""
    smm, mdr, lag, sev = 0.01, 0.01, 6, 0.25
    loan = {**LOAN, "balance": 1_000_000.0}
    cfg, _, std = run_both([loan], {"model": "smm", "rate": smm}, mdr, lag, sev)
    n_paths = 3000
    sampled = merge(cfg, {"simulation": {"integration": "sampled", "paths": n_paths, "seed": 4}})
    x = per_path_columns(sampled, as_loans([loan]))  # (paths, months, columns)
    n_years = (360 - lag) // 12
    months = n_years * 12
    blocks = x[:, :months].reshape(n_paths, n_years, 12, -1).sum(axis=2)
    checked = 0
    for a, b in PAIRS[:-2] + [("foreclosure_balance", None)]:
        if b is None:
            per_path = sum(blocks[..., COLUMN[c]] for c in DELINQUENT)
        else:
            per_path = blocks[..., COLUMN[b]]
        want = getattr(std, a)[:months].reshape(n_years, 12).sum(axis=1)
        per_path = np.column_stack([per_path, per_path.sum(axis=1)])
        want = np.append(want, want.sum())
        mean = per_path.mean(axis=0)
        se = per_path.std(axis=0, ddof=1) / np.sqrt(n_paths)
        if not np.any(want):  # e.g. no servicing fee: nothing may be sampled either
            assert not np.any(per_path), b
            continue
        material = np.abs(want) > 0.05 * np.abs(want[:-1]).max()
        assert np.all(se[material] > 0), a
        z = np.abs(mean - want)[material] / se[material]
        assert z.max() < 4.5, (a, b, int(np.argmax(z)), z.max())
        checked += int(material.sum())
    assert checked > 80
