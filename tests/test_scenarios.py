"""Scenario wiring, and plausible bands for every shipped config's headline numbers.

Scenarios: ``economy.hpi.scenario_file`` must reach the home-price paths. A
25% home-price fall over three years (``scenarios/hpi_down_25pct_3y.yaml``)
must cost the NPL sample more than flat prices (``hpi_flat.yaml``); a scenario
given by file must give, bit for bit, what the same scenario written inline
gives (the file's keys are ``drift``, ``volatility``, ``correlation``,
``antithetic`` and ``scenario: {points}``; a file with a scenario and no
volatility has volatility 0; a relative path is read from the config's folder).

Bands. Each shipped config runs (the state model on 100 paths instead of
1,000) and its headline numbers must fall in a band a mortgage analyst would
accept for what the config describes; a number outside it means a broken
measure, not a market view. A new config in ``configs/`` must add its bands
here (the test fails for a config without them).

``configs/pool.yaml``: seasoned agency 30-year fixed pool (WALA ~3.5 years),
150% PSA, 100% SDA, 20% severity, 12 months to liquidation, par, 24 days delay.

==========================  ==============  ===========================================================
measure                     band            why
==========================  ==============  ===========================================================
wal                         5 - 10 years    150% PSA 30-year pools run 8-10 years new (SIFMA SF-50:
                                            9.78 at 9%); seasoning shortens it
cumulative_defaults_pct     0.5 - 3.0 %     100% SDA defaults 2.78% of a new 8% pool at 150% PSA
                                            (SIFMA SF-21); a seasoned pool has passed part of the ramp
cumulative_losses_pct       0.1 - 1.0 %     severity 20% of the defaults above; agency credit losses
                                            are well under 1%
losses / defaults           0.15 - 0.20     the severity, capped at the liquidated balance
mortgage_yield - net_wac    -25 - 0 bp      a par pass-through yields its coupon less the cost of the
                                            payment delay and of losses
yield_bey - mortgage_yield  0 - 10 bp       semiannual vs monthly compounding at ~5-6%
modified_duration           3 - 7 years     SIFMA SF-51: 5.48 for the 150% PSA par GNMA
convexity                   20 - 100 yr^2   cash-flow convexity; SF-51: 54.4
wam / wala                  250-360 / 0-110 a seasoned 30-year pool
wac - net_wac               25 - 50 bp      agency servicing strips
==========================  ==============  ===========================================================

``configs/npl_pool.yaml``: ~500 re-performing and non-performing loans (about
half 90+ days late, in foreclosure or REO), base HPI (+3.5%/yr, 4% vol),
valued at a 10% yield.

==========================  ==============  ===========================================================
measure                     band            why
==========================  ==============  ===========================================================
loss_severity               10 - 70 %       net loss (arrears, advances and costs included) over the
                                            liquidated balance: US NPL liquidations run 30-60%, lower
                                            with rising home prices and moderate LTVs
cumulative_defaults_pct     30 - 90 %       most of the 90+/foreclosure/REO half of the pool reaches
                                            REO, plus re-defaults of cured and modified loans
cumulative_losses_pct       5 - 40 %        the two lines above multiplied
p_liquidated                0.30 - 0.90     as cumulative defaults, by balance
p_prepaid                   0.05 - 0.60     the current and cured loans, refinancing little
p_modified                  0.05 - 0.50     loss mitigation of a few percent a month while 60+ late
p_deed_in_lieu              < p_foreclosure_sale  deeds-in-lieu are the rarer route to REO
p_unresolved                < 1 %           the default horizon resolves every timeline
price at 10% yield          40 - 95         NPL pools trade at 50-85% of UPB
wal                         2 - 12 years    liquidations in 2-5 years, performing loans much longer
pv_std / balance            0 - 5 %         500 loans on a national index with 4% volatility
==========================  ==============  ===========================================================
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

import engine

REPO = Path(__file__).resolve().parents[1]
CONFIGS = sorted((REPO / "configs").glob("*.yaml"))
SCENARIOS = REPO / "scenarios"
NPL = REPO / "configs" / "npl_pool.yaml"


def summary(result) -> dict:
    return result.summary.to_pylist()[0]


def assert_identical(a, b):
    """Every table of two runs, bit for bit (NaN == NaN)."""
    assert set(a.tables) == set(b.tables)
    for name in a.tables:
        ta, tb = a.tables[name], b.tables[name]
        assert ta.column_names == tb.column_names, name
        for c in ta.column_names:
            x, y = ta.column(c).to_numpy(zero_copy_only=False), tb.column(c).to_numpy(zero_copy_only=False)
            if x.dtype.kind == "f":
                assert np.array_equal(x.view(np.int64), y.view(np.int64)) or np.array_equal(x, y, equal_nan=True), \
                    f"{name}.{c}"
            else:
                assert list(x) == list(y), f"{name}.{c}"


# --------------------------------------------------------------------------
# scenarios


def test_down_25pct_costs_the_npl_sample_more_than_flat_prices():
    runs = {s: summary(engine.run(NPL, ["simulation.paths=60", f"economy.hpi.scenario_file={SCENARIOS / s}.yaml"]))
            for s in ("hpi_flat", "hpi_down_25pct_3y", "hpi_base")}
    flat, down, base = runs["hpi_flat"], runs["hpi_down_25pct_3y"], runs["hpi_base"]
    assert down["cumulative_losses"] > 1.2 * flat["cumulative_losses"]
    assert down["loss_severity"] > flat["loss_severity"] + 0.03
    assert down["cumulative_defaults"] > flat["cumulative_defaults"]  # higher LTVs: more rolls, fewer cures
    assert down["price"] < flat["price"] - 2.0  # the same 10% yield buys less
    # and rising prices cost less than flat ones: each file reaches the paths
    assert base["cumulative_losses"] < flat["cumulative_losses"]


def _inline(scenario_file: Path) -> dict:
    """The inline ``economy.hpi`` block equivalent to a scenario file."""
    data = yaml.safe_load(scenario_file.read_text())
    hpi = {"drift": data["drift"], "correlation": data.get("correlation", 0.0),
           "antithetic": data.get("antithetic", False)}
    if data.get("scenario") is not None:
        hpi["scenario"] = data["scenario"]["points"]
        hpi["volatility"] = data.get("volatility", 0.0)
    else:
        hpi["volatility"] = data["volatility"]
    return hpi


def _npl_dict(**hpi) -> dict:
    data = yaml.safe_load(NPL.read_text())
    data["tape"] = str(NPL.parent / data["tape"])
    data["economy"]["hpi"] = hpi
    data["simulation"].update(paths=30, horizon=120)
    return data


@pytest.mark.parametrize("name", ["hpi_base", "hpi_flat", "hpi_down_25pct_3y"])
def test_shipped_scenario_file_equals_the_same_scenario_inline(name):
    path = SCENARIOS / f"{name}.yaml"
    by_file = engine.run(_npl_dict(scenario_file=str(path)))
    inline = engine.run(_npl_dict(**_inline(path)))
    assert_identical(by_file, inline)
    # not vacuous: the scenario changes the run
    other = engine.run(_npl_dict(drift=0.01, volatility=0.10))
    assert summary(other)["cumulative_losses"] != summary(inline)["cumulative_losses"]


def test_scenario_file_relative_to_the_config_equals_inline(tmp_path):
    """A scenario with noise around a fixed path, antithetic pairs, read from a
    path relative to the config file's folder."""
    points = [[12, -0.10], [48, 0.05]]
    (tmp_path / "scen").mkdir()
    (tmp_path / "scen" / "stress.yaml").write_text(yaml.safe_dump(
        {"drift": -0.01, "volatility": 0.06, "antithetic": True, "scenario": {"points": points}}))
    by_file = _npl_dict(scenario_file="scen/stress.yaml")
    cfg_path = tmp_path / "npl.yaml"
    cfg_path.write_text(yaml.safe_dump(by_file))
    inline = engine.run(_npl_dict(drift=-0.01, volatility=0.06, antithetic=True, scenario=points))
    assert_identical(engine.run(cfg_path), inline)
    # antithetic noise: paths differ, in pairs
    assert np.ptp(inline.tables["paths"].column("cumulative_loss").to_numpy()) > 0


def test_scenario_file_without_volatility_is_a_fixed_path(tmp_path):
    """Documented: a file with a scenario and no ``volatility`` has volatility 0."""
    path = tmp_path / "down.yaml"
    path.write_text(yaml.safe_dump({"drift": 0.02, "scenario": {"points": [[24, -0.2]]}}))
    by_file = engine.run(_npl_dict(scenario_file=str(path)))
    assert_identical(by_file, engine.run(_npl_dict(drift=0.02, volatility=0.0, scenario=[[24, -0.2]])))
    noisy = engine.run(_npl_dict(drift=0.02, volatility=0.04, scenario=[[24, -0.2]]))
    assert summary(noisy)["cumulative_losses"] != summary(by_file)["cumulative_losses"]  # not vacuous


def test_scenario_file_wins_over_inline_keys():
    """Documented: a scenario file replaces the inline drift and volatility."""
    path = SCENARIOS / "hpi_flat.yaml"
    both = engine.run(_npl_dict(scenario_file=str(path), drift=0.05, volatility=0.2))
    assert_identical(both, engine.run(_npl_dict(**_inline(path))))


# --------------------------------------------------------------------------
# bands for the shipped configs (module docstring)


def _pool_bands(s: dict) -> None:
    assert 5.0 <= s["wal"] <= 10.0
    assert 0.5 <= s["cumulative_defaults_pct"] <= 3.0
    assert 0.1 <= s["cumulative_losses_pct"] <= 1.0
    assert 0.15 <= s["cumulative_losses"] / s["cumulative_defaults"] <= 0.20 + 1e-12
    assert -0.0025 <= s["mortgage_yield"] - s["net_wac"] <= 0.0
    assert 0.0 < s["yield_bey"] - s["mortgage_yield"] <= 0.0010
    assert 3.0 <= s["modified_duration"] <= 7.0
    assert 20.0 <= s["convexity"] <= 100.0
    assert 250 <= s["wam"] <= 360 and 0 <= s["wala"] <= 110
    assert 0.0025 <= s["wac"] - s["net_wac"] <= 0.0050
    assert s["price"] == 100.0
    # principal in = principal out (not a band: an identity)
    assert s["total_principal"] + s["cumulative_losses"] == pytest.approx(s["balance"], rel=1e-9)


def _npl_bands(s: dict) -> None:
    assert 0.10 <= s["loss_severity"] <= 0.70
    assert 30.0 <= s["cumulative_defaults_pct"] <= 90.0
    assert 5.0 <= s["cumulative_losses_pct"] <= 40.0
    assert 0.30 <= s["p_liquidated"] <= 0.90
    assert 0.05 <= s["p_prepaid"] <= 0.60
    assert 0.05 <= s["p_modified"] <= 0.50
    assert 0.0 < s["p_deed_in_lieu"] < s["p_foreclosure_sale"]
    assert s["p_unresolved"] < 0.01
    assert s["mortgage_yield"] == 0.10
    assert 40.0 <= s["price"] <= 95.0
    assert 2.0 <= s["wal"] <= 12.0
    assert 0.0 < s["pv_std"] <= 0.05 * s["balance"]


def _note_bands(s: dict) -> None:
    """One NY note, 14 payments behind, UPB 180,000, debt ~196,000, value 260,000,
    asked at 55% of UPB: re-performing and non-performing notes trade at roughly
    40-80% of UPB, and a bid at 10-18% yields sits in that range; bought at the
    ask, the median path earns a positive double-digit return and recovers the
    price more than once over."""
    for bid in ("bid_at_yield", "bid_by_outcome", "bid_at_confidence"):
        assert 30.0 <= s[f"{bid}_pct_upb"] <= 95.0, (bid, s[f"{bid}_pct_upb"])
        assert s[f"{bid}_pct_value"] < s[f"{bid}_pct_upb"]  # value > UPB here
    assert 0.0 <= s["irr_p50"] <= 0.5
    assert s["irr_p05"] <= s["irr_p50"] <= s["irr_p95"]
    assert 1.0 <= s["money_multiple"] <= 4.0
    assert 0.0 <= s["p_irr_below_zero"] <= 0.2


def _pool_oas_bands(s: dict) -> None:
    """The agency sample pool (WAC ~5.9%) at par on Treasury-like rate paths
    under the refinancing model: agency pass-through OAS run from about -20
    to +150 bp; the prepayment option costs something (Z-spread above OAS);
    a pool with a refinancing option has a short, positive effective duration
    and negative convexity; WAL of a 30-year pool between 2 and 10 years."""
    assert -0.002 <= s["oas"] <= 0.015
    assert 0.0 < s["option_cost"] <= 0.02 and s["zspread"] > s["oas"]
    assert 0.5 <= s["effective_duration"] <= 8.0
    assert s["effective_convexity"] < 0.0
    assert 2.0 <= s["wal"] <= 10.0
    assert s["oas_std_error"] < 0.002


BANDS = {"pool.yaml": _pool_bands, "npl_pool.yaml": _npl_bands, "note.yaml": _note_bands,
         "pool_oas.yaml": _pool_oas_bands}


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_shipped_config_headline_numbers_are_plausible(path):
    assert path.name in BANDS, f"{path.name}: add its plausible bands to tests/test_scenarios.py"
    cfg = engine.load_config(path)
    overrides = ["simulation.paths=100"] if cfg.model == "state" or cfg.economy.rate_paths else []
    BANDS[path.name](summary(engine.run(path, overrides)))
