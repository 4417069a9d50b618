"""Reproducible synthetic loan tapes (for the example configs, tests and benchmarks).

``agency_tape`` looks like a seasoned agency 30-year fixed-rate pool: note
rates follow the vintage's market rate (approximate Freddie Mac PMMS annual
averages) plus a borrower spread, balances are log-normal under the
conforming limit, servicing is 25-50 bp. ``npl_tape`` is a pool of
re-performing and non-performing loans: mixed delinquency states, payments
behind with matching arrears, judicial and non-judicial states, property
values off an original LTV and home-price growth.

Both are pure functions of ``(n_loans, seed)``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

# approximate 30-year fixed market rate by origination year (annual decimal)
_MARKET_RATE = {
    2011: 0.0445, 2012: 0.0366, 2013: 0.0398, 2014: 0.0417, 2015: 0.0385, 2016: 0.0365,
    2017: 0.0399, 2018: 0.0454, 2019: 0.0394, 2020: 0.0311, 2021: 0.0296, 2022: 0.0534,
    2023: 0.0681, 2024: 0.0672, 2025: 0.0660, 2026: 0.0630,
}
_ANALYSIS_YEAR = 2026 + 10 / 12  # November 2026
# population-weighted share of loans by state (rounded; the rest spread evenly)
_STATES = {
    "CA": 0.13, "TX": 0.08, "FL": 0.08, "NY": 0.05, "IL": 0.04, "PA": 0.04, "OH": 0.035,
    "GA": 0.035, "NC": 0.035, "MI": 0.03, "NJ": 0.03, "VA": 0.03, "WA": 0.03, "AZ": 0.025,
    "MA": 0.02, "TN": 0.02, "IN": 0.02, "MD": 0.02, "MO": 0.02, "CO": 0.02, "WI": 0.02,
    "MN": 0.02, "SC": 0.02, "AL": 0.015, "LA": 0.015, "KY": 0.015, "OR": 0.015, "OK": 0.01,
    "CT": 0.01, "UT": 0.01, "NV": 0.01, "IA": 0.01, "AR": 0.01, "MS": 0.01, "KS": 0.01,
}
CONFORMING_LIMIT = 832_750.0


def scheduled_balance_factor(rate_monthly: np.ndarray, term: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Scheduled balance after ``age`` of ``term`` level payments, per unit of
    the original balance: (1 - (1 + c)^-(term - age)) / (1 - (1 + c)^-term).

    The closed form of :func:`engine.kernels.amortization.amort_schedule`'s
    fractions (a test pins the two); kept in NumPy's arithmetic so that the
    shipped sample tapes regenerate bit for bit."""
    c = rate_monthly
    return (1 - (1 + c) ** -(term - age)) / (1 - (1 + c) ** -term)


def _states(rng: np.random.Generator, n: int) -> np.ndarray:
    names = list(_STATES)
    p = np.array(list(_STATES.values()))
    return rng.choice(np.array(names, dtype=object), size=n, p=p / p.sum())


def agency_tape(n_loans: int = 5000, seed: int = 20261121) -> pa.Table:
    """A seasoned agency 30-year fixed-rate pool as an Arrow table."""
    rng = np.random.default_rng(seed)
    n = n_loans
    # seasoning: many recent loans, a long tail of older ones (months)
    age = np.minimum(rng.gamma(1.6, 28.0, n).astype(np.int64), 179)
    orig_year = np.floor(_ANALYSIS_YEAR - age / 12.0).astype(int)
    market = np.array([_MARKET_RATE.get(int(y), 0.04) for y in orig_year])
    note_rate = np.round((market + rng.normal(0.0015, 0.0030, n)) * 800) / 800  # eighths of a percent
    note_rate = np.clip(note_rate, 0.02, 0.09)
    servicing = rng.choice([0.0025, 0.00375, 0.0050], size=n, p=[0.7, 0.2, 0.1])
    orig_bal = np.clip(rng.lognormal(np.log(310_000), 0.45, n), 60_000, CONFORMING_LIMIT)
    orig_bal = np.round(orig_bal / 1000) * 1000
    c = note_rate / 12.0
    term = 360
    # scheduled balance after `age` payments, times a curtailment haircut
    factor = scheduled_balance_factor(c, term, age)
    balance = np.round(orig_bal * factor * rng.uniform(0.97, 1.0, n), 2)
    fico = np.clip(np.round(rng.normal(752, 40, n)), 620, 850)
    ltv = np.clip(np.round(rng.normal(0.76, 0.12, n), 3), 0.30, 0.97)
    return pa.table(
        {
            "loan_id": [f"AG{i:06d}" for i in range(1, n + 1)],
            "balance": balance,
            "note_rate": note_rate,
            "servicing_fee": servicing,
            "remaining_term": (term - age).astype(np.int64),
            "age": age,
            "original_term": np.full(n, term, dtype=np.int64),
            "original_balance": orig_bal,
            "fico": fico,
            "ltv": ltv,
            "state": _states(rng, n),
        }
    )


def npl_tape(n_loans: int = 500, seed: int = 20261122) -> pa.Table:
    """Re-performing and non-performing loans with mixed states and arrears."""
    rng = np.random.default_rng(seed)
    n = n_loans
    age = rng.integers(36, 240, n)
    orig_year = np.floor(_ANALYSIS_YEAR - age / 12.0).astype(int)
    market = np.array([_MARKET_RATE.get(int(y), 0.055) for y in orig_year])
    note_rate = np.clip(np.round((market + rng.normal(0.012, 0.012, n)) * 800) / 800, 0.02, 0.11)
    orig_term = np.where(age > 200, 480, 360)
    orig_bal = np.round(np.clip(rng.lognormal(np.log(190_000), 0.55, n), 30_000, 900_000), -3)
    c = note_rate / 12.0
    factor = scheduled_balance_factor(c, orig_term, age)
    balance = np.round(orig_bal * factor, 2)
    status = rng.choice(
        np.array(["current", "dq30", "dq60", "dq90+", "foreclosure", "reo"], dtype=object),
        size=n,
        p=[0.30, 0.10, 0.08, 0.27, 0.22, 0.03],
    )
    behind = np.select(
        [status == "current", status == "dq30", status == "dq60", status == "dq90+"],
        [rng.integers(0, 1, n), np.ones(n, np.int64), np.full(n, 2), rng.integers(3, 30, n)],
        rng.integers(6, 48, n),
    )
    arrears = np.round(behind * balance * note_rate / 12.0, 2)
    escrow = np.round(np.where(behind > 3, behind * rng.uniform(150, 600, n), 0.0), 2)
    deferred = np.round(np.where(rng.random(n) < 0.25, balance * rng.uniform(0.05, 0.25, n), 0.0), 2)
    ltv = np.clip(np.round(rng.normal(0.82, 0.12, n), 3), 0.4, 1.05)
    # current (mark-to-market) LTV of distressed loans: wide, some under water
    mtm_ltv = np.clip(rng.lognormal(np.log(0.85), 0.30, n), 0.30, 1.80)
    property_value = np.round((balance + deferred) / mtm_ltv, -3)
    fico = np.clip(np.round(rng.normal(610, 55, n)), 450, 820)
    return pa.table(
        {
            "loan_id": [f"NP{i:05d}" for i in range(1, n + 1)],
            "balance": balance,
            "note_rate": note_rate,
            "servicing_fee": np.full(n, 0.0050),
            "remaining_term": (orig_term - age).astype(np.int64),
            "age": age.astype(np.int64),
            "original_term": orig_term.astype(np.int64),
            "original_balance": orig_bal,
            "status": status,
            "payments_behind": behind.astype(np.int64),
            "arrears": arrears,
            "escrow_advances": escrow,
            "deferred_balance": deferred,
            "property_value": property_value,
            "state": _states(rng, n),
            "fico": fico,
            "ltv": ltv,
        }
    )


_KINDS = {"agency": (agency_tape, 5000, 20261121), "npl": (npl_tape, 500, 20261122)}


def write_sample_tape(kind: str, path: str | Path, n_loans: int | None = None, seed: int | None = None) -> Path:
    """Write a sample tape as Parquet or CSV (by suffix)."""
    make, default_n, default_seed = _KINDS[kind]
    table = make(n_loans or default_n, default_seed if seed is None else seed)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        import pyarrow.csv as pcsv

        pcsv.write_csv(table, path)
    else:
        import pyarrow.parquet as pq

        pq.write_table(table, path)
    return path
