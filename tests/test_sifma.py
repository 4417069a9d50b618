"""The standard engine against SIFMA's published Standard Formulas (chapter SF).

Golden data and their sources: tests/data/SOURCES.md. Printed tables are
rounded to whole dollars, so every cell must agree within $0.50 plus a cent
of float noise; the plain-Python twin in tests/reference/naive_sifma.py must
agree with the kernel to 1e-6 dollars on any input.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

import engine
from engine.behavior.speeds import cpr_to_smm, psa_cpr, sda_cdr, smm_to_cpr
from columns import SIFMA_COLUMNS
from tests.reference import naive_sifma as naive

DATA = Path(__file__).parent / "data"
COLUMNS = SIFMA_COLUMNS
POOL = [{"loan_id": "SF", "balance": 100_000_000, "note_rate": 0.08, "remaining_term": 360, "age": 0}]


def _read(name: str) -> list[dict[str, str]]:
    with open(DATA / name, newline="") as f:
        return list(csv.DictReader(f))


def _check_table(cf, rows):
    checked = 0
    for row in rows:
        m = int(row["month"])
        if m == 0:
            continue
        for col in COLUMNS:
            if row[col] == "":
                continue
            got = getattr(cf, col)[m - 1]
            assert abs(got - float(row[col])) <= 0.51, f"month {m} {col}: {got:.4f} vs printed {row[col]}"
            checked += 1
    return checked


@pytest.mark.parametrize(
    "table, assumptions",
    [
        ("sifma_cash_flow_a.csv", {"prepay": {"model": "smm", "rate": 0.01}, "default": {"model": "mdr", "rate": 0.01}}),
        ("sifma_cash_flow_b.csv", {"prepay": {"model": "psa", "speed": 150}, "default": {"model": "sda", "speed": 100}}),
    ],
)
def test_sifma_cash_flow_tables_to_the_dollar(table, assumptions):
    """SF-23..SF-38: Cash Flows A (1% SMM, 1% MDR) and B (150% PSA, 100% SDA),
    8% WAC new 30-year loans, 12 months to liquidation, 20% severity, P&I advanced."""
    cf = engine.project_cashflows(POOL, {**assumptions, "loss": {"severity": 0.20, "liquidation_lag": 12, "advancing": True}})
    assert _check_table(cf, _read(table)) > 360 * 10


@pytest.mark.parametrize("row", _read("sifma_sda_psa_cumulative_defaults.csv"), ids=lambda r: f"{r['psa']}psa-{r['sda']}sda")
def test_sda_psa_cumulative_default_matrix(row):
    """SF-21: cumulative defaults (% of original balance) for new 8% 30-year loans."""
    cf = engine.project_cashflows(
        POOL,
        {
            "prepay": {"model": "psa", "speed": float(row["psa"])},
            "default": {"model": "sda", "speed": float(row["sda"])},
            "loss": {"severity": 0.2, "liquidation_lag": 12},
        },
    )
    assert cf.new_defaults.sum() / 1e6 == pytest.approx(float(row["cumulative_default_pct"]), abs=0.005)


def test_psa_smm_conversion_table():
    """SF-10: SMM (%) by PSA speed and month, printed to 2 decimals."""
    for row in _read("sifma_psa_smm_conversion.csv"):
        smm = 100 * cpr_to_smm(psa_cpr(int(row["month"]), float(row["psa"])))
        assert abs(smm - float(row["smm_pct"])) <= 0.005 + 1e-9, row


def test_prepay_rate_conversion_table():
    """SF-9: SMM -> CPR (1 decimal) -> PSA (whole, valid after month 29)."""
    for row in _read("sifma_prepay_rate_conversion.csv"):
        cpr = 100 * smm_to_cpr(float(row["smm_pct"]) / 100)
        assert abs(cpr - float(row["cpr_pct"])) <= 0.05 + 1e-9, row
        assert abs(cpr / 6.0 * 100 - float(row["psa_pct"])) <= 0.5 + 1e-9, row


def test_sda_curve_shape():
    """SF-20/21: 0.02%/month to 0.60% at 30, flat to 60, down to 0.03% at 120, flat after."""
    assert sda_cdr(1) == pytest.approx(0.0002)
    assert sda_cdr(30) == pytest.approx(0.006)
    assert sda_cdr(45) == pytest.approx(0.006)
    assert sda_cdr(60) == pytest.approx(0.006)
    assert sda_cdr(90) == pytest.approx(0.00315)
    assert sda_cdr(120) == pytest.approx(0.0003)
    assert sda_cdr(300) == pytest.approx(0.0003)
    assert sda_cdr(45, 200) == pytest.approx(0.012)


def test_sf4_first_month_components():
    """SF-4: 9.0% net / 9.5% gross, 360 months, first-month prepayment 0.00025022 of par."""
    cf = engine.project_cashflows(
        [{"loan_id": "x", "balance": 1.0, "note_rate": 0.095, "servicing_fee": 0.005, "remaining_term": 360}],
        {"prepay": {"model": "psa", "speed": 150}},
    )
    assert cf.actual_amortization[0] == pytest.approx(0.00049188, abs=5e-9)
    assert cf.voluntary_prepayments[0] == pytest.approx(0.00025022, abs=5e-9)
    assert cf.gross_interest[0] == pytest.approx(0.00791667, abs=5e-9)
    assert cf.servicing_fee[0] == pytest.approx(0.00041667, abs=5e-9)
    assert cf.total_cash_flow[0] == pytest.approx(0.00824210, abs=5e-9)


def test_gnma_par_yield_example():
    """SF-50/51: GNMA I 9% (9.5% gross), 150% PSA, 14 days actual delay, price 100:
    yield 9.10675 BEY, mortgage yield 8.93863, average life 9.77844, Macaulay
    5.73147, modified 5.48186, convexity 54.4326."""
    ex = json.loads((DATA / "sifma_yield_examples.json").read_text())["SF-50_G1_gnma_par_yield"]["outputs"]
    cf = engine.project_cashflows(
        [{"loan_id": "x", "balance": 1.0, "note_rate": 0.095, "servicing_fee": 0.005, "remaining_term": 360}],
        {"prepay": {"model": "psa", "speed": 150}},
    )
    assert 100 * cf.total_cash_flow[:3] == pytest.approx([ex["CF1"], ex["CF2"], ex["CF3"]], abs=5e-5)
    m = engine.yield_measures(cf.total_cash_flow, cf.total_principal, 1.0, price=100.0, delay_days=14)
    assert 100 * m.yield_bey == pytest.approx(ex["yield_bey_pct"], abs=5e-6)
    assert 100 * m.mortgage_yield == pytest.approx(ex["mortgage_yield_pct"], abs=5e-6)
    assert m.average_life == pytest.approx(ex["average_life_years"], abs=5e-6)
    assert m.macaulay_duration == pytest.approx(ex["macaulay_duration_years"], abs=5e-6)
    assert m.modified_duration == pytest.approx(ex["modified_duration_years"], abs=5e-6)
    assert m.convexity == pytest.approx(ex["cash_flow_convexity_years2"], abs=5e-5)
    # and back: the price at that yield is par
    back = engine.yield_measures(cf.total_cash_flow, cf.total_principal, 1.0, mortgage_yield=m.mortgage_yield, delay_days=14)
    assert back.price == pytest.approx(100.0, abs=1e-9)


def test_pass_through_table_100_psa():
    """Berliner, Fabozzi & Bhattacharya, Table 1: $400MM, 5.5% pass-through,
    6.0% WAC, WAM 358 (2 months seasoned), 100% PSA; printed whole dollars."""
    cf = engine.project_cashflows(
        [{"loan_id": "x", "balance": 400e6, "note_rate": 0.06, "servicing_fee": 0.005, "remaining_term": 358, "age": 2}],
        {"prepay": {"model": "psa", "speed": 100}},
    )
    begin = np.concatenate([[400e6], cf.performing_balance[:-1]])
    for row in _read("fabozzi_psa_100.csv"):
        i = int(row["month"]) - 1
        assert abs(begin[i] - float(row["outstanding_balance"])) <= 1.5, row
        assert abs(cf.actual_amortization[i] - float(row["scheduled_principal"])) <= 0.51, row
        assert abs(cf.voluntary_prepayments[i] - float(row["prepayment"])) <= 0.51, row
        assert abs(cf.total_interest[i] - float(row["net_interest"])) <= 0.51, row
        assert abs(cf.total_cash_flow[i] - float(row["cash_flow"])) <= 0.51, row


def test_classic_400mm_pass_through_checkpoints():
    """Fabozzi's $400MM 7.5% pass-through, 8.125% WAC, WAM 357: month 100 at
    100% PSA and months 1 and 81 at 165% PSA, as quoted in the text."""
    rows = _read("fabozzi_wac8125_wam357_checkpoints.csv")
    runs = {}
    for psa in (100, 165):
        runs[psa] = engine.project_cashflows(
            [{"loan_id": "x", "balance": 400e6, "note_rate": 0.08125, "servicing_fee": 0.00625, "remaining_term": 357, "age": 3}],
            {"prepay": {"model": "psa", "speed": psa}},
        )
    names = {"scheduled_principal": "actual_amortization", "prepayment": "voluntary_prepayments",
             "total_principal": "total_principal", "net_interest": "total_interest", "cash_flow": "total_cash_flow"}
    checked = 0
    for row in rows:
        if not row["month"] or int(row["psa"]) not in runs:
            continue
        cf, i = runs[int(row["psa"])], int(row["month"]) - 1
        q = row["quantity"]
        if q == "outstanding_balance":
            got = cf.performing_balance[i - 1]
        elif q == "smm":
            got = cf.smm[i]
            assert got == pytest.approx(float(row["value"]), abs=5e-9)
            checked += 1
            continue
        elif q in names:
            got = getattr(cf, names[q])[i]
        else:
            continue
        assert abs(got - float(row["value"])) <= 1.0, row
        checked += 1
    assert checked >= 7


@pytest.mark.parametrize("advancing", [True, False])
@pytest.mark.parametrize("lag", [0, 1, 12, 24])
def test_kernel_matches_plain_python_twin(advancing, lag):
    """The Numba kernel and the line-by-line SF C.3 twin agree on a seasoned loan
    with servicing, PSA and SDA, any lag, advancing on or off."""
    loan = {"loan_id": "x", "balance": 2_500_000.0, "note_rate": 0.0675, "servicing_fee": 0.0025, "remaining_term": 300, "age": 60}
    cf = engine.project_cashflows(
        [loan],
        {"prepay": {"model": "psa", "speed": 225}, "default": {"model": "sda", "speed": 300},
         "loss": {"severity": 0.35, "liquidation_lag": lag, "advancing": advancing}},
    )
    rows = naive.psa_sda_cash_flows(2_500_000.0, 6.75, 6.50, 300, 60, 225, 300, 0.35, lag, advancing)
    for col in COLUMNS:
        expected = np.array([r[col] for r in rows])
        np.testing.assert_allclose(getattr(cf, col), expected, rtol=0, atol=1e-6, err_msg=col)
