"""Per-loan holder outputs of the state kernel's sampled integration.

A note investor needs, for every loan and path, the cash the holder receives
each month, how the loan ended and when. :func:`.integration.simulate` fills
these in the same pass that books the pool columns, when it is given a
:class:`HolderArrays` with ``on`` set; otherwise it writes nothing here and
no existing number changes.

Dimensions: l = loans (of the kernel call), p = paths (of the chunk),
t = months (index 0 is left to the caller: the purchase).

Holder cash of a loan in month t [int64 ticks of 1 / TICKS currency]: the
change, over that loan's month, of the row's cash columns as
:func:`holder_cash` sums them (the kernel books one loan's month at a time,
so the difference is that loan's), less the holder's servicing cost of the
month: ``fee_performing`` when the loan is current at the month's start,
``fee_nonperforming`` otherwise (delinquent, in foreclosure or REO), charged
every month the loan is live at the month's start.

Resolution codes (``R_*``), from the loan's last event on the path:

- ``R_PERFORMING``: paid off (prepaid or matured) on original terms,
  including after curing on its own;
- ``R_MODIFIED``: paid off after a modification;
- ``R_DEED_IN_LIEU``: the property came to the holder by a deed-in-lieu and
  was sold;
- ``R_FORECLOSURE``: the property was sold after a foreclosure sale (or an
  REO sale of a loan that started in REO);
- ``R_UNRESOLVED``: still live at the horizon (its month is the horizon).

A modified loan that later ends in a sale counts as deed-in-lieu or
foreclosure.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..jit import jit
from .state import (
    S_ADVANCES, S_ARREARS_PAID, S_DEFERRED_PAID, S_DIL_COST, S_HOLDING, S_INTEREST, S_LEGAL,
    S_PREPAY, S_PROCEEDS, S_SCHED_PRIN,
)

# --- resolution codes (outcome arrays) -------------------------------------
R_PERFORMING = 0
R_MODIFIED = 1
R_DEED_IN_LIEU = 2
R_FORECLOSURE = 3
R_UNRESOLVED = 4
N_R = 5

RESOLUTION_NAMES = ("performing", "modified", "deed_in_lieu", "foreclosure", "unresolved")


class HolderArrays(NamedTuple):
    """Holder outputs of one kernel call (sampled integration only).

    With ``on`` False the arrays may be empty and nothing is written.
    """

    on: bool
    cf: np.ndarray  # int64[l, p, t] holder cash [ticks]; month 0 untouched; zeroed by the caller
    outcome: np.ndarray  # int8[l, p] R_* code
    resolved: np.ndarray  # int32[l, p] month of resolution (horizon when unresolved)
    fee_performing: float  # holder servicing cost per month, loan current [currency]
    fee_nonperforming: float  # per month, loan delinquent, in foreclosure or REO [currency]


def holder_off() -> HolderArrays:
    """No holder outputs (the projection)."""
    return HolderArrays(
        False,
        np.zeros((0, 0, 0), dtype=np.int64),
        np.zeros((0, 0), dtype=np.int8),
        np.zeros((0, 0), dtype=np.int32),
        0.0,
        0.0,
    )


def holder_on(
    n_loans: int, n_paths: int, horizon: int, fee_performing: float, fee_nonperforming: float
) -> HolderArrays:
    """Zeroed holder outputs for ``n_loans`` x ``n_paths`` x months 0..horizon."""
    return HolderArrays(
        True,
        np.zeros((n_loans, n_paths, horizon + 1), dtype=np.int64),
        np.full((n_loans, n_paths), R_UNRESOLVED, dtype=np.int8),
        np.full((n_loans, n_paths), horizon, dtype=np.int32),
        float(fee_performing),
        float(fee_nonperforming),
    )


@jit
def holder_cash(row):
    """Everything the holder receives less what it pays out, from a tick row
    (``S_*`` columns): principal, prepayments, net interest, arrears and
    deferred balance collected, sale proceeds, less advances, legal, holding
    and deed-in-lieu costs. The same sum as ``total_cash_flow`` in
    :func:`engine.models.state.derived` (a test pins the two together)."""
    return (
        row[S_SCHED_PRIN] + row[S_PREPAY] + row[S_INTEREST] + row[S_ARREARS_PAID] + row[S_DEFERRED_PAID]
        + row[S_PROCEEDS] - row[S_ADVANCES] - row[S_LEGAL] - row[S_HOLDING] - row[S_DIL_COST]
    )
