"""Measures computed from projected cash flows: yields, spreads, IRR, pool statistics.

- :mod:`.pool`: WAC, WAM, WALA, WAL;
- :mod:`.yields`: price <-> yield, average life, duration, convexity (SIFMA SF G);
- :mod:`.spreads`: OAS, Z-spread, their standard errors, effective duration and convexity;
- :mod:`.irr`: IRR of many cash-flow vectors (the solver is :mod:`engine.kernels.irr`);
- :mod:`.bids`: bid prices at a yield, by outcome and at a confidence;
- :mod:`.summary`: the one builder of each model's ``summary`` row.
"""
