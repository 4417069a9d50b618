"""Building blocks of note pricing: the path-PV forms of the bids against the
flow forms, present values at several yields in one pass (the same bits for
a path in any company), and the IRR distribution with NO_SIGN_CHANGE paths
placed by given NPVs instead of flows."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.analytics.bids import (
    bid_at_confidence,
    bid_at_confidence_from_pv,
    bid_at_yield,
    bid_by_outcome,
    bid_by_outcome_from_pv,
    bid_from_pv,
    outcome_path_yields,
    pv_at_yield,
    pv_at_yields,
)
from engine.analytics.irr import NO_SIGN_CHANGE, irr, irr_distribution
from engine.errors import InputError


def flows(n=300, months=90, seed=3):
    rng = np.random.default_rng(seed)
    cf = rng.normal(900.0, 300.0, (n, months))
    last = rng.integers(0, months + 1, n)
    cf[np.arange(months) >= last[:, None]] = 0.0
    return cf, last


def test_pv_at_yields_is_pv_at_yield_column_by_column_and_the_same_bits_in_any_company():
    cf, last = flows()
    ys = np.array([0.0, 0.08, 0.12, 0.25])
    pv = pv_at_yields(cf, ys, last)
    for j, y in enumerate(ys):
        np.testing.assert_allclose(pv[:, j], pv_at_yield(cf, y), rtol=1e-12, atol=1e-9)
    np.testing.assert_array_equal(pv, pv_at_yields(cf, ys))  # skipping zero months changes no bit
    np.testing.assert_array_equal(pv[17:40], pv_at_yields(cf[17:40], ys, last[17:40]))
    full = np.concatenate([np.full((cf.shape[0], 1), -1e5), cf], axis=1)
    np.testing.assert_array_equal(pv, pv_at_yields(full[:, 1:], ys, last))  # a strided view, read in place
    with pytest.raises(InputError, match=r"annual_yields\[1\]: .* \(a percent\? write 0.12\)"):
        pv_at_yields(cf, [0.1, 12.0])
    with pytest.raises(InputError, match="last_month"):
        pv_at_yields(cf, ys, last + 200)


def test_bids_from_path_values_are_the_bids_from_flows():
    cf, _ = flows()
    codes = np.random.default_rng(4).integers(0, 3, cf.shape[0])
    yields = {0: 0.1, 1: 0.12, 2: 0.2}
    assert bid_from_pv(pv_at_yield(cf, 0.12), 1500.0) == bid_at_yield(cf, 0.12, 1500.0)
    pv_o = pv_at_yield(cf, outcome_path_yields(codes, yields))
    assert bid_by_outcome_from_pv(pv_o, codes, yields, 1500.0) == bid_by_outcome(cf, codes, yields, 1500.0)
    assert bid_at_confidence_from_pv(pv_at_yield(cf, 0.1), 0.1, 0.8, 1500.0) == bid_at_confidence(cf, 0.1, 0.8, 1500.0)
    with pytest.raises(InputError, match="pv: expected one value per path"):
        bid_from_pv(np.ones((3, 2)))


def test_irr_distribution_places_no_sign_change_paths_by_given_npvs():
    cf, _ = flows(200, 60)
    full = np.concatenate([np.full((200, 1), -40_000.0), cf], axis=1)
    full[:20, 1:] = -10.0  # outlays only after month 0: TOTAL_LOSS
    full[20:30, 0] = 5.0  # nothing paid out: NO_SIGN_CHANGE
    res = irr(full)
    assert (res.status == NO_SIGN_CHANGE).sum() >= 10
    h = 0.1
    k = np.arange(full.shape[1])
    by_flows = irr_distribution(res.annual, res.status, h, cash_flows=full)
    by_npv = irr_distribution(
        res.annual, res.status, h, npv_at_zero=full.sum(axis=1), npv_at_hurdle=full @ (1 + h) ** (-k / 12)
    )
    for key, value in by_flows.items():
        assert by_npv[key] == value or (math.isnan(value) and math.isnan(by_npv[key])), key
    with pytest.raises(InputError, match="give both or neither"):
        irr_distribution(res.annual, res.status, h, npv_at_zero=full.sum(axis=1))
