"""Level-payment amortisation: the one home of the schedule formulas.

A level-payment loan at monthly rate ``c`` with ``n`` payments left pays
``c / (1 - (1 + c)^-n)`` of its balance each month; of that, the scheduled
principal is the fraction ``c / ((1 + c)^n - 1)`` of the balance (``1/n`` at a
zero rate). Both are written with ``expm1``/``log1p`` so that tiny rates do
not lose every digit to cancellation.

Dimensions: t = months (index 0 unused, month 1 is the first payment).
"""

from __future__ import annotations

import math

from ..jit import jit


@jit
def level_payment(rate_monthly, n_payments):
    """Payment per unit of balance of a level-payment loan [fraction of balance]:
    ``c / (1 - (1 + c)^-n)``, or ``1/n`` at a zero rate."""
    if rate_monthly > 0.0:
        # 1 - (1 + c)^-n written without cancellation
        return rate_monthly / -math.expm1(-n_payments * math.log1p(rate_monthly))
    return 1.0 / n_payments


@jit
def amort_schedule(out_am, rate_annual, maturity):
    """Fraction of the balance due as scheduled principal in each month t
    (``out_am[t]``, t >= 1) of a level-payment loan maturing in month
    ``maturity``: with n = maturity - t + 1 payments left, c / ((1 + c)^n - 1)
    (1/n at a zero rate); 1 from maturity on.

    Equals ``1 - S(t)/S(t-1)`` of the scheduled-balance recursion
    ``S(t) = S(t-1) (1 + c) - level_payment(c, n)`` that the SIFMA kernel
    runs inline (``engine.kernels.standard.project_loan``); a test pins the two.
    """
    c = rate_annual / 12.0
    # gm1 = (1 + c)^n - 1, kept without cancellation for tiny rates:
    # expm1/log1p once, then (1+c)^(n-1) - 1 = (gm1 - c) / (1 + c)
    gm1 = math.expm1(maturity * math.log1p(c))
    for t in range(1, out_am.shape[0]):
        n = maturity - t + 1
        if n <= 1:
            out_am[t] = 1.0
        elif c > 0.0:
            out_am[t] = c / gm1
        else:
            out_am[t] = 1.0 / n
        gm1 = (gm1 - c) / (1.0 + c)
