"""Rate scenarios: the shipped files, the grid (scenarios.parquet), and what
each kind of scenario does to the market paths.

References: a scenario's parallel shift is the same valuation on a config
whose curve is shifted by hand; a mortgage-rate path with no volatility is
the path itself, and its discount factors are the curve's times
exp(-sum delta dt) written out here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

import engine
from engine.cli import main
from engine.config.scenarios import load_scenario
from engine.economy.curve import ZeroCurve
from engine.economy.market import MarketShift, forward_mortgage_rates, payment_times, simulate_market
from engine.errors import ConfigError
from engine.output.columns import SCENARIOS
from tests.test_valuation import MIXED, REFI, TENORS, ZEROS, config

REPO = Path(__file__).resolve().parents[1]
SCENARIO_DIR = REPO / "scenarios"
PARALLEL = {f"rates_{d}_{bp}": (1 if d == "up" else -1) * bp for d in ("up", "down") for bp in (100, 200, 300)}


@pytest.mark.parametrize("name, bp", sorted(PARALLEL.items()))
def test_parallel_shock_files(name, bp):
    s = load_scenario(name)
    assert s.curve_shift == pytest.approx(bp / 1e4, abs=1e-15) and s.mortgage_rate_path is None
    assert s.changes_rates and s.hpi is None


def test_2022_hike_rises_from_about_3_to_7_percent_over_18_months():
    s = load_scenario("rates_2022_hike")
    months = [m for m, _ in s.mortgage_rate_path]
    rates = [r for _, r in s.mortgage_rate_path]
    assert months[0] == 1 and months[-1] == 18
    assert 0.028 <= rates[0] <= 0.035 and 0.068 <= rates[-1] <= 0.072
    assert max(rates) <= 0.072


def test_refi_wave_falls():
    rates = [r for _, r in load_scenario("rates_refi_wave").mortgage_rate_path]
    assert rates[-1] < rates[0] - 0.015


def test_every_shipped_scenario_file_loads():
    for path in sorted(SCENARIO_DIR.glob("*.yaml")):
        s = load_scenario(path.stem)
        assert s.changes_rates or s.hpi is not None, path.name


def test_a_parallel_scenario_is_the_valuation_on_the_shifted_curve():
    base = engine.run({**config(MIXED, REFI, price=100.0, paths=32), "scenarios": ["rates_up_100"]})
    oas = base.summary.to_pylist()[0]["oas"]
    row = base.tables["scenarios"].to_pylist()[1]
    shifted = config(MIXED, REFI, oas=oas, paths=32)
    shifted["economy"]["curve"]["zero_rates"] = [z + 0.01 for z in ZEROS]
    by_hand = engine.run(shifted).summary.to_pylist()[0]
    assert row["scenario"] == "rates_up_100" and row["curve_shift_bp"] == pytest.approx(100.0)
    assert row["price"] == pytest.approx(by_hand["price"], rel=1e-10)
    assert row["effective_duration"] == pytest.approx(by_hand["effective_duration"], rel=1e-7)
    assert row["wal"] == pytest.approx(by_hand["wal"], rel=1e-10)


def test_a_mortgage_rate_path_without_volatility_is_the_path():
    curve = ZeroCurve(TENORS, ZEROS)
    times = payment_times(360, 24)
    points = ((1, 0.031), (10, 0.069), (18, 0.07))
    m = simulate_market(curve, None, 0.017, times, 4, 3, shift=MarketShift(mortgage_rate_path=points))
    months = np.arange(1, 361)
    want = np.interp(months, [1, 10, 18], [0.031, 0.069, 0.07])
    np.testing.assert_allclose(m.mortgage_rate[0, 1:], want, rtol=0, atol=1e-15)
    delta = want - forward_mortgage_rates(curve, 0.017, times)
    disc = curve.discount(times[1:]) * np.exp(-np.cumsum(delta * np.diff(times)))
    np.testing.assert_allclose(m.discount[0], disc, rtol=1e-14)


def test_scenario_grid_rows_and_ordering():
    names = ["rates_up_300", "rates_up_100", "rates_down_100", "rates_2022_hike", "rates_refi_wave"]
    res = engine.run({**config(MIXED, REFI, price=100.0, paths=32), "scenarios": names})
    table = res.tables["scenarios"]
    assert table.column_names == list(SCENARIOS)
    rows = {r["scenario"]: r for r in table.to_pylist()}
    assert list(rows) == ["base", *names]
    assert rows["base"]["price"] == pytest.approx(100.0, rel=1e-12)
    assert rows["rates_up_300"]["price"] < rows["rates_up_100"]["price"] < 100.0 < rows["rates_down_100"]["price"]
    wal = {name: r["wal"] for name, r in rows.items()}
    assert wal["rates_up_300"] > wal["rates_up_100"] > wal["base"] > wal["rates_down_100"]
    assert rows["rates_refi_wave"]["wal"] < rows["base"]["wal"]
    assert len({r["oas"] for r in rows.values()}) == 1  # the OAS is held


def test_cli_scenarios_are_repeatable_and_written(tmp_path, capsys):
    import yaml

    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump(config(MIXED, REFI, price=100.0, paths=16)))
    code = main(["run", str(cfg), "--out", str(tmp_path / "out"), "--scenario", "rates_up_100",
                 "--scenario", "rates_down_100"])
    assert code == 0
    printed = capsys.readouterr().out
    assert " bp" in printed and "option_cost" in printed and "rates_down_100" in printed
    table = pq.read_table(tmp_path / "out" / "scenarios.parquet")
    assert table.column("scenario").to_pylist() == ["base", "rates_up_100", "rates_down_100"]
    assert {"summary.parquet", "cashflows.parquet", "paths.parquet", "run.json"} <= {
        p.name for p in (tmp_path / "out").iterdir()
    }


def test_unknown_scenario_is_an_error_naming_it(tmp_path, capsys):
    import yaml

    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump(config(MIXED, REFI, price=100.0, paths=4)))
    assert main(["run", str(cfg), "--out", str(tmp_path / "o"), "--scenario", "rates_sideways"]) == 2
    assert "scenarios[0]: unknown scenario 'rates_sideways' (known: " in capsys.readouterr().err


def test_home_price_scenario_with_the_standard_model_is_an_error():
    message = r"^scenarios\[0\]: 'hpi_down_25pct_3y' changes home prices, which the standard model does not use"
    with pytest.raises(ConfigError, match=message):
        engine.run({**config(MIXED, REFI, price=100.0, paths=4), "scenarios": ["hpi_down_25pct_3y"]})


@pytest.mark.parametrize(
    "text, message",
    [
        ("mortgage_rate_path: [[1, 3.5]]", r"mortgage_rate_path\[0\]: rate: .*got 3\.5 \(a percent\? write 0\.035\)"),
        ("mortgage_rate_path: [[3, 0.05], [2, 0.04]]",
         r"mortgage_rate_path\[1\]: month: expected whole months increasing"),
        ("rates: {parallel_shift_bp: 5000}", r"rates\.parallel_shift_bp"),
        ("rates: {shift: 1}", r"rates\.shift: unknown key"),
        ("description: nothing", r"expected `rates: \{parallel_shift_bp\}`, `mortgage_rate_path`"),
    ],
)
def test_bad_scenario_files(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_scenario(str(path), "scenarios[0]")
