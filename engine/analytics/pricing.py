"""Note pricing measures: per loan and path values, per-loan bids, the
outcome mix, and the whole tape's IRR distribution and bids.

Conventions (as :mod:`.bids` and :mod:`.irr`):

- holder flows are monthly [currency], month 1 first, month 0 (the
  purchase, ``-(price + costs)``) apart; a loan's *outlay* is price + costs;
- yields, hurdles and IRRs are annual effective decimals; month ``k`` is
  discounted by ``(1 + y)^(-k/12)``;
- outcomes are the state kernel's resolution codes
  (:data:`engine.kernels.holder.RESOLUTION_NAMES`);
- statistics over paths treat every path alike; statistics over a tape's
  loan-paths (the outcome mix) treat every (loan, path) pair alike.

Only (loans x paths) values are kept, never a tape's loans x paths x months:
:func:`block_values` reduces one block of flows to them, and the flows are
discarded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..kernels.holder import N_R, RESOLUTION_NAMES
from ..kernels.state import TICKS
from .bids import (
    bid_at_confidence_from_pv,
    bid_by_outcome_from_pv,
    bid_from_pv,
    expected_profit,
    money_multiple,
    pv_at_yield,
    pv_at_yields,
    with_purchase,
)
from .irr import STATUS_NAMES, irr, irr_distribution

MIXED = "mixed"  # a tape path whose loans end in different outcomes


@dataclass
class LoanPathValues:
    """What is kept of each loan on each path, (loans, paths) arrays.

    pv_required, pv_outcome, pv_hurdle : PV of the loan's flows (months
        1..T) at the required yield, at its outcome's required yield, at the
        hurdle [currency].
    proceeds : undiscounted sum of the flows, months 1..T [currency].
    irr_monthly, irr_annual, irr_status : the IRR at the loan's outlay
        (:func:`engine.analytics.irr.irr`).
    outcome : resolution code; resolved : month of resolution.
    """

    pv_required: np.ndarray
    pv_outcome: np.ndarray
    pv_hurdle: np.ndarray
    proceeds: np.ndarray
    irr_monthly: np.ndarray
    irr_annual: np.ndarray
    irr_status: np.ndarray
    outcome: np.ndarray
    resolved: np.ndarray

    BYTES_PER_VALUE = 8 * 7 + 1 + 1 + 4  # memory per loan-path

    @classmethod
    def empty(cls, n_loans: int, n_paths: int) -> "LoanPathValues":
        f = lambda dtype: np.zeros((n_loans, n_paths), dtype=dtype)  # noqa: E731
        return cls(
            f(np.float64), f(np.float64), f(np.float64), f(np.float64), f(np.float64), f(np.float64),
            f(np.int8), f(np.int8), f(np.int32),
        )

    def fill(self, l0: int, p0: int, block: dict[str, np.ndarray]) -> None:
        """Store one block's values (from :func:`block_values`) at loans l0.., paths p0.."""
        n_l, n_p = block["outcome"].shape
        for name, values in block.items():
            getattr(self, name)[l0 : l0 + n_l, p0 : p0 + n_p] = values


def block_values(
    cf_ticks: np.ndarray,
    outcome: np.ndarray,
    resolved: np.ndarray,
    outlay: np.ndarray,
    required_yield: float,
    hurdle: float,
    outcome_yields: tuple[float, ...],
) -> dict[str, np.ndarray]:
    """PVs, proceeds and IRRs of one block of loans on one chunk of paths.

    Parameters
    ----------
    cf_ticks : int64 (loans, paths, T + 1) holder flows in ticks of
        1 / TICKS currency (:mod:`engine.kernels.holder`); month 0 is ignored.
    outcome, resolved : (loans, paths) resolution codes and months.
    outlay : float64 (loans,) price + costs of each loan [currency].
    required_yield, hurdle : [annual effective decimal].
    outcome_yields : required yield of each resolution code, indexed by code.

    Returns
    -------
    dict of (loans, paths) arrays, keyed as the fields of :class:`LoanPathValues`.

    Notes
    -----
    One float copy of the block is made: month 0 set to ``-outlay``, the IRR
    solved on it, and every PV (the required, hurdle and outcome yields, and
    0 for the proceeds) taken in one pass over its months 1..resolution
    (:func:`engine.analytics.bids.pv_at_yields`).
    """
    n_l, n_p, width = cf_ticks.shape
    full = np.empty((n_l * n_p, width))
    np.divide(cf_ticks.reshape(n_l * n_p, width), TICKS, out=full)
    full[:, 0] = -np.repeat(outlay, n_p)
    res = irr(full)
    yields, index = np.unique(
        np.array((required_yield, hurdle, 0.0) + tuple(outcome_yields), dtype=np.float64), return_inverse=True
    )
    pv = pv_at_yields(full[:, 1:], yields, resolved.reshape(-1))
    del full
    codes = outcome.reshape(-1).astype(np.intp)
    shape = (n_l, n_p)
    return {
        "pv_required": pv[:, index[0]].reshape(shape),
        "pv_outcome": pv[np.arange(codes.size), index[3:][codes]].reshape(shape),
        "pv_hurdle": pv[:, index[1]].reshape(shape),
        "proceeds": pv[:, index[2]].reshape(shape),
        "irr_monthly": res.monthly.reshape(shape),
        "irr_annual": res.annual.reshape(shape),
        "irr_status": res.status.reshape(shape),
        "outcome": outcome,
        "resolved": resolved,
    }


def _distribution(values: LoanPathValues, index, outlay, hurdle: float) -> dict[str, float]:
    """IRR statistics of the loan-paths selected by ``index`` (NO_SIGN_CHANGE
    paths placed by their NPVs at 0 and at the hurdle)."""
    return irr_distribution(
        values.irr_annual[index],
        values.irr_status[index],
        hurdle,
        npv_at_zero=values.proceeds[index] - outlay,
        npv_at_hurdle=values.pv_hurdle[index] - outlay,
    )


def loan_bids(
    values: LoanPathValues,
    outlay: np.ndarray,
    costs: float,
    required_yield: float,
    hurdle: float,
    confidence: float,
    outcome_yields: tuple[float, ...],
    groups: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Each loan's three bids and its IRR distribution at its ask.

    Returns
    -------
    dict of (loans,) arrays: ``bid_at_yield``, ``bid_at_yield_se``,
    ``bid_by_outcome``, ``bid_by_outcome_se``, ``bid_at_confidence`` [currency];
    ``irr_mean_at_ask``, ``irr_median_at_ask``, ``p_irr_below_hurdle_at_ask``;
    ``p_<outcome>`` for every outcome; ``months_to_resolution_mean``.
    """
    n_loans, n_paths = values.outcome.shape
    yields = dict(enumerate(outcome_yields))
    out = {
        name: np.empty(n_loans)
        for name in (
            "bid_at_yield", "bid_at_yield_se", "bid_by_outcome", "bid_by_outcome_se", "bid_at_confidence",
            "irr_mean_at_ask", "irr_median_at_ask", "p_irr_below_hurdle_at_ask",
        )
    }
    for l in range(n_loans):
        a = bid_from_pv(values.pv_required[l], costs, groups=groups)
        b = bid_by_outcome_from_pv(values.pv_outcome[l], values.outcome[l], yields, costs, groups=groups)
        c = bid_at_confidence_from_pv(values.pv_hurdle[l], hurdle, confidence, costs)
        d = _distribution(values, l, outlay[l], hurdle)
        out["bid_at_yield"][l], out["bid_at_yield_se"][l] = a.price, a.standard_error
        out["bid_by_outcome"][l], out["bid_by_outcome_se"][l] = b.price, b.standard_error
        out["bid_at_confidence"][l] = c.price
        out["irr_mean_at_ask"][l] = d["mean"]
        out["irr_median_at_ask"][l] = d["p50"]
        out["p_irr_below_hurdle_at_ask"][l] = d["p_irr_below_hurdle"]
    counts = np.stack([np.count_nonzero(values.outcome == code, axis=1) for code in range(N_R)], axis=1)
    for code, name in enumerate(RESOLUTION_NAMES):
        out[f"p_{name}"] = counts[:, code] / n_paths
    out["months_to_resolution_mean"] = values.resolved.mean(axis=1)
    return out


def outcome_mix(values: LoanPathValues, outlay: np.ndarray, hurdle: float) -> dict[str, list]:
    """The ``outcomes`` table: one row per outcome, over every loan-path.

    Columns: ``outcome``, ``probability`` (share of loan-paths), ``irr_mean``,
    ``irr_median`` (IRR at the ask, as :func:`engine.analytics.irr.irr_distribution`
    counts each status), ``months_mean`` (months to resolution), ``proceeds_mean``
    (undiscounted holder cash after the purchase) [currency]. NaN where no
    loan-path ended in that outcome.
    """
    n = values.outcome.size
    outlays = np.broadcast_to(outlay[:, None], values.outcome.shape)
    names = ("outcome", "probability", "irr_mean", "irr_median", "months_mean", "proceeds_mean")
    rows: dict[str, list] = {k: [] for k in names}
    for code, name in enumerate(RESOLUTION_NAMES):
        mask = values.outcome == code
        k = int(np.count_nonzero(mask))
        d = _distribution(values, mask, outlays[mask], hurdle) if k else None
        rows["outcome"].append(name)
        rows["probability"].append(k / n)
        rows["irr_mean"].append(d["mean"] if d else np.nan)
        rows["irr_median"].append(d["p50"] if d else np.nan)
        rows["months_mean"].append(float(values.resolved[mask].mean()) if k else np.nan)
        rows["proceeds_mean"].append(float(values.proceeds[mask].mean()) if k else np.nan)
    return rows


def path_outcomes(values: LoanPathValues) -> tuple[np.ndarray, np.ndarray]:
    """Each path's outcome name and months to resolution, for the whole tape.

    A path's outcome is its loans' common outcome, or ``mixed`` when they end
    differently; its months to resolution are those of its last loan to
    resolve (the horizon if one is unresolved).
    """
    first = values.outcome[0]
    same = (values.outcome == first).all(axis=0)
    names = np.array(RESOLUTION_NAMES + (MIXED,), dtype=object)
    outcome = names[np.where(same, first, len(RESOLUTION_NAMES))]
    return outcome, values.resolved.max(axis=0)


@dataclass(frozen=True)
class TapeMeasures:
    """The whole tape bought at the sum of its loans' outlays.

    irr : :class:`engine.analytics.irr.IRRResult` per path.
    distribution : :func:`engine.analytics.irr.irr_distribution` of the path IRRs.
    profit : (paths,) undiscounted holder cash less the outlay [currency].
    expected_profit : mean profit [currency].
    money_multiple : mean over paths of inflows / outflows.
    bid_at_yield, bid_by_outcome : :class:`engine.analytics.bids.BidEstimate`.
    bid_at_confidence : :class:`engine.analytics.bids.ConfidenceBid`.
    """

    irr: object
    distribution: dict
    profit: np.ndarray
    expected_profit: float
    money_multiple: float
    bid_at_yield: object
    bid_by_outcome: object
    bid_at_confidence: object


def tape_measures(
    tape_flows: np.ndarray,
    values: LoanPathValues,
    price: float,
    costs: float,
    required_yield: float,
    hurdle: float,
    confidence: float,
    groups: np.ndarray | None = None,
) -> TapeMeasures:
    """IRR distribution, profit and the three bids of the whole tape.

    Parameters
    ----------
    tape_flows : (paths, T) the tape's holder flows, months 1..T [currency].
    values : the loan-path values (bid (b) adds each loan's PV at its own
        outcome's yield, path by path).
    price, costs : the tape's price and acquisition costs [currency].
    """
    full = with_purchase(tape_flows, price, costs)
    res = irr(full)
    dist = irr_distribution(res.annual, res.status, hurdle, cash_flows=full)
    return TapeMeasures(
        irr=res,
        distribution=dist,
        profit=full.sum(axis=1),
        expected_profit=expected_profit(full),
        money_multiple=float(np.mean(money_multiple(full))),
        bid_at_yield=bid_from_pv(pv_at_yield(tape_flows, required_yield), costs, groups=groups),
        bid_by_outcome=bid_from_pv(values.pv_outcome.sum(axis=0), costs, groups=groups),
        bid_at_confidence=bid_at_confidence_from_pv(pv_at_yield(tape_flows, hurdle), hurdle, confidence, costs),
    )


def status_names(status: np.ndarray) -> np.ndarray:
    """IRR status codes -> names."""
    return np.array(list(STATUS_NAMES.values()), dtype=object)[status]


__all__ = [
    "LoanPathValues",
    "MIXED",
    "TapeMeasures",
    "block_values",
    "loan_bids",
    "outcome_mix",
    "path_outcomes",
    "status_names",
    "tape_measures",
]
