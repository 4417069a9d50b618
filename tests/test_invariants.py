"""Property tests of the SIFMA standard model (engine.project_cashflows).

Random small pools and random assumptions; every property below follows from
the model's definition (docs/architecture.md, "The standard (SIFMA) model";
SIFMA SF C.3), not from the engine's own output.
"""

from __future__ import annotations

import numpy as np
import numpy_financial as npf
import pyarrow as pa
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from columns import BALANCE_COLUMNS, SIFMA_COLUMNS
from engine.models.standard import CashFlows, project_cashflows
from engine.analytics.pool import wal_years
from engine.inputs.tape import loans_from_table

# --------------------------------------------------------------------------
# strategies

# rates are exactly 0 or at least 1 bp: a "rate" of 1e-300 is noise, and near 0
# the closed-form references below lose digits
rates = st.one_of(st.just(0.0), st.floats(0.0001, 0.12))


@st.composite
def pools(draw, max_loans: int = 20, max_term: int = 360, min_loans: int = 1):
    n = draw(st.integers(min_loans, max_loans))
    balance = draw(st.lists(st.floats(1_000.0, 1_000_000.0), min_size=n, max_size=n))
    note_rate = draw(st.lists(rates, min_size=n, max_size=n))
    fee_share = draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n))
    term = draw(st.lists(st.integers(1, max_term), min_size=n, max_size=n))
    age = draw(st.lists(st.integers(0, 60), min_size=n, max_size=n))
    return pa.table(
        {
            "loan_id": [f"L{i}" for i in range(n)],
            "balance": balance,
            "note_rate": note_rate,
            # servicing never above the note rate
            "servicing_fee": [min(r * s, r) for r, s in zip(note_rate, fee_share)],
            "remaining_term": pa.array(term, pa.int64()),
            "age": pa.array(age, pa.int64()),
        }
    )


decimals = st.floats(0.0, 0.99)  # annual rates (CPR/CDR) in [0, 1)
monthly = st.floats(0.0, 1.0)  # SMM/MDR in [0, 1]
speeds = st.floats(0.0, 1000.0)

prepays = st.one_of(
    st.builds(lambda s: {"model": "psa", "speed": s}, speeds),
    st.builds(lambda r: {"model": "cpr", "rate": r}, decimals),
    st.builds(lambda r: {"model": "smm", "rate": r}, monthly),
    st.builds(lambda v: {"model": "vector", "cpr": v}, st.lists(decimals, min_size=1, max_size=24)),
    st.just({"model": "none"}),
)
defaults = st.one_of(
    st.builds(lambda s: {"model": "sda", "speed": s}, speeds),
    st.builds(lambda r: {"model": "cdr", "rate": r}, decimals),
    st.builds(lambda r: {"model": "mdr", "rate": r}, monthly),
    st.builds(lambda v: {"model": "vector", "cdr": v}, st.lists(decimals, min_size=1, max_size=24)),
    st.just({"model": "none"}),
)
losses = st.fixed_dictionaries(
    {"severity": st.floats(0.0, 1.0), "liquidation_lag": st.integers(0, 24), "advancing": st.booleans()}
)
assumptions = st.fixed_dictionaries({"prepay": prepays, "default": defaults, "loss": losses})

FLOW_COLUMNS = [
    *(c for c in SIFMA_COLUMNS if c not in BALANCE_COLUMNS),
    "gross_interest",
    "servicing_fee",
    "total_interest",
    "total_principal",
    "total_cash_flow",
]
# columns that are sums over loans (smm and mdr are ratios)
ADDITIVE = BALANCE_COLUMNS + FLOW_COLUMNS


def project(table: pa.Table, a: dict) -> CashFlows:
    return project_cashflows(loans_from_table(table), a)


def principal_retired(cf: CashFlows) -> np.ndarray:
    """Cumulative principal that has left the pool by each month end."""
    return np.cumsum(
        cf.actual_amortization
        + cf.amortization_from_defaults
        + cf.voluntary_prepayments
        + cf.principal_recovery
        + cf.principal_loss
    )


# --------------------------------------------------------------------------
# (a) - (c): conservation, signs, payoff


@given(pools(), assumptions)
def test_principal_is_conserved_every_month(table, a):
    cf = project(table, a)
    start = float(np.sum(table.column("balance").to_numpy()))
    assert cf.starting_balance == pytest.approx(start, rel=1e-15)
    np.testing.assert_allclose(
        cf.performing_balance + cf.foreclosure_balance + principal_retired(cf), start, rtol=1e-9, atol=0
    )


@given(pools(), assumptions)
def test_no_negative_balances_or_flows(table, a):
    cf = project(table, a)
    # differences of equal balances may round to -1 ulp of the pool balance
    tol = 1e-12 * cf.starting_balance
    for name in ADDITIVE:
        values = getattr(cf, name)
        assert values.min() >= -tol, (name, values.min())
    assert ((cf.smm >= 0) & (cf.smm <= 1 + 1e-12)).all()
    assert ((cf.mdr >= 0) & (cf.mdr <= 1 + 1e-12)).all()


@given(pools(), assumptions)
def test_everything_is_paid_off_by_the_last_month(table, a):
    cf = project(table, a)
    terms = table.column("remaining_term").to_numpy()
    assert cf.n_months == terms.max()
    tol = 1e-9 * cf.starting_balance
    assert abs(cf.performing_balance[-1]) <= tol
    assert abs(cf.foreclosure_balance[-1]) <= tol
    # principal paid + principal lost adds up to the starting balance
    assert principal_retired(cf)[-1] == pytest.approx(cf.starting_balance, rel=1e-9)


@given(pools(), assumptions)
def test_each_loan_is_gone_after_its_own_maturity(table, a):
    # months past the shortest maturity hold only the loans still alive
    cf = project(table, a)
    terms = table.column("remaining_term").to_numpy()
    balance = table.column("balance").to_numpy()
    alive_after = lambda m: balance[terms > m].sum()  # noqa: E731
    for m in np.unique(terms)[:-1]:
        total = cf.performing_balance[m - 1] + cf.foreclosure_balance[m - 1]
        assert total <= alive_after(m) * (1 + 1e-9) + 1e-9 * cf.starting_balance


# --------------------------------------------------------------------------
# (d) faster prepayments never lengthen the life


@given(pools(), st.floats(0.0, 2000.0), st.floats(0.0, 2000.0))
def test_faster_psa_never_lengthens_wal(table, s1, s2):
    s1, s2 = sorted((s1, s2))
    assume(s1 < s2)
    wal = []
    for s in (s1, s2):
        cf = project(table, {"prepay": {"model": "psa", "speed": s}, "default": {"model": "none"}})
        wal.append(wal_years(cf.total_principal, cf.month))
    assert wal[1] <= wal[0] + 1e-12


# --------------------------------------------------------------------------
# (e) zero speeds: the level-payment schedule


zero_prepays = st.sampled_from(
    [{"model": "none"}, {"model": "psa", "speed": 0}, {"model": "cpr", "rate": 0}, {"model": "smm", "rate": 0},
     {"model": "vector", "cpr": [0.0, 0.0]}]
)
zero_defaults = st.sampled_from(
    [{"model": "none"}, {"model": "sda", "speed": 0}, {"model": "cdr", "rate": 0}, {"model": "mdr", "rate": 0},
     {"model": "vector", "cdr": [0.0]}]
)
zero_assumptions = st.fixed_dictionaries({"prepay": zero_prepays, "default": zero_defaults, "loss": losses})


def level_schedule(balance: float, rate: float, term: int, n_months: int):
    """(principal, interest) by month from numpy_financial, zero-padded to n_months."""
    per = np.arange(1, term + 1)
    if rate == 0.0:
        prin, intr = np.full(term, balance / term), np.zeros(term)
    else:
        prin = npf.ppmt(rate / 12.0, per, term, -balance)
        intr = npf.ipmt(rate / 12.0, per, term, -balance)
    pad = lambda x: np.concatenate([x, np.zeros(n_months - term)])  # noqa: E731
    return pad(prin), pad(intr)


def assert_schedule(cf: CashFlows, table: pa.Table) -> None:
    n = cf.n_months
    prin = np.zeros(n)
    intr = np.zeros(n)
    net_intr = np.zeros(n)
    for row in table.to_pylist():
        p, i = level_schedule(row["balance"], row["note_rate"], row["remaining_term"], n)
        prin += p
        intr += i
        if row["note_rate"] > 0:
            net_intr += i * (row["note_rate"] - row["servicing_fee"]) / row["note_rate"]
    atol = 1e-12 * cf.starting_balance
    for name in ("actual_amortization", "expected_amortization", "total_principal"):
        np.testing.assert_allclose(getattr(cf, name), prin, rtol=1e-9, atol=atol, err_msg=name)
    np.testing.assert_allclose(cf.gross_interest, intr, rtol=1e-9, atol=atol)
    for name in ("expected_interest", "actual_interest", "total_interest"):
        np.testing.assert_allclose(getattr(cf, name), net_intr, rtol=1e-9, atol=atol, err_msg=name)
    np.testing.assert_allclose(
        cf.performing_balance, cf.starting_balance - np.cumsum(prin), rtol=1e-9, atol=1e-9 * cf.starting_balance
    )
    for name in ("voluntary_prepayments", "new_defaults", "foreclosure_balance", "principal_loss", "interest_lost"):
        assert not getattr(cf, name).any(), name


@given(pools(max_loans=1), zero_assumptions)
def test_zero_speeds_single_loan_is_the_level_payment_schedule(table, a):
    assert_schedule(project(table, a), table)


@given(pools(), zero_assumptions)
def test_zero_speeds_pool_is_the_sum_of_level_payment_schedules(table, a):
    assert_schedule(project(table, a), table)


@pytest.mark.parametrize("rate", [1e-20, 1e-12, 1e-9])
def test_tiny_note_rate_amortizes_like_zero_rate(rate):
    # c / (1 - (1 + c)^-n) loses all digits as c -> 0; the schedule must tend
    # continuously to the straight-line one, not pay everything in month 1
    table = pa.table({"loan_id": ["A"], "balance": [1200.0], "note_rate": [rate], "remaining_term": [12]})
    cf = project(table, {})
    np.testing.assert_allclose(cf.actual_amortization, 100.0, rtol=1e-6)


# --------------------------------------------------------------------------
# (f) accounting identities


@given(pools(), assumptions)
def test_interest_and_principal_identities(table, a):
    cf = project(table, a)
    atol = 1e-9 * cf.starting_balance
    close = lambda x, y: np.testing.assert_allclose(x, y, rtol=1e-9, atol=atol)  # noqa: E731
    close(cf.total_interest, cf.gross_interest - cf.servicing_fee)
    close(cf.total_cash_flow, cf.total_principal + cf.total_interest)
    close(cf.actual_interest, cf.expected_interest - cf.interest_lost)
    close(cf.amortized_default_balance, cf.principal_recovery + cf.principal_loss)
    close(
        cf.total_principal,
        cf.actual_amortization + cf.amortization_from_defaults + cf.voluntary_prepayments + cf.principal_recovery,
    )
    if a["loss"]["advancing"]:
        # scheduled principal of defaulted loans is advanced: nothing due is missing
        close(cf.expected_amortization, cf.actual_amortization + cf.amortization_from_defaults)
        # the holder gets the interest due on every loan, paid or advanced
        close(cf.total_interest, cf.expected_interest)
    else:
        assert not cf.amortization_from_defaults.any()
        close(cf.total_interest, cf.actual_interest)


@given(pools(), assumptions)
def test_losses_are_severity_times_defaults(table, a):
    # with lag L, loss = severity x (defaults L months earlier), capped at the
    # amortized default balance, which only binds when advancing (SF C.3.h)
    cf = project(table, a)
    sev, lag = a["loss"]["severity"], a["loss"]["liquidation_lag"]
    n = cf.n_months
    lagged = np.concatenate([np.zeros(lag), cf.new_defaults])[:n]
    atol = 1e-9 * cf.starting_balance
    assert (cf.principal_loss <= sev * lagged * (1 + 1e-9) + atol).all()
    if not a["loss"]["advancing"]:
        np.testing.assert_allclose(cf.principal_loss, sev * lagged, rtol=1e-9, atol=atol)
        np.testing.assert_allclose(cf.amortized_default_balance, lagged, rtol=1e-9, atol=atol)
    assert cf.principal_loss.sum() <= sev * cf.new_defaults.sum() * (1 + 1e-9) + atol


# --------------------------------------------------------------------------
# (g) loan-by-loan additivity


@given(pools(min_loans=2), assumptions, st.data())
def test_split_pool_adds_up_to_the_whole(table, a, data):
    n = table.num_rows
    # any two non-empty tapes: a random permutation cut at a random point
    order = data.draw(st.permutations(range(n)))
    cut = data.draw(st.integers(1, n - 1))
    mask = np.zeros(n, dtype=bool)
    mask[order[:cut]] = True
    whole = project(table, a)
    part_a = project(table.filter(pa.array(mask)), a)
    part_b = project(table.filter(pa.array(~mask)), a)
    n_months = whole.n_months
    pad = lambda x: np.concatenate([x, np.zeros(n_months - len(x))])  # noqa: E731
    assert max(part_a.n_months, part_b.n_months) == n_months
    atol = 1e-12 * whole.starting_balance
    for name in ADDITIVE:
        np.testing.assert_allclose(
            pad(getattr(part_a, name)) + pad(getattr(part_b, name)),
            getattr(whole, name),
            rtol=1e-9,
            atol=atol,
            err_msg=name,
        )
    assert part_a.starting_balance + part_b.starting_balance == pytest.approx(whole.starting_balance, rel=1e-12)


# --------------------------------------------------------------------------
# (h) rate conventions

no_or_cdr_default = st.one_of(st.just({"model": "none"}), st.builds(lambda r: {"model": "cdr", "rate": r}, decimals))


@given(pools(), decimals, no_or_cdr_default)
def test_cpr_model_gives_the_pool_smm(table, cpr, default):
    expected_smm = 1.0 - (1.0 - cpr) ** (1.0 / 12.0)
    if default["model"] == "cdr":
        # past SMM + MDR > 1 the prepayment cap binds (SF C.3), a different rule
        assume(expected_smm + 1.0 - (1.0 - default["rate"]) ** (1.0 / 12.0) <= 1.0)
    a = {"prepay": {"model": "cpr", "rate": cpr}, "default": default,
         "loss": {"severity": 0.3, "liquidation_lag": 3}}
    cf = project(table, a)
    prior = np.concatenate([[cf.starting_balance], cf.performing_balance[:-1]])
    # a month some loan still amortizes in: performing balance left and not the
    # last month of every loan alive (in its last month a loan has nothing to prepay)
    months = np.arange(1, cf.n_months + 1)
    terms = table.column("remaining_term").to_numpy()
    open_ = (prior > 0) & np.array([(terms > m).any() for m in months])
    np.testing.assert_allclose(cf.smm[open_], expected_smm, rtol=1e-12, atol=1e-15)
    if default["model"] == "none":
        assert not cf.mdr.any()


@given(pools(max_loans=1), st.floats(0.0, 1000.0))
def test_psa_single_loan_smm_follows_the_ramp(table, speed):
    # 100% PSA: CPR = 6% x min(age, 30) / 30, age at the payment = tape age + month
    cf = project(table, {"prepay": {"model": "psa", "speed": speed}})
    age0 = table.column("age")[0].as_py()
    term = table.column("remaining_term")[0].as_py()
    m = np.arange(1, term)  # the last month has nothing left to prepay
    cpr = np.minimum(speed / 100.0 * 0.06 * np.minimum(age0 + m, 30) / 30.0, 1.0)
    np.testing.assert_allclose(cf.smm[: term - 1], 1.0 - (1.0 - cpr) ** (1.0 / 12.0), rtol=1e-12, atol=1e-15)


def sda_cdr_reference(age: np.ndarray) -> np.ndarray:
    """100% SDA from its definition (docs/architecture.md): +0.02%/month to 0.60% at 30,
    flat to 60, straight down to 0.03% at 120, flat after."""
    return np.interp(age, [0, 30, 60, 120, 10_000], [0.0, 0.006, 0.006, 0.0003, 0.0003])


@given(pools(max_loans=1), st.floats(0.0, 1000.0), st.integers(0, 24))
def test_sda_single_loan_mdr_follows_the_curve_and_stops_before_maturity(table, speed, lag):
    cf = project(
        table,
        {"default": {"model": "sda", "speed": speed}, "loss": {"severity": 0.5, "liquidation_lag": lag}},
    )
    age0 = table.column("age")[0].as_py()
    term = table.column("remaining_term")[0].as_py()
    m = np.arange(1, term + 1)
    cdr = np.minimum(speed / 100.0 * sda_cdr_reference(age0 + m), 1.0)
    mdr = np.where(m <= term - lag, 1.0 - (1.0 - cdr) ** (1.0 / 12.0), 0.0)
    prior = np.concatenate([[cf.starting_balance], cf.performing_balance[:-1]])
    live = prior > 0
    np.testing.assert_allclose(cf.mdr[live], mdr[live], rtol=1e-9, atol=1e-15)
    assert not cf.new_defaults[m > term - lag].any()
