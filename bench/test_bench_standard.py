"""Benchmarks of the standard (SIFMA SF C.3) engine.

Run: ``pytest bench/ --benchmark-only`` (see bench/README.md). Plain ``pytest``
from the repository root does not collect this folder (``testpaths = ["tests"]``).

Every timed call is :func:`engine.project_cashflows` on already-validated
loans and assumptions: rate tables, the parallel kernel over all loans and
months, and the reduction into pool columns. Compilation is excluded (one
warm-up round before timing); the cold-start figure is measured separately
in a fresh interpreter with the Numba cache off.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import tracemalloc
from pathlib import Path

import numba
import pytest

from engine.models.standard import project_cashflows

from bench_data import ASSUMPTIONS, BIG, THREADS  # bench/ is on sys.path (no __init__.py)

REPO = Path(__file__).resolve().parents[1]
TARGET_LOAN_MONTHS_PER_S = 100e6  # on 2 cores

SIZES = [
    pytest.param(10_000, 30, id="10k"),
    pytest.param(100_000, 10, id="100k"),
    pytest.param(1_000_000, 3, id="1M", marks=pytest.mark.skipif(not BIG, reason="set ENGINE_BENCH_BIG=1")),
]


def record_rate(benchmark, loan_months: int) -> None:
    stats = benchmark.stats.stats
    benchmark.extra_info["loan_months"] = loan_months
    benchmark.extra_info["loan_months_per_s_best"] = loan_months / stats.min
    benchmark.extra_info["loan_months_per_s_median"] = loan_months / stats.median
    benchmark.extra_info["target_loan_months_per_s"] = TARGET_LOAN_MONTHS_PER_S


@pytest.mark.parametrize("threads", THREADS, ids=lambda t: f"{t}thr")
@pytest.mark.parametrize("n_loans, rounds", SIZES)
def test_project_pool(benchmark, loans_for, assumptions, set_threads, n_loans, rounds, threads):
    """n loans x 360 months, 150% PSA / 100% SDA / 20% severity / lag 12 / advancing."""
    loans = loans_for(n_loans, 360)
    used = set_threads(threads)
    benchmark.group = f"project {n_loans:,} loans x 360 months"
    benchmark.extra_info.update(
        n_loans=n_loans,
        months=360,
        numba_threads=used,
        numba_max_threads=numba.config.NUMBA_NUM_THREADS,
        cpu_count=os.cpu_count(),
        assumptions=json.dumps(ASSUMPTIONS, sort_keys=True),
    )
    cf = benchmark.pedantic(project_cashflows, args=(loans, assumptions), rounds=rounds, iterations=1, warmup_rounds=1)
    benchmark.extra_info["threading_layer"] = numba.threading_layer()
    record_rate(benchmark, n_loans * 360)
    # a sanity check that the work was done, not a performance assertion
    assert cf.n_months == 360 and cf.performing_balance[-1] < 1e-6 * cf.starting_balance


# prepended to the subprocess snippets: peak resident memory of *this* process
# image. VmHWM is per process image; ru_maxrss survives fork + exec on Linux and
# would report the parent's (pytest's) peak instead.
_PEAK_RSS = textwrap.dedent(
    """
    import resource

    def peak_rss_mb():
        try:
            with open("/proc/self/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    """
)


# --------------------------------------------------------------------------
# cold start: a fresh interpreter, Numba cache off, import + first call

_COLD = _PEAK_RSS + textwrap.dedent(
    """
    import json, time
    t0 = time.perf_counter()
    import engine
    t1 = time.perf_counter()
    engine.project_cashflows(
        [{"loan_id": "a", "balance": 1e5, "note_rate": 0.06, "remaining_term": 360}], %r
    )
    t2 = time.perf_counter()
    engine.project_cashflows(
        [{"loan_id": "b", "balance": 2e5, "note_rate": 0.05, "remaining_term": 300}], %r
    )
    t3 = time.perf_counter()
    print(json.dumps({"import_s": t1 - t0, "first_call_s": t2 - t1, "second_call_s": t3 - t2,
                      "peak_rss_mb": peak_rss_mb()}))
    """
) % (ASSUMPTIONS, ASSUMPTIONS)


def _start_interpreter(cache: bool) -> dict:
    env = {**os.environ, "ENGINE_NUMBA_CACHE": "1" if cache else "0"}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _COLD], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    wall = time.perf_counter() - t0
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    info["process_wall_s"] = wall
    return info


@pytest.mark.parametrize("cache", [False, True], ids=["cache-off", "cache-on"])
def test_cold_start(benchmark, cache):
    """Wall time of ``python -c 'import engine; engine.project_cashflows(...)'``.

    cache-off compiles every kernel (ENGINE_NUMBA_CACHE=0); cache-on loads them
    from engine/kernels/__pycache__ (written by any earlier run)."""
    benchmark.group = "cold start (fresh interpreter)"
    runs: list[dict] = []
    benchmark.pedantic(lambda: runs.append(_start_interpreter(cache)), rounds=3, iterations=1)
    best = min(runs, key=lambda r: r["process_wall_s"])
    benchmark.extra_info.update({f"best_{k}": round(v, 4) for k, v in best.items()})
    benchmark.extra_info["numba_cache"] = cache


# --------------------------------------------------------------------------
# memory: recorded, not asserted


_RSS = _PEAK_RSS + textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, "bench")
    from bench_data import make_loans
    from engine.models.standard import project_cashflows
    from engine.config import Assumptions
    n, months = int(sys.argv[1]), int(sys.argv[2])
    a = Assumptions.model_validate(%r)
    project_cashflows(make_loans(10, months), a)
    warm = peak_rss_mb()
    loans = make_loans(n, months)
    after_tape = peak_rss_mb()
    project_cashflows(loans, a)
    end = peak_rss_mb()
    print(json.dumps({"peak_rss_warm_mb": warm, "peak_rss_after_tape_mb": after_tape,
                      "peak_rss_end_mb": end, "projection_rss_increase_mb": end - after_tape}))
    """
) % (ASSUMPTIONS,)


@pytest.mark.parametrize(
    "n_loans, months",
    [(10_000, 360), (100_000, 360), (100_000, 180)],
    ids=["10k-360m", "100k-360m", "100k-180m"],
)
def test_memory(benchmark, loans_for, assumptions, n_loans, months):
    """Peak memory of one projection; figures in extra_info, nothing asserted.

    - ``tracemalloc_peak_mb``: Python/NumPy allocations during the call (the
      validated loans already exist; Numba's own small scratch buffers are not
      traced);
    - ``peak_rss_*_mb``: a fresh process's peak resident size (VmHWM) after
      imports and a warm-up call, after building and validating the tape, and
      after the projection; ``projection_rss_increase_mb`` is the last step.
    - ``loans_nbytes_mb``: the validated loan arrays (object columns count
      their pointers only).
    """
    loans = loans_for(n_loans, months)
    benchmark.group = "memory"
    benchmark.pedantic(project_cashflows, args=(loans, assumptions), rounds=3, iterations=1, warmup_rounds=1)
    tracemalloc.start()
    try:
        project_cashflows(loans, assumptions)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    loans_mb = sum(getattr(loans, f).nbytes for f in loans.__dataclass_fields__) / 2**20
    proc = subprocess.run(
        [sys.executable, "-c", _RSS, str(n_loans), str(months)], cwd=REPO, capture_output=True, text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    benchmark.extra_info.update(
        n_loans=n_loans,
        months=months,
        tracemalloc_peak_mb=round(peak / 2**20, 3),
        loans_nbytes_mb=round(loans_mb, 2),
        **{k: round(v, 1) for k, v in json.loads(proc.stdout.strip().splitlines()[-1]).items()},
    )
