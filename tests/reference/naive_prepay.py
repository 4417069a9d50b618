"""Slow, obviously-correct twin of the rate-driven prepayment model and of
the standard model on rate paths.

Written from the model's statement (the ``turnover_refi`` docstring in
``engine/config/assumptions.py``; Richard & Roll 1989), not from the
kernels: plain floats, one loan and one path at a time, burnout as an
explicit sum over the months before, the SIFMA recursion from
``naive_sifma.sifma_default_cash_flows`` with an SMM per month.
"""

from __future__ import annotations

import math

from . import naive_sifma


def refi_smm(
    month: int,
    *,
    age: int,
    note_rate: float,
    mortgage_rates: list[float],
    base_cpr: float,
    ramp_months: float,
    seasonality: list[float],
    start_month: int,
    refi_max_cpr: float,
    refi_midpoint: float,
    refi_slope: float,
    burnout: float,
) -> float:
    """SMM of projection ``month`` (1-based); ``mortgage_rates[m - 1]`` is the
    market rate of month m."""
    calendar = (start_month - 1 + month - 1) % 12  # 0 = January
    turnover = base_cpr * min(1.0, (age + month) / ramp_months) * seasonality[calendar]
    incentive = note_rate - mortgage_rates[month - 1]
    s_curve = refi_max_cpr / (1.0 + math.exp(-(incentive - refi_midpoint) / refi_slope))
    past = sum(max(note_rate - mortgage_rates[j - 1], 0.0) for j in range(1, month))
    cpr = min(turnover + s_curve * math.exp(-burnout * past / 12.0), 0.999)
    return 1.0 - (1.0 - cpr) ** (1.0 / 12.0)


def loan_cash_flows(loan: dict, params: dict, mortgage_rates: list[float], mdr, severity: float, lag: int,
                    advancing: bool = True) -> list[dict]:
    """SIFMA SF C.3 rows of one loan on one path (``naive_sifma`` columns).

    ``loan``: balance, note_rate, servicing_fee, remaining_term, age;
    ``params``: the prepayment model's parameters (``refi_smm`` keywords)."""
    smm = [refi_smm(m, age=loan["age"], note_rate=loan["note_rate"], mortgage_rates=mortgage_rates, **params)
           for m in range(1, loan["remaining_term"] + 1)]
    return naive_sifma.sifma_default_cash_flows(
        loan["balance"],
        100.0 * loan["note_rate"],
        100.0 * (loan["note_rate"] - loan["servicing_fee"]),
        loan["remaining_term"],
        loan["age"],
        smm=smm,
        mdr=mdr,
        severity=severity,
        months_to_liquidation=lag,
        advancing=advancing,
    )


def pool_cash_flow(loans: list[dict], params: dict, mortgage_rates: list[float], mdr, severity: float,
                   lag: int, n_months: int, advancing: bool = True) -> list[float]:
    """Total cash flow to the holder by month (1..n_months) of a pool on one
    path: principal (scheduled, advanced, prepaid, recovered) + net interest
    (with advancing, the interest due on performing and foreclosed loans)."""
    total = [0.0] * n_months
    for loan in loans:
        for row in loan_cash_flows(loan, params, mortgage_rates, mdr, severity, lag, advancing):
            principal = (row["actual_amortization"] + row["amortization_from_defaults"]
                         + row["voluntary_prepayments"] + row["principal_recovery"])
            interest = row["expected_interest"] if advancing else row["actual_interest"]
            total[row["month"] - 1] += principal + interest
    return total
