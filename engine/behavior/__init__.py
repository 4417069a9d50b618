"""Borrower behaviour: prepayment and default speed models, and the hazard
inputs of the loan-level state model, resolved from a validated config into
the arrays the kernels read."""
