"""The seams of the architecture: registries that refuse unknown names, one
home per formula (inline copies pinned to the function they mirror), pure
chunk functions, file references resolved and hashed by one rule."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine import runs
from engine.behavior.prepayment import prepay_params
from engine.behavior.speeds import cpr_to_smm, default_table, prepay_table
from engine.config import PrepayTurnover, load_config
from engine.errors import ConfigError
from engine.kernels.amortization import amort_schedule, level_payment
from engine.kernels.prepayment import smm_from_cpr

REPO = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------
# registries


def test_unknown_analysis_kind_raises_naming_it(tiny_config):
    tiny_config["analysis"] = "crystal_ball"
    with pytest.raises(ConfigError, match=r"^analysis: unknown analysis kind 'crystal_ball' \(expected one of .*projection"):
        engine.run(tiny_config)


def test_default_analysis_kind_is_projection(tiny_config):
    assert runs.get(None).name == "projection"
    explicit = copy.deepcopy(tiny_config)
    explicit["analysis"] = "projection"
    a, b = engine.run(tiny_config), engine.run(explicit)
    assert a.summary.equals(b.summary)


def test_rate_driven_prepay_model_has_no_rate_table():
    """The turnover model reaches the kernels as parameters, never as a table
    (a table of zeros would silently mean no prepayment)."""
    with pytest.raises(ConfigError, match=r"assumptions\.prepay\.model: 'turnover' has no rate table"):
        prepay_table(PrepayTurnover(model="turnover"))


class _Fake:
    def __init__(self, model):
        self.model = model


def test_unknown_speed_models_raise_naming_them():
    with pytest.raises(ConfigError, match=r"assumptions\.prepay\.model: 'warp' has no rate table"):
        prepay_table(_Fake("warp"))
    with pytest.raises(ConfigError, match=r"assumptions\.default\.model: 'doom' has no rate table"):
        default_table(_Fake("doom"))
    with pytest.raises(ConfigError, match=r"assumptions\.prepay\.model: unknown model 'warp'"):
        prepay_params(_Fake("warp"), 12, 0.06)


def test_unknown_model_in_a_config_names_the_key(tiny_config):
    tiny_config["assumptions"]["prepay"] = {"model": "warp"}
    with pytest.raises(ConfigError, match=r"assumptions\.prepay\.model: unknown model 'warp'"):
        load_config(tiny_config)


# --------------------------------------------------------------------------
# one home per formula: inline copies pinned to what they mirror


@settings(deadline=None, max_examples=60)
@given(rate=st.floats(0.0, 0.25), term=st.integers(1, 480))
def test_amort_schedule_is_the_closed_form_of_the_sifma_recursion(rate, term):
    """``amort_schedule`` (state kernels) and the scheduled-balance recursion
    S(i) = S(i-1)(1 + c) - level_payment(c, n) that the SIFMA kernel runs
    inline give the same scheduled-principal fractions 1 - S(i)/S(i-1)."""
    am = np.empty(term + 1)
    amort_schedule(am, rate, term)
    c = rate / 12.0
    pmt = level_payment(c, term)
    s_prev = 1.0
    for i in range(1, term + 1):
        s_cur = 0.0 if i == term else max(s_prev * (1.0 + c) - pmt, 0.0)
        expected = 1.0 - s_cur / s_prev if s_prev > 0 else 1.0
        assert am[i] == pytest.approx(expected, rel=1e-7, abs=1e-12), (i, am[i], expected)
        s_prev = s_cur
        if s_prev <= 0:
            break


@settings(deadline=None, max_examples=50)
@given(rate=st.floats(1e-4, 0.3), n=st.integers(1, 720))
def test_level_payment_is_the_annuity_formula(rate, n):
    c = rate / 12.0
    assert level_payment(c, n) == pytest.approx(c / (1.0 - (1.0 + c) ** -n), rel=1e-9)
    assert level_payment(0.0, n) == 1.0 / n


@pytest.mark.parametrize("n", [1, 12, 360, 720])
def test_level_payment_at_tiny_rates_tends_to_one_over_n(n):
    """Series: c / (1 - (1 + c)^-n) = 1/n + c (n + 1) / (2n) + O(c^2)."""
    for c in (1e-12, 1e-10, 1e-8):
        assert level_payment(c, n) == pytest.approx(1.0 / n + c * (n + 1) / (2 * n), rel=1e-12)


@settings(deadline=None, max_examples=100)
@given(cpr=st.floats(0.0, 0.999))
def test_kernel_cpr_to_smm_is_the_python_one(cpr):
    assert smm_from_cpr(cpr) == pytest.approx(float(cpr_to_smm(cpr)), rel=1e-13, abs=1e-15)


def test_sample_tape_balance_factor_is_the_amortisation_formula():
    """The sample tapes' scheduled-balance factor (written in NumPy so the
    shipped tapes regenerate bit for bit) equals prod(1 - am) of the kernels."""
    from engine.inputs.sample import scheduled_balance_factor

    for rate, term, age in [(0.065, 360, 24), (0.03, 360, 0), (0.11, 480, 200), (0.02, 180, 179)]:
        am = np.empty(age + 1)
        amort_schedule(am, rate, term)
        expected = float(np.prod(1.0 - am[1 : age + 1]))
        got = float(scheduled_balance_factor(np.array([rate / 12.0]), np.array([term]), np.array([age]))[0])
        assert got == pytest.approx(expected, rel=1e-12)


# --------------------------------------------------------------------------
# pure chunk functions


def test_state_chunk_function_is_pure_and_any_split_reduces_to_the_run():
    from engine.inputs.sample import npl_tape
    from engine.inputs.tape import loans_from_table
    from engine.models.state import StateReducer, kernel_inputs, simulate_chunk, simulate_state

    cfg = load_config(REPO / "configs" / "npl_pool.yaml", ["simulation.paths=6", "simulation.horizon=36"])
    loans = loans_from_table(npl_tape(30, 5))
    ki = kernel_inputs(cfg, loans)
    first = simulate_chunk(ki, 0, 4)
    again = simulate_chunk(ki, 0, 4)
    assert np.array_equal(first.per_path, again.per_path) and np.array_equal(first.loan_ticks, again.loan_ticks)
    whole = simulate_state(cfg, loans)
    # blocks of loans x ranges of paths, folded in a shuffled order
    parts = [simulate_chunk(ki.block(l0, l1), p0, p1) for l0, l1 in ((0, 7), (7, 30)) for p0, p1 in ((0, 4), (4, 6))]
    reducer = StateReducer(ki, 2)
    for i in (3, 0, 2, 1):
        reducer.add(parts[i])
    sums = reducer.sums
    assert np.array_equal(sums.totals, whole.totals)
    assert np.array_equal(sums.loan_ticks.exact(), whole.loan_ticks.exact())
    assert np.array_equal(sums.path_cols, whole.path_cols)
    assert all(np.array_equal(sums.kept[k], whole.kept[k]) for k in whole.kept)
    assert sums.per_loan.tobytes() == whole.per_loan.tobytes()


# --------------------------------------------------------------------------
# file references


def test_every_file_key_is_resolved_and_hashed_by_name(tmp_path):
    cfg = load_config(REPO / "configs" / "npl_pool.yaml")
    assert cfg.tape.is_absolute() and cfg.economy.hpi.scenario_file.is_absolute()
    assert [p.name for p in cfg.files()] == ["npl_pool.parquet", "hpi_base.yaml"]
    # the same config from another folder (copied tape and scenario) hashes the same
    (tmp_path / "data").mkdir()
    (tmp_path / "scen").mkdir()
    (tmp_path / "data" / "npl_pool.parquet").write_bytes(cfg.tape.read_bytes())
    (tmp_path / "scen" / "hpi_base.yaml").write_bytes(cfg.economy.hpi.scenario_file.read_bytes())
    text = (REPO / "configs" / "npl_pool.yaml").read_text().replace("../scenarios/", "scen/")
    (tmp_path / "c.yaml").write_text(text)
    moved = load_config(tmp_path / "c.yaml")
    assert moved.economy.hpi.scenario_file == tmp_path / "scen" / "hpi_base.yaml"
    assert moved.hash() == cfg.hash()


def test_output_folder_default_lives_in_the_config(tiny_config):
    cfg = load_config(tiny_config)
    assert cfg.output_dir() == Path("out") / "tiny"
