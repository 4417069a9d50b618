"""The Dask backend: a run's tasks on a ``dask.distributed`` cluster.

``execution: {backend: dask, address: tcp://host:8786}`` connects to a
running scheduler; ``{backend: dask, workers: 4}`` starts a
``LocalCluster`` of 4 worker processes on this machine for the run. The
command line's ``--cluster ADDRESS`` / ``--cluster local:N`` say the same.

- Inputs many tasks read (a block of loans resolved for the kernel) are
  submitted once as a task of their own (:meth:`DaskExecutor.share`), so
  each lives on the workers that use it and, if a worker dies, the
  scheduler can rebuild it: tasks are pure, so Dask reruns a dead worker's
  tasks and the result is the same.
- Results are handed back as tasks finish and released at once; the runs
  reduce them exactly (:mod:`engine.execution`).
- A task that raises an input error (:class:`engine.errors.InputError`)
  raises the same error here, with the same one-line message as a local run.

``dask[distributed]`` is an optional extra (``pip install
"mortgage-engine[cluster]"``), imported only when a run asks for it.
"""

from __future__ import annotations

import logging
import os
import uuid
import warnings
from typing import Any, Callable, Iterator, Sequence

from ..errors import ConfigError

INSTALL_HINT = 'pip install "mortgage-engine[cluster]" (or, in a checkout, pip install ".[cluster]")'

# seconds to wait for a scheduler, and for a local cluster's workers
CONNECT_TIMEOUT = 30


def _distributed():
    try:
        import distributed
    except ImportError:
        raise ConfigError(
            f"execution.backend: dask needs the dask[distributed] package, which is not installed: {INSTALL_HINT}"
        ) from None
    return distributed


def _identity(x: Any) -> Any:
    return x


def _with_threads(threads: int, fn: Callable[..., Any], *args: Any) -> Any:
    """Runs on a worker: ``fn(*args)`` on at most ``threads`` numba threads
    (numba's thread count is per calling thread, so it is set in the task)."""
    import numba

    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    return fn(*args)


class DaskExecutor:
    """Tasks on a Dask cluster (module docstring).

    ``DaskExecutor(client)`` wraps a ``distributed.Client`` you started (it
    is not closed by the run); ``threads_per_worker`` caps the numba threads
    each task uses on its worker.
    """

    name = "dask"
    unit = "tasks"

    def __init__(self, client, cluster=None, threads_per_worker: int | None = None):
        self.client = client
        self._cluster = cluster
        self._threads = threads_per_worker
        self._run = uuid.uuid4().hex[:8]

    @classmethod
    def from_config(cls, execution) -> "DaskExecutor":
        """Connect to ``execution.address`` or start a local cluster of
        ``execution.workers`` processes."""
        distributed = _distributed()
        if execution.address is not None:
            try:
                client = distributed.Client(execution.address, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError, ValueError) as e:  # ValueError: not an address (no port, bad scheme)
                raise ConfigError(
                    f"execution.address: cannot reach a Dask scheduler at {execution.address!r}: {e}"
                ) from None
            return cls(client, threads_per_worker=execution.threads_per_worker)
        n = execution.workers
        threads = execution.threads_per_worker or max(1, (os.cpu_count() or 1) // n)
        cluster = distributed.LocalCluster(
            n_workers=n,
            threads_per_worker=1,  # one task at a time per worker; numba threads inside it
            processes=True,
            dashboard_address=":0",  # a free port: never clashes with another cluster
            silence_logs=logging.ERROR,
            env={"NUMBA_NUM_THREADS": str(threads)},
        )
        client = distributed.Client(cluster, timeout=CONNECT_TIMEOUT)
        return cls(client, cluster, threads_per_worker=execution.threads_per_worker)

    def share(self, obj: Any) -> Any:
        with warnings.catch_warnings():
            # a block of loans is meant to travel once, inside its own task
            warnings.filterwarnings("ignore", message=".*[Ll]arge (object|graph).*")
            return self.client.submit(_identity, obj, pure=False, key=f"engine-shared-{self._run}-{uuid.uuid4().hex}")

    @property
    def slots(self) -> int:
        """Tasks the cluster runs at once (worker threads)."""
        return max(1, sum(self.client.nthreads().values()))

    def map(self, fn: Callable[..., Any], tasks: Sequence[tuple]) -> Iterator[tuple[int, Any]]:
        distributed = _distributed()
        name = getattr(fn, "__name__", "task")
        batch = f"engine-{name}-{self._run}-{uuid.uuid4().hex[:8]}"
        keys = [f"{batch}-{i}" for i in range(len(tasks))]
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*[Ll]arge (object|graph).*")
            if self._threads is not None:
                tasks = [(self._threads, fn, *args) for args in tasks]
                fn = _with_threads
            futures = self.client.map(fn, *zip(*tasks), key=keys, pure=False) if tasks else []
        index = {key: i for i, key in enumerate(keys)}
        pending = {f.key: f for f in futures}
        try:
            # results fetched in batches as tasks finish; a task's exception is re-raised here, as its own type
            for future, result in distributed.as_completed(futures, with_results=True):
                pending.pop(future.key, None)
                future.release()
                yield index[future.key], result
        finally:
            if pending:
                self.client.cancel(list(pending.values()))

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


__all__ = ["DaskExecutor", "INSTALL_HINT"]
