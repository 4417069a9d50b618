"""The state model's per-loan holder cash flows, one block of loans and one
chunk of paths at a time.

:func:`simulate_block` runs the state kernel (sampled integration) on a
block of the tape's loans and paths ``p0 .. p1 - 1`` and returns, beside
the usual tick columns (for these loans) and per-loan outcome ticks, each
loan's holder cash per path and month, how each loan-path ended and when
(:mod:`engine.kernels.holder`). The kernel sees the block's global loan
index, so every random number is the one the whole-tape run draws: the tick
columns of all blocks add up, exactly, to the projection's.

Memory: a block holds (loans x paths x months) int64 ticks; callers size
blocks with :func:`block_shape` and reduce each block's flows at once (a
pricing task: :func:`engine.runs.pricing.price_block`), so nothing ever
holds the whole tape x paths x months.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..kernels.holder import holder_on
from .state import KernelInputs, StatePart, simulate_chunk

# holder cash of one block (int64 ticks); a block's float copies take a few times this
HOLDER_BLOCK_BYTES = 64 * 2**20
# fewest paths per kernel call: each call recomputes every loan's schedules
MIN_CHUNK_PATHS = 16


@dataclass(frozen=True)
class HolderBlock:
    """What one block of loans on one chunk of paths returns.

    state : the state model's part of the block (tick columns, per-loan
        outcome ticks; :class:`engine.models.state.StatePart`).
    cf : int64 (loans, paths, horizon + 1) holder cash [ticks of 1 / TICKS
        currency]; month 0 is 0 (the purchase is the caller's).
    outcome : int8 (loans, paths) resolution code (``R_*``).
    resolved : int32 (loans, paths) month of resolution (horizon if unresolved).
    """

    state: StatePart
    cf: np.ndarray
    outcome: np.ndarray
    resolved: np.ndarray


def block_shape(n_loans: int, n_paths: int, horizon: int, chunk_paths: int) -> tuple[int, int]:
    """``(paths per chunk, loans per block)``.

    Whole-tape blocks on chunks of paths small enough that the block's holder
    cash stays within :data:`HOLDER_BLOCK_BYTES`, but never below
    :data:`MIN_CHUNK_PATHS` paths (nor above ``chunk_paths``); with a tape too
    large for that, blocks of fewer loans. Neither choice changes a result.
    """
    per_loan_path = (horizon + 1) * 8
    paths = HOLDER_BLOCK_BYTES // max(1, n_loans * per_loan_path)
    paths = max(1, min(n_paths, chunk_paths, max(MIN_CHUNK_PATHS, paths)))
    loans = max(1, min(n_loans, HOLDER_BLOCK_BYTES // (paths * per_loan_path)))
    return paths, loans


def simulate_block(
    ki: KernelInputs,
    p0: int,
    p1: int,
    fee_performing: float,
    fee_nonperforming: float,
    n_blocks: int | None = None,
) -> HolderBlock:
    """Run ``ki``'s loans (a block of the tape: :meth:`KernelInputs.block`)
    on paths ``p0 .. p1 - 1`` with holder outputs. A pure function.

    Parameters
    ----------
    ki : the resolved kernel inputs (sampled integration) of the block.
    p0, p1 : the paths (global indexes).
    fee_performing, fee_nonperforming : the holder's monthly servicing cost
        per loan, current / not current at the month's start [currency].
    n_blocks : kernel loan blocks (parallel work units); default two per thread.
    """
    if not ki.sampled:
        raise ValueError("holder cash flows need the sampled integration")
    holder = holder_on(ki.n_loans, p1 - p0, ki.horizon, fee_performing, fee_nonperforming)
    state = simulate_chunk(ki, p0, p1, n_blocks, holder)
    return HolderBlock(state, holder.cf, holder.outcome, holder.resolved)
