"""The report: ``run --report`` and ``report OUT_DIR`` write report.html and
plots/*.png for every shipped config, in the run's atomic folder swap.

Each shipped config runs once through the CLI with ``--report`` on reduced
paths; the tests then read the page back (``report_html.py``):

- every number of its summary table is the value in summary.parquet, bit for
  bit, and every column is there, in order;
- each figure of the run kind is there, a PNG that is drawn (not blank),
  equal to its copy under plots/;
- the page refers to nothing outside itself (no script, no link, every
  ``src`` a ``data:`` URI);
- run.json lists report.html and the PNGs with their sha256;
- ``report OUT_DIR`` on a copy of the folder draws the same page, byte for
  byte, and leaves the tables' bytes untouched; on a folder that is not a
  run it is one error line (exit 2).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from matplotlib.figure import Figure

import engine
from engine.cli import main
from engine.errors import OutputError
from engine.output import writer
from engine.report import registry
from report_html import ReportPage, png_problems, summary_mismatches

REPO = Path(__file__).resolve().parents[1]
CONFIGS = sorted((REPO / "configs").glob("*.yaml"))

_STANDARD = ["cash_flows", "balance", "prepay_default_rates"]
_STATE = ["state_balances", "cash_flow_fan", "path_losses", "outcomes"]
_RATES = ["mortgage_rate_fan", "scenario_prices", "key_rate_durations"]

# run id -> (config, overrides, the figures its report must show, in order);
# {small_tape} is a 150-loan slice of the agency sample tape
RUNS = {
    "pool": ("pool.yaml", [], _STANDARD),
    "npl_pool": ("npl_pool.yaml", ["simulation.paths=24", "simulation.chunk_paths=12"],
                 ["irr_histogram", "resolution_months", "bids_vs_asks", *_STATE]),
    "npl_pool_projection": ("npl_pool.yaml", ["analysis=projection", "simulation.paths=24"], _STATE),
    "note": ("note.yaml", ["simulation.paths=64"], ["irr_histogram", "resolution_months", *_STATE]),
    "pool_oas": ("pool_oas.yaml", ["simulation.paths=8"], ["mortgage_rate_fan", *_STANDARD]),
    "pool_oas_scenarios": (
        "pool_oas.yaml",
        ["simulation.paths=8", "tape={small_tape}", "valuation.key_rate_durations=true", "scenarios=[rates_up_100]"],
        [*_RATES, *_STANDARD],
    ),
}
# the runs of each shipped config (a new config must add its runs above)
BY_CONFIG = {
    "pool.yaml": ["pool"],
    "npl_pool.yaml": ["npl_pool", "npl_pool_projection"],
    "note.yaml": ["note"],
    "pool_oas.yaml": ["pool_oas", "pool_oas_scenarios"],
}


@pytest.fixture(scope="module")
def small_tape(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tape") / "small_pool.parquet"
    pq.write_table(pq.read_table(REPO / "configs" / "data" / "sample_pool.parquet").slice(0, 150), path)
    return path


@pytest.fixture(scope="module", params=sorted(RUNS))
def reported(request, tmp_path_factory, small_tape):
    """(run id, output folder) of one config run with --report."""
    config, overrides, _ = RUNS[request.param]
    out = tmp_path_factory.mktemp(request.param) / "out"
    args = ["run", str(REPO / "configs" / config), "--out", str(out), "--report", "--quiet"]
    for o in overrides:
        args += ["--set", o.format(small_tape=small_tape)]
    assert main(args) == 0
    return request.param, out


def page_of(out: Path) -> ReportPage:
    return ReportPage((out / "report.html").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------
# every shipped config


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_every_shipped_config_has_report_runs(path):
    assert path.name in BY_CONFIG, f"{path.name}: add its report runs to tests/test_report.py"
    assert all(run in RUNS for run in BY_CONFIG[path.name])


def test_summary_table_shows_every_value_of_summary_parquet_exactly(reported):
    _, out = reported
    summary = pq.read_table(out / "summary.parquet")
    page = page_of(out)
    assert summary_mismatches(page, summary) == []
    assert len(page.summary) == summary.num_columns > 10


def test_each_expected_figure_is_drawn_and_copied_under_plots(reported):
    run, out = reported
    expected = RUNS[run][2]
    page = page_of(out)
    assert list(page.figures) == expected
    for name, png in page.figures.items():
        assert png_problems(png) == [], name
        assert (out / "plots" / f"{name}.png").read_bytes() == png, name
    assert sorted(p.name for p in (out / "plots").iterdir()) == sorted(f"{n}.png" for n in expected)


def test_the_page_refers_to_nothing_outside_itself(reported):
    _, out = reported
    page = page_of(out)
    assert "script" not in page.tags and "link" not in page.tags and "iframe" not in page.tags
    assert page.references, "no images?"
    for tag, attr, value in page.references:
        assert attr == "src" and tag == "img" and value.startswith("data:image/png;base64,"), (tag, attr, value[:60])
    lowered = page.text.lower()
    for marker in ("http://", "https://", "url(", "@import", "file:", "<script", "//cdn"):
        assert marker not in lowered, marker


def test_run_json_lists_the_report_with_its_sha256(reported):
    _, out = reported
    info = json.loads((out / "run.json").read_text())
    files = info["files"]
    assert "report.html" in files and any(name.startswith("plots/") for name in files)
    on_disk = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()} - {"run.json"}
    assert on_disk == set(files)
    for name, entry in files.items():
        data = (out / name).read_bytes()
        assert entry == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}, name


def test_the_page_names_the_run(reported):
    _, out = reported
    info = json.loads((out / "run.json").read_text())
    text = page_of(out).text
    for value in (info["config"]["name"], info["config_hash"], info["engine_version"]):
        assert value in text
    if info["seed"] is not None:
        assert f'id="meta-seed">{info["seed"]}<' in text
    for stage, seconds in info["timings_seconds"].items():
        assert f'data-stage="{stage}"' in text and f'data-value="{seconds!r}"' in text


def test_report_command_on_the_folder_draws_the_same_page(reported, tmp_path, capsys):
    """``report OUT_DIR`` reads the run back from its files: the same page
    and figures, byte for byte, as ``run --report`` drew from memory; the
    tables are copied, not rewritten."""
    _, out = reported
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    shutil.rmtree(copy / "plots")
    (copy / "report.html").unlink()
    tables = {p.name: p.read_bytes() for p in copy.glob("*.parquet")}
    assert main(["report", str(copy)]) == 0
    assert "report.html" in capsys.readouterr().out
    assert (copy / "report.html").read_bytes() == (out / "report.html").read_bytes()
    assert {p.name: p.read_bytes() for p in (copy / "plots").iterdir()} == {
        p.name: p.read_bytes() for p in (out / "plots").iterdir()
    }
    assert {p.name: p.read_bytes() for p in copy.glob("*.parquet")} == tables
    info, before = json.loads((copy / "run.json").read_text()), json.loads((out / "run.json").read_text())
    assert info == before  # the same files with the same sha256, the same record
    assert not [p for p in copy.parent.iterdir() if p.name.startswith(".")]  # no staging left


# --------------------------------------------------------------------------
# the checks above can fail


def test_a_shifted_summary_value_is_caught(reported):
    _, out = reported
    text = (out / "report.html").read_text(encoding="utf-8")
    summary = pq.read_table(out / "summary.parquet")
    name = next(n for n in summary.column_names if isinstance(summary.column(n)[0].as_py(), float))
    value = summary.column(name)[0].as_py()
    shifted = repr(value + abs(value) * 1e-15 + 1e-300)
    assert shifted != repr(value)
    marker = f'<tr data-column="{name}"><th>{name}</th><td class="num" data-value="{value!r}"'
    assert marker in text
    broken = ReportPage(text.replace(marker, marker.replace(repr(value), shifted)))
    assert summary_mismatches(broken, summary)


def test_a_blank_figure_is_caught():
    import io

    fig = Figure(figsize=(6, 4), dpi=100)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    assert png_problems(buf.getvalue())


# --------------------------------------------------------------------------
# errors


@pytest.mark.parametrize("case", ["missing", "file", "empty", "foreign", "no-summary-sha"])
def test_report_on_a_folder_that_is_not_a_run_is_one_error_line(case, tmp_path, capsys):
    target = tmp_path / "out"
    if case == "file":
        target.write_text("x")
    elif case in ("empty", "foreign"):
        target.mkdir()
        if case == "foreign":
            (target / "notes.txt").write_text("mine")
            (target / "run.json").write_text(json.dumps({"files": {}}))
    elif case == "no-summary-sha":
        assert main(["run", str(REPO / "configs" / "pool.yaml"), "--out", str(target), "--quiet"]) == 0
        with open(target / "summary.parquet", "ab") as f:
            f.write(b"changed")
    before = sorted(p.name for p in target.iterdir()) if target.is_dir() else None
    assert main(["report", str(target)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {target}") and "Traceback" not in captured.err, lines
    if before is not None:
        assert sorted(p.name for p in target.iterdir()) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_failed_report_write_keeps_the_run(tmp_path, tiny_config, monkeypatch):
    out = tmp_path / "out"
    engine.run(tiny_config).write(out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real, calls = writer._write_bytes, []

    def full(path, data):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(path, data)

    monkeypatch.setattr(writer, "_write_bytes", full)
    with pytest.raises(OutputError, match="No space left on device"):
        engine.report(out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_table_that_no_longer_matches_run_json_is_refused(tmp_path, tiny_config):
    """Reading the folder for a report and adding the report both check each
    table against its sha256 in run.json."""
    out = tmp_path / "out"
    engine.run(tiny_config).write(out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    (out / "cashflows.parquet").write_bytes(before["summary.parquet"])  # a valid table, not the recorded one
    with pytest.raises(OutputError, match="cashflows.parquet does not match the sha256 in run.json"):
        engine.report(out)
    with pytest.raises(OutputError, match="cashflows.parquet does not match the sha256 in run.json"):
        writer.add_files(out, {"report.html": b"<html></html>"})
    (out / "cashflows.parquet").unlink()
    with pytest.raises(OutputError, match="cashflows.parquet does not match"):
        engine.report(out)
    assert sorted(p.name for p in out.iterdir()) == ["run.json", "summary.parquet"]


def test_a_later_run_replaces_the_report(tmp_path, tiny_config):
    """A run without --report after one with it leaves no report behind."""
    out = tmp_path / "out"
    engine.run(tiny_config).write(out, report=True)
    assert (out / "report.html").exists()
    engine.run(tiny_config).write(out)
    assert sorted(p.name for p in out.iterdir()) == ["cashflows.parquet", "run.json", "summary.parquet"]


# --------------------------------------------------------------------------
# Python


def test_plot_methods_return_figures_and_name_what_is_missing(tiny_config, tmp_path):
    result = engine.run(tiny_config)
    for name in _STANDARD:
        fig = getattr(result, f"plot_{name}")()
        assert isinstance(fig, Figure) and fig.axes
    with pytest.raises(ValueError, match=r"figure 'irr_histogram' needs"):
        result.plot_irr_histogram()
    assert list(result.figures()) == _STANDARD
    path = engine.report(result, tmp_path / "r.html")
    page = ReportPage(path.read_text(encoding="utf-8"))
    assert list(page.figures) == _STANDARD
    assert summary_mismatches(page, result.summary) == []
    # a run folder gets its report through the writer (listed in run.json), not beside it
    result.write(tmp_path / "out")
    with pytest.raises(ValueError, match="holds a run"):
        engine.report(result, tmp_path / "out")
    assert engine.report(tmp_path / "out") == tmp_path / "out" / "report.html"
    assert "report.html" in json.loads((tmp_path / "out" / "run.json").read_text())["files"]
    import engine.report as module  # the package, still, though engine.report is callable

    assert module.figures is engine.report.figures


def test_a_report_that_cannot_be_written_is_an_output_error(tiny_config, tmp_path):
    result = engine.run(tiny_config)
    with pytest.raises(OutputError, match="/proc/nonexistent/r.html"):
        engine.report(result, "/proc/nonexistent/r.html")
    result.write(tmp_path / "out")
    inside_a_file = tmp_path / "out" / "run.json" / "x.html"
    with pytest.raises(OutputError, match="x.html"):
        engine.report(result, inside_a_file)
    path = engine.report(result, tmp_path / "r.html")
    assert path == tmp_path / "r.html" and path.read_text(encoding="utf-8").startswith("<!DOCTYPE")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "r.html"]  # no temporary file left


def test_write_with_a_report_draws_it_from_the_record_it_writes(tiny_config, tmp_path, monkeypatch):
    """run.json is made once (the tape hashed once); the drawing time is
    recorded after the write, so the page and run.json show the same timings."""
    result = engine.run(tiny_config)
    real, calls = result.run_info, []
    monkeypatch.setattr(result, "run_info", lambda: calls.append(1) or real())
    paths = result.write(tmp_path / "out", report=True)
    assert calls == [1]
    assert result.timings["report"] > 0
    info = json.loads((tmp_path / "out" / "run.json").read_text())
    assert "report" not in info["timings_seconds"]
    assert {p.name for p in paths} >= {"report.html", "run.json"}
    page = page_of(tmp_path / "out")
    assert list(page.figures) == _STANDARD


def test_every_figure_has_a_plot_method_and_belongs_to_a_run_kind():
    from engine.api import RunResult

    shown = {name for names in registry.RUN_FIGURES.values() for name in names}
    assert shown == set(registry.FIGURES)
    for name in registry.FIGURES:
        assert callable(getattr(RunResult, f"plot_{name}", None)), name


def test_a_plain_run_does_not_import_matplotlib(tmp_path, tiny_config):
    """matplotlib is imported only when a figure is drawn."""
    code = (
        "import sys, json, engine\n"
        f"engine.run(json.loads({json.dumps(json.dumps(tiny_config))})).write({str(tmp_path / 'o')!r})\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr


def test_the_state_model_on_rate_paths_has_its_report(tmp_path):
    """(valuation, state): the rate fan and the balance by state; the page
    names the figures it has no data for."""
    loans = [
        {"loan_id": "A", "balance": 180_000.0, "note_rate": 0.075, "remaining_term": 300, "age": 60,
         "status": "current", "property_value": 300_000.0, "state": "TX"},
        {"loan_id": "B", "balance": 120_000.0, "note_rate": 0.055, "remaining_term": 240, "age": 120,
         "status": "dq60", "payments_behind": 2, "property_value": 150_000.0, "state": "NY"},
    ]
    config = {
        "name": "state-rates", "model": "state", "loans": loans,
        "assumptions": {"prepay": {"model": "turnover_refi", "base_cpr": 0.05, "refi_max_cpr": 0.35}},
        "simulation": {"paths": 16, "seed": 11, "chunk_paths": 8, "horizon": 240},
        "economy": {"hpi": {"drift": 0.03, "volatility": 0.05}, "curve": {"flat": 0.04},
                    "rates": {"model": "hull_white", "mean_reversion": 0.03, "volatility": 0.009}},
        "valuation": {"price": 85.0, "delay_days": 0},
    }
    result = engine.run(config)
    assert (result.run_info()["analysis"], result.config.model) == ("valuation", "state")
    out = tmp_path / "out"
    result.write(out, report=True)
    page = page_of(out)
    assert list(page.figures) == ["mortgage_rate_fan", "state_balances"]
    for name, png in page.figures.items():
        assert png_problems(png) == [], name
    assert summary_mismatches(page, pq.read_table(out / "summary.parquet")) == []
    assert 'id="missing-figures"' in page.text and "--scenario" in page.text
