"""The benchmark scenario and tape builder (shared by conftest.py, the
benchmarks and the subprocesses they start)."""

from __future__ import annotations

import os

import numba
import numpy as np
import pyarrow as pa

from engine.inputs.sample import agency_tape
from engine.inputs.tape import Loans, loans_from_table

BIG = os.environ.get("ENGINE_BENCH_BIG", "") not in ("", "0", "false", "no")
MAX_THREADS = numba.config.NUMBA_NUM_THREADS
THREADS = sorted({1, MAX_THREADS})

# 150% PSA, 100% SDA, 20% severity, 12 months to liquidation, servicer advancing
ASSUMPTIONS = {
    "prepay": {"model": "psa", "speed": 150},
    "default": {"model": "sda", "speed": 100},
    "loss": {"severity": 0.20, "liquidation_lag": 12, "advancing": True},
}


def make_loans(n_loans: int, months: int = 360, seed: int = 20261121) -> Loans:
    """``n_loans`` new loans (age 0) with ``months`` to run, validated.

    Balances, rates, servicing and the other columns come from
    :func:`engine.inputs.sample.agency_tape`, the generator behind the example tape.
    """
    table = agency_tape(n_loans, seed=seed)
    for name, values in (
        ("remaining_term", np.full(n_loans, months, dtype=np.int64)),
        ("age", np.zeros(n_loans, dtype=np.int64)),
        ("original_term", np.full(n_loans, months, dtype=np.int64)),
    ):
        table = table.set_column(table.column_names.index(name), name, pa.array(values))
    return loans_from_table(table, source="bench")


def proc_status_mb(key: str) -> float:
    """A memory line of /proc/self/status in MB (``VmRSS``: resident now,
    ``VmHWM``: peak); NaN where there is no such file."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def reset_peak_rss() -> bool:
    """Reset this process's VmHWM to its current RSS (Linux ``clear_refs``);
    False where that is not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False
