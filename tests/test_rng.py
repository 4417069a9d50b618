"""Tests of engine.kernels.rng: Threefry-2x64 known answers, uniformity, independence.

Known-answer vectors: Random123's ``tests/kat_vectors`` (D. E. Shaw Research),
lines ``threefry2x64 13|20|32 ...``, as copied verbatim in the public
repository KaroshiBee/randii, file ``tests/data/kat_vectors``
(commit ca9a877182fff2370f50a379a1e10726ee23be04). Format of a line::

    threefry2x64 ROUNDS CTR0 CTR1 KEY0 KEY1 EXPECTED0 EXPECTED1   (hex)

Statistical checks use fixed inputs, so they are deterministic; tolerances
are 5 standard errors.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from engine.kernels import rng
from engine.kernels.rng import (
    PURPOSE_HPI,
    PURPOSE_SEVERITY,
    PURPOSE_TRANSITION,
    PURPOSES,
    normal_pair,
    threefry2x64,
    threefry2x64_rounds,
    u01_open,
    uniform,
    uniform_pair,
)

U64 = np.uint64
MASK = (1 << 64) - 1

# Random123 tests/kat_vectors (via KaroshiBee/randii tests/data/kat_vectors)
KAT_VECTORS = """\
threefry2x64 13 0000000000000000 0000000000000000 0000000000000000 0000000000000000 f167b032c3b480bd e91f9fee4b7a6fb5
threefry2x64 13 ffffffffffffffff ffffffffffffffff ffffffffffffffff ffffffffffffffff ccdec5c917a874b1 4df53abca26ceb01
threefry2x64 13 243f6a8885a308d3 13198a2e03707344 a4093822299f31d0 082efa98ec4e6c89 c3aac71561042993 3fe7ae8801aff316
threefry2x64 20 0000000000000000 0000000000000000 0000000000000000 0000000000000000   c2b6e3a8c2c69865 6f81ed42f350084d
threefry2x64 20 ffffffffffffffff ffffffffffffffff ffffffffffffffff ffffffffffffffff   e02cb7c4d95d277a d06633d0893b8b68
threefry2x64 20 243f6a8885a308d3 13198a2e03707344 a4093822299f31d0 082efa98ec4e6c89   263c7d30bb0f0af1 56be8361d3311526
threefry2x64 32 0000000000000000 0000000000000000 0000000000000000 0000000000000000 38ba854d7f13cfb3 d02fca729d54fadc
threefry2x64 32 ffffffffffffffff ffffffffffffffff ffffffffffffffff ffffffffffffffff 6b532f4f6e288646 0388f1ec135ee18e
threefry2x64 32 243f6a8885a308d3 13198a2e03707344 a4093822299f31d0 082efa98ec4e6c89 dad492f32efbd0c4 b6d7d0cd1f193e84
"""


def _kat():
    rows = []
    for line in KAT_VECTORS.splitlines():
        name, rounds, *words = line.split()
        assert name == "threefry2x64"
        c0, c1, k0, k1, e0, e1 = (int(w, 16) for w in words)
        rows.append((int(rounds), (c0, c1), (k0, k1), (e0, e1)))
    return rows


KAT = _kat()


# --------------------------------------------------------------------------
# naive twin: Random123 threefry.h transcribed with Python ints


def naive_threefry2x64(c0, c1, k0, k1, rounds=20):
    rot = (16, 42, 12, 31, 16, 32, 24, 21)
    ks = (k0, k1, 0x1BD11BDAA9FC1A22 ^ k0 ^ k1)
    x0 = (c0 + ks[0]) & MASK
    x1 = (c1 + ks[1]) & MASK
    for r in range(rounds):
        x0 = (x0 + x1) & MASK
        n = rot[r % 8]
        x1 = ((x1 << n) | (x1 >> (64 - n))) & MASK
        x1 ^= x0
        if r % 4 == 3:
            s = r // 4 + 1
            x0 = (x0 + ks[s % 3]) & MASK
            x1 = (x1 + ks[(s + 1) % 3] + s) & MASK
    return x0, x1


# --------------------------------------------------------------------------
# known answers


@pytest.mark.parametrize("rounds, ctr, key, expected", [r for r in KAT if r[0] == 20])
def test_threefry2x64_20_known_answers(rounds, ctr, key, expected):
    out = threefry2x64(U64(ctr[0]), U64(ctr[1]), U64(key[0]), U64(key[1]))
    assert (int(out[0]), int(out[1])) == expected


@pytest.mark.parametrize("rounds, ctr, key, expected", KAT)
def test_threefry2x64_rounds_known_answers(rounds, ctr, key, expected):
    out = threefry2x64_rounds(U64(ctr[0]), U64(ctr[1]), U64(key[0]), U64(key[1]), rounds)
    assert (int(out[0]), int(out[1])) == expected


@pytest.mark.parametrize("rounds, ctr, key, expected", KAT)
def test_naive_twin_known_answers(rounds, ctr, key, expected):
    assert naive_threefry2x64(*ctr, *key, rounds=rounds) == expected


_u64 = st.integers(min_value=0, max_value=MASK)


@given(_u64, _u64, _u64, _u64)
def test_threefry_matches_naive_twin(c0, c1, k0, k1):
    got = threefry2x64(U64(c0), U64(c1), U64(k0), U64(k1))
    assert (int(got[0]), int(got[1])) == naive_threefry2x64(c0, c1, k0, k1)
    got13 = threefry2x64_rounds(U64(c0), U64(c1), U64(k0), U64(k1), 13)
    assert (int(got13[0]), int(got13[1])) == naive_threefry2x64(c0, c1, k0, k1, rounds=13)


def test_rounds_out_of_range():
    with pytest.raises(ValueError):
        threefry2x64_rounds(0, 0, 0, 0, 33)


# --------------------------------------------------------------------------
# counter layout and conversion


@given(
    seed=_u64,
    path=st.integers(0, 2**32 - 1),
    loan=st.integers(0, 2**32 - 1),
    month=st.integers(0, 2**40),
    purpose=st.sampled_from(sorted(PURPOSES.values())),
)
def test_uniform_pair_layout(seed, path, loan, month, purpose):
    x0, x1 = naive_threefry2x64((path << 32) | loan, month, seed, purpose)
    expected = ((x0 >> 12) * 2.0**-52 + 2.0**-53, (x1 >> 12) * 2.0**-52 + 2.0**-53)
    got = uniform_pair(U64(seed), U64(path), U64(loan), U64(month), U64(purpose))
    assert got == expected
    assert uniform(U64(seed), U64(path), U64(loan), U64(month), U64(purpose)) == expected[0]


def test_u01_open_endpoints():
    lo = u01_open(U64(0))
    hi = u01_open(U64(MASK))
    assert lo == 2.0**-53 and lo > 0.0
    assert hi == 1.0 - 2.0**-53 and hi < 1.0
    # why 52 bits: the 53-bit midpoint grid rounds its top point to exactly 1.0
    assert (2**53 - 1) * 2.0**-53 + 2.0**-54 == 1.0


@pytest.mark.parametrize("path, loan", [(2**32, 0), (0, 2**32), (-1, 0), (0, -1)])
def test_path_and_loan_limits(path, loan):
    with pytest.raises(ValueError, match="2\\*\\*32"):
        uniform_pair(1, path, loan, 1, PURPOSE_TRANSITION)


def test_purpose_registry_unique():
    codes = list(PURPOSES.values())
    assert len(codes) == len(set(codes))
    assert PURPOSES["transition"] == 1 and PURPOSES["severity"] == 2 and PURPOSES["hpi"] == 3
    for name, code in PURPOSES.items():
        assert getattr(rng, f"PURPOSE_{name.upper()}") == code


# --------------------------------------------------------------------------
# bulk draws (test-only kernels; p = paths, l = loans, t = months)


@numba.njit(cache=False)
def _grid(seed, n_paths, n_loans, n_months, purpose, path0, loan0, month0):
    out = np.empty((n_paths, n_loans, n_months, 2))
    for p in range(n_paths):
        for ln in range(n_loans):
            for t in range(n_months):
                u0, u1 = uniform_pair(seed, path0 + p, loan0 + ln, month0 + t, purpose)
                out[p, ln, t, 0] = u0
                out[p, ln, t, 1] = u1
    return out


@numba.njit(cache=False)
def _normals(seed, n, purpose):
    out = np.empty((n, 2))
    for t in range(n):
        z0, z1 = normal_pair(seed, 7, 11, t, purpose)
        out[t, 0] = z0
        out[t, 1] = z1
    return out


SEED = 20240917
N = 1_000_000


@pytest.fixture(scope="module")
def draws():
    # 10 paths x 100 loans x 500 months x 2 words = 1e6 uniforms
    return _grid(SEED, 10, 100, 500, PURPOSE_TRANSITION, 0, 0, 1)


def test_uniforms_open_interval(draws):
    assert draws.size == N
    assert draws.min() > 0.0 and draws.max() < 1.0


def test_uniform_mean_and_variance(draws):
    u = draws.ravel()
    n = u.size
    assert abs(u.mean() - 0.5) < 5 * math.sqrt(1 / 12 / n)
    se_var = math.sqrt((1 / 80 - 1 / 144) / n)
    assert abs(u.var() - 1 / 12) < 5 * se_var


def test_uniform_chi_square(draws):
    counts, _ = np.histogram(draws.ravel(), bins=100, range=(0.0, 1.0))
    assert stats.chisquare(counts).pvalue > 1e-4
    # the low bits matter too: the lowest 8 of the 52 bits kept, 256 cells
    low = (draws.ravel()[:200_000] * 2**52).astype(np.int64) & 0xFF
    counts_low = np.bincount(low, minlength=256)
    assert stats.chisquare(counts_low).pvalue > 1e-4


def test_normal_moments():
    z = _normals(SEED, N // 2, PURPOSE_SEVERITY).ravel()
    n = z.size
    assert abs(z.mean()) < 5 / math.sqrt(n)
    assert abs(z.var() - 1.0) < 5 * math.sqrt(2 / n)
    assert abs(stats.skew(z)) < 5 * math.sqrt(6 / n)
    assert abs(stats.kurtosis(z)) < 5 * math.sqrt(24 / n)
    assert np.all(np.abs(z) <= math.sqrt(-2 * math.log(2.0**-53)) + 1e-12)
    r = np.corrcoef(z[0::2], z[1::2])[0, 1]  # z0 vs z1 of the same call
    assert abs(r) < 5 / math.sqrt(n / 2)


def _corr_ok(a, b):
    a = a.ravel()
    b = b.ravel()
    r = np.corrcoef(a, b)[0, 1]
    return abs(r) < 5 / math.sqrt(a.size), r


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_no_correlation_between_neighbouring_counters(draws, axis):
    u0 = draws[..., 0]
    a = np.take(u0, np.arange(u0.shape[axis] - 1), axis=axis)
    b = np.take(u0, np.arange(1, u0.shape[axis]), axis=axis)
    ok, r = _corr_ok(a, b)
    assert ok, f"axis {axis}: r = {r}"


def test_no_correlation_between_words_of_a_call(draws):
    ok, r = _corr_ok(draws[..., 0], draws[..., 1])
    assert ok, r


def test_no_correlation_between_neighbouring_purposes_and_seeds(draws):
    shape = (10, 100, 500)
    other_purpose = _grid(SEED, *shape, PURPOSE_TRANSITION + 1, 0, 0, 1)
    ok, r = _corr_ok(draws[..., 0], other_purpose[..., 0])
    assert ok, r
    other_seed = _grid(SEED + 1, *shape, PURPOSE_TRANSITION, 0, 0, 1)
    ok, r = _corr_ok(draws[..., 0], other_seed[..., 0])
    assert ok, r


def test_path_loan_fields_do_not_alias():
    # (path, loan) = (0, 2**32 - 1) and (1, 0) are adjacent counters, not equal
    a = uniform_pair(SEED, 0, 2**32 - 1, 5, PURPOSE_TRANSITION)
    b = uniform_pair(SEED, 1, 0, 5, PURPOSE_TRANSITION)
    assert a != b


# --------------------------------------------------------------------------
# reproducibility


def test_same_inputs_same_bits(draws):
    again = _grid(SEED, 10, 100, 500, PURPOSE_TRANSITION, 0, 0, 1)
    assert np.array_equal(draws.view(np.uint64), again.view(np.uint64))


def test_chunking_does_not_matter(draws):
    # paths 3..5, loans 40..59, months 101..200 drawn on their own
    part = _grid(SEED, 3, 20, 100, PURPOSE_TRANSITION, 3, 40, 101)
    assert np.array_equal(part.view(np.uint64), draws[3:6, 40:60, 100:200].view(np.uint64))


@numba.njit(cache=False)
def _inside(seed, path, loan, month, purpose):
    u0, u1 = uniform_pair(seed, path, loan, month, purpose)
    z0, z1 = normal_pair(seed, path, loan, month, purpose)
    return u0, u1, z0, z1, uniform(seed, path, loan, month, purpose)


@pytest.mark.parametrize(
    "args",
    [(1, 0, 0, 0, 1), (SEED, 17, 123_456, 360, PURPOSE_HPI), (2**40, 2**32 - 1, 2**32 - 1, 1, 7)],
)
def test_python_call_equals_call_inside_jit(args):
    inside = _inside(*args)
    outside = (*uniform_pair(*args), *normal_pair(*args), uniform(*args))
    assert np.array_equal(np.array(inside).view(np.uint64), np.array(outside).view(np.uint64))
