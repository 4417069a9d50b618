"""Pool statistics at the analysis date and weighted average life.

- WAC, net WAC, WAM, WALA are current-balance weighted (net = gross - servicing).
- WAL [years] = sum(m x principal_m) / sum(principal_m) / 12 with principal =
  scheduled + prepaid + recovered (losses excluded).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..inputs.tape import Loans


@dataclass(frozen=True)
class PoolStats:
    """Current-balance-weighted tape statistics at the analysis date."""

    n_loans: int
    balance: float  # [currency]
    wac: float  # gross note rate [annual decimal]
    net_wac: float  # note rate less servicing [annual decimal]
    wam: float  # remaining term [months]
    wala: float  # age [months]


def pool_stats(loans: Loans) -> PoolStats:
    w = loans.balance
    total = float(w.sum())
    avg = lambda x: float(np.dot(w, x) / total)  # noqa: E731
    return PoolStats(
        n_loans=loans.n,
        balance=total,
        wac=avg(loans.note_rate),
        net_wac=avg(loans.net_rate),
        wam=avg(loans.remaining_term),
        wala=avg(loans.age),
    )


def wal_years(principal: np.ndarray, months: np.ndarray | None = None):
    """Weighted average life in years: sum(t x P_t) / sum(P_t) / 12, over the
    last axis (a float for one vector, an array for paths x months); NaN
    where no principal is paid."""
    principal = np.asarray(principal, dtype=np.float64)
    if months is None:
        months = np.arange(1, principal.shape[-1] + 1)
    total = principal.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        wal = np.where(total > 0, principal @ months / total / 12.0, np.nan)
    return float(wal) if wal.ndim == 0 else wal
