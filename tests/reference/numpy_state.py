"""The loan-level state model, sampled integration, in vectorised NumPy.

A second, independent implementation of :func:`engine.kernels.integration.simulate`
with ``sampled=True``, kept beside the benchmarks as

- the **baseline** the Numba kernel is timed against
  (``bench/test_bench_state.py``), and
- a **twin** the kernel is tested against (``tests/test_state_numpy_twin.py``).

It restates the kernel's model in array form and calls none of the kernel's
functions: the same cells, the same hazard model (``exit_probs``), the same
accounting (``apply``) and the same month order, with nothing taken from
:mod:`engine.kernels.state` but its constants (cell layout, column and
parameter indexes). Its random numbers come from its own Threefry-2x64-20 on
``numpy.uint64`` arrays, with :mod:`engine.kernels.rng`'s key/counter layout and
uniform conversion, so given the same inputs it makes the same draws.

It also reads a config itself: :func:`inputs_from_config` turns a validated
config and tape into the kernel's arguments (hazard vector, foreclosure
timelines from ``engine/data/foreclosure_timelines.csv``, property values,
arrears estimates, modified terms, prepayment rates, home-price paths) from
the README's rules, without :mod:`engine.behavior.hazard` or :mod:`engine.models.state`,
so the twin test compares two readings of the config as well as two
integrations. :func:`state_inputs` is the engine's reading (the benchmarks
use it).

Dimensions: p = paths, l = loans, t = months (month 0 is today, month 1 the
first payment), i = *items*: the live (path, loan) pairs, in path-major order.
Every month is one pass of array operations over all live items; there is no
Python loop over loans or paths (the loops run over months, Threefry's round
groups, the bits of an integer exponent and the six transitions).

Floating-point operations are written in the kernel's order, so amounts
agree with the kernel's to the last bit or nearly. Where they can differ:
the kernel's ``math.exp``, ``math.expm1``, ``math.log1p`` and ``float **
float`` are the C library's, while NumPy's ``exp``, ``expm1``, ``log1p`` and
``power`` are its own SIMD versions, which differ from them by an ulp or two in
a few percent of arguments (measured on this machine: 5-10 %). ``expm1`` and
``log1p`` set each loan's amortisation fractions, so scheduled principal and
balances may differ in the last bits and a per-loan amount that sits on a
half-tick may round the other way: the tick sums can differ by a tick or two
(the tests allow 3 ticks per loan). ``exp`` and ``power`` enter only
prepayment probabilities, so a draw could pick another transition only if its
uniform fell within ~1e-16 of a boundary. ``float ** int`` is numba's
exponentiation by squaring (``int_power``), reproduced exactly here.
"""

from __future__ import annotations

import csv
import dataclasses
from dataclasses import dataclass
from pathlib import Path

from typing import NamedTuple

import numpy as np
import yaml

from engine.kernels import state as ks
from engine.kernels.rng import PURPOSE_TRANSITION

# --------------------------------------------------------------------------
# constants of the model (layout only; every formula is restated below)

K = ks.K
N_TR = ks.N_TR
N_S = ks.N_S
N_O = ks.N_O
TICKS = ks.TICKS
STAY, PREPAY, ROLL, CURE, MOD, DIL = ks.TR_STAY, ks.TR_PREPAY, ks.TR_ROLL, ks.TR_CURE, ks.TR_MOD, ks.TR_DIL

# --------------------------------------------------------------------------
# Threefry-2x64-20 on uint64 arrays (Random123 threefry.h; engine/kernels/rng.py)

_U64 = np.uint64
_PARITY = _U64(0x1BD11BDAA9FC1A22)  # SKEIN_KS_PARITY64
_ROT = tuple(_U64(r) for r in (16, 42, 12, 31, 16, 32, 24, 21))  # R_64x2
_64 = _U64(64)


def threefry2x64_20(c0: np.ndarray, c1: np.ndarray, k0, k1) -> tuple[np.ndarray, np.ndarray]:
    """Threefry-2x64 with 20 rounds on arrays of counters under one key.

    ``c0``, ``c1`` : uint64 arrays (same shape); ``k0``, ``k1`` : the key words.
    Array arithmetic on uint64 wraps modulo 2**64 (no scalar + scalar sums
    here: NumPy warns when those overflow).
    """
    k0 = _U64(k0)
    k1 = _U64(k1)
    ks_ = (k0, k1, _PARITY ^ k0 ^ k1)
    x0 = c0 + k0
    x1 = c1 + k1
    for s in range(1, 6):  # five groups of four rounds, a key injection after each
        for r in _ROT[0:4] if s % 2 == 1 else _ROT[4:8]:
            x0 += x1
            x1 = (x1 << r) | (x1 >> (_64 - r))
            x1 ^= x0
        x0 += ks_[s % 3]
        x1 += ks_[(s + 1) % 3]
        x1 += _U64(s)
    return x0, x1


def u01_open(x: np.ndarray) -> np.ndarray:
    """``(x >> 12) * 2**-52 + 2**-53``: doubles in [2**-53, 1 - 2**-53] (engine.kernels.rng.u01_open)."""
    return (x >> _U64(12)).astype(np.float64) * 2.0**-52 + 2.0**-53


def counter0(path: np.ndarray, loan: np.ndarray) -> np.ndarray:
    """Counter word 0: ``path << 32 | loan`` (global indices, each in [0, 2**32))."""
    path = np.asarray(path, dtype=np.int64)
    loan = np.asarray(loan, dtype=np.int64)
    if path.size and (path.min() < 0 or path.max() >= 2**32 or loan.min() < 0 or loan.max() >= 2**32):
        raise ValueError("rng: path and loan must be in [0, 2**32)")
    return (path.astype(np.uint64) << _U64(32)) | loan.astype(np.uint64)


def uniform_pair(seed, c0: np.ndarray, month: int, purpose: int) -> tuple[np.ndarray, np.ndarray]:
    """Both uniforms of key ``(seed, purpose)``, counter ``(c0, month)`` (engine.kernels.rng.uniform_pair)."""
    x0, x1 = threefry2x64_20(c0, np.full(c0.shape, month, dtype=np.uint64), seed, purpose)
    return u01_open(x0), u01_open(x1)


# --------------------------------------------------------------------------
# small vectorised pieces


def int_power(base: np.ndarray, e: np.ndarray) -> np.ndarray:
    """``base ** e`` for integer ``e`` by squaring, as numba evaluates ``float ** int``
    (numba.cpython.numbers.int_power_impl; exponents <= 0x10000)."""
    base = np.asarray(base, dtype=np.float64)
    e = np.asarray(e, dtype=np.int64)
    base, e = np.broadcast_arrays(base, e)
    if e.size and np.abs(e).max() > 0x10000:
        raise ValueError("int_power: exponent beyond numba's squaring cutoff")
    invert = e < 0
    e = np.abs(e)
    r = np.ones(base.shape)
    a = base.copy()
    while np.any(e != 0):
        odd = (e & 1) == 1
        r = np.where(odd, r * a, r)
        e = e >> 1
        a = a * a
    with np.errstate(divide="ignore"):
        return np.where(invert, 1.0 / r, r)


def interp(x: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Piecewise-linear, flat beyond the ends: ``ys[j-1] + w (ys[j] - ys[j-1])``
    with ``j`` the first knot at or above ``x`` (np.interp rounds differently)."""
    n = xs.shape[0]
    j = np.clip(np.searchsorted(xs, x, side="left"), 1, max(n - 1, 1))
    if n == 1:
        return np.full(x.shape, ys[0])
    x0, x1 = xs[j - 1], xs[j]
    y0, y1 = ys[j - 1], ys[j]
    w = (x - x0) / (x1 - x0)
    y = y0 + w * (y1 - y0)
    y = np.where(x <= xs[0], ys[0], y)
    return np.where(x >= xs[n - 1], ys[n - 1], y)


def ticks(x: np.ndarray) -> np.ndarray:
    """Round currency to int64 ticks of 1e-4: floor(x * 1e4 + 0.5)."""
    return np.floor(x * TICKS + 0.5).astype(np.int64)


# --------------------------------------------------------------------------
# per-loan schedules, one month at a time


class _Amort:
    """Scheduled principal fraction of each loan, month by month:
    ``c / ((1 + c)^n - 1)`` with n = maturity - t + 1 payments left (1/n at c = 0);
    1 from maturity on. ``gm1 = (1 + c)^n - 1`` starts as
    ``expm1(maturity log1p(c))`` and steps as ``(gm1 - c) / (1 + c)``."""

    def __init__(self, rate_annual: np.ndarray, maturity: np.ndarray):
        self.c = rate_annual / 12.0
        self.maturity = maturity
        self.gm1 = np.expm1(maturity * np.log1p(self.c))

    def step(self, t: int) -> np.ndarray:
        n = self.maturity - t + 1
        with np.errstate(divide="ignore", invalid="ignore"):
            am = np.where(n <= 1, 1.0, np.where(self.c > 0.0, self.c / self.gm1, 1.0 / n))
        self.gm1 = (self.gm1 - self.c) / (1.0 + self.c)
        return am


class _Prepay:
    """SMM of current loans by month: rate table (code 0) or turnover + refi (code 1)."""

    def __init__(self, code, table, by_age, age, rate_annual, turnover, start_month, mortgage_rate):
        self.code, self.table, self.by_age, self.age = code, table, by_age, age
        self.turnover, self.start_month = turnover, start_month
        if code == 1:
            refi_max, mid, slope = turnover[2], turnover[3], turnover[4]
            incentive = rate_annual - mortgage_rate
            self.refi = refi_max / (1.0 + np.exp(-(incentive - mid) / slope))
            self.pos = np.where(incentive > 0.0, incentive, 0.0)

    def step(self, t: int) -> np.ndarray:
        if self.code == 0:
            n = self.table.shape[0]
            k = self.age + t if self.by_age else np.full(self.age.shape, t)
            return self.table[np.minimum(k, n - 1)]
        base, ramp, burnout = self.turnover[0], self.turnover[1], self.turnover[5]
        season = self.turnover[6 + (self.start_month - 1 + t - 1) % 12]
        seasoning = np.minimum((self.age + t) / ramp, 1.0)
        burn = np.exp(-burnout * self.pos * (t - 1) / 12.0)
        cpr = base * seasoning * season + self.refi * burn
        cpr = np.minimum(cpr, 0.999)
        return 1.0 - (1.0 - cpr) ** (1.0 / 12.0)


def start_cell(status, behind, t_fc, fc0, reo0):
    """Starting cell from the tape status (codes as engine.inputs.tape.STATUSES)."""
    k = behind.copy()
    k = np.where((status == 1) & (k < 1), 1, k)
    k = np.where((status == 2) & (k < 2), 2, k)
    k = np.where((status == 3) & (k < 3), 3, k)
    cell = np.minimum(k, K)
    f = np.clip(behind - 4, 0, np.maximum(t_fc - 1, 0))
    cell = np.where(status == 4, np.where(t_fc == 0, reo0, fc0 + f), cell)
    return np.where(status == 5, reo0, cell).astype(np.int64)


# --------------------------------------------------------------------------
# the hazard model


def exit_probs(branch, cell, smm, roll_mult, cure_mult, hp, reo0) -> np.ndarray:
    """Monthly exit probabilities (items, N_TR) of each item's cell; TR_STAY = the rest.

    current: prepay = SMM, roll = to_dq30 x roll_mult (x the modified multiplier
    on branch 1), capped at 1 - SMM; dq30: roll, cure x cure_mult capped at
    1 - roll; dq60: roll, mod, DIL, cure capped at the room left; dq90+ (cells
    3..K): foreclosure referral, mod, DIL, cure x cure_mult x decay^(k - 3);
    foreclosure: mod, DIL, reinstatement; REO: none.
    """
    n = cell.shape[0]
    p = np.zeros((n, N_TR))
    cur = cell == 0
    roll = hp[ks.H_TO_DQ30] * roll_mult
    roll = np.where(branch == 1, roll * hp[ks.H_MOD_ROLL_MULT], roll)
    roll = np.where(roll > 1.0 - smm, 1.0 - smm, roll)
    p[cur, PREPAY] = smm[cur]
    p[cur, ROLL] = roll[cur]

    m = cell == 1
    r30 = hp[ks.H_DQ30_ROLL]
    p[m, ROLL] = r30
    p[m, CURE] = np.minimum(hp[ks.H_DQ30_CURE] * cure_mult[m], 1.0 - r30)

    m = cell == 2
    room = 1.0 - hp[ks.H_DQ60_ROLL] - hp[ks.H_DQ60_MOD] - hp[ks.H_DQ60_DIL]
    p[m, ROLL] = hp[ks.H_DQ60_ROLL]
    p[m, MOD] = hp[ks.H_DQ60_MOD]
    p[m, DIL] = hp[ks.H_DQ60_DIL]
    p[m, CURE] = np.minimum(hp[ks.H_DQ60_CURE] * cure_mult[m], room)

    m = (cell >= 3) & (cell <= K)
    referral = np.where(cell[m] >= hp[ks.H_REFERRAL_MIN], hp[ks.H_DQ90_FC], 0.0)
    room = 1.0 - referral - hp[ks.H_DQ90_MOD] - hp[ks.H_DQ90_DIL]
    decay = int_power(np.full(int(m.sum()), hp[ks.H_DQ90_CURE_DECAY]), cell[m] - 3)
    p[m, ROLL] = referral
    p[m, MOD] = hp[ks.H_DQ90_MOD]
    p[m, DIL] = hp[ks.H_DQ90_DIL]
    p[m, CURE] = np.minimum(hp[ks.H_DQ90_CURE] * cure_mult[m] * decay, room)

    m = (cell > K) & (cell < reo0)
    room = 1.0 - hp[ks.H_FC_MOD] - hp[ks.H_FC_DIL]
    p[m, MOD] = hp[ks.H_FC_MOD]
    p[m, DIL] = hp[ks.H_FC_DIL]
    p[m, CURE] = np.minimum(hp[ks.H_FC_CURE] * cure_mult[m], room)

    stay = np.ones(n)
    for j in range(1, N_TR):
        stay = stay - p[:, j]
    p[:, STAY] = np.where(stay > 0.0, stay, 0.0)
    return p


def choose(probs: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The first transition whose cumulative probability exceeds ``u`` (the last
    if none does), stepped back past zero-probability transitions."""
    n = u.shape[0]
    tr = np.full(n, N_TR - 1, dtype=np.int64)
    found = np.zeros(n, dtype=bool)
    acc = np.zeros(n)
    for j in range(N_TR):
        acc = acc + probs[:, j]
        hit = ~found & (u < acc)
        tr[hit] = j
        found |= hit
    rows = np.arange(n)
    for _ in range(N_TR - 1):
        back = (probs[rows, tr] <= 0.0) & (tr > 0)
        if not back.any():
            break
        tr[back] -= 1
    return tr


# --------------------------------------------------------------------------
# the sampled integration


class _Books:
    """Month t's accumulators: int64 ticks per path and column, float outcomes per loan."""

    def __init__(self, out, out_loans, t, path, loan):
        self.out, self.out_loans, self.t = out, out_loans, t
        self.path, self.loan = path, loan  # items' path and loan (path sorted)
        self.edges = np.arange(out.shape[0])

    def add(self, col, mask, x):
        """Add ``x`` (currency, one value per item where ``mask``) to column ``col``."""
        if not mask.any():
            return
        p = self.path[mask]
        x = np.broadcast_to(x, mask.shape)[mask] if np.ndim(x) else np.full(p.shape, x)
        csum = np.concatenate(([0], np.cumsum(ticks(x))))  # exact int64 segment sums
        lo = np.searchsorted(p, self.edges, side="left")
        hi = np.searchsorted(p, self.edges, side="right")
        self.out[:, self.t, col] += csum[hi] - csum[lo]

    def outcome(self, col, col_t, mask):
        """A loan-path reaches an outcome this month (weight 1)."""
        l = self.loan[mask]
        n = self.out_loans.shape[0]
        c = np.bincount(l, minlength=n).astype(np.float64)
        self.out_loans[:, col] += c
        if col_t is not None:
            self.out_loans[:, col_t] += c * self.t

    def outcome_value(self, col, mask, x):
        n = self.out_loans.shape[0]
        self.out_loans[:, col] += np.bincount(self.loan[mask], weights=x[mask], minlength=n)


def simulate_numpy(
    seed, path0, loan_index0,
    balance, note_rate, servicing, term, age, status, behind, arrears, deferred,
    value0, t_fc, roll_mult, cure_mult, mod_rate, mod_maturity, mods_on,
    smm_code, smm_table, smm_by_age, turnover, start_month, mortgage_rate,
    hp, ltv_knots, ltv_roll, ltv_cure, t_reo, fc_max,
    hpi,
):
    """Sampled integration of the state model; the inputs of
    :func:`engine.kernels.integration.simulate` without ``sampled``, ``bounds`` and
    the output buffers.

    Returns
    -------
    out : int64 (p, H + 1, N_S)
        Per-path, per-month sums over loans in ticks of 1e-4 currency (the
        kernel's ``out`` summed over loan blocks; month 0 and the derived
        columns S_GROSS_INT, S_ROLL_BASE are left 0).
    out_loans : float64 (l, N_O)
        Per-loan outcome sums over paths.
    """
    n_loans = balance.shape[0]
    n_paths, H = hpi.shape[0], hpi.shape[1] - 1
    fc0 = K + 1
    reo0 = K + 1 + fc_max
    out = np.zeros((n_paths, H + 1, N_S), dtype=np.int64)
    out_loans = np.zeros((n_loans, N_O))

    # per-loan constants
    rate0, rate1 = note_rate / 12.0, mod_rate / 12.0
    fee = servicing / 12.0
    net0, net1 = rate0 - fee, rate1 - fee
    ti = value0 * hp[ks.H_TI_RATE] / 12.0  # w = 1: (1.0 * value0) * rate / 12 is the same double
    am0, smm0 = _Amort(note_rate, term), _Prepay(smm_code, smm_table, smm_by_age, age, note_rate, turnover, start_month, mortgage_rate)
    if mods_on:
        am1, smm1 = _Amort(mod_rate, mod_maturity), _Prepay(smm_code, smm_table, smm_by_age, age, mod_rate, turnover, start_month, mortgage_rate)
    sched_frac = np.ones(n_loans)  # scheduled balance factor at the end of month t - 1

    # items: every (path, loan) pair, path-major; the dead are dropped each month
    path = np.repeat(np.arange(n_paths, dtype=np.int64), n_loans)
    loan = np.tile(np.arange(n_loans, dtype=np.int64), n_paths)
    c0 = counter0(path0 + path, loan_index0 + loan)
    cell = start_cell(status, behind, t_fc, fc0, reo0)[loan]
    branch = np.zeros(loan.shape, dtype=np.int64)
    bal, arr, dfr = balance[loan], arrears[loan], deferred[loan]

    for t in range(1, H + 1):
        a_l0, s_l0 = am0.step(t), smm0.step(t)
        if mods_on:
            a_l1, s_l1 = am1.step(t), smm1.step(t)
        else:
            a_l1, s_l1 = a_l0, s_l0  # branch 1 is unreachable without modifications
        bal_sched = balance * sched_frac  # per loan, as the kernel's balance[l] * sched_frac[t - 1]
        sched_frac = sched_frac * (1.0 - a_l0)
        if loan.size == 0:
            continue
        books = _Books(out, out_loans, t, path, loan)
        add = books.add
        n = loan.shape[0]
        mod_br = branch == 1

        value_now = value0[loan] * hpi[path, t]
        with np.errstate(divide="ignore", invalid="ignore"):
            ltv = np.where(value_now > 0.0, bal_sched[loan] / value_now, 10.0)
        u, _ = uniform_pair(seed, c0, t, PURPOSE_TRANSITION)
        am = np.where(mod_br, a_l1[loan], a_l0[loan])
        smm = np.where(mod_br, s_l1[loan], s_l0[loan])
        rm = roll_mult[loan] * interp(ltv, ltv_knots, ltv_roll)
        cm = cure_mult[loan] * interp(ltv, ltv_knots, ltv_cure)
        rate = np.where(mod_br, rate1[loan], rate0[loan])
        net = np.where(mod_br, net1[loan], net0[loan])
        fe = fee[loan]
        ti_i = ti[loan]

        add(ks.S_PREPAY_BASE, cell == 0, bal * (1.0 - am))
        probs = exit_probs(branch, cell, smm, rm, cm, hp, reo0)
        tr = choose(probs, u)

        # ---- apply: the destination of every item, and the flows booked on the way
        d_cell, d_branch = cell.copy(), branch.copy()
        d_bal, d_arr, d_dfr = bal.copy(), arr.copy(), dfr.copy()
        dead = np.zeros(n, dtype=bool)

        def sell(m, b, ar, df):
            """REO sale of the items in ``m`` with accounts ``b, ar, df`` (full arrays)."""
            owed = b + df
            if hp[ks.H_SEVERITY] >= 0.0:
                proceeds = (1.0 - hp[ks.H_SEVERITY]) * owed
            else:
                proceeds = value_now * (1.0 - hp[ks.H_SELLING])
                proceeds = np.where(proceeds > owed + ar, owed + ar, proceeds)
            recov = np.where(proceeds < owed, proceeds, owed)
            recov = np.where(recov < 0.0, 0.0, recov)
            net_loss = b + df + ar - proceeds
            add(ks.S_LIQ_BAL, m, owed)
            add(ks.S_PROCEEDS, m, proceeds)
            add(ks.S_PRIN_RECOV, m, recov)
            add(ks.S_PRIN_LOSS, m, owed - recov)
            add(ks.S_NET_LOSS, m, net_loss)
            books.outcome(ks.O_LIQUIDATED, ks.O_LIQUIDATED_T, m)
            books.outcome_value(ks.O_LIQ_BAL, m, owed)
            books.outcome_value(ks.O_NET_LOSS, m, net_loss)

        def enter_reo(m, b, ar, df):
            """Title passes: REO (cell reo0), or sold at once when t_reo = 0."""
            add(ks.S_REO_IN, m, b + df)
            if t_reo == 0:
                sell(m, b, ar, df)
                dead[m] = True
            else:
                d_cell[m] = reo0

        in_dq12 = (cell == 1) | (cell == 2)
        pay_or_miss = (cell == 0) | (in_dq12 & (tr == STAY))
        other = ~pay_or_miss

        # current (or dq30/60 staying): misses the payment -> one more behind
        m = pay_or_miss & (tr == ROLL)
        add(ks.S_NEW_DQ, m, bal)
        add(ks.S_INT_UNPAID, m, bal * rate)
        d_arr[m] = (arr + bal * rate)[m]
        d_cell[m] = cell[m] + 1

        # ... or pays this month's P&I (and may prepay or mature)
        m = pay_or_miss & (tr != ROLL)
        sched = bal * am
        after = bal - sched
        add(ks.S_SCHED_PRIN, m, sched)
        add(ks.S_INTEREST, m, bal * net)
        add(ks.S_SERVICING, m, bal * fe)
        d_bal[m] = after[m]
        pre = m & (tr == PREPAY)
        mat = m & (tr != PREPAY) & (after <= 0.0) & (am >= 1.0)
        add(ks.S_PREPAY, pre, after)
        books.outcome(ks.O_PREPAID, ks.O_PREPAID_T, pre)
        add(ks.S_MATURED, mat, sched)
        books.outcome(ks.O_MATURED, ks.O_MATURED_T, mat)
        gone = pre | mat
        add(ks.S_DEFERRED_PAID, gone, dfr)
        add(ks.S_ARREARS_PAID, gone, arr)
        dead[gone] = True

        # cure: arrears and this month's P&I paid; back to current
        m = other & (tr == CURE)
        add(ks.S_CURES, m, bal)
        add(ks.S_ARREARS_PAID, m, arr)
        add(ks.S_SCHED_PRIN, m, sched)
        add(ks.S_INTEREST, m, bal * net)
        add(ks.S_SERVICING, m, bal * fe)
        books.outcome(ks.O_CURES, None, m)
        d_bal[m] = after[m]
        d_arr[m] = 0.0
        d_cell[m] = 0
        mat = m & (after <= 0.0)
        add(ks.S_MATURED, mat, sched)
        add(ks.S_DEFERRED_PAID, mat, dfr)
        books.outcome(ks.O_MATURED, ks.O_MATURED_T, mat)
        dead[mat] = True

        # modification: arrears capitalised, part forborne, modified terms
        m = other & (tr == MOD)
        add(ks.S_MODS, m, bal)
        books.outcome(ks.O_MODIFIED, ks.O_MODIFIED_T, m & (branch == 0))
        add(ks.S_CAPITALIZED, m, arr)
        total = bal + arr
        forborne = total * hp[ks.H_FORBEAR]
        d_bal[m] = (total - forborne)[m]
        d_dfr[m] = (dfr + forborne)[m]
        d_arr[m] = 0.0
        d_cell[m] = 0
        d_branch[m] = 1

        # deed-in-lieu: costs added to the debt, title passes
        m = other & (tr == DIL)
        dil_cost = 1.0 * hp[ks.H_DIL_COST]
        add(ks.S_DIL, m, bal)
        add(ks.S_DIL_COST, m, dil_cost)
        arr_dil = arr + dil_cost
        d_arr[m] = arr_dil[m]
        books.outcome(ks.O_DIL, ks.O_DIL_T, m)
        enter_reo(m, bal, arr_dil, dfr)

        rest = other & (tr != CURE) & (tr != MOD) & (tr != DIL)

        # delinquent, rolling or missing again: interest unpaid, T&I advanced from dq90+
        m = rest & (cell <= K)
        add(ks.S_INT_UNPAID, m, bal * rate)
        arr_dq = arr + bal * rate
        dq90 = m & (cell >= 3)
        add(ks.S_ADVANCES, dq90, ti_i)
        arr_dq = np.where(dq90, arr_dq + ti_i, arr_dq)
        d_arr[m] = arr_dq[m]
        refer = dq90 & (tr == ROLL)
        add(ks.S_FC_STARTS, refer, bal)
        t_fc_i = t_fc[loan]
        to_sale = refer & (t_fc_i == 0)
        books.outcome(ks.O_FC_SALE, ks.O_FC_SALE_T, to_sale)
        enter_reo(to_sale, bal, arr_dq, dfr)
        d_cell[refer & (t_fc_i != 0)] = fc0
        deeper = m & ~refer & (cell < K)
        d_cell[deeper] = cell[deeper] + 1

        # foreclosure: the timeline runs; costs accrue; the sale at its end
        m = rest & (cell > K) & (cell < reo0)
        legal = 1.0 * hp[ks.H_LEGAL]
        add(ks.S_INT_UNPAID, m, bal * rate)
        add(ks.S_ADVANCES, m, ti_i)
        add(ks.S_LEGAL, m, legal)
        arr_fc = arr + bal * rate + ti_i + legal
        d_arr[m] = arr_fc[m]
        sale = m & (cell - fc0 + 1 >= t_fc_i)
        books.outcome(ks.O_FC_SALE, ks.O_FC_SALE_T, sale)
        enter_reo(sale, bal, arr_fc, dfr)
        wait = m & ~sale
        d_cell[wait] = cell[wait] + 1

        # REO: holding costs, then the sale after the marketing time
        m = rest & (cell >= reo0)
        hold = 1.0 * hp[ks.H_HOLDING]
        add(ks.S_ADVANCES, m, ti_i)
        add(ks.S_HOLDING, m, hold)
        arr_reo = arr + ti_i + hold
        d_arr[m] = arr_reo[m]
        sold = m & (cell - reo0 + 1 >= t_reo)
        sell(sold, bal, arr_reo, dfr)
        dead[sold] = True
        wait = m & ~sold
        d_cell[wait] = cell[wait] + 1

        # ---- month-end balances of the survivors by state
        live = ~dead
        add(ks.S_CURRENT_BAL, live & (d_cell == 0), d_bal)
        add(ks.S_MODIFIED_BAL, live & (d_cell == 0) & (d_branch == 1), d_bal)
        add(ks.S_DQ30_BAL, live & (d_cell == 1), d_bal)
        add(ks.S_DQ60_BAL, live & (d_cell == 2), d_bal)
        add(ks.S_DQ90_BAL, live & (d_cell >= 3) & (d_cell <= K), d_bal)
        add(ks.S_FC_BAL, live & (d_cell > K) & (d_cell < reo0), d_bal)
        add(ks.S_REO_BAL, live & (d_cell >= reo0), d_bal)
        add(ks.S_DEFERRED_BAL, live, d_dfr)

        path, loan, c0 = path[live], loan[live], c0[live]
        cell, branch = d_cell[live], d_branch[live]
        bal, arr, dfr = d_bal[live], d_arr[live], d_dfr[live]

    out_loans[:, ks.O_UNRESOLVED] += np.bincount(loan, minlength=n_loans)
    return out, out_loans


# --------------------------------------------------------------------------
# config + tape -> kernel inputs; run either implementation on them


ARG_NAMES = (
    "balance", "note_rate", "servicing", "term", "age", "status", "behind", "arrears", "deferred",
    "value0", "t_fc", "roll_mult", "cure_mult", "mod_rate", "mod_maturity", "mods_on",
    "smm_code", "smm_table", "smm_by_age", "turnover", "start_month", "mortgage_rate",
    "hp", "ltv_knots", "ltv_roll", "ltv_cure", "t_reo", "fc_max",
)


@dataclass(frozen=True)
class StateInputs:
    """Everything :func:`engine.kernels.integration.simulate` reads, resolved
    as :func:`engine.models.state.kernel_inputs` resolves it, as one flat
    tuple of arrays named by ``ARG_NAMES`` (the twin's own layout)."""

    seed: int
    horizon: int  # months
    args: tuple  # loan, prepayment and hazard arrays, in the kernel's order
    hpi: np.ndarray  # (p, horizon + 1) index relative to today

    def arg(self, name: str):
        return self.args[ARG_NAMES.index(name)]

    def replace(self, **changes) -> "StateInputs":
        """A copy with some kernel arguments (by ``ARG_NAMES``) or fields replaced."""
        args = list(self.args)
        fields = {}
        for name, value in changes.items():
            if name in ARG_NAMES:
                args[ARG_NAMES.index(name)] = value
            else:
                fields[name] = value
        return dataclasses.replace(self, args=tuple(args), **fields)

    @property
    def n_paths(self) -> int:
        return self.hpi.shape[0]

    @property
    def n_loans(self) -> int:
        return self.args[0].shape[0]


def state_inputs(config, loans, hpi_paths: np.ndarray | None = None) -> StateInputs:
    """Resolve a state-model config and tape as ``run_state_model`` does."""
    from engine.models.state import kernel_inputs

    ki = kernel_inputs(config, loans, hpi_paths)
    la, pp, hz = ki.loans, ki.prepay, ki.hazard
    turnover = np.array(
        [pp.base_cpr, pp.ramp_months, pp.refi_max_cpr, pp.refi_midpoint, pp.refi_slope, pp.burnout, *pp.seasonality]
    )
    args = (
        la.balance, la.note_rate, la.servicing, la.term, la.age, la.status, la.behind,
        la.arrears, la.deferred, la.value0, la.t_fc, la.roll_mult, la.cure_mult,
        la.mod_rate, la.mod_maturity, hz.mods_on,
        pp.model, pp.table, pp.by_age, turnover, pp.start_month, pp.mortgage_rate,
        hz.hp, hz.ltv_knots, hz.ltv_roll, hz.ltv_cure, hz.t_reo, hz.fc_max,
    )
    return StateInputs(seed=ki.seed, horizon=ki.horizon, args=args, hpi=ki.hpi(0, ki.n_paths))


def kernel_groups(inputs: StateInputs):
    """The flat arguments as the kernel's named groups (LoanArrays, PrepayParams, HazardParams)."""
    from engine.kernels.prepayment import PrepayParams
    from engine.kernels.state import HazardParams, LoanArrays

    a = inputs.arg
    loans = LoanArrays(*(a(name) for name in LoanArrays._fields))
    t = a("turnover")
    prepay = PrepayParams(
        model=int(a("smm_code")), table=a("smm_table"), by_age=bool(a("smm_by_age")),
        base_cpr=float(t[0]), ramp_months=float(t[1]), refi_max_cpr=float(t[2]), refi_midpoint=float(t[3]),
        refi_slope=float(t[4]), burnout=float(t[5]), seasonality=np.ascontiguousarray(t[6:18]),
        start_month=int(a("start_month")), mortgage_rate=float(a("mortgage_rate")),
    )
    hazard = HazardParams(
        hp=a("hp"), ltv_knots=a("ltv_knots"), ltv_roll=a("ltv_roll"), ltv_cure=a("ltv_cure"),
        t_reo=int(a("t_reo")), fc_max=int(a("fc_max")), mods_on=bool(a("mods_on")),
    )
    return loans, prepay, hazard


# --------------------------------------------------------------------------
# the twin's own reading of a config: validated config dict + tape -> inputs
#
# Written from the README's rules (config reference, loan tape, the state
# model), not from engine.behavior.hazard / engine.models.state, so that a mistake in
# turning a config into hazards, timelines, property values, arrears,
# modified terms, prepayment rates or home-price paths cannot be shared by
# the kernel's inputs and the twin's.

TIMELINES_CSV = Path(__file__).resolve().parents[2] / "engine" / "inputs" / "data" / "foreclosure_timelines.csv"
NATIONAL_AVERAGE_MONTHS = 28  # README / engine data: ATTOM Q3 2019, 841 days, for loans with no state
ASSUMED_LTV = 0.80  # README: property value = balance / 0.80 when the tape has neither value nor ltv
HPI_TAG = 3  # home-price shocks of path p: numpy default_rng([seed, 3, p])


def _timeline_table() -> dict[str, int]:
    """State code -> months from foreclosure start to sale, read from the shipped CSV."""
    with open(TIMELINES_CSV, newline="") as f:
        return {row["state"]: int(row["foreclosure_months"]) for row in csv.DictReader(f)}


def _smm(cpr):
    """SMM = 1 - (1 - CPR)^(1/12) (annual CPR -> monthly)."""
    return 1.0 - (1.0 - np.asarray(cpr, dtype=np.float64)) ** (1.0 / 12.0)


def _prepay(prepay: dict) -> tuple[int, np.ndarray, bool, np.ndarray]:
    """(code, table, by_age, turnover) for the twin's ``_Prepay``: code 0 reads
    ``table`` by loan age (PSA) or by projection month (the rest), index 0
    unused and the last entry carried forward; code 1 is turnover + refi."""
    model = prepay["model"]
    turnover = np.zeros(18)
    if model == "turnover":
        turnover = np.array([
            prepay["base_cpr"], prepay["ramp_months"], prepay["refi_max_cpr"], prepay["refi_midpoint"],
            prepay["refi_slope"], prepay["burnout"], *prepay["seasonality"],
        ], dtype=np.float64)
        return 1, np.zeros(2), False, turnover
    if model == "psa":  # CPR = speed/100 x 6% x min(age, 30)/30 at the payment's loan age
        age = np.arange(31)
        cpr = np.minimum(prepay["speed"] / 100.0 * 0.06 * np.minimum(age, 30) / 30.0, 1.0)
        return 0, np.where(age == 0, 0.0, _smm(cpr)), True, turnover
    if model == "cpr":
        return 0, np.array([0.0, float(_smm(prepay["rate"]))]), False, turnover
    if model == "smm":
        return 0, np.array([0.0, float(prepay["rate"])]), False, turnover
    if model == "vector":
        return 0, np.concatenate([[0.0], _smm(prepay["cpr"])]), False, turnover
    if model == "none":
        return 0, np.zeros(2), False, turnover
    raise ValueError(f"assumptions.prepay.model: the twin does not know {model!r}")


def _hazards(sm: dict) -> tuple[np.ndarray, bool]:
    """The hazard parameter vector (``H_*`` positions) and whether modifications happen."""
    d = sm["delinquency"]
    hp = np.zeros(ks.N_H)
    hp[ks.H_TO_DQ30] = d["current"]["to_dq30"]
    hp[ks.H_MOD_ROLL_MULT] = d["current"]["roll_multiplier_modified"]
    hp[ks.H_DQ30_CURE], hp[ks.H_DQ30_ROLL] = d["dq30"]["cure"], d["dq30"]["roll"]
    hp[ks.H_DQ60_CURE], hp[ks.H_DQ60_ROLL] = d["dq60"]["cure"], d["dq60"]["roll"]
    hp[ks.H_DQ60_MOD], hp[ks.H_DQ60_DIL] = d["dq60"]["modification"], d["dq60"]["deed_in_lieu"]
    hp[ks.H_DQ90_CURE], hp[ks.H_DQ90_FC] = d["dq90"]["cure"], d["dq90"]["to_foreclosure"]
    hp[ks.H_DQ90_MOD], hp[ks.H_DQ90_DIL] = d["dq90"]["modification"], d["dq90"]["deed_in_lieu"]
    hp[ks.H_DQ90_CURE_DECAY] = d["dq90"]["cure_decay"]
    hp[ks.H_REFERRAL_MIN] = d["dq90"]["referral_min_behind"]
    hp[ks.H_FC_CURE], hp[ks.H_FC_MOD] = d["foreclosure"]["cure"], d["foreclosure"]["modification"]
    hp[ks.H_FC_DIL] = d["foreclosure"]["deed_in_lieu"]
    hp[ks.H_FORBEAR] = sm["modification"]["forbearance"]
    hp[ks.H_LEGAL] = sm["foreclosure"]["legal_cost_monthly"]
    hp[ks.H_HOLDING] = sm["reo"]["holding_cost_monthly"]
    # the sale realises the value less a distressed-sale discount, then selling costs
    hp[ks.H_SELLING] = 1.0 - (1.0 - sm["reo"]["selling_cost"]) * (1.0 - sm["reo"]["sale_discount"])
    hp[ks.H_DIL_COST] = sm["deed_in_lieu"]["cost"]
    hp[ks.H_TI_RATE] = sm["advances"]["taxes_insurance_rate"]
    severity = sm.get("liquidation", {}).get("severity")
    hp[ks.H_SEVERITY] = -1.0 if severity is None else severity
    mods_on = d["dq60"]["modification"] + d["dq90"]["modification"] + d["foreclosure"]["modification"] > 0
    return hp, bool(mods_on)


def _foreclosure_months(states, fc: dict) -> np.ndarray:
    """Timeline by tape state: ``months`` for every loan if given; else the
    per-state override, else the shipped table; no state: ``default_months``
    or the national average."""
    n = len(states)
    if fc.get("months") is not None:
        return np.full(n, int(fc["months"]), dtype=np.int64)
    table = _timeline_table()
    table.update({str(k).strip().upper(): int(v) for k, v in fc.get("timeline_months", {}).items()})
    empty = fc.get("default_months")
    empty = NATIONAL_AVERAGE_MONTHS if empty is None else int(empty)
    codes = [("" if s is None else str(s).strip().upper()) for s in states]
    return np.array([table[c] if c else empty for c in codes], dtype=np.int64)


def _hpi_paths(hpi: dict, n_paths: int, horizon: int, seed: int) -> np.ndarray:
    """HPI levels relative to today, (paths, horizon + 1): log-HPI steps of
    (drift - vol^2/2)/12 + vol/sqrt(12) z, z of path p from default_rng([seed, 3, p])
    (antithetic: path 2k + 1 takes -z of path 2k); a scenario replaces the drift
    term by log-linear interpolation of its [month, change] points, then the
    drift after the last point. A scenario file (YAML, the same keys) wins over
    the inline keys; a file with a scenario and no volatility has volatility 0."""
    if hpi.get("scenario_file") is not None:
        with open(hpi["scenario_file"]) as f:
            data = yaml.safe_load(f)
        points = (data.get("scenario") or {}).get("points")
        model = {
            "drift": data["drift"],
            "volatility": data.get("volatility", 0.0 if points is not None else None),
            "antithetic": data.get("antithetic", False),
            "scenario": points,
        }
    else:
        model = {k: hpi.get(k) for k in ("drift", "volatility", "antithetic", "scenario")}
    mu, sigma = float(model["drift"]), float(model["volatility"])
    log_h = np.zeros((n_paths, horizon + 1))
    if sigma > 0.0 and horizon > 0:
        z = np.empty((n_paths, horizon))
        for p in range(n_paths):
            if model["antithetic"] and p % 2 == 1:
                z[p] = -z[p - 1]
            else:
                z[p] = np.random.default_rng([seed, HPI_TAG, p]).standard_normal(horizon)
        step = z * (sigma / np.sqrt(12.0)) - 0.5 * sigma * sigma / 12.0
        log_h[:, 1:] = np.cumsum(step, axis=1)
    t = np.arange(horizon + 1, dtype=np.float64)
    if model["scenario"] is None:
        log_h += mu * t / 12.0
    else:
        months = np.array([0.0] + [float(m) for m, _ in model["scenario"]])
        logs = np.array([0.0] + [np.log1p(float(c)) for _, c in model["scenario"]])
        s = np.interp(t, months, logs)
        after = t > months[-1]
        s[after] = logs[-1] + mu * (t[after] - months[-1]) / 12.0
        log_h += s
    out = np.exp(log_h)
    out[:, 0] = 1.0
    return out


def inputs_from_config(config, loans, hpi_paths: np.ndarray | None = None) -> StateInputs:
    """The twin's own inputs: a validated config (a ``Config`` or the dict its
    ``to_dict()`` gives: every key, defaults filled, file paths resolved) and a
    validated tape (``engine.tape.Loans``) -> the kernel's arguments, each
    written from the README's rules:

    - loan multipliers: roll x exp(fico_roll (fico - fico_center) / 100) x
      clip(1 + original_ltv_roll (ltv - 0.8), 0.5, 2), cure x exp(fico_cure ...);
      an unknown FICO or LTV gives 1;
    - property value: the tape's, else original_balance / ltv, else balance / 0.80;
    - arrears: the tape's, or payments_behind x balance x rate / 12 when the tape
      says 0 for a loan behind; plus escrow advances;
    - modified rate min(rate, max(floor, rate - rate_cut)), floor = rate_floor or
      economy.mortgage_rate, never below the servicing fee; modified maturity
      max(remaining term, term_months);
    - foreclosure timelines from engine/data/foreclosure_timelines.csv;
    - prepayment SMM from the prepay model; HPI paths from economy.hpi;
    - horizon: simulation.horizon, else every maturity (and the modification
      term) plus 12 delinquent months, the longest foreclosure timeline, the
      REO months and one.
    """
    if not isinstance(config, dict):
        config = config.to_dict()
    if config.get("model") != "state":
        raise ValueError("inputs_from_config: a state-model config (model: state) is needed")
    sm, sim, econ = config["state_model"], config["simulation"], config["economy"]
    mult = sm["multipliers"]
    n = loans.n

    fico, ltv = loans.fico, loans.ltv
    z = np.where(np.isfinite(fico), (fico - mult["fico_center"]) / 100.0, 0.0)
    ltv_factor = np.where(np.isfinite(ltv), np.clip(1.0 + mult["original_ltv_roll"] * (ltv - 0.8), 0.5, 2.0), 1.0)
    roll_mult = np.exp(mult["fico_roll"] * z) * ltv_factor
    cure_mult = np.exp(mult["fico_cure"] * z)

    value0 = np.array(loans.property_value, dtype=np.float64)
    for i in range(n):
        if not np.isfinite(value0[i]):
            value0[i] = loans.original_balance[i] / ltv[i] if np.isfinite(ltv[i]) else loans.balance[i] / ASSUMED_LTV

    behind = loans.payments_behind.astype(np.int64)
    estimated = behind * loans.balance * loans.note_rate / 12.0
    arrears = np.where((loans.arrears == 0) & (behind > 0), estimated, loans.arrears) + loans.escrow_advances

    mod = sm["modification"]
    floor = econ["mortgage_rate"] if mod.get("rate_floor") is None else mod["rate_floor"]
    mod_rate = np.maximum(np.minimum(loans.note_rate, np.maximum(floor, loans.note_rate - mod["rate_cut"])),
                          loans.servicing_fee)
    term = loans.remaining_term.astype(np.int64)
    mod_maturity = np.maximum(term, int(mod["term_months"])).astype(np.int64)

    t_fc = _foreclosure_months(loans.state, sm["foreclosure"])
    fc_max = max(1, int(t_fc.max()))
    hp, mods_on = _hazards(sm)
    code, table, by_age, turnover = _prepay(config["assumptions"]["prepay"])
    t_reo = int(sm["reo"]["months"])

    horizon = sim.get("horizon")
    if horizon is None:
        last = max(int(term.max()), int(mod["term_months"]) if mods_on else 0)
        horizon = min(720, last + K + fc_max + t_reo + 1)
    seed, n_paths = int(sim["seed"]), int(sim["paths"])
    if hpi_paths is None:
        hpi_paths = _hpi_paths(econ["hpi"], n_paths, horizon, seed)
    curve = mult["mtm_ltv"]
    args = (
        np.asarray(loans.balance, dtype=np.float64), np.asarray(loans.note_rate, dtype=np.float64),
        np.asarray(loans.servicing_fee, dtype=np.float64), term, loans.age.astype(np.int64),
        loans.status.astype(np.int64), behind, arrears, np.asarray(loans.deferred_balance, dtype=np.float64),
        value0, t_fc, roll_mult, cure_mult, mod_rate, mod_maturity, mods_on,
        code, table, by_age, turnover, int(sim["start_month"]), float(econ["mortgage_rate"]),
        hp, np.array(curve["ltv"], dtype=np.float64), np.array(curve["roll"], dtype=np.float64),
        np.array(curve["cure"], dtype=np.float64), t_reo, fc_max,
    )
    return StateInputs(seed=seed, horizon=int(horizon), args=args, hpi=np.ascontiguousarray(hpi_paths, dtype=np.float64))


def run_numpy(inputs: StateInputs, path0: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The NumPy twin on resolved inputs: (out int64 (p, H + 1, N_S) ticks, out_loans)."""
    return simulate_numpy(np.uint64(inputs.seed), path0, 0, *inputs.args, inputs.hpi)


class KernelRun(NamedTuple):
    """The kernel's outputs in the twin's units.

    out : int64 (p, H + 1, N_S) ticks summed over loan blocks.
    loans : float64 (l, N_O) per-loan outcome sums over paths.
    loans_tolerance : float64 (l, N_O) how far ``loans`` may be from a float
        sum: the kernel adds each path's outcomes as fixed-point ticks, half a
        tick per path at most (``engine.kernels.state.loan_tick_scale``).
    """

    out: np.ndarray
    loans: np.ndarray
    loans_tolerance: np.ndarray


def run_kernel(inputs: StateInputs, chunk_paths: int = 64, n_blocks: int | None = None) -> KernelRun:
    """The Numba kernel on the same inputs, chunked by paths as ``run_state_model``."""
    import numba

    from engine.jit import block_bounds
    from engine.kernels.holder import holder_off
    from engine.kernels.integration import simulate

    n, P, H = inputs.n_loans, inputs.n_paths, inputs.horizon
    bounds = block_bounds(n, n_blocks or max(1, min(n, 2 * numba.get_num_threads())))
    out_all = np.zeros((P, H + 1, N_S), dtype=np.int64)
    loan_ticks = np.zeros((n, ks.N_O), dtype=np.int64)
    for p0 in range(0, P, chunk_paths):
        p1 = min(P, p0 + chunk_paths)
        out = np.zeros((len(bounds) - 1, p1 - p0, H + 1, N_S), dtype=np.int64)
        flat_rate = np.empty((0, 0))  # no rate paths: the flat market rate
        simulate(
            True, np.uint64(inputs.seed), p0, bounds, 0, *kernel_groups(inputs), inputs.hpi[p0:p1], flat_rate, out,
            loan_ticks, holder_off(),
        )
        out_all[p0:p1] = out.sum(axis=0)
    assert not loan_ticks[:, ks.O_OVERFLOW].any()
    # the kernel's per-loan fixed-point ticks, back in the twin's units
    scale = np.full((n, ks.N_O), ks.PROB_TICKS)
    for c in ks.O_CURRENCY:
        scale[:, c] = ks.loan_tick_scales(kernel_groups(inputs)[0])
    return KernelRun(out_all, loan_ticks / scale, 0.5 * P / scale)


def to_currency(out: np.ndarray) -> np.ndarray:
    """Ticks -> currency, months 1..H: (p, H, N_S)."""
    return out[:, 1:, :] / TICKS
