"""Pricing inputs: config keys and their one-line errors,
tape prices and property values, the analysis-kind choice, and unchanged
hashes of configs without pricing keys."""

from __future__ import annotations

from pathlib import Path

import pytest

import engine
from engine import runs
from engine.cli import main
from engine.config import load_config
from engine.errors import ConfigError, TapeError

from state_helpers import ALL_OFF, merge, state_config

REPO = Path(__file__).resolve().parents[1]


def pricing_dict(**update) -> dict:
    loans = [{"loan_id": "N1", "balance": 100_000.0, "note_rate": 0.07, "remaining_term": 120,
              "status": "dq90+", "payments_behind": 14, "property_value": 150_000.0, "state": "NY"}]
    cfg = state_config(loans, integration="sampled", paths=8)
    cfg["purchase"] = {"price": 55.0, "costs": 1500}
    cfg["holder_costs"] = {"servicing_performing_monthly": 25, "servicing_nonperforming_monthly": 95}
    cfg["pricing"] = {"required_yield": 0.12, "hurdle": 0.10, "confidence": 0.80,
                      "outcome_yields": {"performing": 0.10, "foreclosure": 0.18}}
    return merge(cfg, update)


# --------------------------------------------------------------------------
# bad inputs: one clear line each


@pytest.mark.parametrize(
    "update, starts, words",
    [
        ({"purchase": {"price": 0}}, "purchase.price", ["above 0"]),
        ({"purchase": {"price": -5}}, "purchase.price", ["above 0"]),
        ({"purchase": {"price": 0.55}}, "purchase.price", ["percent of UPB", "a decimal? write 55"]),
        ({"purchase": {"costs": -1}}, "purchase.costs", ["greater than or equal to 0"]),
        ({"purchase": {"costs": 1e12}}, "purchase.costs", ["less than or equal to 10000000"]),
        ({"holder_costs": {"servicing_nonperforming_monthly": 1e15}}, "holder_costs.servicing_nonperforming_monthly",
         ["less than or equal to 10000000"]),
        ({"pricing": {"hurdle": 10}}, "pricing.hurdle", ["decimal", "a percent? write 0.1"]),
        ({"pricing": {"required_yield": 12}}, "pricing.required_yield", ["a percent? write 0.12"]),
        ({"pricing": {"outcome_yields": {"foreclosure": 18}}}, "pricing.outcome_yields.foreclosure",
         ["a percent? write 0.18"]),
        ({"pricing": {"outcome_yields": {"short_sale": 0.2}}}, "pricing.outcome_yields.short_sale", ["unknown key"]),
        ({"pricing": {"confidence": 0}}, "pricing.confidence", ["(0, 1)"]),
        ({"pricing": {"confidence": 1.0}}, "pricing.confidence", ["(0, 1)"]),
        ({"pricing": {"confidence": 80}}, "pricing.confidence", ["(0, 1)", "a percent? write 0.8"]),
        ({"pricing": {"bid": "at_whim"}}, "pricing.bid", ["at_yield"]),
        ({"holder_costs": {"servicing_performing_monthly": -25}}, "holder_costs.servicing_performing_monthly",
         ["greater than or equal to 0"]),
        ({"simulation": {"integration": "expected"}}, "simulation.integration", ["sampled"]),
    ],
)
def test_bad_pricing_input_is_one_line_naming_the_key(update, starts, words, tmp_path, capsys):
    with pytest.raises(ConfigError) as e:
        load_config(pricing_dict(**update))
    msg = str(e.value)
    assert len(msg.splitlines()) == 1 and msg.startswith(starts + ":"), msg
    for w in words:
        assert w in msg, msg
    # the CLI prints that line and exits 2
    import yaml

    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(pricing_dict(**update)))
    assert main(["run", str(path), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {path}: {starts}:"), err


def test_pricing_keys_need_the_state_model_and_a_pricing_block():
    d = pricing_dict()
    std = {k: v for k, v in d.items() if k not in ("simulation", "economy", "state_model", "model")}
    std["assumptions"] = {"prepay": {"model": "none"}}
    with pytest.raises(ConfigError, match=r"^purchase: only used by note pricing, which needs the state model"):
        load_config(std)
    no_block = {k: v for k, v in d.items() if k != "pricing"}
    with pytest.raises(ConfigError, match=r"^purchase: only used by note pricing \(add a `pricing:` block\)"):
        load_config(no_block)
    with pytest.raises(ConfigError, match=r"^output\.path_cashflows: only used by note pricing"):
        load_config(merge(state_config(), {"output": {"path_cashflows": True}}))
    with pytest.raises(ConfigError, match=r"^pricing: required by `analysis: pricing`"):
        load_config(merge(state_config(), {"analysis": "pricing"}))


def test_a_note_without_property_value_that_can_be_foreclosed_is_refused(capsys, tmp_path):
    d = pricing_dict()
    del d["loans"][0]["property_value"]
    with pytest.raises(TapeError) as e:
        engine.run(d)
    msg = str(e.value)
    assert len(msg.splitlines()) == 1
    assert msg.startswith("loans: loan 'N1' (row 1): column property_value: required for pricing"), msg
    # a fixed severity needs no sale price; a current loan that never rolls is never sold
    engine.run(merge(d, {"state_model": {"liquidation": {"severity": 0.4}}}))
    current = merge(d, {"state_model": ALL_OFF})
    current["loans"][0].update(status="current", payments_behind=0)
    engine.run(current)


def test_a_loan_with_no_price_is_refused_naming_it():
    d = pricing_dict()
    del d["purchase"]["price"]
    d["loans"].append(dict(d["loans"][0], loan_id="N2", asking_price=50_000.0))
    with pytest.raises(TapeError, match=r"^loans: loan 'N1' \(row 1\): no price: give purchase.price"):
        engine.run(d)


def test_asking_price_must_be_positive():
    d = pricing_dict()
    d["loans"][0]["asking_price"] = -10.0
    with pytest.raises(TapeError, match=r"loan 'N1' \(row 1\): column asking_price: expected a positive amount"):
        engine.run(d)


# --------------------------------------------------------------------------
# the analysis kind, and configs without pricing keys


def test_a_pricing_block_chooses_the_pricing_kind_unless_told_otherwise():
    cfg = load_config(pricing_dict())
    assert runs.get(None, cfg).name == "pricing" and runs.get(cfg.analysis, cfg).name == "pricing"
    proj = load_config(pricing_dict(analysis="projection"))
    assert runs.get(proj.analysis, proj).name == "projection"
    assert runs.get(None, load_config(state_config())).name == "projection"
    with pytest.raises(ConfigError, match="unknown analysis kind 'crystal_ball'"):
        runs.get("crystal_ball", cfg)
    r = engine.run(pricing_dict())
    assert r.run_info()["analysis"] == "pricing" and "bids" in r.tables


def test_configs_without_pricing_keys_keep_their_resolved_form_and_hash():
    """The new keys default to None and are left out of to_dict(), so the
    hashes recorded before they existed still hold."""
    pool = load_config(REPO / "configs" / "pool.yaml")
    assert pool.hash() == "a9d8c30238a29ac98cd8e6d5e1fcb0366754db4981f3dea3f1aa37667f0f8787"
    npl = load_config(REPO / "configs" / "npl_pool.yaml", ["pricing=null", "purchase=null", "holder_costs=null"])
    # npl_pool.yaml's hash before its pricing block (simulation.chunk_paths is out of the hash)
    assert npl.hash() == "b96f5839c3816e4fa288b64b1d8eaa7117d14a40905adc78238844cb199886b2"
    for cfg in (pool, npl):
        d = cfg.to_dict()
        assert not {"purchase", "holder_costs", "pricing"} & set(d) and "path_cashflows" not in d["output"]
