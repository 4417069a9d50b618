"""Bit-identical state-model output for any thread count, chunking or rerun.

Why it should hold (engine/kernels/state.py, engine/models/state.py): every
random loan event is a pure function of (seed, path, loan, month, purpose)
(Threefry counter-based uniforms), home-price path p comes from its own
generator ``default_rng([seed, 3, p])``, and monthly sums are int64 ticks, so
the order in which threads, loan blocks (their number depends on the thread
count) or path chunks add them cannot change a bit. Every output table
(``RunResult.tables``: summary, cashflows, cashflow_quantiles, paths, loans)
is compared with ``pyarrow.Table.equals``, for both integrations.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import engine
from engine.inputs.sample import npl_tape

from state_helpers import merge

REPO = Path(__file__).resolve().parents[1]
TABLES = ("summary", "cashflows", "cashflow_quantiles", "paths", "loans")


@pytest.fixture(scope="module")
def tape_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tape") / "npl.parquet"
    pq.write_table(npl_tape(9, seed=17), path)
    return path


def config(tape_path: Path, integration: str, **sim) -> dict:
    return {
        "name": "repro",
        "model": "state",
        "tape": str(tape_path),
        "assumptions": {"prepay": {"model": "turnover", "base_cpr": 0.04, "refi_max_cpr": 0.10}},
        "simulation": {"integration": integration, "paths": 12, "seed": 20261121, "horizon": 120,
                       "chunk_paths": 64, **sim},
        "economy": {"hpi": {"drift": 0.02, "volatility": 0.06}},
        "valuation": {"yield": 0.10},
        "output": {"loans": True},
    }


def bit_equal(ta: pa.Table, tb: pa.Table) -> bool:
    """Same schema and the same bits in every column. (``Table.equals`` treats
    NaN != NaN, and the loans table holds NaN means of outcomes that never
    happen; identical tables without NaN are also ``.equals``.)"""
    if not ta.schema.equals(tb.schema) or ta.num_rows != tb.num_rows:
        return False
    for name in ta.column_names:
        x, y = ta.column(name).to_numpy(), tb.column(name).to_numpy()
        if x.dtype.kind in "fiub":
            if x.tobytes() != y.tobytes():
                return False
        elif list(x) != list(y):
            return False
    return True


def assert_same_tables(a, b):
    for name in TABLES:
        ta, tb = a.tables[name], b.tables[name]
        assert bit_equal(ta, tb), f"{name} differs"
        if name != "loans":
            assert ta.equals(tb), name


def assert_differ(a, b):
    assert not a.tables["cashflows"].equals(b.tables["cashflows"])
    assert not a.tables["paths"].equals(b.tables["paths"])


INTEGRATIONS = pytest.mark.parametrize("integration", ["expected", "sampled"])


@INTEGRATIONS
def test_same_seed_twice(tape_path, integration):
    assert_same_tables(engine.run(config(tape_path, integration)), engine.run(config(tape_path, integration)))


@INTEGRATIONS
def test_chunk_size_does_not_change_a_bit(tape_path, integration):
    # 12 paths: chunks of 1, 3 (even), 5 (5 + 5 + 2) and 50 (one chunk)
    runs = [engine.run(config(tape_path, integration, chunk_paths=c)) for c in (1, 3, 5, 50)]
    for other in runs[1:]:
        assert_same_tables(runs[0], other)


@INTEGRATIONS
def test_different_seeds_give_different_results(tape_path, integration):
    a = engine.run(config(tape_path, integration, seed=1))
    b = engine.run(config(tape_path, integration, seed=2))
    assert_differ(a, b)


def test_expected_integration_without_volatility_ignores_the_seed(tape_path):
    """No randomness left: the expected integration on a fixed HPI path."""
    base = merge(config(tape_path, "expected"), {"economy": {"hpi": {"volatility": 0.0}}})
    a = engine.run(merge(base, {"simulation": {"seed": 1}}))
    b = engine.run(merge(base, {"simulation": {"seed": 2}}))
    for name in ("cashflows", "paths", "loans", "cashflow_quantiles"):
        assert bit_equal(a.tables[name], b.tables[name]), name


def test_more_paths_keep_the_first_paths(tape_path):
    """Path p is the same whatever the number of paths (its own generators)."""
    a = engine.run(config(tape_path, "sampled", paths=7))
    b = engine.run(config(tape_path, "sampled", paths=12))
    first = b.tables["paths"].slice(0, 7)
    for name in ("path", "cumulative_default", "cumulative_loss", "total_cash_flow", "wal"):
        assert a.tables["paths"].column(name).to_numpy().tobytes() == first.column(name).to_numpy().tobytes(), name


_CHILD = textwrap.dedent(
    """
    import json, sys, numba
    import engine
    cfg_path, out_dir, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    assert numba.get_num_threads() == threads, numba.get_num_threads()
    for integration in ("expected", "sampled"):
        cfg = json.load(open(cfg_path))
        cfg["simulation"]["integration"] = integration
        engine.run(cfg).write(f"{out_dir}/{integration}")
    """
)


def test_thread_count_does_not_change_a_bit(tape_path, tmp_path):
    cfg_path = tmp_path / "cfg.json"
    cfg_path.write_text(json.dumps(config(tape_path, "sampled")))
    outs = {}
    for threads in (1, 2):
        out = tmp_path / f"t{threads}"
        env = {**os.environ, "NUMBA_NUM_THREADS": str(threads)}
        proc = subprocess.run([sys.executable, "-c", _CHILD, str(cfg_path), str(out), str(threads)],
                              env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        outs[threads] = out
    for integration in ("expected", "sampled"):
        for name in TABLES:
            a = pq.read_table(outs[1] / integration / f"{name}.parquet")
            b = pq.read_table(outs[2] / integration / f"{name}.parquet")
            assert bit_equal(a, b), f"{integration}/{name} differs between 1 and 2 threads"
        info = [json.loads((outs[t] / integration / "run.json").read_text()) for t in (1, 2)]
        assert [i["threads"] for i in info] == [1, 2]
        assert info[0]["config_hash"] == info[1]["config_hash"]
