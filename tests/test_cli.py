"""The command line, called in-process as ``engine.cli.main([...])``, plus one
end-to-end ``python -m engine`` subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml

import engine
from columns import SIFMA_COLUMNS
from engine.cli import main

REPO = Path(__file__).resolve().parents[1]

CASHFLOW_COLUMNS = [
    "month",
    *SIFMA_COLUMNS,
    "gross_interest",
    "servicing_fee",
    "total_principal",
    "total_cash_flow",
    "smm",
    "mdr",
]
SUMMARY_COLUMNS = [
    "balance",
    "wac",
    "net_wac",
    "wam",
    "wala",
    "wal",
    "cumulative_defaults",
    "cumulative_losses",
    "cumulative_defaults_pct",
    "cumulative_losses_pct",
    "price",
    "yield_bey",
    "mortgage_yield",
    "average_life",
    "macaulay_duration",
    "modified_duration",
    "convexity",
]
OUTPUT_FILES = {"cashflows.parquet", "summary.parquet", "run.json"}


def run_cli(*args) -> int:
    return main(["run", *map(str, args), "--quiet"])


def listing(folder: Path) -> dict[str, bytes]:
    """Every entry of ``folder`` (hidden ones too) with its bytes; {} if it does not exist."""
    if not folder.exists():
        return {}
    return {p.name: (p.read_bytes() if p.is_file() else b"<dir>") for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def pool_run(tmp_path_factory):
    """One run of configs/pool.yaml shared by the read-only tests below."""
    out = tmp_path_factory.mktemp("pool") / "out"
    assert run_cli(REPO / "configs" / "pool.yaml", "--out", out) == 0
    return out


def test_run_writes_the_three_files(pool_run):
    assert {p.name for p in pool_run.iterdir()} == OUTPUT_FILES  # no staging left behind


def test_cashflows_columns(pool_run):
    table = pq.read_table(pool_run / "cashflows.parquet")
    missing = set(CASHFLOW_COLUMNS) - set(table.column_names)
    assert not missing
    months = table.column("month").to_numpy()
    np.testing.assert_array_equal(months, np.arange(1, len(months) + 1))
    cf = table.to_pydict()
    assert cf["performing_balance"][-1] == pytest.approx(0.0, abs=1e-6)


def test_summary_columns(pool_run):
    table = pq.read_table(pool_run / "summary.parquet")
    assert table.num_rows == 1
    missing = set(SUMMARY_COLUMNS) - set(table.column_names)
    assert not missing
    row = table.to_pylist()[0]
    assert row["price"] == pytest.approx(100.0)  # pool.yaml prices at par
    assert 0.0 < row["net_wac"] < row["wac"] < 0.2


def test_run_json(pool_run):
    info = json.loads((pool_run / "run.json").read_text())
    for key in ("config", "config_hash", "engine_version", "timings_seconds"):
        assert key in info, key
    assert info["engine_version"] == engine.__version__
    assert info["config"]["assumptions"]["prepay"] == {"model": "psa", "speed": 150.0}
    assert info["timings_seconds"]["total"] > 0
    assert info["n_loans"] == 5000


def test_parquet_metadata_carries_the_config_hash(pool_run):
    info = json.loads((pool_run / "run.json").read_text())
    # the hash in run.json is the sha256 of the config it holds
    assert info["config_hash"] == engine.load_config(info["config"]).hash()
    for name in ("cashflows", "summary"):
        meta = pq.read_schema(pool_run / f"{name}.parquet").metadata
        assert meta[b"engine.config_hash"].decode() == info["config_hash"]
        assert meta[b"engine.table"].decode() == name
        assert meta[b"engine.version"].decode() == engine.__version__


def test_output_dir_from_config(tmp_path, tiny_config):
    tiny_config["output"] = {"dir": str(tmp_path / "from-config")}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(tiny_config))
    assert run_cli(path) == 0
    assert {p.name for p in (tmp_path / "from-config").iterdir()} == OUTPUT_FILES


def test_report_is_printed_unless_quiet(tiny_yaml, out_dir, capsys):
    assert main(["run", str(tiny_yaml), "--out", str(out_dir)]) == 0
    out = capsys.readouterr().out
    assert "tiny" in out and "wrote 3 files" in out


# --------------------------------------------------------------------------
# errors


def assert_one_error_line(capsys, *fragments) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in captured.err + captured.out
    for f in fragments:
        assert f in lines[0], lines[0]
    return lines[0]


def test_bad_config_exits_2_with_one_line(tmp_path, tiny_config, capsys):
    tiny_config["assumptions"]["loss"]["severity"] = 20
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(tiny_config))
    assert run_cli(path, "--out", tmp_path / "o") == 2
    assert_one_error_line(capsys, "assumptions.loss.severity", "20")
    assert not (tmp_path / "o").exists()


def test_missing_config_exits_2(tmp_path, capsys):
    assert run_cli(tmp_path / "nope.yaml") == 2
    assert_one_error_line(capsys, "nope.yaml", "not found")


def test_bad_tape_exits_2(tmp_path, capsys):
    (tmp_path / "t.csv").write_text("loan_id,balance,note_rate,remaining_term\nA,100,6.5,360\n")
    path = tmp_path / "c.yaml"
    path.write_text("name: x\ntape: t.csv\n")
    assert run_cli(path, "--out", tmp_path / "o") == 2
    assert_one_error_line(capsys, "t.csv", "'A'", "note_rate", "6.5")


def test_bad_override_exits_2(capsys, tmp_path):
    assert run_cli(REPO / "configs" / "pool.yaml", "--set", "assumptions.prepay.speed=-1", "--out", tmp_path) == 2
    assert_one_error_line(capsys, "assumptions.prepay.speed", "-1")


def test_set_override_changes_the_output(pool_run, tmp_path):
    out = tmp_path / "fast"
    assert run_cli(REPO / "configs" / "pool.yaml", "--out", out, "--set", "assumptions.prepay.speed=300") == 0
    base = pq.read_table(pool_run / "summary.parquet").to_pylist()[0]
    fast = pq.read_table(out / "summary.parquet").to_pylist()[0]
    assert fast["wal"] < base["wal"]  # faster prepayments shorten the life
    assert fast["balance"] == base["balance"]
    info = json.loads((out / "run.json").read_text())
    assert info["config"]["assumptions"]["prepay"]["speed"] == 300
    assert info["config_hash"] != json.loads((pool_run / "run.json").read_text())["config_hash"]
    base_vol = pq.read_table(pool_run / "cashflows.parquet").column("voluntary_prepayments").to_numpy()
    fast_vol = pq.read_table(out / "cashflows.parquet").column("voluntary_prepayments").to_numpy()
    assert fast_vol[0] > base_vol[0]


# --------------------------------------------------------------------------
# atomic writes (engine/output/writer.py; the kill tests are in test_writer.py):
# the run is staged in a hidden sibling folder and swapped in as a whole


def fail_on_call(monkeypatch, module, name, n_fail):
    """Make ``module.name`` raise OSError on its ``n_fail``-th call."""
    real = getattr(module, name)
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n_fail:
            raise OSError(28, "No space left on device (simulated)")
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, flaky)
    return calls


def test_a_full_disk_is_one_line_naming_the_folder_and_leaves_nothing(tiny_yaml, out_dir, monkeypatch, capsys):
    calls = fail_on_call(monkeypatch, pq, "write_table", 2)
    assert run_cli(tiny_yaml, "--out", out_dir) == 2
    assert_one_error_line(capsys, str(out_dir), "cannot write outputs", "No space left on device")
    assert calls["n"] == 2
    assert listing(out_dir) == {}
    assert not [p for p in out_dir.parent.iterdir() if p.name.startswith(".")]  # no staging left beside it


def test_a_full_disk_leaves_the_previous_run_intact(tiny_yaml, out_dir, monkeypatch, capsys):
    assert run_cli(tiny_yaml, "--out", out_dir) == 0
    before = listing(out_dir)
    assert set(before) == OUTPUT_FILES

    fail_on_call(monkeypatch, pq, "write_table", 2)
    assert run_cli(tiny_yaml, "--out", out_dir, "--set", "assumptions.prepay.speed=400") == 2
    assert_one_error_line(capsys, str(out_dir), "No space left on device")
    assert listing(out_dir) == before  # same names, same bytes, no staging folder


def test_a_failed_swap_keeps_the_previous_run(tiny_yaml, out_dir, monkeypatch, capsys):
    assert run_cli(tiny_yaml, "--out", out_dir) == 0
    before = listing(out_dir)

    import engine.output.writer as writer

    def no_exchange(a, b):
        raise OSError(5, "Input/output error (simulated)")

    monkeypatch.setattr(writer, "_exchange", no_exchange)
    assert run_cli(tiny_yaml, "--out", out_dir, "--set", "assumptions.prepay.speed=400") == 2
    assert_one_error_line(capsys, str(out_dir), "Input/output error")
    assert listing(out_dir) == before


def test_rerun_replaces_a_previous_run(tiny_yaml, out_dir):
    path, out = tiny_yaml, out_dir
    assert run_cli(path, "--out", out) == 0
    assert run_cli(path, "--out", out, "--set", "assumptions.prepay.speed=400") == 0
    info = json.loads((out / "run.json").read_text())
    assert info["config"]["assumptions"]["prepay"]["speed"] == 400
    assert set(listing(out)) == OUTPUT_FILES


# --------------------------------------------------------------------------


def test_python_dash_m_engine_end_to_end(tmp_path):
    out = tmp_path / "e2e"
    proc = subprocess.run(
        [sys.executable, "-m", "engine", "run", "configs/pool.yaml", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "wrote 3 files" in proc.stdout
    assert {p.name for p in out.iterdir()} == OUTPUT_FILES
    summary = pq.read_table(out / "summary.parquet").to_pylist()[0]
    assert summary["n_loans"] == 5000


def test_python_dash_m_engine_bad_input_exit_code(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "engine", "run", str(tmp_path / "missing.yaml")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr


def test_unwritable_output_folder_is_a_one_line_error(capsys, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    assert main(["run", "configs/pool.yaml", "--out", str(blocker / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "cannot write outputs" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


# --------------------------------------------------------------------------
# a tape given as the config; Ctrl-C


@pytest.mark.parametrize("tape", ["configs/data/sample_pool.parquet", "tape.csv"])
def test_a_tape_given_as_the_config_says_so(tape, tmp_path, capsys):
    path = REPO / tape
    if tape == "tape.csv":
        path = tmp_path / tape
        path.write_text("loan_id,balance,note_rate,remaining_term\nA,100,0.06,360\n")
    assert run_cli(path, "--out", tmp_path / "o") == 2
    assert_one_error_line(capsys, path.name, "loan tape, not a config", "tape:")


def test_a_binary_file_given_as_the_config_is_one_line(tmp_path, capsys):
    path = tmp_path / "c.yaml"
    path.write_bytes(b"\x00\xc0\xff binary")
    assert run_cli(path, "--out", tmp_path / "o") == 2
    assert_one_error_line(capsys, "c.yaml", "not a text file")


def test_ctrl_c_is_one_line_and_exit_130(tiny_yaml, out_dir, monkeypatch, capsys):
    import engine.api

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(engine.api, "run", interrupted)
    assert run_cli(tiny_yaml, "--out", out_dir) == 130
    assert_one_error_line(capsys, "interrupted")
    assert not out_dir.exists()


def test_ctrl_c_while_writing_keeps_the_previous_run(tiny_yaml, out_dir, monkeypatch, capsys):
    assert run_cli(tiny_yaml, "--out", out_dir) == 0
    before = listing(out_dir)
    real = pq.write_table
    calls = {"n": 0}

    def interrupted(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(pq, "write_table", interrupted)
    assert run_cli(tiny_yaml, "--out", out_dir, "--set", "assumptions.prepay.speed=400") == 130
    assert_one_error_line(capsys, "interrupted")
    assert listing(out_dir) == before


# --------------------------------------------------------------------------
# every problem: config errors do not hide tape errors


def test_config_errors_do_not_hide_tape_errors(tmp_path, capsys):
    (tmp_path / "t.csv").write_text("loan_id,balance,note_rate,remaining_term\nA,100,6.5,360\nB,-1,0.06,360\n")
    path = tmp_path / "c.yaml"
    path.write_text("name: x\ntape: t.csv\nassumptions: {prepay: {model: cpr, rate: 6}}\n")
    assert run_cli(path, "--out", tmp_path / "o") == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        f"error: {path}: assumptions.prepay.rate: expected a decimal in [0, 1), got 6 (a percent? write 0.06)",
        f"error: {tmp_path / 't.csv'}: loan 'B' (row 2): column balance: expected a positive balance, at most 1e+10, got -1",
        f"error: {tmp_path / 't.csv'}: loan 'A' (row 1): column note_rate: expected an annual decimal in [0, 1), got 6.5 (a percent? write 0.065)",
    ]


def test_config_errors_do_not_hide_inline_loan_errors(tiny_config, tmp_path, capsys):
    tiny_config["valuation"] = {"price": 0.99}
    tiny_config["loans"][2]["note_rate"] = 4.25
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(tiny_config))
    assert run_cli(path, "--out", tmp_path / "o") == 2
    err = capsys.readouterr().err
    assert "valuation.price" in err and "loan 'L3' (row 3): column note_rate" in err


# --------------------------------------------------------------------------
# what the terminal shows while a run computes; warm-up


def test_the_standard_model_shows_no_progress_bar():
    from engine.cli import RunDisplay

    with RunDisplay("standard", cached=True) as display:
        pass
    assert display.shown == ["projecting cash flows"]


def test_a_cold_cache_says_compiling_until_the_first_chunk_then_a_bar():
    from engine.cli import RunDisplay

    with RunDisplay("state", cached=False) as display:
        assert display.shown == ["compiling kernels (first run only)"]
        display.progress(64, 1000)
        display.progress(128, 1000)
    assert display.shown == ["compiling kernels (first run only)", "paths 64/1000", "paths 128/1000"]


def test_kernels_cached_knows_a_compiled_kernel(tiny_config):
    from engine.warmup import kernels_cached

    engine.run(tiny_config)  # the standard model, now compiled in this process
    assert kernels_cached("standard") is True
    assert kernels_cached("no-such-model") is None


def test_warm_up_command_compiles_both_models_and_says_how_long(capsys):
    assert main(["warm-up"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("kernels ") and " s" in out


# --------------------------------------------------------------------------
# sample-tape and argument mistakes


def test_sample_tape_loans_and_seed(tmp_path, capsys):
    path = tmp_path / "t.csv"
    assert main(["sample-tape", "npl", str(path), "--loans", "7", "--seed", "3"]) == 0
    assert engine.read_tape(path).n == 7


@pytest.mark.parametrize("args", [["--loans", "0"], ["--loans", "many"], ["--seed", "-1"]])
def test_bad_sample_tape_arguments_are_one_line(tmp_path, capsys, args):
    assert main(["sample-tape", "agency", str(tmp_path / "t.parquet"), *args]) == 2
    assert_one_error_line(capsys, args[0])


def test_an_unwritable_sample_tape_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    assert main(["sample-tape", "agency", str(blocker / "t.parquet"), "--loans", "3"]) == 2
    assert_one_error_line(capsys, "a_file", "cannot write")


def test_an_unknown_command_is_one_line(capsys):
    assert main(["fly"]) == 2
    assert_one_error_line(capsys, "fly")
