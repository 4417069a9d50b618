"""The look every figure shares: a colour-blind-safe palette, figure sizes,
axis formatting with units, and PNG encoding.

The palette is Okabe and Ito's eight colours ("Color Universal Design",
2008), distinguishable under the common colour-vision deficiencies; where
colours mean something (a loan state, an outcome) the same colour means the
same thing in every figure. Figures are :class:`matplotlib.figure.Figure`
objects drawn on the Agg canvas, never through ``pyplot``: no global state,
no GUI backend, and a notebook's own backend and style are left alone (the
settings below apply only inside :func:`drawing`).
"""

from __future__ import annotations

import contextlib
import io
from typing import Iterator

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

# Okabe-Ito
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
GREY = "#999999"

PALETTE = (BLUE, ORANGE, BLUISH_GREEN, VERMILLION, SKY_BLUE, REDDISH_PURPLE, YELLOW, BLACK)

# the same outcome, the same colour, in every figure
OUTCOME_COLORS = {
    "performing": BLUISH_GREEN,
    "prepaid": BLUISH_GREEN,
    "matured": SKY_BLUE,
    "modified": BLUE,
    "deed_in_lieu": ORANGE,
    "foreclosure": VERMILLION,
    "foreclosure_sale": VERMILLION,
    "unresolved": GREY,
    "mixed": REDDISH_PURPLE,
}
OUTCOME_LABELS = {
    "performing": "performing (paid off)",
    "prepaid": "prepaid",
    "matured": "matured",
    "modified": "modified",
    "deed_in_lieu": "deed-in-lieu",
    "foreclosure": "foreclosure",
    "foreclosure_sale": "foreclosure sale",
    "unresolved": "unresolved at horizon",
    "mixed": "mixed (loans end differently)",
}

WIDTH, HEIGHT = 8.0, 4.2  # inches
DPI = 100  # 800 x 420 pixels for the default size

_RC = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "svg.fonttype": "none",
}


@contextlib.contextmanager
def drawing() -> Iterator[None]:
    """The report's settings, for the figures drawn inside (restored after)."""
    with matplotlib.rc_context(_RC):
        yield


# margins of a figure with one row of axes and short tick labels [inches]:
# left, bottom, right, top
MARGINS = (0.8, 0.6, 0.2, 0.35)


def new_figure(
    nrows: int = 1,
    ncols: int = 1,
    width: float = WIDTH,
    height: float = HEIGHT,
    fit: bool = False,
    margins: tuple[float, float, float, float] = MARGINS,
    **kwargs,
):
    """A figure on the Agg canvas and its axes (``Figure.subplots``: one
    ``Axes`` or an array of them).

    ``fit=True`` lets matplotlib's constrained layout place the axes around
    long tick labels (bar labels, several panels); otherwise the fixed
    ``margins`` [inches] are used, which draws in about half the time.
    """
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained" if fit else None)
    axes = fig.subplots(nrows, ncols, **kwargs)
    if not fit:
        left, bottom, right, top = margins
        fig.subplots_adjust(left=left / width, bottom=bottom / height, right=1 - right / width, top=1 - top / height)
    return fig, axes


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes, with no metadata that changes between
    versions or runs (the same figure gives the same bytes)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def money_scale(values) -> tuple[float, str]:
    """A divisor and its unit word for amounts of the tape's currency, chosen
    by the largest absolute value: (1e6, "millions") etc."""
    arr = np.asarray(values, dtype=np.float64)
    top = float(np.nanmax(np.abs(arr))) if arr.size and np.isfinite(arr).any() else 0.0
    for scale, word in ((1e9, "billions"), (1e6, "millions"), (1e3, "thousands")):
        if top >= 2 * scale:
            return scale, word
    return 1.0, "currency"


def money_axis(ax, values, label: str, axis: str = "y") -> float:
    """Label ``axis`` with ``label [unit]`` for amounts ``values``; returns the
    divisor to plot them with."""
    scale, word = money_scale(values)
    getattr(ax, f"set_{axis}label")(f"{label} [{word}]")
    fmt = FuncFormatter(lambda v, _pos: f"{v:,.0f}" if abs(v) >= 10 or v == 0 else f"{v:,.2g}")
    getattr(ax, f"{axis}axis").set_major_formatter(fmt)
    return scale


def quantile_fan(ax, months, levels, values, scale: float = 1.0, shades: tuple[str, ...] = ("#cfe3f2", "#8fbfe0", "#5b9bd0"),
                 median_color: str = BLUE) -> None:
    """A fan of quantiles by month (rows ``months``, ``levels``, ``values`` of
    a quantile table; ``values`` divided by ``scale``): a shaded band between
    each pair (q, 1 - q), the widest first and lightest (``shades``, the last
    repeated), and a line for each quantile without a pair: the median in
    ``median_color``, any other in grey."""
    by_level = {float(lv): (months[levels == lv], values[levels == lv]) for lv in np.unique(levels)}
    lows = sorted(lv for lv in by_level if lv < 0.5 and any(abs(hi - (1 - lv)) < 1e-12 for hi in by_level))
    drawn = set()
    for i, lo in enumerate(lows):  # widest band first, lightest
        hi = next(h for h in by_level if abs(h - (1 - lo)) < 1e-12)
        m, a = by_level[lo]
        _, b = by_level[hi]
        ax.fill_between(m, a / scale, b / scale, color=shades[min(i, len(shades) - 1)], linewidth=0,
                        label=f"{lo:.0%}-{hi:.0%} of paths")
        drawn |= {lo, hi}
    for lv, (m, v) in sorted(by_level.items()):
        if lv in drawn:
            continue
        median = abs(lv - 0.5) < 1e-12
        ax.plot(m, v / scale, color=median_color if median else GREY, linewidth=1.3 if median else 0.9,
                label="median" if median else f"{lv:.0%} quantile")


def percent_axis(ax, label: str, axis: str = "y", decimals: int | None = None) -> None:
    """Label ``axis`` for decimals shown as percents (0.05 -> 5%)."""
    getattr(ax, f"set_{axis}label")(label)
    getattr(ax, f"{axis}axis").set_major_formatter(PercentFormatter(xmax=1.0, decimals=decimals))


def month_axis(ax, last: int, label: str = "months after the analysis date") -> None:
    """A projection-month x axis from 0 to ``last``, ticks on whole years."""
    ax.set_xlabel(label)
    ax.set_xlim(0, max(int(last), 1))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=10, steps=[1, 2, 3, 6, 10], integer=True))


def last_active_month(months: np.ndarray, *series: np.ndarray, share: float = 1e-4) -> int:
    """The last month where any of ``series`` is above ``share`` of its peak,
    so that a long tail of zeros (a horizon set long enough for every loan to
    resolve) does not squeeze the figure; at least 12 months."""
    months = np.asarray(months)
    last = 12
    for s in series:
        s = np.abs(np.asarray(s, dtype=np.float64))
        peak = np.nanmax(s) if s.size else 0.0
        if peak > 0:
            idx = np.flatnonzero(s > share * peak)
            if idx.size:
                last = max(last, int(months[idx[-1]]))
    return min(last + 6, int(months[-1])) if months.size else last


def robust_top(values: np.ndarray, quantile: float = 99.0, headroom: float = 1.15) -> float:
    """An upper y limit that a few spikes do not set: the ``quantile``
    percentile of ``values`` with some headroom, or their maximum when that
    is not much higher."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if not v.size:
        return 1.0
    top, high = float(np.max(v)), float(np.percentile(v, quantile)) * headroom
    return top * 1.05 if top <= 1.5 * high or high <= 0 else high


def share(p: float) -> str:
    """A probability as a percent, with two decimals below 1% (0.02%, not 0%)."""
    if not np.isfinite(p):
        return "n/a"
    return f"{p:.0%}" if p >= 0.01 or p == 0 else f"{p:.2%}"
