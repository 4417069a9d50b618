"""Reproducibility of the standard engine.

What is guaranteed (engine/jit.py, engine/kernels/standard.py):

- The same config gives **bit-identical** output, run after run and for any
  ``NUMBA_NUM_THREADS``. Loans are cut into ``engine.jit.N_BLOCKS`` fixed
  contiguous blocks that depend only on the number of loans; each block sums
  its loans, in tape order, into its own slice, and the slices are reduced in
  block order. Threads only decide which core computes which block.
- A *different* block split of the same loans (another loan order, or another
  number of blocks) adds the same per-loan numbers in another order, so it
  agrees only to rounding (relative 1e-12 here), not bit for bit.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import fields
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

import engine
import engine.models.standard
from engine.models.standard import CashFlows, project_cashflows
from engine.jit import N_BLOCKS, block_bounds
from engine.inputs.sample import agency_tape

REPO = Path(__file__).resolve().parents[1]
ARRAYS = [f.name for f in fields(CashFlows) if f.name != "starting_balance"]
ASSUMPTIONS = {
    "prepay": {"model": "psa", "speed": 175},
    "default": {"model": "sda", "speed": 150},
    "loss": {"severity": 0.35, "liquidation_lag": 10, "advancing": True},
}


def stacked(cf: CashFlows) -> np.ndarray:
    return np.stack([getattr(cf, name).astype(np.float64) for name in ARRAYS])


@pytest.fixture(scope="module")
def tape() -> pa.Table:
    # more loans than blocks, not a multiple of N_BLOCKS, so blocks differ in size
    return agency_tape(N_BLOCKS * 7 + 5, seed=11)


def test_same_config_twice_is_bit_identical():
    a = engine.run(REPO / "configs" / "pool.yaml")
    b = engine.run(REPO / "configs" / "pool.yaml")
    assert stacked(a.details["cash_flows"]).tobytes() == stacked(b.details["cash_flows"]).tobytes()
    assert a.summary.equals(b.summary)
    assert a.cashflows.equals(b.cashflows)


def test_block_split_depends_only_on_the_number_of_loans():
    bounds = block_bounds(1000)
    assert len(bounds) == N_BLOCKS + 1 and bounds[0] == 0 and bounds[-1] == 1000
    assert np.all(np.diff(bounds) >= 1)
    np.testing.assert_array_equal(bounds, block_bounds(1000))
    # fewer loans than blocks: one loan per block
    np.testing.assert_array_equal(block_bounds(5), np.arange(6))


_CHILD = textwrap.dedent(
    """
    import sys, numba, numpy as np, pyarrow as pa
    import pyarrow.parquet as pq
    from dataclasses import fields
    from engine.models.standard import CashFlows, project_cashflows
    tape_path, out_path, expected_threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    assert numba.get_num_threads() == expected_threads, numba.get_num_threads()
    cf = project_cashflows(pq.read_table(tape_path), {assumptions!r})
    names = [f.name for f in fields(CashFlows) if f.name != "starting_balance"]
    np.save(out_path, np.stack([getattr(cf, n).astype(np.float64) for n in names]))
    """
)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two cores to run two threads")
def test_thread_count_does_not_change_a_bit(tape, tmp_path):
    import pyarrow.parquet as pq

    tape_path = tmp_path / "tape.parquet"
    pq.write_table(tape, tape_path)
    code = _CHILD.format(assumptions=ASSUMPTIONS)
    results = {}
    for threads in (1, 2):
        out = tmp_path / f"threads{threads}.npy"
        env = {**os.environ, "NUMBA_NUM_THREADS": str(threads)}
        proc = subprocess.run(
            [sys.executable, "-c", code, str(tape_path), str(out), str(threads)],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr
        results[threads] = np.load(out)
    assert results[1].tobytes() == results[2].tobytes()
    # and both equal this process's answer (whatever its thread count)
    here = stacked(project_cashflows(tape, ASSUMPTIONS))
    assert here.tobytes() == results[1].tobytes()


def test_loan_order_changes_only_rounding(tape):
    base = project_cashflows(tape, ASSUMPTIONS)
    order = np.random.default_rng(5).permutation(tape.num_rows)
    shuffled = project_cashflows(tape.take(pa.array(order)), ASSUMPTIONS)
    for name in ARRAYS:
        np.testing.assert_allclose(
            getattr(shuffled, name), getattr(base, name), rtol=1e-12, atol=1e-9, err_msg=name
        )


@pytest.mark.parametrize("n_blocks", [1, 7, 200])
def test_another_block_count_changes_only_rounding(tape, monkeypatch, n_blocks):
    base = project_cashflows(tape, ASSUMPTIONS)
    real = block_bounds
    monkeypatch.setattr(engine.models.standard, "block_bounds", lambda n: real(n, n_blocks))
    other = project_cashflows(tape, ASSUMPTIONS)
    for name in ARRAYS:
        np.testing.assert_allclose(getattr(other, name), getattr(base, name), rtol=1e-12, atol=1e-9, err_msg=name)
    monkeypatch.undo()
    # back on the fixed split: bit-identical again
    assert stacked(project_cashflows(tape, ASSUMPTIONS)).tobytes() == stacked(base).tobytes()


def test_input_form_does_not_matter(tape):
    # an Arrow table, validated Loans and a dict of columns give the same bits
    from engine.inputs.tape import loans_from_table

    a = project_cashflows(tape, ASSUMPTIONS)
    b = project_cashflows(loans_from_table(tape), ASSUMPTIONS)
    c = project_cashflows({k: tape.column(k).to_pylist() for k in tape.column_names}, ASSUMPTIONS)
    assert stacked(a).tobytes() == stacked(b).tobytes() == stacked(c).tobytes()
