"""Benchmarks of the Dask backend (``execution.backend: dask``).

Run: ``python -m pytest bench/test_bench_cluster.py --benchmark-only -s``
(needs the cluster extra; see bench/README.md, "Cluster"). Plain ``pytest``
does not collect this folder.

- ``test_state_in_process_vs_cluster``: the state model (sampled) on 10,000
  NPL loans x ``paths`` x 360 months, in this process on every numba thread,
  then on a 2-worker ``LocalCluster`` (one numba thread per worker) on the
  same cores; the cluster is started beforehand and its start-up reported
  apart. ``paths`` is 1,000 with ``ENGINE_BENCH_FULL=1``, else 200. The two
  runs' tables are checked equal, bit for bit, outside the timing.
  ``extra_info``: both wall times, the overhead ``cluster / in-process - 1``,
  tasks, seconds per task, seconds per loan-path.
- ``test_scheduler_tiny_tasks``: 2,000 tasks that do nothing through
  :class:`engine.execution.cluster.DaskExecutor`: tasks per second the
  scheduler and the result stream sustain.
- ``test_standard_million_loans_memory``: the standard model on 1,000,000
  loans x 360 months on the cluster (64 tasks of 15,625 loans): the peak
  resident memory of each worker process against an idle worker's, and this
  process's tape. ``ENGINE_BENCH_BIG=0`` runs 100,000 loans instead.
- ``test_projection_to_100_workers``: no timing of its own; from the figures
  above, the projected wall time of 1,000,000 loans x 1,000 paths on 100
  workers (printed and kept in ``extra_info``).
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

import engine
from bench_data import ASSUMPTIONS, make_loans, proc_status_mb, reset_peak_rss  # bench/ is on sys.path
from engine.inputs.sample import npl_tape
from engine.inputs.tape import loans_from_table

distributed = pytest.importorskip("distributed")

from engine.execution.cluster import DaskExecutor  # noqa: E402

FULL = os.environ.get("ENGINE_BENCH_FULL", "") not in ("", "0", "false", "no")
BIG = os.environ.get("ENGINE_BENCH_BIG", "1") not in ("", "0", "false", "no")
N_LOANS = 10_000
N_PATHS = 1_000 if FULL else 200
HORIZON = 360
WORKERS = 2
SEED = 20261121
TARGET_OVERHEAD = 0.10

FIGURES: dict[str, float] = {}  # shared with the projection test


def state_config(paths: int) -> dict:
    return {
        "name": "bench-cluster-state",
        "model": "state",
        "loans": [{"loan_id": "unused", "balance": 1.0, "note_rate": 0.05, "remaining_term": 1}],
        "assumptions": {"prepay": {"model": "turnover", "base_cpr": 0.04, "refi_max_cpr": 0.10}},
        "simulation": {"integration": "sampled", "paths": paths, "horizon": HORIZON, "seed": SEED, "chunk_paths": 64},
        "economy": {"mortgage_rate": 0.0625, "hpi": {"drift": 0.03, "volatility": 0.05}},
    }


def _rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of the calling process [MB]."""
    return proc_status_mb("VmRSS"), proc_status_mb("VmHWM")


@pytest.fixture(scope="module")
def client():
    t0 = time.perf_counter()
    cluster = distributed.LocalCluster(
        n_workers=WORKERS, threads_per_worker=1, processes=True, dashboard_address=":0",
        env={"NUMBA_NUM_THREADS": "1"}, silence_logs=50,
    )
    c = distributed.Client(cluster)
    FIGURES["cluster_start_s"] = time.perf_counter() - t0
    # every worker loads the kernels once (from the on-disk cache), as a first run would
    tiny = loans_from_table(npl_tape(50), source="bench")
    engine.run(state_config(4), ["execution.task_loans=10"], loans=tiny, executor=DaskExecutor(c))
    yield c
    c.close()
    cluster.close()


def test_state_in_process_vs_cluster(benchmark, client):
    loans = loans_from_table(npl_tape(N_LOANS), source="bench-npl")
    config = state_config(N_PATHS)
    engine.run(state_config(4), loans=loans_from_table(npl_tape(50), source="bench"))  # kernels loaded here too

    t0 = time.perf_counter()
    local = engine.run(config, loans=loans)
    local_s = time.perf_counter() - t0
    executor = DaskExecutor(client)
    walls = []

    def on_cluster():
        t = time.perf_counter()
        result = engine.run(config, loans=loans, executor=executor)
        walls.append(time.perf_counter() - t)
        return result

    remote = benchmark.pedantic(on_cluster, rounds=1, iterations=1)
    for name, table in local.tables.items():
        for col in table.column_names:
            a, b = table.column(col).to_numpy(zero_copy_only=False), remote.tables[name].column(col).to_numpy(zero_copy_only=False)
            assert a.tobytes() == b.tobytes() if a.dtype.kind == "f" else list(a) == list(b), f"{name}.{col}"
    n_tasks = -(-N_PATHS // 64)  # one block of loans (under 20,000) x ranges of 64 paths
    cluster_s = walls[0]
    overhead = cluster_s / local_s - 1.0
    FIGURES.update(
        state_local_s=local_s, state_cluster_s=cluster_s, state_tasks=n_tasks,
        s_per_loan_path_thread=cluster_s * WORKERS / (N_LOANS * N_PATHS),
    )
    benchmark.extra_info.update(
        loans=N_LOANS, paths=N_PATHS, months=HORIZON, workers=WORKERS,
        in_process_s=round(local_s, 2), cluster_s=round(cluster_s, 2), overhead=round(overhead, 4),
        cluster_start_s=round(FIGURES["cluster_start_s"], 2), tasks=n_tasks,
        s_per_task=round(cluster_s * WORKERS / n_tasks, 3), target_overhead=TARGET_OVERHEAD,
    )
    print(f"\nstate {N_LOANS} x {N_PATHS} x {HORIZON}: in-process {local_s:.1f} s, 2-worker cluster "
          f"{cluster_s:.1f} s, overhead {overhead:+.1%} (target <= {TARGET_OVERHEAD:.0%}); "
          f"cluster start {FIGURES['cluster_start_s']:.1f} s")


def _nothing(i):
    return i


def test_scheduler_tiny_tasks(benchmark, client):
    executor = DaskExecutor(client)
    n = 2_000

    def run():
        got = sum(1 for _ in executor.map(_nothing, [(i,) for i in range(n)]))
        assert got == n

    benchmark.pedantic(run, rounds=3, iterations=1)
    rate = n / benchmark.stats.stats.min
    FIGURES["tasks_per_s"] = rate
    benchmark.extra_info.update(tasks=n, tasks_per_s_best=round(rate))
    print(f"\n{n} tiny tasks: {rate:,.0f} tasks/s (best of 3)")


def _worker_rss():
    return _rss_mb()


def _reset_peak():
    """Runs on a worker: its peak back to its current RSS, then (current, peak)."""
    reset_peak_rss()
    return _rss_mb()


def test_standard_million_loans_memory(benchmark, client):
    n = 1_000_000 if BIG else 100_000
    loans = make_loans(n, HORIZON)
    config = {
        "name": "bench-cluster-standard",
        "model": "standard",
        "loans": [{"loan_id": "unused", "balance": 1.0, "note_rate": 0.05, "remaining_term": 1}],
        "assumptions": ASSUMPTIONS,
        "execution": {"task_loans": 15_625},
    }
    executor = DaskExecutor(client)
    idle = client.run(_reset_peak)
    here_before = _rss_mb()[0]
    result = benchmark.pedantic(lambda: engine.run(config, loans=loans, executor=executor), rounds=1, iterations=1)
    after = client.run(_worker_rss)
    local = engine.run(config, loans=loans)
    assert result.cashflows.equals(local.cashflows)
    tape_mb = sum(np.asarray(getattr(loans, f)).nbytes for f in ("balance", "note_rate", "servicing_fee",
                                                                 "remaining_term", "age")) / 2**20
    peaks = {w: round(after[w][1], 1) for w in after}
    idles = {w: round(idle[w][0], 1) for w in idle}
    FIGURES["standard_peak_worker_mb"] = max(peaks.values())
    benchmark.extra_info.update(
        loans=n, tasks=64, worker_idle_rss_mb=idles, worker_peak_rss_mb=peaks,
        kernel_inputs_of_the_tape_mb=round(tape_mb, 1), client_rss_before_mb=round(here_before, 1),
    )
    print(f"\nstandard {n:,} loans on {WORKERS} workers: worker peak RSS {peaks} MB (idle {idles} MB); "
          f"the tape's kernel inputs alone are {tape_mb:.0f} MB")


def test_projection_to_100_workers(benchmark):
    """1,000,000 loans x 1,000 paths x 360 months on 100 workers (one thread each)."""
    if "s_per_loan_path_thread" not in FIGURES or "tasks_per_s" not in FIGURES:
        pytest.skip("needs the two measurements above in the same session")
    loans, paths, workers = 1_000_000, 1_000, 100
    blocks, ranges = -(-loans // 20_000), -(-paths // 64)
    tasks = blocks * ranges
    compute = loans * paths * FIGURES["s_per_loan_path_thread"] / workers
    scheduling = tasks / FIGURES["tasks_per_s"]
    fold = tasks * _fold_seconds_per_part(blocks)  # on the client, while the workers compute
    # each task returns (64 paths x 361 months x 35 columns) + (20,000 loans x 17) int64
    result_mb = (64 * 361 * 35 + 20_000 * 17) * 8 / 2**20
    total = compute + scheduling
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    benchmark.extra_info.update(
        tasks=tasks, compute_s=round(compute, 1), scheduling_s=round(scheduling, 2), client_fold_s=round(fold, 1),
        result_mb_per_task=round(result_mb, 1), result_gb_total=round(tasks * result_mb / 1024, 1),
        projected_wall_s=round(total, 1),
    )
    print(f"\nprojection, 1,000,000 loans x 1,000 paths on 100 workers: {tasks} tasks, compute "
          f"{compute:.0f} s + scheduling {scheduling:.1f} s = {total:.0f} s; the client folds the "
          f"{tasks * result_mb / 1024:.1f} GB of partial sums in {fold:.0f} s meanwhile")


def _fold_seconds_per_part(blocks: int) -> float:
    """The client's cost to fold one state-model part of 20,000 loans x 64
    paths x 361 months into a 1,000,000-loan run (measured on synthetic ticks)."""
    from engine.kernels import state as ks
    from engine.models.state import ExactSum, StatePart, StateReducer, StateSums

    reducer = StateReducer.__new__(StateReducer)
    reducer.ki = type("Tape", (), {"start_current_ticks": 0})()
    reducer._blocks, reducer._pending = blocks, {}
    reducer.sums = StateSums(
        1000, 360, ExactSum((361, ks.N_S)), {n: np.empty((1000, 360)) for n in (
            "total_cash_flow", "total_principal", "interest", "net_loss", "liquidations", "performing_balance")},
        np.empty((1000, 360, 5)), ExactSum((1_000_000, ks.N_O)), np.ones(1_000_000),
    )
    rng = np.random.default_rng(0)
    parts = [StatePart(b * 20_000, 0, rng.integers(0, 2**40, size=(64, 361, ks.N_S)),
                       rng.integers(0, 2**45, size=(20_000, ks.N_O))) for b in range(blocks)]
    t0 = time.perf_counter()
    for part in parts:
        reducer.add(part)
    return (time.perf_counter() - t0) / blocks
