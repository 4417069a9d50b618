"""All Numba options in one place.

Kernels import ``jit`` / ``pjit`` from here and nothing else from numba's
decorator API, so that caching, parallelism and floating-point flags are set
once for the whole package.

- ``cache=True`` so a second run skips compilation; set the environment
  variable ``ENGINE_NUMBA_CACHE=0`` to turn caching off (for example on a
  read-only install).
- ``fastmath`` is **off**: the kernels do money arithmetic and must match the
  published Standard Formulas to the cent, so no reassociation is allowed.
- ``parallel=True`` only for the top-level kernels that ``prange`` over
  independent blocks; helpers are plain ``nopython`` functions.
"""

from __future__ import annotations

import os

import numba

CACHE = os.environ.get("ENGINE_NUMBA_CACHE", "1") not in ("0", "false", "no")

_BASE = dict(nopython=True, nogil=True, cache=CACHE, fastmath=False, error_model="numpy")


def jit(func=None, **overrides):
    """Serial nopython kernel (usable bare or with keyword overrides)."""
    options = {**_BASE, **overrides}
    if func is None:
        return numba.jit(**options)
    return numba.jit(**options)(func)


def pjit(func=None, **overrides):
    """Parallel nopython kernel: loops written with ``prange`` run on all cores."""
    options = {**_BASE, "parallel": True, **overrides}
    if func is None:
        return numba.jit(**options)
    return numba.jit(**options)(func)


prange = numba.prange

# Loans are split into this many fixed blocks before a parallel kernel runs.
# The split depends only on the number of loans, never on the thread count, and
# the per-block partial sums are reduced in block order: results are
# bit-identical for any NUMBA_NUM_THREADS.
N_BLOCKS = 64


def block_bounds(n_items: int, n_blocks: int = N_BLOCKS):
    """Start offsets of ``n_blocks`` contiguous, near-equal blocks (length n_blocks + 1)."""
    import numpy as np

    n_blocks = max(1, min(n_blocks, n_items))
    return np.linspace(0, n_items, n_blocks + 1).round().astype(np.int64)
