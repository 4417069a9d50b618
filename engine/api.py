"""The embedding API: ``engine.run(config)`` -> :class:`RunResult`.

No files are written and nothing is printed unless ``RunResult.write`` is
called.
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

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
    summary: pa.Table
    cashflows: pa.Table
    cash_flows: CashFlows | None = None  # standard model: the arrays behind ``cashflows``
    cashflow_quantiles: pa.Table | None = None  # state model
    paths: pa.Table | None = None  # state model: one row per path
    loan_outcomes: pa.Table | None = None  # state model, with output.loans
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def tables(self) -> dict[str, pa.Table]:
        """Every output table by file stem (``cashflows`` -> cashflows.parquet)."""
        tables = {"cashflows": self.cashflows, "summary": self.summary}
        if self.cashflow_quantiles is not None:
            tables["cashflow_quantiles"] = self.cashflow_quantiles
        if self.paths is not None:
            tables["paths"] = self.paths
        if self.loan_outcomes is not None:
            tables["loans"] = self.loan_outcomes
        return tables

    def run_info(self) -> dict[str, Any]:
        return {
            "engine_version": __version__,
            "schema_version": SCHEMA_VERSION,
            "config": self.config.to_dict(),
            "config_hash": self.config.hash(),
            "tape_sha256": _file_sha256(self.config.tape) if self.config.tape is not None else None,
            "model": self.config.model,
            "seed": self.config.simulation.seed if self.config.model == "state" else None,
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
            "engine.model": self.config.model,
        }
        if self.config.model == "state":
            meta["engine.seed"] = str(self.config.simulation.seed)
            meta["engine.integration"] = self.config.simulation.integration
        return write_outputs(target, self.tables, self.run_info(), meta)


def _file_sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_loans(config: Config) -> Loans:
    """The config's loans: its tape file or its inline rows."""
    if config.tape is not None:
        return read_tape(config.tape)
    rows = [row.model_dump() for row in config.loans]
    return loans_from_rows(rows, source="loans")


def run(
    config: str | Path | dict | Config,
    overrides: tuple[str, ...] | list[str] = (),
    progress: Callable[[int, int], None] | None = None,
) -> RunResult:
    """Validate ``config`` (a YAML path, a dict or a ``Config``), project and measure.

    ``progress(done, total)`` is called after each chunk of paths (state model).
    Raises :class:`engine.errors.InputError` subclasses for bad input.
    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    cfg = load_config(config, overrides)
    loans = load_loans(cfg)
    timings["load"] = time.perf_counter() - t0
    if cfg.model == "state":
        return _run_state(cfg, loans, timings, t0, progress)

    t1 = time.perf_counter()
    cf = project_cashflows(loans, cfg.assumptions)
    timings["project"] = time.perf_counter() - t1

    t2 = time.perf_counter()
    summary = pa.Table.from_pylist([summary_row(loans, cf, cfg.valuation)])
    cashflows = cf.to_arrow()
    timings["measure"] = time.perf_counter() - t2
    timings["total"] = time.perf_counter() - t0
    return RunResult(cfg, loans, summary, cashflows, cash_flows=cf, timings=timings)


def _run_state(cfg: Config, loans: Loans, timings: dict, t0: float, progress) -> RunResult:
    from .simulate import run_state_model

    t1 = time.perf_counter()
    sr = run_state_model(cfg, loans, progress=progress)
    timings["simulate"] = time.perf_counter() - t1
    timings["total"] = time.perf_counter() - t0
    return RunResult(
        cfg,
        loans,
        pa.Table.from_pylist([sr.summary]),
        sr.cashflows,
        cashflow_quantiles=sr.quantiles,
        paths=sr.paths,
        loan_outcomes=sr.loans,
        timings=timings,
    )


__all__ = ["run", "RunResult", "load_loans"]
