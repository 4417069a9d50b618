"""Counter-based random numbers: Threefry-2x64-20 keyed by (seed, purpose).

Every random number a loan-level kernel needs is a pure function of
``(seed, path, loan, month, purpose)``. There is no generator state to seed,
share, advance or split, so results are bit-identical for any thread count,
chunking of paths or loans, or number of machines (docs/architecture.md,
"Reproducibility").

The block cipher is Threefry-2x64 with 20 rounds, Random123's default
``threefry2x64`` (Salmon, Moraes, Dror & Shaw (2011), "Parallel random
numbers: as easy as 1, 2, 3", SC'11, doi:10.1145/2063384.2063405), written
exactly as Random123's ``threefry.h``:

- rotation constants ``R_64x2 = (16, 42, 12, 31, 16, 32, 24, 21)``, round
  ``r`` uses ``R_64x2[r % 8]``;
- key schedule ``ks = (k0, k1, k0 ^ k1 ^ 0x1BD11BDAA9FC1A22)`` (the Skein
  key-schedule parity constant ``SKEIN_KS_PARITY64``);
- the key is added before round 0, and after every 4th round ``s``
  (s = 1, 2, ...) ``x0 += ks[s % 3]``, ``x1 += ks[(s + 1) % 3] + s``.

The implementation is checked against Random123's published known-answer
vectors (``tests/kat_vectors``, 13, 20 and 32 rounds) in
``tests/test_rng.py``.

Bit layout
----------
One call of the cipher turns a 128-bit counter into 128 random bits under a
128-bit key:

========  =========================  ==========================================
word      contents                   limits
========  =========================  ==========================================
key[0]    ``seed``                   any 64-bit unsigned integer
key[1]    ``purpose``                a ``PURPOSE_*`` code below
ctr[0]    ``path << 32 | loan``      ``0 <= path < 2**32``, ``0 <= loan < 2**32``
ctr[1]    ``month``                  ``0 <= month < 2**64``
========  =========================  ==========================================

``path`` or ``loan`` outside ``[0, 2**32)`` raises ``ValueError`` (they would
otherwise alias another path's numbers). Indices are zero-based and are the
*global* path and loan indices, never chunk-local ones.

Uniforms
--------
Each 64-bit output word ``x`` becomes a double on a grid of midpoints::

    u = (x >> 12) * 2**-52 + 2**-53        # in [2**-53, 1 - 2**-53]

so ``0 < u < 1`` always holds and ``log(u)``, ``log(1 - u)`` are finite. Why 52
and not 53 bits: the 53-bit midpoint grid ``(x >> 11) * 2**-53 + 2**-54``
needs 54 bits of precision at its top point; ``1 - 2**-54`` is a tie between
the two doubles ``1 - 2**-53`` and ``1.0`` and rounds (to even) to exactly
``1.0``. With 52 bits every grid point is exactly representable.

Purposes (the registry)
-----------------------
Independent streams for independent uses: a kernel that needs a number for a
new use adds a constant here, never reuses another's. Changing a code changes
every result that depends on it.

=====================  ====  ===================================================
name                   code  used for
=====================  ====  ===================================================
PURPOSE_TRANSITION     1     a loan's monthly state transition (prepay, roll,
                             cure, default ...): one uniform per loan-month
PURPOSE_SEVERITY       2     liquidation / REO sale price noise
PURPOSE_HPI            3     home-price shocks (also the tag of
                             ``engine.economy.hpi``'s numpy generator, ``[seed, 3, p]``)
PURPOSE_RATES          4     interest-rate shocks drawn counter-based
PURPOSE_LOSS_MIT       5     choice among modification, deed-in-lieu and
                             reinstatement
PURPOSE_TIMELINE       6     random foreclosure / REO duration
PURPOSE_PROPERTY       7     idiosyncratic property value around the index
=====================  ====  ===================================================

Cost
----
Measured on the development machine (x86-64, 2 cores, numba 0.68, one
thread), timing a ``@jit`` loop over 10**7 consecutive months that sums the
outputs (compile time excluded, best of 3): ``uniform_pair`` about 9 ns per
call, ``normal_pair`` about 44 ns (log, sqrt, sin and cos dominate), the bare
``threefry2x64`` about 2 ns (that loop XOR-reduces the words, which LLVM can
vectorise). A call from the Python interpreter costs about 260 ns, nearly all
dispatch overhead: kernels should call these functions from nopython code.
Python ints of 2**63 or more are best passed as ``numpy.uint64`` (numba's
dispatcher may have typed the argument as int64 on an earlier call).
"""

from __future__ import annotations

import math

import numpy as np

from ..jit import jit

__all__ = [
    "PURPOSES",
    "PURPOSE_HPI",
    "PURPOSE_LOSS_MIT",
    "PURPOSE_PROPERTY",
    "PURPOSE_RATES",
    "PURPOSE_SEVERITY",
    "PURPOSE_TIMELINE",
    "PURPOSE_TRANSITION",
    "normal",
    "normal_pair",
    "threefry2x64",
    "threefry2x64_rounds",
    "u01_open",
    "uniform",
    "uniform_pair",
]

# --------------------------------------------------------------------------
# the registry of purposes (see the module docstring)

PURPOSE_TRANSITION = 1
PURPOSE_SEVERITY = 2
PURPOSE_HPI = 3
PURPOSE_RATES = 4
PURPOSE_LOSS_MIT = 5
PURPOSE_TIMELINE = 6
PURPOSE_PROPERTY = 7

PURPOSES = {
    "transition": PURPOSE_TRANSITION,
    "severity": PURPOSE_SEVERITY,
    "hpi": PURPOSE_HPI,
    "rates": PURPOSE_RATES,
    "loss_mit": PURPOSE_LOSS_MIT,
    "timeline": PURPOSE_TIMELINE,
    "property": PURPOSE_PROPERTY,
}

# --------------------------------------------------------------------------
# Threefry-2x64 constants (Random123 threefry.h)

DEFAULT_ROUNDS = 20
MAX_ROUNDS = 32
_PARITY = np.uint64(0x1BD11BDAA9FC1A22)  # SKEIN_KS_PARITY64
_R0 = np.uint64(16)
_R1 = np.uint64(42)
_R2 = np.uint64(12)
_R3 = np.uint64(31)
_R4 = np.uint64(16)
_R5 = np.uint64(32)
_R6 = np.uint64(24)
_R7 = np.uint64(21)
_U64 = np.uint64(64)
_ZERO = np.uint64(0)
_ONE = np.uint64(1)
_TWO = np.uint64(2)
_THREE = np.uint64(3)
_FOUR = np.uint64(4)
_FIVE = np.uint64(5)
_SHIFT_PATH = np.uint64(32)
_SHIFT_U01 = np.uint64(12)
_LOW32 = np.uint64(0xFFFFFFFF)
_TWO_M52 = 2.0**-52
_TWO_M53 = 2.0**-53
_TWO_PI = 2.0 * math.pi


@jit
def _rotl(x, r):
    """Rotate the uint64 ``x`` left by ``r`` bits (0 < r < 64)."""
    return (x << r) | (x >> (_U64 - r))


@jit
def _mix(x0, x1, r):
    """One Threefry MIX round: x0 += x1; x1 = rotl(x1, r) ^ x0."""
    x0 = x0 + x1
    x1 = _rotl(x1, r) ^ x0
    return x0, x1


@jit
def threefry2x64(c0, c1, k0, k1):
    """Threefry-2x64 with 20 rounds (Random123's default ``threefry2x64``).

    Parameters
    ----------
    c0, c1 : int or uint64
        The 128-bit counter; values are taken modulo 2**64.
    k0, k1 : int or uint64
        The 128-bit key; values are taken modulo 2**64.

    Returns
    -------
    (x0, x1) : (uint64, uint64)
        128 random bits.

    Notes
    -----
    Unrolled equivalent of ``threefry2x64_rounds(c0, c1, k0, k1, 20)``;
    key injections after rounds 4, 8, 12, 16 and 20.
    """
    k0 = np.uint64(k0)
    k1 = np.uint64(k1)
    ks2 = _PARITY ^ k0 ^ k1
    x0 = np.uint64(c0) + k0
    x1 = np.uint64(c1) + k1
    # rounds 0-3, inject s = 1
    x0, x1 = _mix(x0, x1, _R0)
    x0, x1 = _mix(x0, x1, _R1)
    x0, x1 = _mix(x0, x1, _R2)
    x0, x1 = _mix(x0, x1, _R3)
    x0 = x0 + k1
    x1 = x1 + ks2 + _ONE
    # rounds 4-7, inject s = 2
    x0, x1 = _mix(x0, x1, _R4)
    x0, x1 = _mix(x0, x1, _R5)
    x0, x1 = _mix(x0, x1, _R6)
    x0, x1 = _mix(x0, x1, _R7)
    x0 = x0 + ks2
    x1 = x1 + k0 + _TWO
    # rounds 8-11, inject s = 3
    x0, x1 = _mix(x0, x1, _R0)
    x0, x1 = _mix(x0, x1, _R1)
    x0, x1 = _mix(x0, x1, _R2)
    x0, x1 = _mix(x0, x1, _R3)
    x0 = x0 + k0
    x1 = x1 + k1 + _THREE
    # rounds 12-15, inject s = 4
    x0, x1 = _mix(x0, x1, _R4)
    x0, x1 = _mix(x0, x1, _R5)
    x0, x1 = _mix(x0, x1, _R6)
    x0, x1 = _mix(x0, x1, _R7)
    x0 = x0 + k1
    x1 = x1 + ks2 + _FOUR
    # rounds 16-19, inject s = 5
    x0, x1 = _mix(x0, x1, _R0)
    x0, x1 = _mix(x0, x1, _R1)
    x0, x1 = _mix(x0, x1, _R2)
    x0, x1 = _mix(x0, x1, _R3)
    x0 = x0 + ks2
    x1 = x1 + k0 + _FIVE
    return x0, x1


@jit
def _rotation(r):
    """Rotation constant of round ``r`` (R_64x2[r % 8])."""
    i = r % 8
    if i == 0:
        return _R0
    if i == 1:
        return _R1
    if i == 2:
        return _R2
    if i == 3:
        return _R3
    if i == 4:
        return _R4
    if i == 5:
        return _R5
    if i == 6:
        return _R6
    return _R7


@jit
def threefry2x64_rounds(c0, c1, k0, k1, rounds):
    """Threefry-2x64 with a given number of rounds (0 to 32).

    The generic form of ``threefry2x64`` (Random123 ``threefry2x64_R``), for
    the known-answer tests at 13 and 32 rounds; simulation code uses the
    20-round ``threefry2x64``.

    Parameters
    ----------
    c0, c1, k0, k1 : int or uint64
        Counter and key words, modulo 2**64.
    rounds : int
        Number of rounds, ``0 <= rounds <= 32``.

    Returns
    -------
    (x0, x1) : (uint64, uint64)
    """
    if rounds < 0 or rounds > MAX_ROUNDS:
        raise ValueError("threefry2x64_rounds: rounds must be in [0, 32]")
    k0 = np.uint64(k0)
    k1 = np.uint64(k1)
    ks2 = _PARITY ^ k0 ^ k1
    x0 = np.uint64(c0) + k0
    x1 = np.uint64(c1) + k1
    for r in range(rounds):
        x0, x1 = _mix(x0, x1, _rotation(r))
        if r % 4 == 3:
            s = r // 4 + 1
            j = s % 3
            if j == 0:
                x0 = x0 + k0
                x1 = x1 + k1
            elif j == 1:
                x0 = x0 + k1
                x1 = x1 + ks2
            else:
                x0 = x0 + ks2
                x1 = x1 + k0
            x1 = x1 + np.uint64(s)
    return x0, x1


@jit
def u01_open(x):
    """Map 64 random bits to a double in the open interval (0, 1).

    ``u = (x >> 12) * 2**-52 + 2**-53``: the top 52 bits select one of 2**52
    equally spaced midpoints, so ``2**-53 <= u <= 1 - 2**-53`` exactly.

    Parameters
    ----------
    x : uint64

    Returns
    -------
    float64
    """
    return float(np.uint64(x) >> _SHIFT_U01) * _TWO_M52 + _TWO_M53


@jit
def uniform_pair(seed, path, loan, month, purpose):
    """Two independent uniforms in (0, 1) for one (path, loan, month, purpose).

    One Threefry-2x64-20 call with key ``(seed, purpose)`` and counter
    ``(path << 32 | loan, month)``; both output words become uniforms
    (see ``u01_open``).

    Parameters
    ----------
    seed : int
        Run seed [any 64-bit unsigned integer].
    path : int
        Global path index [0, 2**32).
    loan : int
        Global loan index [0, 2**32).
    month : int
        Month index (month 1 is the first payment) [0, 2**64).
    purpose : int
        A ``PURPOSE_*`` code.

    Returns
    -------
    (u0, u1) : (float64, float64)
        Both in the open interval (0, 1).

    Raises
    ------
    ValueError
        If ``path`` or ``loan`` is outside [0, 2**32).
    """
    p = np.uint64(path)
    ln = np.uint64(loan)
    if p > _LOW32 or ln > _LOW32:
        raise ValueError("rng: path and loan must be in [0, 2**32)")
    x0, x1 = threefry2x64((p << _SHIFT_PATH) | ln, month, seed, purpose)
    return u01_open(x0), u01_open(x1)


@jit
def uniform(seed, path, loan, month, purpose):
    """One uniform in (0, 1): the first of ``uniform_pair``.

    Parameters and limits as ``uniform_pair``.

    Returns
    -------
    float64
    """
    return uniform_pair(seed, path, loan, month, purpose)[0]


@jit
def normal_pair(seed, path, loan, month, purpose):
    """Two independent standard normals by Box-Muller from ``uniform_pair``.

    ``z0 = r cos(2 pi u1)``, ``z1 = r sin(2 pi u1)`` with
    ``r = sqrt(-2 log u0)`` (Box & Muller 1958). Since ``u0 >= 2**-53``,
    ``|z| <= sqrt(2 * 53 * log 2) = 8.57``.

    Parameters and limits as ``uniform_pair``.

    Returns
    -------
    (z0, z1) : (float64, float64)
    """
    u0, u1 = uniform_pair(seed, path, loan, month, purpose)
    r = math.sqrt(-2.0 * math.log(u0))
    theta = _TWO_PI * u1
    return r * math.cos(theta), r * math.sin(theta)


@jit
def normal(seed, path, loan, month, purpose):
    """One standard normal: the first of ``normal_pair``.

    Returns
    -------
    float64
    """
    return normal_pair(seed, path, loan, month, purpose)[0]
