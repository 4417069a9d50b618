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
    "matured_principal": "balance paid at scheduled maturity",
    "new_delinquencies": "balance rolling current -> dq30",
    "cures": "balance curing to current",
    "modifications": "balance modified (before capitalisation)",
    "capitalized_arrears": "arrears added to the balance by modifications",
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
    "total_principal": "scheduled + prepaid + deferred collected + recovered principal",
    "total_cash_flow": "everything the holder receives less what it pays out",
    "smm": "voluntary_prepayments / current balance after scheduled amortisation [monthly decimal]",
    "roll_rate": "new_delinquencies / current balance at month start [monthly decimal]",
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
