"""Benchmarks of the valuation on interest-rate paths (analysis kind ``valuation``).

Run: ``pytest bench/test_bench_oas.py --benchmark-only`` (see bench/README.md).

- ``test_oas_10k``: the OAS of a 10,000-loan pool on 512 Hull-White paths
  (antithetic) under the ``turnover_refi`` model, standard cash-flow model,
  with the two shifted runs for effective duration and convexity: three
  market simulations, three projections on every path, the OAS solve and
  the two prices at the OAS. A *step* is one loan on one path for one month
  of its remaining term, times 3 runs. In the same test the standard kernel
  (``project_cashflows``, 150% PSA / 100% SDA) is timed on the same loans:
  ``ratio`` = steps/s / its loan-months/s (the machine cancels out).
  Compilation is excluded (one warm-up round).
- ``test_oas_convergence`` (``ENGINE_BENCH_CONVERGENCE=1``): OAS and its
  standard error for ``configs/pool_oas.yaml`` at 64 .. 4,096 paths, plain
  Monte Carlo vs antithetic vs Sobol; also ``python bench/test_bench_oas.py``
  prints the table.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numba
import numpy as np
import pytest

from engine.analytics.valuation import option_adjusted
from engine.config import Assumptions, load_config
from engine.inputs.sample import agency_tape
from engine.inputs.tape import Loans, loans_from_table
from engine.models.standard import project_cashflows
from engine.runs.valuation import Valuator

from bench_data import ASSUMPTIONS, make_loans  # bench/ is on sys.path (no __init__.py)

REPO = Path(__file__).resolve().parents[1]
N_LOANS = 10_000
PATHS = 512
ROUNDS = int(os.environ.get("ENGINE_BENCH_ROUNDS", "3"))
TARGET_RATIO = 0.7  # steps/s over the standard kernel's loan-months/s
TARGET_SECONDS = 30.0

REFI = {"model": "turnover_refi", "base_cpr": 0.06, "ramp_months": 30, "refi_max_cpr": 0.40,
        "refi_midpoint": 0.0075, "refi_slope": 0.0025, "burnout": 2.0}


def bench_loans(tape: str, n_loans: int = N_LOANS) -> Loans:
    """``new``: the standard benchmark's tape (every loan 360 months, age 0);
    ``seasoned``: the agency sample generator as it is (ages 0-179)."""
    if tape == "new":
        return make_loans(n_loans, 360)
    return loans_from_table(agency_tape(n_loans, seed=20261121), source="bench")


def bench_config(paths: int = PATHS, **simulation) -> dict:
    """pool_oas.yaml's economy and valuation with the benchmark's speeds; the
    loans are passed to the Valuator directly."""
    cfg = load_config(REPO / "configs" / "pool_oas.yaml").to_dict()
    cfg.pop("tape")
    cfg["loans"] = [{"loan_id": "x", "balance": 1.0, "note_rate": 0.05, "remaining_term": 360}]
    cfg["assumptions"] = {**ASSUMPTIONS, "prepay": REFI}
    cfg["simulation"].update({"paths": paths, "antithetic": True, "sobol": False, **simulation})
    return cfg


def oas_with_durations(v: Valuator, price: float = 100.0):
    """Base projection, OAS, and the two shifted runs at the OAS."""
    base = v.project()
    m = option_adjusted(base.flows.cash, base.market.discount, v.times[1:], base.market.groups, v.face, price=price)
    duration, convexity = v.durations(m.oas, m.model_price)
    return m, duration, convexity


def standard_kernel_times(loans: Loans, calls: int) -> tuple[float, float]:
    """Wall and CPU seconds of ``calls`` standard-kernel projections of ``loans``."""
    a = Assumptions.model_validate(ASSUMPTIONS)
    project_cashflows(loans, a)
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        project_cashflows(loans, a)
    return time.perf_counter() - wall, time.process_time() - cpu


_MEMORY = textwrap.dedent(
    """
    import json, sys, tracemalloc
    sys.path.insert(0, "bench")
    from bench_data import proc_status_mb as status, reset_peak_rss
    import test_bench_oas as b
    from engine.config import load_config
    from engine.runs.valuation import Valuator


    tape = sys.argv[1]
    cfg = load_config(b.bench_config())
    b.oas_with_durations(Valuator(load_config(b.bench_config(8)), b.bench_loans(tape, 20)))  # warm-up
    v = Valuator(cfg, b.bench_loans(tape))
    reset = reset_peak_rss()  # VmHWM back to the current RSS
    before = status("VmRSS")
    tracemalloc.start()
    b.oas_with_durations(v)
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(json.dumps({"rss_before_mb": before, "peak_rss_mb": status("VmHWM"), "hwm_reset": reset,
                      "extra_peak_rss_mb": status("VmHWM") - before, "tracemalloc_peak_mb": traced / 2**20}))
    """
)


# standard-kernel projections timed before each OAS round (about 10 s of work
# on 2 free cores), so that both figures see the same machine load
STANDARD_CALLS = 200


@pytest.mark.parametrize("tape", ["new", "seasoned"])
def test_oas_10k(benchmark, tape):
    """OAS + effective duration/convexity of 10,000 loans on 512 paths.

    Before each round (untimed, ``setup``) the standard kernel projects the
    same loans STANDARD_CALLS times; the ratio compares the best round of
    each. CPU seconds (``time.process_time``, both threads) give a second
    ratio that a busy machine disturbs less."""
    loans = bench_loans(tape)
    v = Valuator(load_config(bench_config()), loans)
    benchmark.group = "OAS 10,000 loans x 512 paths, base + 2 shifted runs"
    standard, oas_cpu, result = [], [], []

    def setup():
        standard.append(standard_kernel_times(loans, STANDARD_CALLS))

    def oas_run():
        cpu = time.process_time()
        result.append(oas_with_durations(v))
        oas_cpu.append(time.process_time() - cpu)

    load_before = os.getloadavg()
    benchmark.pedantic(oas_run, setup=setup, rounds=ROUNDS, iterations=1, warmup_rounds=1)
    load_after = os.getloadavg()
    m, duration, convexity = result[-1]
    seconds = benchmark.stats.stats.min
    loan_months = float(loans.remaining_term.sum())
    steps = loan_months * PATHS * 3
    std_wall = min(w for w, _ in standard) / STANDARD_CALLS
    std_cpu = min(c for _, c in standard) / STANDARD_CALLS
    proc = subprocess.run([sys.executable, "-c", _MEMORY, tape], cwd=REPO, capture_output=True, text=True,
                          timeout=1800)
    assert proc.returncode == 0, proc.stderr
    memory = json.loads(proc.stdout.strip().splitlines()[-1])
    benchmark.extra_info.update(
        tape=tape,
        n_loans=loans.n,
        paths=PATHS,
        prepay_keys=len(v.project_flows.inputs.key_age),
        numba_threads=numba.get_num_threads(),
        load_average_before_after=[round(load_before[0], 2), round(load_after[0], 2)],
        seconds_best=round(seconds, 3),
        seconds_median=round(benchmark.stats.stats.median, 3),
        steps=steps,
        steps_per_s=steps / seconds,
        standard_loan_months_per_s=loan_months / std_wall,
        ratio=steps / seconds / (loan_months / std_wall),
        cpu_seconds_best=round(min(oas_cpu), 3),
        steps_per_cpu_s=steps / min(oas_cpu),
        standard_loan_months_per_cpu_s=loan_months / std_cpu,
        ratio_cpu=steps / min(oas_cpu) / (loan_months / std_cpu),
        target_ratio=TARGET_RATIO,
        target_seconds=TARGET_SECONDS,
        oas_bp=1e4 * m.oas,
        oas_std_error_bp=1e4 * m.oas_std_error,
        effective_duration=duration,
        effective_convexity=convexity,
        **{k: round(x, 1) if isinstance(x, float) else x for k, x in memory.items()},
    )
    assert np.isfinite(m.oas)


# --------------------------------------------------------------------------
# convergence

CONVERGENCE = os.environ.get("ENGINE_BENCH_CONVERGENCE", "") not in ("", "0", "false", "no")
PATH_COUNTS = (64, 128, 256, 512, 1024, 2048, 4096)
METHODS = {"plain": {}, "antithetic": {"antithetic": True}, "sobol": {"sobol": True}}


def convergence_rows(path_counts=PATH_COUNTS, methods=METHODS) -> list[dict]:
    """OAS (price 100) of configs/pool_oas.yaml by path count and sampling method."""
    base = load_config(REPO / "configs" / "pool_oas.yaml")
    from engine.api import load_loans

    loans = load_loans(base)
    rows = []
    for method, options in methods.items():
        for n in path_counts:
            d = base.to_dict()
            d["simulation"].update({"paths": n, "antithetic": False, "sobol": False, **options})
            v = Valuator(load_config(d), loans)
            t0 = time.perf_counter()
            base_run = v.project()
            m = option_adjusted(base_run.flows.cash, base_run.market.discount, v.times[1:],
                                base_run.market.groups, v.face, price=base.valuation.price)
            rows.append({"method": method, "paths": n, "oas_bp": 1e4 * m.oas,
                         "oas_std_error_bp": 1e4 * m.oas_std_error, "seconds": time.perf_counter() - t0})
    return rows


def markdown(rows: list[dict]) -> str:
    lines = ["| paths | " + " | ".join(f"{k} OAS (bp) | {k} SE (bp) | {k} s" for k in METHODS) + " |",
             "|---" * (1 + 3 * len(METHODS)) + "|"]
    for n in sorted({r["paths"] for r in rows}):
        cells = []
        for method in METHODS:
            r = next(r for r in rows if r["paths"] == n and r["method"] == method)
            cells += [f"{r['oas_bp']:.2f}", f"{r['oas_std_error_bp']:.2f}", f"{r['seconds']:.1f}"]
        lines.append(f"| {n:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


@pytest.mark.skipif(not CONVERGENCE, reason="set ENGINE_BENCH_CONVERGENCE=1 (several minutes)")
def test_oas_convergence(benchmark):
    benchmark.group = "OAS convergence, configs/pool_oas.yaml"
    rows = benchmark.pedantic(convergence_rows, rounds=1, iterations=1)
    benchmark.extra_info["rows"] = rows
    print("\n" + markdown(rows))


if __name__ == "__main__":  # python bench/test_bench_oas.py: the convergence table
    table = convergence_rows()
    print(json.dumps(table, indent=1))
    print(markdown(table))
