"""Benchmarks of the loan-level state model, sampled integration.

Run: ``python -m pytest bench/test_bench_state.py --benchmark-only`` (see
bench/README.md, "State model (sampled)"). Plain ``pytest`` does not collect
this folder (``testpaths = ["tests"]``).

- ``test_state_sampled``: :func:`engine.runs.projection.run_state_model` end to end
  (HPI paths, the parallel kernel over path chunks, per-path columns,
  quantiles, tables) on 10,000 loans x ``paths`` x 360 months, for the agency
  tape (``bench_data.make_loans``: ``engine.inputs.sample.agency_tape`` reshaped to
  new 30-year loans) and the NPL tape (``engine.inputs.sample.npl_tape``), at 1 and
  at all threads. ``paths`` is 100 by default, 1,000 with
  ``ENGINE_BENCH_FULL=1``. Compilation is excluded: a tiny run first loads
  or compiles the kernel.
- ``test_numpy_baseline``: the vectorised NumPy twin (``numpy_state.py``) on
  10,000 loans x 10 paths x 360 months, and the kernel / NumPy ratio in steps
  per second. Its output is checked equal to the kernel's, outside the timing.
- ``test_state_memory_sweep``: the extra peak memory of a run in a fresh
  process for (loans, paths) = (1,000, 100), (10,000, 100), (1,000, 1,000)
  (and (10,000, 1,000) with ``ENGINE_BENCH_FULL=1``): memory grows with
  loans + paths x months, not loans x paths x months.
- ``test_state_cold_start``: import + first tiny run in a fresh interpreter
  with the Numba cache off (compile time) and on.

Throughput is counted in *nominal* loan-month-path steps: loans x paths x
horizon months, whether or not a loan is still alive; ``live_steps`` counts
the loan-months actually simulated (a loan-path stops when it prepays,
matures or is sold).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import textwrap
import time
import tracemalloc
from pathlib import Path

import numba
import numpy as np
import pytest

from bench_data import THREADS, make_loans  # bench/ is on sys.path (no __init__.py)
from engine.config import load_config
from engine.inputs.sample import npl_tape
from engine.inputs.tape import loans_from_table
from engine.runs.projection import run_state_model

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "reference"))  # the NumPy twin the tests also use
import numpy_state as ns  # noqa: E402
FULL = os.environ.get("ENGINE_BENCH_FULL", "") not in ("", "0", "false", "no")

N_LOANS = 10_000
N_PATHS = 1_000 if FULL else 100
HORIZON = 360
ROUNDS = int(os.environ.get("ENGINE_BENCH_ROUNDS", "1" if FULL else "3"))
NUMPY_PATHS = 10
TARGET_STEPS_PER_S = 100e6  # kernel, 10k x 1,000 x 360 on 2 cores
TARGET_RATIO = 10.0  # kernel / NumPy

# the two tapes: prepayment as in configs/ (agency turnover defaults; the NPL
# pool's credit-impaired borrowers refinance little); state-model defaults
PREPAY = {
    "agency": {"model": "turnover"},
    "npl": {"model": "turnover", "base_cpr": 0.04, "refi_max_cpr": 0.10},
}
SEED = 20261121

# kernel steps/s at the benchmark size, by (tape, threads): the NumPy test's ratio
_KERNEL_RATE: dict[tuple[str, int], float] = {}


def bench_config(tape: str, paths: int, horizon: int = HORIZON):
    """A sampled state-model config (loans come separately)."""
    return load_config({
        "name": f"bench-state-{tape}",
        "model": "state",
        "loans": [{"loan_id": "unused", "balance": 1.0, "note_rate": 0.05, "remaining_term": 1}],
        "assumptions": {"prepay": PREPAY[tape]},
        "simulation": {"integration": "sampled", "paths": paths, "horizon": horizon, "seed": SEED,
                       "chunk_paths": 64},
        "economy": {"mortgage_rate": 0.0625, "hpi": {"drift": 0.03, "volatility": 0.05}},
        "output": {"loans": True},  # per-loan outcome months: the live steps actually simulated
    })


def bench_loans(tape: str, n_loans: int):
    if tape == "agency":
        return make_loans(n_loans, HORIZON)
    return loans_from_table(npl_tape(n_loans), source="bench-npl")


@pytest.fixture(scope="module")
def tapes():
    cache = {}

    def get(tape: str, n_loans: int = N_LOANS):
        if (tape, n_loans) not in cache:
            cache[tape, n_loans] = bench_loans(tape, n_loans)
        return cache[tape, n_loans]

    return get


@pytest.fixture(scope="module", autouse=True)
def warm_kernel():
    """Compile (or load from the cache) the kernel on a tiny run: compile time is excluded."""
    run_state_model(bench_config("npl", 2, 24), bench_loans("npl", 20))


def live_steps(run) -> float:
    """Loan-month-path steps actually simulated: every loan-path runs until it
    prepays, matures or is sold, or to the horizon."""
    t = run.loans.to_pydict()
    steps = sum(np.nan_to_num(np.asarray(t[f"p_{k}"]) * np.asarray(t[f"month_{k}"], dtype=float)).sum()
                for k in ("prepaid", "matured", "liquidated"))
    steps += np.sum(t["p_unresolved"]) * run.summary["horizon"]
    return float(steps * run.summary["paths"])


def _peak_rss_mb() -> float:
    """Peak resident memory of this process so far (ru_maxrss, KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(fn, *args):
    """``fn(*args)`` timed with perf_counter; returns (wall seconds list, run)."""
    walls: list[float] = []

    def run():
        t0 = time.perf_counter()
        result = fn(*args)
        walls.append(time.perf_counter() - t0)
        return result

    return walls, run


# --------------------------------------------------------------------------
# the kernel, end to end


@pytest.mark.parametrize("threads", THREADS, ids=lambda t: f"{t}thr")
@pytest.mark.parametrize("tape", ["agency", "npl"])
def test_state_sampled(benchmark, tapes, set_threads, tape, threads):
    """run_state_model, sampled: 10,000 loans x N_PATHS paths x 360 months."""
    loans = tapes(tape)
    config = bench_config(tape, N_PATHS)
    used = set_threads(threads)
    steps = loans.n * N_PATHS * HORIZON
    benchmark.group = f"state sampled {loans.n:,} loans x {N_PATHS:,} paths x {HORIZON} months"
    walls, run = _timed(run_state_model, config, loans)
    rss0 = _peak_rss_mb()
    tracemalloc.start()  # traces NumPy/Python allocations only; no measurable cost here
    try:
        result = benchmark.pedantic(run, rounds=ROUNDS, iterations=1, warmup_rounds=0)
        traced_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    best = min(walls)
    _KERNEL_RATE[tape, used] = steps / best
    benchmark.extra_info.update(
        tape=tape,
        n_loans=loans.n,
        paths=N_PATHS,
        horizon_months=HORIZON,
        steps_nominal=steps,
        steps_per_s_best=steps / best,
        steps_per_s_median=steps / float(np.median(walls)),
        live_steps=live_steps(result),
        live_steps_per_s_best=live_steps(result) / best,
        target_steps_per_s=TARGET_STEPS_PER_S,
        numba_threads=used,
        numba_max_threads=numba.config.NUMBA_NUM_THREADS,
        threading_layer=numba.threading_layer(),
        cpu_count=os.cpu_count(),
        loadavg_1min=os.getloadavg()[0],
        tracemalloc_peak_mb=round(traced_peak / 2**20, 1),
        peak_rss_mb=round(_peak_rss_mb(), 1),  # of this (pytest) process, since it started
        peak_rss_increase_mb=round(_peak_rss_mb() - rss0, 1),  # 0 when an earlier test peaked higher
        p_prepaid=round(result.summary["p_prepaid"], 4),
        p_liquidated=round(result.summary["p_liquidated"], 4),
        p_unresolved=round(result.summary["p_unresolved"], 4),
    )
    assert result.summary["paths"] == N_PATHS and result.summary["horizon"] == HORIZON


# --------------------------------------------------------------------------
# the NumPy baseline


@pytest.mark.parametrize("tape", ["agency", "npl"])
def test_numpy_baseline(benchmark, tapes, tape):
    """The vectorised NumPy twin on 10,000 loans x 10 paths x 360 months."""
    loans = tapes(tape)
    inputs = ns.state_inputs(bench_config(tape, NUMPY_PATHS), loans)
    steps = loans.n * NUMPY_PATHS * HORIZON
    benchmark.group = f"state sampled, NumPy baseline {loans.n:,} loans x {NUMPY_PATHS} paths x {HORIZON} months"
    walls, run = _timed(ns.run_numpy, inputs)
    # no tracemalloc here: the twin allocates hundreds of temporaries a month and
    # tracing them doubles its time
    out, _ = benchmark.pedantic(run, rounds=1, iterations=1, warmup_rounds=0)
    rate = steps / min(walls)
    threads = numba.get_num_threads()
    kernel_rate = _KERNEL_RATE.get((tape, threads))
    if kernel_rate is None:  # this test alone: time the kernel once at the benchmark size
        big = bench_config(tape, N_PATHS)
        t0 = time.perf_counter()
        run_state_model(big, loans)
        kernel_rate = loans.n * N_PATHS * HORIZON / (time.perf_counter() - t0)
    kernel_out = ns.run_kernel(inputs).out  # not timed: the twin computed the same thing
    benchmark.extra_info.update(
        tape=tape,
        n_loans=loans.n,
        paths=NUMPY_PATHS,
        horizon_months=HORIZON,
        steps_nominal=steps,
        steps_per_s=rate,
        kernel_steps_per_s=kernel_rate,
        kernel_size=f"{loans.n} x {N_PATHS} x {HORIZON}",
        kernel_threads=threads,
        ratio_kernel_over_numpy=kernel_rate / rate,
        target_ratio=TARGET_RATIO,
        max_abs_diff_ticks_vs_kernel=int(np.abs(out - kernel_out).max()),
    )
    assert np.abs(out - kernel_out).max() <= 3 * loans.n


# --------------------------------------------------------------------------
# memory: loans + paths x months, not their product

# a fresh process: imports, a warm-up run, the tape; then the peak RSS is
# reset (/proc/self/clear_refs) and one run's extra peak is measured
_MEMORY = textwrap.dedent(
    """
    import json, sys, tracemalloc
    sys.path.insert(0, "bench")
    from bench_data import proc_status_mb as status, reset_peak_rss
    import test_bench_state as b
    from engine.runs.projection import run_state_model


    tape, n, paths = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    run_state_model(b.bench_config(tape, 2, 24), b.bench_loans(tape, 20))
    loans = b.bench_loans(tape, n)
    config = b.bench_config(tape, paths)
    reset = reset_peak_rss()  # VmHWM back to the current RSS
    before = status("VmRSS")
    hwm_before = status("VmHWM")
    tracemalloc.start()
    run_state_model(config, loans)
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    after = status("VmHWM")
    print(json.dumps({"rss_before_mb": before, "peak_rss_mb": after, "hwm_reset": reset,
                      "hwm_before_mb": hwm_before, "extra_peak_rss_mb": after - before,
                      "tracemalloc_peak_mb": traced / 2**20}))
    """
)

MEMORY_SIZES = [(1_000, 100), (10_000, 100), (1_000, 1_000)] + ([(10_000, 1_000)] if FULL else [])


def _memory_run(tape: str, n_loans: int, paths: int) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", _MEMORY, tape, str(n_loans), str(paths)],
        cwd=REPO, capture_output=True, text=True, timeout=1800,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_state_memory_sweep(benchmark):
    """Extra peak memory of one run (agency tape), fresh process per size.

    The time measured is the whole sweep (process starts included): not a
    throughput figure. Fitted model: extra = c + a x loans + b x paths x months;
    the product loans x paths x months would need 8 bytes per step for even one
    float64 per loan-month-path.
    """
    benchmark.group = "state sampled: memory sweep (time is not a throughput figure)"
    runs: dict[tuple[int, int], dict] = {}

    def sweep():
        for n, p in MEMORY_SIZES:
            runs[n, p] = _memory_run("agency", n, p)

    benchmark.pedantic(sweep, rounds=1, iterations=1, warmup_rounds=0)
    extra = {k: v["extra_peak_rss_mb"] for k, v in runs.items()}
    traced = {k: v["tracemalloc_peak_mb"] for k, v in runs.items()}
    per_loan_kb = (extra[10_000, 100] - extra[1_000, 100]) * 1024 / 9_000
    per_path_month_b = (extra[1_000, 1_000] - extra[1_000, 100]) * 2**20 / (900 * HORIZON)
    for (n, p), v in runs.items():
        tag = f"{n}x{p}"
        benchmark.extra_info[f"extra_peak_rss_mb_{tag}"] = round(v["extra_peak_rss_mb"], 1)
        benchmark.extra_info[f"tracemalloc_peak_mb_{tag}"] = round(v["tracemalloc_peak_mb"], 1)
        benchmark.extra_info[f"product_float64_mb_{tag}"] = round(8 * n * p * HORIZON / 2**20, 1)
    benchmark.extra_info.update(
        horizon_months=HORIZON,
        hwm_reset=all(v["hwm_reset"] for v in runs.values()),
        fitted_kb_per_loan=round(per_loan_kb, 3),
        fitted_bytes_per_path_month=round(per_path_month_b, 1),
    )
    # loans x 10 costs far less than 10x; paths x 10 grows by the per-path columns only
    product_step_mb = 8 * 9_000 * 100 * HORIZON / 2**20  # 8 bytes per added step
    assert extra[10_000, 100] - extra[1_000, 100] < 0.05 * product_step_mb
    assert traced[1_000, 1_000] < 0.05 * 8 * 1_000 * 1_000 * HORIZON / 2**20


# --------------------------------------------------------------------------
# cold start

_COLD = textwrap.dedent(
    """
    import json, sys, time
    t0 = time.perf_counter()
    sys.path.insert(0, "bench")
    import test_bench_state as b
    from engine.runs.projection import run_state_model
    config, loans = b.bench_config("npl", 2, 24), b.bench_loans("npl", 20)
    t1 = time.perf_counter()
    run_state_model(config, loans)
    t2 = time.perf_counter()
    run_state_model(config, loans)
    t3 = time.perf_counter()
    print(json.dumps({"import_s": t1 - t0, "first_run_s": t2 - t1, "second_run_s": t3 - t2}))
    """
)


@pytest.mark.parametrize("cache", [False, True], ids=["cache-off", "cache-on"])
def test_state_cold_start(benchmark, cache):
    """Import + first tiny state-model run in a fresh interpreter (Numba cache off: compile time)."""
    benchmark.group = "state sampled: cold start (fresh interpreter)"
    env = {**os.environ, "ENGINE_NUMBA_CACHE": "1" if cache else "0"}
    runs: list[dict] = []

    def start():
        proc = subprocess.run([sys.executable, "-c", _COLD], env=env, cwd=REPO, capture_output=True, text=True,
                              timeout=900)
        assert proc.returncode == 0, proc.stderr
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))

    benchmark.pedantic(start, rounds=1, iterations=1, warmup_rounds=0)
    benchmark.extra_info.update({k: round(v, 3) for k, v in runs[0].items()})
    benchmark.extra_info["numba_cache"] = cache
