"""Internal rate of return of holder cash flows, and the IRR distribution.

Conventions:

- A cash-flow vector is monthly, month 0 first: month 0 is the purchase (a
  negative flow, ``-(price + costs)``), months 1..T follow [currency].
- The solver finds the *monthly* IRR ``r_m``, the root of
  ``sum_k CF_k (1 + r_m)^(-k) = 0``; the reported IRR is *annual effective*,
  ``(1 + r_m)^12 - 1``. Both are kept.
- A solver failure is data, not an exception: the rate is NaN and the status
  says why (as ``numpy_financial.irr`` returns NaN), unless
  ``raise_on_failure=True``.

The algorithm (safeguarded Newton in ``log(1 + r)`` with bracketing, the root
closest to 0 when several exist, the convergence test) is described in
:mod:`engine.kernels.irr`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ..errors import ConvergenceError, InputError
from ..kernels import irr as _k
from .arrays import annual_rate, cash_flow_matrix

CONVERGED = _k.CONVERGED
TOTAL_LOSS = _k.TOTAL_LOSS
NO_SIGN_CHANGE = _k.NO_SIGN_CHANGE
NOT_CONVERGED = _k.NOT_CONVERGED

#: status code -> name, in code order (the keys of :meth:`IRRResult.counts`)
STATUS_NAMES = {
    CONVERGED: "converged",
    TOTAL_LOSS: "total_loss",
    NO_SIGN_CHANGE: "no_sign_change",
    NOT_CONVERGED: "not_converged",
}


def annual_from_monthly(rate_monthly):
    """Annual effective rate ``(1 + r)^12 - 1`` of a monthly rate (``-1 -> -1``).

    Parameters
    ----------
    rate_monthly : float or ndarray
        [monthly decimal], >= -1 or NaN.

    Returns
    -------
    float or ndarray
        [annual effective decimal]; NaN stays NaN.
    """
    r = np.asarray(rate_monthly, dtype=np.float64)
    with np.errstate(divide="ignore"):  # log1p(-1) = -inf -> expm1(-inf) = -1
        annual = np.expm1(12.0 * np.log1p(r))
    return annual[()] if annual.ndim == 0 else annual


@dataclass(frozen=True)
class IRRResult:
    """IRRs of one vector or of many.

    Each field has the shape of the input without its month axis: one value
    per vector (numpy scalars for a single vector).

    Attributes
    ----------
    monthly : ndarray of float64
        Monthly IRR [monthly decimal]; -1.0 for TOTAL_LOSS, NaN for
        NO_SIGN_CHANGE and NOT_CONVERGED.
    annual : ndarray of float64
        Annual effective IRR ``(1 + monthly)^12 - 1`` [annual decimal].
    iterations : ndarray of int64
        NPV evaluations the solver used.
    status : ndarray of int8
        ``CONVERGED`` (0), ``TOTAL_LOSS`` (1), ``NO_SIGN_CHANGE`` (2) or
        ``NOT_CONVERGED`` (3); names in :data:`STATUS_NAMES`.
    """

    monthly: np.ndarray
    annual: np.ndarray
    iterations: np.ndarray
    status: np.ndarray

    def counts(self) -> dict[str, int]:
        """Number of vectors with each status, every status present (0 if none)."""
        status = np.atleast_1d(self.status)
        return {name: int(np.count_nonzero(status == code)) for code, name in STATUS_NAMES.items()}

    def to_arrow(self) -> pa.Table:
        """One row per vector: ``irr_monthly``, ``irr_annual``, ``iterations``, ``status`` (name)."""
        names = np.array(list(STATUS_NAMES.values()))
        return pa.table(
            {
                "irr_monthly": np.atleast_1d(self.monthly),
                "irr_annual": np.atleast_1d(self.annual),
                "iterations": np.atleast_1d(self.iterations),
                "status": pa.array(names[np.atleast_1d(self.status)]).dictionary_encode(),
            }
        )


def irr(cash_flows, *, raise_on_failure: bool = False) -> IRRResult:
    """Monthly and annual effective IRR of each cash-flow vector.

    Parameters
    ----------
    cash_flows : array_like
        One vector (T+1,) or a matrix (vectors, T+1) of monthly flows
        [currency], month 0 first; finite.
    raise_on_failure : bool
        Raise :class:`engine.errors.ConvergenceError` if any vector ends
        NO_SIGN_CHANGE or NOT_CONVERGED (a TOTAL_LOSS is an answer, -100%,
        not a failure). Default False: those vectors get NaN.

    Returns
    -------
    IRRResult
        Fields shaped like ``cash_flows`` without the month axis.

    Notes
    -----
    Statuses (see :mod:`engine.kernels.irr`):

    - TOTAL_LOSS: no positive flow at all and some negative one (the outlay
      never comes back): IRR -100%, monthly rate -1.0 exactly.
    - NO_SIGN_CHANGE: every flow >= 0 (or all zero), or NPV keeps one sign on
      the whole search interval (monthly rate from -1 + 1e-300 to 1e6).
    - NOT_CONVERGED: a root was bracketed but not reached (not expected).

    When the flows change sign more than once and NPV has several roots, the
    root closest to 0 is returned (as numpy-financial does).
    """
    matrix, one_vector = cash_flow_matrix(cash_flows, "cash_flows")
    n = matrix.shape[0]
    rate = np.empty(n, dtype=np.float64)
    iterations = np.empty(n, dtype=np.int64)
    status = np.empty(n, dtype=np.int8)
    _k.irr_many(matrix, rate, iterations, status)
    if raise_on_failure:
        failed = np.flatnonzero((status == NO_SIGN_CHANGE) | (status == NOT_CONVERGED))
        if failed.size:
            i = int(failed[0])
            where = "" if one_vector else f" for {failed.size} of {n} vectors (first: row {i})"
            raise ConvergenceError(f"no IRR{where}: {STATUS_NAMES[int(status[i])]}")
    annual = annual_from_monthly(rate)
    if one_vector:
        return IRRResult(monthly=rate[0], annual=annual[0], iterations=iterations[0], status=status[0])
    return IRRResult(monthly=rate, annual=annual, iterations=iterations, status=status)


PERCENTILES = (1, 5, 10, 25, 50, 75, 90, 95, 99)


def irr_distribution(
    annual_irr, statuses, hurdle: float, *, cash_flows=None, npv_at_zero=None, npv_at_hurdle=None
) -> dict[str, float]:
    """Statistics of per-path IRRs.

    Parameters
    ----------
    annual_irr : array_like of float, (paths,)
        Annual effective IRR per path [annual decimal] (``IRRResult.annual``).
    statuses : array_like of int, (paths,)
        IRR status per path (``IRRResult.status``).
    hurdle : float
        Hurdle rate [annual effective decimal] for ``p_irr_below_hurdle``.
    cash_flows : array_like, (paths, T+1), optional
        The holder flows the IRRs came from (month 0 first) [currency]. Only
        used to place NO_SIGN_CHANGE paths in the two probabilities.
    npv_at_zero, npv_at_hurdle : array_like (paths,), optional
        Instead of ``cash_flows``: each path's NPV [currency] at 0 (the
        undiscounted sum of its flows) and at the hurdle (month k discounted
        by ``(1 + hurdle)^(-k/12)``), for callers that keep those and not the
        flows. Only their NO_SIGN_CHANGE entries are read.

    Returns
    -------
    dict
        ``n_paths``; the count of each status (``n_converged``,
        ``n_total_loss``, ``n_no_sign_change``, ``n_not_converged``);
        ``n_in_moments``, the paths behind mean, std and percentiles;
        ``n_in_probabilities``, the paths behind the probabilities;
        ``mean``, ``std`` (sample, ddof=1), ``p01`` ... ``p99`` [annual decimal];
        ``p_irr_below_zero``, ``p_irr_below_hurdle`` [fraction of
        ``n_in_probabilities``]. NaN where no path qualifies.

    Notes
    -----
    How each status enters:

    - CONVERGED: its IRR, everywhere.
    - TOTAL_LOSS (nothing came back): IRR = -1.0 (-100%) in every statistic,
      so it is below zero and below any hurdle above -100%.
    - NO_SIGN_CHANGE: no IRR exists on the search interval, so the path is
      left out of mean, std and percentiles (and counted). NPV then has one
      sign at every rate, so the path's IRR is below a rate exactly when its
      NPV at that rate is negative: with ``cash_flows`` the path enters the
      probabilities that way (NPV at 0 for ``p_irr_below_zero``, at the hurdle
      for ``p_irr_below_hurdle``), and likewise with ``npv_at_zero`` and
      ``npv_at_hurdle``; without them it is left out of the probabilities too
      (their denominator is ``n_in_probabilities``).
    - NOT_CONVERGED: left out of everything, counted.

    Percentiles use numpy's default linear interpolation between order
    statistics.
    """
    irr_arr = np.asarray(annual_irr, dtype=np.float64)
    st = np.asarray(statuses)
    if irr_arr.ndim != 1 or st.shape != irr_arr.shape:
        raise InputError(
            "annual_irr, statuses: expected two 1-D arrays of the same length, "
            f"got shapes {irr_arr.shape} and {st.shape}"
        )
    known = np.isin(st, list(STATUS_NAMES))
    if not known.all():
        i = int(np.flatnonzero(~known)[0])
        raise InputError(f"statuses[{i}]: expected one of {sorted(STATUS_NAMES)}, got {st[i]!r}")
    hurdle_annual = float(annual_rate(hurdle, "hurdle"))
    converged = st == CONVERGED
    bad = converged & ~np.isfinite(irr_arr)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"annual_irr[{i}]: a CONVERGED path needs a finite IRR, got {irr_arr[i]}")
    total_loss = st == TOTAL_LOSS
    no_sign = st == NO_SIGN_CHANGE

    used = converged | total_loss
    values = np.where(total_loss, -1.0, irr_arr)[used]
    below_zero = values < 0.0
    below_hurdle = values < hurdle_annual
    n_prob = values.size
    if cash_flows is not None and (npv_at_zero is not None or npv_at_hurdle is not None):
        raise InputError("cash_flows, npv_at_zero, npv_at_hurdle: give the flows or the two NPVs, not both")
    if (npv_at_zero is None) != (npv_at_hurdle is None):
        raise InputError("npv_at_zero, npv_at_hurdle: give both or neither")
    if npv_at_zero is not None and no_sign.any():
        npv_zero = np.asarray(npv_at_zero, dtype=np.float64)
        npv_hurdle = np.asarray(npv_at_hurdle, dtype=np.float64)
        if npv_zero.shape != irr_arr.shape or npv_hurdle.shape != irr_arr.shape:
            raise InputError(
                f"npv_at_zero, npv_at_hurdle: expected one NPV per path ({irr_arr.size},), "
                f"got shapes {npv_zero.shape} and {npv_hurdle.shape}"
            )
        below_zero = np.concatenate([below_zero, npv_zero[no_sign] < 0.0])
        below_hurdle = np.concatenate([below_hurdle, npv_hurdle[no_sign] < 0.0])
        n_prob += int(np.count_nonzero(no_sign))
    if cash_flows is not None and no_sign.any():
        matrix, _ = cash_flow_matrix(cash_flows, "cash_flows")
        if matrix.shape[0] != irr_arr.size:
            raise InputError(f"cash_flows: expected {irr_arr.size} rows (one per path), got {matrix.shape[0]}")
        flows = matrix[no_sign]
        months = np.arange(flows.shape[1])
        npv_zero = flows.sum(axis=1)
        npv_hurdle = flows @ (1.0 + hurdle_annual) ** (-months / 12.0)
        below_zero = np.concatenate([below_zero, npv_zero < 0.0])
        below_hurdle = np.concatenate([below_hurdle, npv_hurdle < 0.0])
        n_prob += flows.shape[0]

    out: dict[str, float] = {"n_paths": int(irr_arr.size)}
    for code, name in STATUS_NAMES.items():
        out[f"n_{name}"] = int(np.count_nonzero(st == code))
    out["n_in_moments"] = int(values.size)
    out["n_in_probabilities"] = int(n_prob)
    nan = float("nan")
    out["mean"] = float(values.mean()) if values.size else nan
    out["std"] = float(values.std(ddof=1)) if values.size > 1 else nan
    pct = np.percentile(values, PERCENTILES) if values.size else np.full(len(PERCENTILES), nan)
    for p, v in zip(PERCENTILES, pct):
        out[f"p{p:02d}"] = float(v)
    out["p_irr_below_zero"] = float(below_zero.mean()) if n_prob else nan
    out["p_irr_below_hurdle"] = float(below_hurdle.mean()) if n_prob else nan
    return out
