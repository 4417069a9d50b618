"""SIFMA Standard Formulas cash flows on interest-rate paths.

For each rate path, every loan runs the SIFMA SF C.3 recursion of
:func:`engine.kernels.standard.project_loan` (the one home of that
recursion) with its own monthly SMM on that path, from the rate-driven
prepayment model :func:`engine.kernels.prepayment.refi_smm_path` and the
path's market mortgage rates. Default rates (MDR) come from the usual rate
table. The loans of a path are summed in tape order into that path's
``months x columns`` slice.

Prepayment keys: a loan's SMM on a path depends on its note rate and, through
the seasoning ramp, on ``min(age, ramp_months)`` only (beyond the ramp the
seasoning factor is exactly 1). Loans that share both share their SMM
vector bit for bit, so each path computes one vector per distinct *key*
(``prepay_keys``) and each loan reads its key's row: the same numbers as
computing it loan by loan, at a fraction of the cost when keys repeat.

Parallel over paths: each path is computed by one thread, loans in a fixed
order, so results are bit-identical for any thread count or chunking.

Dimensions: l = loans, k = prepayment keys, p = paths (of the chunk),
t = months (index 0 unused), c = columns (``engine.kernels.standard.C_*``).
"""

from __future__ import annotations

import numpy as np

from ..jit import pjit, prange
from .prepayment import refi_smm_path
from .standard import Speeds, project_loan


@pjit
def project_paths(
    key_of_loan,  # int64[l] the prepayment key (row of the SMM table) of each loan
    key_age,  # int64[k] seasoning age of each key [months]
    key_rate,  # float64[k] note rate of each key [annual decimal]
    loans,  # PoolLoans of float64/int64[l]
    prepay,  # PrepayParams (the rate-driven model)
    mdr_table,  # float64[m] monthly default rates
    mdr_by_age,  # bool: mdr_table indexed by loan age (else by month)
    loss,  # LossTerms
    mortgage_rate,  # float64[p, t] each path's market mortgage rate of month t
    out,  # float64[p, t, c] zeroed
):
    """SIFMA SF C.3 pool cash flows of each path into ``out[p]``."""
    n_paths = mortgage_rate.shape[0]
    n_keys = key_age.shape[0]
    n_loans = key_of_loan.shape[0]
    h = out.shape[1]
    for p in prange(n_paths):
        smm = np.empty((n_keys, h))
        for k in range(n_keys):
            refi_smm_path(smm[k], prepay, key_age[k], key_rate[k], mortgage_rate[p])
        ring_q = np.empty(loss.lag + 1)
        ring_def = np.empty(loss.lag + 1)
        op = out[p]
        for l in range(n_loans):
            speeds = Speeds(smm[key_of_loan[l]], False, mdr_table, mdr_by_age)
            project_loan(
                op,
                ring_q,
                ring_def,
                loans.balance[l],
                loans.gross_rate[l],
                loans.servicing[l],
                loans.term[l],
                loans.age[l],
                speeds,
                loss,
            )
