"""Figures of a pricing run (a note or a seller's tape), from
``paths.parquet`` (IRR, outcome and months to resolution per path),
``summary.parquet`` (the ask, the three bids, the hurdle), ``outcomes.parquet``
and ``bids.parquet``.

- :func:`irr_histogram`: the path IRRs bought at the ask, coloured by
  outcome, with the hurdle and the required yield; beneath, the ask and the
  three bids on one price axis;
- :func:`resolution_months`: how long each outcome takes;
- :func:`bids_vs_asks`: each loan's bid against its ask (tapes).
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from ..analytics.pricing import MIXED
from ..kernels.holder import RESOLUTION_NAMES
from . import style
from .data import RunData

OUTCOME_ORDER = RESOLUTION_NAMES + (MIXED,)
BIDS = (
    ("bid_at_yield", "(a) at the required yield"),
    ("bid_by_outcome", "(b) by outcome"),
    ("bid_at_confidence", "(c) at confidence"),
)


def _present(outcome: np.ndarray) -> list[str]:
    names = [o for o in OUTCOME_ORDER if np.any(outcome == o)]
    return names + sorted(set(map(str, outcome)) - set(names))


def irr_histogram(run: RunData) -> Figure:
    """IRR of the whole tape at its purchase price, path by path, stacked by
    the path's outcome; vertical lines at the hurdle and the required yield.
    The lower panel puts the ask and the three bids (with their 95%
    intervals) on one axis in percent of UPB. IRRs outside the 0.5th-97.5th
    percentile range (a long right tail of early payoffs bought cheap would
    squeeze the body) are drawn in the edge bins and counted in the legend."""
    irr = run.column("paths", "irr").astype(np.float64)
    outcome = run.column("paths", "outcome").astype(str)
    s = run.summary
    fig, (ax, strip) = style.new_figure(
        2, 1, height=5.4, margins=(1.75, 0.55, 0.2, 0.35), gridspec_kw={"height_ratios": [3.2, 1.0], "hspace": 0.42}
    )

    ok = np.isfinite(irr)
    vals = irr[ok]
    hurdle, required = float(s["hurdle"]), float(s["required_yield"])
    if vals.size:
        lo, hi = np.percentile(vals, [0.5, 97.5])
        lo, hi = min(lo, hurdle, required), max(hi, hurdle, required)
        pad = 0.05 * (hi - lo) if hi > lo else 0.01
        lo, hi = lo - pad, hi + pad
        bins = np.linspace(lo, hi, 41)
        clipped = int(np.sum((vals < lo) | (vals > hi)))
        shown = np.clip(irr, lo, hi)
        names = _present(outcome[ok])
        ax.hist([shown[ok & (outcome == n)] for n in names], bins=bins, stacked=True,
                color=[style.OUTCOME_COLORS.get(n, style.GREY) for n in names],
                label=[style.OUTCOME_LABELS.get(n, n) for n in names], edgecolor="white", linewidth=0.3)
        ax.set_xlim(lo, hi)
    else:
        clipped = 0
    ax.axvline(hurdle, color=style.BLACK, linestyle="--", linewidth=1.3, label=f"hurdle {hurdle:.1%}")
    if not math.isclose(required, hurdle):
        ax.axvline(required, color=style.BLACK, linestyle=":", linewidth=1.3, label=f"required yield {required:.1%}")
    style.percent_axis(ax, "IRR bought at the ask [annual]", axis="x")
    ax.set_ylabel("paths [count]")
    ask_pct = float(s["purchase_price_pct_upb"])
    ax.set_title(f"IRR at the ask ({ask_pct:.1f}% of UPB): median {s['irr_p50']:.1%}, "
                 f"P(IRR < hurdle) {s['p_irr_below_hurdle']:.1%}")
    notes = [f"{vals.size:,} paths"]
    if clipped:
        notes.append(f"{clipped} outside the range, in the edge bins")
    if (~ok).sum():
        notes.append(f"{int((~ok).sum())} without an IRR")
    ax.legend(loc="best", title="\n".join(notes), title_fontsize=8.5, alignment="right")

    _price_strip(strip, s)
    return fig


def _price_strip(ax, s: dict) -> None:
    """The ask and the three bids on one axis [% of UPB]: (a) and (b) with
    +-1.96 standard errors, (c) with its order-statistic interval."""
    upb = float(s["balance"])
    rows = [("ask", float(s["purchase_price_pct_upb"]), None, None)]
    for name, label in BIDS:
        value = float(s[f"{name}_pct_upb"])
        if name == "bid_at_confidence":
            lo, hi = s.get("bid_at_confidence_ci_low"), s.get("bid_at_confidence_ci_high")
            lo = 100.0 * lo / upb if lo is not None and math.isfinite(lo) else None
            hi = 100.0 * hi / upb if hi is not None and math.isfinite(hi) else None
        else:
            se = s.get(f"{name}_se")
            half = 1.96 * 100.0 * se / upb if se is not None and math.isfinite(se) else None
            lo, hi = (value - half, value + half) if half is not None else (None, None)
        rows.append((label, value, lo, hi))
    y = np.arange(len(rows))[::-1]
    ax.axvline(rows[0][1], color=style.BLACK, linewidth=0.7, linestyle="--")
    for yi, (label, value, lo, hi) in zip(y, rows):
        color = style.BLACK if label == "ask" else style.BLUE
        if lo is not None or hi is not None:
            a = value if lo is None else lo
            b = value if hi is None else hi
            ax.plot([a, b], [yi, yi], color=color, linewidth=2.0, alpha=0.45, solid_capstyle="butt")
        ax.plot([value], [yi], marker="D" if label == "ask" else "o", color=color, markersize=6)
        ax.annotate(f"{value:.1f}%", (value, yi), xytext=(6, 3), textcoords="offset points", fontsize=8.5)
    ax.set_yticks(y, [r[0] for r in rows])
    ax.grid(axis="y", visible=False)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    xs = [v for r in rows for v in r[1:] if v is not None]
    span = max(xs) - min(xs) if xs else 1.0
    ax.set_xlim(min(xs) - 0.08 * span - 0.5, max(xs) + 0.15 * span + 0.5)
    ax.set_xlabel("price [% of UPB]; bars: 95% intervals")


def resolution_months(run: RunData) -> Figure:
    """Months until resolution. One note: stacked histogram of the paths'
    months to resolution by outcome. A tape (every path mixes outcomes):
    the month its last loan resolves, and the mean months of each outcome
    over loan-paths (``outcomes.parquet``)."""
    months = run.column("paths", "months_to_resolution").astype(np.float64)
    outcome = run.column("paths", "outcome").astype(str)
    names = _present(outcome)
    if names != ["mixed"]:
        fig, ax = style.new_figure()
        hi = float(np.max(months)) if months.size else 1.0
        bins = np.linspace(0, hi + 1, min(50, max(10, int(hi / 6) + 1)))
        ax.hist([months[outcome == n] for n in names], bins=bins, stacked=True,
                color=[style.OUTCOME_COLORS.get(n, style.GREY) for n in names],
                label=[style.OUTCOME_LABELS.get(n, n) for n in names], edgecolor="white", linewidth=0.3)
        for n in names:
            sel = months[outcome == n]
            if sel.size:
                ax.axvline(np.median(sel), color=style.OUTCOME_COLORS.get(n, style.GREY), linewidth=1.0,
                           linestyle="--")
        ax.set_xlabel("months to resolution [months]; dashed: median of each outcome")
        ax.set_ylabel("paths [count]")
        ax.set_title("Months to resolution by outcome")
        ax.legend(loc="upper right")
        return fig

    fig, (left, right) = style.new_figure(
        1, 2, width=9.0, height=3.8, margins=(0.7, 0.6, 0.2, 0.35), gridspec_kw={"wspace": 0.62}
    )
    left.hist(months, bins=min(40, max(10, int(np.sqrt(months.size)) * 2)), color=style.REDDISH_PURPLE,
              edgecolor="white", linewidth=0.3)
    left.set_xlabel("month the last loan resolves [months]")
    left.set_ylabel("paths [count]")
    left.set_title("Whole tape resolved")
    o_names = [str(n) for n in run.column("outcomes", "outcome")]
    o_months = run.column("outcomes", "months_mean").astype(np.float64)
    o_probs = run.column("outcomes", "probability").astype(np.float64)
    keep = [i for i, m in enumerate(o_months) if np.isfinite(m)]
    y = np.arange(len(keep))[::-1]
    right.barh(y, o_months[keep], color=[style.OUTCOME_COLORS.get(o_names[i], style.GREY) for i in keep], height=0.6)
    for yi, i in zip(y, keep):
        right.text(o_months[i], yi, f"  {o_months[i]:.0f} ({style.share(o_probs[i])} of loan-paths)", va="center", fontsize=8.5)
    right.set_yticks(y, [style.OUTCOME_LABELS.get(o_names[i], o_names[i]) for i in keep])
    right.grid(axis="y", visible=False)
    right.set_xlim(0, float(np.max(o_months[keep])) * 1.7 if keep else 1.0)
    right.set_xlabel("mean months to resolution [months]")
    right.set_title("By outcome (each loan on each path)")
    return fig


def bids_vs_asks(run: RunData) -> Figure:
    """Each loan's bid (``pricing.bid``, the one asks are compared with)
    against its asking price, both [currency]: loans below the diagonal are
    asked above the bid."""
    chosen = str((run.config.get("pricing") or {}).get("bid", "at_yield"))
    bid_col = f"bid_{chosen}"
    ask = run.column("bids", "asking_price").astype(np.float64)
    bid = run.column("bids", bid_col).astype(np.float64)
    above = run.column("bids", "ask_above_bid").astype(bool)
    fig, ax = style.new_figure(width=6.4, height=5.2)
    scale_x = style.money_axis(ax, np.concatenate([ask, bid]), "asking price", axis="x")
    scale_y = style.money_axis(ax, np.concatenate([ask, bid]), bid_col, axis="y")
    ax.scatter(ask[~above] / scale_x, bid[~above] / scale_y, s=14, color=style.BLUISH_GREEN, marker="o",
               alpha=0.8, linewidths=0, label=f"bid at or above the ask ({int((~above).sum())})")
    ax.scatter(ask[above] / scale_x, bid[above] / scale_y, s=18, color=style.VERMILLION, marker="v",
               alpha=0.8, linewidths=0, label=f"ask above the bid ({int(above.sum())})")
    top = float(np.nanmax(np.concatenate([ask / scale_x, bid / scale_y]))) * 1.05
    ax.plot([0, top], [0, top], color=style.BLACK, linewidth=0.8, linestyle="--", label="bid = ask")
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_aspect("equal")
    ax.set_title(f"Bid vs ask per loan ({ask.size:,} loans)")
    ax.legend(loc="upper left")
    return fig
