"""A process that writes runs with engine.output.writer, for the kill tests.

Imports the writer alone (not the engine package, whose kernels pull in
Numba), so each process starts in a fraction of a second::

    python writer_child.py loop  OUT          # write runs A, B, A, ... until killed
    python writer_child.py write OUT TAG N    # print ready, wait for a line on stdin, write run TAG N times
    python writer_child.py crash OUT K MODE   # write run B over A; die at step K
    python writer_child.py steps OUT MODE     # print how many steps a write takes
    python writer_child.py report-crash OUT K MODE   # add a report to the run in OUT; die at step K
    python writer_child.py report-steps OUT MODE     # print how many steps adding a report takes

MODE is ``exchange`` (the atomic swap) or ``rename`` (the two-rename
fallback). A *step* is one call that changes the file system: creating a
folder, writing a Parquet file or bytes, a rename or swap, removing a tree.
``crash`` ends the process with ``os._exit`` at the K-th step, as a SIGKILL
would: no ``finally`` runs.

Runs: ``A`` has the five tables of a state-model run, ``B`` the two of a
standard run (so a mix or a stale file would show). Every table carries
``engine.config_hash`` = the run's hash, and run.json says the same.
"""

from __future__ import annotations

import hashlib
import os
import sys
import types
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if __name__ == "__main__":  # as a child process only: imported by a test, the real package stays
    _pkg = types.ModuleType("engine")
    _pkg.__path__ = [str(REPO / "engine")]
    sys.modules.setdefault("engine", _pkg)

import pyarrow as pa  # noqa: E402

from engine.output import writer  # noqa: E402

TABLES = {
    "A": ("cashflows", "summary", "cashflow_quantiles", "paths", "loans"),
    "B": ("cashflows", "summary"),
}


def run_hash(tag: str, i: int) -> str:
    return hashlib.sha256(f"{tag}-{i}".encode()).hexdigest()


def write(out: str, tag: str, i: int) -> None:
    h = run_hash(tag, i)
    rows = 240 if tag == "A" else 360
    tables = {
        name: pa.table({"month": list(range(1, rows + 1)), name: [float(k) * 1.5 for k in range(rows)]})
        for name in TABLES[tag]
    }
    info = {"config_hash": h, "run": tag, "index": i}
    writer.write_outputs(out, tables, info, {"engine.config_hash": h})


# what a report adds to a run folder (engine.output.writer.add_files)
REPORT_FILES = {
    "report.html": b"<!DOCTYPE html><html><body>report</body></html>\n",
    "plots/first.png": b"\x89PNG\r\n\x1a\n" + b"1" * 5000,
    "plots/second.png": b"\x89PNG\r\n\x1a\n" + b"2" * 7000,
}


def add_report(out: str) -> None:
    writer.add_files(out, REPORT_FILES)


class _Steps:
    """Counts file-system-changing calls; ``os._exit`` at the ``die_at``-th."""

    def __init__(self, die_at: int | None):
        self.n = 0
        self.die_at = die_at

    def wrap(self, func):
        def step(*args, **kwargs):
            self.n += 1
            if self.n == self.die_at:
                os._exit(137)
            return func(*args, **kwargs)

        return step


def instrument(die_at: int | None, mode: str) -> _Steps:
    steps = _Steps(die_at)
    ns = types.SimpleNamespace(**{k: getattr(os, k) for k in dir(os) if not k.startswith("__")})
    for name in ("mkdir", "rename", "replace", "write", "unlink", "rmdir"):
        setattr(ns, name, steps.wrap(getattr(os, name)))
    writer.os = ns
    writer.shutil = types.SimpleNamespace(rmtree=steps.wrap(writer.shutil.rmtree))
    writer.pq = types.SimpleNamespace(write_table=steps.wrap(writer.pq.write_table), read_schema=writer.pq.read_schema)
    exchange = writer._exchange
    writer._exchange = steps.wrap(exchange if mode == "exchange" else (lambda a, b: False))
    return steps


def main(argv: list[str]) -> None:
    cmd, out = argv[0], argv[1]
    if cmd == "loop":
        print("ready", flush=True)
        i = 0
        while True:
            write(out, "AB"[i % 2], i)
            i += 1
    elif cmd == "write":
        tag, n = argv[2], int(argv[3])
        print("ready", flush=True)
        sys.stdin.readline()
        for i in range(n):
            write(out, tag, i)
    elif cmd == "crash":
        instrument(int(argv[2]), argv[3])
        write(out, "B", 1)
    elif cmd == "steps":
        steps = instrument(None, argv[2])
        write(out, "B", 1)
        print(steps.n)
    elif cmd == "report-crash":
        instrument(int(argv[2]), argv[3])
        add_report(out)
    elif cmd == "report-steps":
        steps = instrument(None, argv[2])
        add_report(out)
        print(steps.n)


if __name__ == "__main__":
    main(sys.argv[1:])
