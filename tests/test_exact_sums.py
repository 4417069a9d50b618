"""The exact sums behind order-free reduction: int64 halves added without
overflow and rounded once, and the per-loan tick scales of the kernel and of
Python agreeing to the bit. References: Python's arbitrary-precision ints
and ``float(int)`` (correctly rounded)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.kernels import state as ks
from engine.models.state import ExactSum

int64s = st.integers(-(2**62), 2**62)


@settings(max_examples=200)
@given(st.lists(st.lists(int64s, min_size=3, max_size=3), min_size=1, max_size=40), st.integers(0, 2**20))
def test_exact_sum_is_the_integer_sum_rounded_once(rows, repeat):
    x = np.array(rows, dtype=np.int64)
    acc = ExactSum((3,))
    acc.add(x, axis=0)
    for _ in range(min(repeat, 3)):  # and again, row by row into slots
        for row in x:
            acc.add(row)
    times = 1 + min(repeat, 3)
    want = [sum(int(v) for v in x[:, c]) * times for c in range(3)]
    assert list(acc.exact()) == want
    assert acc.to_float().tolist() == [float(w) for w in want]


def test_exact_sum_does_not_overflow_where_int64_would():
    big = np.full((1000, 1), 2**62, dtype=np.int64)
    acc = ExactSum((1,))
    for _ in range(100):
        acc.add(big, axis=0)
    assert acc.exact()[0] == 100 * 1000 * 2**62  # 2^78.6: far beyond int64
    assert acc.to_float()[0] == float(100 * 1000 * 2**62)


@given(st.lists(st.floats(0, 1e10), min_size=4, max_size=4))
def test_kernel_and_python_tick_scales_agree(amounts):
    balance, arrears, deferred, value0 = amounts
    kernel = ks.loan_tick_scale(balance, arrears, deferred, value0)
    loans = type("L", (), {k: np.array([v]) for k, v in zip(("balance", "arrears", "deferred", "value0"), amounts)})
    assert ks.loan_tick_scales(loans)[0] == kernel
    # a power of two putting the loan's amount between 2^39 and 2^40 ticks
    assert np.log2(kernel) == int(np.log2(kernel))
    assert 2.0**39 <= (balance + arrears + deferred + value0 + 1.0) * kernel < 2.0**40
