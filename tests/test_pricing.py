"""Note pricing end to end: holder cash flows against hand calculations, IRRs
against closed forms and a published example, the three bids against their
definitions, outcome probabilities, the tape loan by loan, and the
projection's own tables left bit for bit as they are.

Expected values are independent of the code under test: closed forms, sums
written out by hand from the documented accounting (README, "Pricing a note
or a tape"), numpy-financial's IRR, or the definitions of the bids.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy_financial as npf
import pytest

import engine
from engine.analytics.irr import CONVERGED, irr
from engine.kernels.holder import RESOLUTION_NAMES
from engine.models import holder as model_holder

from state_helpers import ALL_OFF, merge, state_config

REPO = Path(__file__).resolve().parents[1]

FLAT = {"drift": 0.0, "volatility": 0.0}


def pricing_config(loans, *, paths=20, price=100.0, costs=0.0, fees=(0.0, 0.0), pricing=None, **kw) -> dict:
    """A pricing config on inline loans, flat home prices."""
    cfg = state_config(loans, integration="sampled", paths=paths, hpi=kw.pop("hpi", FLAT), **kw)
    cfg["purchase"] = {"price": price, "costs": costs}
    cfg["holder_costs"] = {"servicing_performing_monthly": fees[0], "servicing_nonperforming_monthly": fees[1]}
    cfg["pricing"] = pricing or {"required_yield": 0.12}
    return cfg


def assert_identical(got, want, label=""):
    """Two Arrow tables with the same columns, floats equal to the bit (NaNs included)."""
    assert got.column_names == want.column_names, label
    for name in want.column_names:
        a = got.column(name).to_numpy(zero_copy_only=False)
        b = want.column(name).to_numpy(zero_copy_only=False)
        if b.dtype.kind == "f":
            assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), f"{label}.{name}"
        else:
            assert list(a) == list(b), f"{label}.{name}"


def note(**kw) -> dict:
    row = {"loan_id": "N1", "balance": 100_000.0, "note_rate": 0.07, "remaining_term": 120, "property_value": 150_000.0}
    row.update(kw)
    return row


# --------------------------------------------------------------------------
# IRR of notes with known answers


@pytest.mark.parametrize("rate, term", [(0.03, 360), (0.07, 120), (0.125, 60)])
def test_performing_note_bought_at_par_earns_its_note_rate_on_every_path(rate, term):
    """No delinquency, no prepayment, no costs, bought at par: every path's
    flows are the level payment, so IRR = (1 + r/12)^12 - 1 (30/360)."""
    cfg = pricing_config(
        [note(note_rate=rate, remaining_term=term)], paths=30, state_model=ALL_OFF,
    )
    r = engine.run(cfg)
    paths = r.tables["paths"]
    c = rate / 12.0
    expected = (1.0 + c) ** 12 - 1.0
    assert set(paths.column("irr_status").to_pylist()) == {"converged"}
    # each month's cash is booked as two amounts rounded to ticks of 1e-4, so
    # it is off by at most 1e-4; to first order that moves the monthly IRR by
    # at most sum|e_k| v^k / sum k CF_k v^(k+1), v = 1/(1 + c)
    k = np.arange(1, term + 1)
    payment = 100_000.0 * c / (1 - (1 + c) ** -term)
    tol = 1e-4 * np.sum((1 + c) ** -k) / np.sum(k * payment * (1 + c) ** -(k + 1.0))
    np.testing.assert_allclose(paths.column("irr_monthly").to_numpy(), c, rtol=0, atol=tol)
    tol_annual = 12 * (1 + c) ** 11 * tol
    np.testing.assert_allclose(paths.column("irr").to_numpy(), expected, rtol=0, atol=tol_annual)
    assert set(paths.column("outcome").to_pylist()) == {"performing"}
    assert set(paths.column("months_to_resolution").to_pylist()) == {term}
    s = r.summary.to_pylist()[0]
    assert s["irr_mean"] == pytest.approx(expected, abs=tol_annual)
    assert s["irr_p01"] == pytest.approx(expected, abs=tol_annual)
    assert s["p_irr_below_zero"] == 0.0


def test_published_reperforming_example_end_to_end():
    """Pay 27,306 for 96 payments of 476.29: 14.125% nominal, 1.1771% a month
    (the published re-performing note example; solver part in test_irr.py).
    The note: 96 months left at 8% on the balance whose level payment is 476.29."""
    c = 0.08 / 12
    balance = round(476.29 * (1 - (1 + c) ** -96) / c, 2)
    row = note(balance=balance, note_rate=0.08, remaining_term=96, asking_price=27_306.0)
    r = engine.run(pricing_config([row], paths=5, state_model=ALL_OFF))
    flows = r.details["tape_flows"]
    paid = flows[0, :96]
    np.testing.assert_allclose(paid, 476.29, rtol=0, atol=1e-3)
    assert not flows[:, 96:].any()
    monthly = np.asarray(r.tables["paths"].column("irr_monthly").to_numpy())
    assert np.all(np.abs(monthly - 0.011771) <= 0.5e-6)  # 1.1771% to the printed digit
    assert np.all(np.abs(12 * monthly - 0.14125) <= 0.5e-5)  # 14.125% nominal
    bids = r.tables["bids"].to_pylist()[0]
    assert bids["asking_price"] == 27_306.0 and bids["asking_price_pct_upb"] == pytest.approx(100 * 27_306 / balance)


# --------------------------------------------------------------------------
# holder cash flows by hand, one outcome each


def one_path(loan: dict, state_model: dict, fees=(25.0, 95.0), **kw):
    r = engine.run(
        pricing_config([loan], paths=1, price=50.0, fees=fees, state_model=merge(ALL_OFF, state_model), **kw)
    )
    flows = r.details["tape_flows"][0]
    values = r.details["values"]
    return flows, RESOLUTION_NAMES[int(values.outcome[0, 0])], int(values.resolved[0, 0]), r


def test_prepayment_in_month_one_is_performing():
    flows, outcome, month, _ = one_path(note(), {}, prepay={"model": "smm", "rate": 1.0})
    # P&I of month 1 and the rest of the balance: B (1 + r/12), less the performing fee
    assert flows[0] == pytest.approx(100_000.0 * (1 + 0.07 / 12) - 25.0, abs=1e-3)
    assert not flows[1:].any()
    assert (outcome, month) == ("performing", 1)


def test_reo_sale_is_foreclosure_with_costs_and_capped_proceeds():
    """An REO property sold after 2 months at value x (1 - 8%) x (1 - 15%)."""
    loan = note(status="reo", balance=150_000.0, arrears=5_000.0, property_value=180_000.0)
    sm = {"reo": {"months": 2, "holding_cost_monthly": 250.0, "selling_cost": 0.08, "sale_discount": 0.15},
          "advances": {"taxes_insurance_rate": 0.015}}
    flows, outcome, month, r = one_path(loan, sm)
    ti = 180_000.0 * 0.015 / 12  # 225
    proceeds = 180_000.0 * 0.92 * 0.85  # 140,760 < debt
    m1, m2 = -(ti + 250.0) - 95.0, -(ti + 250.0) + proceeds - 95.0
    assert flows[0] == pytest.approx(m1, abs=1e-3)
    assert flows[1] == pytest.approx(m2, abs=1e-3)
    assert not flows[2:].any()
    assert (outcome, month) == ("foreclosure", 2)
    # bought at 50% of UPB: the IRR of [-75,000, m1, m2]
    expected = npf.irr([-75_000.0, m1, m2])
    assert r.tables["paths"].column("irr_monthly")[0].as_py() == pytest.approx(expected, abs=1e-9)
    assert r.tables["paths"].column("irr")[0].as_py() == pytest.approx((1 + expected) ** 12 - 1, rel=1e-8)


def test_reo_sale_proceeds_are_capped_at_the_debt():
    loan = note(status="reo", balance=100_000.0, arrears=1_000.0, property_value=400_000.0)
    sm = {"reo": {"months": 1, "holding_cost_monthly": 200.0, "selling_cost": 0.0, "sale_discount": 0.0},
          "advances": {"taxes_insurance_rate": 0.0}}
    flows, outcome, month, _ = one_path(loan, sm)
    # debt = balance + arrears + this month's holding cost; the surplus goes to the borrower
    assert flows[0] == pytest.approx(-200.0 + (100_000.0 + 1_000.0 + 200.0) - 95.0, abs=1e-3)
    assert (outcome, month) == ("foreclosure", 1)


def test_foreclosure_sale_then_reo_sale():
    loan = note(status="dq90+", payments_behind=4, arrears=2_000.0, property_value=90_000.0)
    sm = {"delinquency": {"dq90": {"to_foreclosure": 1.0}}, "foreclosure": {"months": 0},
          "reo": {"months": 1, "holding_cost_monthly": 250.0, "selling_cost": 0.08, "sale_discount": 0.15},
          "advances": {"taxes_insurance_rate": 0.012}}
    flows, outcome, month, _ = one_path(loan, sm)
    ti = 90_000.0 * 0.012 / 12  # 90: advanced from dq90+
    assert flows[0] == pytest.approx(-ti - 95.0, abs=1e-3)  # referral and foreclosure sale in month 1
    assert flows[1] == pytest.approx(-(ti + 250.0) + 90_000.0 * 0.92 * 0.85 - 95.0, abs=1e-3)
    assert (outcome, month) == ("foreclosure", 2)


def test_deed_in_lieu_is_its_own_outcome():
    loan = note(status="dq90+", payments_behind=3, arrears=1_750.0, property_value=90_000.0)
    sm = {"delinquency": {"dq90": {"deed_in_lieu": 1.0}}, "deed_in_lieu": {"cost": 3_000.0},
          "reo": {"months": 1, "holding_cost_monthly": 250.0, "selling_cost": 0.08, "sale_discount": 0.15},
          "advances": {"taxes_insurance_rate": 0.0}}
    flows, outcome, month, _ = one_path(loan, sm)
    assert flows[0] == pytest.approx(-3_000.0 - 95.0, abs=1e-3)  # cash for keys
    assert flows[1] == pytest.approx(-250.0 + 90_000.0 * 0.92 * 0.85 - 95.0, abs=1e-3)
    assert (outcome, month) == ("deed_in_lieu", 2)


def test_modified_loan_that_pays_off_is_modified():
    """dq60 -> modified in month 1 (arrears capitalised, 10% forborne), then
    prepaid in month 2 with the deferred balance."""
    b, arrears = 100_000.0, 1_200.0
    loan = note(status="dq60", payments_behind=2, arrears=arrears, note_rate=0.07)
    sm = {"delinquency": {"dq60": {"modification": 1.0}},
          "modification": {"rate_cut": 0.02, "rate_floor": 0.03, "term_months": 480, "forbearance": 0.10}}
    flows, outcome, month, _ = one_path(loan, sm, prepay={"model": "smm", "rate": 1.0})
    total = b + arrears
    mod_rate = 0.05  # min(7%, max(3%, 7% - 2%))
    assert flows[0] == pytest.approx(-95.0, abs=1e-3)  # the modification books no cash
    assert flows[1] == pytest.approx(0.9 * total * (1 + mod_rate / 12) + 0.1 * total - 25.0, abs=1e-3)
    assert (outcome, month) == ("modified", 2)


def test_live_at_the_horizon_is_unresolved():
    flows, outcome, month, r = one_path(note(), {}, horizon=12)
    payment = 100_000.0 * (0.07 / 12) / (1 - (1 + 0.07 / 12) ** -120)
    np.testing.assert_allclose(flows, payment - 25.0, atol=1e-3)
    assert (outcome, month) == ("unresolved", 12)
    assert r.tables["outcomes"].to_pylist()[-1]["probability"] == 1.0


def test_holder_fees_are_charged_each_live_month():
    """Equal performing and non-performing fees f: the tape's flows fall by f
    for each loan and month it is live at the month's start."""
    base = load_npl(12)
    with_fees = load_npl(12, fees=(40.0, 40.0))
    values = base.details["values"]
    drop = base.details["tape_flows"].sum(axis=1) - with_fees.details["tape_flows"].sum(axis=1)
    np.testing.assert_allclose(drop, 40.0 * values.resolved.sum(axis=0), rtol=0, atol=1e-6)


def test_holder_cash_adds_up_to_the_projection_total_cash_flow():
    """Without holder fees the tape's holder flows are the state model's
    total_cash_flow path by path (one formula, two homes: pinned here)."""
    r = load_npl(12)
    kept = r.details["sums"].kept["total_cash_flow"]
    np.testing.assert_allclose(r.details["tape_flows"], kept, rtol=0, atol=1e-6)


# --------------------------------------------------------------------------
# the NPL tape


def load_npl(paths: int, *extra: str, fees=(0.0, 0.0)):
    return engine.run(
        REPO / "configs" / "npl_pool.yaml",
        [f"simulation.paths={paths}", f"holder_costs.servicing_performing_monthly={fees[0]}",
         f"holder_costs.servicing_nonperforming_monthly={fees[1]}", *extra],
    )


@pytest.fixture(scope="module")
def npl():
    return load_npl(24)


def test_pricing_leaves_the_projection_tables_bit_for_bit(npl):
    proj = engine.run(REPO / "configs" / "npl_pool.yaml", ["simulation.paths=24", "analysis=projection"])
    for name in ("cashflows", "cashflow_quantiles", "loans"):
        assert_identical(npl.tables[name], proj.tables[name], name)
    for name in ("summary", "paths"):
        got, want = npl.tables[name], proj.tables[name]
        assert_identical(got.select(want.column_names), want, name)


def test_results_do_not_depend_on_chunks_or_loan_blocks(npl, monkeypatch):
    monkeypatch.setattr(model_holder, "HOLDER_BLOCK_BYTES", 100 * 554 * 8 * 5)  # 100 loans x 5 paths
    monkeypatch.setattr(model_holder, "MIN_CHUNK_PATHS", 1)
    again = load_npl(24, "simulation.chunk_paths=7")
    for name in ("summary", "paths", "bids", "outcomes", "cashflows", "loans"):
        assert_identical(again.tables[name], npl.tables[name], name)


def test_outcome_probabilities_sum_to_one(npl):
    outcomes = npl.tables["outcomes"].to_pylist()
    assert [o["outcome"] for o in outcomes] == list(RESOLUTION_NAMES)
    assert sum(o["probability"] for o in outcomes) == pytest.approx(1.0, abs=1e-12)
    bids = npl.tables["bids"]
    total = sum(np.asarray(bids.column(f"p_{name}").to_numpy()) for name in RESOLUTION_NAMES)
    np.testing.assert_allclose(total, 1.0, atol=1e-12)


def test_tape_bids_are_the_sum_of_loan_bids_where_linear(npl):
    """(a) and (b) are means of PVs, linear in the flows: the tape's bid is
    the sum of its loans' (the costs too); (c), a quantile, is not."""
    s = npl.summary.to_pylist()[0]
    bids = npl.tables["bids"]
    for name in ("bid_at_yield", "bid_by_outcome"):
        assert s[name] == pytest.approx(float(np.sum(bids.column(name).to_numpy())), rel=1e-9)
    upb = float(np.sum(bids.column("upb").to_numpy()))
    assert s["bid_at_yield_pct_upb"] == pytest.approx(100 * s["bid_at_yield"] / upb)
    assert s["purchase_price"] == pytest.approx(0.55 * upb) and s["purchase_costs"] == 1500.0 * bids.num_rows
    ask_above = np.asarray(bids.column("asking_price").to_numpy()) > np.asarray(bids.column("bid_at_yield").to_numpy())
    assert bids.column("ask_above_bid").to_pylist() == ask_above.tolist()
    assert s["loans_ask_above_bid"] == int(ask_above.sum())


def test_tape_paths_irr_profit_and_outcome(npl):
    paths = npl.tables["paths"]
    flows = npl.details["tape_flows"]
    s = npl.summary.to_pylist()[0]
    outlay = s["purchase_price"] + s["purchase_costs"]
    np.testing.assert_allclose(paths.column("profit").to_numpy(), flows.sum(axis=1) - outlay, rtol=1e-12)
    for k in (0, 5):  # NPV at the path's monthly IRR is 0 (relative to the gross flows)
        full = np.concatenate([[-outlay], flows[k]])
        v = (1.0 + paths.column("irr_monthly")[k].as_py()) ** -np.arange(full.size)
        assert abs(full @ v) <= 1e-10 * (np.abs(full) @ v)
    assert set(paths.column("outcome").to_pylist()) <= set(RESOLUTION_NAMES) | {"mixed"}
    values = npl.details["values"]
    assert paths.column("months_to_resolution").to_pylist() == values.resolved.max(axis=0).tolist()


# --------------------------------------------------------------------------
# the three bids on one non-performing note


@pytest.fixture(scope="module")
def npl_note():
    return engine.run(REPO / "configs" / "note.yaml", ["simulation.paths=400"])


def test_bid_at_yield_gives_back_the_required_yield(npl_note):
    """Bought at bid (a), the mean path's flows earn the required yield."""
    s = npl_note.summary.to_pylist()[0]
    costs = s["purchase_costs"]
    mean_flows = npl_note.details["tape_flows"].mean(axis=0)
    full = np.concatenate([[-(s["bid_at_yield"] + costs)], mean_flows])
    res = irr(full)
    assert res.status == CONVERGED
    assert float(res.annual) == pytest.approx(0.12, abs=1e-9)
    k = np.arange(1, mean_flows.size + 1)
    assert float(mean_flows @ 1.12 ** (-k / 12)) == pytest.approx(s["bid_at_yield"] + costs, rel=1e-12)


def test_bid_by_outcome_weights_each_outcome_at_its_yield(npl_note):
    s = npl_note.summary.to_pylist()[0]
    flows = npl_note.details["tape_flows"]
    names = np.array(npl_note.tables["paths"].column("outcome").to_pylist())
    yields = {"performing": 0.10, "modified": 0.12, "deed_in_lieu": 0.15, "foreclosure": 0.18, "unresolved": 0.18}
    k = np.arange(1, flows.shape[1] + 1)
    expected = -s["purchase_costs"]
    for name, y in yields.items():
        rows = names == name
        if rows.any():
            expected += rows.mean() * float((flows[rows] @ (1 + y) ** (-k / 12)).mean())
    assert s["bid_by_outcome"] == pytest.approx(expected, rel=1e-10)


def test_bid_at_confidence_meets_the_confidence_and_two_percent_more_does_not(npl_note):
    s = npl_note.summary.to_pylist()[0]
    flows = npl_note.details["tape_flows"]
    costs = s["purchase_costs"]

    def share_earning_hurdle(price):
        full = np.concatenate([np.full((flows.shape[0], 1), -(price + costs)), flows], axis=1)
        res = irr(full)
        assert (res.status == CONVERGED).all()
        return float(np.mean(res.annual >= 0.10 - 1e-9))

    bid = s["bid_at_confidence"]
    assert share_earning_hurdle(bid) >= 0.80
    assert share_earning_hurdle(1.02 * bid) < 0.80


def test_note_outputs_and_path_cashflows(npl_note):
    t = npl_note.tables
    assert set(t) == {"summary", "cashflows", "cashflow_quantiles", "paths", "outcomes", "bids", "path_cashflows"}
    pc = t["path_cashflows"]
    H = npl_note.summary.column("horizon")[0].as_py()
    assert pc.num_rows == 400 * (H + 1)
    s = npl_note.summary.to_pylist()[0]
    month0 = np.asarray(pc.column("cash_flow").to_numpy())[:: H + 1]
    np.testing.assert_array_equal(month0, -(99_000.0 + 1_500.0))
    np.testing.assert_array_equal(
        np.asarray(pc.column("cash_flow").to_numpy()).reshape(400, H + 1)[:, 1:], npl_note.details["tape_flows"]
    )
    b = t["bids"].to_pylist()[0]
    assert b["total_debt"] == pytest.approx(180_000 + 12_075 + 4_200)
    assert s["bid_at_yield_pct_debt"] == pytest.approx(100 * s["bid_at_yield"] / b["total_debt"])
    assert s["bid_at_yield_pct_value"] == pytest.approx(100 * s["bid_at_yield"] / 260_000)
    assert b["irr_mean_at_ask"] == pytest.approx(s["irr_mean"], rel=1e-12)  # one loan: the note is the tape
    for name in ("bid_at_yield", "bid_by_outcome", "bid_at_confidence"):
        assert b[name] == pytest.approx(s[name], rel=1e-12), name


def test_antithetic_pairs_are_one_sample_in_the_standard_errors():
    r = engine.run(REPO / "configs" / "note.yaml", ["simulation.paths=60", "economy.hpi.antithetic=true"])
    s = r.summary.to_pylist()[0]
    flows = r.details["tape_flows"]
    k = np.arange(1, flows.shape[1] + 1)
    pair_means = (flows @ 1.12 ** (-k / 12)).reshape(30, 2).mean(axis=1)
    assert s["bid_at_yield_se"] == pytest.approx(pair_means.std(ddof=1) / np.sqrt(30), rel=1e-9)


# --------------------------------------------------------------------------
# prices from the tape


def test_asking_price_column_wins_over_purchase_price_and_nulls_fall_back():
    rows = [note(loan_id="A", asking_price=40_000.0), note(loan_id="B", asking_price=None)]
    r = engine.run(pricing_config(rows, paths=4, price=60.0, state_model=ALL_OFF))
    assert r.tables["bids"].column("asking_price").to_pylist() == [40_000.0, 60_000.0]


def test_block_shape_never_holds_more_than_the_block_budget():
    for loans, paths, horizon, chunk in [(500, 2000, 553, 64), (10_000, 1000, 720, 64), (1, 5, 100, 64)]:
        p, n = model_holder.block_shape(loans, paths, horizon, chunk)
        assert 1 <= p <= min(paths, chunk) and 1 <= n <= loans
        assert p * n * (horizon + 1) * 8 <= max(model_holder.HOLDER_BLOCK_BYTES, p * (horizon + 1) * 8)


def test_cli_table_shows_the_bids_and_the_irr_percentiles(tmp_path, capsys):
    from engine.cli import main

    out = tmp_path / "note"
    assert main(["run", str(REPO / "configs" / "note.yaml"), "--set", "simulation.paths=40", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    for key in ("bid_at_yield", "bid_by_outcome", "bid_at_confidence", "irr_mean", "irr_p01", "irr_p50", "irr_p99",
                "p_irr_below_hurdle", "% UPB"):
        assert key in text, key
    names = {p.name for p in out.iterdir()}
    assert {"outcomes.parquet", "bids.parquet", "path_cashflows.parquet", "run.json"} <= names


def test_the_summary_lists_the_irr_percentiles_and_bids_the_run_computes():
    """columns.py spells out the percentiles (it imports nothing of the
    kernels); they are the ones engine.analytics.irr computes."""
    from engine.analytics.irr import PERCENTILES
    from engine.output.columns import BID_NAMES, PRICING_SUMMARY

    assert [k for k in PRICING_SUMMARY if k.startswith("irr_p")] == [f"irr_p{p:02d}" for p in PERCENTILES]
    assert BID_NAMES == ("bid_at_yield", "bid_by_outcome", "bid_at_confidence")
    assert [k for k in PRICING_SUMMARY if k in BID_NAMES] == list(BID_NAMES)
