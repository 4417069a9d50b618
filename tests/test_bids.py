"""Bid prices (a) at a required yield, (b) by outcome, (c) at a confidence,
checked against plain loops, against the IRR solver, and (for the confidence
interval) by repeated sampling from a known distribution."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.analytics.bids import (
    BidEstimate,
    ConfidenceBid,
    bid_at_confidence,
    bid_at_yield,
    bid_by_outcome,
    expected_profit,
    money_multiple,
    paths_needed,
    pv_at_yield,
    quantile_ranks,
    with_purchase,
)
from engine.analytics.irr import CONVERGED, irr
from engine.errors import InputError

# outcome codes used by the synthetic paths below
PERFORMS, PREPAYS, DEFAULTS = 0, 1, 2


def note_paths(n_paths: int, months: int = 120, seed: int = 0):
    """Holder flows (months 1..T, month 0 excluded) of one 100,000 note at 7%
    on ``n_paths`` paths: level payments, a random payoff or a default
    followed by a recovery after 6 to 24 months. Returns (cf, outcome codes)."""
    rng = np.random.default_rng(seed)
    face, i = 100_000.0, 0.07 / 12
    growth = (1 + i) ** months
    pmt = face * i * growth / (growth - 1)
    k = np.arange(1, months + 1)
    t_prepay = rng.geometric(0.01, n_paths)
    t_default = rng.geometric(0.005, n_paths)
    prepays = (t_prepay <= months) & (t_prepay < t_default)
    defaults = (t_default <= months) & ~prepays
    last = np.where(prepays, t_prepay, np.where(defaults, t_default - 1, months))
    cf = np.where(k <= last[:, None], pmt, 0.0)
    balance = lambda m: face * (growth - (1 + i) ** m) / (growth - 1)  # noqa: E731
    rows = np.arange(n_paths)
    cf[rows[prepays], t_prepay[prepays] - 1] += balance(t_prepay[prepays])
    recovery = np.minimum(t_default + rng.integers(6, 25, n_paths), months)
    cf[rows[defaults], recovery[defaults] - 1] += 0.6 * balance(t_default[defaults] - 1)
    codes = np.where(prepays, PREPAYS, np.where(defaults, DEFAULTS, PERFORMS))
    return cf, codes


def loop_pv(row, annual_yield: float) -> float:
    """Plain loop: sum_k CF_k (1 + y)^(-k/12), k = 1..T."""
    return math.fsum(c * (1.0 + annual_yield) ** (-(k + 1) / 12.0) for k, c in enumerate(row))


# --------------------------------------------------------------------------
# present values


def test_pv_at_one_yield_and_per_path_yields():
    cf, _ = note_paths(300, months=60)
    rng = np.random.default_rng(1)
    np.testing.assert_allclose(pv_at_yield(cf, 0.09), [loop_pv(r, 0.09) for r in cf], rtol=1e-13)
    few = rng.choice([0.05, 0.1, 0.3], 300)  # discounted one distinct yield at a time
    many = rng.uniform(-0.5, 0.9, 300)  # block by block
    for y in (few, many):
        np.testing.assert_allclose(pv_at_yield(cf, y), [loop_pv(r, v) for r, v in zip(cf, y)], rtol=1e-13)
    assert pv_at_yield(cf[0], 0.09) == pytest.approx(loop_pv(cf[0], 0.09), rel=1e-13)


# --------------------------------------------------------------------------
# (a) at a required yield


def test_bid_at_yield_pays_for_price_and_costs():
    cf, _ = note_paths(2_000)
    bid = bid_at_yield(cf, 0.12, costs=1_500.0)
    assert isinstance(bid, BidEstimate)
    pvs = np.array([loop_pv(r, 0.12) for r in cf])
    assert bid.price + bid.costs == pytest.approx(pvs.mean(), rel=1e-12)
    assert bid.standard_error == pytest.approx(pvs.std(ddof=1) / math.sqrt(2_000), rel=1e-10)
    assert (bid.n_paths, bid.n_samples) == (2_000, 2_000)


@given(st.floats(0.0, 0.5), st.floats(0.0, 5_000.0), st.integers(1, 360))
def test_identical_paths_bought_at_bid_a_earn_the_required_yield(required, costs, months):
    """One deterministic path repeated: the IRR at bid (a) is the required yield."""
    row = np.full(months, 800.0)
    row[-1] += 50_000.0
    cf = np.tile(row, (4, 1))
    bid = bid_at_yield(cf, required, costs)
    assert bid.standard_error == 0.0
    res = irr(with_purchase(cf, bid.price, costs))
    assert (res.status == CONVERGED).all()
    np.testing.assert_allclose(res.annual, required, rtol=0, atol=1e-10)


def test_antithetic_pairs_are_one_sample_each():
    cf, _ = note_paths(1_000)
    pairs = np.repeat(np.arange(500), 2)
    plain = bid_at_yield(cf, 0.1)
    paired = bid_at_yield(cf, 0.1, groups=pairs)
    assert paired.price == pytest.approx(plain.price, rel=1e-14)
    pair_means = pv_at_yield(cf, 0.1).reshape(500, 2).mean(axis=1)
    assert paired.standard_error == pytest.approx(pair_means.std(ddof=1) / math.sqrt(500), rel=1e-12)
    assert paired.n_samples == 500
    with pytest.raises(InputError, match="one size"):
        bid_at_yield(cf, 0.1, groups=np.r_[0, np.repeat(np.arange(1, 500), 2), 500])


# --------------------------------------------------------------------------
# (b) by outcome


def test_bid_by_outcome_matches_a_plain_loop():
    cf, codes = note_paths(3_000)
    yields = {PERFORMS: 0.08, PREPAYS: 0.06, DEFAULTS: 0.25}
    bid = bid_by_outcome(cf, codes, yields, costs=2_000.0)
    # sum over outcomes of P(o) x mean PV of o's paths at y_o, minus costs, by hand
    total = 0.0
    for code, y in yields.items():
        members = [i for i in range(len(cf)) if codes[i] == code]
        mean_pv = math.fsum(loop_pv(cf[i], y) for i in members) / len(members)
        total += len(members) / len(cf) * mean_pv
        part = bid.by_outcome[code]
        assert part.n_paths == len(members) and part.mean_pv == pytest.approx(mean_pv, rel=1e-12)
        assert part.probability == len(members) / len(cf) and part.required_yield == y
    assert bid.price == pytest.approx(total - 2_000.0, rel=1e-12)
    per_path = [loop_pv(cf[i], yields[int(codes[i])]) for i in range(len(cf))]
    assert bid.standard_error == pytest.approx(np.std(per_path, ddof=1) / math.sqrt(len(cf)), rel=1e-9)


def test_bid_by_outcome_with_one_yield_is_bid_a():
    cf, codes = note_paths(1_000)
    a = bid_at_yield(cf, 0.11, costs=700.0)
    b = bid_by_outcome(cf, codes, [0.11, 0.11, 0.11], costs=700.0)
    assert b.price == pytest.approx(a.price, rel=1e-12)
    assert b.standard_error == pytest.approx(a.standard_error, rel=1e-9)


def test_bid_by_outcome_needs_every_yield():
    cf, codes = note_paths(200)
    with pytest.raises(InputError, match=r"outcome code\(s\) \[2\]"):
        bid_by_outcome(cf, codes, {PERFORMS: 0.08, PREPAYS: 0.06})
    with pytest.raises(InputError, match="integer code per path"):
        bid_by_outcome(cf, codes.astype(float), {0: 0.1, 1: 0.1, 2: 0.1})


# --------------------------------------------------------------------------
# (c) at a confidence


@pytest.mark.parametrize("hurdle, confidence", [(0.10, 0.9), (0.15, 0.5), (0.06, 0.99), (0.2, 0.75)])
def test_bid_at_confidence_holds_the_share_and_no_higher_price_does(hurdle, confidence):
    cf, _ = note_paths(1_000, seed=4)
    costs = 1_000.0
    bid = bid_at_confidence(cf, hurdle, confidence, costs)
    assert isinstance(bid, ConfidenceBid) and bid.share_at_price >= confidence

    def share_earning_hurdle(price, slack=0.0):
        res = irr(with_purchase(cf, price, costs))
        assert (res.status == CONVERGED).all()
        return np.mean(res.annual >= hurdle - slack)

    # at the bid the marginal path earns the hurdle exactly (to rounding);
    # a hair below the bid every qualifying path clears it outright
    assert share_earning_hurdle(bid.price, slack=1e-9) >= confidence
    assert share_earning_hurdle(bid.price * (1 - 1e-9)) >= confidence
    assert share_earning_hurdle(bid.price * 1.02) < confidence


def test_order_statistic_used():
    assert paths_needed(1_000, 0.9) == 900  # 0.9 * 1000 is 900.0000000000001 in floats
    assert paths_needed(3, 0.5) == 2 and paths_needed(1, 0.01) == 1 and paths_needed(7, 1.0) == 7
    pvs = np.arange(1.0, 11.0)  # one-month flows discounted at 0: PV = flow
    bid = bid_at_confidence(pvs[:, None], 0.0, 0.8, costs=0.5)
    # 8 of 10 paths must have PV >= price + costs: the 8th largest, rank 3
    assert (bid.rank, bid.price, bid.share_at_price) == (3, 2.5, 0.8)


def test_quantile_ranks_against_binomial_sums():
    n, p, level = 40, 0.1, 0.9

    def cdf(j):
        return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(j + 1)) if j >= 0 else 0.0

    low, high, coverage = quantile_ranks(n, p, level)
    assert cdf(low - 1) <= 0.05 < cdf(low)  # largest l with P(B < l) <= 5%
    assert 1 - cdf(high - 1) <= 0.05 < 1 - cdf(high - 2)  # smallest u with P(B >= u) <= 5%
    assert coverage == pytest.approx(cdf(high - 1) - cdf(low - 1), rel=1e-12) and coverage >= level


def test_confidence_interval_covers_the_true_bid():
    """Repeated samples of 200 lognormal path PVs: the 95% interval contains
    the true (1 - confidence)-quantile in at least about 95% of them."""
    rng = np.random.default_rng(2026)
    confidence, costs, reps = 0.8, 100.0, 400
    true_bid = math.exp(10.0 + 0.5 * -0.8416212335729143) - costs  # lognormal q_0.2
    hits = 0
    for _ in range(reps):
        pv = rng.lognormal(10.0, 0.5, 200)
        bid = bid_at_confidence(pv[:, None], 0.0, confidence, costs, ci_level=0.95)
        assert bid.ci_low <= bid.price <= bid.ci_high and bid.ci_coverage >= 0.95
        hits += bid.ci_low <= true_bid <= bid.ci_high
    assert hits / reps >= 0.95 - 3 * math.sqrt(0.95 * 0.05 / reps)


def test_too_few_paths_leave_the_interval_open():
    bid = bid_at_confidence(np.arange(1.0, 6.0)[:, None], 0.0, 0.99)
    assert bid.rank == 1 and bid.ci_low == -math.inf


# --------------------------------------------------------------------------
# helpers and input checks


def test_full_vectors_money_multiple_and_profit():
    cf = np.array([[10.0, 120.0], [0.0, 0.0], [30.0, 40.0]])
    full = with_purchase(cf, 100.0, costs=5.0)
    np.testing.assert_array_equal(full[:, 0], [-105.0, -105.0, -105.0])
    np.testing.assert_array_equal(full[:, 1:], cf)
    np.testing.assert_allclose(money_multiple(full), [130 / 105, 0.0, 70 / 105])
    assert expected_profit(full) == pytest.approx((25.0 - 105.0 - 35.0) / 3)
    assert math.isnan(money_multiple([0.0, 5.0]))
    assert with_purchase([1.0, 2.0], 3.0).tolist() == [-3.0, 1.0, 2.0]
    per_path = with_purchase(cf, np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(per_path[:, 0], [-1.0, -2.0, -3.0])


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda cf: bid_at_yield(cf, 12.0), "a percent"),
        (lambda cf: bid_at_yield(cf, 0.1, costs=-1.0), "costs"),
        (lambda cf: bid_at_confidence(cf, 0.1, 1.5), "confidence"),
        (lambda cf: bid_at_confidence(cf, 0.1, 0.9, ci_level=1.0), "ci_level"),
        (lambda cf: pv_at_yield(cf, np.array([0.1, 0.2])), "one per path"),
        (lambda cf: with_purchase(cf, -5.0), "price"),
        (lambda cf: bid_at_yield(np.where(cf > 0, np.nan, cf), 0.1), r"cf\[0, 0\]: expected a finite number"),
    ],
)
def test_bad_input(call, match):
    cf, _ = note_paths(5, months=12)
    with pytest.raises(InputError, match=match):
        call(cf)
