"""The state model's reported numbers, recomputed from per-path cash flows.

The kernel's per-path, per-month columns (``state_helpers.per_path_columns``,
checked elsewhere to be the driver's own numbers) are the only input taken
from the engine. Every table the user reads -- ``cashflows`` (path means,
totals, ``smm``, ``roll_rate``), ``cashflow_quantiles``, ``paths``, ``loans``
and ``summary`` -- is recomputed here from the README's definitions
(``tests/reference/output_measures.py``) and compared with ``engine.run``:

- the holder's cash flow = scheduled principal + prepayments + net interest +
  arrears collected + deferred balance collected + sale proceeds - advances -
  legal, holding and deed-in-lieu costs; principal = scheduled + prepaid +
  deferred collected (forborne principal) + recovered;
- per-path PV at the valuation yield (given, or the yield at which the mean
  cash flows are worth the price) with ``t_k = (30 k + delay_days) / 360``;
  WAL; cumulative default (balance taken to REO); net loss; severity = net
  loss / liquidated balance;
- quantile rows by (month, q), increasing in q;
- outcome probabilities per loan (from each path's events) and their
  current-balance-weighted pool averages;
- ``pv_std`` = the (population) standard deviation of the path PVs; the
  summary's yield measures of the mean cash flows at the configured delay.

Small configs (12 NPL loans, tens of paths, 10 years), both integrations,
yield and price valuations, a volatile home-price index so that paths differ.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pytest

import engine
from engine.inputs.sample import npl_tape

from state_helpers import ALL_OFF, COLUMN, NO_COSTS, col, merge, per_path_columns, state_config
from tests.reference import output_measures as ref

H = 120  # months
PREPAY = {"model": "turnover", "base_cpr": 0.06, "refi_max_cpr": 0.15}
HPI = {"drift": 0.0, "volatility": 0.08}
QUANTILES = [0.05, 0.25, 0.5, 0.75, 0.95]
QUANTILE_COLUMNS = ("total_cash_flow", "total_principal", "interest", "net_loss", "liquidations", "performing_balance")
OUTCOMES = ("prepaid", "matured", "liquidated", "deed_in_lieu", "foreclosure_sale", "modified")
ROWS = npl_tape(12, seed=17).to_pylist()  # every status: current .. reo

# integration, paths, valuation
CASES = {
    "expected-yield": ("expected", 24, {"yield": 0.09, "delay_days": 24}),
    "sampled-yield": ("sampled", 40, {"yield": 0.09, "delay_days": 24}),
    "sampled-price": ("sampled", 40, {"price": 85.0, "delay_days": 19}),
    "expected-price": ("expected", 24, {"price": 70.0, "delay_days": 14}),
}


def config(case: str) -> dict:
    integration, paths, valuation = CASES[case]
    return state_config(ROWS, integration=integration, paths=paths, seed=5, horizon=H, prepay=PREPAY, hpi=HPI,
                        chunk_paths=7, valuation=valuation, output={"loans": True, "quantiles": QUANTILES})


@lru_cache(maxsize=None)
def case_run(case: str):
    cfg = config(case)
    return engine.run(cfg), per_path_columns(cfg, ROWS)


def g(x: np.ndarray, name: str) -> np.ndarray:
    return x[..., COLUMN[name]]


def holder_flows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(cash, principal) to the holder by path and month, from the booked columns."""
    principal = (g(x, "scheduled_principal") + g(x, "voluntary_prepayments") + g(x, "deferred_collected")
                 + g(x, "principal_recovery"))
    cash = (g(x, "scheduled_principal") + g(x, "voluntary_prepayments") + g(x, "interest")
            + g(x, "arrears_collected") + g(x, "deferred_collected") + g(x, "liquidation_proceeds")
            - g(x, "advances") - g(x, "legal_costs") - g(x, "holding_costs") - g(x, "deed_in_lieu_costs"))
    return cash, principal


def face() -> float:
    return float(sum(r["balance"] for r in ROWS))


def valuation_yield(case: str, mean_cash: np.ndarray) -> float:
    _, _, val = CASES[case]
    if "yield" in val:
        return val["yield"]
    return ref.yield_at_pv(mean_cash, val["price"] / 100.0 * face(), val["delay_days"])


CASE_IDS = sorted(CASES)


# --------------------------------------------------------------------------
# cashflows.parquet


@pytest.mark.parametrize("case", CASE_IDS)
def test_monthly_table_is_the_path_mean(case):
    r, x = case_run(case)
    cf = r.cashflows
    assert cf.num_rows == H and list(col(cf, "month")) == list(range(1, H + 1))
    cash, principal = holder_flows(x)
    np.testing.assert_allclose(col(cf, "total_cash_flow"), cash.mean(axis=0), rtol=1e-12, atol=1e-8)
    np.testing.assert_allclose(col(cf, "total_principal"), principal.mean(axis=0), rtol=1e-12, atol=1e-8)
    gross = g(x, "interest") + g(x, "servicing_fee")  # interest at the note rate = net + servicing
    np.testing.assert_allclose(col(cf, "gross_interest"), gross.mean(axis=0), rtol=1e-12, atol=1e-8)
    for name in ("interest", "servicing_fee", "net_loss", "liquidations", "performing_balance", "reo_additions"):
        np.testing.assert_allclose(col(cf, name), g(x, name).mean(axis=0), rtol=1e-12, atol=1e-8, err_msg=name)
    assert col(cf, "liquidations").sum() > 0 and col(cf, "voluntary_prepayments").sum() > 0


@pytest.mark.parametrize("case", CASE_IDS)
def test_smm_and_roll_rate_from_the_monthly_table(case):
    """roll_rate(t) = new delinquencies(t) / current balance at the end of t - 1
    (month 0: the tape's current loans); smm in (0, 1) where current loans pay."""
    r, _ = case_run(case)
    cf = r.cashflows
    start_current = sum(row["balance"] for row in ROWS if row["status"] == "current" and row["payments_behind"] == 0)
    assert start_current > 0
    base = np.concatenate([[start_current], col(cf, "performing_balance")[:-1]])
    roll = np.where(base > 0, col(cf, "new_delinquencies") / np.where(base > 0, base, 1.0), 0.0)
    np.testing.assert_allclose(col(cf, "roll_rate"), roll, rtol=1e-9, atol=1e-12)
    assert col(cf, "roll_rate").max() > 0
    smm = col(cf, "smm")
    assert np.all((smm >= 0) & (smm < 1)) and smm.max() > 0
    # the prepayment base (current balance after scheduled principal) is at most the current balance
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = np.where(base > 0, col(cf, "voluntary_prepayments") / base, 0.0)
    assert np.all(smm >= lower - 1e-12)


# --------------------------------------------------------------------------
# paths.parquet


@pytest.mark.parametrize("case", CASE_IDS)
def test_paths_table_recomputed(case):
    r, x = case_run(case)
    paths = r.tables["paths"]
    n = x.shape[0]
    assert list(col(paths, "path")) == list(range(n))
    cash, principal = holder_flows(x)
    y = valuation_yield(case, cash.mean(axis=0))
    delay = CASES[case][2]["delay_days"]
    np.testing.assert_allclose(col(paths, "pv"), ref.pv(cash, y, delay), rtol=1e-9)
    np.testing.assert_allclose(col(paths, "wal"), ref.wal(principal), rtol=1e-12)
    np.testing.assert_allclose(col(paths, "cumulative_default"), g(x, "reo_additions").sum(axis=1), rtol=1e-12)
    loss, liq = g(x, "net_loss").sum(axis=1), g(x, "liquidations").sum(axis=1)
    np.testing.assert_allclose(col(paths, "cumulative_loss"), loss, rtol=1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        severity = np.where(liq > 0, loss / liq, np.nan)
    np.testing.assert_allclose(col(paths, "loss_severity"), severity, rtol=1e-12)
    assert np.isfinite(severity).sum() >= n // 2
    np.testing.assert_allclose(col(paths, "total_cash_flow"), cash.sum(axis=1), rtol=1e-12)
    assert np.std(col(paths, "pv")) > 0  # the paths really differ


# --------------------------------------------------------------------------
# cashflow_quantiles.parquet


@pytest.mark.parametrize("case", CASE_IDS)
def test_quantile_rows_recomputed_and_increasing(case):
    r, x = case_run(case)
    qt = r.tables["cashflow_quantiles"]
    assert qt.num_rows == H * len(QUANTILES)
    month, q = col(qt, "month"), col(qt, "quantile")
    cash, principal = holder_flows(x)
    per_path = {"total_cash_flow": cash, "total_principal": principal,
                **{name: g(x, name) for name in ("interest", "net_loss", "liquidations", "performing_balance")}}
    spread = {}
    for name in QUANTILE_COLUMNS:
        got = col(qt, name)
        rows = []
        for level in QUANTILES:
            sel = q == level
            assert sel.sum() == H
            order = np.argsort(month[sel])
            assert list(month[sel][order]) == list(range(1, H + 1))
            values = got[sel][order]
            np.testing.assert_allclose(values, ref.quantile(per_path[name], level), rtol=1e-12, atol=1e-7,
                                       err_msg=f"{name} q={level}")
            rows.append(values)
        rows = np.array(rows)  # (quantiles, months)
        assert np.all(np.diff(rows, axis=0) >= -1e-9), f"{name}: quantile rows do not increase with q"
        spread[name] = (rows[-1] - rows[0]).max()
    for name in ("total_cash_flow", "total_principal", "interest", "performing_balance"):
        assert spread[name] > 0, f"{name}: every quantile is the same; the check would prove nothing"


# --------------------------------------------------------------------------
# summary.parquet


@pytest.mark.parametrize("case", CASE_IDS)
def test_summary_recomputed(case):
    r, x = case_run(case)
    s = r.summary.to_pylist()[0]
    integration, n_paths, val = CASES[case]
    delay = val["delay_days"]
    F = face()
    w = np.array([row["balance"] for row in ROWS]) / F
    assert s["n_loans"] == len(ROWS) and s["balance"] == pytest.approx(F, rel=1e-15)
    assert (s["integration"], s["paths"], s["horizon"]) == (integration, n_paths, H)
    assert s["wac"] == pytest.approx(float(np.dot(w, [row["note_rate"] for row in ROWS])), rel=1e-12)
    assert s["net_wac"] == pytest.approx(
        float(np.dot(w, [row["note_rate"] - row["servicing_fee"] for row in ROWS])), rel=1e-12)
    assert s["wam"] == pytest.approx(float(np.dot(w, [row["remaining_term"] for row in ROWS])), rel=1e-12)
    assert s["wala"] == pytest.approx(float(np.dot(w, [row["age"] for row in ROWS])), rel=1e-12)

    cash, principal = holder_flows(x)
    mean_cash, mean_principal = cash.mean(axis=0), principal.mean(axis=0)
    defaults = g(x, "reo_additions").sum(axis=1).mean()
    losses = g(x, "net_loss").sum(axis=1).mean()
    liquidated = g(x, "liquidations").sum(axis=1).mean()
    assert s["wal"] == pytest.approx(float(ref.wal(mean_principal)), rel=1e-12)
    assert s["cumulative_defaults"] == pytest.approx(defaults, rel=1e-12)
    assert s["cumulative_losses"] == pytest.approx(losses, rel=1e-12)
    assert s["cumulative_defaults_pct"] == pytest.approx(100.0 * defaults / F, rel=1e-12)
    assert s["cumulative_losses_pct"] == pytest.approx(100.0 * losses / F, rel=1e-12)
    assert s["loss_severity"] == pytest.approx(losses / liquidated, rel=1e-12)
    assert s["total_principal"] == pytest.approx(float(mean_principal.sum()), rel=1e-12)
    assert s["total_cash_flow"] == pytest.approx(float(mean_cash.sum()), rel=1e-12)

    # outcome probabilities: the current-balance-weighted mean of the per-loan ones
    loans = r.tables["loans"]
    assert list(loans.column("loan_id").to_pylist()) == [row["loan_id"] for row in ROWS]
    for name in (*OUTCOMES, "unresolved"):
        p = col(loans, f"p_{name}")
        assert s[f"p_{name}"] == pytest.approx(float(np.dot(w, p)), rel=1e-12, abs=1e-15), name
    # the weights matter here: an unweighted mean would differ
    assert any(abs(float(np.dot(w, col(loans, f"p_{n}"))) - col(loans, f"p_{n}").mean()) > 1e-3 for n in OUTCOMES)

    # yield measures of the mean cash flows at the configured delay
    y = valuation_yield(case, mean_cash)
    want = ref.sifma_measures(mean_cash, mean_principal, F, y, delay)
    for key, value in want.items():
        assert s[key] == pytest.approx(value, rel=1e-8, abs=1e-12), key
    if "price" in val:
        assert s["price"] == pytest.approx(val["price"], rel=1e-12)
    assert s["average_life"] == pytest.approx(s["wal"] + delay / 360.0, rel=1e-12)
    pvs = ref.pv(cash, y, delay)
    assert s["pv_std"] == pytest.approx(float(np.sqrt(np.mean((pvs - pvs.mean()) ** 2))), rel=1e-9)
    assert s["pv_std"] > 0


# --------------------------------------------------------------------------
# loans.parquet and the outcome mix


def first_month(mask: np.ndarray) -> np.ndarray:
    """(paths, months) bool -> the first month (1-based) where True, 0 if never."""
    any_ = mask.any(axis=1)
    return np.where(any_, mask.argmax(axis=1) + 1, 0)


def outcomes_by_path(x: np.ndarray) -> dict[str, np.ndarray]:
    """One loan's event month on each path (0: never), read off its booked columns.

    In the sampled integration a loan prepays or matures in full, is
    liquidated once, and enters REO once: by a deed-in-lieu (booked with
    ``deeds_in_lieu`` in the same month) or by a foreclosure sale.
    """
    ev = {name: g(x, name) > 0 for name in
          ("voluntary_prepayments", "matured_principal", "liquidations", "deeds_in_lieu", "reo_additions",
           "modifications")}
    return {
        "prepaid": first_month(ev["voluntary_prepayments"]),
        "matured": first_month(ev["matured_principal"]),
        "liquidated": first_month(ev["liquidations"]),
        "deed_in_lieu": first_month(ev["deeds_in_lieu"]),
        "foreclosure_sale": first_month(ev["reo_additions"] & ~ev["deeds_in_lieu"]),
        "modified": first_month(ev["modifications"]),
    }


def single_loan_rows(n: int = 6) -> list[dict]:
    """NPL loans of different statuses that do not mature inside the horizon."""
    rows = [row for row in npl_tape(60, seed=8).to_pylist() if row["remaining_term"] > H]
    by_status = {}
    for row in rows:
        by_status.setdefault(row["status"], row)
    picked = list(by_status.values())
    assert len(picked) >= 5
    return picked[:n]


@pytest.mark.parametrize("row", single_loan_rows(), ids=lambda r: r["status"])
def test_loans_table_from_each_paths_events(row):
    """Sampled, one loan: p_* = share of paths with the event, month_* = its mean
    month, expected_cures = mean number of cures, loss_severity = net loss /
    liquidated balance over all paths, p_unresolved = no prepayment, maturity
    or liquidation by the horizon."""
    n_paths = 200
    cfg = state_config([row], integration="sampled", paths=n_paths, seed=21, horizon=H, prepay=PREPAY, hpi=HPI)
    r = engine.run(cfg)
    x = per_path_columns(cfg, [row])
    lt = r.tables["loans"].to_pylist()[0]
    events = outcomes_by_path(x)
    for name, month in events.items():
        hit = month > 0
        assert lt[f"p_{name}"] == pytest.approx(hit.mean(), rel=1e-12, abs=1e-15), name
        if hit.any():
            assert lt[f"month_{name}"] == pytest.approx(month[hit].mean(), rel=1e-12), name
        else:
            assert math.isnan(lt[f"month_{name}"]), name
    resolved = (events["prepaid"] > 0) | (events["matured"] > 0) | (events["liquidated"] > 0)
    assert lt["p_unresolved"] == pytest.approx(1.0 - resolved.mean(), abs=1e-12)
    assert lt["expected_cures"] == pytest.approx((g(x, "cures") > 0).sum(axis=1).mean(), rel=1e-12, abs=1e-15)
    liq = g(x, "liquidations").sum()
    if liq > 0:
        # each booked amount is rounded to 1e-4: abs tolerance, the net loss can be ~0 (a capped sale)
        assert lt["loss_severity"] == pytest.approx(g(x, "net_loss").sum() / liq, rel=1e-9, abs=1e-8)
    else:
        assert math.isnan(lt["loss_severity"])
    # paths see different outcomes (the check is not about a certain event)
    assert 0 < resolved.mean() or any(0 < (m > 0).mean() < 1 for m in events.values())


# certain outcomes: every probability 0 or 1, so both integrations give the same mix
SEV = 0.4
CERTAIN_SM = merge(ALL_OFF, NO_COSTS, {
    "delinquency": {"dq30": {"cure": 1.0}, "dq60": {"deed_in_lieu": 1.0}, "dq90": {"modification": 1.0}},
    "foreclosure": {"months": 3}, "reo": {"months": 0}, "liquidation": {"severity": SEV},
    "modification": {"rate_cut": 0.0, "rate_floor": 0.0, "forbearance": 0.0},
})


def certain_rows() -> list[dict]:
    base = {"note_rate": 0.06, "remaining_term": 300, "property_value": 500_000.0}
    return [
        {**base, "loan_id": "cur", "balance": 100_000.0},                                       # prepaid in month 1
        {**base, "loan_id": "d30", "balance": 150_000.0, "status": "dq30", "payments_behind": 1,
         "arrears": 500.0},                                                                      # cured 1, prepaid 2
        {**base, "loan_id": "d60", "balance": 50_000.0, "status": "dq60", "payments_behind": 2,
         "arrears": 700.0},                                                                      # deed-in-lieu, sold 1
        {**base, "loan_id": "d90", "balance": 300_000.0, "status": "dq90+", "payments_behind": 5,
         "arrears": 7_500.0},                                                                    # modified 1, prepaid 2
        {**base, "loan_id": "fcl", "balance": 250_000.0, "status": "foreclosure", "payments_behind": 4,
         "arrears": 5_000.0},                                                                    # sale in month 3
        {**base, "loan_id": "reo", "balance": 80_000.0, "status": "reo", "arrears": 2_000.0},    # sold in month 1
    ]


@pytest.mark.parametrize("integration", ["expected", "sampled"])
def test_outcome_mix_by_hand(integration):
    """Six loans with certain fates (SMM 1: every current loan prepays at once):
    per-loan probabilities, months, cures and severities by hand, and the
    pool's probabilities weighted by current balance."""
    rows = certain_rows()
    cfg = state_config(rows, integration=integration, paths=3, horizon=6, prepay={"model": "smm", "rate": 1.0},
                       state_model=CERTAIN_SM)
    r = engine.run(cfg)
    lt = {row["loan_id"]: row for row in r.tables["loans"].to_pylist()}
    want = {  # loan: {outcome: month}
        "cur": {"prepaid": 1}, "d30": {"prepaid": 2}, "d60": {"deed_in_lieu": 1, "liquidated": 1},
        "d90": {"modified": 1, "prepaid": 2}, "fcl": {"foreclosure_sale": 3, "liquidated": 3},
        "reo": {"liquidated": 1},
    }
    for loan_id, fate in want.items():
        for name in OUTCOMES:
            assert lt[loan_id][f"p_{name}"] == (1.0 if name in fate else 0.0), (loan_id, name)
            if name in fate:
                assert lt[loan_id][f"month_{name}"] == fate[name], (loan_id, name)
            else:
                assert math.isnan(lt[loan_id][f"month_{name}"]), (loan_id, name)
        assert lt[loan_id]["p_unresolved"] == 0.0
        assert lt[loan_id]["expected_cures"] == (1.0 if loan_id == "d30" else 0.0)
    # severity per liquidated loan: (balance + arrears - (1 - s) balance) / balance, no costs, no interest
    # accrued on the REO loan; the foreclosed loan accrues 3 months of interest in its timeline
    rate = 0.06 / 12
    debt = {"d60": 50_000.0 + 700.0, "reo": 80_000.0 + 2_000.0, "fcl": 250_000.0 + 5_000.0 + 3 * 250_000.0 * rate}
    for loan_id, owed in (("d60", 50_000.0), ("reo", 80_000.0), ("fcl", 250_000.0)):
        assert lt[loan_id]["loss_severity"] == pytest.approx((debt[loan_id] - (1 - SEV) * owed) / owed, abs=1e-8)
    for loan_id in ("cur", "d30", "d90"):
        assert math.isnan(lt[loan_id]["loss_severity"])

    s = r.summary.to_pylist()[0]
    bal = {row["loan_id"]: row["balance"] for row in rows}
    total = sum(bal.values())
    share = lambda ids: sum(bal[i] for i in ids) / total  # noqa: E731
    assert s["p_prepaid"] == pytest.approx(share(["cur", "d30", "d90"]), rel=1e-14)
    assert s["p_liquidated"] == pytest.approx(share(["d60", "fcl", "reo"]), rel=1e-14)
    assert s["p_deed_in_lieu"] == pytest.approx(share(["d60"]), rel=1e-14)
    assert s["p_foreclosure_sale"] == pytest.approx(share(["fcl"]), rel=1e-14)
    assert s["p_modified"] == pytest.approx(share(["d90"]), rel=1e-14)
    assert s["p_matured"] == 0.0 and s["p_unresolved"] == 0.0
    # pool severity: all net losses over all liquidated balances
    losses = sum(debt[i] - (1 - SEV) * bal[i] for i in debt)
    assert s["loss_severity"] == pytest.approx(losses / share(["d60", "fcl", "reo"]) / total, rel=1e-9)
    assert s["cumulative_losses"] == pytest.approx(losses, abs=1e-3)
    assert s["cumulative_defaults"] == pytest.approx(bal["d60"] + bal["fcl"], abs=1e-3)  # taken to REO in the run


def test_matured_outcome_by_hand():
    """No prepayment, no events: a 6-month loan matures in month 6, a 300-month one is unresolved."""
    rows = [{"loan_id": "short", "balance": 60_000.0, "note_rate": 0.05, "remaining_term": 6},
            {"loan_id": "long", "balance": 240_000.0, "note_rate": 0.05, "remaining_term": 300}]
    for integration in ("expected", "sampled"):
        r = engine.run(state_config(rows, integration=integration, paths=2, horizon=12, state_model=ALL_OFF))
        lt = {row["loan_id"]: row for row in r.tables["loans"].to_pylist()}
        assert lt["short"]["p_matured"] == 1.0 and lt["short"]["month_matured"] == 6.0
        assert lt["short"]["p_unresolved"] == 0.0  # matured is resolved
        assert lt["long"]["p_unresolved"] == 1.0 and lt["long"]["p_matured"] == 0.0
        s = r.summary.to_pylist()[0]
        assert s["p_matured"] == pytest.approx(0.2, rel=1e-14)
        assert s["p_unresolved"] == pytest.approx(0.8, rel=1e-14)


# --------------------------------------------------------------------------
# smm and roll_rate against the model's own rates


def test_expected_smm_and_roll_rate_are_the_model_rates():
    """Expected integration, a CPR prepayment model, a flat LTV curve, no FICO or
    LTV on the tape, no modifications: every current dollar prepays at SMM =
    1 - (1 - CPR)^(1/12) and rolls at to_dq30, every month, whatever the
    delinquent loans do."""
    cpr, to_dq30 = 0.10, 0.03
    smm = 1 - (1 - cpr) ** (1 / 12)
    rows = [{"loan_id": f"L{i}", "balance": b, "note_rate": 0.055 + 0.005 * i, "remaining_term": 240 + 12 * i,
             "status": s, "payments_behind": k}
            for i, (b, s, k) in enumerate([(200_000.0, "current", 0), (90_000.0, "dq30", 1), (120_000.0, "dq60", 2),
                                           (310_000.0, "current", 0)])]
    sm = merge(ALL_OFF, {"delinquency": {"current": {"to_dq30": to_dq30}, "dq30": {"cure": 0.5, "roll": 0.2},
                                         "dq60": {"cure": 0.3, "roll": 0.3}}})
    r = engine.run(state_config(rows, horizon=60, prepay={"model": "cpr", "rate": cpr}, state_model=sm))
    cf = r.cashflows
    np.testing.assert_allclose(col(cf, "smm"), smm, rtol=1e-7)
    np.testing.assert_allclose(col(cf, "roll_rate"), to_dq30, rtol=1e-7)
    assert col(cf, "cures").sum() > 0


def test_sampled_smm_is_prepayments_over_the_amortised_current_balance():
    """No delinquency: the prepayment base is the current balance after
    scheduled principal, (performing balance at t - 1) - scheduled principal(t)."""
    rows = [{"loan_id": f"L{i}", "balance": 50_000.0 * (i + 1), "note_rate": 0.06, "remaining_term": 60 + 30 * i}
            for i in range(5)]
    r = engine.run(state_config(rows, integration="sampled", paths=30, seed=9, horizon=72,
                                prepay={"model": "cpr", "rate": 0.15}, state_model=ALL_OFF))
    cf = r.cashflows
    prev = np.concatenate([[sum(row["balance"] for row in rows)], col(cf, "performing_balance")[:-1]])
    base = prev - col(cf, "scheduled_principal")
    want = np.where(base > 1e-6, col(cf, "voluntary_prepayments") / np.where(base > 1e-6, base, 1.0), 0.0)
    live = base > 1.0
    np.testing.assert_allclose(col(cf, "smm")[live], want[live], rtol=1e-6)
    assert col(cf, "smm")[live].std() > 0  # sampled: the realised rate varies around the model's


# --------------------------------------------------------------------------
# regressions: the tick totals over paths wrapped past 2^63, and quantiles
# written as percents failed after the whole simulation


def test_path_means_of_a_large_pool_on_many_paths_do_not_wrap():
    rows = [{"loan_id": f"L{i}", "balance": 1e9, "note_rate": 0.06, "remaining_term": 360} for i in range(10)]
    one = engine.run(state_config(rows, paths=1, horizon=2, state_model=ALL_OFF))
    many = engine.run(state_config(rows, paths=100_000, horizon=2, state_model=ALL_OFF, chunk_paths=5_000))
    # the expected integration without home-price volatility: every path is the same path
    np.testing.assert_allclose(col(many.cashflows, "performing_balance"), col(one.cashflows, "performing_balance"),
                               rtol=1e-12)


def test_quantiles_out_of_range_are_a_config_error():
    cfg = state_config(ROWS[:2], paths=2, horizon=12, output={"quantiles": [5, 50, 95]})
    try:
        engine.load_config(cfg)
    except engine.ConfigError as e:
        assert "output.quantiles" in str(e), str(e)
    else:
        raise AssertionError("output.quantiles = [5, 50, 95] passed validation")
