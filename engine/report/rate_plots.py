"""Figures of a valuation on interest-rate paths, from
``mortgage_rate_quantiles.parquet``, ``cashflows.parquet``,
``scenarios.parquet`` and ``key_rate_durations.parquet``.

- :func:`mortgage_rate_fan`: the spread of the paths' mortgage rates by month;
- :func:`scenario_prices`: the price of each scenario at the base OAS;
- :func:`key_rate_durations`: the duration to each tenor of the curve.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from . import style
from .data import RunData


def mortgage_rate_fan(run: RunData) -> Figure:
    """Bands between quantile pairs (q, 1 - q) of the mortgage rate across
    paths, the median, and the path mean (``cashflows.mortgage_rate``)."""
    q = run.tables["mortgage_rate_quantiles"]
    months = q.column("month").to_numpy()
    levels = q.column("quantile").to_numpy()
    rates = q.column("mortgage_rate").to_numpy().astype(np.float64)
    fig, ax = style.new_figure()
    style.quantile_fan(ax, months, levels, rates, shades=("#fbe3c4", "#f5c27f", "#eea53d"), median_color=style.ORANGE)
    if "cashflows" in run.tables and "mortgage_rate" in run.tables["cashflows"].column_names:
        ax.plot(run.column("cashflows", "month"), run.column("cashflows", "mortgage_rate"), color=style.BLACK,
                linewidth=1.0, linestyle="--", label="mean")
    style.percent_axis(ax, "mortgage rate [annual]", decimals=1)
    style.month_axis(ax, int(months.max()) if months.size else 12)
    ax.set_title(f"Mortgage rate across rate paths ({int(run.value('paths', 0)):,} paths)")
    ax.legend(loc="upper left", ncols=2)
    return fig


def scenario_prices(run: RunData) -> Figure:
    """Each scenario's price at the base OAS [percent of face], the base
    first, labelled with the price and the change from the base."""
    names = [str(n) for n in run.column("scenarios", "scenario")]
    prices = run.column("scenarios", "price").astype(np.float64)
    shifts = run.column("scenarios", "curve_shift_bp").astype(np.float64)
    base = prices[0]
    fig, ax = style.new_figure(height=max(2.4, 0.5 * len(names) + 1.4), fit=True)
    y = np.arange(len(names))[::-1]
    colors = [style.GREY if i == 0 else (style.BLUISH_GREEN if p >= base else style.VERMILLION)
              for i, p in enumerate(prices)]
    lo = float(np.nanmin(prices))
    left = max(0.0, np.floor(lo - 0.15 * (np.nanmax(prices) - lo + 1.0)))
    ax.barh(y, prices - left, left=left, color=colors, height=0.6)
    for yi, p in zip(y, prices):
        delta = p - base
        ax.text(p, yi, f"  {p:.3f}" + (f" ({delta:+.3f})" if yi != y[0] else ""), va="center", fontsize=9)
    labels = [f"{n}" + (f"  [{s:+.0f} bp]" if s else "") for n, s in zip(names, shifts)]
    ax.set_yticks(y, labels)
    ax.grid(axis="y", visible=False)
    ax.set_xlim(left, np.nanmax(prices) + 0.25 * (np.nanmax(prices) - left))
    ax.set_xlabel("price at the base OAS [% of face]")
    oas = run.value("oas")
    ax.set_title("Price by scenario" + (f" (OAS held at {1e4 * oas:.1f} bp)" if np.isfinite(oas) else ""))
    return fig


def key_rate_durations(run: RunData) -> Figure:
    """The duration to each curve tenor (triangular bumps, OAS held) and
    their sum beside the effective duration."""
    tenors = run.column("key_rate_durations", "tenor").astype(np.float64)
    dur = run.column("key_rate_durations", "duration").astype(np.float64)
    fig, ax = style.new_figure(height=3.6)
    x = np.arange(len(tenors))
    ax.bar(x, dur, color=[style.BLUE if d >= 0 else style.VERMILLION for d in dur], width=0.65)
    ax.axhline(0, color=style.BLACK, linewidth=0.6)
    ax.set_xticks(x, [f"{t:g}y" if t >= 1 else f"{12 * t:g}m" for t in tenors])
    ax.set_xlabel("curve tenor")
    ax.set_ylabel("key-rate duration [years]")
    eff = run.value("effective_duration")
    text = f"sum {dur.sum():.3f} years"
    if np.isfinite(eff):
        text += f", effective duration {eff:.3f} years"
    ax.set_title(f"Key-rate durations ({text})")
    return fig
