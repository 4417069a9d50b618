"""Large books and many paths: the state model's exact tick sums never wrap,
and runs beyond what the accumulators or memory support are refused up front,
with the limit named."""

from __future__ import annotations

import numpy as np
import pytest

import engine
from engine.economy.hpi import HPIModel, simulate_hpi
from engine.errors import InputError
from state_helpers import NO_COSTS, col, state_config

STATE_BALANCES = ("performing_balance", "dq30_balance", "dq60_balance", "dq90_balance", "foreclosure_balance")


def _pool(scale: float, paths: int) -> dict:
    """$500bn in 50 loans of $10bn (the tape's per-loan cap), in mixed states."""
    statuses = [("current", 0), ("dq30", 1), ("dq90+", 5), ("current", 0), ("dq60", 2)]
    rows = [
        {"loan_id": f"L{i}", "balance": 1e10 * scale, "note_rate": 0.05 + 0.0005 * i, "remaining_term": 360,
         "age": 12 * (i % 5), "property_value": 1e10 * scale, "status": statuses[i % 5][0],
         "payments_behind": statuses[i % 5][1]}
        for i in range(50)
    ]
    # fixed per-loan costs (legal, holding, cash for keys) do not scale with the pool: off
    return state_config(rows, integration="sampled", paths=paths, horizon=24, chunk_paths=2500, loans_out=False,
                        state_model=NO_COSTS)


def test_500_billion_pool_on_10000_paths_matches_the_scaled_down_pool():
    """$500bn on 10,000 paths: a path's column sums are 5e15 ticks and the sum
    over paths 5e19, past int64 (9.2e18). The means must equal the same pool
    scaled down by 1e6, scaled back, to the accumulator's precision: every
    booking of a cell rounds to 1e-4 in the small run, i.e. 50 currency after
    scaling, for up to 2 branches x 64 cells x 50 loans a month (320,000,
    3e-6 of the balances; a wrapped sum is off by about 1e15). Sampled
    integration: both runs draw the same transitions (the draws depend on
    seed, path, loan and month, not on amounts)."""
    big = engine.run(_pool(1.0, 10_000)).cashflows
    small = engine.run(_pool(1e-6, 10_000)).cashflows
    for name in STATE_BALANCES + ("scheduled_principal", "interest", "total_cash_flow"):
        b, s = col(big, name), col(small, name) * 1e6
        assert np.all(np.isfinite(b)) and np.all(b >= 0), name
        np.testing.assert_allclose(b, s, rtol=0, atol=50.0 * 2 * 64 * 50, err_msg=name)
    assert col(big, "performing_balance")[0] > 2e11  # the current loans' balance, not a wrapped negative


def test_a_tape_too_large_for_the_accumulators_is_refused_naming_the_limit():
    rows = [{"loan_id": f"X{i}", "balance": 1e10, "property_value": 1e10, "note_rate": 0.05, "remaining_term": 360}
            for i in range(600)]
    with pytest.raises(InputError, match=r"loans: .*above the state model's limit of 10,000,000,000,000"):
        engine.run(state_config(rows, paths=2, horizon=12))


def test_too_many_paths_for_memory_is_refused_with_the_memory_needed():
    rows = [{"loan_id": "X", "balance": 1e5, "note_rate": 0.05, "remaining_term": 360}]
    with pytest.raises(InputError, match=r"simulation\.paths: 10,000,000 paths x 360 months need .* GiB.*use at most"):
        engine.run(state_config(rows, paths=10_000_000, horizon=360))


@pytest.mark.parametrize("antithetic", [False, True])
@pytest.mark.parametrize("p0, p1", [(0, 5), (3, 9), (1, 2), (6, 11)])
def test_hpi_paths_drawn_by_chunk_equal_the_rows_of_one_draw(antithetic, p0, p1):
    model = HPIModel(0.03, 0.05, antithetic=antithetic)
    whole = simulate_hpi(model, 11, 36, 7)
    part = simulate_hpi(model, p1 - p0, 36, 7, path0=p0)
    assert np.array_equal(part, whole[p0:p1])
