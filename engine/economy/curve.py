"""The zero-coupon curve: zero rates, discount factors, forwards and par yields.

Model
-----
A curve is a list of knots ``(T_i, z_i)``, i = 0 .. n-1: tenors ``T_i``
[years, strictly increasing, > 0] and zero rates ``z_i`` [annual decimal,
continuously compounded]. Between knots the zero rate is linear in the
tenor; below the first tenor and beyond the last it is held flat::

    z(t) = z_0                                  t <= T_0
    z(t) = z_i + (t - T_i) (z_{i+1} - z_i) / (T_{i+1} - T_i)   T_i <= t <= T_{i+1}
    z(t) = z_{n-1}                              t >= T_{n-1}
    P(0, t) = exp(-z(t) t)

so ``-ln P(0, t)`` is piecewise quadratic and the instantaneous forward
``f(0, t) = z(t) + t z'(t)`` is piecewise linear, with jumps at the inner
knots (``instantaneous_forward`` takes the slope of the segment to the
right of a knot).

Par yields
----------
``par_rate(T, freq)`` is the coupon rate [annual decimal, paid ``freq``
times a year] of a bond that prices at par on the curve::

    c = (1 - P(0, T)) / sum_j tau_j P(0, t_j)

with coupon dates counted back from the maturity, ``t_j = T - (n - j) /
freq`` for j = 1 .. n, ``n = ceil(T freq)``, and accrual fractions ``tau_j =
t_j - t_{j-1}`` (``t_0 = 0``): every period is ``1 / freq`` except a short
first one when ``T freq`` is not whole. A tenor at or below ``1 / freq`` has
one period, ``c = (1 / P(0, T) - 1) / T`` (a simple money-market rate).
``from_par_rates`` bootstraps with the same rule, so ``par_rate(T_i)``
returns the inputs.

Key-rate shifts
---------------
``key_rate_shift(i, delta)`` adds ``delta`` to the knot ``z_i`` only. Under
linear interpolation that is a triangular bump: ``delta`` at ``T_i``, linear
to 0 at ``T_{i-1}`` and ``T_{i+1}``, flat at ``delta`` below ``T_0`` for the
first knot and beyond ``T_{n-1}`` for the last. The bumps are a partition of
unity, so the sum of all n key-rate bumps is the parallel shift ``delta`` at
every ``t``.

Config (``curve_from_spec``)
----------------------------
Exactly one of::

    {tenors: [...], zero_rates: [...]}      knots given directly
    {tenors: [...], par_rates: [...]}       semiannual par yields, bootstrapped
    {file: curve.csv}                       columns tenor and zero_rate or par_rate
    {flat: 0.04}                            one continuously compounded rate

References
----------
Hagan, P. S. and West, G. (2006), "Interpolation methods for curve
construction", Applied Mathematical Finance 13(2), 89-129 (linear
interpolation on zero rates and its forwards).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Real
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import brentq

from ..config.economy import real_number
from ..config.fields import percent_hint
from ..errors import ConfigError

__all__ = ["ZeroCurve", "curve_from_spec"]

# accepted range of a rate given as input [annual decimal]; below -10% or at
# 100% and above a number is almost surely a typo or a percent
RATE_LOW = -0.1
RATE_HIGH = 1.0

# T * freq within this of a whole number counts as whole (no stub period)
_WHOLE_PERIODS_TOL = 1e-9

_SPEC_FORMS = "{tenors + zero_rates}, {tenors + par_rates}, {file}, {flat}"


# --------------------------------------------------------------------------
# validation helpers (messages name the key path, the value, what was expected)


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, Real):
        return f"{float(value):g}"
    return repr(value)


def _fmt_list(values: Any) -> str:
    return "[" + ", ".join(_fmt(v) for v in values) + "]"


def _sequence(values: Any, key: str, what: str) -> list:
    if isinstance(values, np.ndarray):
        values = values.tolist()
    if isinstance(values, (str, bytes, Mapping)) or not hasattr(values, "__iter__"):
        raise ConfigError(f"{key}: expected a list of {what}, got {values!r}")
    values = list(values)
    if not values:
        raise ConfigError(f"{key}: expected a non-empty list of {what}, got []")
    return values


def _check_tenors(values: Any, key: str) -> np.ndarray:
    values = _sequence(values, key, "tenors in years")
    out = np.array([real_number(v, f"{key}[{i}]") for i, v in enumerate(values)])
    for i, t in enumerate(out):
        if t <= 0.0:
            raise ConfigError(f"{key}[{i}]: expected a tenor in years > 0, got {t:g}")
    if np.any(np.diff(out) <= 0.0):
        raise ConfigError(f"{key}: expected strictly increasing tenors in years, got {_fmt_list(out)}")
    return out


def _check_rate(value: Any, key: str) -> float:
    r = real_number(value, key)
    if not RATE_LOW < r < RATE_HIGH:
        raise ConfigError(
            f"{key}: expected an annual decimal in ({RATE_LOW:g}, {RATE_HIGH:g}), got {r:g}{percent_hint(r, signed=True)}"
        )
    return r


def _check_rates(values: Any, n_tenors: int, key: str) -> np.ndarray:
    values = _sequence(values, key, "annual decimal rates")
    if len(values) != n_tenors:
        raise ConfigError(f"{key}: expected as many rates as tenors ({n_tenors}), got {len(values)}")
    return np.array([_check_rate(v, f"{key}[{i}]") for i, v in enumerate(values)])


def _times(t: Any, name: str = "t") -> np.ndarray:
    t = np.asarray(t, dtype=np.float64)
    if not np.all(np.isfinite(t)) or np.any(t < 0.0):
        raise ValueError(f"{name} must be finite times in years >= 0")
    return t


def _out(value: np.ndarray):
    return float(value) if value.ndim == 0 else value


def _coupon_schedule(maturity: float, freq: int) -> tuple[np.ndarray, np.ndarray]:
    """Coupon dates counted back from ``maturity`` and their accrual fractions [years]."""
    periods = maturity * freq
    n = round(periods)
    if abs(periods - n) > _WHOLE_PERIODS_TOL * max(1.0, periods) or n == 0:
        n = math.ceil(periods)
    dates = maturity - np.arange(n - 1, -1, -1, dtype=np.float64) / freq
    dates[-1] = maturity
    accrual = np.diff(dates, prepend=0.0)
    return dates, accrual


# --------------------------------------------------------------------------
# the curve


@dataclass(frozen=True, eq=False)
class ZeroCurve:
    """A zero-coupon curve, linear in the zero rate, flat beyond its ends.

    Parameters
    ----------
    tenors : array_like of float, shape (n,)
        Knot tenors ``T_i`` [years, strictly increasing, > 0].
    zero_rates : array_like of float, shape (n,)
        Zero rates ``z_i`` at the knots [annual decimal, continuously
        compounded, in (-0.1, 1)].

    Raises
    ------
    ConfigError
        Tenors not strictly increasing or not positive, a length mismatch, or
        a rate out of range (a percent where a decimal is expected); the
        message names the field and the index.

    Notes
    -----
    The stored arrays are read-only copies. Every method taking times is
    vectorised: it broadcasts over NumPy arrays and returns a float for a
    scalar argument. See the module docstring for the interpolation rule.
    """

    tenors: np.ndarray
    zero_rates: np.ndarray

    def __post_init__(self) -> None:
        tenors = _check_tenors(self.tenors, "tenors")
        rates = _check_rates(self.zero_rates, len(tenors), "zero_rates")
        self._set(tenors, rates)

    def _set(self, tenors: np.ndarray, rates: np.ndarray) -> None:
        tenors = np.array(tenors, dtype=np.float64)
        rates = np.array(rates, dtype=np.float64)
        tenors.setflags(write=False)
        rates.setflags(write=False)
        object.__setattr__(self, "tenors", tenors)
        object.__setattr__(self, "zero_rates", rates)

    @classmethod
    def _from_arrays(cls, tenors: np.ndarray, rates: np.ndarray) -> ZeroCurve:
        """Build without the input range checks (shifted and bootstrapped curves)."""
        curve = cls.__new__(cls)
        curve._set(tenors, rates)
        return curve

    # ---------------------------------------------------------------- builders

    @classmethod
    def flat(cls, rate: float) -> ZeroCurve:
        """A flat curve: ``z(t) = rate`` [annual decimal, continuously compounded]."""
        return cls(tenors=(1.0,), zero_rates=(_check_rate(rate, "flat"),))

    @classmethod
    def from_par_rates(cls, tenors, par_rates, freq: int = 2) -> ZeroCurve:
        """Bootstrap par yields into zero rates at the same tenors.

        Parameters
        ----------
        tenors : array_like of float, shape (n,)
            Maturities of the par bonds [years, strictly increasing, > 0];
            they become the knots of the curve.
        par_rates : array_like of float, shape (n,)
            Par coupon rates [annual decimal, paid ``freq`` times a year;
            semiannual bond-equivalent yields by default].
        freq : int, default 2
            Coupons per year.

        Returns
        -------
        ZeroCurve
            The curve whose ``par_rate(tenors[i], freq)`` equals
            ``par_rates[i]`` (to about 1e-15).

        Raises
        ------
        ConfigError
            Bad tenors or rates, or a par rate no zero rate in (-1, 2) can
            reproduce.

        Notes
        -----
        Knot by knot, ``z_i`` solves ``c_i sum_j tau_j P(0, t_j) + P(0, T_i) =
        1`` over the coupon dates of ``T_i`` (module docstring); dates before
        ``T_{i-1}`` use the knots already found and dates in ``(T_{i-1},
        T_i)`` the linear interpolation towards the unknown ``z_i`` (flat
        ``z_0`` before the first tenor), so bootstrapping and
        interpolation agree exactly.
        """
        return _bootstrap(_check_tenors(tenors, "tenors"), par_rates, freq, "tenors", "par_rates")

    # ----------------------------------------------------------------- shifts

    def shifted(self, delta: float) -> ZeroCurve:
        """Parallel shift: every zero rate plus ``delta`` [annual decimal, cont. comp.]."""
        return ZeroCurve._from_arrays(self.tenors, self.zero_rates + float(delta))

    def key_rate_shift(self, i: int, delta: float) -> ZeroCurve:
        """Triangular key-rate bump of ``delta`` [annual decimal] at knot ``i``.

        The zero rate moves by ``delta`` at ``tenors[i]``, linearly less
        towards the neighbouring tenors and not at all beyond them; the first
        (last) bump is flat at ``delta`` below the first (beyond the last)
        tenor. ``sum_i key_rate_shift(i, d).zero(t) - zero(t) == d`` for all t.
        """
        n = len(self.tenors)
        if not -n <= i < n:
            raise IndexError(f"key rate index {i} out of range for {n} tenors")
        rates = self.zero_rates.copy()
        rates[i] += float(delta)
        return ZeroCurve._from_arrays(self.tenors, rates)

    # ----------------------------------------------------------------- values

    def zero(self, t):
        """Zero rate ``z(t)`` [annual decimal, continuously compounded] at ``t`` [years]."""
        t = _times(t)
        return _out(np.interp(t, self.tenors, self.zero_rates))

    def discount(self, t):
        """Discount factor ``P(0, t) = exp(-z(t) t)`` at ``t`` [years]."""
        t = _times(t)
        return _out(np.exp(-np.interp(t, self.tenors, self.zero_rates) * t))

    def forward(self, t0, t1):
        """Forward rate over ``[t0, t1]`` [annual decimal, continuously compounded].

        ``(z(t1) t1 - z(t0) t0) / (t1 - t0)``; where ``t1 == t0`` the
        instantaneous forward at ``t0``. Times in years, ``t1 >= t0``.
        """
        t0, t1 = np.broadcast_arrays(_times(t0, "t0"), _times(t1, "t1"))
        if np.any(t1 < t0):
            raise ValueError("forward: t1 must be >= t0")
        log_ratio = self._log_discount(t0) - self._log_discount(t1)
        with np.errstate(divide="ignore", invalid="ignore"):
            fwd = np.where(t1 > t0, log_ratio / np.where(t1 > t0, t1 - t0, 1.0), self._inst_fwd(t0))
        return _out(fwd)

    def instantaneous_forward(self, t):
        """Instantaneous forward ``f(0, t) = z(t) + t z'(t)`` [annual decimal] at ``t`` [years].

        Piecewise linear in ``t``; at an inner knot the slope of the segment
        to its right is used (right-continuous). Flat ``z`` beyond the ends.
        """
        return _out(self._inst_fwd(_times(t)))

    def par_rate(self, maturity, freq: int = 2):
        """Par coupon rate [annual decimal, ``freq`` coupons a year] for ``maturity`` [years].

        ``(1 - P(0, T)) / sum_j tau_j P(0, t_j)`` with coupon dates counted
        back from ``T`` (module docstring). Vectorised over ``maturity`` (> 0).
        """
        freq = _check_freq(freq)
        maturity = _times(maturity, "maturity")
        if np.any(maturity <= 0.0):
            raise ValueError("par_rate: maturity must be > 0 years")
        flat = maturity.reshape(-1)
        out = np.empty_like(flat)
        for k, m in enumerate(flat):  # few maturities; each has its own schedule
            dates, accrual = _coupon_schedule(float(m), freq)
            disc = np.exp(self._log_discount(dates))
            out[k] = -math.expm1(float(self._log_discount(np.float64(m)))) / float(accrual @ disc)
        return _out(out.reshape(maturity.shape))

    # --------------------------------------------------------------- internals

    def _log_discount(self, t: np.ndarray) -> np.ndarray:
        return -np.interp(t, self.tenors, self.zero_rates) * t

    def _inst_fwd(self, t: np.ndarray) -> np.ndarray:
        tenors, rates = self.tenors, self.zero_rates
        if len(tenors) == 1:
            return np.full(np.shape(t), rates[0])
        slopes = np.diff(rates) / np.diff(tenors)
        seg = np.searchsorted(tenors, t, side="right") - 1  # segment [T_seg, T_seg+1)
        inside = (seg >= 0) & (seg < len(tenors) - 1)
        slope = np.where(inside, slopes[np.clip(seg, 0, len(slopes) - 1)], 0.0)
        return np.interp(t, tenors, rates) + t * slope

    def __repr__(self) -> str:
        return f"ZeroCurve(tenors={_fmt_list(self.tenors)}, zero_rates={_fmt_list(self.zero_rates)})"


def _check_freq(freq: Any) -> int:
    if isinstance(freq, bool) or not isinstance(freq, (int, np.integer)) or freq < 1:
        raise ValueError(f"freq must be a whole number of coupons a year >= 1, got {freq!r}")
    return int(freq)


def _bootstrap(tenors: np.ndarray, par_rates: Any, freq: Any, tenor_key: str, rate_key: str) -> ZeroCurve:
    """Zero rates at ``tenors`` reproducing the par rates (see ``ZeroCurve.from_par_rates``)."""
    freq = _check_freq(freq)
    pars = _check_rates(par_rates, len(tenors), rate_key)
    zeros = np.empty_like(pars)
    for i, (maturity, c) in enumerate(zip(tenors, pars)):
        dates, accrual = _coupon_schedule(float(maturity), freq)

        def excess(z_i: float, i=i, dates=dates, accrual=accrual, c=c) -> float:
            trial = ZeroCurve._from_arrays(tenors[: i + 1], np.append(zeros[:i], z_i))
            disc = np.exp(trial._log_discount(dates))
            return float(c * (accrual @ disc) + disc[-1] - 1.0)

        lo, hi = -1.0, 2.0
        if excess(lo) * excess(hi) > 0.0:
            raise ConfigError(
                f"{rate_key}[{i}]: no zero rate in ({lo:g}, {hi:g}) reproduces the par rate {c:g} "
                f"at {maturity:g} years"
            )
        zeros[i] = brentq(excess, lo, hi, xtol=1e-16, rtol=4.0 * np.finfo(float).eps, maxiter=200)
    return ZeroCurve._from_arrays(tenors, zeros)


# --------------------------------------------------------------------------
# config


def curve_from_spec(
    spec: Mapping, key: str = "economy.curve", base_dir: str | Path | None = None
) -> ZeroCurve:
    """Build a ``ZeroCurve`` from a config mapping.

    Parameters
    ----------
    spec : Mapping
        Exactly one of ``{tenors, zero_rates}`` (knots: tenors [years],
        zero rates [annual decimal, continuously compounded]), ``{tenors,
        par_rates}`` (semiannual par yields [annual decimal], bootstrapped
        with ``ZeroCurve.from_par_rates``), ``{file: path}`` (a CSV file with
        a header row: column ``tenor`` and one of ``zero_rate`` or
        ``par_rate``) or ``{flat: rate}``.
    key : str, default "economy.curve"
        Key path of ``spec`` in the config, used in error messages.
    base_dir : str or Path, optional
        Directory a relative ``file`` is resolved against (the config's
        folder); the current directory when omitted.

    Returns
    -------
    ZeroCurve

    Raises
    ------
    ConfigError
        One line naming the key path (and the file), the value and what was
        expected, e.g. ``economy.curve.zero_rates[3]: expected an annual
        decimal in (-0.1, 1), got 4.5 (a percent? write 0.045)``.
    """
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{key}: expected a mapping with one of {_SPEC_FORMS}, got {spec!r}")
    allowed = ("tenors", "zero_rates", "par_rates", "file", "flat")
    for name in spec:
        if name not in allowed:
            raise ConfigError(f"{key}.{name}: unknown key (expected one of {', '.join(allowed)})")
    given = sorted(spec, key=allowed.index)

    if given == ["flat"]:
        return ZeroCurve._from_arrays(np.array([1.0]), np.array([_check_rate(spec["flat"], f"{key}.flat")]))
    if given == ["file"]:
        return _curve_from_csv(spec["file"], f"{key}.file", base_dir)
    if given in (["tenors", "zero_rates"], ["tenors", "par_rates"]):
        tenors = _check_tenors(spec["tenors"], f"{key}.tenors")
        if given[1] == "zero_rates":
            rates = _check_rates(spec["zero_rates"], len(tenors), f"{key}.zero_rates")
            return ZeroCurve._from_arrays(tenors, rates)
        return _bootstrap(tenors, spec["par_rates"], 2, f"{key}.tenors", f"{key}.par_rates")
    if given == ["tenors"]:
        raise ConfigError(f"{key}.zero_rates: missing (give zero_rates or par_rates with the tenors)")
    if given in (["zero_rates"], ["par_rates"]):
        raise ConfigError(f"{key}.tenors: missing (the tenors in years of the {given[0]})")
    raise ConfigError(f"{key}: expected exactly one of {_SPEC_FORMS}, got keys {given}")


def _curve_from_csv(file: Any, key: str, base_dir: str | Path | None) -> ZeroCurve:
    if not isinstance(file, (str, Path)) or not str(file).strip():
        raise ConfigError(f"{key}: expected a CSV file path, got {file!r}")
    path = Path(file)
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    try:
        with path.open(newline="") as handle:
            reader = csv.reader(handle)
            rows = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    except FileNotFoundError:
        raise ConfigError(f"{key}: curve file not found: {path}") from None
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise ConfigError(f"{key}: cannot read curve file {path} ({e})") from None
    where = f"{key} ({path})"
    if not rows:
        raise ConfigError(
            f"{where}: expected a header row 'tenor' and 'zero_rate' or 'par_rate', got an empty file"
        )
    header = [name.strip() for name in rows[0][1]]
    rate_cols = [name for name in ("zero_rate", "par_rate") if name in header]
    if "tenor" not in header or len(rate_cols) != 1 or len(set(header)) != len(header):
        raise ConfigError(
            f"{where}: expected columns 'tenor' and one of 'zero_rate' or 'par_rate', got {header}"
        )
    rate_col = rate_cols[0]
    i_tenor, i_rate = header.index("tenor"), header.index(rate_col)
    tenors, rates = [], []
    for line, row in rows[1:]:
        cells = []
        for name, i in (("tenor", i_tenor), (rate_col, i_rate)):
            text = row[i].strip() if i < len(row) else ""
            try:
                cells.append(float(text))
            except ValueError:
                raise ConfigError(f"{where} line {line}: {name}: expected a number, got {text!r}") from None
        tenor = real_number(cells[0], f"{where} line {line}: tenor")
        if tenor <= 0.0:
            raise ConfigError(f"{where} line {line}: tenor: expected a tenor in years > 0, got {tenor:g}")
        tenors.append(tenor)
        rates.append(_check_rate(cells[1], f"{where} line {line}: {rate_col}"))
    if not tenors:
        raise ConfigError(f"{where}: expected at least one data row after the header")
    tenor_arr = _check_tenors(tenors, f"{where}: tenor")
    if rate_col == "zero_rate":
        return ZeroCurve._from_arrays(tenor_arr, np.array(rates))
    return _bootstrap(tenor_arr, rates, 2, f"{where}: tenor", f"{where}: par_rate")
