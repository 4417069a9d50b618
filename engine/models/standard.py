"""The SIFMA standard cash-flow model: validated input -> kernel -> named columns.

This is the low-level embedding entry point::

    import pyarrow as pa, engine
    cf = engine.project_cashflows(
        pa.table({"loan_id": ["A"], "balance": [1e8], "note_rate": [0.08], "remaining_term": [360]}),
        {"prepay": {"model": "psa", "speed": 150}, "default": {"model": "sda", "speed": 100},
         "loss": {"severity": 0.2, "liquidation_lag": 12}},
    )
    cf.total_cash_flow  # numpy array, month 1 first
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Mapping

import numpy as np
import pyarrow as pa
from pydantic import ValidationError

from .. import config as cfg
from ..behavior.speeds import default_table, prepay_table
from ..errors import ConfigError
from ..execution import LOCAL, TASKS_PER_SLOT, Executor, run_tasks
from ..inputs.tape import Loans, loans_from_rows, loans_from_table
from ..jit import block_bounds
from ..kernels import standard as k

@dataclass(frozen=True)
class CashFlows:
    """Per-month pool cash flows; every attribute is a float64 array over months
    1..n (``month`` is int64). Column meanings and units:
    :data:`engine.output.columns.STANDARD_CASHFLOWS`."""

    month: np.ndarray
    performing_balance: np.ndarray
    new_defaults: np.ndarray
    foreclosure_balance: np.ndarray
    expected_amortization: np.ndarray
    voluntary_prepayments: np.ndarray
    amortization_from_defaults: np.ndarray
    actual_amortization: np.ndarray
    expected_interest: np.ndarray
    interest_lost: np.ndarray
    actual_interest: np.ndarray
    principal_recovery: np.ndarray
    principal_loss: np.ndarray
    amortized_default_balance: np.ndarray
    gross_interest: np.ndarray
    servicing_fee: np.ndarray
    total_interest: np.ndarray
    total_principal: np.ndarray
    total_cash_flow: np.ndarray
    smm: np.ndarray
    mdr: np.ndarray
    starting_balance: float = 0.0

    @property
    def n_months(self) -> int:
        return len(self.month)

    def to_arrow(self) -> pa.Table:
        return pa.table({f.name: getattr(self, f.name) for f in fields(self) if f.name != "starting_balance"})


def as_loans(loans: Loans | pa.Table | Mapping[str, Any] | list) -> Loans:
    """Accept a validated ``Loans``, an Arrow table, a dict of columns or a list of rows."""
    if isinstance(loans, Loans):
        return loans
    if isinstance(loans, pa.Table):
        return loans_from_table(loans)
    if isinstance(loans, Mapping):
        return loans_from_table(pa.table({k: np.asarray(v) if k != "loan_id" else list(map(str, v)) for k, v in loans.items()}))
    return loans_from_rows(list(loans))


def as_assumptions(a: cfg.Assumptions | Mapping[str, Any]) -> cfg.Assumptions:
    if isinstance(a, cfg.Assumptions):
        return a
    try:
        return cfg.Assumptions.model_validate(a)
    except ValidationError as err:
        raise ConfigError(cfg.format_errors(err, a, "", prefix="assumptions")) from None


def project_cashflows(
    loans, assumptions, *, executor: Executor = LOCAL, task_loans: int | None = None, slots: int = 1
) -> CashFlows:
    """Project SIFMA-standard pool cash flows (SF section C.3), loan by loan.

    Parameters
    ----------
    loans : ``Loans``, a ``pyarrow.Table``, a dict of column arrays or a list
        of row dicts, with the tape columns of :mod:`engine.inputs.tape`.
    assumptions : ``config.Assumptions`` or a dict with ``prepay``,
        ``default`` and ``loss`` as in the YAML ``assumptions`` key.
    executor, task_loans, slots : where the tasks run, the most loans each
        takes (at least one fixed block), and how many run at once (smaller tasks when few would
        keep the slots busy; :mod:`engine.execution`); none changes a number.

    Returns
    -------
    CashFlows : per-month pool totals, months 1..max(remaining_term).

    Notes
    -----
    The tape is cut into :func:`engine.jit.block_bounds` blocks, fixed by
    the number of loans; each block's loans add up, in loan order, into its
    own months x columns slice, and the slices are added in block order. A
    task is a run of consecutive blocks (:func:`project_blocks`), so the
    sums are the same whichever tasks compute them.
    """
    loans = as_loans(loans)
    a = as_assumptions(assumptions)
    smm = prepay_table(a.prepay)
    mdr = default_table(a.default)
    loss = a.loss_or_default
    n_months = int(loans.remaining_term.max())
    bounds = block_bounds(loans.n)
    n_blocks = len(bounds) - 1
    pool = pool_loans(loans)
    speeds = k.Speeds(smm_table=smm.rates, smm_by_age=smm.by_age, mdr_table=mdr.rates, mdr_by_age=mdr.by_age)
    terms = loss_terms(loss)
    largest = int(np.diff(bounds).max())  # loans in the largest fixed block
    per_task = n_blocks if task_loans is None else max(1, task_loans // largest)  # at most task_loans, one block at least
    if slots > 1:  # enough tasks to keep every worker busy to the end
        per_task = max(1, min(per_task, -(-n_blocks // (TASKS_PER_SLOT * slots))))
    tasks = []
    for b0 in range(0, n_blocks, per_task):
        b1 = min(n_blocks, b0 + per_task)
        l0, l1 = int(bounds[b0]), int(bounds[b1])
        block = k.PoolLoans(*(x[l0:l1] for x in pool))
        tasks.append((b0, bounds[b0 : b1 + 1] - l0, block, speeds, terms, n_months))
    out = np.empty((n_blocks, n_months + 1, k.N_COLS))

    def fold(i: int, part: np.ndarray) -> int:
        b0 = tasks[i][0]
        out[b0 : b0 + part.shape[0]] = part
        return 0

    run_tasks(executor, project_blocks, tasks, fold)
    return named_columns(out.sum(axis=0)[1:], float(loans.balance.sum()))


def pool_loans(loans: Loans) -> k.PoolLoans:
    """The SIFMA kernels' per-loan group."""
    return k.PoolLoans(
        balance=np.ascontiguousarray(loans.balance),
        gross_rate=np.ascontiguousarray(loans.note_rate),
        servicing=np.ascontiguousarray(loans.servicing_fee),
        term=np.ascontiguousarray(loans.remaining_term),
        age=np.ascontiguousarray(loans.age),
    )


def loss_terms(loss: cfg.Loss) -> k.LossTerms:
    """The SIFMA kernels' loss group from the config's ``assumptions.loss``."""
    return k.LossTerms(severity=float(loss.severity), lag=int(loss.liquidation_lag), advancing=bool(loss.advancing))


def project_blocks(
    b0: int, bounds: np.ndarray, loans: k.PoolLoans, speeds: k.Speeds, loss: k.LossTerms, n_months: int
) -> np.ndarray:
    """The standard model's task: blocks ``b0 ..`` of the tape (``bounds``:
    their loan starts within ``loans``) -> float64 (blocks, months + 1,
    ``C_*``), each block's loans summed in loan order. Pure."""
    out = np.zeros((len(bounds) - 1, n_months + 1, k.N_COLS))
    k.project_pool(bounds, loans, speeds, loss, out)
    return out


def named_columns(t: np.ndarray, starting_balance: float) -> CashFlows:
    """Name the kernel's summed columns and derive totals and pool rates."""
    col = lambda c: t[:, c].copy()  # noqa: E731
    total_principal = t[:, k.C_ACTAM] + t[:, k.C_AMDEF] + t[:, k.C_VOL] + t[:, k.C_RECOV]
    total_interest = t[:, k.C_GROSSINT] - t[:, k.C_SERV]
    with np.errstate(invalid="ignore", divide="ignore"):
        smm = np.where(t[:, k.C_PREPAY_BASE] > 0, t[:, k.C_VOL] / t[:, k.C_PREPAY_BASE], 0.0)
        mdr = np.where(t[:, k.C_DEFAULT_BASE] > 0, t[:, k.C_NEWDEF] / t[:, k.C_DEFAULT_BASE], 0.0)
    return CashFlows(
        month=np.arange(1, t.shape[0] + 1, dtype=np.int64),
        performing_balance=col(k.C_PERF),
        new_defaults=col(k.C_NEWDEF),
        foreclosure_balance=col(k.C_FCL),
        expected_amortization=col(k.C_EXPAM),
        voluntary_prepayments=col(k.C_VOL),
        amortization_from_defaults=col(k.C_AMDEF),
        actual_amortization=col(k.C_ACTAM),
        expected_interest=col(k.C_EXPINT),
        interest_lost=col(k.C_LOSTINT),
        actual_interest=col(k.C_ACTINT),
        principal_recovery=col(k.C_RECOV),
        principal_loss=col(k.C_LOSS),
        amortized_default_balance=col(k.C_ADB),
        gross_interest=col(k.C_GROSSINT),
        servicing_fee=col(k.C_SERV),
        total_interest=total_interest,
        total_principal=total_principal,
        total_cash_flow=total_principal + total_interest,
        smm=smm,
        mdr=mdr,
        starting_balance=starting_balance,
    )
