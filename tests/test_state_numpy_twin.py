"""The state-model kernel (sampled integration) against an independent NumPy twin.

``tests/reference/numpy_state.py`` restates the model -- cells, hazard model, accounting,
month order and its own Threefry-2x64-20 -- vectorised over (path, loan)
items one month at a time. Its inputs come from its own reading of the config
and tape (``inputs_from_config``: hazards, timelines from the CSV, property
values, arrears, modified terms, prepayment rates, home-price paths), while the
kernel runs on the engine's (``engine.models.state.kernel_inputs``), so a mistake
in turning a config into kernel inputs cannot be shared by both. Given the
same config it must make the same draws and book the same amounts, so the
per-path, per-month columns agree to the tick. The tolerance allowed here is the brief's "tick rounding": 3 ticks of
1e-4 per loan in every (path, month, column); the integer outcome counts per
loan must agree exactly. Every case also checks that it exercises the
transitions it is meant to (a twin that agrees on zeros proves nothing), and
``test_twin_detects_*`` check that the comparison fails when it should.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.config import load_config
from engine.kernels import state as ks
from engine.kernels.hazard import interp
from engine.kernels.rng import PURPOSE_TRANSITION, threefry2x64, uniform_pair
from engine.inputs.sample import agency_tape, npl_tape
from engine.inputs.tape import Loans, loans_from_table

REPO = Path(__file__).resolve().parents[1]


def _load_twin():
    name = "reference_numpy_state"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "tests" / "reference" / "numpy_state.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


ns = _load_twin()

TICKS_PER_LOAN = 3  # tolerance: ticks of 1e-4 per loan, per (path, month, column)

# per-loan outcome columns that count loan-paths (integers in sampled runs)
COUNT_COLUMNS = [
    ks.O_PREPAID, ks.O_PREPAID_T, ks.O_MATURED, ks.O_MATURED_T, ks.O_LIQUIDATED, ks.O_LIQUIDATED_T,
    ks.O_DIL, ks.O_DIL_T, ks.O_FC_SALE, ks.O_FC_SALE_T, ks.O_MODIFIED, ks.O_MODIFIED_T,
    ks.O_CURES, ks.O_UNRESOLVED,
]


def mixed_loans(n_npl: int = 15, n_agency: int = 15, seed: int = 11) -> Loans:
    """NPL loans (every status, arrears, deferred balances) followed by agency loans."""
    parts = [loans_from_table(npl_tape(n_npl, seed))]
    if n_agency:
        parts.append(loans_from_table(agency_tape(n_agency, seed + 1)))
    return Loans(**{f: np.concatenate([getattr(x, f) for x in parts]) for f in Loans.__dataclass_fields__})


def state_config(paths: int = 8, horizon: int = 120, seed: int = 7, **blocks):
    """A sampled state-model config: default hazards (cures, modifications,
    deeds-in-lieu, foreclosure, REO all on), PSA 150, a volatile falling HPI."""
    data = {
        "name": "twin",
        "model": "state",
        "loans": [{"loan_id": "unused", "balance": 1.0, "note_rate": 0.05, "remaining_term": 1}],
        "assumptions": {"prepay": {"model": "psa", "speed": 150}},
        "simulation": {"integration": "sampled", "paths": paths, "horizon": horizon, "seed": seed},
        "economy": {"hpi": {"drift": -0.02, "volatility": 0.10}},
    }
    for key, value in blocks.items():
        data[key] = {**data.get(key, {}), **value}
    return load_config(data)


def short_terms(loans: Loans) -> Loans:
    """Remaining terms of 2 to 100 months, so loans mature (on time and on a cure) in the horizon."""
    term = 2 + (np.arange(loans.n) * 7) % 99
    return dataclasses.replace(loans, remaining_term=term.astype(np.int64))


def gappy(loans: Loans) -> Loans:
    """Tape columns left unknown, so the documented defaults apply: no state
    (default timeline), no property value (from original balance / LTV, or
    balance / 0.80 without either), no FICO, and arrears 0 for loans behind
    (estimated from the missed interest)."""
    i = np.arange(loans.n)
    return dataclasses.replace(
        loans,
        state=np.where(i % 3 == 0, "", loans.state).astype(object),
        property_value=np.where(i % 4 == 0, np.nan, loans.property_value),
        ltv=np.where(i % 5 == 0, np.nan, loans.ltv),
        fico=np.where(i % 3 == 1, np.nan, loans.fico),
        arrears=np.where(i % 2 == 0, 0.0, loans.arrears),
    )


CASES = {
    # defaults: every transition on, fixed-table prepayment (by age)
    "default": (lambda: state_config(), mixed_loans,
                [ks.S_PREPAY, ks.S_NEW_DQ, ks.S_CURES, ks.S_MODS, ks.S_DIL, ks.S_FC_STARTS, ks.S_REO_IN,
                 ks.S_LIQ_BAL, ks.S_MODIFIED_BAL, ks.S_FC_BAL, ks.S_REO_BAL, ks.S_CAPITALIZED, ks.S_DEFERRED_PAID]),
    # turnover + refinancing prepayment (prepay code 1), burnout, another calendar start
    "turnover": (lambda: state_config(
                    assumptions={"prepay": {"model": "turnover", "base_cpr": 0.08, "refi_max_cpr": 0.4, "burnout": 2.0}},
                    simulation={"start_month": 3},
                    economy={"mortgage_rate": 0.05}),
                 mixed_loans,
                 [ks.S_PREPAY, ks.S_NEW_DQ, ks.S_CURES, ks.S_MODS, ks.S_DIL, ks.S_FC_STARTS, ks.S_LIQ_BAL]),
    # zero foreclosure and REO timelines (sold on referral / on title), fixed
    # severity, short terms and modifications that mature inside the horizon
    "fast": (lambda: state_config(
                state_model={"foreclosure": {"months": 0}, "reo": {"months": 0},
                             "liquidation": {"severity": 0.35}, "modification": {"term_months": 60}},
                simulation={"seed": 2**62 + 12345}),
             lambda: short_terms(mixed_loans()),
             [ks.S_PREPAY, ks.S_MATURED, ks.S_CURES, ks.S_MODS, ks.S_DIL, ks.S_FC_STARTS, ks.S_LIQ_BAL,
              ks.S_PRIN_LOSS]),
    # a tape with gaps (defaults for state, value, FICO, arrears), per-state timeline overrides and a
    # default timeline for loans with no state
    "gappy": (lambda: state_config(
                 state_model={"foreclosure": {"timeline_months": {"CA": 5, "TX": 9, "NY": 20}, "default_months": 11}}),
              lambda: gappy(mixed_loans()),
              [ks.S_PREPAY, ks.S_NEW_DQ, ks.S_CURES, ks.S_ARREARS_PAID, ks.S_FC_STARTS, ks.S_REO_IN, ks.S_LIQ_BAL]),
}


def compare(kernel, twin, n_loans):
    """Max |difference| in ticks of the per-path columns; asserts the tolerances."""
    k_out, k_loans = kernel[0], kernel[1]
    n_out, n_loans_out = twin
    assert k_out.shape == n_out.shape
    diff = np.abs(k_out - n_out)
    worst = int(diff.max())
    assert worst <= TICKS_PER_LOAN * n_loans, (
        f"kernel and twin differ by {worst} ticks (> {TICKS_PER_LOAN} x {n_loans} loans) at "
        f"(path, month, column) {np.unravel_index(int(diff.argmax()), diff.shape)}"
    )
    np.testing.assert_array_equal(k_loans[:, COUNT_COLUMNS], n_loans_out[:, COUNT_COLUMNS])
    # the kernel adds each path's outcomes as fixed-point ticks: half a tick per path
    quantum = getattr(kernel, "loans_tolerance", 0.0)
    assert np.all(np.abs(k_loans - n_loans_out) <= 1e-6 + 1e-12 * np.abs(n_loans_out) + quantum), (
        f"per-loan outcomes differ by up to {np.max(np.abs(k_loans - n_loans_out) - quantum):.3g} beyond the ticks"
    )
    return worst


def engine_and_twin_inputs(config, loans):
    """(the engine's kernel inputs, the twin's own reading of the same config and tape)."""
    return ns.state_inputs(config, loans), ns.inputs_from_config(config.to_dict(), loans)


@pytest.mark.parametrize("case", sorted(CASES))
def test_twin_reads_the_config_as_the_engine_does(case):
    """Every kernel argument and the home-price paths, from two readings of the config."""
    make_config, make_loans, _ = CASES[case]
    ours, theirs = engine_and_twin_inputs(make_config(), make_loans())
    assert (ours.seed, ours.horizon) == (theirs.seed, theirs.horizon)
    for name, a, b in zip(ns.ARG_NAMES, ours.args, theirs.args):
        np.testing.assert_allclose(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64),
                                   rtol=1e-13, atol=0, err_msg=name)
    np.testing.assert_allclose(ours.hpi, theirs.hpi, rtol=1e-13, atol=0)


@pytest.mark.parametrize("case", sorted(CASES))
def test_kernel_matches_numpy_twin(case):
    make_config, make_loans, exercised = CASES[case]
    config, loans = make_config(), make_loans()
    inputs, own = engine_and_twin_inputs(config, loans)
    assert own.hpi.std() > 0  # volatile home prices
    kernel = ns.run_kernel(inputs)
    twin = ns.run_numpy(own)
    compare(kernel, twin, loans.n)
    totals = kernel[0].sum(axis=(0, 1))
    idle = [c for c in exercised if totals[c] == 0]
    assert not idle, f"case {case!r} never books columns {idle}: it does not test what it claims"


def test_run_state_model_matches_twin():
    """End to end: the mean columns of ``run_state_model`` (its own input
    preparation, HPI paths and path chunks) equal the twin's on the inputs
    its own reading of the config, so the two preparations have not drifted apart."""
    from engine.models.state import STATE_COLUMNS
    from engine.runs.projection import run_state_model

    config, loans = state_config(paths=6, horizon=90), mixed_loans(12, 6)
    config = load_config(config, overrides=["simulation.chunk_paths=4"])
    run = run_state_model(config, loans)
    out, _ = ns.run_numpy(ns.inputs_from_config(config.to_dict(), loans))
    mean = out[:, 1:, :].sum(axis=0) / ks.TICKS / out.shape[0]
    tol = TICKS_PER_LOAN * loans.n / ks.TICKS
    for col, name in STATE_COLUMNS.items():
        if col in (ks.S_GROSS_INT, ks.S_ROLL_BASE):  # derived by run_state_model, not booked
            continue
        np.testing.assert_allclose(run.cashflows[name].to_numpy(), mean[:, col], rtol=0, atol=tol, err_msg=name)
    assert run.cashflows["liquidations"].to_numpy().sum() > 0


def test_kernel_chunks_and_blocks_match_twin_slices():
    """Global path indices: the kernel in chunks of 3 paths over 5 loan blocks,
    and the twin run on paths 3..7 alone from path0 = 3, match the full twin."""
    config, loans = state_config(horizon=60), mixed_loans(8, 8)
    inputs, own = engine_and_twin_inputs(config, loans)
    full = ns.run_numpy(own)
    compare(ns.run_kernel(inputs, chunk_paths=3, n_blocks=5), full, loans.n)
    part = own.replace(hpi=own.hpi[3:])
    out, _ = ns.run_numpy(part, path0=3)
    np.testing.assert_array_equal(out, full[0][3:])


@settings(max_examples=12)
@given(
    seed=st.integers(0, 2**63 - 1),
    n_npl=st.integers(1, 12),
    n_agency=st.integers(0, 6),
    paths=st.integers(1, 5),
    horizon=st.integers(1, 90),
    tape_seed=st.integers(0, 1000),
)
def test_kernel_matches_twin_hypothesis(seed, n_npl, n_agency, paths, horizon, tape_seed):
    config = state_config(paths=paths, horizon=horizon, seed=seed)
    loans = mixed_loans(n_npl, n_agency, tape_seed)
    inputs, own = engine_and_twin_inputs(config, loans)
    compare(ns.run_kernel(inputs), ns.run_numpy(own), loans.n)


# --------------------------------------------------------------------------
# the comparison can fail


def test_twin_detects_another_seed():
    config, loans = state_config(), mixed_loans()
    inputs, own = engine_and_twin_inputs(config, loans)
    kernel = ns.run_kernel(inputs)
    other = ns.run_numpy(own.replace(seed=own.seed + 1))
    with pytest.raises(AssertionError):
        compare(kernel, other, loans.n)


@pytest.mark.parametrize(
    "h, factor",
    [(ks.H_DQ60_MOD, 1.5), (ks.H_DQ90_CURE_DECAY, 0.9), (ks.H_LEGAL, 1.01), (ks.H_FORBEAR, 1.01),
     (ks.H_TI_RATE, 1.01), (ks.H_SELLING, 1.01)],
)
def test_twin_detects_a_changed_parameter(h, factor):
    """One hazard or cost parameter changed for the twin only is caught."""
    config, loans = state_config(), mixed_loans()
    inputs, own = engine_and_twin_inputs(config, loans)
    kernel = ns.run_kernel(inputs)
    hp = own.arg("hp").copy()
    hp[h] *= factor
    with pytest.raises(AssertionError):
        compare(kernel, ns.run_numpy(own.replace(hp=hp)), loans.n)


@pytest.mark.parametrize("update", [
    {"state_model": {"reo": {"sale_discount": 0.16}}},
    {"state_model": {"foreclosure": {"timeline_months": {"CA": 18}}}},
    {"state_model": {"modification": {"rate_floor": 0.05}}},
    {"economy": {"hpi": {"drift": -0.021}}},
    {"assumptions": {"prepay": {"model": "psa", "speed": 151}}},
])
def test_twin_detects_a_config_read_differently(update):
    """One config key read differently by the twin only is caught end to end."""
    config, loans = state_config(), mixed_loans()
    kernel = ns.run_kernel(ns.state_inputs(config, loans))
    data = config.to_dict()
    for block, values in update.items():
        for key, value in values.items():
            if isinstance(value, dict) and key in data[block]:
                data[block][key] = {**data[block][key], **value}
            else:
                data[block][key] = value
    with pytest.raises(AssertionError):
        compare(kernel, ns.run_numpy(ns.inputs_from_config(load_config(data).to_dict(), loans)), loans.n)


# --------------------------------------------------------------------------
# the twin's building blocks against engine.kernels.rng and numba


# Random123 tests/kat_vectors, threefry2x64 20 rounds (as in tests/test_rng.py)
KAT_20 = [
    (0x0, 0x0, 0x0, 0x0, 0xC2B6E3A8C2C69865, 0x6F81ED42F350084D),
    (2**64 - 1, 2**64 - 1, 2**64 - 1, 2**64 - 1, 0xE02CB7C4D95D277A, 0xD06633D0893B8B68),
    (0x243F6A8885A308D3, 0x13198A2E03707344, 0xA4093822299F31D0, 0x082EFA98EC4E6C89,
     0x263C7D30BB0F0AF1, 0x56BE8361D3311526),
]


@pytest.mark.parametrize("c0, c1, k0, k1, x0, x1", KAT_20)
def test_twin_threefry_known_answers(c0, c1, k0, k1, x0, x1):
    y0, y1 = ns.threefry2x64_20(np.array([c0], np.uint64), np.array([c1], np.uint64), k0, k1)
    assert (int(y0[0]), int(y1[0])) == (x0, x1)


def test_twin_uniforms_equal_engine_rng():
    rng = np.random.default_rng(5)
    n = 300
    path = rng.integers(0, 2**32, n)
    loan = rng.integers(0, 2**32, n)
    path[:3] = [0, 2**32 - 1, 7]
    loan[:3] = [0, 2**32 - 1, 0]
    seed = np.uint64(2**64 - 3)
    c0 = ns.counter0(path, loan)
    for month in (0, 1, 360, 2**40):
        u0, u1 = ns.uniform_pair(seed, c0, month, PURPOSE_TRANSITION)
        want = np.array([uniform_pair(seed, int(p), int(ln), month, PURPOSE_TRANSITION) for p, ln in zip(path, loan)])
        np.testing.assert_array_equal(u0, want[:, 0])
        np.testing.assert_array_equal(u1, want[:, 1])
    x0, x1 = ns.threefry2x64_20(c0[:1], np.array([9], np.uint64), 3, 4)
    assert (int(x0[0]), int(x1[0])) == tuple(int(v) for v in threefry2x64(int(c0[0]), 9, 3, 4))


@numba.njit
def _numba_power(x, n):
    out = np.empty(x.shape[0])
    for i in range(x.shape[0]):
        out[i] = x[i] ** n[i]
    return out


def test_twin_int_power_is_numbas():
    rng = np.random.default_rng(3)
    x = rng.uniform(0.5, 1.05, 10_000)
    n = rng.integers(-50, 721, 10_000)
    np.testing.assert_array_equal(ns.int_power(x, n), _numba_power(x, n))


def test_twin_interp_is_kernels():
    xs, ys = np.array([0.5, 0.8, 1.0, 1.2, 1.5]), np.array([0.6, 1.0, 1.5, 2.2, 3.0])
    x = np.concatenate([np.random.default_rng(1).uniform(0.0, 2.0, 5000), xs])
    np.testing.assert_array_equal(ns.interp(x, xs, ys), [interp(v, xs, ys) for v in x])
