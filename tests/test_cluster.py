"""Execution: the same bits whatever the task size, the backend or a worker's death.

Local runs are cut into tasks of every shape (loans x paths) and must give
the Parquet tables of the default run bit for bit; then the same runs on a
``dask.distributed`` ``LocalCluster`` of worker processes (2 workers; 1 and
3 in one test each), with a worker killed while tasks run, a task that
raises, and the error a user gets without the cluster extra.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import engine
from engine import api
from engine.errors import ConfigError, InputError
from engine.execution import InOrder, LocalExecutor, plan

REPO = Path(__file__).resolve().parents[1]
NPL = REPO / "configs" / "npl_pool.yaml"
POOL = REPO / "configs" / "pool.yaml"
OAS = REPO / "configs" / "pool_oas.yaml"

# small versions of the shipped configs, one per run kind that loops over tasks
RUNS = {
    "state_sampled": (NPL, ["analysis=projection", "simulation.paths=24", "output.loans=true"]),
    "state_expected": (
        NPL, [
            "analysis=projection", "simulation.paths=4", "simulation.integration=expected", "simulation.horizon=48",
            "output.loans=true",
        ]
    ),
    "pricing": (NPL, ["simulation.paths=24", "output.path_cashflows=true"]),
    "standard": (POOL, []),
    "oas": (OAS, ["simulation.paths=32", "valuation.key_rate_durations=false", "execution.task_paths=8"]),
    # key-rate durations and a scenario: on a cluster, their projections run side by side
    "oas_risk": (OAS, ["simulation.paths=4", "valuation.key_rate_durations=true", "scenarios=[rates_up_100]"]),
    "state_rate_paths": (
        NPL,
        [
            "analysis=valuation", "simulation.paths=8", "simulation.horizon=120", "valuation={price: 60}",
            "economy={curve: {flat: 0.04}, hpi: {drift: 0.02, volatility: 0.05}}", "assumptions.prepay={model: turnover_refi}",
        ],
    ),
}


def columns_bytes(table: pa.Table) -> dict[str, bytes]:
    """Each column's values as bytes (floats bit for bit, NaNs included)."""
    out = {}
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            out[name] = "\0".join(col.to_pylist()).encode()
        else:
            out[name] = col.to_numpy(zero_copy_only=False).tobytes()
    return out


def assert_same_tables(a: engine.RunResult, b: engine.RunResult) -> None:
    assert sorted(a.tables) == sorted(b.tables)
    for name in a.tables:
        assert a.tables[name].column_names == b.tables[name].column_names, name
        got, want = columns_bytes(b.tables[name]), columns_bytes(a.tables[name])
        for col in want:
            assert got[col] == want[col], f"{name}.{col} differs"


_baselines: dict[str, engine.RunResult] = {}


def baseline(kind: str) -> engine.RunResult:
    """The run as it executes by default (local, one task per chunk of paths)."""
    if kind not in _baselines:
        config, overrides = RUNS[kind]
        _baselines[kind] = engine.run(config, overrides)
    return _baselines[kind]


# --------------------------------------------------------------------------
# local: any task size


TASK_SHAPES = {
    "state_sampled": [["execution.task_loans=37", "execution.task_paths=5"], ["execution.task_loans=1"]],
    "state_expected": [["execution.task_loans=100", "execution.task_paths=1"]],
    "pricing": [["execution.task_loans=64", "execution.task_paths=7"]],
    "standard": [["execution.task_loans=1"], ["execution.task_loans=700"]],
    "oas": [["execution.task_paths=3"]],
    "state_rate_paths": [["execution.task_loans=90", "execution.task_paths=3"]],
}


@pytest.mark.parametrize(
    "kind,shape", [(kind, shape) for kind, shapes in TASK_SHAPES.items() for shape in shapes],
    ids=lambda x: x if isinstance(x, str) else ",".join(s.split(".")[-1] for s in x),
)
def test_any_task_size_gives_the_same_bits(kind, shape):
    config, overrides = RUNS[kind]
    assert_same_tables(baseline(kind), engine.run(config, [*overrides, *shape]))


def test_tasks_folded_in_any_order_give_the_same_bits():
    """An executor that hands results back in reverse order (as a cluster may)."""

    class Reversed(LocalExecutor):
        def map(self, fn, tasks):
            yield from reversed(list(super().map(fn, tasks)))

    for kind in ("state_sampled", "pricing", "standard", "oas"):
        config, overrides = RUNS[kind]
        shaped = [*overrides, "execution.task_loans=150", "execution.task_paths=6"]
        assert_same_tables(baseline(kind), engine.run(config, shaped, executor=Reversed()))


def _loans_in(obj) -> int:
    """Loans carried by a task argument (0 for anything else)."""
    from engine.kernels.standard import PoolLoans
    from engine.models.state import KernelInputs

    if isinstance(obj, KernelInputs):
        return len(obj.loans.balance)
    if isinstance(obj, PoolLoans):
        return len(obj.balance)
    return 0


@pytest.mark.parametrize("kind", ["state_sampled", "pricing", "standard"])
def test_a_task_carries_its_block_of_loans_never_the_tape(kind):
    """What a worker receives is bounded by the block (``execution.task_loans``)."""

    class Recording(LocalExecutor):
        most = 0

        def share(self, obj):
            Recording.most = max(Recording.most, _loans_in(obj))
            return obj

        def map(self, fn, tasks):
            for args in tasks:
                Recording.most = max(Recording.most, *map(_loans_in, args))
            return super().map(fn, tasks)

    config, overrides = RUNS[kind]
    n = baseline(kind).loans.n
    block = 100 if kind != "standard" else 200
    assert_same_tables(baseline(kind), engine.run(config, [*overrides, f"execution.task_loans={block}"],
                                                  executor=Recording()))
    # the standard model's tasks are runs of the tape's 64 fixed blocks (at least one block each)
    assert 0 < Recording.most <= max(block, -(-n // 64)) < n


def test_plan_covers_every_loan_and_path_once():
    p = plan(10, 7, 3, 2)
    cells = [(l, q) for l0, l1 in p.blocks() for q0, q1 in p.ranges() for l in range(l0, l1) for q in range(q0, q1)]
    assert sorted(cells) == [(l, q) for l in range(10) for q in range(7)]
    assert p.n_tasks == 4 * 4
    assert list(plan(5, 3, None, 64).blocks()) == [(0, 5)] and list(plan(5, 3, None, 64).ranges()) == [(0, 3)]


def test_in_order_folds_by_index_whatever_the_arrival():
    seen = []
    fold = InOrder(lambda i, x: seen.append((i, x)))
    for i in (2, 0, 3, 1, 4):
        fold.add(i, i * 10)
    assert seen == [(0, 0), (1, 10), (2, 20), (3, 30), (4, 40)]


def test_execution_keys_never_change_the_config_hash():
    a = api.load(NPL)[0].hash()
    b = api.load(NPL, ["execution.backend=dask", "execution.workers=3", "execution.task_loans=9"])[0].hash()
    assert a == b


@pytest.mark.parametrize(
    "override,message",
    [
        (["execution.workers=2"], "execution.workers: only with backend: dask"),
        (["execution.backend=dask"], "give exactly one of `address`"),
        (["execution.backend=dask", "execution.workers=2", "execution.address=tcp://x:1"], "exactly one of"),
        (["execution.task_paths=5000"], "execution.task_paths"),
        (["execution.backend=spark"], "execution.backend"),
    ],
)
def test_execution_mistakes_name_the_key(override, message):
    with pytest.raises(ConfigError, match=message.replace("`", ".")):
        api.load(NPL, override)


def test_without_the_cluster_extra_the_error_says_what_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(ConfigError, match=r"execution.backend: dask needs the dask\[distributed\] package.*cluster"):
        engine.run(NPL, ["simulation.paths=2", "execution.backend=dask", "execution.workers=1"])
    from engine.cli import main

    assert main(["run", str(NPL), "--cluster", "local:2", "--set", "simulation.paths=2", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install" in err and "Traceback" not in err


def test_a_local_run_never_imports_dask():
    import subprocess

    code = (
        "import sys, engine; engine.run(sys.argv[1], ['simulation.paths=2', 'simulation.horizon=12']); "
        "assert not [m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')], 'dask imported'"
    )
    subprocess.run([sys.executable, "-c", code, str(NPL)], check=True, cwd=REPO, timeout=300)


def test_cluster_flag_mistakes_are_one_line(capsys):
    from engine.cli import main

    for bad in ("local:0", "local:x", "local:"):
        assert main(["run", str(NPL), "--cluster", bad]) == 2
    err = capsys.readouterr().err
    assert err.count("expected local:N") == 3 and "Traceback" not in err


# --------------------------------------------------------------------------
# a Dask cluster of worker processes

distributed = pytest.importorskip("distributed")

from engine.execution.cluster import DaskExecutor  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes, one numba thread each (the CI machine has two cores)."""
    cl = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
        env={"NUMBA_NUM_THREADS": "1"}, silence_logs=50,
    )
    client = distributed.Client(cl)
    yield client
    client.close()
    cl.close()


@pytest.mark.parametrize("kind", ["state_sampled", "pricing", "oas", "oas_risk", "standard"])
def test_a_two_worker_cluster_gives_the_local_bits(cluster, kind):
    config, overrides = RUNS[kind]
    shaped = [*overrides, "execution.task_loans=150", "execution.task_paths=8"]
    result = engine.run(config, shaped, executor=DaskExecutor(cluster))
    assert_same_tables(baseline(kind), result)


def _raise_input_error(x):
    raise InputError(f"loans: loan 'L{x}' (row {x}): something the task found")


def test_a_task_that_raises_gives_the_same_error_as_locally(cluster):
    remote = DaskExecutor(cluster)
    with pytest.raises(InputError) as on_cluster:
        list(remote.map(_raise_input_error, [(7,)]))
    with pytest.raises(InputError) as here:
        list(LocalExecutor().map(_raise_input_error, [(7,)]))
    assert str(on_cluster.value) == str(here.value) == "loans: loan 'L7' (row 7): something the task found"


def test_a_worker_killed_mid_run_gives_the_same_bits(cluster):
    """SIGKILL one worker process as soon as the first task is back: Dask
    reruns its tasks (and rebuilds the blocks of loans it held) elsewhere."""

    class KillsAWorker(DaskExecutor):
        killed = 0

        def map(self, fn, tasks):
            results = super().map(fn, tasks)
            first = next(results)
            if not self.killed:
                pids = self.client.run(os.getpid)
                os.kill(sorted(pids.values())[0], signal.SIGKILL)
                type(self).killed += 1
            yield first
            yield from results

    config, overrides = RUNS["state_sampled"]
    shaped = [*overrides, "simulation.paths=48", "execution.task_loans=100", "execution.task_paths=4"]
    want = engine.run(config, shaped)
    got = engine.run(config, shaped, executor=KillsAWorker(cluster))
    assert KillsAWorker.killed == 1
    assert_same_tables(want, got)
    cluster.wait_for_workers(2, timeout=60)  # the nanny restarts it for the next tests


def test_the_cli_on_one_and_three_worker_clusters_writes_the_local_files(tmp_path):
    from engine.cli import main

    args = ["--set", "analysis=projection", "--set", "simulation.paths=12", "--set", "execution.task_loans=200"]
    assert main(["run", str(NPL), "--out", str(tmp_path / "local"), *args, "--quiet"]) == 0
    for n in (1, 3):
        out = tmp_path / f"local{n}"
        assert main(["run", str(NPL), "--out", str(out), "--cluster", f"local:{n}", *args, "--quiet"]) == 0
        for f in sorted((tmp_path / "local").glob("*.parquet")):
            want, got = pq.read_table(f), pq.read_table(out / f.name)
            assert columns_bytes(got) == columns_bytes(want), f"{n} workers: {f.name}"
            assert got.schema.metadata[b"engine.config_hash"] == want.schema.metadata[b"engine.config_hash"]


def _numba_threads():
    import numba

    return numba.get_num_threads()


def test_threads_per_worker_caps_each_task(cluster):
    import numba

    from engine.execution.cluster import _with_threads

    before = numba.get_num_threads()
    try:
        assert _with_threads(1, _numba_threads) == 1  # the wrapper every task runs in
    finally:
        numba.set_num_threads(before)
    got = [r for _, r in DaskExecutor(cluster, threads_per_worker=1).map(_numba_threads, [(), (), ()])]
    assert got == [1, 1, 1]


def test_an_unreachable_scheduler_is_one_line(capsys, monkeypatch):
    import engine.execution.cluster as cl

    monkeypatch.setattr(cl, "CONNECT_TIMEOUT", 2)
    from engine.cli import main

    for address in ("tcp://127.0.0.1:9", "junk", "foo://x:1", "tcp://"):
        code = main(["run", str(NPL), "--cluster", address, "--set", "simulation.paths=2", "--quiet"])
        err = capsys.readouterr().err
        assert code == 2 and err.startswith("error: ") and "execution.address" in err, (address, err)
        assert err.count("\n") == 1 and "Traceback" not in err, (address, err)


def test_arrays_arrive_read_only_and_are_still_folded():
    """Results deserialized from a cluster may be read-only arrays."""
    from engine.models.state import StateReducer, kernel_inputs, simulate_chunk

    cfg, loans = api.load(NPL, ["simulation.paths=4", "simulation.horizon=24"])
    ki = kernel_inputs(cfg, loans)
    part = simulate_chunk(ki, 0, 4)
    part.per_path.setflags(write=False)
    reducer = StateReducer(ki, 1)
    reducer.add(part)
    assert reducer.sums.done == 4 and np.isfinite(reducer.sums.mean).all()
