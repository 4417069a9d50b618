"""IRR solver: closed forms, a published example, three independent references
(numpy-financial, pyxirr, the naive grid-and-bisection twin), degenerate
vectors, invariances, and the IRR distribution.

Tolerances: the solver guarantees ``|NPV| <= 1e-12 x gross discounted flows``
at its root; the tests check ``1e-11`` with an independent NPV sum (which
adds its own rounding).
"""

from __future__ import annotations

import math

import numba
import numpy as np
import numpy_financial as npf
import pyarrow as pa
import pytest
import pyxirr
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from engine.analytics.irr import (
    CONVERGED,
    NO_SIGN_CHANGE,
    NOT_CONVERGED,
    STATUS_NAMES,
    TOTAL_LOSS,
    IRRResult,
    annual_from_monthly,
    irr,
    irr_distribution,
)
from engine.errors import ConvergenceError, InputError
from engine.kernels import irr as kernel
from tests.reference.naive_irr import naive_irr, relative_npv, sign_changes

NPV_TOL = 1e-11  # relative to the gross discounted flows


def npv_tol(cf, rate_monthly: float) -> float:
    """NPV_TOL, widened for the rounding of the rate itself: 1 + r is known to
    eps/2 absolute, so near r = -1 the NPV of the rounded rate moves by up to
    about n eps / (1 + r) of the gross flows (n = months)."""
    return NPV_TOL + len(cf) * 2.3e-16 / (1.0 + rate_monthly)


def level_payment(balance: float, rate_annual: float, term_months: int) -> float:
    """Level monthly payment [currency] of a loan at a nominal annual rate (30/360)."""
    i = rate_annual / 12.0
    if i == 0.0:
        return balance / term_months
    return balance * i / (1.0 - (1.0 + i) ** -term_months)


def random_note_flows(rng: np.random.Generator, n: int, max_months: int = 480) -> list[np.ndarray]:
    """Note-like holder flows of random lengths 2..max_months+1 (month 0 first).

    A mix of: performing notes (level payments, some paid off early), defaults
    (payments then a recovery, sometimes almost nothing), non-performing notes
    (months of advances, then a liquidation), noisy payments with a few
    negative months, and one-lump gains and losses.
    """
    out = []
    face = 100_000.0
    for _ in range(n):
        months = int(rng.integers(1, max_months + 1))
        cf = np.zeros(months + 1)
        cf[0] = -face * rng.uniform(0.05, 1.3)
        pmt = level_payment(face, rng.uniform(0.0, 0.12), months)
        stop = int(rng.integers(1, months + 1))
        kind = rng.integers(0, 5)
        if kind == 0:
            cf[1:] = pmt
            if rng.random() < 0.5:
                cf[stop + 1 :] = 0.0
                cf[stop] += face * rng.uniform(0.1, 1.0)
        elif kind == 1:
            cf[1 : stop + 1] = pmt
            recovery_month = min(months, stop + int(rng.integers(0, 36)))
            cf[recovery_month] += face * (rng.uniform(0.0, 0.8) if rng.random() < 0.7 else rng.uniform(0.0, 1e-4))
        elif kind == 2:
            advances = rng.random(months) < 0.3
            cf[1:] = np.where(advances, -rng.uniform(10.0, 2_000.0, months), 0.0)
            cf[months] += face * rng.uniform(0.0, 2.0)
        elif kind == 3:
            cf[1:] = rng.uniform(0.0, 2.0 * pmt, months)
            k = int(rng.integers(0, 4))
            cf[rng.integers(1, months + 1, k)] = -rng.uniform(0.0, 5.0 * pmt, k)
        else:
            cf[stop] = -cf[0] * (rng.uniform(1.5, 50.0) if rng.random() < 0.5 else rng.uniform(0.0, 0.5))
        out.append(cf)
    return out


def padded(vectors: list[np.ndarray]) -> np.ndarray:
    """Vectors as rows of one matrix, padded with trailing zero months."""
    width = max(len(v) for v in vectors)
    m = np.zeros((len(vectors), width))
    for i, v in enumerate(vectors):
        m[i, : len(v)] = v
    return m


# --------------------------------------------------------------------------
# closed forms and a published example


@given(
    balance=st.floats(1_000.0, 5e6),
    rate=st.floats(0.001, 0.30),
    term=st.integers(1, 480),
)
def test_note_bought_at_par_yields_its_note_rate(balance, rate, term):
    """Level payments bought at par, no prepayment, no costs: the monthly IRR is
    the note rate / 12, the annual effective IRR (1 + rate/12)^12 - 1."""
    cf = np.r_[-balance, np.full(term, level_payment(balance, rate, term))]
    res = irr(cf)
    assert res.status == CONVERGED
    assert res.monthly == pytest.approx(rate / 12.0, abs=1e-12)
    assert abs(res.annual - ((1.0 + rate / 12.0) ** 12 - 1.0)) <= 1e-10


def test_many_notes_at_par_at_once():
    rng = np.random.default_rng(20261121)
    n = 2_000
    rates = rng.uniform(0.01, 0.15, n)
    terms = rng.integers(1, 481, n)
    balances = rng.uniform(10_000.0, 1e6, n)
    vectors = [np.r_[-b, np.full(t, level_payment(b, r, t))] for b, r, t in zip(balances, rates, terms)]
    res = irr(padded(vectors))
    assert res.counts()["converged"] == n
    np.testing.assert_allclose(res.annual, (1.0 + rates / 12.0) ** 12 - 1.0, rtol=0, atol=1e-10)


def test_published_reperforming_note_example():
    """Pay 27,306 for 96 monthly payments of 476.29: monthly IRR 1.1771%,
    annual nominal 14.125% (12 x monthly), as printed."""
    cf = np.r_[-27_306.0, np.full(96, 476.29)]
    res = irr(cf)
    assert res.status == CONVERGED
    assert round(100.0 * float(res.monthly), 4) == 1.1771
    assert round(1200.0 * float(res.monthly), 3) == 14.125
    assert res.annual == pytest.approx((1.0 + res.monthly) ** 12 - 1.0, rel=1e-14)


# --------------------------------------------------------------------------
# independent references


def _check_against(vectors, res, reference, label):
    """Every root of ours is a root; where ``reference`` returns a genuine root,
    ours equals it (one sign change: the IRR is unique) or is at least as close
    to 0 (several: ours is the root closest to 0). Returns (compared, max diff)."""
    compared, max_diff = 0, 0.0
    for i, cf in enumerate(vectors):
        ours = float(res.monthly[i])
        if res.status[i] == CONVERGED:
            assert relative_npv(cf, ours) <= npv_tol(cf, ours), (label, i)
        ref = reference(cf)
        if ref is None or not math.isfinite(ref) or ref <= -1.0 or relative_npv(cf, ref) > 1e-9:
            continue  # the reference did not converge to a root
        compared += 1
        assert res.status[i] == CONVERGED, (label, i, ref)
        if sign_changes(cf) == 1:
            assert ours == pytest.approx(ref, rel=1e-9, abs=1e-11), (label, i)
            max_diff = max(max_diff, abs(ours - ref))
        elif abs(ours - ref) > 1e-11 * (1 + abs(ref)):
            assert abs(ours) < abs(ref), (label, i, ours, ref)
        else:
            max_diff = max(max_diff, abs(ours - ref))
    return compared, max_diff


def test_against_pyxirr_on_random_note_flows():
    rng = np.random.default_rng(7)
    vectors = random_note_flows(rng, 6_000)
    res = irr(padded(vectors))
    assert res.counts()["not_converged"] == 0
    compared, max_diff = _check_against(vectors, res, lambda cf: pyxirr.irr(cf, silent=True), "pyxirr")
    assert compared > 5_500
    assert max_diff < 1e-11


def test_against_numpy_financial_on_random_note_flows():
    """numpy-financial finds every root as a companion-matrix eigenvalue: slow
    for long vectors, so most vectors here are up to 10 years long."""
    rng = np.random.default_rng(11)
    vectors = random_note_flows(rng, 1_500, max_months=120) + random_note_flows(rng, 25, max_months=480)
    res = irr(padded(vectors))
    compared, max_diff = _check_against(vectors, res, npf.irr, "numpy_financial")
    assert compared > 1_400
    assert max_diff < 1e-11


def test_against_naive_twin_where_roots_are_several():
    """Vectors with two or more sign changes: the root closest to 0, as found
    by the grid-and-bisection twin."""
    rng = np.random.default_rng(13)
    vectors = [v for v in random_note_flows(rng, 800) if sign_changes(v) >= 2][:150]
    res = irr(padded(vectors))
    for i, cf in enumerate(vectors):
        ref, ref_status = naive_irr(cf)
        ours = float(res.monthly[i])
        if ref_status == "converged":
            assert res.status[i] == CONVERGED, i
            assert relative_npv(cf, ours) <= npv_tol(cf, ours)
            # equal, or ours is a root closer to 0 that the twin's grid missed
            assert ours == pytest.approx(ref, rel=1e-9, abs=1e-11) or abs(ours) < abs(ref), i
        elif res.status[i] == CONVERGED:
            assert relative_npv(cf, ours) <= npv_tol(cf, ours)
        else:
            assert res.status[i] == NO_SIGN_CHANGE


@given(
    hnp.arrays(np.float64, st.integers(1, 60), elements=st.floats(-1e6, 1e6, allow_subnormal=False)),
    st.floats(1.0, 1e6),
)
def test_any_root_is_a_root(tail, outlay):
    """Arbitrary flows (any signs) after an outlay: a CONVERGED rate zeroes the
    NPV; NaN exactly for NO_SIGN_CHANGE / NOT_CONVERGED; -1 for TOTAL_LOSS."""
    cf = np.r_[-outlay, tail]
    res = irr(cf)
    if res.status == CONVERGED and res.monthly == -1.0:
        # 1 + r below the double spacing at 1: the rate rounds to -1
        assert naive_irr(cf)[0] < -1.0 + 1e-15
    elif res.status == CONVERGED:
        assert relative_npv(cf, float(res.monthly)) <= npv_tol(cf, float(res.monthly))
    elif res.status == TOTAL_LOSS:
        assert res.monthly == -1.0 and not (tail > 0).any()
    else:
        assert math.isnan(res.monthly)
        naive, naive_status = naive_irr(cf)
        assert naive_status == "no_sign_change", naive


@given(
    hnp.arrays(np.float64, st.integers(1, 120), elements=st.floats(0.0, 1e5)),
    st.floats(1.0, 1e6),
    st.floats(1e-3, 1e3),
    st.integers(0, 5),
    st.integers(0, 5),
)
def test_invariances(tail, outlay, scale, lead, trail):
    """Scaling every flow, or adding zero months before or after, leaves the IRR."""
    cf = np.r_[-outlay, tail]
    base = irr(cf)
    moved = irr(np.r_[np.zeros(lead), scale * cf, np.zeros(trail)])
    assert moved.status == base.status
    if base.status == CONVERGED:
        assert moved.monthly == pytest.approx(base.monthly, rel=1e-9, abs=1e-12)


# --------------------------------------------------------------------------
# degenerate vectors


def test_nothing_back_is_a_total_loss():
    for cf in ([-100.0, 0.0, 0.0], [-100.0], [-100.0, -5.0, 0.0, -1.0], [0.0, -100.0, 0.0]):
        res = irr(cf)
        assert res.status == TOTAL_LOSS
        assert res.monthly == -1.0 and res.annual == -1.0


def test_one_signed_flows_have_no_irr():
    for cf in ([100.0, 5.0, 5.0], [0.0, 0.0, 0.0], [0.0, 1.0], [3.0]):
        res = irr(cf)
        assert res.status == NO_SIGN_CHANGE
        assert math.isnan(res.monthly) and math.isnan(res.annual)


def test_npv_negative_at_every_rate_has_no_irr():
    res = irr([-100.0, 50.0, -100.0])  # NPV < 0 for every rate
    assert res.status == NO_SIGN_CHANGE and math.isnan(res.monthly)


@pytest.mark.parametrize("months", [1, 12, 60])
def test_irr_near_minus_99_9_percent_a_month(months):
    """Inflows worth 1,000 x months at -99.9% a month, paid as 1,000 x 0.001^k."""
    k = np.arange(1, months + 1)
    cf = np.r_[-1_000.0 * months, 1_000.0 * 0.001**k]
    res = irr(cf)
    assert res.status == CONVERGED
    assert res.monthly == pytest.approx(-0.999, abs=1e-12)
    assert relative_npv(cf, float(res.monthly)) <= NPV_TOL


def test_tiny_recovery():
    res = irr([-100.0, 1e-4])  # 1 + r = 1e-6
    assert res.status == CONVERGED
    assert res.monthly == pytest.approx(-0.999999, abs=1e-15)


@pytest.mark.parametrize("months", [1_200, 6_000, 20_000])
def test_very_long_vectors(months):
    rate = 0.005
    cf = np.r_[-1e6, np.full(months, level_payment(1e6, 12 * rate, months))]
    res = irr(cf)
    assert res.status == CONVERGED
    assert res.monthly == pytest.approx(rate, rel=1e-10)
    assert relative_npv(cf, float(res.monthly)) <= 1e-10  # rounding grows with length


def test_known_roots():
    assert irr([-100.0, 110.0]).monthly == pytest.approx(0.10, rel=1e-14)
    assert irr([100.0, -110.0]).monthly == pytest.approx(0.10, rel=1e-14)  # borrower's side
    assert irr([-100.0, 50.0, 50.0]).monthly == 0.0  # NPV(0) is exactly 0
    # two IRRs, 10% and 20% a month: the one closest to 0
    assert irr([-100.0, 230.0, -132.0]).monthly == pytest.approx(0.10, rel=1e-12)
    # a late cost after a payoff: 12.17% and -82.15%
    assert irr([-100.0, 130.0, -20.0]).monthly == pytest.approx((130 + math.sqrt(8_900)) / 200 - 1, rel=1e-12)


def test_two_roots_closer_than_the_scan_grid():
    """NPV = -100 (1+r-x1)(1+r-x2)/(1+r)^2 with x1, x2 0.1% apart: the scan's
    cells are much wider, the pair is found through the minimum of |NPV|."""
    x1, x2 = 0.870, 0.871
    cf = np.array([-100.0, 100.0 * (x1 + x2), -100.0 * x1 * x2])
    res = irr(cf)
    assert res.status == CONVERGED
    assert res.monthly == pytest.approx(x2 - 1.0, abs=1e-9)


def test_statuses_are_distinct_named_constants():
    codes = [CONVERGED, TOTAL_LOSS, NO_SIGN_CHANGE, NOT_CONVERGED]
    assert len(set(codes)) == 4
    assert [STATUS_NAMES[c] for c in codes] == ["converged", "total_loss", "no_sign_change", "not_converged"]
    assert (kernel.CONVERGED, kernel.TOTAL_LOSS, kernel.NO_SIGN_CHANGE, kernel.NOT_CONVERGED) == tuple(codes)


# --------------------------------------------------------------------------
# wrapper: shapes, errors, failures, parallel kernel


def test_one_vector_gives_scalars_and_a_matrix_gives_arrays():
    one = irr([-100.0, 110.0])
    assert isinstance(one, IRRResult) and np.ndim(one.monthly) == 0
    assert float(one.annual) == pytest.approx(1.1**12 - 1.0, rel=1e-13)
    many = irr([[-100.0, 110.0], [-100.0, 0.0], [1.0, 1.0]])
    assert many.monthly.shape == many.annual.shape == many.iterations.shape == many.status.shape == (3,)
    assert many.counts() == {"converged": 1, "total_loss": 1, "no_sign_change": 1, "not_converged": 0}
    table = many.to_arrow()
    assert isinstance(table, pa.Table) and table.num_rows == 3
    assert table.column("status").to_pylist() == ["converged", "total_loss", "no_sign_change"]


def test_raise_on_failure():
    irr([-100.0, 0.0], raise_on_failure=True)  # a total loss is an answer
    with pytest.raises(ConvergenceError, match="no_sign_change"):
        irr([100.0, 5.0], raise_on_failure=True)
    with pytest.raises(ConvergenceError, match="1 of 2 vectors"):
        irr([[-100.0, 110.0], [100.0, 5.0]], raise_on_failure=True)


@pytest.mark.parametrize(
    "bad, match",
    [
        ([[[-1.0, 2.0]]], "shape"),
        ([], "at least one month"),
        ([-100.0, np.nan], r"cash_flows\[1\]: expected a finite number"),
        ([[-100.0, 1.0], [-1.0, np.inf]], r"cash_flows\[1, 1\]"),
        ("abc", "array of numbers"),
    ],
)
def test_bad_input(bad, match):
    with pytest.raises(InputError, match=match):
        irr(bad)


def test_kernel_entry_points_agree():
    rng = np.random.default_rng(3)
    m = padded(random_note_flows(rng, 300))
    res = irr(m)
    for i in range(0, 300, 7):
        rate, evals, status = kernel.irr_one(m[i])
        assert status == res.status[i] and evals == res.iterations[i]
        assert rate == res.monthly[i] or (math.isnan(rate) and math.isnan(res.monthly[i]))


def test_same_results_for_any_thread_count():
    rng = np.random.default_rng(5)
    m = padded(random_note_flows(rng, 2_000))
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = irr(m)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        many = irr(m)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(one.monthly, many.monthly)
    np.testing.assert_array_equal(one.status, many.status)


def test_annual_from_monthly():
    assert annual_from_monthly(-1.0) == -1.0
    assert math.isnan(annual_from_monthly(math.nan))
    np.testing.assert_allclose(annual_from_monthly(np.array([0.01, 0.0])), [1.01**12 - 1.0, 0.0], rtol=1e-15)


# --------------------------------------------------------------------------
# the IRR distribution


def test_distribution_of_converged_paths():
    rng = np.random.default_rng(1)
    values = rng.normal(0.08, 0.1, 1_001)
    d = irr_distribution(values, np.zeros(values.size, dtype=np.int8), hurdle=0.12)
    assert d["n_paths"] == d["n_converged"] == d["n_in_moments"] == d["n_in_probabilities"] == 1_001
    assert d["mean"] == pytest.approx(values.mean(), rel=1e-14)
    assert d["std"] == pytest.approx(values.std(ddof=1), rel=1e-14)
    assert d["p50"] == np.median(values)
    for p in (1, 5, 10, 25, 75, 90, 95, 99):
        assert d[f"p{p:02d}"] == pytest.approx(np.percentile(values, p), rel=1e-14)
    assert d["p_irr_below_zero"] == np.mean(values < 0)
    assert d["p_irr_below_hurdle"] == np.mean(values < 0.12)


def test_distribution_status_handling():
    # two converged, one total loss, one with no IRR, one not converged
    annual = np.array([0.10, 0.20, -1.0, np.nan, np.nan])
    status = np.array([CONVERGED, CONVERGED, TOTAL_LOSS, NO_SIGN_CHANGE, NOT_CONVERGED], dtype=np.int8)
    d = irr_distribution(annual, status, hurdle=0.15)
    assert (d["n_total_loss"], d["n_no_sign_change"], d["n_not_converged"]) == (1, 1, 1)
    assert d["n_in_moments"] == d["n_in_probabilities"] == 3
    assert d["mean"] == pytest.approx((0.10 + 0.20 - 1.0) / 3, rel=1e-14)
    assert d["p01"] == pytest.approx(np.percentile([0.1, 0.2, -1.0], 1), rel=1e-14)
    assert d["p_irr_below_zero"] == pytest.approx(1 / 3)
    assert d["p_irr_below_hurdle"] == pytest.approx(2 / 3)
    # with the flows, the no-IRR path (NPV < 0 at every rate) counts as below both
    flows = np.array([[-100, 110, 0], [-100, 120, 0], [-100, 0, 0], [-100, 50, -100], [-100, 0, 100]], float)
    d = irr_distribution(annual, status, hurdle=0.15, cash_flows=flows)
    assert d["n_in_moments"] == 3 and d["n_in_probabilities"] == 4
    assert d["p_irr_below_zero"] == pytest.approx(2 / 4)
    assert d["p_irr_below_hurdle"] == pytest.approx(3 / 4)


def test_distribution_from_solver_output():
    """End to end: flows -> irr -> distribution; a free note (no outlay) has no
    IRR and is above every hurdle when its flows are given."""
    flows = np.array([[-100.0, 105.0], [-100.0, 0.0], [0.0, 5.0], [-100.0, 90.0]])
    res = irr(flows)
    d = irr_distribution(res.annual, res.status, hurdle=0.0, cash_flows=flows)
    assert d["n_in_moments"] == 3 and d["n_in_probabilities"] == 4
    assert d["p_irr_below_zero"] == pytest.approx(2 / 4)


def test_distribution_bad_input():
    with pytest.raises(InputError, match="same length"):
        irr_distribution([0.1, 0.2], [0], 0.1)
    with pytest.raises(InputError, match=r"statuses\[0\]"):
        irr_distribution([0.1], [7], 0.1)
    with pytest.raises(InputError, match="a percent"):
        irr_distribution([0.1], [0], 12.0)
    with pytest.raises(InputError, match="finite IRR"):
        irr_distribution([np.nan], [CONVERGED], 0.1)
