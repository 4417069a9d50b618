"""Where a run's tasks execute: in this process, or on a Dask cluster.

Every analysis kind that loops over loans and paths cuts its work into
**tasks**: a pure function of (resolved inputs of one block of loans, a
range of paths) that returns partial sums. An :class:`Executor` runs them:

- :class:`LocalExecutor` (``execution.backend: local``, the default) calls
  them one after the other in this process; each task spreads its loans over
  the numba thread pool.
- :class:`engine.execution.cluster.DaskExecutor` (``backend: dask``) submits
  them to a ``dask.distributed`` cluster and hands results back as they
  finish.

The partial sums are exact (int64 ticks) or land in their own slots, or are
folded in a fixed order (:class:`InOrder`), so a run gives the same bits on
either backend, whatever the task size or the order tasks finish in.

An executor has two operations::

    handle = executor.share(obj)          # inputs many tasks read (a block of loans)
    for i, result in executor.map(fn, tasks):   # tasks: tuples of arguments, handles allowed
        ...                                     # i: the task's index; any order
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator, Protocol, Sequence

import numpy as np

# the most paths one task runs: its per-loan outcome ticks stay far from int64 overflow
MAX_TASK_PATHS = 4096


class Executor(Protocol):
    """Runs tasks: pure functions of their arguments."""

    name: str
    unit: str  # what ``progress(done, total)`` counts for a multi-task run: "paths" or "tasks"
    slots: int  # tasks run at once (1: one after the other; the task spreads over the numba threads)

    def share(self, obj: Any) -> Any:
        """A handle to ``obj`` that task arguments may carry in its place."""

    def map(self, fn: Callable[..., Any], tasks: Sequence[tuple]) -> Iterator[tuple[int, Any]]:
        """``(i, fn(*tasks[i]))`` for every task, in any order."""

    def close(self) -> None:
        """Release what the executor started (a local cluster)."""


class LocalExecutor:
    """Tasks one after the other, in this process, in task order."""

    name = "local"
    unit = "paths"
    slots = 1

    def share(self, obj: Any) -> Any:
        return obj

    def map(self, fn: Callable[..., Any], tasks: Sequence[tuple]) -> Iterator[tuple[int, Any]]:
        for i, args in enumerate(tasks):
            yield i, fn(*args)

    def close(self) -> None:
        pass


LOCAL = LocalExecutor()


@dataclass(frozen=True)
class Plan:
    """How a run's loans and paths are cut into tasks.

    loan_bounds : int64[b + 1] starts of the loan blocks (one block: the tape).
    path_bounds : int64[r + 1] starts of the path ranges.
    """

    loan_bounds: np.ndarray
    path_bounds: np.ndarray

    @property
    def n_tasks(self) -> int:
        return (len(self.loan_bounds) - 1) * (len(self.path_bounds) - 1)

    def blocks(self) -> Iterator[tuple[int, int]]:
        for b in range(len(self.loan_bounds) - 1):
            yield int(self.loan_bounds[b]), int(self.loan_bounds[b + 1])

    def ranges(self) -> Iterator[tuple[int, int]]:
        for r in range(len(self.path_bounds) - 1):
            yield int(self.path_bounds[r]), int(self.path_bounds[r + 1])


def bounds(n: int, step: int) -> np.ndarray:
    """0, step, 2 step, ..., n (int64)."""
    step = max(1, int(step))
    return np.append(np.arange(0, n, step, dtype=np.int64), np.int64(n))


# on a cluster, at least this many tasks per worker thread when the task size is not given (load balance)
TASKS_PER_SLOT = 4


def auto_slots(executor: Executor, task_size: int | None) -> int:
    """The slots :func:`plan` balances the tasks for: the executor's when the
    config leaves the task size (along that axis) to the engine, else 1 (the
    size given is kept)."""
    return executor.slots if task_size is None else 1


def plan(n_loans: int, n_paths: int, task_loans: int | None, task_paths: int, slots: int = 1) -> Plan:
    """Blocks of ``task_loans`` loans (None: one block) x ranges of ``task_paths`` paths.

    With ``slots`` > 1 (tasks that run at once), ranges are made shorter when
    there would be fewer than :data:`TASKS_PER_SLOT` tasks per slot, so that
    the last tasks do not leave workers idle. No choice changes a result.
    """
    loans = n_loans if task_loans is None else min(task_loans, n_loans)
    paths = max(1, min(task_paths, n_paths, MAX_TASK_PATHS))
    if slots > 1:
        n_blocks = -(-n_loans // loans)
        want_ranges = -(-TASKS_PER_SLOT * slots // n_blocks)
        paths = max(1, min(paths, -(-n_paths // want_ranges)))
    return Plan(bounds(n_loans, loans), bounds(n_paths, paths))


class InOrder:
    """Folds results that arrive in any order in index order: each result is
    held until every lower index has been folded. For sums that are not
    exact (float64), so that they do not depend on the arrival order."""

    def __init__(self, fold: Callable[[int, Any], None]):
        self._fold = fold
        self._held: dict[int, Any] = {}
        self._next = 0

    def add(self, i: int, result: Any) -> None:
        self._held[i] = result
        while self._next in self._held:
            self._fold(self._next, self._held.pop(self._next))
            self._next += 1


def run_tasks(
    executor: Executor,
    fn: Callable[..., Any],
    tasks: Sequence[tuple],
    fold: Callable[[int, Any], int],
    progress: Callable[[int, int], None] | None = None,
    n_paths: int = 0,
) -> None:
    """Run ``tasks`` on ``executor``, folding each result as it arrives.

    ``fold(i, result)`` returns how many paths the result completed (0 while
    other loan blocks of its paths are outstanding). ``progress(done,
    total)`` counts paths of ``n_paths`` locally and tasks on a cluster
    (``executor.unit``).
    """
    done = 0
    for i, result in executor.map(fn, tasks):
        paths = fold(i, result)
        if progress is None:
            continue
        if executor.unit == "paths":
            if paths:
                done += paths
                progress(done, n_paths)
        else:
            done += 1
            progress(done, len(tasks))


def executor_for(execution) -> Executor:
    """The executor a config's ``execution`` section asks for (the caller closes it)."""
    if execution is None or execution.backend == "local":
        return LOCAL
    from .cluster import DaskExecutor

    return DaskExecutor.from_config(execution)


__all__ = ["Executor", "InOrder", "LOCAL", "LocalExecutor", "MAX_TASK_PATHS", "Plan", "TASKS_PER_SLOT", "auto_slots", "bounds", "executor_for", "plan", "run_tasks"]
