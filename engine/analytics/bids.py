"""Bid prices for a note, or a tape of notes, from simulated holder cash flows.

Inputs and conventions:

- ``cf``, (paths, T) [currency]: the holder's cash flows in months 1..T of
  each simulated path, month 0 (the purchase) EXCLUDED. A 1-D array is one
  path.
- ``costs`` [currency]: paid at month 0 on top of the price (due diligence,
  legal, boarding); the month-0 flow is ``-(price + costs)``.
- Yields, hurdles: annual effective decimals. Month ``k`` is discounted by
  ``(1 + y)^(-k/12)``, so a path's IRR (annual effective, as in
  :mod:`engine.analytics.irr`) is at least ``h`` exactly when its NPV at ``h``
  is at least 0, i.e. when ``PV(h) >= price + costs`` (for paths whose flows
  after month 0 are >= 0; with later outlays, NPV at ``h`` >= 0 is the test
  used, which is what "earns at least h" means for such paths).

The three bids:

(a) :func:`bid_at_yield`: the price at which the mean path PV at the required
    yield pays for price and costs, ``mean_i PV_i(y) - costs``.
(b) :func:`bid_by_outcome`: each path discounted at the required yield of its
    own outcome (reperforming, modification, deed-in-lieu, foreclosure, ...),
    ``sum_o P(o) mean_(i in o) PV_i(y_o) - costs`` with ``P(o)`` the share of
    paths ending in ``o``; this is the mean over all paths of ``PV_i(y_o(i))``.
(c) :func:`bid_at_confidence`: the highest price at which at least a share
    ``confidence`` of paths earn the hurdle, an order statistic of the path
    PVs at the hurdle (no root search).

Standard errors of (a) and (b) are those of a sample mean: the sample
standard deviation of the path PVs over the square root of the number of
independent samples. Paths that are not independent (antithetic pairs) are
passed as ``groups``: each group's mean PV is then one sample. The outcome
shares in (b) are estimated from the same paths, and that randomness is in
the standard error too (each path is one draw of an outcome and its flows).
For (c) a distribution-free confidence interval from binomial order
statistics is given instead (see :func:`bid_at_confidence`).

Each bid also has a ``*_from_pv`` form that takes the path PVs instead of
the flows, for callers that discount each path as it is simulated and keep
only its PVs (pricing a tape loan by loan); the flow forms call them.

Helpers on full holder vectors (month 0 included, as :func:`engine.analytics.irr.irr`
takes them): :func:`with_purchase` builds them from ``cf`` and a price,
:func:`money_multiple` and :func:`expected_profit` summarise them.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
from scipy.stats import binom

from ..errors import InputError
from ..kernels.present_value import pv_many
from .arrays import annual_rate, cash_flow_matrix, non_negative
from .spreads import pv_std_error

# per-path yields: at most this many distinct values are discounted one
# vector each; more are discounted row block by row block
_MAX_DISTINCT_YIELDS = 64
_ROW_BLOCK = 4_096


# --------------------------------------------------------------------------
# present values


def discount_factors(n_months: int, annual_yield: float) -> np.ndarray:
    """``(1 + y)^(-k/12)`` for months k = 1..n_months.

    Parameters
    ----------
    n_months : int
    annual_yield : float
        [annual effective decimal], > -1.

    Returns
    -------
    ndarray of float64, (n_months,)
    """
    k = np.arange(1, n_months + 1, dtype=np.float64)
    return np.exp(-(k / 12.0) * math.log1p(annual_yield))


def pv_at_yield(cf, annual_yield):
    """Present value of each path's flows (months 1..T) at an annual effective yield.

    Parameters
    ----------
    cf : array_like, (paths, T) or (T,)
        Holder cash flows, month 0 excluded [currency].
    annual_yield : float or array_like (paths,)
        Discount yield [annual effective decimal, in (-1, 1)]: one for all
        paths, or one per path (e.g. the required yield of its outcome).

    Returns
    -------
    ndarray (paths,) or float
        PV at month 0 [currency]; a float for one path.
    """
    matrix, one_path = cash_flow_matrix(cf, "cf")
    n, months = matrix.shape
    y = annual_rate(annual_yield, "annual_yield")
    if y.ndim == 0:
        pv = matrix @ discount_factors(months, float(y))
    else:
        if y.shape != (n,):
            raise InputError(f"annual_yield: expected one yield or one per path ({n},), got shape {y.shape}")
        pv = np.empty(n)
        distinct, which = np.unique(y, return_inverse=True)
        if distinct.size <= _MAX_DISTINCT_YIELDS:
            for j, value in enumerate(distinct):
                rows = which == j
                pv[rows] = matrix[rows] @ discount_factors(months, float(value))
        else:
            t = np.arange(1, months + 1, dtype=np.float64) / 12.0
            for start in range(0, n, _ROW_BLOCK):
                block = slice(start, start + _ROW_BLOCK)
                factors = np.exp(-np.outer(np.log1p(y[block]), t))
                pv[block] = np.einsum("ij,ij->i", matrix[block], factors)
    return float(pv[0]) if one_path else pv


def pv_at_yields(cf, annual_yields, last_month=None) -> np.ndarray:
    """Present value of each path at each of several yields, in one pass.

    Parameters
    ----------
    cf : array_like, (paths, T)
        Holder cash flows, month 0 excluded [currency]; a float64 view with
        any row stride (the months 1..T of a (paths, T + 1) array) is read in
        place.
    annual_yields : array_like (k,)
        Discount yields [annual effective decimal, in (-1, 1)].
    last_month : array_like of int (paths,), optional
        Each path's last month with a flow (later months are zero and are
        skipped); default T.

    Returns
    -------
    ndarray (paths, k)
        Column j is the PV at ``annual_yields[j]``, as :func:`pv_at_yield`
        (equal up to rounding), each path summed in month order
        (:func:`engine.kernels.present_value.pv_many`): the same bits for a
        path whatever the other paths of the call.
    """
    matrix, _ = cash_flow_matrix(cf, "cf", contiguous=False)
    n, months = matrix.shape
    y = np.atleast_1d(annual_rate(annual_yields, "annual_yields"))
    if y.ndim != 1:
        raise InputError(f"annual_yields: expected a 1-D array of yields, got shape {y.shape}")
    if last_month is None:
        last = np.full(n, months, dtype=np.int64)
    else:
        last = np.asarray(last_month, dtype=np.int64)
        if last.shape != (n,) or (last < 0).any() or (last > months).any():
            raise InputError(f"last_month: expected one month in [0, {months}] per path ({n},), got shape {last.shape}")
    factors = np.empty((months, y.size))
    for j, value in enumerate(y):
        factors[:, j] = discount_factors(months, float(value))
    out = np.empty((n, y.size))
    pv_many(matrix, last, factors, out)
    return out


# --------------------------------------------------------------------------
# bids (a) and (b)


@dataclass(frozen=True)
class OutcomeValue:
    """One outcome's part of a bid by outcome.

    Attributes
    ----------
    probability : float
        Share of paths ending in this outcome.
    n_paths : int
    required_yield : float
        [annual effective decimal].
    mean_pv : float
        Mean PV of this outcome's paths at its required yield [currency].
    """

    probability: float
    n_paths: int
    required_yield: float
    mean_pv: float


@dataclass(frozen=True)
class BidEstimate:
    """A bid price estimated as a mean of path present values.

    Attributes
    ----------
    price : float
        Bid [currency]: mean path PV less ``costs``.
    standard_error : float
        Monte Carlo standard error of ``price`` [currency] (NaN with fewer
        than two independent samples).
    mean_pv : float
        Mean path PV [currency] (= price + costs).
    costs : float
        Paid at month 0 on top of the price [currency].
    n_paths : int
    n_samples : int
        Independent samples behind the standard error (paths, or groups).
    by_outcome : dict or None
        For :func:`bid_by_outcome`: outcome code -> :class:`OutcomeValue`.
    """

    price: float
    standard_error: float
    mean_pv: float
    costs: float
    n_paths: int
    n_samples: int
    by_outcome: dict[int, OutcomeValue] | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def _mean_and_standard_error(values: np.ndarray, groups) -> tuple[float, float, int]:
    """Mean, its standard error and the number of independent samples.

    With ``groups`` (one label per path, all groups the same size, e.g.
    antithetic pairs) each group mean is one sample
    (:func:`engine.analytics.spreads.pv_std_error`).
    """
    n = values.size
    k = n
    if groups is not None:
        g = np.asarray(groups)
        if g.shape != (n,):
            raise InputError(f"groups: expected one label per path ({n},), got shape {g.shape}")
        _, sizes = np.unique(g, return_counts=True)
        if sizes.min() != sizes.max():
            raise InputError(
                f"groups: expected groups of one size (e.g. antithetic pairs), got sizes {sizes.min()} to {sizes.max()}"
            )
        k = sizes.size
    return float(values.mean()), pv_std_error(values, groups), k


def bid_at_yield(cf, required_yield: float, costs: float = 0.0, *, groups=None) -> BidEstimate:
    """Bid (a): the price at which the mean path PV at the required yield
    covers price and costs.

    Parameters
    ----------
    cf : array_like, (paths, T) or (T,)
        Holder cash flows, month 0 excluded [currency].
    required_yield : float
        [annual effective decimal].
    costs : float
        Paid at month 0 on top of the price [currency], >= 0.
    groups : array_like (paths,), optional
        Labels of groups of dependent paths (e.g. antithetic pairs: the same
        label for both paths of a pair), all of one size.

    Returns
    -------
    BidEstimate
        ``price = mean_i PV_i(required_yield) - costs`` and its standard error.
    """
    costs = non_negative(costs, "costs")
    pv = pv_at_yield(cf, float(annual_rate(required_yield, "required_yield")))
    return bid_from_pv(pv, costs, groups=groups)


def bid_from_pv(pv, costs: float = 0.0, *, groups=None) -> BidEstimate:
    """Bid (a) from path PVs: ``mean_i PV_i - costs`` and its standard error.

    Parameters
    ----------
    pv : array_like (paths,)
        Each path's PV at the required yield [currency] (:func:`pv_at_yield`).
    costs : float
        Paid at month 0 on top of the price [currency], >= 0.
    groups : array_like (paths,), optional
        As in :func:`bid_at_yield`.
    """
    costs = non_negative(costs, "costs")
    pv = _path_values(pv, "pv")
    mean, se, k = _mean_and_standard_error(pv, groups)
    return BidEstimate(price=mean - costs, standard_error=se, mean_pv=mean, costs=costs, n_paths=pv.size, n_samples=k)


def _path_values(values, name: str) -> np.ndarray:
    """One finite value per path, as a 1-D float64 array."""
    matrix, _ = cash_flow_matrix(np.atleast_1d(values), name)
    if matrix.shape[0] != 1:
        raise InputError(f"{name}: expected one value per path (paths,), got shape {np.shape(values)}")
    return matrix[0]


def _yield_of_each_code(codes: np.ndarray, outcome_yields) -> dict[int, float]:
    present = [int(c) for c in np.unique(codes)]
    if isinstance(outcome_yields, Mapping):
        table = {int(k): v for k, v in outcome_yields.items()}
        missing = [c for c in present if c not in table]
    else:
        seq = list(np.atleast_1d(np.asarray(outcome_yields, dtype=np.float64)))
        missing = [c for c in present if not 0 <= c < len(seq)]
        table = {c: seq[c] for c in present if c not in missing}
    if missing:
        raise InputError(f"outcome_yields: no required yield for outcome code(s) {missing}")
    return {c: float(annual_rate(table[c], f"outcome_yields[{c}]")) for c in present}


def bid_by_outcome(cf, outcome_codes, outcome_yields, costs: float = 0.0, *, groups=None) -> BidEstimate:
    """Bid (b): each path discounted at its outcome's own required yield.

    Parameters
    ----------
    cf : array_like, (paths, T) or (T,)
        Holder cash flows, month 0 excluded [currency].
    outcome_codes : array_like of int, (paths,)
        The outcome each path ended in (any integer codes).
    outcome_yields : mapping or sequence
        Required yield of each outcome [annual effective decimal]:
        ``{code: yield}``, or a sequence indexed by code. Every code present
        needs one.
    costs : float
        Paid at month 0 on top of the price [currency], >= 0.
    groups : array_like (paths,), optional
        As in :func:`bid_at_yield`.

    Returns
    -------
    BidEstimate
        ``price = sum_o P(o) mean_(i in o) PV_i(y_o) - costs`` (equal to the
        mean over paths of ``PV_i(y_(o(i)))`` less costs), its standard error,
        and ``by_outcome``.
    """
    costs = non_negative(costs, "costs")
    matrix, _ = cash_flow_matrix(cf, "cf")
    n = matrix.shape[0]
    codes = _outcome_codes(outcome_codes, n)
    pv = np.atleast_1d(pv_at_yield(matrix, outcome_path_yields(codes, outcome_yields)))
    return bid_by_outcome_from_pv(pv, codes, outcome_yields, costs, groups=groups)


def _outcome_codes(outcome_codes, n: int) -> np.ndarray:
    codes = np.asarray(outcome_codes)
    if codes.shape != (n,) or not np.issubdtype(codes.dtype, np.integer):
        raise InputError(f"outcome_codes: expected one integer code per path ({n},), got {codes.dtype} {codes.shape}")
    return codes


def outcome_path_yields(outcome_codes, outcome_yields) -> np.ndarray:
    """Each path's required yield, from its outcome code [annual effective decimal].

    Parameters
    ----------
    outcome_codes : array_like of int (paths,)
    outcome_yields : mapping or sequence, as in :func:`bid_by_outcome`.
    """
    codes = np.asarray(outcome_codes)
    yields = _yield_of_each_code(codes, outcome_yields)
    present, which = np.unique(codes, return_inverse=True)
    return np.array([yields[int(c)] for c in present])[which].reshape(codes.shape)


def bid_by_outcome_from_pv(pv, outcome_codes, outcome_yields, costs: float = 0.0, *, groups=None) -> BidEstimate:
    """Bid (b) from path PVs, each at its own outcome's required yield.

    Parameters
    ----------
    pv : array_like (paths,)
        ``PV_i(y_(o(i)))`` [currency], e.g. ``pv_at_yield(cf,
        outcome_path_yields(codes, outcome_yields))``.
    outcome_codes, outcome_yields, costs, groups
        As in :func:`bid_by_outcome`.
    """
    costs = non_negative(costs, "costs")
    pv = _path_values(pv, "pv")
    n = pv.size
    codes = _outcome_codes(outcome_codes, n)
    yields = _yield_of_each_code(codes, outcome_yields)
    mean, se, k = _mean_and_standard_error(pv, groups)
    parts = {}
    for code, y in yields.items():
        rows = codes == code
        parts[code] = OutcomeValue(
            probability=float(rows.mean()), n_paths=int(rows.sum()), required_yield=y, mean_pv=float(pv[rows].mean())
        )
    return BidEstimate(
        price=mean - costs, standard_error=se, mean_pv=mean, costs=costs, n_paths=n, n_samples=k, by_outcome=parts
    )


# --------------------------------------------------------------------------
# bid (c)


@dataclass(frozen=True)
class ConfidenceBid:
    """Bid (c): the highest price at which P(IRR >= hurdle) >= confidence.

    Attributes
    ----------
    price : float
        Bid [currency].
    hurdle : float
        [annual effective decimal].
    confidence : float
        Required share of paths earning the hurdle.
    share_at_price : float
        Share of paths with ``PV(hurdle) >= price + costs`` (>= confidence).
    rank : int
        The order statistic used: ``price + costs`` is the ``rank``-th
        smallest path PV at the hurdle (1-based).
    n_paths : int
    costs : float
        [currency].
    ci_low, ci_high : float
        Distribution-free confidence interval for the bid [currency];
        -inf / +inf when there are too few paths for that side.
    ci_level : float
        Requested coverage of the interval.
    ci_coverage : float
        Its binomial coverage, >= ci_level when both ends are finite.
    """

    price: float
    hurdle: float
    confidence: float
    share_at_price: float
    rank: int
    n_paths: int
    costs: float
    ci_low: float
    ci_high: float
    ci_level: float
    ci_coverage: float

    def as_dict(self) -> dict:
        return asdict(self)


def paths_needed(n_paths: int, confidence: float) -> int:
    """Smallest ``m`` with ``m / n_paths >= confidence`` (the share as a float
    ratio, as it is computed from counts)."""
    m = max(1, math.ceil(confidence * n_paths))
    while m > 1 and (m - 1) / n_paths >= confidence:
        m -= 1
    while m / n_paths < confidence:
        m += 1
    return m


@functools.lru_cache(maxsize=64)  # the same for every loan of a tape: computed once
def quantile_ranks(n_paths: int, p: float, level: float) -> tuple[int, int, float]:
    """Ranks ``(l, u)`` (1-based) with ``P(X_(l) <= q_p <= X_(u)) >= level``.

    ``q_p`` is the p-quantile of the distribution the n i.i.d. samples come
    from. With ``B ~ Binomial(n, p)``, the coverage is at least
    ``P(l <= B <= u - 1)``; ``l`` is the largest rank with ``P(B < l) <=
    (1 - level)/2`` and ``u`` the smallest with ``P(B >= u) <= (1 - level)/2``
    (equal tails). ``l = 0`` / ``u = n + 1`` mean that side is unbounded.

    Returns
    -------
    (l, u, coverage)
    """
    alpha_half = 0.5 * (1.0 - level)
    cdf = binom.cdf(np.arange(n_paths + 1), n_paths, p)  # cdf[j] = P(B <= j)
    below = np.flatnonzero(cdf <= alpha_half)
    low = int(below[-1]) + 1 if below.size else 0
    above = np.flatnonzero(1.0 - cdf <= alpha_half)
    high = int(above[0]) + 1 if above.size else n_paths + 1
    cover_hi = cdf[high - 1] if high <= n_paths else 1.0
    cover_lo = cdf[low - 1] if low >= 1 else 0.0
    return low, high, float(cover_hi - cover_lo)


def bid_at_confidence(
    cf, hurdle: float, confidence: float, costs: float = 0.0, *, ci_level: float = 0.95
) -> ConfidenceBid:
    """Bid (c): the highest price at which a share ``confidence`` of paths earn the hurdle.

    Parameters
    ----------
    cf : array_like, (paths, T) or (T,)
        Holder cash flows, month 0 excluded [currency].
    hurdle : float
        [annual effective decimal].
    confidence : float
        Required share of paths with IRR >= hurdle, in (0, 1].
    costs : float
        Paid at month 0 on top of the price [currency], >= 0.
    ci_level : float
        Coverage of the confidence interval, in (0, 1).

    Returns
    -------
    ConfidenceBid

    Notes
    -----
    A path earns the hurdle at price B exactly when ``PV_i(hurdle) >= B +
    costs`` (module docstring). With ``n`` paths and ``m`` the smallest count
    with ``m / n >= confidence``, the highest such B makes ``m`` paths qualify:
    ``B + costs`` is the m-th largest PV, i.e. the order statistic of rank
    ``k = n - m + 1`` from the bottom. At any higher price at most ``m - 1``
    paths qualify (ties at the k-th value included), so the share falls below
    ``confidence``.

    The population bid is ``q - costs`` with ``q`` the (1 - confidence)
    quantile of the path-PV distribution. Its confidence interval uses order
    statistics only (no density estimate): ranks ``l, u`` from the binomial
    distribution of the number of paths below ``q``
    (:func:`quantile_ranks` with ``p = 1 - confidence``), interval
    ``[PV_(l) - costs, PV_(u) - costs]``. It assumes independent paths (not
    antithetic pairs); its coverage is at least ``ci_level`` for any PV
    distribution whose CDF is not flat at level ``1 - confidence``.
    """
    h = float(annual_rate(hurdle, "hurdle"))
    return bid_at_confidence_from_pv(pv_at_yield(cf, h), h, confidence, costs, ci_level=ci_level)


def bid_at_confidence_from_pv(
    pv_at_hurdle, hurdle: float, confidence: float, costs: float = 0.0, *, ci_level: float = 0.95
) -> ConfidenceBid:
    """Bid (c) from the path PVs at the hurdle.

    Parameters
    ----------
    pv_at_hurdle : array_like (paths,)
        Each path's PV at ``hurdle`` [currency].
    hurdle, confidence, costs, ci_level
        As in :func:`bid_at_confidence` (``hurdle`` is only recorded).
    """
    costs = non_negative(costs, "costs")
    h = float(annual_rate(hurdle, "hurdle"))
    if not 0.0 < confidence <= 1.0:
        raise InputError(f"confidence: expected a share in (0, 1], got {confidence:g}")
    if not 0.0 < ci_level < 1.0:
        raise InputError(f"ci_level: expected a probability in (0, 1), got {ci_level:g}")
    pv = np.sort(_path_values(pv_at_hurdle, "pv_at_hurdle"))
    n = pv.size
    m = paths_needed(n, confidence)
    rank = n - m + 1
    threshold = pv[rank - 1]
    low, high, coverage = quantile_ranks(n, 1.0 - confidence, ci_level)
    return ConfidenceBid(
        price=float(threshold - costs),
        hurdle=h,
        confidence=float(confidence),
        share_at_price=float(np.count_nonzero(pv >= threshold) / n),
        rank=rank,
        n_paths=n,
        costs=costs,
        ci_low=float(pv[low - 1] - costs) if low >= 1 else -math.inf,
        ci_high=float(pv[high - 1] - costs) if high <= n else math.inf,
        ci_level=float(ci_level),
        ci_coverage=coverage,
    )


# --------------------------------------------------------------------------
# full holder vectors


def with_purchase(cf, price, costs: float = 0.0) -> np.ndarray:
    """Full holder vectors: ``-(price + costs)`` at month 0, then ``cf``.

    Parameters
    ----------
    cf : array_like, (paths, T) or (T,)
        Holder cash flows, month 0 excluded [currency].
    price : float or array_like (paths,)
        Purchase price [currency], >= 0.
    costs : float
        [currency], >= 0.

    Returns
    -------
    ndarray, (paths, T+1) or (T+1,)
        Month 0 first, as :func:`engine.analytics.irr.irr` takes them.
    """
    matrix, one_path = cash_flow_matrix(cf, "cf")
    costs = non_negative(costs, "costs")
    p = np.asarray(price, dtype=np.float64)
    if p.ndim and p.shape != (matrix.shape[0],):
        raise InputError(f"price: expected one price or one per path ({matrix.shape[0]},), got shape {p.shape}")
    if not (np.isfinite(p) & (p >= 0.0)).all():
        raise InputError(f"price: expected finite prices >= 0, got {p.min() if p.ndim else float(p):g}")
    full = np.empty((matrix.shape[0], matrix.shape[1] + 1))
    full[:, 0] = -(p + costs)
    full[:, 1:] = matrix
    return full[0] if one_path else full


def money_multiple(cash_flows):
    """Money multiple of each vector: total inflows / total outflows.

    Parameters
    ----------
    cash_flows : array_like, (vectors, T+1) or (T+1,)
        Full holder flows, month 0 included [currency].

    Returns
    -------
    ndarray (vectors,) or float
        ``sum(max(CF, 0)) / sum(max(-CF, 0))`` (undiscounted); NaN where
        nothing is paid out.
    """
    matrix, one = cash_flow_matrix(cash_flows, "cash_flows")
    inflows = np.clip(matrix, 0.0, None).sum(axis=1)
    outflows = np.clip(-matrix, 0.0, None).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        multiple = np.where(outflows > 0.0, inflows / np.where(outflows > 0.0, outflows, 1.0), np.nan)
    return float(multiple[0]) if one else multiple


def expected_profit(cash_flows) -> float:
    """Mean over vectors of the undiscounted sum of flows [currency].

    Parameters
    ----------
    cash_flows : array_like, (vectors, T+1) or (T+1,)
        Full holder flows, month 0 included [currency].

    Returns
    -------
    float
        ``mean_i sum_k CF_ik`` (for one vector, its sum).
    """
    matrix, _ = cash_flow_matrix(cash_flows, "cash_flows")
    return float(matrix.sum(axis=1).mean())
