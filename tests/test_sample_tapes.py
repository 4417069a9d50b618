"""The shipped example tapes are exactly what engine.inputs.sample generates, and they
look like what they claim to be."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from engine.inputs.sample import agency_tape, npl_tape
from engine.inputs.tape import loans_from_table, read_tape

DATA = Path(__file__).resolve().parents[1] / "configs" / "data"


@pytest.mark.parametrize("name, make", [("sample_pool.parquet", agency_tape), ("npl_pool.parquet", npl_tape)])
def test_shipped_tape_regenerates_exactly(name, make):
    assert pq.read_table(DATA / name).equals(make())


def test_agency_pool_looks_like_an_agency_30_year_pool():
    loans = read_tape(DATA / "sample_pool.parquet")
    assert 4000 <= loans.n <= 6000
    assert (loans.original_term == 360).all()
    assert (loans.balance <= 832_750).all() and loans.balance.min() > 10_000  # conforming
    assert np.isin(loans.servicing_fee, [0.0025, 0.00375, 0.005]).all()
    assert 0.02 <= loans.note_rate.min() and loans.note_rate.max() <= 0.09
    assert np.all(np.isclose(loans.note_rate * 800, np.round(loans.note_rate * 800)))  # eighths of a percent
    assert len(np.unique(loans.note_rate)) >= 10  # a spread of coupons, not two
    assert 660 <= np.median(loans.fico) <= 800


def test_npl_pool_mixes_states_and_arrears():
    loans = read_tape(DATA / "npl_pool.parquet")
    assert 400 <= loans.n <= 600
    counts = np.bincount(loans.status, minlength=6)
    assert (counts > 0).all()  # every starting state is present
    dq90 = loans.status == 3
    assert (loans.payments_behind[dq90] >= 3).all()
    behind = loans.payments_behind > 0
    assert (loans.arrears[behind] > 0).all()
    states = set(loans.state)
    assert {"NY", "NJ", "FL"} & states and {"TX", "CA", "GA"} & states  # judicial and non-judicial
    assert np.isfinite(loans.property_value).all()


def test_generators_are_pure_functions_of_size_and_seed():
    assert agency_tape(50, 7).equals(agency_tape(50, 7))
    assert not agency_tape(50, 7).equals(agency_tape(50, 8))
    assert loans_from_table(npl_tape(40, 3)).n == 40
