"""The standard model's summary and rate columns, end to end through ``engine.run``.

- SIFMA SF-50/51: the GNMA I 9% par example (9.5% gross, 150% PSA, new
  30-year loans, 14 days actual delay, price 100), written as a config,
  reproduces the printed yield, mortgage yield, average life, Macaulay and
  modified duration and convexity to their printed digits.
- Every other summary figure is recomputed from a plain-Python SIFMA SF C.3
  projection (``tests/reference/naive_sifma.py``) loan by loan, and the tape
  statistics from the rows: cumulative defaults and losses (losses are the
  principal written off, not the liquidated balance), their percentages of
  the starting balance, WAL over scheduled, prepaid and recovered principal
  (advanced scheduled principal of loans in foreclosure included),
  total principal and interest, balance-weighted WAC/net WAC/WAM/WALA, the
  pool SMM and MDR columns, and the yield measures at the configured delay
  (``tests/reference/output_measures.py``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import engine
from state_helpers import col
from tests.reference import naive_sifma as naive
from tests.reference import output_measures as ref

DATA = Path(__file__).parent / "data"


def sf50_config(**valuation) -> dict:
    ex = json.loads((DATA / "sifma_yield_examples.json").read_text())["SF-50_G1_gnma_par_yield"]["inputs"]
    val = {"price": ex["price_incl_accrued"], "delay_days": ex["actual_delay_days"]}
    val.update(valuation)
    return {
        "name": "sifma-sf50-gnma",
        "loans": [{"loan_id": "GNMA-I-9", "balance": 1_000_000.0, "note_rate": ex["gross_coupon_pct"] / 100,
                   "servicing_fee": (ex["gross_coupon_pct"] - ex["net_coupon_pct"]) / 100,
                   "remaining_term": ex["term_months"], "age": ex["age_months"]}],
        "assumptions": {"prepay": {"model": "psa", "speed": ex["psa_pct"]}},
        "valuation": val,
    }


def test_sifma_sf50_gnma_par_example_through_run():
    """SF-50/51, printed: yield 9.10675 (BEY), mortgage yield 8.93863, average life
    9.77844, Macaulay 5.73147, modified 5.48186, convexity 54.4326."""
    ex = json.loads((DATA / "sifma_yield_examples.json").read_text())["SF-50_G1_gnma_par_yield"]["outputs"]
    s = engine.run(sf50_config()).summary.to_pylist()[0]
    assert s["price"] == 100.0
    assert 100 * s["yield_bey"] == pytest.approx(ex["yield_bey_pct"], abs=5e-6)
    assert 100 * s["mortgage_yield"] == pytest.approx(ex["mortgage_yield_pct"], abs=5e-6)
    assert s["average_life"] == pytest.approx(ex["average_life_years"], abs=5e-6)
    assert s["macaulay_duration"] == pytest.approx(ex["macaulay_duration_years"], abs=5e-6)
    assert s["modified_duration"] == pytest.approx(ex["modified_duration_years"], abs=5e-6)
    assert s["convexity"] == pytest.approx(ex["cash_flow_convexity_years2"], abs=5e-5)
    # WAL counts months from settlement without the delay; the average life adds it
    assert s["wal"] == pytest.approx(s["average_life"] - 14 / 360, abs=1e-12)
    # and the other way: at SIFMA's mortgage yield the price is par
    back = engine.run(sf50_config(price=None, **{"yield": ex["mortgage_yield_pct"] / 100})).summary.to_pylist()[0]
    assert back["price"] == pytest.approx(100.0, abs=5e-5)


LOANS = [
    {"loan_id": "A", "balance": 3_000_000.0, "note_rate": 0.0675, "servicing_fee": 0.0025, "remaining_term": 300,
     "age": 60},
    {"loan_id": "B", "balance": 1_200_000.0, "note_rate": 0.0525, "servicing_fee": 0.005, "remaining_term": 348,
     "age": 12},
    {"loan_id": "C", "balance": 600_000.0, "note_rate": 0.0450, "servicing_fee": 0.0025, "remaining_term": 180,
     "age": 180},
]
PSA, SDA, SEVERITY, LAG = 175.0, 250.0, 0.35, 9


def pool_config(advancing: bool, **valuation) -> dict:
    return {
        "name": "std-pool",
        "loans": LOANS,
        "assumptions": {"prepay": {"model": "psa", "speed": PSA}, "default": {"model": "sda", "speed": SDA},
                        "loss": {"severity": SEVERITY, "liquidation_lag": LAG, "advancing": advancing}},
        "valuation": valuation or {"price": 101.5, "delay_days": 24},
    }


def naive_pool(advancing: bool) -> dict[str, np.ndarray]:
    """SIFMA SF C.3 by loan (plain Python), summed over the pool, plus each
    month's prepayment base PERF(i-1) x SCH(i)/SCH(i-1) and default base PERF(i-1)."""
    n = max(loan["remaining_term"] for loan in LOANS)
    out: dict[str, np.ndarray] = {}

    def add(name, values):
        v = np.zeros(n)
        v[: len(values)] = values
        out[name] = out.get(name, np.zeros(n)) + v

    for loan in LOANS:
        rows = naive.psa_sda_cash_flows(loan["balance"], 100 * loan["note_rate"],
                                        100 * (loan["note_rate"] - loan["servicing_fee"]), loan["remaining_term"],
                                        loan["age"], PSA, SDA, SEVERITY, LAG, advancing)
        for name in rows[0]:
            if name != "month":
                add(name, [r[name] for r in rows])
        prev = [loan["balance"]] + [r["performing_balance"] for r in rows[:-1]]
        sch_prev = [1.0] + [r["amort_factor"] for r in rows[:-1]]
        sch0 = naive.amortized_balance(100 * loan["note_rate"], loan["age"] + loan["remaining_term"], loan["age"])
        sch_prev[0] = sch0
        add("prepay_base", [p * r["amort_factor"] / s for p, r, s in zip(prev, rows, sch_prev)])
        add("default_base", prev)
        # the interest that reaches the holder: advanced on defaulted loans when advancing is on
        add("holder_interest", [r["expected_interest"] if advancing else r["actual_interest"] for r in rows])
    return out


@pytest.mark.parametrize("advancing", [True, False])
def test_summary_and_rate_columns_from_a_plain_sifma_projection(advancing):
    r = engine.run(pool_config(advancing))
    s = r.summary.to_pylist()[0]
    nv = naive_pool(advancing)
    bal = np.array([loan["balance"] for loan in LOANS])
    w = bal / bal.sum()
    start = float(bal.sum())

    # tape statistics: current-balance weighted
    assert s["n_loans"] == 3 and s["balance"] == start
    assert s["wac"] == pytest.approx(float(np.dot(w, [x["note_rate"] for x in LOANS])), rel=1e-13)
    assert s["net_wac"] == pytest.approx(float(np.dot(w, [x["note_rate"] - x["servicing_fee"] for x in LOANS])),
                                         rel=1e-13)
    assert s["wam"] == pytest.approx(float(np.dot(w, [x["remaining_term"] for x in LOANS])), rel=1e-13)
    assert s["wala"] == pytest.approx(float(np.dot(w, [x["age"] for x in LOANS])), rel=1e-13)

    # defaults and losses: losses are principal written off (severity x defaulted balance,
    # capped at the liquidated balance), not the liquidated balance itself
    defaults, losses = nv["new_defaults"].sum(), nv["principal_loss"].sum()
    assert losses < 0.9 * nv["amortized_default_balance"].sum()  # the two differ here
    assert s["cumulative_defaults"] == pytest.approx(defaults, rel=1e-9)
    assert s["cumulative_losses"] == pytest.approx(losses, rel=1e-9)
    assert s["cumulative_losses"] == pytest.approx(col(r.cashflows, "principal_loss").sum(), rel=1e-12)
    assert s["cumulative_defaults_pct"] == pytest.approx(100 * defaults / start, rel=1e-9)
    assert s["cumulative_losses_pct"] == pytest.approx(100 * losses / start, rel=1e-9)

    # principal = scheduled (paid and advanced) + prepaid + recovered
    principal = (nv["actual_amortization"] + nv["amortization_from_defaults"] + nv["voluntary_prepayments"]
                 + nv["principal_recovery"])
    assert nv["principal_recovery"].sum() > 0.01 * principal.sum()
    np.testing.assert_allclose(col(r.cashflows, "total_principal"), principal, rtol=0, atol=1e-6)
    assert s["wal"] == pytest.approx(float(ref.wal(principal)), rel=1e-10)
    assert s["total_principal"] == pytest.approx(principal.sum(), rel=1e-10)
    cash = principal + nv["holder_interest"]
    assert s["total_interest"] == pytest.approx(nv["holder_interest"].sum(), rel=1e-10)
    np.testing.assert_allclose(col(r.cashflows, "total_cash_flow"), cash, rtol=0, atol=1e-6)
    # principal in, principal out
    assert principal.sum() + losses == pytest.approx(start, rel=1e-10)

    # pool rates: prepayments over the amortised performing balance, defaults over the performing balance
    with np.errstate(invalid="ignore", divide="ignore"):
        smm = np.where(nv["prepay_base"] > 0, nv["voluntary_prepayments"] / nv["prepay_base"], 0.0)
        mdr = np.where(nv["default_base"] > 0, nv["new_defaults"] / nv["default_base"], 0.0)
    np.testing.assert_allclose(col(r.cashflows, "smm"), smm, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(col(r.cashflows, "mdr"), mdr, rtol=1e-9, atol=1e-12)
    assert np.ptp(smm[:60]) > 1e-4 and np.ptp(mdr[:60]) > 1e-5  # the pool's mix moves these

    # yield measures at the configured price and delay
    face, delay = start, 24
    y = s["mortgage_yield"]
    assert float(ref.pv(cash, y, delay)) == pytest.approx(1.015 * face, rel=1e-11)
    assert y == pytest.approx(ref.yield_at_pv(cash, 1.015 * face, delay), abs=1e-10)
    for key, value in ref.sifma_measures(cash, principal, face, y, delay).items():
        assert s[key] == pytest.approx(value, rel=1e-9), key


def test_delay_days_move_the_yield_as_documented():
    """The same flows at a longer delay are worth less: at one price, the yield
    falls; at one yield, the price falls by exactly the discount of the extra days."""
    y0 = engine.run(pool_config(True, price=100.0, delay_days=0)).summary.to_pylist()[0]
    y24 = engine.run(pool_config(True, price=100.0, delay_days=24)).summary.to_pylist()[0]
    assert y24["mortgage_yield"] < y0["mortgage_yield"] - 5e-4
    assert y24["average_life"] == pytest.approx(y0["average_life"] + 24 / 360, rel=1e-12)
    p0 = engine.run(pool_config(True, **{"yield": 0.06, "delay_days": 0})).summary.to_pylist()[0]
    p19 = engine.run(pool_config(True, **{"yield": 0.06, "delay_days": 19})).summary.to_pylist()[0]
    assert p19["price"] == pytest.approx(p0["price"] * (1 + 0.06 / 12) ** (-19 / 30), rel=1e-12)
    assert p19["macaulay_duration"] == pytest.approx(p0["macaulay_duration"] + 19 / 360, rel=1e-12)


def test_cpr_and_mdr_models_give_their_pool_rates():
    """Flat assumptions: the pool SMM and MDR columns are the model's own rates
    in every month in which every loan can still prepay and default."""
    cpr, mdr_rate = 0.12, 0.004
    r = engine.run({"name": "flat", "loans": LOANS,
                    "assumptions": {"prepay": {"model": "cpr", "rate": cpr}, "default": {"model": "mdr", "rate": mdr_rate},
                                    "loss": {"severity": 0.3, "liquidation_lag": 6}}})
    last = min(x["remaining_term"] for x in LOANS) - 6
    np.testing.assert_allclose(col(r.cashflows, "smm")[:last], 1 - (1 - cpr) ** (1 / 12), rtol=1e-12)
    np.testing.assert_allclose(col(r.cashflows, "mdr")[:last], mdr_rate, rtol=1e-12)
