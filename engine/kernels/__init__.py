"""Numba kernels: plain NumPy arrays (grouped in NamedTuples) in, sums out.

They import nothing from the layers above them (config, inputs, models, API).

- :mod:`.amortization`: level payment and scheduled-principal fractions;
- :mod:`.prepayment`: rate-table lookup, CPR -> SMM, the turnover + refinancing model;
- :mod:`.standard`: SIFMA SF C.3 pool cash flows with defaults;
- :mod:`.state`, :mod:`.hazard`, :mod:`.accounting`, :mod:`.integration`:
  the loan-level state model (layout, hazard model, accounting, the
  expected and sampled integrations);
- :mod:`.holder`: per-loan holder cash flows and outcomes the sampled
  integration can write in the same pass;
- :mod:`.irr`: the IRR of many cash-flow vectors; :mod:`.present_value`:
  their present values at a few rates;
- :mod:`.rng`: counter-based random numbers (Threefry-2x64).
"""
