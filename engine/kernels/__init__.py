"""Numba kernels: plain NumPy arrays (grouped in NamedTuples) in, sums out.

They import nothing from the layers above them (config, inputs, models, API).

- :mod:`.amortization`: level payment and scheduled-principal fractions;
- :mod:`.prepayment`: rate-table lookup, CPR -> SMM, the turnover + refinancing model;
- :mod:`.standard`: SIFMA SF C.3 pool cash flows with defaults;
- :mod:`.state`, :mod:`.hazard`, :mod:`.accounting`, :mod:`.integration`:
  the loan-level state model (layout, hazard model, accounting, the
  expected and sampled integrations);
- :mod:`.rng`: counter-based random numbers (Threefry-2x64).
"""
