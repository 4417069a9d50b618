"""Economic paths: home prices, the zero curve and short-rate paths."""
