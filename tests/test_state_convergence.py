"""The mean of the sampled integration converges to the expected integration.

Both integrations share one hazard model (``exit_probs``) and one accounting
(``apply``); every account and flow is linear in the moved fraction, so on a
given home-price path the expected integration *is* the conditional mean of
the sampled one. The one documented exception (engine/kernels/state.py and engine/kernels/accounting.py, module
docstring): a sale's proceeds are capped at the debt, and the expected
integration applies the cap to a cell's *total*, which can differ from the
mean of per-history caps when a property is worth about as much as the debt.
So:

- on a tape whose properties are worth far less than any possible debt (the
  cap can never bind, checked as a precondition) every flow must agree;
- on the tape's own property values the linear flows must agree and the
  cap-affected flows may only differ in the documented direction (the cap on a
  total is >= the sum of capped parts, so expected proceeds >= sampled mean).

Statistics. ``E[p]`` is the expected integration on home-price path ``p``;
``S[r, p]`` a sampled run (seed ``r``) on the same path. ``D = S - E`` has mean
0 and is independent across (r, p), so ``mean(D) / (std(D) / sqrt(n))`` is a
z-score. Monthly columns are compared as annual sums and as the total over the
horizon, where the expected figure is material (>= 2% of the busiest year) and
at least 30 draws have a non-zero sampled value (a thin year's few lumps are
Poisson, not normal); the bound is 4.5 standard errors over a few hundred
compared figures (a false alarm rate of about 1e-3 for any seed; 30 seeds
tried). Loan outcome probabilities use the binomial standard error
sqrt(p (1 - p) / n) of the expected probability, plus 2/n for Poisson tails of
rare outcomes. A 5% bias of the sampled current -> dq30 roll fails every test
here.

Size: the default run uses 10 loans and 2,000 sampled paths (vol 0) or
80 x 20 sampled paths on 80 home-price paths (vol > 0). The ``slow``
version multiplies loans and paths by ``ENGINE_SLOW_SCALE``: unset runs it
reduced (scale 0.1, a few seconds), ``ENGINE_SLOW_SCALE=full`` at scale 1 (40
loans, 20,000 paths; about a minute), any number sets the scale.
"""

from __future__ import annotations

import os

import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401
import pytest

from engine.config import load_config
from engine.economy.hpi import simulate_hpi
from engine.inputs.sample import npl_tape
from engine.runs.projection import run_state_model

from state_helpers import COLUMN, as_loans, col, merge, per_path_columns, state_config

H = 120  # months
PREPAY = {"model": "turnover", "base_cpr": 0.04, "refi_max_cpr": 0.10}  # as configs/npl_pool.yaml
LINEAR = [
    "performing_balance", "modified_balance", "dq30_balance", "dq60_balance", "dq90_balance",
    "foreclosure_balance", "reo_balance", "deferred_balance", "scheduled_principal",
    "voluntary_prepayments", "interest", "servicing_fee", "arrears_collected", "deferred_collected",
    "new_delinquencies", "cures", "modifications", "capitalized_arrears", "deeds_in_lieu",
    "foreclosure_starts", "reo_additions", "liquidations", "advances", "legal_costs",
    "holding_costs", "deed_in_lieu_costs", "interest_unpaid", "matured_principal",
]
CAPPED = ["liquidation_proceeds", "principal_recovery", "principal_loss", "net_loss"]
OUTCOMES = ["p_prepaid", "p_matured", "p_liquidated", "p_deed_in_lieu", "p_foreclosure_sale",
            "p_modified", "p_unresolved"]
Z = 4.5


def slow_scale() -> float:
    raw = os.environ.get("ENGINE_SLOW_SCALE", "").strip().lower()
    if raw in ("", "reduced"):
        return 0.1
    if raw == "full":
        return 1.0
    return float(raw)


def tape_all_statuses(n: int = 10, seed: int = 17) -> pa.Table:
    """npl_tape(10, 17) holds every status: current, dq30, dq60, dq90+, foreclosure, reo."""
    t = npl_tape(n, seed=seed)
    if n == 10 and seed == 17:
        assert set(t.column("status").to_pylist()) == {"current", "dq30", "dq60", "dq90+", "foreclosure", "reo"}
    return t


def sched_fraction(rate: np.ndarray, term: np.ndarray, t: int) -> np.ndarray:
    """Scheduled balance after t level payments / balance today (0 once matured)."""
    c = rate / 12.0
    g = (1.0 + c) ** term
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(c > 0, (g - (1.0 + c) ** np.minimum(t, term)) / (g - 1.0), 1.0 - np.minimum(t, term) / term)
    return np.clip(f, 0.0, 1.0)


def underwater(t: pa.Table, hpi_max: float, selling_cost: float = 0.08) -> pa.Table:
    """Property values so low that a sale can never be capped at the debt:
    value x max HPI x (1 - selling cost) < the scheduled balance at the
    horizon <= any debt (balance + deferred + arrears) a sold loan can carry."""
    bal = np.asarray(t.column("balance"))
    floor = bal * sched_fraction(np.asarray(t.column("note_rate")), np.asarray(t.column("remaining_term")), H)
    assert np.all(floor > 0), "precondition: every loan outlives the horizon"
    value = np.floor(100 * np.minimum(0.25 * bal, 0.5 * floor / (hpi_max * (1 - selling_cost)))) / 100
    assert np.all(value * hpi_max * (1 - selling_cost) < floor), "precondition: the cap must never bind"
    return t.set_column(t.column_names.index("property_value"), "property_value", pa.array(value))


def annual(x: np.ndarray) -> np.ndarray:
    """(..., H, columns) monthly -> (..., H // 12 + 1, columns): annual sums and
    the total over the horizon (last)."""
    years = x.reshape(*x.shape[:-2], H // 12, 12, x.shape[-1]).sum(axis=-2)
    return np.concatenate([years, years.sum(axis=-2, keepdims=True)], axis=-2)


MIN_EVENTS = 30  # sampled draws with a non-zero value before a year is compared


def check_columns(S: np.ndarray, E: np.ndarray, two_sided: list[str], expected_higher: list[str] = (),
                  expected_lower: list[str] = ()):
    """S: (n, H, cols) sampled draws; E: (n, H, cols) or (1, H, cols) expected
    on the same paths. A year is compared when the expected figure is material
    (>= 2% of the busiest year) and at least MIN_EVENTS draws have a non-zero
    sampled value in it (a thin year's few lumps are Poisson, not normal)."""
    Sa, Ea = annual(S), annual(E)
    D = Sa - Ea
    n = D.shape[0]
    scale = Ea.mean(axis=0)
    compared = 0
    for name in list(two_sided) + list(expected_higher) + list(expected_lower):
        c = COLUMN[name]
        if not np.any(scale[:, c]):
            assert not np.any(Sa[..., c]), f"{name}: expected 0, sampled non-zero"
            continue
        events = (Sa[..., c] != 0).sum(axis=0)
        assert events[-1] >= 5, f"{name}: expected {scale[-1, c]:g} over the horizon, sampled almost never"
        material = (np.abs(scale[:, c]) > 0.02 * np.abs(scale[:-1, c]).max()) & (events >= MIN_EVENTS)
        mean = D[:, material, c].mean(axis=0)
        se = D[:, material, c].std(axis=0, ddof=1) / np.sqrt(n)
        assert np.all(se > 0), f"{name}: no sampled variation in a material year"
        z = mean / se
        if name in two_sided:
            bad = np.abs(z) > Z
        elif name in expected_higher:  # expected >= sampled mean: D = S - E <= 0 up to noise
            bad = z > Z
        else:
            bad = z < -Z
        assert not bad.any(), (
            f"{name}: years {np.flatnonzero(material)[bad] + 1} (11 = total) z = {z[bad]} "
            f"(sampled - expected = {mean[bad]}, se {se[bad]})"
        )
        compared += z.size
    return compared


def check_outcomes(sampled: pa.Table, expected: pa.Table, n: int):
    assert sampled.column("loan_id").equals(expected.column("loan_id"))
    for name in OUTCOMES:
        p_s, p_e = col(sampled, name), col(expected, name)
        assert np.all(np.abs(p_s * n - np.round(p_s * n)) < 1e-6), f"{name}: a sampled probability is a count / n"
        tol = Z * np.sqrt(p_e * (1 - p_e) / n) + 2.0 / n
        bad = np.abs(p_s - p_e) > tol
        assert not bad.any(), f"{name}: loans {np.flatnonzero(bad)} sampled {p_s[bad]} expected {p_e[bad]}"
    # cures are counts: a geometric count of mean m has variance m (1 + m)
    cs, ce = col(sampled, "expected_cures"), col(expected, "expected_cures")
    assert np.all(np.abs(cs - ce) <= Z * np.sqrt(ce * (1 + ce) / n) + 2.0 / n), (cs, ce)


# --------------------------------------------------------------------------


def test_helper_reproduces_the_driver_exactly():
    """state_helpers.per_path_columns must be the driver's own per-path numbers."""
    tape = tape_all_statuses()
    cfg = state_config(integration="sampled", paths=37, seed=3, horizon=H, prepay=PREPAY,
                       hpi={"drift": 0.03, "volatility": 0.05}, chunk_paths=10)
    x = per_path_columns(cfg, tape)
    run = run_state_model(load_config(cfg), as_loans(tape))
    for name in LINEAR + CAPPED:
        # the driver sums int64 ticks over paths then divides; same ticks here
        np.testing.assert_allclose(x[..., COLUMN[name]].mean(axis=0), col(run.cashflows, name), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(
        x[..., COLUMN["reo_additions"]].sum(axis=1), col(run.paths, "cumulative_default"), rtol=1e-12, atol=1e-9
    )


def _vol0(tape: pa.Table, n_paths: int, seed: int, cap_can_bind: bool):
    base = state_config(horizon=H, prepay=PREPAY, hpi={"drift": 0.0, "volatility": 0.0})
    sampled = merge(base, {"simulation": {"integration": "sampled", "paths": n_paths, "seed": seed}})
    loans = as_loans(tape)
    E = per_path_columns(base, loans)  # vol 0: one path stands for all
    S = per_path_columns(sampled, loans)
    if cap_can_bind:
        compared = check_columns(S, E, LINEAR, expected_higher=["liquidation_proceeds", "principal_recovery"],
                                 expected_lower=["principal_loss", "net_loss"])
    else:
        compared = check_columns(S, E, LINEAR + CAPPED)
    assert compared > 150
    e_run = run_state_model(load_config(base), loans)
    s_run = run_state_model(load_config(sampled), loans)
    check_outcomes(s_run.loans, e_run.loans, n_paths)
    # the expected outcome mix is not trivial: every outcome happens somewhere
    for name in ("p_liquidated", "p_deed_in_lieu", "p_foreclosure_sale", "p_modified", "p_unresolved"):
        assert col(e_run.loans, name).max() > 0.005, name


@pytest.mark.parametrize("cap_can_bind", [False, True], ids=["underwater", "tape-values"])
def test_sampled_mean_matches_expected_without_hpi_volatility(cap_can_bind):
    tape = tape_all_statuses()
    if not cap_can_bind:
        tape = underwater(tape, hpi_max=1.0)
    _vol0(tape, n_paths=2000, seed=11, cap_can_bind=cap_can_bind)


def _same_paths(tape: pa.Table, n_hpi: int, repeats: int, seed: int):
    hpi = {"drift": 0.0, "volatility": 0.08}
    base = state_config(horizon=H, prepay=PREPAY, hpi=hpi, paths=n_hpi, seed=seed)
    cfg = load_config(base)
    paths = simulate_hpi(cfg.economy.hpi.to_model(), n_hpi, H, seed)
    assert paths.std(axis=0)[-1] > 0.1  # the paths really differ
    tape = underwater(tape, hpi_max=float(paths.max()))
    loans = as_loans(tape)
    E = per_path_columns(base, loans, hpi_paths=paths)  # (n_hpi, H, c): E[X | path p]
    S = np.concatenate([
        per_path_columns(merge(base, {"simulation": {"integration": "sampled", "seed": seed + 1 + r}}), loans,
                         hpi_paths=paths)
        for r in range(repeats)
    ])  # (repeats * n_hpi, H, c), draw r * n_hpi + p is on path p
    E_rep = np.tile(E, (repeats, 1, 1))
    assert check_columns(S, E_rep, LINEAR + CAPPED) > 150

    # the public tables: both integrations with the same seed and n_paths run on
    # the same HPI paths, so the per-path totals of `paths` pair up
    e_run = run_state_model(cfg, loans)
    s_cfg = load_config(merge(base, {"simulation": {"integration": "sampled"}}))
    s_run = run_state_model(s_cfg, loans)
    np.testing.assert_allclose(col(e_run.paths, "cumulative_default"), E[..., COLUMN["reo_additions"]].sum(axis=1),
                               rtol=1e-12, atol=1e-9)  # same paths as hpi_paths above
    for name in ("total_cash_flow", "cumulative_default", "cumulative_loss"):
        d = col(s_run.paths, name) - col(e_run.paths, name)
        z = d.mean() / (d.std(ddof=1) / np.sqrt(d.size))
        assert abs(z) < Z, (name, z)
    check_outcomes(s_run.loans, e_run.loans, n_hpi)
    # home prices matter: the expected loss differs across paths
    assert col(e_run.paths, "cumulative_loss").std() > 0


def test_sampled_mean_matches_expected_on_the_same_volatile_hpi_paths():
    _same_paths(tape_all_statuses(), n_hpi=80, repeats=20, seed=5)


@pytest.mark.slow
def test_convergence_at_scale():
    """Bigger pool, more paths (ENGINE_SLOW_SCALE; see the module docstring)."""
    s = slow_scale()
    n_loans = max(10, int(40 * s))
    tape = npl_tape(3 * n_loans, seed=2024)
    tape = tape.filter(pa.compute.greater_equal(tape.column("remaining_term"), H + 24)).slice(0, n_loans)
    _vol0(underwater(tape, hpi_max=1.0), n_paths=max(500, int(20_000 * s)), seed=99, cap_can_bind=False)
    _vol0(tape, n_paths=max(500, int(20_000 * s)), seed=98, cap_can_bind=True)
    _same_paths(tape, n_hpi=max(30, int(400 * s)), repeats=max(10, int(20 * s)), seed=7)
