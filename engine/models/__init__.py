"""Cash-flow models: the Python runners that prepare kernel inputs, run the
kernels chunk by chunk and reduce their partial sums into arrays.

- :mod:`.standard`: the SIFMA Standard Formulas with defaults (``model: standard``);
- :mod:`.state`: the loan-level state model (``model: state``).

Runners return arrays; tables are built at the edge (:mod:`engine.output.tables`).
"""
