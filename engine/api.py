"""The embedding API: ``engine.run(config)`` -> :class:`RunResult`.

No files are written and nothing is printed unless ``RunResult.write`` is
called.
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numba
import pyarrow as pa

from . import __version__
from .cashflows import CashFlows, project_cashflows
from .config import Config, load_config
from .measures import summary_row
from .output import SCHEMA_VERSION, write_outputs
from .tape import Loans, loans_from_rows, read_tape


@dataclass
class RunResult:
    """The outcome of one run.

    Attributes
    ----------
    config : the validated config that ran.
    loans : the validated tape.
    summary : one-row table (see README, "Output").
    cashflows : one row per projection month.
    timings : seconds spent per stage.
    """

    config: Config
    loans: Loans
    cash_flows: CashFlows
    summary: pa.Table
    cashflows: pa.Table
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def tables(self) -> dict[str, pa.Table]:
        return {"cashflows": self.cashflows, "summary": self.summary}

    def run_info(self) -> dict[str, Any]:
        return {
            "engine_version": __version__,
            "schema_version": SCHEMA_VERSION,
            "config": self.config.to_dict(),
            "config_hash": self.config.hash(),
            "n_loans": self.loans.n,
            "timings_seconds": self.timings,
            "python": platform.python_version(),
            "numba": numba.__version__,
            "threads": numba.get_num_threads(),
        }

    def write(self, out_dir: str | Path | None = None) -> list[Path]:
        """Write ``cashflows.parquet``, ``summary.parquet`` and ``run.json`` atomically
        to ``out_dir`` (default: the config's ``output.dir``)."""
        target = out_dir if out_dir is not None else self.config.output.dir
        if target is None:
            target = Path("out") / self.config.name
        meta = {
            "engine.version": __version__,
            "engine.schema_version": SCHEMA_VERSION,
            "engine.config_hash": self.config.hash(),
            "engine.run_name": self.config.name,
        }
        return write_outputs(target, self.tables, self.run_info(), meta)


def load_loans(config: Config) -> Loans:
    """The config's loans: its tape file or its inline rows."""
    if config.tape is not None:
        return read_tape(config.tape)
    rows = [row.model_dump() for row in config.loans]
    return loans_from_rows(rows, source="loans")


def run(config: str | Path | dict | Config, overrides: tuple[str, ...] | list[str] = ()) -> RunResult:
    """Validate ``config`` (a YAML path, a dict or a ``Config``), project and measure.

    Raises :class:`engine.errors.InputError` subclasses for bad input.
    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    cfg = load_config(config, overrides)
    loans = load_loans(cfg)
    timings["load"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    cf = project_cashflows(loans, cfg.assumptions)
    timings["project"] = time.perf_counter() - t1

    t2 = time.perf_counter()
    summary = pa.Table.from_pylist([summary_row(loans, cf, cfg.valuation)])
    cashflows = cf.to_arrow()
    timings["measure"] = time.perf_counter() - t2
    timings["total"] = time.perf_counter() - t0
    return RunResult(cfg, loans, cf, summary, cashflows, timings)


__all__ = ["run", "RunResult", "load_loans"]
