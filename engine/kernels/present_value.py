"""Present values of many cash-flow vectors at a few discount rates at once.

Dimensions: n = vectors, t = months (column 0 is month 1), k = discount rates.

Each vector's value is summed month by month in month order, so it is the
same to the bit whatever else is in the call (how many vectors, which
chunk, how many threads); a BLAS matrix product blocks its sums by the
matrix shape and does not promise that. Months after a vector's last
non-zero month are skipped when the caller knows it (``last``).
"""

from __future__ import annotations

from ..jit import pjit, prange


@pjit
def pv_many(
    cf,  # float64[n, t] flows, month 1 first (any row stride) [currency]
    last,  # int64[n] months to sum for each vector (<= t); later months must be 0
    factors,  # float64[t, k] discount factor of month t + 1 at rate j
    out,  # float64[n, k] present values [currency]
):
    n = cf.shape[0]
    k = factors.shape[1]
    for i in prange(n):
        for j in range(k):
            out[i, j] = 0.0
        for t in range(last[i]):
            c = cf[i, t]
            if c != 0.0:
                for j in range(k):
                    out[i, j] += c * factors[t, j]
