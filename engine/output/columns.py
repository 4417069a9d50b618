"""Output column definitions: what each column means, with its unit.

The order of each dict is the Parquet column order. ``cashflows.parquet`` of
the standard model uses SIFMA's names in snake_case (SF section C.3).
"""

from __future__ import annotations

# standard model, cashflows.parquet
STANDARD_CASHFLOWS: dict[str, str] = {
    "month": "projection month, 1 = first payment after the analysis date",
    "performing_balance": "performing balance at month end [currency]",
    "new_defaults": "PERF(i-1) x MDR [currency]",
    "foreclosure_balance": "balance of defaulted, not yet liquidated loans at month end [currency]",
    "expected_amortization": "scheduled principal due on performing and foreclosed loans [currency]",
    "voluntary_prepayments": "PERF(i-1) x r x SMM [currency]",
    "amortization_from_defaults": "scheduled principal of loans in foreclosure, advanced [currency]",
    "actual_amortization": "scheduled principal paid by borrowers [currency]",
    "expected_interest": "interest due at the net rate on performing and foreclosed loans [currency]",
    "interest_lost": "net interest not paid by defaulted loans [currency]",
    "actual_interest": "net interest paid by borrowers [currency]",
    "principal_recovery": "liquidation proceeds applied to principal [currency]",
    "principal_loss": "principal written off at liquidation [currency]",
    "amortized_default_balance": "balance of loans liquidated this month [currency]",
    "gross_interest": "interest at the note rate on the balance that pays [currency]",
    "servicing_fee": "servicing strip on the balance that pays [currency]",
    "total_interest": "net interest to the holder (advanced interest included) [currency]",
    "total_principal": "actual + advanced amortization + prepayments + recoveries [currency]",
    "total_cash_flow": "total_principal + total_interest [currency]",
    "smm": "pool prepayment rate, voluntary_prepayments / (prior balance after amortization)",
    "mdr": "pool default rate, new_defaults / prior performing balance",
}


# state model, cashflows.parquet (path means by month; every amount [currency])
STATE_CASHFLOWS: dict[str, str] = {
    "month": "projection month, 1 = first payment after the analysis date",
    "performing_balance": "balance current at month end, original and modified terms",
    "modified_balance": "part of performing_balance on modified terms",
    "dq30_balance": "balance one payment behind at month end",
    "dq60_balance": "balance two payments behind at month end",
    "dq90_balance": "balance three or more payments behind, not in foreclosure",
    "foreclosure_balance": "balance in foreclosure at month end",
    "reo_balance": "balance of loans whose property the holder owns (REO)",
    "deferred_balance": "non-interest-bearing deferred balance outstanding",
    "scheduled_principal": "scheduled principal paid",
    "voluntary_prepayments": "prepaid principal",
    "interest": "interest paid at the net rate",
    "gross_interest": "interest + servicing_fee",
    "servicing_fee": "servicing strip on interest paid",
    "arrears_collected": "arrears paid on cures and payoffs",
    "deferred_collected": "deferred balance paid at payoff",
    "new_delinquencies": "balance rolling current -> dq30",
    "cures": "balance curing to current",
    "modifications": "balance modified (before capitalisation)",
    "deeds_in_lieu": "balance leaving by deed-in-lieu",
    "foreclosure_starts": "balance referred to foreclosure",
    "reo_additions": "balance entering REO",
    "liquidations": "balance + deferred of REO properties sold",
    "liquidation_proceeds": "sale proceeds net of selling costs",
    "principal_recovery": "proceeds applied to principal",
    "principal_loss": "principal not recovered",
    "net_loss": "balance + deferred + arrears - proceeds",
    "advances": "taxes and insurance advanced",
    "legal_costs": "foreclosure legal costs",
    "holding_costs": "REO holding costs",
    "deed_in_lieu_costs": "cash for keys",
    "interest_unpaid": "interest accrued and not paid",
    "matured_principal": "balance paid at scheduled maturity",
    "capitalized_arrears": "arrears added to the balance by modifications",
    "total_principal": "scheduled + prepaid + deferred collected + recovered principal",
    "total_cash_flow": "everything the holder receives less what it pays out",
    "smm": "voluntary_prepayments / current balance after scheduled amortisation [monthly decimal]",
    "roll_rate": "new_delinquencies / current balance at month start [monthly decimal]",
}


# summary.parquet of the projection (both models; the state model's extras
# marked), in words for the report's summary table; see the README, "Outputs"
PROJECTION_SUMMARY: dict[str, str] = {
    "n_loans": "loans in the tape",
    "balance": "current balance at the analysis date [currency]",
    "wac": "balance-weighted gross note rate [annual decimal]",
    "net_wac": "balance-weighted note rate less servicing [annual decimal]",
    "wam": "balance-weighted remaining term [months]",
    "wala": "balance-weighted loan age [months]",
    "integration": "state model: sampled or expected",
    "paths": "state model: paths simulated",
    "horizon": "state model: months projected",
    "wal": "weighted average life, principal of month k at k/12 years [years]",
    "cumulative_defaults": "balance defaulted (state model: taken to REO) [currency]",
    "cumulative_losses": "losses (state model: net, arrears and costs included) [currency]",
    "cumulative_defaults_pct": "cumulative_defaults in percent of balance",
    "cumulative_losses_pct": "cumulative_losses in percent of balance",
    "loss_severity": "state model: net loss / liquidated balance [decimal]",
    "total_principal": "principal received over the projection [currency]",
    "total_interest": "net interest received over the projection [currency]",
    "total_cash_flow": "state model: everything received less paid out [currency]",
    "p_prepaid": "state model: balance-weighted probability of a prepayment",
    "p_matured": "state model: probability of paying to maturity",
    "p_liquidated": "state model: probability of an REO sale (deed-in-lieu or foreclosure)",
    "p_deed_in_lieu": "state model: probability of a deed-in-lieu",
    "p_foreclosure_sale": "state model: probability of a foreclosure sale",
    "p_modified": "state model: probability of a modification at some point (overlaps the others)",
    "p_unresolved": "state model: probability of being live at the horizon",
    "price": "price at the valuation yield, or the given price [percent of face]",
    "yield_bey": "bond-equivalent yield at price [annual decimal]",
    "mortgage_yield": "mortgage yield (monthly compounding) at price [annual decimal]",
    "average_life": "WAL counting principal when paid, (30k + delay_days)/360 [years]",
    "macaulay_duration": "[years]",
    "modified_duration": "[years]",
    "convexity": "[years^2]",
    "pv_std": "state model: standard deviation of the path PVs [currency]",
}

# pricing runs (engine.runs.pricing): IRRs, yields and hurdles are annual
# effective decimals, (1 + monthly)^12 - 1; prices and bids are currency
# unless the name ends in _pct_* (percent of the tape's UPB, property value or
# total debt = UPB + arrears + deferred + escrow advances)
_BID_MEANING = {
    "bid_at_yield": "(a) price at which the mean path PV at required_yield equals price + costs",
    "bid_by_outcome": "(b) each path discounted at its outcome's yield, weighted by the outcome's probability",
    "bid_at_confidence": "(c) highest price with P(IRR >= hurdle) >= confidence",
}
BID_NAMES = tuple(_BID_MEANING)  # the three bids of a pricing run, (a) to (c)

# summary.parquet of a pricing run: these columns after the state model's
PRICING_SUMMARY: dict[str, str] = {
    "irr_mean": "mean path IRR of the whole tape at its purchase price [annual effective decimal]",
    "irr_std": "standard deviation of the path IRRs (ddof 1)",
    **{f"irr_p{p:02d}": f"{p}th percentile of the path IRRs" for p in (1, 5, 10, 25, 50, 75, 90, 95, 99)},
    "p_irr_below_zero": "share of paths with IRR < 0",
    "p_irr_below_hurdle": "share of paths with IRR < hurdle",
    "expected_profit": "mean over paths of the undiscounted holder cash less price and costs [currency]",
    "money_multiple": "mean over paths of holder inflows / outflows (purchase included), undiscounted",
    **{name: f"{meaning}, whole tape [currency]" for name, meaning in _BID_MEANING.items()},
    **{
        f"{name}_{base}": f"{name} in percent of the tape's {label}"
        for name in _BID_MEANING
        for base, label in (("pct_upb", "UPB"), ("pct_value", "property value"), ("pct_debt", "total debt"))
    },
    "bid_at_yield_se": "Monte Carlo standard error of bid_at_yield [currency]",
    "bid_by_outcome_se": "Monte Carlo standard error of bid_by_outcome [currency]",
    "bid_at_confidence_ci_low": "lower end of the 95% order-statistic interval of bid_at_confidence [currency]; NaN when too few paths bound it",
    "bid_at_confidence_ci_high": "upper end of that interval [currency]; NaN when too few paths bound it",
    "purchase_price": "price of the whole tape: asks, else purchase.price x UPB [currency]",
    "purchase_price_pct_upb": "purchase_price in percent of UPB",
    "purchase_costs": "acquisition costs of the whole tape, purchase.costs x loans [currency]",
    "total_debt": "UPB + arrears + deferred + escrow advances [currency]",
    "property_value": "property values today [currency]",
    "required_yield": "pricing.required_yield [annual effective decimal]",
    "hurdle": "pricing.hurdle [annual effective decimal]",
    "confidence": "pricing.confidence",
    "irr_n_converged": "paths with an IRR",
    "irr_n_total_loss": "paths where nothing came back (IRR -100%)",
    "irr_n_no_sign_change": "paths with no IRR (NPV of one sign); in the probabilities by their NPV",
    "irr_n_not_converged": "paths where the solver failed (left out)",
    "loans_ask_above_bid": "loans whose asking price is above the chosen bid (pricing.bid)",
}

# paths.parquet of a pricing run: these columns after the state model's
PRICING_PATHS: dict[str, str] = {
    "irr": "IRR of the whole tape bought at its purchase price [annual effective decimal]; NaN without one",
    "irr_monthly": "the monthly IRR [monthly decimal]",
    "irr_status": "converged, total_loss (IRR -100%), no_sign_change or not_converged",
    "outcome": "performing, modified, deed_in_lieu, foreclosure, unresolved; mixed when the loans differ",
    "months_to_resolution": "month the last loan resolves (the horizon when one is unresolved)",
    "profit": "undiscounted holder cash less price and costs [currency]",
}

# outcomes.parquet: one row per outcome, over every loan and path
OUTCOMES: dict[str, str] = {
    "outcome": "performing, modified, deed_in_lieu, foreclosure, unresolved",
    "probability": "share of loan-paths ending so",
    "irr_mean": "mean IRR of those loan-paths at the loan's ask [annual effective decimal]",
    "irr_median": "median IRR of those loan-paths",
    "months_mean": "mean months to resolution",
    "proceeds_mean": "mean undiscounted holder cash after the purchase [currency]",
}

# bids.parquet: one row per loan
BIDS: dict[str, str] = {
    "loan_id": "tape loan_id",
    "upb": "unpaid principal balance (tape balance) [currency]",
    "total_debt": "UPB + arrears + deferred + escrow advances [currency]",
    "property_value": "property value today [currency]",
    "asking_price": "the loan's price: the tape's asking_price, else purchase.price x UPB [currency]",
    **{name: f"{meaning} [currency]" for name, meaning in _BID_MEANING.items()},
    **{f"{name}_pct_upb": f"{name} in percent of UPB" for name in _BID_MEANING},
    "irr_mean_at_ask": "mean path IRR bought at asking_price + costs [annual effective decimal]",
    "p_irr_below_hurdle_at_ask": "share of paths with IRR < hurdle at the ask",
    "p_performing": "share of paths paid off without a modification",
    "p_modified": "share of paths paid off after a modification",
    "p_deed_in_lieu": "share of paths ending in a deed-in-lieu (and REO sale)",
    "p_foreclosure": "share of paths ending in a foreclosure (and REO sale)",
    "p_unresolved": "share of paths still live at the horizon",
    "months_to_resolution_mean": "mean months to resolution",
    "ask_above_bid": "asking_price above the chosen bid (pricing.bid)",
    "asking_price_pct_upb": "asking_price in percent of UPB",
    "bid_at_yield_se": "Monte Carlo standard error of bid_at_yield [currency]",
    "bid_by_outcome_se": "Monte Carlo standard error of bid_by_outcome [currency]",
    "irr_median_at_ask": "median path IRR at the ask [annual effective decimal]",
}

# path_cashflows.parquet (output.path_cashflows: true)
PATH_CASHFLOWS: dict[str, str] = {
    "path": "path index",
    "month": "0 = the purchase, -(price + costs); then projection months",
    "cash_flow": "holder cash of the whole tape that month [currency]",
}


# valuation on rate paths (analysis kind `valuation`), summary.parquet: the
# pool statistics and path-mean totals of the standard summary, then these
VALUATION_SUMMARY: dict[str, str] = {
    "paths": "rate paths simulated (1 with rates: none)",
    "price": "price valued at: the given one, or the model price at the given OAS [percent of face]",
    "model_price": "mean path PV at the OAS [percent of face]",
    "oas": "option-adjusted spread over the paths' short rates [annual decimal, continuously compounded]",
    "zspread": "spread over the zero curve pricing the forward-path cash flows [annual decimal, cont. comp.]",
    "option_cost": "zspread - oas [annual decimal]",
    "price_std_error": "Monte Carlo standard error of model_price [percent of face]",
    "oas_std_error": "Monte Carlo standard error of the OAS [annual decimal]",
    "effective_duration": "(P- - P+) / (2 P0 dy), curve shifted +-shift_bp, OAS held [years]",
    "effective_convexity": "(P+ + P- - 2 P0) / (P0 dy^2) [years^2]",
    "spread_duration": "-(dP/ds) / P at the OAS [years]",
    "yield_bey": "bond-equivalent yield of the path-mean cash flows at price [annual decimal]",
    "mortgage_yield": "mortgage yield (monthly compounding) of the path-mean cash flows at price [annual decimal]",
}

# valuation, cashflows.parquet: STANDARD_CASHFLOWS as path means, and
VALUATION_CASHFLOWS_EXTRA: dict[str, str] = {
    "mortgage_rate": "path-mean market mortgage rate of the month [annual decimal]",
}

# valuation, paths.parquet
VALUATION_PATHS: dict[str, str] = {
    "path": "rate path index",
    "pv": "present value of the path's cash flows at the OAS [currency]",
    "mean_mortgage_rate": "the path's mortgage rate averaged over months 1..H [annual decimal]",
    "wal": "weighted average life on the path [years]",
    "total_cash_flow": "sum of the path's cash flows [currency]",
}

# valuation, mortgage_rate_quantiles.parquet: the fan of the paths' mortgage rates
MORTGAGE_RATE_QUANTILES: dict[str, str] = {
    "month": "projection month",
    "quantile": "quantile level (output.quantiles) [decimal]",
    "mortgage_rate": "that quantile of the month's mortgage rate across paths [annual decimal]",
}

# valuation, key_rate_durations.parquet (valuation.key_rate_durations: true)
KEY_RATE_DURATIONS: dict[str, str] = {
    "tenor": "curve tenor of the triangular bump [years]",
    "duration": "(P- - P+) / (2 P0 dy) for the bump at that tenor, OAS held [years]",
}

# valuation, scenarios.parquet (one row per scenario; the first row is the base)
SCENARIOS: dict[str, str] = {
    "scenario": "scenario name ('base' for the config as given)",
    "description": "what the scenario changes",
    "curve_shift_bp": "parallel shift of the zero curve [bp]",
    "price": "mean path PV at the base OAS [percent of face]",
    "oas": "the OAS held [annual decimal]",
    "wal": "WAL of the path-mean cash flows [years]",
    "yield_bey": "bond-equivalent yield of the path-mean cash flows at price [annual decimal]",
    "mortgage_yield": "mortgage yield of the path-mean cash flows at price [annual decimal]",
    "cumulative_defaults_pct": "path-mean new defaults [percent of the starting balance]",
    "cumulative_losses_pct": "path-mean principal losses [percent of the starting balance]",
    "effective_duration": "curve shifted +-shift_bp around the scenario, OAS held [years]",
    "effective_convexity": "[years^2]",
    "mean_mortgage_rate": "mortgage rate averaged over paths and months [annual decimal]",
}
