"""State-model configuration errors, the CLI on state configs, and every shipped config.

Rules (docs/architecture.md "Files", engine/config/, engine/cli.py): a bad key, type or
value is an error naming the key path, the value and what was expected; a
percent where a decimal belongs says so; the CLI prints one line per problem
on stderr, no traceback, and exits 2. Column lists below are the README's
"Outputs" section for the state model.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import engine
from engine.cli import main
from engine.config import load_config
from engine.errors import ConfigError, InputError, TapeError

from state_helpers import merge, state_config

REPO = Path(__file__).resolve().parents[1]
CONFIGS = sorted((REPO / "configs").glob("*.yaml"))

CASHFLOW_COLUMNS = [
    "month", "performing_balance", "modified_balance", "dq30_balance", "dq60_balance", "dq90_balance",
    "foreclosure_balance", "reo_balance", "deferred_balance", "scheduled_principal", "voluntary_prepayments",
    "interest", "gross_interest", "servicing_fee", "arrears_collected", "deferred_collected", "matured_principal",
    "new_delinquencies", "cures", "modifications", "capitalized_arrears", "deeds_in_lieu", "foreclosure_starts",
    "reo_additions", "liquidations", "liquidation_proceeds", "principal_recovery", "principal_loss", "net_loss",
    "advances", "legal_costs", "holding_costs", "deed_in_lieu_costs", "interest_unpaid", "total_principal",
    "total_cash_flow", "smm", "roll_rate",
]
QUANTILE_COLUMNS = ["month", "quantile", "total_cash_flow", "total_principal", "interest", "net_loss",
                    "liquidations", "performing_balance"]
PATH_COLUMNS = ["path", "pv", "wal", "cumulative_default", "cumulative_loss", "loss_severity", "total_cash_flow"]
OUTCOMES = ["prepaid", "matured", "liquidated", "deed_in_lieu", "foreclosure_sale", "modified"]
LOAN_COLUMNS = (["loan_id"] + [f"p_{o}" for o in OUTCOMES] + [f"month_{o}" for o in OUTCOMES]
                + ["expected_cures", "p_unresolved", "loss_severity"])
SUMMARY_COLUMNS = ["n_loans", "balance", "wac", "net_wac", "wam", "wala", "integration", "paths", "horizon", "wal",
                   "cumulative_defaults", "cumulative_losses", "cumulative_defaults_pct", "cumulative_losses_pct",
                   "loss_severity"] + [f"p_{o}" for o in OUTCOMES] + ["p_unresolved"]


def config_error(update: dict) -> str:
    with pytest.raises(ConfigError) as e:
        load_config(merge(state_config(), update))
    return str(e.value)


@pytest.mark.parametrize(
    "update, key, words",
    [
        ({"state_model": {"delinquency": {"dq60": {"cure": 0.6, "roll": 0.6}}}},
         "state_model.delinquency.dq60", ["sum to", "> 1"]),
        ({"state_model": {"delinquency": {"dq30": {"cure": 0.7, "roll": 0.5}}}},
         "state_model.delinquency.dq30", ["sum to 1.2"]),
        ({"state_model": {"delinquency": {"dq90": {"cure": 0.5, "to_foreclosure": 0.5, "modification": 0.1}}}},
         "state_model.delinquency.dq90", ["sum to"]),
        ({"state_model": {"delinquency": {"foreclosure": {"cure": 0.9, "modification": 0.2}}}},
         "state_model.delinquency.foreclosure", ["sum to"]),
        ({"state_model": {"foreclosure": {"months": -1}}}, "state_model.foreclosure.months", ["-1"]),
        ({"state_model": {"foreclosure": {"timeline_months": {"NY": -2}}}},
         "state_model.foreclosure.timeline_months", ["NY", "-2"]),
        ({"state_model": {"reo": {"months": -3}}}, "state_model.reo.months", ["-3"]),
        ({"state_model": {"reo": {"selling_cost": 8}}}, "state_model.reo.selling_cost", ["percent", "0.08"]),
        ({"state_model": {"modification": {"forbearance": 10}}}, "state_model.modification.forbearance",
         ["percent", "0.1"]),
        ({"state_model": {"liquidation": {"severity": 30}}}, "state_model.liquidation.severity", ["percent", "0.3"]),
        ({"state_model": {"delinquency": {"dq30": {"cure": -0.1}}}}, "state_model.delinquency.dq30.cure", ["-0.1"]),
        ({"state_model": {"reo": {"marketing_months": 6}}}, "state_model.reo.marketing_months", ["unknown key"]),
        ({"state_model": {"delinquency": {"dq45": {"cure": 0.1}}}}, "state_model.delinquency.dq45", ["unknown key"]),
        ({"state_model": {"modification": {"term_months": 0}}}, "state_model.modification.term_months", ["0"]),
        ({"state_model": {"multipliers": {"mtm_ltv": {"ltv": [1.0, 0.5], "roll": [1, 1], "cure": [1, 1]}}}},
         "state_model.multipliers.mtm_ltv", ["increase"]),
        ({"simulation": {"integration": "exact"}}, "simulation.integration", ["expected", "sampled"]),
        ({"simulation": {"paths": 0}}, "simulation.paths", ["0"]),
    ],
)
def test_bad_state_model_parameters_name_the_key(update, key, words):
    msg = config_error(update)
    assert msg.startswith(key + ":") or f"{key}:" in msg or f"{key}." in msg, msg
    for w in words:
        assert w in msg, (w, msg)
    assert "\n" not in msg, msg


def test_probabilities_summing_to_exactly_one_are_accepted():
    load_config(merge(state_config(), {"state_model": {"delinquency": {
        "dq60": {"cure": 0.25, "roll": 0.25, "modification": 0.25, "deed_in_lieu": 0.25}}}}))


def test_unknown_state_code_in_timeline_overrides(tmp_path, capsys):
    """Caught by engine.inputs.timelines.validate_overrides (a ConfigError naming the key)
    when the run resolves timelines, before any kernel runs."""
    cfg = merge(state_config(horizon=12), {"state_model": {"foreclosure": {"timeline_months": {"XX": 12}}}})
    with pytest.raises(ConfigError, match=r"state_model\.foreclosure\.timeline_months\.XX: unknown state code"):
        engine.run(cfg)
    path = tmp_path / "bad.yaml"
    path.write_text(json.dumps(cfg))  # JSON is YAML
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "timeline_months.XX" in err[0], err
    assert not (tmp_path / "out" / "run.json").exists()


def test_lower_case_state_override_is_accepted():
    from engine.behavior.hazard import loan_arrays
    from state_helpers import as_loans

    cfg = load_config(merge(state_config(), {"state_model": {"foreclosure": {"timeline_months": {"ny": 3}}}}))
    li = loan_arrays(as_loans([{"loan_id": "a", "balance": 1e5, "note_rate": 0.05, "remaining_term": 60,
                                "state": "NY"}]), cfg.state_model, 0.0625)
    assert list(li.t_fc) == [3]


def test_unknown_status_in_the_tape(tmp_path, capsys):
    rows = [{"loan_id": "OK", "balance": 1e5, "note_rate": 0.05, "remaining_term": 60},
            {"loan_id": "BAD", "balance": 1e5, "note_rate": 0.05, "remaining_term": 60, "status": "bankrupt"}]
    with pytest.raises(TapeError) as e:
        engine.run(state_config(rows))
    msg = str(e.value)
    assert "'BAD'" in msg and "status" in msg and "bankrupt" in msg and "dq90+" in msg, msg
    path = tmp_path / "bad.yaml"
    path.write_text(json.dumps(state_config(rows)))
    assert main(["run", str(path), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "status" in err[0]


def test_bad_hpi_scenario_is_an_input_error():
    """Checked when the run builds the HPI model (engine.economy.hpi), before any kernel."""
    for scenario in ([[0, -0.25]], [[36, -1.5]]):
        cfg = merge(state_config(horizon=12), {"economy": {"hpi": {"scenario": scenario}}})
        with pytest.raises(InputError, match="scenario"):
            engine.run(cfg)


def test_cli_runs_npl_pool_and_writes_the_documented_files(tmp_path):
    out = tmp_path / "npl"
    rc = main(["run", str(REPO / "configs" / "npl_pool.yaml"), "--set", "simulation.paths=20",
               "--set", "analysis=projection", "--out", str(out), "--quiet"])
    assert rc == 0
    names = {p.name for p in out.iterdir()}
    assert names == {"summary.parquet", "cashflows.parquet", "cashflow_quantiles.parquet", "paths.parquet",
                     "loans.parquet", "run.json"}, names
    cf = pq.read_table(out / "cashflows.parquet")
    assert set(CASHFLOW_COLUMNS) <= set(cf.column_names), set(CASHFLOW_COLUMNS) - set(cf.column_names)
    assert cf.column("month").to_pylist()[:3] == [1, 2, 3]
    from engine.output.columns import STATE_CASHFLOWS

    assert cf.column_names == list(STATE_CASHFLOWS)  # every column documented, in the file's order
    q = pq.read_table(out / "cashflow_quantiles.parquet")
    assert q.column_names == QUANTILE_COLUMNS
    assert sorted(set(q.column("quantile").to_pylist())) == [0.05, 0.25, 0.5, 0.75, 0.95]
    assert q.num_rows == 5 * cf.num_rows
    paths = pq.read_table(out / "paths.parquet")
    assert paths.column_names == PATH_COLUMNS and paths.num_rows == 20
    loans = pq.read_table(out / "loans.parquet")
    assert loans.column_names[0] == "loan_id" and sorted(loans.column_names) == sorted(LOAN_COLUMNS)
    assert loans.num_rows == pq.read_table(REPO / "configs" / "data" / "npl_pool.parquet").num_rows
    summary = pq.read_table(out / "summary.parquet")
    assert summary.num_rows == 1
    assert set(SUMMARY_COLUMNS) <= set(summary.column_names), set(SUMMARY_COLUMNS) - set(summary.column_names)
    row = summary.to_pylist()[0]
    assert row["integration"] == "sampled" and row["paths"] == 20
    info = json.loads((out / "run.json").read_text())
    assert info["model"] == "state" and info["seed"] == 20261121
    assert info["config"]["simulation"]["paths"] == 20
    for name in ("summary", "cashflows", "cashflow_quantiles", "paths", "loans"):
        meta = pq.read_schema(out / f"{name}.parquet").metadata
        assert meta[b"engine.config_hash"].decode() == info["config_hash"], name
        assert meta[b"engine.table"].decode() == name


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_every_shipped_config_runs(path, tmp_path):
    data = load_config(path)
    overrides = ["simulation.paths=8"] if data.model == "state" else []
    assert main(["run", str(path), *sum((["--set", o] for o in overrides), []), "--out", str(tmp_path),
                 "--quiet"]) == 0
    assert (tmp_path / "run.json").exists() and (tmp_path / "cashflows.parquet").exists()
    summary = pq.read_table(tmp_path / "summary.parquet").to_pylist()[0]
    assert summary["balance"] > 0 and summary["total_principal"] > 0


def test_shipped_scenarios_run_with_the_npl_config(tmp_path):
    scen = sorted((REPO / "scenarios").glob("hpi_*.yaml"))
    assert scen
    for s in scen:
        r = engine.run(REPO / "configs" / "npl_pool.yaml",
                       ["simulation.paths=4", "simulation.horizon=60", f"economy.hpi.scenario_file={s}"])
        assert r.summary.num_rows == 1, s


@pytest.mark.parametrize("update, key", [
    ({"state_model": {"advances": {"taxes_insurance_rate": 1.5}}}, "state_model.advances.taxes_insurance_rate"),
    ({"economy": {"hpi": {"drift": 3}}}, "economy.hpi.drift"),
    ({"economy": {"hpi": {"volatility": 5}}}, "economy.hpi.volatility"),
])
def test_percent_for_an_annual_rate_says_percent(update, key):
    msg = config_error(update)
    assert msg.startswith(key + ":"), msg
    assert "percent" in msg, msg


def test_bad_inline_hpi_scenario_names_its_key():
    cfg = merge(state_config(horizon=12), {"economy": {"hpi": {"scenario": [[0, -0.25]]}}})
    with pytest.raises(InputError) as e:
        engine.run(cfg)
    assert "economy.hpi.scenario" in str(e.value), str(e.value)


# --------------------------------------------------------------------------
# sane upper bounds on amounts and costs


@pytest.mark.parametrize(
    "key, value",
    [
        ("state_model.reo.holding_cost_monthly", "1e15"),
        ("state_model.reo.holding_cost_monthly", ".inf"),
        ("state_model.foreclosure.legal_cost_monthly", "2e7"),
        ("state_model.deed_in_lieu.cost", "1e12"),
    ],
)
def test_costs_above_the_cap_are_refused_naming_the_cap(key, value):
    with pytest.raises(ConfigError) as info:
        load_config(REPO / "configs" / "npl_pool.yaml", [f"{key}={value}"])
    line = str(info.value).split(": ", 1)[1]
    assert line.startswith(f"{key}: "), line
    assert "1e+07" in line or "1e7" in line or "finite" in line, line


@pytest.mark.parametrize(
    "key", ["economy.hpi.correlation", "state_model.multipliers.fico_roll", "state_model.reo.holding_cost_monthly"]
)
def test_nan_and_infinity_are_refused_in_every_number(key):
    for value in (".nan", ".inf", "-.inf"):
        with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
            load_config(REPO / "configs" / "npl_pool.yaml", [f"{key}={value}"])


@pytest.mark.parametrize(
    "key, value",
    [
        ("state_model.multipliers.fico_roll", "1e308"),
        ("state_model.multipliers.fico_cure", "-50"),
        ("state_model.multipliers.fico_center", "5000"),
        ("state_model.multipliers.original_ltv_roll", "1e6"),
        ("state_model.multipliers.mtm_ltv.roll", "[0.6, 1.0, 1.5, 2.2, 1e300]"),
        ("state_model.delinquency.current.roll_multiplier_modified", "1e12"),
        ("assumptions.prepay.burnout", "1e9"),
        ("assumptions.prepay.refi_slope", "1e-300"),
        ("assumptions.prepay.refi_midpoint", "50"),
        ("assumptions.prepay.seasonality", "[1e300, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"),
    ],
)
def test_multipliers_and_curve_parameters_have_sane_bounds(key, value):
    """A FICO slope of 1e308 used to run and overflow exp() in the hazard inputs."""
    with pytest.raises(ConfigError) as info:
        load_config(REPO / "configs" / "npl_pool.yaml", [f"{key}={value}"])
    line = str(info.value).split(": ", 1)[1]
    assert line.startswith(key), line
