"""Run a config on one thread and on two, for the thread-count reproducibility tests."""

from __future__ import annotations

import numba

import engine


def run_on_one_and_two_threads(config):
    """``(result on 1 thread, result on 2 threads)``; the thread count is restored."""
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = engine.run(config)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = engine.run(config)
    finally:
        numba.set_num_threads(before)
    return one, two
