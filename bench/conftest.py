"""Fixtures for the benchmark suite (run with ``pytest bench/ --benchmark-only``).

The tape comes from the same synthetic generator as the example configs and
tests (:func:`engine.inputs.sample.agency_tape`), reshaped to new 30-year loans
(``remaining_term = 360``, ``age = 0``) so every loan runs every month. Loans
and assumptions are validated once per session, outside the timed code.

Environment:

- ``ENGINE_BENCH_BIG=1`` adds the 1,000,000-loan case (a few seconds per
  round, a few hundred MB for the tape).
- ``NUMBA_NUM_THREADS`` caps the thread counts benchmarked (1 and the cap).

Shared constants and the tape builder live in ``bench_data.py`` so that the
subprocess measurements can import them too.
"""

from __future__ import annotations

import numba
import pytest

from bench_data import ASSUMPTIONS, make_loans  # bench/ is on sys.path (no __init__.py)
from engine.config import Assumptions
from engine.inputs.tape import Loans


@pytest.fixture(scope="session")
def loans_for():
    """``loans_for(n, months)``: validated loans, built once per session."""
    cache: dict[tuple[int, int], Loans] = {}

    def get(n_loans: int, months: int = 360) -> Loans:
        key = (n_loans, months)
        if key not in cache:
            cache[key] = make_loans(n_loans, months)
        return cache[key]

    return get


@pytest.fixture(scope="session")
def assumptions() -> Assumptions:
    return Assumptions.model_validate(ASSUMPTIONS)


@pytest.fixture
def set_threads():
    """``set_threads(n)`` for the parallel kernel; restored after the test."""
    before = numba.get_num_threads()

    def set_(n: int) -> int:
        numba.set_num_threads(n)
        return numba.get_num_threads()

    yield set_
    numba.set_num_threads(before)
