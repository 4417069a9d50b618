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

from . import __version__, runs
from .config import Config, load_config
from .errors import ConfigError, TapeError
from .execution import Executor, executor_for
from .inputs.tape import Loans, loans_from_rows, read_tape
from .output.writer import SCHEMA_VERSION, file_sha256, write_outputs
from .report.methods import PlotMethods


@dataclass
class RunResult(PlotMethods):
    """The outcome of one run.

    Its figures: ``plot_<name>()`` methods (:mod:`engine.report.methods`),
    each a matplotlib Figure; ``write(..., report=True)`` adds the report.

    Attributes
    ----------
    config : the validated config that ran.
    loans : the validated tape.
    tables : every output table by file stem (``cashflows`` ->
        cashflows.parquet); ``summary`` is always there.
    details : the arrays behind the tables, by name (the standard model's
        ``cash_flows``: a :class:`engine.models.standard.CashFlows`).
    metadata : Parquet key-value metadata of the run's analysis kind.
    timings : seconds spent per stage.
    """

    config: Config
    loans: Loans
    tables: dict[str, pa.Table]
    details: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def summary(self) -> pa.Table:
        """The one-row summary table."""
        return self.tables["summary"]

    @property
    def cashflows(self) -> pa.Table:
        """One row per projection month."""
        return self.tables["cashflows"]

    def run_info(self) -> dict[str, Any]:
        return {
            "engine_version": __version__,
            "schema_version": SCHEMA_VERSION,
            "config": self.config.to_dict(),
            "config_hash": self.config.hash(),
            "tape_sha256": file_sha256(self.config.tape) if self.config.tape is not None else None,
            "model": self.config.model,
            "analysis": runs.for_config(self.config).name,
            "seed": int(self.metadata["engine.seed"]) if "engine.seed" in self.metadata else None,
            "n_loans": self.loans.n,
            "timings_seconds": dict(self.timings),
            "python": platform.python_version(),
            "numba": numba.__version__,
            "threads": numba.get_num_threads(),
        }

    def write(self, out_dir: str | Path | None = None, *, report: bool = False) -> list[Path]:
        """Write every table as ``<name>.parquet`` and ``run.json`` into
        ``out_dir`` (default: the config's ``output.dir``, else ``out/<name>``),
        replacing the run it held as one atomic step
        (:mod:`engine.output.writer`). ``report=True`` adds ``report.html``
        and ``plots/*.png`` (:mod:`engine.report`) to the same step, drawn
        from the ``run.json`` record that is written, and records the seconds
        spent drawing in ``timings["report"]`` once the folder is written (so
        the page and ``run.json`` of this write show the same timings).
        Raises :class:`engine.errors.OutputError` naming the folder when it
        cannot be written."""
        target = out_dir if out_dir is not None else self.config.output_dir()
        info = self.run_info()
        files, drawn = None, 0.0
        if report:
            from .report import RunData, render

            t0 = time.perf_counter()
            files = render(RunData.from_result(self, info)).files()
            drawn = time.perf_counter() - t0
        meta = {
            "engine.version": __version__,
            "engine.schema_version": SCHEMA_VERSION,
            "engine.config_hash": self.config.hash(),
            "engine.run_name": self.config.name,
            "engine.model": self.config.model,
            **self.metadata,
        }
        paths = write_outputs(target, self.tables, info, meta, files)
        if report:
            self.timings["report"] = drawn
        return paths


def load_loans(config: Config) -> Loans:
    """The config's loans: its tape file or its inline rows."""
    if config.tape is not None:
        return read_tape(config.tape)
    rows = [row.model_dump() for row in config.loans]
    return loans_from_rows(rows, source="loans")


def load(config: str | Path | dict | Config, overrides: tuple[str, ...] | list[str] = ()) -> tuple[Config, Loans]:
    """Validate ``config`` and its loans. Every problem of both is reported
    at once: when the config is invalid, the tape (or the inline rows) it
    names is still read and its problems follow the config's.

    Raises :class:`engine.errors.InputError` subclasses for bad input.
    """
    try:
        cfg = load_config(config, overrides)
    except ConfigError as e:
        more = _loan_problems(e.loans)
        if more:
            raise ConfigError(f"{e}\n{more}") from None
        raise
    runs.for_config(cfg)
    return cfg, load_loans(cfg)


def _loan_problems(loans: Path | list | None) -> str:
    """The TapeError message of loans named by an invalid config ('' if none)."""
    if loans is None:
        return ""
    try:
        if isinstance(loans, Path):
            read_tape(loans)
        else:
            loans_from_rows(loans, source="loans")
    except TapeError as e:
        return str(e)
    return ""


def run(
    config: str | Path | dict | Config,
    overrides: tuple[str, ...] | list[str] = (),
    progress: Callable[[int, int], None] | None = None,
    *,
    loans: Loans | None = None,
    executor: Executor | None = None,
) -> RunResult:
    """Validate ``config`` (a YAML path, a dict or a ``Config``) and run its
    analysis kind on its loans (``pricing`` for a config with a ``pricing``
    block, else ``projection``, unless ``analysis`` names one). ``loans``, if
    given, replaces the config's tape or inline rows (e.g. from :func:`load`).

    ``progress(done, total)`` is called as the work advances: paths done
    locally, tasks done on a cluster.

    ``executor`` runs the tasks (:mod:`engine.execution`); by default the
    one the config's ``execution`` section asks for, started and closed for
    this run (a :class:`engine.execution.cluster.DaskExecutor` wrapping
    your own ``distributed.Client`` keeps a cluster across runs).
    Raises :class:`engine.errors.InputError` subclasses for bad input.
    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    if loans is None:
        cfg, loans = load(config, overrides)
    else:
        cfg = load_config(config, overrides)
    kind = runs.for_config(cfg)
    timings["load"] = time.perf_counter() - t0
    own = executor is None
    if own:
        t1 = time.perf_counter()
        executor = executor_for(cfg.execution)
        if executor.name != "local":
            timings["start_cluster"] = time.perf_counter() - t1
    t1 = time.perf_counter()
    try:
        analysis = kind.run(cfg, loans, progress, executor)
    finally:
        if own:
            executor.close()
    timings[kind.name] = time.perf_counter() - t1
    timings["total"] = time.perf_counter() - t0
    return RunResult(cfg, loans, analysis.tables, analysis.details, analysis.metadata, timings)


__all__ = ["run", "RunResult", "load", "load_loans"]
