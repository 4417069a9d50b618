"""Figures of the loan-level state model, from ``cashflows.parquet`` (path
means), ``cashflow_quantiles.parquet``, ``paths.parquet``, and the outcome
probabilities (``outcomes.parquet`` of a pricing run, else the summary's
balance-weighted ``p_*``).

- :func:`state_balances`: where the balance sits each month (stacked area);
- :func:`cash_flow_fan`: the spread of the monthly total cash flow across
  paths (the quantiles of ``output.quantiles``, 5/25/50/75/95 by default);
- :func:`path_losses`: the distribution of each path's cumulative net loss;
- :func:`outcomes`: how the loans end.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from . import style
from .data import RunData

# cashflows.parquet balance columns -> legend label, colour (current on
# original terms = performing_balance - modified_balance)
_STATES = (
    ("current, original terms", None, style.BLUE),
    ("current, modified", "modified_balance", style.SKY_BLUE),
    ("30 days late", "dq30_balance", style.YELLOW),
    ("60 days late", "dq60_balance", style.ORANGE),
    ("90+ days late", "dq90_balance", style.VERMILLION),
    ("foreclosure", "foreclosure_balance", style.REDDISH_PURPLE),
    ("REO (property owned)", "reo_balance", style.BLACK),
)


def state_balances(run: RunData) -> Figure:
    """Balance at month end by state, path means, stacked: the top of the
    stack is the balance still outstanding."""
    months = run.column("cashflows", "month").astype(np.int64)
    col = lambda name: run.column("cashflows", name).astype(np.float64)  # noqa: E731
    modified = col("modified_balance")
    series = []
    for label, name, color in _STATES:
        values = col("performing_balance") - modified if name is None else col(name)
        series.append((label, np.maximum(values, 0.0), color))
    total = np.sum([s[1] for s in series], axis=0)
    fig, ax = style.new_figure()
    scale = style.money_axis(ax, total, "balance at month end")
    ax.stackplot(months, *[s[1] / scale for s in series], labels=[s[0] for s in series],
                 colors=[s[2] for s in series], linewidth=0)
    style.month_axis(ax, style.last_active_month(months, total))
    ax.set_ylim(bottom=0)
    ax.set_title("Balance by loan state (mean over paths)")
    ax.legend(loc="upper right", ncols=2)
    return fig


def cash_flow_fan(run: RunData) -> Figure:
    """The monthly total cash flow across paths: shaded bands between
    quantile pairs (q, 1 - q), the median, and the path mean. The y axis
    ends above the 99th percentile of the values drawn: a month of one-off
    flows (the sale of every property already owned) is named in a note
    rather than squeezing the rest."""
    q = run.tables["cashflow_quantiles"]
    months_q = q.column("month").to_numpy()
    levels = q.column("quantile").to_numpy()
    values = q.column("total_cash_flow").to_numpy().astype(np.float64)
    mean_months = run.column("cashflows", "month")
    mean = run.column("cashflows", "total_cash_flow").astype(np.float64)

    fig, ax = style.new_figure(margins=(0.8, 0.6, 0.2, 0.6))
    scale = style.money_axis(ax, np.concatenate([values, mean]), "total cash flow per month")
    style.quantile_fan(ax, months_q, levels, values, scale)
    ax.plot(mean_months, mean / scale, color=style.VERMILLION, linewidth=0.9, linestyle="--", label="mean")
    last = style.last_active_month(mean_months, mean)
    style.month_axis(ax, last)
    top = style.robust_top(values / scale)
    ax.set_ylim(min(0.0, float(np.nanmin(values)) / scale), top)
    off = [(int(m), float(v)) for m, v in zip(mean_months, mean / scale) if v > top]
    title = f"Total cash flow across paths ({int(run.value('paths', 0)):,} paths)"
    if off:  # months of lump sums (payoffs, sales of properties owned) above the scale, said in the title
        if len(off) <= 3:
            listed = ", ".join(f"month {m}: {v:,.1f}" for m, v in off)
        else:
            listed = f"{len(off)} months, up to {max(v for _, v in off):,.1f}"
        title += f"\nmean above the scale (lump sums): {listed}"
    ax.set_title(title)
    ax.legend(loc="upper right")
    return fig


def path_losses(run: RunData) -> Figure:
    """Histogram of the paths' cumulative net loss in percent of the starting
    balance, with the mean and the 95th and 99th percentiles marked."""
    loss = run.column("paths", "cumulative_loss").astype(np.float64)
    start = float(run.value("balance"))
    pct = 100.0 * loss / start
    fig, ax = style.new_figure()
    bins = min(60, max(10, int(np.sqrt(pct.size)) * 2))
    if np.ptp(pct) == 0:  # one value: one visible bar
        bins = np.array([pct[0] - 0.5, pct[0] + 0.5])
    ax.hist(pct, bins=bins, color=style.SKY_BLUE, edgecolor="white", linewidth=0.4)
    marks = [("mean", float(pct.mean()), style.BLACK, "-")]
    if pct.size >= 20:
        marks.append(("95th percentile", float(np.percentile(pct, 95)), style.ORANGE, "--"))
    if pct.size >= 100:
        marks.append(("99th percentile", float(np.percentile(pct, 99)), style.VERMILLION, ":"))
    for label, x, color, ls in marks:
        ax.axvline(x, color=color, linestyle=ls, linewidth=1.3, label=f"{label}: {x:.2f}%")
    ax.set_xlabel("cumulative net loss on the path [% of starting balance]")
    ax.set_ylabel("paths [count]")
    ax.set_title(f"Distribution of path losses ({pct.size:,} paths)")
    ax.legend(loc="best")
    return fig


_SUMMARY_OUTCOMES = ("prepaid", "matured", "deed_in_lieu", "foreclosure_sale", "unresolved")


def outcomes(run: RunData) -> Figure:
    """How the loans end: a pricing run's ``outcomes.parquet`` (share of
    loan-paths, with the mean months to resolution), else the state model's
    balance-weighted outcome probabilities (``p_*`` of the summary); the
    share ever modified overlaps the others and is shown apart."""
    fig, ax = style.new_figure(height=3.6, margins=(1.75, 0.6, 0.2, 0.35))
    if run.has("outcomes"):
        names = [str(n) for n in run.column("outcomes", "outcome")]
        probs = run.column("outcomes", "probability").astype(np.float64)
        months = run.column("outcomes", "months_mean").astype(np.float64)
        labels = [f"{style.OUTCOME_LABELS.get(n, n)}" for n in names]
        extra = [f"mean {m:.0f} months" if np.isfinite(m) else "" for m in months]
        title = "Outcome mix (share of loan-paths)"
        modified = None
    else:
        s = run.summary
        names = list(_SUMMARY_OUTCOMES)
        probs = np.array([s.get(f"p_{n}", np.nan) for n in names], dtype=np.float64)
        labels = [style.OUTCOME_LABELS.get(n, n) for n in names]
        extra = [""] * len(names)
        title = "Outcome probabilities (balance-weighted)"
        modified = s.get("p_modified")
    y = np.arange(len(names))[::-1]
    ax.barh(y, probs, color=[style.OUTCOME_COLORS.get(n, style.GREY) for n in names], height=0.65)
    for yi, p, e in zip(y, probs, extra):
        text = (f"{p:.1%}" if p >= 0.001 or p == 0 or not np.isfinite(p) else f"{100 * p:.2g}%") + (f"  ({e})" if e else "")
        ax.text(p + 0.01, yi, text, va="center", fontsize=9)
    if modified is not None and np.isfinite(modified):
        ax.barh([-1], [modified], color="white", edgecolor=style.BLUE, hatch="///", height=0.65)
        ax.text(modified + 0.01, -1, f"{modified:.1%}  (any of the above)", va="center", fontsize=9)
        y = np.concatenate([y, [-1]])
        labels = labels + ["modified at some point"]
    ax.set_yticks(y, labels)
    ax.grid(axis="y", visible=False)
    ax.set_xlim(0, min(1.0, max(0.25, float(np.nanmax(probs)) * (1.6 if any(extra) else 1.35))))
    style.percent_axis(ax, "probability", axis="x")
    ax.set_title(title)
    return fig
