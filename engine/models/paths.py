"""What a cash-flow model returns when it projects a pool on rate paths."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["PathFlows"]


@dataclass(frozen=True)
class PathFlows:
    """Cash flows on every rate path (p = paths, t = months 1..H).

    cash : float64[p, t] total cash flow to the holder [currency].
    principal : float64[p, t] total principal [currency].
    defaults : float64[p] cumulative defaults of each path [currency]
        (standard model: new defaults; state model: balance taken to REO).
    losses : float64[p] cumulative losses of each path [currency]
        (standard model: principal losses; state model: net losses).
    columns : the model's ``cashflows`` table as path means by month
        (name -> float64[t]; ``month``, ``total_cash_flow`` and
        ``total_principal`` always among them).
    same_on_every_path : the arrays have one row that stands for every
        path (a rate-blind prepayment model on deterministic events).
    details : the model's own result (``CashFlows`` of the path means,
        ``StateSums``), for embedding.
    """

    cash: np.ndarray
    principal: np.ndarray
    defaults: np.ndarray
    losses: np.ndarray
    columns: dict[str, np.ndarray]
    same_on_every_path: bool
    details: Any = None

    @property
    def n_months(self) -> int:
        return self.cash.shape[1]
