"""The SIFMA standard model on interest-rate paths: loans x market paths ->
per-path cash flows and their path means.

- A rate-driven prepayment model (``turnover_refi``) runs
  :func:`engine.kernels.standard_paths.project_paths` chunk by chunk of
  paths: each path's loans follow its own mortgage rates.
- A rate-blind model (PSA, CPR, SMM, vectors, none) gives the same cash
  flows on every path: they are projected once by the standard kernel
  (:func:`engine.models.standard.project_cashflows`) and shared.

Chunks of paths are pure tasks (:func:`project_chunk`); the path means are
accumulated path by path in path order, so they do not depend on the chunk
size, the thread count or the backend (:mod:`engine.execution`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .. import config as cfg
from ..behavior.prepayment import prepay_params, rate_driven
from ..behavior.speeds import default_table
from ..execution import LOCAL, Executor, InOrder, plan, run_tasks
from ..inputs.tape import Loans
from ..kernels import standard as k
from ..kernels.standard_paths import project_paths
from ..output.columns import STANDARD_CASHFLOWS
from .paths import PathFlows
from .standard import CashFlows, as_assumptions, loss_terms, named_columns, pool_loans, project_cashflows

__all__ = ["PathInputs", "path_inputs", "project_chunk", "project_on_paths"]


@dataclass(frozen=True)
class PathInputs:
    """A tape and assumptions resolved into the path kernel's groups."""

    loans: k.PoolLoans
    prepay: object  # PrepayParams
    mdr_table: np.ndarray
    mdr_by_age: bool
    loss: k.LossTerms
    key_of_loan: np.ndarray  # int64[l]
    key_age: np.ndarray  # int64[k]
    key_rate: np.ndarray  # float64[k]
    n_months: int
    starting_balance: float
    rate_driven: bool
    assumptions: cfg.Assumptions
    tape: Loans


def prepay_keys(note_rate: np.ndarray, age: np.ndarray, ramp_months: float):
    """Distinct (note rate, min(age, ramp)) pairs: ``(key_of_loan, key_age, key_rate)``.

    Loans sharing a key have bit-identical SMM vectors on a path (the
    seasoning factor ``min(1, (age + t) / ramp)`` is exactly 1 for every
    month once ``age >= ramp``)."""
    seasoning_age = np.minimum(age, int(np.ceil(ramp_months))).astype(np.int64)
    pairs = np.stack([note_rate.view(np.int64), seasoning_age], axis=1)
    unique, key_of_loan = np.unique(pairs, axis=0, return_inverse=True)
    key_rate = np.ascontiguousarray(unique[:, 0]).view(np.float64)
    return key_of_loan.reshape(-1).astype(np.int64), np.ascontiguousarray(unique[:, 1]), key_rate


def path_inputs(loans: Loans, assumptions, start_month: int) -> PathInputs:
    """Validated loans and assumptions -> the kernel's inputs."""
    a = as_assumptions(assumptions)
    pp = prepay_params(a.prepay, start_month, 0.0)
    mdr = default_table(a.default)
    loss = a.loss_or_default
    key_of_loan, key_age, key_rate = prepay_keys(
        np.ascontiguousarray(loans.note_rate, dtype=np.float64), loans.age, pp.ramp_months
    )
    return PathInputs(
        loans=pool_loans(loans),
        prepay=pp,
        mdr_table=np.ascontiguousarray(mdr.rates, dtype=np.float64),
        mdr_by_age=bool(mdr.by_age),
        loss=loss_terms(loss),
        key_of_loan=key_of_loan,
        key_age=key_age,
        key_rate=key_rate,
        n_months=int(loans.remaining_term.max()),
        starting_balance=float(loans.balance.sum()),
        rate_driven=rate_driven(pp),
        assumptions=a,
        tape=loans,
    )


def project_chunk(pi: PathInputs, mortgage_rate: np.ndarray) -> np.ndarray:
    """Cash flows of the paths whose mortgage rates are ``mortgage_rate``
    (paths x months + 1): float64 (paths, months + 1, ``C_*`` columns), row 0
    unused. A pure function of its inputs."""
    n_paths = mortgage_rate.shape[0]
    out = np.zeros((n_paths, pi.n_months + 1, k.N_COLS))
    rates = np.ascontiguousarray(mortgage_rate[:, : pi.n_months + 1], dtype=np.float64)
    project_paths(
        pi.key_of_loan, pi.key_age, pi.key_rate, pi.loans, pi.prepay, pi.mdr_table, pi.mdr_by_age,
        pi.loss, rates, out,
    )
    return out


def _path_totals(cols: np.ndarray):
    principal = cols[..., k.C_ACTAM] + cols[..., k.C_AMDEF] + cols[..., k.C_VOL] + cols[..., k.C_RECOV]
    interest = cols[..., k.C_GROSSINT] - cols[..., k.C_SERV]
    return principal + interest, principal


def project_on_paths(
    pi: PathInputs,
    mortgage_rate: np.ndarray,
    chunk_paths: int = 64,
    progress: Callable[[int, int], None] | None = None,
    executor: Executor = LOCAL,
    task_loans: int | None = None,
    slots: int = 1,
    loan_slots: int = 1,
) -> PathFlows:
    """Project the pool on every path of ``mortgage_rate`` (paths x months + 1).

    Rate-blind prepayment: one projection by the standard kernel, shared by
    every path (``same_on_every_path``; the arrays have one row).
    Rate-driven: tasks of ``chunk_paths`` paths over the whole tape
    (:func:`project_chunk`) on ``executor`` (shorter with ``slots`` > 1 and
    few paths; the rate-blind projection balances loan tasks for
    ``loan_slots``); each path's loans are summed in
    loan order inside its task, and the path means are added path by path
    in path order (:class:`engine.execution.InOrder`), whatever order the
    tasks finish in."""
    n_paths = mortgage_rate.shape[0]
    H = pi.n_months
    if not pi.rate_driven or n_paths == 1:
        if not pi.rate_driven:
            cf = project_cashflows(pi.tape, pi.assumptions, executor=executor, task_loans=task_loans, slots=loan_slots)
        else:
            cf = named_columns(project_chunk(pi, mortgage_rate[:1])[0, 1:], pi.starting_balance)
        if progress is not None:
            progress(n_paths, n_paths)
        return PathFlows(
            cash=cf.total_cash_flow[None, :],
            principal=cf.total_principal[None, :],
            defaults=np.array([cf.new_defaults.sum()]),
            losses=np.array([cf.principal_loss.sum()]),
            columns=_table(cf),
            same_on_every_path=True,
            details=cf,
        )
    cash = np.empty((n_paths, H))
    principal = np.empty((n_paths, H))
    defaults = np.empty(n_paths)
    losses = np.empty(n_paths)
    total = np.zeros((H, k.N_COLS))
    ranges = list(plan(1, n_paths, None, chunk_paths, slots).ranges())
    shared = executor.share(pi)
    tasks = [(shared, mortgage_rate[p0:p1]) for p0, p1 in ranges]

    def add_in_order(i: int, cols: np.ndarray) -> None:
        nonlocal total
        for row in cols:  # path order: the mean does not depend on the tasks
            total += row

    in_order = InOrder(add_in_order)

    def fold(i: int, part: np.ndarray) -> int:
        p0, p1 = ranges[i]
        cols = part[:, 1:, :]
        cash[p0:p1], principal[p0:p1] = _path_totals(cols)
        defaults[p0:p1] = cols[..., k.C_NEWDEF].sum(axis=1)
        losses[p0:p1] = cols[..., k.C_LOSS].sum(axis=1)
        in_order.add(i, cols)
        return p1 - p0

    run_tasks(executor, project_chunk, tasks, fold, progress, n_paths)
    cf = named_columns(total / n_paths, pi.starting_balance)
    return PathFlows(cash, principal, defaults, losses, _table(cf), False, cf)


def _table(cf: CashFlows) -> dict[str, np.ndarray]:
    return {name: getattr(cf, name) for name in STANDARD_CASHFLOWS}
