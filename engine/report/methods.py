"""``RunResult.plot_<name>()``: each figure of the report, for notebooks.

A mixin of :class:`engine.api.RunResult`. Each method draws one figure of
:data:`engine.report.registry.FIGURES` from the result's tables and returns
a :class:`matplotlib.figure.Figure` (shown by a notebook as it is; save it
with ``fig.savefig(path)``). matplotlib is imported at the first call, not
before. A figure the run has no data for raises ``ValueError`` saying why.
"""

from __future__ import annotations


class PlotMethods:
    """Plot methods of a run result (``self.tables``, ``self.run_info()``)."""

    def _figure(self, name: str):
        from . import figure

        return figure(self, name)

    def figures(self) -> dict:
        """Every figure the report of this run shows, by name."""
        from . import figures

        return figures(self)

    # standard model (and path means on rate paths)
    def plot_cash_flows(self):
        """Monthly cash flow by component, stacked (standard model)."""
        return self._figure("cash_flows")

    def plot_balance(self):
        """Balance run-off: performing and in foreclosure (standard model)."""
        return self._figure("balance")

    def plot_prepay_default_rates(self):
        """CPR and CDR by month (standard model)."""
        return self._figure("prepay_default_rates")

    # state model
    def plot_state_balances(self):
        """Balance by loan state over time, stacked (state model)."""
        return self._figure("state_balances")

    def plot_cash_flow_fan(self):
        """Total cash flow across paths: quantile bands, median, mean (state model)."""
        return self._figure("cash_flow_fan")

    def plot_path_losses(self):
        """Distribution of the paths' cumulative net losses (state model)."""
        return self._figure("path_losses")

    def plot_outcomes(self):
        """Outcome probabilities (state model; a pricing run's outcome mix)."""
        return self._figure("outcomes")

    # valuation on rate paths
    def plot_mortgage_rate_fan(self):
        """Mortgage rate across rate paths: quantile bands, median, mean."""
        return self._figure("mortgage_rate_fan")

    def plot_scenario_prices(self):
        """Price by scenario at the base OAS (runs with scenarios)."""
        return self._figure("scenario_prices")

    def plot_key_rate_durations(self):
        """Key-rate durations (valuation.key_rate_durations: true)."""
        return self._figure("key_rate_durations")

    # pricing
    def plot_irr_histogram(self):
        """Path IRRs at the ask by outcome, the hurdle, the ask and the three bids."""
        return self._figure("irr_histogram")

    def plot_resolution_months(self):
        """Months to resolution by outcome."""
        return self._figure("resolution_months")

    def plot_bids_vs_asks(self):
        """Each loan's bid against its ask (a tape)."""
        return self._figure("bids_vs_asks")
