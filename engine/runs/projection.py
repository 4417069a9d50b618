"""The ``projection`` analysis kind: project the pool's cash flows under the
config's cash-flow model and report them (the default kind).

Cash-flow models are dispatched through :data:`MODELS`, keyed by the
config's ``model``; each entry projects (returning arrays) and builds the
model's tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pyarrow as pa

from .. import config as cfg
from ..execution import LOCAL, Executor, auto_slots
from ..inputs.tape import Loans
from ..models.standard import project_cashflows
from ..models.state import simulate_state
from ..output.tables import standard_tables, state_tables
from . import Analysis, AnalysisKind, register


def _standard(config: cfg.Config, loans: Loans, progress, executor: Executor = LOCAL) -> Analysis:
    ex = config.execution
    cf = project_cashflows(
        loans, config.assumptions, executor=executor, task_loans=ex.loans_per_task(),
        slots=auto_slots(executor, ex.task_loans),
    )
    return Analysis(standard_tables(config, loans, cf), details={"cash_flows": cf})


def _state(
    config: cfg.Config, loans: Loans, progress, executor: Executor = LOCAL, hpi_paths: np.ndarray | None = None
) -> Analysis:
    sums = simulate_state(config, loans, progress=progress, hpi_paths=hpi_paths, executor=executor)
    sim = config.simulation
    return Analysis(
        state_tables(config, loans, sums),
        details={"sums": sums},
        metadata={"engine.seed": str(sim.seed), "engine.integration": sim.integration},
    )


# config `model` -> projection of that cash-flow model
MODELS: dict[str, Callable[..., Analysis]] = {"standard": _standard, "state": _state}


def run(
    config: cfg.Config,
    loans: Loans,
    progress: Callable[[int, int], None] | None = None,
    executor: Executor = LOCAL,
) -> Analysis:
    """Project ``loans`` under ``config.model`` and build its tables."""
    return MODELS[config.model](config, loans, progress, executor)


@dataclass(frozen=True)
class StateRun:
    """The state model's tables (README, "Outputs"); ``summary`` as a dict."""

    cashflows: pa.Table
    quantiles: pa.Table
    paths: pa.Table
    loans: pa.Table | None
    summary: dict


def run_state_model(
    config: cfg.Config,
    loans: Loans,
    progress: Callable[[int, int], None] | None = None,
    hpi_paths: np.ndarray | None = None,
) -> StateRun:
    """The state model's projection on a validated config and tape, optionally
    on your own (paths, horizon + 1) home-price paths."""
    t = _state(config, loans, progress, hpi_paths=hpi_paths).tables
    return StateRun(t["cashflows"], t["cashflow_quantiles"], t["paths"], t.get("loans"), t["summary"].to_pylist()[0])


register(
    AnalysisKind(
        name="projection",
        description="cash flows, yields and losses of the pool under its cash-flow model",
        reads=("assumptions", "valuation", "simulation", "economy", "state_model", "output"),
        run=run,
    )
)
