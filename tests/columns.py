"""Column names the tests expect, written out from the issue and SIFMA SF C.3
(independently of engine.models.standard.COLUMNS, which they check)."""

# SIFMA SF C.3 quantities, in snake_case, as the standard cashflows table names them
SIFMA_COLUMNS = [
    "performing_balance",
    "new_defaults",
    "foreclosure_balance",
    "expected_amortization",
    "voluntary_prepayments",
    "amortization_from_defaults",
    "actual_amortization",
    "expected_interest",
    "interest_lost",
    "actual_interest",
    "principal_recovery",
    "principal_loss",
    "amortized_default_balance",
]
BALANCE_COLUMNS = ["performing_balance", "foreclosure_balance"]
