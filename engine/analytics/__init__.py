"""Measures computed from projected cash flows: yields, spreads, IRR, pool statistics."""
