"""Which figures a report shows: every figure once in :data:`FIGURES`, and
the figures of each run kind in :data:`RUN_FIGURES`, keyed by (analysis
kind, cash-flow model). The only place that decides what goes with what.

A figure is shown when the run has the tables it draws from (``needs``) and
its ``when`` test passes (a bid-vs-ask scatter needs more than one loan);
otherwise the report names it as not available, with ``hint`` saying what
would produce it. To add a figure: write ``draw(run: RunData) -> Figure`` in
the module of its kind of figure, add a :class:`FigureSpec` here and its
name to the run kinds that show it, and a ``plot_<name>`` method to
:class:`engine.report.methods.PlotMethods`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from matplotlib.figure import Figure

from . import cashflow_plots, pricing_plots, rate_plots, state_plots
from .data import RunData


@dataclass(frozen=True)
class FigureSpec:
    """One figure.

    name : ``plots/<name>.png``, the HTML element ``fig-<name>``,
        ``RunResult.plot_<name>()``.
    title : the caption.
    draw : ``draw(run) -> Figure``.
    needs : the tables it reads (each present, with rows).
    when : a further condition on the run, or None.
    hint : what gives a run the missing data.
    """

    name: str
    title: str
    draw: Callable[[RunData], Figure]
    needs: tuple[str, ...]
    when: Callable[[RunData], bool] | None = None
    hint: str = ""

    def available(self, run: RunData) -> bool:
        return run.has(*self.needs) and (self.when is None or self.when(run))


def _spec(*args, **kwargs) -> tuple[str, FigureSpec]:
    spec = FigureSpec(*args, **kwargs)
    return spec.name, spec


FIGURES: dict[str, FigureSpec] = dict([
    # standard model (and its path means on rate paths)
    _spec("cash_flows", "Cash flow by component, by month", cashflow_plots.cash_flows, ("cashflows",),
          when=lambda r: "actual_amortization" in r.tables["cashflows"].column_names),
    _spec("balance", "Balance run-off", cashflow_plots.balance, ("cashflows",),
          when=lambda r: "amortization_from_defaults" in r.tables["cashflows"].column_names),
    _spec("prepay_default_rates", "CPR and CDR by month", cashflow_plots.prepay_default_rates, ("cashflows",),
          when=lambda r: "mdr" in r.tables["cashflows"].column_names),
    # state model
    _spec("state_balances", "Balance by loan state", state_plots.state_balances, ("cashflows",),
          when=lambda r: "dq30_balance" in r.tables["cashflows"].column_names),
    _spec("cash_flow_fan", "Total cash flow across paths", state_plots.cash_flow_fan,
          ("cashflows", "cashflow_quantiles")),
    _spec("path_losses", "Distribution of path losses", state_plots.path_losses, ("paths",),
          when=lambda r: "cumulative_loss" in r.tables["paths"].column_names),
    _spec("outcomes", "Outcome probabilities", state_plots.outcomes, ("summary",),
          when=lambda r: r.has("outcomes") or "p_prepaid" in r.tables["summary"].column_names),
    # rate paths
    _spec("mortgage_rate_fan", "Mortgage rate across rate paths", rate_plots.mortgage_rate_fan,
          ("mortgage_rate_quantiles",)),
    _spec("scenario_prices", "Price by scenario", rate_plots.scenario_prices, ("scenarios",),
          hint="run with --scenario NAME (scenarios/NAME.yaml) to value scenarios"),
    _spec("key_rate_durations", "Key-rate durations", rate_plots.key_rate_durations, ("key_rate_durations",),
          hint="set valuation.key_rate_durations: true"),
    # pricing
    _spec("irr_histogram", "IRR at the ask, by outcome, with the hurdle and the bids", pricing_plots.irr_histogram,
          ("paths", "summary"), when=lambda r: "irr" in r.tables["paths"].column_names),
    _spec("resolution_months", "Months to resolution by outcome", pricing_plots.resolution_months,
          ("paths", "outcomes")),
    _spec("bids_vs_asks", "Bid vs ask per loan", pricing_plots.bids_vs_asks, ("bids",),
          when=lambda r: r.tables["bids"].num_rows > 1, hint="shown for a tape of more than one loan"),
])

_STANDARD = ("cash_flows", "balance", "prepay_default_rates")
_STATE = ("state_balances", "cash_flow_fan", "path_losses", "outcomes")
_RATES = ("mortgage_rate_fan", "scenario_prices", "key_rate_durations")
_PRICING = ("irr_histogram", "resolution_months", "bids_vs_asks")

# (analysis kind, cash-flow model) -> the figures of its report, in order
RUN_FIGURES: dict[tuple[str, str], tuple[str, ...]] = {
    ("projection", "standard"): _STANDARD,
    ("projection", "state"): _STATE,
    ("pricing", "state"): _PRICING + _STATE,
    ("valuation", "standard"): _RATES + _STANDARD,
    ("valuation", "state"): _RATES + ("state_balances",),
}


def figures_for(run: RunData) -> tuple[list[FigureSpec], list[FigureSpec]]:
    """The figures the run's kind shows: (available, not available)."""
    names = RUN_FIGURES.get((run.analysis, run.model), ())
    specs = [FIGURES[n] for n in names]
    return [s for s in specs if s.available(run)], [s for s in specs if not s.available(run)]
