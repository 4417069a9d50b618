"""Benchmark of note pricing: the shipped 500-loan NPL tape on 2,000 paths.

Run: ``python -m pytest bench/test_bench_pricing.py --benchmark-only`` (see
bench/README.md, "Pricing"). Plain ``pytest`` does not collect this folder.

What is timed: ``engine.run("configs/npl_pool.yaml")`` with its ``pricing``
block (every loan at 55% of UPB, 1,500 costs, holder servicing 25 / 95 a
month; bids at 12%, by outcome, and at P(IRR >= 10%) >= 80%) on 2,000
paths: the state kernel with holder outputs, each loan's IRR and PVs on
every path, the three bids per loan and for the tape, the outcome mix and
every table. A warm-up run on 8 paths loads or compiles the kernels first.
Threads: 1 and ``NUMBA_NUM_THREADS``. Rounds: ``ENGINE_BENCH_ROUNDS``
(default 1).

``extra_info``: ``numba_threads``, ``paths``, ``loans``, ``horizon``,
``loan_paths`` (IRR vectors solved), ``cpu_s`` (process CPU time of the
round), ``load_1min`` (the machine's load average when the round ended:
the VM is shared, so compare the best of several runs).

Target on 2 cores: under 20 s for all three bids.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numba
import pytest

import engine
from bench_data import THREADS  # bench/ is on sys.path (no __init__.py)

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "configs" / "npl_pool.yaml"
PATHS = 2_000
ROUNDS = int(os.environ.get("ENGINE_BENCH_ROUNDS", "1"))
TARGET_SECONDS = 20.0


@pytest.mark.parametrize("threads", THREADS, ids=[f"{t}thr" for t in THREADS])
def test_price_npl_tape(benchmark, threads):
    engine.run(CONFIG, ["simulation.paths=8"])  # load or compile every kernel
    before = numba.get_num_threads()
    numba.set_num_threads(threads)
    cpu: list[float] = []
    result: list = []

    def price():
        c0 = time.process_time()
        result.append(engine.run(CONFIG, [f"simulation.paths={PATHS}"]))
        cpu.append(time.process_time() - c0)

    try:
        benchmark.pedantic(price, rounds=ROUNDS, iterations=1)
    finally:
        numba.set_num_threads(before)
    r = result[-1]
    s = r.summary.to_pylist()[0]
    benchmark.extra_info.update(
        numba_threads=threads,
        paths=PATHS,
        loans=r.loans.n,
        horizon=s["horizon"],
        loan_paths=r.loans.n * PATHS,
        cpu_s=min(cpu),
        load_1min=os.getloadavg()[0],
        target_s=TARGET_SECONDS,
    )
    assert {"bids", "outcomes"} <= set(r.tables) and r.tables["bids"].num_rows == r.loans.n
    assert s["irr_n_not_converged"] == 0
